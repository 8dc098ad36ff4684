#!/usr/bin/env bash
# Builds the native core (native/, Rust + PyO3) into a wheel once per machine and installs it into .venv.
#
# The wheel is cached in ${XDG_CACHE_HOME:-$HOME/.cache}/hurong/native/<key>, where <key> hashes the crate's
# sources and the Rust compiler's version; nothing is built or installed when .venv already holds the module
# of that key. Without cargo the ledger runs on its pure-Python reference (it warns once at start-up).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
CRATE=native
if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
  echo "warning: no Rust toolchain (cargo, rustc): the ledger will use its pure-Python hashing" >&2
  exit 0
fi

key=$(
  {
    rustc -vV
    "$PY" -c 'import sys; print(sys.implementation.cache_tag)'
    (cd "$CRATE" && find Cargo.toml Cargo.lock pyproject.toml hurong_native.pyi src -type f | LC_ALL=C sort |
      xargs sha256sum)
  } | sha256sum | cut -c1-16
)
installed=$("$PY" -c 'import hurong_native; print(hurong_native.__build_key__)' 2>/dev/null || true)
if [ "$installed" = "$key" ]; then
  exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/hurong/native/$key"
wheel=$(ls "$cache"/*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  if ! "$PY" -m maturin --version >/dev/null 2>&1; then
    echo "==> installing maturin"
    "$PY" -m pip install --quiet "maturin>=1.7,<2"
  fi
  echo "==> building the native core ($key)"
  mkdir -p "$(dirname "$cache")"
  staging=$(mktemp -d "$(dirname "$cache")/.build-XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  started=$SECONDS
  HURONG_NATIVE_BUILD_KEY="$key" "$PY" -m maturin build --quiet --release \
    --manifest-path "$CRATE/Cargo.toml" --interpreter "$PY" --out "$staging"
  echo "    built in $((SECONDS - started)) s"
  mv -T "$staging" "$cache" 2>/dev/null || true  # another build of the same key may have won the race
  wheel=$(ls "$cache"/*.whl | head -n1)
fi
echo "==> installing $(basename "$wheel")"
"$PY" -m pip install --quiet --force-reinstall --no-deps "$wheel"
