"""The external programs a script of the project builds once per machine into a version-keyed cache folder."""

from __future__ import annotations

import os
from pathlib import Path

from ledger.errors import ToolchainError


def built_binary(name: str, version: str, *, binary: str, env: str, script: str) -> Path:
    """The program `binary` of `name` at `version`: `$env` when set, else the one `scripts/<script>` builds into
    `${XDG_CACHE_HOME:-~/.cache}/hurong/<name>-v<version>/`; `ToolchainError` naming the script when missing."""
    given = os.environ.get(env)
    if given:
        return Path(given)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = cache / "hurong" / f"{name}-v{version}" / binary
    if not path.is_file():
        raise ToolchainError(f"{name} {version} not found at {path}: run scripts/{script}")
    return path
