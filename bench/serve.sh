#!/usr/bin/env bash
# isign serve under load, side by side with its floors, in one run (wrk, Debian's, on the same 2
# cores as the server). A local docker-registry 2.8 over HTTP, N images (default 100) each signed
# with a .sig and a bundle, one policy (their key), the server over TLS:
#   1. warm: one review (a Deployment, its image by digest, cached) posted for DURATION seconds
#      by CONNECTIONS keep-alive connections: p50, p99, reviews/s; against the same server's
#      /healthz under the same load (the floor of the HTTPS stack);
#   2. cold: N reviews, each naming another image, none cached, sent once each by 8 keep-alive
#      clients (bench/serve/cold.py: wrk repeats requests): ms per review; against one
#      `isign verify --key` batch of the same N images (8 at once too), per image.
# Usage: bench/serve.sh [N=100] [DURATION=10] [CONNECTIONS=16]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$PWD/bench
N=${1:-100}
DURATION=${2:-10}
CONNS=${3:-16}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
ROOT=$PWD
command -v wrk >/dev/null || { echo "bench/serve.sh needs wrk (apt-get install wrk)" >&2; exit 2; }
. scripts/lib-registry.sh
. bench/lib.sh
bench_start
SERVE_PID=
trap '[ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null; stop_registry; wait 2>/dev/null; rm -rf "$WORK"' EXIT

echo "pushing and signing $N images..." >&2
mapfile -t refs < <(python3 "$BENCH/push_images.py" "$REGISTRY" bench/app "$N")
[ "${#refs[@]}" -eq "$N" ] || { echo "pushing images failed" >&2; exit 1; }
"$ISIGN" sign "${FLAGS[@]}" --key bench.key --format both "${refs[@]}" 2>/dev/null

# A serving certificate for 127.0.0.1 from a throwaway CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
  -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.csr \
  -subj "/CN=isign-webhook" 2>/dev/null
echo "subjectAltName=IP:127.0.0.1" >san.ext
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 1 \
  -extfile san.ext 2>/dev/null
printf '{"version": 1, "default": {"keys": ["bench.pub"]}}\n' >policy.json

# Reviews: testdata's Deployment with its image replaced, one line each (warm: the first image).
python3 - "$ROOT/testdata/admission/deployment.json" "${refs[@]}" <<'PY'
import json, sys, uuid
doc = json.load(open(sys.argv[1]))
with open("reviews.jsonl", "w") as out:
    for i, ref in enumerate(sys.argv[2:]):
        doc["request"]["uid"] = str(uuid.UUID(int=i + 1))
        doc["request"]["object"]["spec"]["template"]["spec"]["containers"][0]["image"] = ref
        out.write(json.dumps(doc, separators=(",", ":")) + "\n")
PY
head -1 reviews.jsonl >warm.json

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$ISIGN" serve --policy policy.json --tls-cert tls.crt --tls-key tls.key \
  --listen "127.0.0.1:$PORT" --cache-ttl 3600 "${FLAGS[@]}" >serve.log 2>serve.err &
SERVE_PID=$!
URL=https://127.0.0.1:$PORT
for _ in $(seq 1 100); do
  curl -fsS --cacert ca.crt "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# wrk's summary: p50 and p99 (in ms) and requests/s.
wrk_run() {
  local out
  out=$(wrk --latency -t2 -c"$CONNS" -d"${DURATION}s" "$@")
  P50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  P99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  RPS=$(awk '/^Requests\/sec/ {printf "%d", $2}' <<<"$out")
  ERRS=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  [ -z "$ERRS" ] || echo "  wrk: $ERRS" >&2
}
to_ms() { # wrk prints 1.23ms, 456.00us or 1.02s
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.3f", v + 0;
                         else printf "%.3f", v * 1000 }'
}

# Cold first, so that no image is cached yet: each review sent once, 8 at once.
read -r COLD_MS allowed < <(python3 "$BENCH/serve/cold.py" "$URL" ca.crt reviews.jsonl 8)
[ "$allowed" -eq "$N" ] || { echo "only $allowed of $N cold reviews were admitted" >&2; tail -3 serve.log >&2; exit 1; }
t0=$(now_ns)
"$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[@]}" >/dev/null 2>&1
t1=$(now_ns)
BATCH_MS=$(((t1 - t0) / 1000000))

REVIEW_FILE=warm.json wrk_run -s "$BENCH/serve/warm.lua" "$URL/validate" >/dev/null
REVIEW_FILE=warm.json wrk_run -s "$BENCH/serve/warm.lua" "$URL/validate"
W50=$(to_ms "$P50") W99=$(to_ms "$P99") WRPS=$RPS
wrk_run "$URL/healthz"
H50=$(to_ms "$P50") H99=$(to_ms "$P99") HRPS=$RPS
grep -q 'isign_cache_hits_total [1-9]' <(curl -fsS --cacert ca.crt "$URL/metrics") ||
  { echo "the warm run was not served from the cache" >&2; exit 1; }

echo "isign serve benchmark (wrk -t2 -c$CONNS -d${DURATION}s over TLS on the server's own 2 cores;"
echo "one local docker-registry 2.8 over HTTP; each image signed as a .sig and a bundle)"
printf '  %-44s %10s %10s %12s\n' "" "p50 ms" "p99 ms" "requests/s"
printf '  %-44s %10s %10s %12s\n' "/validate, warm (one cached image)" "$W50" "$W99" "$WRPS"
printf '  %-44s %10s %10s %12s\n' "/healthz (the floor)" "$H50" "$H99" "$HRPS"
echo "  warm p99 / healthz p99: $(ratio "$W99" "$H99")x"
printf '  %-44s %10s\n' "" "ms/image"
printf '  %-44s %10s\n' "/validate, cold ($N reviews, 8 at once)" "$(ratio "$COLD_MS" "$N")"
printf '  %-44s %10s\n' "isign verify, one batch of the same $N" "$(ratio "$BATCH_MS" "$N")"
echo "  cold review / batch verify per image: $(ratio "$COLD_MS" "$BATCH_MS")x"
