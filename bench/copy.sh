#!/usr/bin/env bash
# Moving signed images between registries, side by side in one run. Two local docker-registry
# processes (2.8: no referrers API, so bundles travel through the sha256-<hex> index), N images
# in N repositories of registry A, each signed in both formats (a .sig layer and a bundle).
#   1. `isign copy --from-file` of the N images A -> B in one run: ms/image, requests/image, and
#      blobs mounted/uploaded as the destination registry logged them;
#   2. the same N images copied by skopeo (one `skopeo copy` each, sigstore attachments turned on
#      in registries.d so that it carries the .sig; it carries no bundle): ms/image;
#   3. isign copy again (nothing missing): requests/image; and with --jobs 16;
#   4. isign copy A -> A into new repositories: blobs mounted instead of uploaded.
# Usage: bench/copy.sh [N_IMAGES=100]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$PWD/bench
N=${1:-100}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
. scripts/lib-registry.sh
. bench/lib.sh
export REGISTRY_LOG_REQUESTS=1
bench_start
SRC=$REGISTRY SRC_PID=$REGISTRY_PID
start_registry "$WORK/registry-b"
DST=$REGISTRY DST_PID=$REGISTRY_PID
trap 'kill "$SRC_PID" "$DST_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

echo "pushing and signing $N images..." >&2
mapfile -t refs < <(python3 "$BENCH/push_images.py" "$SRC" bench/app "$N" --one-repo-each)
[ "${#refs[@]}" -eq "$N" ] || { echo "pushing images failed" >&2; exit 1; }
"$ISIGN" sign "${FLAGS[@]}" --key bench.key --format both "${refs[@]}" 2>/dev/null

# Requests the destination logged since line $1 of its log: "METHOD STATUS URI" per line.
dst_requests() {
  tail -n +"$1" "$WORK/registry-b/registry.log" | grep 'response completed' |
    sed -E 's/.*http.request.method=([A-Z]+).*http.request.uri="?([^" ]+)"?.*http.response.status=([0-9]+).*/\1 \3 \2/'
}
log_lines() { wc -l <"$1/registry.log"; }

for i in "${!refs[@]}"; do
  echo "${refs[$i]} $DST/bench/app-$((i + 1)):v1"
done >pairs
start=$(($(log_lines "$WORK/registry-b") + 1))
stats "$ISIGN" copy "${FLAGS[@]}" --from-file pairs
COPY_MS=$MS COPY_REQ=$REQ
UPLOADED=$(dst_requests "$start" | grep -c '^PUT 201 .*/blobs/uploads/' || true)
"$ISIGN" verify "${FLAGS[@]}" --key bench.pub --identity "$SRC/bench/app-1" "$DST/bench/app-1:v1" >/dev/null 2>&1 ||
  { echo "the copy does not verify at the destination" >&2; exit 1; }

stats "$ISIGN" copy "${FLAGS[@]}" --from-file pairs
AGAIN_MS=$MS AGAIN_REQ=$REQ

# More pairs at once: a copy mostly waits (the read-backs that keep concurrent writers safe).
sed "s|$DST/bench/app-|$DST/bench/jobs-|" pairs >pairs-jobs
stats "$ISIGN" copy "${FLAGS[@]}" --jobs 16 --from-file pairs-jobs
JOBS_MS=$MS JOBS_REQ=$REQ

# skopeo: the same images into fresh repositories of B, the .sig carried by registries.d.
mkdir -p registries.d
printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n  %s:\n    use-sigstore-attachments: true\n' \
  "$SRC" "$DST" >registries.d/bench.yaml
t0=$(now_ns)
for i in "${!refs[@]}"; do
  skopeo --registries.d registries.d copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://${refs[$i]}" "docker://$DST/skopeo/app-$((i + 1)):v1" >/dev/null
done
t1=$(now_ns)
SKOPEO_MS=$(((t1 - t0) / 1000000))
SKOPEO_SIG=$(curl -fs "http://$DST/v2/skopeo/app-1/tags/list" | grep -c '\.sig' || true)

# Within one registry: every blob can be mounted from the source repository.
for i in "${!refs[@]}"; do
  echo "${refs[$i]} $SRC/bench/moved-$((i + 1)):v1"
done >pairs-same
src_start=$(($(log_lines "$WORK/registry") + 1))
stats "$ISIGN" copy "${FLAGS[@]}" --from-file pairs-same
SAME_MS=$MS SAME_REQ=$REQ
same_log=$(tail -n +"$src_start" "$WORK/registry/registry.log" | grep 'response completed')
MOUNTED=$(grep -c 'method=POST.*mount=.*status=201' <<<"$same_log" || true)
SAME_UPLOADED=$(grep -c 'method=PUT.*blobs/uploads.*status=201' <<<"$same_log" || true)

per() { ratio "$1" "$N"; }
echo "isign copy benchmark ($N images, each signed as a .sig and a bundle; two local"
echo "docker-registry 2.8 over HTTP, no referrers API)"
printf '  %-52s %10s %10s\n' "" "ms/image" "req/image"
printf '  %-52s %10s %10s\n' "isign copy A->B, one run (--from-file)" "$(per "$COPY_MS")" "$(per "$COPY_REQ")"
printf '  %-52s %10s %10s\n' "isign copy A->B, --jobs 16 (default 4)" "$(per "$JOBS_MS")" "$(per "$JOBS_REQ")"
printf '  %-52s %10s %10s\n' "isign copy A->B again (nothing missing)" "$(per "$AGAIN_MS")" "$(per "$AGAIN_REQ")"
printf '  %-52s %10s %10s\n' "skopeo copy A->B, one per image (.sig only)" "$(per "$SKOPEO_MS")" "-"
printf '  %-52s %10s %10s\n' "isign copy A->A, new repositories (mounts)" "$(per "$SAME_MS")" "$(per "$SAME_REQ")"
echo "  isign/skopeo time ratio: $(ratio "$COPY_MS" "$SKOPEO_MS")x (isign also carries the bundle)"
echo "  blobs uploaded A->B: $UPLOADED ($(per "$UPLOADED")/image)"
echo "  blobs A->A: $MOUNTED mounted, $SAME_UPLOADED uploaded"
echo "  skopeo carried the .sig: $([ "$SKOPEO_SIG" -gt 0 ] && echo yes || echo no)"
