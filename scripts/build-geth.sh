#!/usr/bin/env bash
# Builds go-ethereum v1.13.15 (the last release that seals Clique blocks) once per machine into
# ${XDG_CACHE_HOME:-$HOME/.cache}/hurong/geth-v1.13.15/geth, from the Go module proxy.
# Safe to run again: it does nothing when that binary is present and reports 1.13.15.
set -euo pipefail

VERSION=1.13.15
DEST="${XDG_CACHE_HOME:-$HOME/.cache}/hurong/geth-v${VERSION}"
GETH="$DEST/geth"

# The version is read whole before matching: `geth version | grep -q` would fail under pipefail whenever grep
# stops reading first and geth dies of SIGPIPE.
if [ -x "$GETH" ] && grep -q "^Version: ${VERSION}" <<<"$("$GETH" version 2>/dev/null || true)"; then
  echo "==> geth ${VERSION} present: $GETH"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is needed to build geth ${VERSION}" >&2
  exit 1
fi

echo "==> building geth ${VERSION} into $DEST (a few minutes)"
mkdir -p "$DEST"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# geth 1.13 links github.com/fjl/memsize, which newer Go linkers refuse: build with a Go 1.22 toolchain
# from the module proxy, falling back to the installed Go with the linkname check off.
build() {
  GOBIN="$WORK/bin" GOFLAGS=-trimpath CGO_ENABLED=1 "$@" \
    go install "github.com/ethereum/go-ethereum/cmd/geth@v${VERSION}"
}
built=
for toolchain in go1.22.12 go1.22.10 go1.22.8; do
  echo "==> trying toolchain $toolchain"
  if GOTOOLCHAIN="$toolchain" build; then
    built=1
    break
  fi
done
if [ -z "$built" ]; then
  echo "==> trying the installed Go with -checklinkname=0"
  GOTOOLCHAIN=local GOFLAGS="-trimpath -ldflags=-checklinkname=0" GOBIN="$WORK/bin" \
    go install "github.com/ethereum/go-ethereum/cmd/geth@v${VERSION}"
fi

install -m 0755 "$WORK/bin/geth" "$GETH.tmp"
mv "$GETH.tmp" "$GETH"
"$GETH" version | head -2
echo "==> geth ${VERSION} built: $GETH"
