#!/usr/bin/env bash
# isign benchmarks, measured side by side in one run against a local docker-registry:
#   1. one `isign verify` vs the same HTTP requests made by one curl process (the floor);
#   2. batch verify of N images in one invocation vs N separate invocations;
#   3. peak RSS of verify for an image with a large layer (verify never downloads layers).
# Usage: bench/run.sh [N_IMAGES=200] [RUNS=20] [LARGE_LAYER_MB=200]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
RUNS=${2:-20}
LARGE_MB=${3:-200}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
command -v /usr/bin/time >/dev/null || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
. scripts/lib-registry.sh
. bench/lib.sh
bench_start

echo "pushing and signing $N images..." >&2
push_and_sign "$N" bench.key
SIGN_ALL_MS=$SIGN_MS

# The floor: exactly the requests isign verify makes for one signed image by digest, in one curl
# process over one connection: GET the .sig manifest and GET the payload blob (a .sig that
# verifies settles it: no manifest HEAD, no bundle discovery).
ONE=${REFS[0]}
DIGEST=${ONE#*@}
SIG_TAG="sha256-${DIGEST#sha256:}.sig"
ACCEPT="Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"
PAYLOAD_DIGEST=$(curl -fsS -H "$ACCEPT" "http://$REGISTRY/v2/bench/app/manifests/$SIG_TAG" |
  grep -o '"digest":"sha256:[0-9a-f]*"' | sed -n 2p | cut -d'"' -f4)
curl_floor() {
  curl -fsS -o /dev/null -H "$ACCEPT" "http://$REGISTRY/v2/bench/app/manifests/$SIG_TAG" \
    --next -fsS -o /dev/null "http://$REGISTRY/v2/bench/app/blobs/$PAYLOAD_DIGEST"
}
"$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$ONE" >/dev/null 2>&1 || { echo "verify failed" >&2; exit 1; }

CURL_MS=$(median_ms curl_floor)
VERIFY_MS=$(median_ms "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$ONE")
VERSION_MS=$(median_ms "$ISIGN" version)

t0=$(now_ns)
"$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${REFS[@]}" >/dev/null 2>&1
t1=$(now_ns)
BATCH_MS=$(( (t1 - t0) / 1000000 ))
t0=$(now_ns)
for r in "${REFS[@]}"; do "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$r" >/dev/null 2>&1; done
t1=$(now_ns)
SEPARATE_MS=$(( (t1 - t0) / 1000000 ))

echo "pushing an image with a ${LARGE_MB} MB layer..." >&2
head -c $((LARGE_MB * 1024 * 1024)) /dev/urandom >big.bin
BIG=$(push_image bench/big v1 big big.bin)
rm -f big.bin
"$ISIGN" sign "${FLAGS[@]}" --key bench.key "$REGISTRY/bench/big@$BIG" 2>/dev/null
rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
RSS_SMALL=$(rss_kb "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$ONE")
RSS_BIG=$(rss_kb "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$REGISTRY/bench/big@$BIG")

cat <<REPORT
isign benchmark ($N images, median of $RUNS runs, local docker-registry over HTTP)
  sign $N images, one invocation:          ${SIGN_ALL_MS} ms ($(ratio "$SIGN_ALL_MS" "$N") ms/image)
  curl floor (same 2 requests, 1 process):  ${CURL_MS} ms
  isign verify, one image:                  ${VERIFY_MS} ms   ratio to floor: $(ratio "$VERIFY_MS" "$CURL_MS")x
  isign version (process start):            ${VERSION_MS} ms
  verify $N images, one invocation:         ${BATCH_MS} ms
  verify $N images, $N invocations:         ${SEPARATE_MS} ms   batch speed-up: $(ratio "$SEPARATE_MS" "$BATCH_MS")x
  peak RSS, verify small image:             ${RSS_SMALL} KiB
  peak RSS, verify ${LARGE_MB} MB-layer image:       ${RSS_BIG} KiB   ratio: $(ratio "$RSS_BIG" "$RSS_SMALL")x
REPORT
