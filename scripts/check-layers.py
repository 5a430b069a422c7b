#!/usr/bin/env python3
"""Checks the folder rules of ARCHITECTURE.md on every git-tracked *.cpp / *.h file.

Each folder is its own CMake target, but the linker only catches an arrow pointing the wrong way
once someone links it; this check reads the sources and fails at once, naming the line.

Rule "layers": a `#include "folder/..."` may name only the file's own folder or a floor below it:
    common   -> (nothing)
    keys     -> common                      registry -> common
    cosign   -> common, keys, registry
    sign     -> common, keys, registry, cosign
    verify   -> common, keys, registry, cosign
    server   -> common, keys, registry, cosign, verify
    cli      -> every library
    tests/, bench/ -> anything
So keys and registry never include each other, sign and verify never include each other, and no
library includes cli/ (or tests/). A quoted include must start with its folder ("keys/keys.h"),
so a relative path cannot slip past the rule.

Rule "cosign-format": only cosign/ knows cosign's formats. In common keys registry sign verify
server cli, the code (comments stripped; tests/, bench/, testdata/ and docs are not checked) may not contain
    application/vnd.dev.cosign   dev.cosignproject.cosign   cosign container image signature
    .sig"   ".sig   .att"   ".att   (a string literal building the sha256-<hex>.sig/.att tag)
    application/vnd.dev.sigstore.bundle   dev.sigstore.bundle.   sigstore.dev/cosign/sign
    application/vnd.in-toto   application/vnd.dsse.envelope   in-toto.io/Statement
                                 (the bundle, its referrer annotations, DSSE and the statement)
Exception: in cli/ a string literal containing `<hex>` is help text describing the tag, not code
building it, and is ignored.

Works whether or not cosign/ exists yet. Prints `file:line: <rule>: <what>` per violation and
exits 1 if there is any. Run from anywhere: scripts/check-layers.sh
"""
import re
import subprocess
import sys
from pathlib import Path

FLOORS = {
    "common": set(),
    "keys": {"common"},
    "registry": {"common"},
    "cosign": {"common", "keys", "registry"},
    "sign": {"common", "keys", "registry", "cosign"},
    "verify": {"common", "keys", "registry", "cosign"},
    "server": {"common", "keys", "registry", "cosign", "verify"},
    "cli": {"common", "keys", "registry", "cosign", "sign", "verify", "server"},
}
ANYTHING = {"tests", "bench"}
FOLDERS = set(FLOORS) | ANYTHING | {"testdata"}
FORMAT_FOLDERS = {"common", "keys", "registry", "sign", "verify", "server", "cli"}
FORMAT = re.compile(r'application/vnd\.dev\.cosign|dev\.cosignproject\.cosign|'
                    r'cosign container image signature|"\.sig|\.sig"|"\.att|\.att"|'
                    r'application/vnd\.dev\.sigstore\.bundle|dev\.sigstore\.bundle\.|'
                    r'sigstore\.dev/cosign/sign|application/vnd\.in-toto|'
                    r'application/vnd\.dsse\.envelope|in-toto\.io/Statement')
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]*)"', re.M)


def strip_comments(text, drop_literal=lambda lit: False):
    """text with // and /* */ comments blanked (newlines kept, so line numbers hold). String,
    char and raw string literals are copied as they are, or blanked to "" when drop_literal says."""
    out, i, n = [], 0, len(text)
    while i < n:
        c, nxt = text[i], text[i + 1:i + 2]
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "/" and nxt == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "'" and not is_digit_separator(text, i)):
            raw = re.match(r'R"([^(\s]*)\(', text[i - 1:i + 20]) if i > 0 else None
            if raw:  # R"delim( ... )delim"
                end = text.find(")" + raw.group(1) + '"', i)
                j = n if end < 0 else end + len(raw.group(1)) + 2
            else:
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                j += 1
            lit = text[i:j]
            out.append('""' + "\n" * lit.count("\n") if drop_literal(lit) else lit)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def is_digit_separator(text, i):
    """True for the ' in 1'000 (a digit separator), false for u8'x' or 'x'."""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_.'"):
        j -= 1
    return j < i and text[j].isdigit()


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def check(path, text):
    folder = path.split("/", 1)[0]
    problems = []
    code = strip_comments(text)
    if folder in FLOORS:
        for m in INCLUDE.finditer(code):
            target = m.group(1).split("/", 1)[0]
            line = line_of(code, m.start())
            if "/" not in m.group(1) or target not in FOLDERS:
                problems.append((line, "layers", f'include "{m.group(1)}" does not name its '
                                 'folder (write "folder/file.h")'))
            elif target != folder and target not in FLOORS[folder]:
                problems.append((line, "layers", f'{folder}/ may not include {target}/ '
                                 f'("{m.group(1)}")'))
    if folder in FORMAT_FOLDERS:
        if folder == "cli":
            code = strip_comments(text, lambda lit: "<hex>" in lit)
        for m in FORMAT.finditer(code):
            problems.append((line_of(code, m.start()), "cosign-format",
                             f"'{m.group()}' outside cosign/ (cosign's formats live in cosign/)"))
    return problems


def main():
    root = Path(__file__).resolve().parent.parent
    files = subprocess.run(["git", "-C", str(root), "ls-files", "--", "*.cpp", "*.h"],
                           check=True, capture_output=True, text=True).stdout.split()
    found = 0
    for path in files:
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        for line, rule, what in sorted(check(path, text)):
            print(f"{path}:{line}: {rule}: {what}")
            found += 1
    if found:
        print(f"check-layers: {found} violation(s) of the folder rules in ARCHITECTURE.md")
        return 1
    print(f"check-layers: {len(files)} files follow the folder rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
