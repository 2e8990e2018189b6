#!/usr/bin/env bash
# Generates the low-level client from openapi/legit-health.yaml into DEST (default: generated/).
# Used by `make generate` (writes generated/) and `make check-generated` (writes a temp folder
# and compares), so both run the very same recipe.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/generated}
bin=$(cd "${BIN:-$root/.venv/bin}" && pwd)
pkg=legithealth_generated
rm -rf "$dest/$pkg"
mkdir -p "$dest"
# The post-hooks call `ruff` from PATH: make it the pinned one from the venv.
PATH="$bin:$PATH" RUFF_CACHE_DIR="$(mktemp -d)" "$bin/openapi-python-client" generate \
  --path "$root/openapi/legit-health.yaml" \
  --config "$root/openapi/generator-config.yaml" \
  --meta none \
  --output-path "$dest/$pkg" \
  --fail-on-warning >/dev/null
# The generator writes no py.typed with --meta none; the package ships typed.
: > "$dest/$pkg/py.typed"
