#!/usr/bin/env bash
# Checks the folder rules of ARCHITECTURE.md (which folder may include which; only cosign/ knows
# cosign's formats). The rules and their exceptions are in check-layers.py's header.
exec python3 "$(dirname "$0")/check-layers.py" "$@"
