# Shell helpers shared by the benchmarks. Source after scripts/lib-registry.sh; uses ISIGN, FLAGS
# (the registry flags of every isign call) and REGISTRY.

now_ns() { date +%s%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

# push_and_sign N KEY: pushes N small images to bench/app (tags v1..vN), signs them all in one
# `isign sign` run with KEY. Sets REFS (by digest) and SIGN_MS (the signing run's wall time).
push_and_sign() {
  local n=$1 key=$2 d t0 t1
  REFS=()
  for i in $(seq 1 "$n"); do
    d=$(push_image bench/app "v$i" "image $i")
    REFS+=("$REGISTRY/bench/app@$d")
  done
  t0=$(now_ns)
  "$ISIGN" sign "${FLAGS[@]}" --key "$key" "${REFS[@]}" 2>/dev/null
  t1=$(now_ns)
  SIGN_MS=$(( (t1 - t0) / 1000000 ))
}
