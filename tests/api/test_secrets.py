"""After a run of the local consortium, no file of its home folder and no environment or command line of its
processes holds a secret or personal data in plain text: not the dev accounts' private keys nor their mnemonic, not
the keystore passphrase (outside its own file), not the names and ID numbers of the holders of the certificates
issued. Every file is its owner's only (0600), every folder too (0700)."""

from __future__ import annotations

import json
import random
import stat
from pathlib import Path

import httpx
import pytest

from api.demo import demo_batches, demo_licence
from api.launcher import service_env
from ledger.chain.bootstrap import load_description
from ledger.chain.node import DEV_MNEMONIC, dev_private_keys, free_port
from ledger.errors import LedgerValueError
from ledger.keys.keystore import read_passphrase_file
from tests.api.test_demo import ROOT, start, stop, wait_up

PASSPHRASE_FILE = Path("secrets") / "keystore-passphrase"


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def forms(text: str) -> list[bytes]:
    """The ways a string may be written to a file: UTF-8, JSON with non-ASCII escaped, and for a hex private key
    both cases and the raw bytes."""
    found = [text.encode(), json.dumps(text).strip('"').encode()]
    digits = text.removeprefix("0x")
    if len(digits) == 64 and all(c in "0123456789abcdefABCDEF" for c in digits):
        found += [digits.lower().encode(), digits.upper().encode(), bytes.fromhex(digits)]
    return list(dict.fromkeys(found))


def personal_data(records: list[dict[str, object]]) -> set[str]:
    return {str(r[field]) for r in records for field in ("holderName", "holderId")}


def test_a_demo_run_leaves_no_secret_or_personal_data_in_plain_text(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    process = start(home, free_port(), free_port(), workers=2, log=tmp_path / "run.log")
    try:
        demo = wait_up(home, process)
        issued = [record for _, records in demo_batches(demo["provinces"], 60) for record in records]  # type: ignore[arg-type]
        # One more licence, issued and verified through the service, so that every path has seen personal data.
        agency = next(a for p in demo["provinces"] for a in p["agencies"]  # type: ignore[attr-defined]
                      if "physician_certificate" in a["certificate_types"])  # fmt: skip
        record = demo_licence("physician_certificate", 310000, random.Random(7))
        api = f"{demo['api_url']}/api/v1"
        headers = {"X-API-Key": agency["api_key"], "Idempotency-Key": "secrets-scan-1"}
        answer = httpx.post(f"{api}/certificates", json={"certificates": [record]}, headers=headers, timeout=120)
        assert answer.status_code == 201, answer.text
        verdict = httpx.post(f"{api}/verify", json={"certificate": answer.json()["data"][0]}, timeout=60).json()
        assert verdict["verdict"] == "VALID", verdict
        issued.append(record)
        processes = {}
        for pid in descendants(process.pid):
            try:
                processes[pid] = Path(f"/proc/{pid}/environ").read_bytes() + Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
        passphrase = read_passphrase_file(home / PASSPHRASE_FILE)
    finally:
        assert stop(process) == 0

    accounts = max(20, len(load_description(ROOT / "examples" / "demo.yaml").accounts))
    secrets = {f"dev private key {i}": key for i, key in enumerate(dev_private_keys(accounts))}
    secrets["keystore passphrase"] = passphrase
    people = personal_data(issued)
    assert len(people) > 50
    needles = {form: what for what, value in secrets.items() for form in forms(value)}
    needles |= {form: f"personal data {value!r}" for value in people for form in forms(value)}
    file_needles = needles | {form: "dev mnemonic" for form in forms(DEV_MNEMONIC)}

    assert len(processes) >= 4, "the demo, its chain, its service and its workers"
    found = [
        f"process {pid}: {what}" for pid, data in processes.items() for form, what in needles.items() if form in data
    ]
    assert found == [], found

    leaks: list[str] = []
    modes: list[str] = []
    for path in sorted(home.rglob("*")):
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_dir():
            if mode != 0o700:
                modes.append(f"{path.relative_to(home)}/ {mode:o}")
            continue
        if mode & 0o077 or not mode & 0o400:  # private to the owner (0600, or 0400 as Kubo writes some of its own)
            modes.append(f"{path.relative_to(home)} {mode:o}")
        if path.relative_to(home) == PASSPHRASE_FILE:
            continue
        data = path.read_bytes()
        leaks += sorted({f"{path.relative_to(home)}: {what}" for form, what in file_needles.items() if form in data})
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert modes == [], modes
    assert leaks == [], leaks


def test_the_service_gets_the_passphrase_as_a_private_file_never_as_a_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HURONG_KEY_PASSPHRASE", "from the caller's environment")
    env = service_env(rpc_url="http://127.0.0.1:8545", home=tmp_path, passphrase="口令 passphrase")
    assert "HURONG_KEY_PASSPHRASE" not in env and not any("口令" in value for value in env.values())
    path = Path(env["HURONG_KEY_PASSPHRASE_FILE"])
    assert path == tmp_path / PASSPHRASE_FILE and read_passphrase_file(path) == "口令 passphrase"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with pytest.raises(LedgerValueError, match="in a file"):
        service_env(rpc_url="http://127.0.0.1:8545", home=tmp_path, HURONG_KEY_PASSPHRASE="x")
