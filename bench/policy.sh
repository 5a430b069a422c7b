#!/usr/bin/env bash
# isign benchmarks for policies and indexes, against a local docker-registry that asks for
# credentials (htpasswd, Basic) and logs every request, measured side by side in one run:
#   1. `verify --recursive` of an image index with 8 children, and `--platform` of one child;
#   2. N images (default 1000) in one `isign verify --policy` run vs separate invocations;
#   3. the requests each run made, counted by isign (ISIGN_DEBUG_STATS) and by the registry's
#      own log: requests per image, repeated requests, 401 challenges.
# Usage: bench/policy.sh [N_IMAGES=1000] [SEPARATE_RUNS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
SEPARATE=${2:-20}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
[ -x "$ISIGN" ] || { echo "build isign first (scripts/build.sh), or set ISIGN" >&2; exit 2; }
command -v htpasswd >/dev/null || { echo "needs htpasswd: apt-get install apache2-utils" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
. scripts/lib-registry.sh
. bench/lib.sh

WORK=$(mktemp -d /tmp/isign-bench-policy.XXXXXX)
trap 'stop_registry; rm -rf "$WORK"' EXIT
export REGISTRY_USER=bench REGISTRY_PASSWORD=bench-password REGISTRY_LOG_REQUESTS=1
htpasswd -Bbn "$REGISTRY_USER" "$REGISTRY_PASSWORD" >"$WORK/htpasswd"
start_registry "$WORK/registry" "$WORK/htpasswd"
LOG=$WORK/registry/registry.log
export COSIGN_PASSWORD=bench
FLAGS=(--allow-http-registry --registry-username "$REGISTRY_USER" --registry-password "$REGISTRY_PASSWORD")
cd "$WORK"
"$ISIGN" generate-key-pair --output-key-prefix bench 2>/dev/null

log_lines() { wc -l <"$LOG"; }
# requests_since LINE: "METHOD URI STATUS" of each request the registry logged after LINE. The
# registry logs an answered request as "response completed" and a 401 challenge as "error
# authorizing context".
requests_since() {
  tail -n +"$(($1 + 1))" "$LOG" | sed -nE \
    -e 's/.*msg="response completed.*http\.request\.method=([A-Z]+).*http\.request\.uri="?([^" ]+)"?.*http\.response\.status=([0-9]+).*/\1 \2 \3/p' \
    -e 's/.*msg="error authorizing context.*http\.request\.method=([A-Z]+).*http\.request\.uri="?([^" ]+)"?.*/\1 \2 401/p'
}
# analyse LINE: total requests, 401 answers, /v2/ pings and repeated requests (the same method
# and URI answered with the same non-401 status more than once) since LINE.
analyse() {
  local reqs
  reqs=$(requests_since "$1")
  TOTAL=$(printf '%s\n' "$reqs" | grep -c . || true)
  CHALLENGES=$(printf '%s\n' "$reqs" | grep -c ' 401$' || true)
  PINGS=$(printf '%s\n' "$reqs" | grep -c '^[A-Z]* /v2/ ' || true)
  REPEATED=$(printf '%s\n' "$reqs" | grep -v ' 401$' | sort | uniq -d | wc -l)
}
# run_measured NAME CMD...: runs CMD once with ISIGN_DEBUG_STATS=1 (stats, stderr in
# $WORK/NAME.err); sets MS, RSS, ISIGN_REQUESTS and the registry-side counts.
run_measured() {
  local before
  before=$(log_lines)
  STATS_ERR=$WORK/$1.err stats "${@:2}"
  ISIGN_REQUESTS=$REQ
  sleep 0.2 # the registry writes its log line after the response
  analyse "$before"
}

# --- an index with 8 children -------------------------------------------------------------
echo "pushing and signing an index of 8 images..." >&2
PLATFORMS=(linux/amd64 linux/arm64 linux/arm/v7 linux/386 linux/ppc64le linux/s390x linux/riscv64 linux/mips64le)
ENTRIES=""
for p in "${PLATFORMS[@]}"; do
  d=$(push_image bench/multi "child-${p//\//-}" "child $p")
  size=$(curl -fsS -u "$REGISTRY_USER:$REGISTRY_PASSWORD" -H "Accept: application/vnd.oci.image.manifest.v1+json" \
    "http://$REGISTRY/v2/bench/multi/manifests/$d" | wc -c)
  IFS=/ read -r os arch variant <<<"$p"
  platform="{\"architecture\":\"$arch\",\"os\":\"$os\"${variant:+,\"variant\":\"$variant\"}}"
  ENTRIES+="${ENTRIES:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$d\",\"size\":$size,\"platform\":$platform}"
done
INDEX="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[$ENTRIES]}"
curl -fsS -u "$REGISTRY_USER:$REGISTRY_PASSWORD" -X PUT \
  -H "Content-Type: application/vnd.oci.image.index.v1+json" --data-binary "$INDEX" -o /dev/null \
  "http://$REGISTRY/v2/bench/multi/manifests/v1"
INDEX_REF="$REGISTRY/bench/multi@sha256:$(printf '%s' "$INDEX" | sha256sum | cut -d' ' -f1)"
"$ISIGN" sign "${FLAGS[@]}" --key bench.key --recursive "$INDEX_REF" 2>/dev/null

run_measured index "$ISIGN" verify "${FLAGS[@]}" --key bench.pub --recursive "$INDEX_REF"
IDX_MS=$MS IDX_REQ=$ISIGN_REQUESTS IDX_TOTAL=$TOTAL IDX_401=$CHALLENGES IDX_REP=$REPEATED IDX_PING=$PINGS
run_measured platform "$ISIGN" verify "${FLAGS[@]}" --key bench.pub --platform linux/arm64 "$INDEX_REF"
PLAT_MS=$MS PLAT_REQ=$ISIGN_REQUESTS PLAT_TOTAL=$TOTAL PLAT_401=$CHALLENGES PLAT_REP=$REPEATED

# --- N images under a policy ----------------------------------------------------------------
echo "pushing and signing $N images (a few minutes)..." >&2
push_and_sign "$N" bench.key
cat >policy.json <<JSON
{
  "version": 1,
  "default": {"type": "reject"},
  "scopes": {"$REGISTRY/bench": {"keys": ["bench.pub"]}}
}
JSON

run_measured policy "$ISIGN" verify "${FLAGS[@]}" --policy policy.json "${REFS[@]}"
POL_MS=$MS POL_REQ=$ISIGN_REQUESTS POL_TOTAL=$TOTAL POL_401=$CHALLENGES POL_REP=$REPEATED POL_PING=$PINGS POL_RSS=$RSS

before=$(log_lines)
t0=$(now_ns)
for r in "${REFS[@]:0:$SEPARATE}"; do
  "$ISIGN" verify "${FLAGS[@]}" --policy policy.json "$r" >/dev/null 2>&1
done
t1=$(now_ns)
SEP_MS=$(( (t1 - t0) / 1000000 ))
sleep 0.2
analyse "$before"
SEP_TOTAL=$TOTAL SEP_401=$CHALLENGES
PER_CALL_MS=$(ratio "$SEP_MS" "$SEPARATE")
EXTRAPOLATED_MS=$(awk -v a="$SEP_MS" -v s="$SEPARATE" -v n="$N" 'BEGIN {printf "%d", a / s * n}')

cat <<REPORT
isign policy and index benchmark (local docker-registry with htpasswd Basic auth, over HTTP)
  index of 8 children, verify --recursive:      ${IDX_MS} ms
    requests (isign / registry log):            ${IDX_REQ} / ${IDX_TOTAL}   401 challenges: ${IDX_401}   /v2/ pings: ${IDX_PING}   repeated: ${IDX_REP}
  the same index, verify --platform linux/arm64: ${PLAT_MS} ms
    requests (isign / registry log):            ${PLAT_REQ} / ${PLAT_TOTAL}   401 challenges: ${PLAT_401}   repeated: ${PLAT_REP}
  sign $N images, one invocation:               ${SIGN_MS} ms
  verify --policy, $N images, one invocation:   ${POL_MS} ms ($(ratio "$POL_MS" "$N") ms/image), peak RSS ${POL_RSS} KiB
    requests (isign / registry log):            ${POL_REQ} / ${POL_TOTAL} = $(ratio "$POL_TOTAL" "$N") per image
    401 challenges: ${POL_401}   /v2/ pings: ${POL_PING}   repeated requests: ${POL_REP}
  verify --policy, $SEPARATE separate invocations:      ${SEP_MS} ms (${PER_CALL_MS} ms each; $(ratio "$SEP_TOTAL" "$SEPARATE") requests and $(ratio "$SEP_401" "$SEPARATE") challenges each)
    extrapolated to $N invocations:             ${EXTRAPOLATED_MS} ms   one run is $(ratio "$EXTRAPOLATED_MS" "$POL_MS")x faster
REPORT
