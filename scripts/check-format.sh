#!/usr/bin/env bash
# Checks that every git-tracked C++ source (*.cpp, *.h) in the code folders is formatted as the
# repository's .clang-format says, with clang-format 14 (Debian 12's; other versions format
# differently, so CI pins this one). Prints the files that differ and exits 1.
#   scripts/check-format.sh          check only (CI)
#   scripts/check-format.sh --fix    rewrite the files in place
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format-14}

folders=()
for d in common keys registry cosign sign verify cli tests bench; do
  [ -d "$d" ] && folders+=("$d")
done
mapfile -t files < <(git ls-files -- "${folders[@]/%//*.cpp}" "${folders[@]/%//*.h}")
[ ${#files[@]} -gt 0 ] || exit 0

case "${1:-}" in
  "") ;;
  --fix)
    "$clang_format" -i --style=file "${files[@]}"
    echo "check-format: formatted ${#files[@]} files"
    exit 0
    ;;
  *) echo "usage: scripts/check-format.sh [--fix]" >&2; exit 2 ;;
esac

# One run over every file; clang-format names each file that differs in its diagnostics.
rc=0
out=$("$clang_format" --style=file --dry-run -Werror "${files[@]}" 2>&1) || rc=$?
[ "$rc" -eq 0 ] && { echo "check-format: ${#files[@]} files clean"; exit 0; }
bad=$(sed -nE 's/^(.+):[0-9]+:[0-9]+: error: code should be clang-formatted.*/\1/p' <<<"$out" |
  sort -u)
[ -n "$bad" ] || { echo "$out"; echo "check-format: $clang_format failed (exit $rc)"; exit 1; }
echo "$bad"
echo "check-format: $(wc -l <<<"$bad") of ${#files[@]} files are not $clang_format clean;" \
  "fix with: scripts/check-format.sh --fix"
exit 1
