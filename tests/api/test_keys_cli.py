"""`hurong keys …`: API keys created, listed and revoked from the command line, stored only as hashes."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from api.keys import ApiKeyStore

AGENCY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"


def hurong(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args, "--home", str(home)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_keys_are_created_shown_once_stored_hashed_and_revoked(tmp_path: Path) -> None:
    created = hurong(tmp_path, "keys", "create", "--agency", AGENCY.lower(), "--label", "上海市市场监督管理局")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"hr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    store = ApiKeyStore(tmp_path / "api-keys.sqlite")
    principal = store.authenticate(key)
    assert principal is not None and principal.role == "agency" and principal.subject == AGENCY
    secret = key.split("_", 2)[2]
    dump = b"".join(bytes(str(row), "utf-8") for row in sqlite3.connect(tmp_path / "api-keys.sqlite").iterdump())
    assert secret.encode() not in dump
    listed = hurong(tmp_path, "keys", "list")
    assert principal.key_id in listed.stdout and secret not in listed.stdout
    assert hurong(tmp_path, "keys", "revoke", principal.key_id).returncode == 0
    assert store.authenticate(key) is None
    again = hurong(tmp_path, "keys", "revoke", principal.key_id)
    assert again.returncode == 1 and "no active key" in again.stderr


def test_province_keys_and_bad_arguments(tmp_path: Path) -> None:
    assert hurong(tmp_path, "keys", "create", "--province", "330000").returncode == 0
    for args, message in (
        (["keys", "create"], "exactly one of"),
        (["keys", "create", "--agency", "0x1234"], "invalid agency address"),
        (["keys", "create", "--province", "330100"], "not a GB/T 2260 province-level code"),
    ):
        proc = hurong(tmp_path, *args)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_tampered_or_malformed_keys_do_not_authenticate(tmp_path: Path) -> None:
    store = ApiKeyStore(tmp_path / "k.sqlite")
    key, _ = store.create("province", "310000")
    assert store.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    for bad in ("", "hr_", "x" * 60, key.replace("hr_", "hx_")):
        assert store.authenticate(bad) is None


def test_the_key_database_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "home" / "api-keys.sqlite"
        ApiKeyStore(path).create("province", "310000")
    finally:
        os.umask(old)
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    ApiKeyStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "an existing database is made private again"
