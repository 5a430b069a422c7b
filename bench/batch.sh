#!/usr/bin/env bash
# Batches against their floors, measured side by side in one run against a local docker-registry:
#   1. sign N images in one run (default formats, then --format legacy): ms/image, requests/image
#      and TCP connections, as isign counts them (ISIGN_DEBUG_STATS);
#   2. verify the N images in one run vs one `curl --parallel --parallel-max 8` process making the
#      same requests (GET each .sig, GET each payload), alternated over ROUNDS paired rounds:
#      medians, their ratio, requests/image and connections of each;
#   3. verify one image vs one curl process making its same requests, paired over RUNS rounds;
#   4. sign ms/image beside verify ms/image.
# Usage: bench/batch.sh [N_IMAGES=1000] [ROUNDS=5] [RUNS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$PWD/bench
N=${1:-1000}
ROUNDS=${2:-5}
RUNS=${3:-20}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
. scripts/lib-registry.sh
. bench/lib.sh
bench_start

# elapsed_ms CMD...: wall time of one run of CMD, output discarded.
elapsed_ms() {
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null 2>&1
  t1=$(now_ns)
  echo $(( (t1 - t0) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "pushing 2 x $N images (one repository each)..." >&2
mapfile -t refs < <(python3 "$BENCH/push_images.py" "$REGISTRY" bench/both "$N" --one-repo-each)
mapfile -t legacy_refs < <(python3 "$BENCH/push_images.py" "$REGISTRY" bench/legacy "$N" --one-repo-each)
[ "${#refs[@]}" -eq "$N" ] && [ "${#legacy_refs[@]}" -eq "$N" ] || { echo "pushing failed" >&2; exit 1; }
stats "$ISIGN" sign "${FLAGS[@]}" --key bench.key "${refs[@]}"
SIGN_MS=$MS SIGN_REQ=$REQ SIGN_CONN=$CONN
stats "$ISIGN" sign "${FLAGS[@]}" --key bench.key --format legacy "${legacy_refs[@]}"
LSIGN_MS=$MS LSIGN_REQ=$REQ LSIGN_CONN=$CONN

printf '%s\n' "${refs[@]}" >refs
python3 "$BENCH/floor_config.py" "$REGISTRY" refs >floor.cfg
curl_batch() { curl -s --parallel --parallel-max 8 --config floor.cfg -w '%{num_connects}\n'; }
FLOOR_REQ=$(grep -c '^url' floor.cfg)
FLOOR_CONN=$(curl_batch | awk '{s+=$1} END {print s}')
stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[@]}"
VERIFY_REQ=$REQ VERIFY_CONN=$CONN
isign_ms=() curl_ms=()
for _ in $(seq 1 "$ROUNDS"); do
  isign_ms+=("$(elapsed_ms "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[@]}")")
  curl_ms+=("$(elapsed_ms curl_batch)")
done
VERIFY_MS=$(printf '%s\n' "${isign_ms[@]}" | median)
FLOOR_MS=$(printf '%s\n' "${curl_ms[@]}" | median)

# One image: the same two requests from one curl process, paired with isign run by run.
head -5 floor.cfg >one.cfg
curl_one() { curl -s --config one.cfg; }
one_isign=() one_curl=()
for _ in $(seq 1 "$RUNS"); do
  one_isign+=("$(elapsed_ms "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[0]}")")
  one_curl+=("$(elapsed_ms curl_one)")
done
ONE_MS=$(printf '%s\n' "${one_isign[@]}" | median)
ONE_FLOOR_MS=$(printf '%s\n' "${one_curl[@]}" | median)
stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[0]}"
ONE_REQ=$REQ

per() { ratio "$1" "$N"; }
echo "isign batch benchmark ($N images, one repository each; local docker-registry 2.8 over HTTP)"
printf '  %-46s %9s %9s %11s\n' "" "ms/image" "req/image" "connections"
printf '  %-46s %9s %9s %11s\n' "sign, default formats (.sig + bundle)" "$(per "$SIGN_MS")" "$(per "$SIGN_REQ")" "$SIGN_CONN"
printf '  %-46s %9s %9s %11s\n' "sign, --format legacy" "$(per "$LSIGN_MS")" "$(per "$LSIGN_REQ")" "$LSIGN_CONN"
printf '  %-46s %9s %9s %11s\n' "verify, one run (median of $ROUNDS)" "$(per "$VERIFY_MS")" "$(per "$VERIFY_REQ")" "$VERIFY_CONN"
printf '  %-46s %9s %9s %11s\n' "floor: curl --parallel-max 8 (median of $ROUNDS)" "$(per "$FLOOR_MS")" "$(per "$FLOOR_REQ")" "$FLOOR_CONN"
echo "  batch verify / floor:            $(ratio "$VERIFY_MS" "$FLOOR_MS")x"
echo "  batch sign / batch verify:       $(ratio "$SIGN_MS" "$VERIFY_MS")x (legacy: $(ratio "$LSIGN_MS" "$VERIFY_MS")x)"
echo "  single verify: ${ONE_MS} ms, $ONE_REQ requests; one curl process: ${ONE_FLOOR_MS} ms; ratio $(ratio "$ONE_MS" "$ONE_FLOOR_MS")x (median of $RUNS paired runs)"
