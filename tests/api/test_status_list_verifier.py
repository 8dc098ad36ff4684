"""The verifier reading a certificate's status lists beside the chain: silent while they agree with the chain at
every transition, `status_list_disagrees` for a stale copy of a list, `status_list_unreadable` when a list cannot be
read; the verdict is the chain's in every case. Through the command line too (`hurong verify --status-lists`)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from ledger.certificates.status_list import carried_entries
from ledger.verification.status_lists import http_fetch
from ledger.verification.verifier import INVALID, VALID, Verifier
from tests.api.conftest import Server, own_server
from tests.api.supervised import hurong
from tests.api.test_status_lists import TRANSITIONS, _change, _issue


def _codes(result: Any) -> list[str]:
    return [w.code for w in result.warnings if w.code.startswith("status_list")]


def test_the_lists_agree_with_the_chain_at_every_transition(server: Server) -> None:
    [certificate] = _issue(server)
    verifier = Verifier(server.chain_client(), status_lists=http_fetch())
    for action, reason, _, learned in TRANSITIONS:
        if action is not None:
            _change(server, certificate["proof"]["digest"], action, reason)
        result = verifier.verify(certificate)
        assert result.verdict == (VALID if not any(learned.values()) else INVALID)
        assert _codes(result) == [], result.warnings


def test_a_stale_list_disagrees_and_an_unreachable_one_is_unreadable(server: Server) -> None:
    [certificate] = _issue(server)
    [_, suspension] = carried_entries(certificate)
    before = httpx.get(suspension["statusListCredential"]).json()  # a copy of the list kept by a cache
    _change(server, certificate["proof"]["digest"], "suspend", "under_investigation")
    live = http_fetch()

    def stale(url: str) -> Any:
        return before if url == suspension["statusListCredential"] else live(url)

    result = Verifier(server.chain_client(), status_lists=stale).verify(certificate)
    assert result.verdict == INVALID and {c.name: c.code for c in result.checks}["status"] == "suspended"
    [warning] = [w for w in result.warnings if w.code == "status_list_disagrees"]
    assert warning.details["statusPurpose"] == "suspension" and warning.details["listSays"] is False
    assert warning.details["chainSays"] == "suspended"

    def unreachable(url: str) -> Any:
        return live(url.replace(server.url, "http://127.0.0.1:9"))

    result = Verifier(server.chain_client(), status_lists=unreachable).verify(certificate)
    assert result.verdict == INVALID
    assert _codes(result) == ["status_list_unreadable", "status_list_unreadable"]
    assert Verifier(server.chain_client()).verify(certificate).warnings == ()


def test_hurong_verify_reads_the_lists_when_asked(server: Server, tmp_path: Path) -> None:
    [certificate] = _issue(server)
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(certificate, ensure_ascii=False), encoding="utf-8")
    base = ["verify", str(path), "--json", "--rpc", server.chain.url, "--deployments", str(server.home / "deployments")]
    done = hurong(*base, "--status-lists")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["verdict"] == "VALID" and answer["warnings"] == []
    _change(server, certificate["proof"]["digest"], "suspend", "under_investigation")
    done = hurong(*base, "--status-lists")
    answer = json.loads(done.stdout)
    assert done.returncode == 1 and answer["verdict"] == "INVALID" and answer["warnings"] == []
    assert {c["name"]: c["code"] for c in answer["checks"]}["status"] == "suspended"


def test_two_workers_issuing_at_once_never_share_an_index(tmp_path: Path) -> None:
    with own_server(tmp_path, workers=2) as running:

        def issue(_: int) -> list[dict[str, Any]]:
            return _issue(running, 4)

        with ThreadPoolExecutor(6) as pool:
            issued = [c for batch in pool.map(issue, range(6)) for c in batch]
    drawn = [(e["statusListCredential"], e["statusListIndex"]) for c in issued for e in carried_entries(c)]
    assert len(issued) == 24 and len(drawn) == 48
    assert len(set(drawn)) == len(drawn)
