"""The verification page's in-browser core (`web/src`, bundled into `api/static/dist/verify-core.js`) run in
Node on every shared vector (`tests/vectors/*.json`): the JavaScript and the Python reference give the same
canonical scalars, field hashes, digests, Merkle leaves, roots and proofs, and the same errors with the same
messages."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ledger.certificates import reference
from ledger.errors import LedgerValueError
from ledger.index import trust_bundle

ROOT = Path(__file__).parents[2]
BUNDLE = ROOT / "api" / "static" / "dist" / "verify-core.js"
VECTORS = ROOT / "tests" / "vectors"
RUNNER = ROOT / "tests" / "js" / "verify-core" / "vectors.mjs"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js on PATH")


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / name).read_text("ascii"))  # type: ignore[no-any-return]


@cache
def computed() -> dict[str, list[dict[str, Any]]]:
    """What the bundled core computes on every vector, as the Node runner prints it."""
    assert BUNDLE.exists(), f"{BUNDLE} is missing: scripts/setup.sh builds it from web/"
    run = subprocess.run(
        ["node", str(RUNNER), str(BUNDLE), str(VECTORS)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def python_error(call: Any) -> dict[str, str] | None:
    try:
        call()
    except LedgerValueError as exc:  # the reference's error, to compare with the JavaScript one
        return {"type": type(exc).__name__, "message": str(exc)}
    return None


def pairs(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    cases = load(f"{name}.json")
    got = computed()[name]
    assert len(got) == len(cases)
    return list(zip(cases, got, strict=True))


def test_scalars_serialise_in_javascript_as_in_python() -> None:
    for case, got in pairs("scalars"):
        expected = {"error": case["error"]} if "error" in case else {"canonical": case["canonical"]}
        assert got == expected, case
        if "error" not in case:
            assert reference.canonical_scalar(case["value"]) == got["canonical"]


def test_salted_fields_hash_in_javascript_as_in_python() -> None:
    for case, got in pairs("salting"):
        if "error" in case:
            assert got == {"error": case["error"]}, case["name"]
            continue
        assert got["fields"] == case["fields"], case["name"]
        assert got["digest"] == got["combined"] == case["digest"], case["name"]
        salts = iter(case["salts"])
        _, digest = reference.salt_fields(case["document"], case["suite"], salt=salts.__next__)
        assert digest.hex() == got["digest"]


def test_disclosed_documents_recompute_in_javascript_as_in_python() -> None:
    for case, got in pairs("disclosure"):
        if "error" in case:
            assert got == {"error": case["error"]}, case["name"]
            assert python_error(lambda c=case: reference.recompute_digest(c["document"])) == case["error"]
        else:
            assert got == {"digest": case["digest"]}, case["name"]
            assert reference.recompute_digest(case["document"]).hex() == got["digest"]


def test_merkle_trees_and_proofs_in_javascript_equal_python() -> None:
    for case, got in pairs("merkle"):
        assert got["root"] == case["root"]
        assert got["order"] == case["order"]
        assert got["leaves"] == case["leaves"]
        assert got["proofs"] == case["proofs"]
        assert all(got["verified"]) and not any(got["tampered"])
        tree = reference.MerkleTree([bytes.fromhex(d) for d in case["digests"]])
        assert tree.root.hex() == got["root"]


def test_every_vector_is_run_and_both_suites_are_covered() -> None:
    salting = load("salting.json")
    assert {c["suite"] for c in salting} >= {"default", "sm"}
    assert sum("error" in c for c in load("disclosure.json")) > 5
    assert all(len(computed()[name]) == len(load(f"{name}.json")) for name in ("scalars", "salting", "disclosure"))


def check_in_javascript(cases: list[dict[str, Any]], now: int) -> list[dict[str, Any]]:
    run = subprocess.run(
        ["node", str(RUNNER.with_name("bundle.mjs")), str(BUNDLE), str(now)],
        input=json.dumps(cases, ensure_ascii=False),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_javascript_accepts_the_bundles_python_signs_and_refuses_changed_ones(tmp_path: Path) -> None:
    key = trust_bundle.load_or_create_key(tmp_path)
    payload: dict[str, Any] = {
        "format": trust_bundle.FORMAT,
        "chainId": 31337,
        "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "block": {"number": 42, "hash": "0x" + "ab" * 32},
        "generatedAt": 1_800_000_000,
        "keyId": key.key_id,
        "provinces": [{"code": "310000", "name": "上海市", "status": "active", "statusSince": 1}],
        "agencies": [
            {
                "address": "0x" + "12" * 20,
                "name": "上海市市场监督管理局 “AMR” \\ 𠮷",
                "province": "310000",
                "parent": None,
                "status": "active",
                "statusSince": 5,
            }
        ],
        "roots": [
            {
                "root": "0x" + "cd" * 32,
                "agency": "0x" + "12" * 20,
                "count": 3,
                "block": 40,
                "anchoredAt": 1_799_999_000,
                "revokedAt": None,
            }
        ],
        "statuses": [],
        "statusLists": [],
        "signingKeys": [
            {
                "keyId": "0x" + "ef" * 32,
                "agency": "0x" + "12" * 20,
                "algorithm": "Ed25519",
                "publicKey": "0x" + key.public_hex,
                "validFrom": 0,
                "validUntil": 2**48 - 1,
                "revokedAt": None,
            }
        ],
    }
    signed = trust_bundle.sign(payload, key)
    changed = json.loads(json.dumps(signed))
    changed["payload"]["agencies"][0]["name"] = "上海市市场监督管理局"
    other = trust_bundle.load_or_create_key(tmp_path / "other")
    cases = [
        {"bundle": signed, "publicKey": key.public_hex},
        {"bundle": changed, "publicKey": key.public_hex},
        {"bundle": signed, "publicKey": other.public_hex},
        {"bundle": {"payload": payload}, "publicKey": key.public_hex},
        {"bundle": signed, "publicKey": "not a key"},
    ]
    got = check_in_javascript(cases, now=1_800_010_800)
    assert got == [
        {"ok": True, "age": 10_800},
        {"ok": False, "code": "bad_signature"},
        {"ok": False, "code": "bad_signature"},
        {"ok": False, "code": "bad_signature"},
        {"ok": False, "code": "bad_key"},
    ]
    assert trust_bundle.age_seconds(trust_bundle.check(signed, key.public_hex), 1_800_010_800) == 10_800
