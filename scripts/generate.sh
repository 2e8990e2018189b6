#!/usr/bin/env bash
# Generates the low-level client from the contract, openapi/legit-health.yaml (the base, SPEC_PATH)
# plus our marks in openapi/legit-health.overlay.yaml (OVERLAY_PATH), into DEST/_generated (default
# DEST: generated/). Used by `make generate` (writes generated/) and `make check-generated` (writes
# a temp folder and compares), so both run the very same recipe. The generator writes into a
# temporary folder first: DEST/_generated is replaced only when generation succeeded, so a failed
# run leaves the tree as it was.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/generated}
spec=${SPEC_PATH:-$root/openapi/legit-health.yaml}
overlay=${OVERLAY_PATH:-$root/openapi/legit-health.overlay.yaml}
bin=$(cd "${BIN:-$root/.venv/bin}" && pwd)
pkg=_generated
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/python" "$root/scripts/overlay.py" apply "$spec" "$overlay" > "$work/contract.yaml"
# The post-hooks call `ruff` from PATH: make it the pinned one from the venv.
PATH="$bin:$PATH" RUFF_CACHE_DIR="$work/.ruff" "$bin/openapi-python-client" generate \
  --path "$work/contract.yaml" \
  --config "$root/openapi/generator-config.yaml" \
  --custom-template-path "$root/openapi/templates" \
  --meta none \
  --output-path "$work/$pkg" \
  --fail-on-warning >/dev/null
# The generator writes no py.typed with --meta none; the package ships typed.
: > "$work/$pkg/py.typed"
rm -rf "$dest/$pkg"
mv "$work/$pkg" "$dest/$pkg"
