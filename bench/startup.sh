#!/usr/bin/env bash
# What process start costs, side by side in one run (median of RUNS, alternated round by round):
# an empty C++ program; the same linked (and loaded: --no-as-needed) with what isign links but
# libcurl (OpenSSL's libcrypto and libssl, libsodium); the same with libcurl too (and its ~30
# dependencies); `isign version`. The differences are what dynamic loading costs, and what a
# slimmer link could save.
# Usage: bench/startup.sh [RUNS=200]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
[ -x "$ISIGN" ] || { echo "build isign first (scripts/build.sh), or set ISIGN" >&2; exit 2; }
WORK=$(mktemp -d /tmp/isign-startup.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo 'int main() { return 0; }' >"$WORK/empty.cpp"
c++ -O2 -o "$WORK/empty" "$WORK/empty.cpp"
c++ -O2 -o "$WORK/crypto" "$WORK/empty.cpp" -Wl,--no-as-needed -lssl -lcrypto -lsodium
c++ -O2 -o "$WORK/curl" "$WORK/empty.cpp" -Wl,--no-as-needed -lcurl -lssl -lcrypto -lsodium

# Runs every program once per round, RUNS rounds; prints each one's median in microseconds.
python3 - "$RUNS" "$WORK/empty" "$WORK/crypto" "$WORK/curl" "$ISIGN" <<'PY'
import statistics, subprocess, sys, time
runs, progs = int(sys.argv[1]), sys.argv[2:]
names = ["empty C++ program", "+ libssl, libcrypto, libsodium", "+ libcurl (all isign links)",
         "isign version"]
times = {p: [] for p in progs}
for _ in range(runs):
    for p in progs:
        args = [p, "version"] if p.endswith("isign") else [p]
        t0 = time.perf_counter_ns()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[p].append((time.perf_counter_ns() - t0) / 1e6)
base = statistics.median(times[progs[0]])
print(f"process start, median of {runs} alternated runs (ms; difference to the empty program)")
for name, p in zip(names, progs):
    m = statistics.median(times[p])
    print(f"  {name:34s} {m:7.2f}   +{m - base:5.2f}")
print("libraries loaded by isign:", subprocess.run(["sh", "-c", f"ldd {progs[3]} | wc -l"],
      capture_output=True, text=True).stdout.strip())
PY
