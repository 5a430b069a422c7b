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

# bench_start: a throwaway registry in a temp dir removed on exit, COSIGN_PASSWORD, FLAGS, and a
# key pair bench.key/bench.pub in the working directory WORK. Needs ISIGN.
bench_start() {
  [ -x "$ISIGN" ] || { echo "build isign first (scripts/build.sh), or set ISIGN" >&2; exit 2; }
  WORK=$(mktemp -d /tmp/isign-bench.XXXXXX)
  trap 'stop_registry; rm -rf "$WORK"' EXIT
  start_registry "$WORK/registry"
  export COSIGN_PASSWORD=bench
  FLAGS=(--allow-http-registry)
  cd "$WORK"
  "$ISIGN" generate-key-pair --output-key-prefix bench 2>/dev/null
}

# median_ms CMD...: runs CMD $RUNS times, prints the median wall time in milliseconds.
median_ms() {
  local times=() t0 t1
  for _ in $(seq 1 "$RUNS"); do
    t0=$(now_ns)
    "$@" >/dev/null 2>&1
    t1=$(now_ns)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'
}

# stats CMD...: runs CMD once with ISIGN_DEBUG_STATS=1, its stderr kept in STATS_ERR (default: a
# temporary file, removed); sets MS (wall time), REQ, CONN and RSS (isign's own counts).
stats() {
  local err=${STATS_ERR:-$(mktemp)} t0 t1
  t0=$(now_ns)
  ISIGN_DEBUG_STATS=1 "$@" >/dev/null 2>"$err" || { echo "failed: $*" >&2; tail -5 "$err" >&2; exit 1; }
  t1=$(now_ns)
  MS=$(( (t1 - t0) / 1000000 ))
  REQ=$(sed -n 's/^requests: //p' "$err")
  CONN=$(sed -n 's/^connections: //p' "$err")
  RSS=$(sed -n 's/^peak-rss-kib: //p' "$err")
  [ -n "${STATS_ERR:-}" ] || rm -f "$err"
}
