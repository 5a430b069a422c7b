#!/usr/bin/env bash
# The two signature formats side by side in one run against a local docker-registry (no
# referrers API, so bundles go through the sha256-<hex> index, as on distribution 2.8 and GHCR):
#   1. sign N images in one run per format (legacy, bundle, both): ms/image and requests/image;
#   2. verify of one image signed in each format (median of RUNS): ms and requests;
#   3. verify of the N images of each format in one run: ms/image and requests/image, and the
#      legacy images once more with --format legacy (no bundle discovery) to show what discovery
#      costs.
# Usage: bench/formats.sh [N_IMAGES=1000] [RUNS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$PWD/bench
N=${1:-1000}
RUNS=${2:-20}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
. scripts/lib-registry.sh
. bench/lib.sh
bench_start

declare -A SIGN_MS SIGN_REQ ONE_MS ONE_REQ BATCH_MS BATCH_REQ
for f in legacy bundle both; do
  echo "pushing $N images for --format $f..." >&2
  # One repository per image, as a platform verifying many services has.
  mapfile -t refs < <(python3 "$BENCH/push_images.py" "$REGISTRY" "bench/$f" "$N" --one-repo-each)
  [ "${#refs[@]}" -eq "$N" ] || { echo "pushing images failed" >&2; exit 1; }
  printf '%s\n' "${refs[@]}" >"refs-$f"
  stats "$ISIGN" sign "${FLAGS[@]}" --key bench.key --format "$f" "${refs[@]}"
  SIGN_MS[$f]=$MS SIGN_REQ[$f]=$REQ
  one=${refs[0]}
  ONE_MS[$f]=$(median_ms "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$one")
  stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "$one"
  ONE_REQ[$f]=$REQ
  stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[@]}"
  BATCH_MS[$f]=$MS BATCH_REQ[$f]=$REQ
done
mapfile -t legacy_refs <refs-legacy
stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub --format legacy "${legacy_refs[0]}"
ONLY_ONE_REQ=$REQ
ONLY_ONE_MS=$(median_ms "$ISIGN" verify "${FLAGS[@]}" --key bench.pub --format legacy "${legacy_refs[0]}")
stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub --format legacy "${legacy_refs[@]}"
ONLY_BATCH_MS=$MS ONLY_BATCH_REQ=$REQ

per() { ratio "$1" "$N"; }
echo "isign formats benchmark ($N images per format, single verify: median of $RUNS runs;"
echo "local docker-registry 2.8 over HTTP, no referrers API)"
printf '  %-44s %10s %10s\n' "" "ms/image" "req/image"
for f in legacy bundle both; do
  printf '  %-44s %10s %10s\n' "sign, --format $f ($N in one run)" "$(per "${SIGN_MS[$f]}")" "$(per "${SIGN_REQ[$f]}")"
done
for f in legacy bundle both; do
  printf '  %-44s %10s %10s\n' "verify one $f-signed image (default)" "${ONE_MS[$f]}" "${ONE_REQ[$f]}"
done
printf '  %-44s %10s %10s\n' "verify one legacy-signed image, --format legacy" "$ONLY_ONE_MS" "$ONLY_ONE_REQ"
for f in legacy bundle both; do
  printf '  %-44s %10s %10s\n' "verify $N $f-signed images in one run" "$(per "${BATCH_MS[$f]}")" "$(per "${BATCH_REQ[$f]}")"
done
printf '  %-44s %10s %10s\n' "verify $N legacy-signed, --format legacy" "$(per "$ONLY_BATCH_MS")" "$(per "$ONLY_BATCH_REQ")"
