#!/usr/bin/env bash
# The isign demo: installs what is needed, builds, starts a local registry, pushes a small image,
# generates keys, signs by digest, triangulates, verifies, then shows tampering being caught, and
# attests a scanner's report and gates on it; last, shows what is attached (tree) and saves it all to
# an OCI layout verified offline.
# Offline; no Docker engine; the registry is Debian's docker-registry on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The demo runs the isign binary alone: it builds only that, without the tests, in its own build
# dir (scripts/test.sh builds and runs everything in build/).
DEMO_BUILD_DIR=${DEMO_BUILD_DIR:-build-demo}
BUILD_DIR=$DEMO_BUILD_DIR BUILD_TARGETS=isign scripts/build.sh -DISIGN_BUILD_TESTS=OFF >/dev/null
ISIGN=$PWD/$DEMO_BUILD_DIR/cli/isign
SCAN=$PWD/testdata/attestations/trivy-alpine-310.json # a real Trivy report (testdata/PROVENANCE.md)
. scripts/lib-registry.sh

WORK=$(mktemp -d /tmp/isign-demo.XXXXXX)
trap 'stop_registry; rm -rf "$WORK"' EXIT
cd "$WORK"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
expect_fail() {
  printf '$ %s\n' "$*"
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then echo "demo: expected a failure, but it succeeded" >&2; exit 1; fi
  echo "(exit code $rc, as expected)"
}

step "Starting a local registry"
start_registry "$WORK/registry"
echo "registry at $REGISTRY (log: $WORK/registry/registry.log)"
FLAGS=(--allow-http-registry)

step "Pushing a small generated image as $REGISTRY/demo/app:v1"
DIGEST=$(push_image demo/app v1 "hello from isign")
echo "pushed $REGISTRY/demo/app@$DIGEST"

step "Generating a key pair (password from COSIGN_PASSWORD)"
export COSIGN_PASSWORD=demo-password
run "$ISIGN" generate-key-pair
run head -c 120 cosign.key; echo " ..."
run cat cosign.pub

step "Signing by digest (both formats: the .sig for cosign v2 and podman, a bundle for cosign v3)"
run "$ISIGN" sign "${FLAGS[@]}" --key cosign.key "$REGISTRY/demo/app@$DIGEST"

step "Where the signatures live"
run "$ISIGN" triangulate "${FLAGS[@]}" "$REGISTRY/demo/app@$DIGEST"
run "$ISIGN" triangulate "${FLAGS[@]}" --type bundle "$REGISTRY/demo/app@$DIGEST"

step "Verifying"
run "$ISIGN" verify "${FLAGS[@]}" --key cosign.pub "$REGISTRY/demo/app@$DIGEST"

step "Verifying by tag (works, with a warning that tags can move)"
run "$ISIGN" verify "${FLAGS[@]}" --key cosign.pub --output text "$REGISTRY/demo/app:v1"

step "Tamper 1: someone re-tags v1 to another, unsigned image"
OTHER=$(push_image demo/app v1 "not what you signed")
echo "v1 now points to $OTHER"
expect_fail "$ISIGN" verify "${FLAGS[@]}" --key cosign.pub "$REGISTRY/demo/app:v1"

step "Tamper 2: the new image is signed, but with an attacker's key"
COSIGN_PASSWORD=attacker run "$ISIGN" generate-key-pair --output-key-prefix attacker
COSIGN_PASSWORD=attacker run "$ISIGN" sign "${FLAGS[@]}" --key attacker.key "$REGISTRY/demo/app@$OTHER"
expect_fail "$ISIGN" verify "${FLAGS[@]}" --key cosign.pub "$REGISTRY/demo/app@$OTHER"

step "The original image still verifies"
run "$ISIGN" verify "${FLAGS[@]}" --key cosign.pub --output text "$REGISTRY/demo/app@$DIGEST"

step "Attesting what a scanner found (a Trivy JSON report) and gating on it"
run "$ISIGN" attest "${FLAGS[@]}" --key cosign.key --type vuln --predicate "$SCAN" \
  "$REGISTRY/demo/app@$DIGEST"
printf '$ %s\n' "$ISIGN verify-attestation ${FLAGS[*]} --key cosign.pub --type vuln --fail-on-severity HIGH $REGISTRY/demo/app@$DIGEST >/dev/null"
"$ISIGN" verify-attestation "${FLAGS[@]}" --key cosign.pub --type vuln --fail-on-severity HIGH \
  "$REGISTRY/demo/app@$DIGEST" >/dev/null
echo "(no finding at HIGH or above: passed; stdout held the verified envelope)"
expect_fail "$ISIGN" verify-attestation "${FLAGS[@]}" --key cosign.pub --type vuln \
  --fail-on-severity MEDIUM "$REGISTRY/demo/app@$DIGEST"

step "What is attached to the image, and carrying it all to an air-gapped disk"
run "$ISIGN" tree "${FLAGS[@]}" --key cosign.pub "$REGISTRY/demo/app@$DIGEST"
run "$ISIGN" save "${FLAGS[@]}" --dir airgap "$REGISTRY/demo/app@$DIGEST"
# The layout's signatures name the registry's repository: verify checks the layout as that one.
run "$ISIGN" verify --key cosign.pub --identity "$REGISTRY/demo/app" --output text \
  "oci:airgap@$DIGEST"

step "Done: stopping the registry"
