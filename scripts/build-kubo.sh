#!/usr/bin/env bash
# Builds Kubo (the reference IPFS daemon) v0.43.1 once per machine into
# ${XDG_CACHE_HOME:-$HOME/.cache}/hurong/kubo-v0.43.1/ipfs, from the Go module proxy, through the wrapper module
# tools/kubo (Kubo's go.mod carries exclude directives, so `go install github.com/ipfs/kubo/cmd/ipfs@…` refuses).
# Safe to run again: it does nothing when that binary is present and reports 0.43.1.
set -euo pipefail

VERSION=0.43.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${XDG_CACHE_HOME:-$HOME/.cache}/hurong/kubo-v${VERSION}"
IPFS="$DEST/ipfs"

# Read whole before matching, as in build-geth.sh (grep -q under pipefail).
if [ -x "$IPFS" ] && grep -q "ipfs version ${VERSION}" <<<"$("$IPFS" version 2>/dev/null || true)"; then
  echo "==> kubo ${VERSION} present: $IPFS"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is needed to build kubo ${VERSION}" >&2
  exit 1
fi

echo "==> building kubo ${VERSION} into $DEST (several minutes)"
mkdir -p "$DEST"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Built from a copy so the build never writes into the repository (go.sum stays as committed).
cp "$ROOT/tools/kubo/go.mod" "$ROOT/tools/kubo/go.sum" "$ROOT/tools/kubo/main.go" "$WORK/"
(cd "$WORK" && GOFLAGS="-trimpath -mod=mod" CGO_ENABLED=0 go build -o "$WORK/ipfs" .)

install -m 0755 "$WORK/ipfs" "$IPFS.tmp"
mv "$IPFS.tmp" "$IPFS"
"$IPFS" version
echo "==> kubo ${VERSION} built: $IPFS"
