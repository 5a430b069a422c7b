#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan) into build-fuzz, replays their
# seed corpora and crash regressions, then fuzzes each target for a bounded time. Fails on any
# crash, leak, timeout or out-of-memory; prints one summary line per target.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s; TARGET like "payload")
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_CXX (clang++), FUZZ_FLAGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
src=tests/fuzz

if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="${FUZZ_CXX:-clang++}" -DISIGN_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" >/dev/null
cmake --build "$build" -j2 --target fuzz_all
# Every input that ever crashed, and every seed, must still pass.
ctest --test-dir "$build" -L fuzz --output-on-failure

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in "$src"/fuzz_*.cpp; do
    name=$(basename "$f" .cpp)
    targets+=("${name#fuzz_}")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz_$t: FAILED (no such target: $bin)"
    failed=1
    continue
  fi
  # New inputs go to the build directory's corpus (first directory); the seeds stay untouched.
  work="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  dirs=("$work")
  for d in "$src/corpus/$t" "$src/regressions/$t"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  rc=0
  # shellcheck disable=SC2086
  timeout --kill-after=30 $((seconds + 300)) "$bin" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
    "${dirs[@]}" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -Eo 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz_$t: ok, ${runs:-?} runs in ${seconds}s, coverage ${cov:-?}, corpus ${corp:-?}"
  else
    failed=1
    what=$(grep -Eo 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+|runtime error: .*|fuzz invariant broken: .*|deadly signal' "$log" | head -1 || true)
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz_$t: FAILED (exit $rc: ${what:-see log}); input: ${crash:-none}; log: $log"
    grep -E -A40 'ERROR: |runtime error|fuzz invariant broken' "$log" | head -60 | sed 's/^/    /' || true
  fi
done
exit $failed
