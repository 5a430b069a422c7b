#!/usr/bin/env bash
# Attestations against a local docker-registry (no referrers API: bundles go through the
# sha256-<hex> index), measured side by side in one run:
#   1. attest N images with a real Trivy report (--type vuln, both formats) in one run;
#   2. verify-attestation of the N images with a vuln gate (--fail-on-severity CRITICAL) in one
#      run (a vuln rule reads both places: the newest scan may be in either), the same with
#      --format legacy (one place), and without a gate, against `verify` of the same N images'
#      signatures in one run: ms/image and requests/image of each, and their ratios;
#   3. one image attested with a large Trivy report (default 50 MB of compact JSON): the wall time
#      and peak RSS of attest and of verify-attestation (cosign output, gate on), and the RSS as a
#      multiple of the predicate's size.
# Usage: bench/attest.sh [N_IMAGES=1000] [LARGE_MB=50]
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=$PWD/bench
N=${1:-1000}
LARGE_MB=${2:-50}
ISIGN=${ISIGN:-$PWD/build/cli/isign}
REPORT=$PWD/testdata/attestations/trivy-alpine-310.json
. scripts/lib-registry.sh
. bench/lib.sh
bench_start

echo "pushing and signing $N images..." >&2
mapfile -t refs < <(python3 "$BENCH/push_images.py" "$REGISTRY" "bench/att" "$N" --one-repo-each)
[ "${#refs[@]}" -eq "$N" ] || { echo "pushing images failed" >&2; exit 1; }
"$ISIGN" sign "${FLAGS[@]}" --key bench.key "${refs[@]}" 2>/dev/null

stats "$ISIGN" attest "${FLAGS[@]}" --key bench.key --type vuln --predicate "$REPORT" "${refs[@]}"
ATTEST_MS=$MS ATTEST_REQ=$REQ
stats "$ISIGN" verify "${FLAGS[@]}" --key bench.pub "${refs[@]}"
VERIFY_MS=$MS VERIFY_REQ=$REQ
stats "$ISIGN" verify-attestation "${FLAGS[@]}" --key bench.pub --type vuln \
  --fail-on-severity CRITICAL "${refs[@]}"
VATT_MS=$MS VATT_REQ=$REQ
stats "$ISIGN" verify-attestation "${FLAGS[@]}" --key bench.pub --type vuln --format legacy \
  --fail-on-severity CRITICAL "${refs[@]}"
VLEG_MS=$MS VLEG_REQ=$REQ
stats "$ISIGN" verify-attestation "${FLAGS[@]}" --key bench.pub --type vuln "${refs[@]}"
VNOGATE_MS=$MS VNOGATE_REQ=$REQ

echo "making a ${LARGE_MB} MB Trivy report..." >&2
python3 - "$REPORT" "$LARGE_MB" >large.json <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
target = int(sys.argv[2]) * 1000 * 1000
base = report["Results"][0]["Vulnerabilities"]
vulns, size, i = [], 0, 0
while size < target:
    for v in base:
        v = dict(v, VulnerabilityID="CVE-2099-%d" % i)
        i += 1
        size += len(json.dumps(v, separators=(",", ":"))) + 1
        vulns.append(v)
report["Results"][0]["Vulnerabilities"] = vulns
json.dump(report, sys.stdout, separators=(",", ":"))
PY
SIZE_KB=$(( $(stat -c %s large.json) / 1024 ))
large=$(python3 "$BENCH/push_images.py" "$REGISTRY" "bench/large" 1 | head -1)
stats "$ISIGN" attest "${FLAGS[@]}" --key bench.key --type vuln --predicate large.json "$large"
LA_MS=$MS LA_RSS=$RSS
stats "$ISIGN" verify-attestation "${FLAGS[@]}" --key bench.pub --type vuln \
  --fail-on-severity CRITICAL "$large"
LV_MS=$MS LV_RSS=$RSS

per() { ratio "$1" "$N"; }
echo "isign attestation benchmark ($N images, one repository each; local docker-registry 2.8 over"
echo "HTTP, no referrers API; a real Trivy report of $(( $(stat -c %s "$REPORT") / 1024 )) KiB)"
printf '  %-52s %10s %10s\n' "" "ms/image" "req/image"
printf '  %-52s %10s %10s\n' "attest --type vuln, both formats ($N in one run)" "$(per "$ATTEST_MS")" "$(per "$ATTEST_REQ")"
printf '  %-52s %10s %10s\n' "verify signatures ($N in one run)" "$(per "$VERIFY_MS")" "$(per "$VERIFY_REQ")"
printf '  %-52s %10s %10s\n' "verify-attestation, vuln gate ($N in one run)" "$(per "$VATT_MS")" "$(per "$VATT_REQ")"
printf '  %-52s %10s %10s\n' "verify-attestation, vuln gate, --format legacy" "$(per "$VLEG_MS")" "$(per "$VLEG_REQ")"
printf '  %-52s %10s %10s\n' "verify-attestation, no gate ($N in one run)" "$(per "$VNOGATE_MS")" "$(per "$VNOGATE_REQ")"
printf '  %-52s %10sx %9sx\n' "verify-attestation (vuln gate) / verify" "$(ratio "$VATT_MS" "$VERIFY_MS")" "$(ratio "$VATT_REQ" "$VERIFY_REQ")"
printf '  %-52s %10sx %9sx\n' "same, --format legacy / verify" "$(ratio "$VLEG_MS" "$VERIFY_MS")" "$(ratio "$VLEG_REQ" "$VERIFY_REQ")"
echo "  a ${SIZE_KB} KiB predicate (compact Trivy JSON), one image:"
printf '  %-52s %8s ms %8s KiB %6sx\n' "attest (both formats)" "$LA_MS" "$LA_RSS" "$(ratio "$LA_RSS" "$SIZE_KB")"
printf '  %-52s %8s ms %8s KiB %6sx\n' "verify-attestation (gate, cosign output)" "$LV_MS" "$LV_RSS" "$(ratio "$LV_RSS" "$SIZE_KB")"
