"""Status list hashes anchored on chain by a real service: after every transition (valid → suspended → reinstated →
revoked) the maintained decoder (npm @digitalbazaar/vc-bitstring-status-list) reads the chain's status from the
served list, and once the publishing interval has passed the chain records the served list's hash; `hurong
status-list check` accepts the served list and refuses a tampered one."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.status_lists import StatusListPublisher, StatusLists
from ledger.certificates.status_list import carried_entries, encode_list, list_hash, list_id
from ledger.chain.contract_errors import CertificateRegistryAgencyNotActive
from ledger.errors import LedgerValueError
from ledger.index.indexer import Indexer
from tests.api.conftest import Server, own_server
from tests.api.supervised import hurong, wait_for
from tests.api.test_status_lists import (
    TRANSITIONS,
    _chain_status,
    _change,
    _entries,
    _issue,
    _standard_check,
    pytestmark,
)

__all__ = ["pytestmark"]

INTERVAL = 1.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("status-list-anchoring")
    env = {"HURONG_STATUS_LIST_INTERVAL": str(INTERVAL)}
    if os.environ.get("HURONG_NATIVE"):  # the choice of core reaches the service
        env["HURONG_NATIVE"] = os.environ["HURONG_NATIVE"]
    with own_server(home, env) as running:
        yield running


def _anchored(url: str) -> httpx.Response:
    """The list at `url` once the service says its hash is anchored (within a few publishing intervals)."""
    answer = wait_for(lambda: (r := httpx.get(url)).headers.get("hurong-anchor-state") == "anchored" and r, 30.0)
    assert answer, f"{url} was not anchored: {httpx.get(url).headers}"
    return answer


def _check(server: Server, source: str | Path, *more: str) -> Any:
    return hurong("status-list", "check", str(source), "--rpc", server.chain.url,
                  "--deployments", str(server.home / "deployments"), *more)  # fmt: skip


def test_every_transition_is_anchored_and_read_by_a_standard_verifier(server: Server) -> None:
    [certificate] = _issue(server)
    digest = certificate["proof"]["digest"]
    entries = carried_entries(certificate)
    assert entries == _entries(server, digest)
    agency = server.addr("sh_amr")
    registry = server.chain_client().certificates
    for action, reason, on_chain, learned in TRANSITIONS:
        if action is not None:
            _change(server, digest, action, reason)
        assert _chain_status(server, certificate) == on_chain
        assert _standard_check(certificate) == learned
        for entry in entries:
            served = _anchored(entry["statusListCredential"])
            credential = served.json()
            identifier = list_id(entry["statusPurpose"], int(entry["statusListCredential"].rsplit("/", 1)[1]))
            anchored = registry.status_list_hash(agency, identifier)
            assert anchored == list_hash(credential)
            assert served.headers["etag"] == served.headers["hurong-anchored-hash"].join('""')
            assert served.headers["hurong-status-list-id"] == "0x" + identifier.hex()
            block = int(served.headers["hurong-anchored-block"])  # the index's block of the publication
            assert registry.status_list_hash(agency, identifier, block_identifier=block) == anchored
            assert registry.status_list_hash(agency, identifier, block_identifier=block - 1) != anchored
            done = _check(server, entry["statusListCredential"])
            assert done.returncode == 0 and "anchored" in done.stdout, done.stderr


def test_a_tampered_or_outdated_list_fails_the_check(server: Server, tmp_path: Path) -> None:
    [certificate] = _issue(server)
    digest = certificate["proof"]["digest"]
    [revocation] = [e for e in _entries(server, digest) if e["statusPurpose"] == "revocation"]
    credential = _anchored(revocation["statusListCredential"]).json()
    genuine = tmp_path / "genuine.json"
    genuine.write_text(json.dumps(credential))
    done = _check(server, genuine, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["anchored"] is True, done.stderr

    tampered = json.loads(json.dumps(credential))  # the certificate's revocation bit set by someone else
    tampered["credentialSubject"]["encodedList"] = encode_list([int(revocation["statusListIndex"])])
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    done = _check(server, tmp_path / "tampered.json")
    assert done.returncode == 1 and "not anchored" in done.stderr and "Traceback" not in done.stderr

    head_before = server.chain_client().w3.eth.block_number  # the genuine list is the anchored one here
    _change(server, digest, "revoke", "fraud")  # and no longer the agency's latest once this is published
    _anchored(revocation["statusListCredential"])
    done = _check(server, genuine)
    assert done.returncode == 1 and "not anchored" in done.stderr
    assert _check(server, genuine, "--block", str(head_before)).returncode == 0  # but it was at that block


def test_the_check_refuses_what_is_not_a_list(server: Server, tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text(json.dumps({"type": ["VerifiableCredential"], "id": "x"}))
    (tmp_path / "broken.json").write_text("{")
    for source in (tmp_path / "other.json", tmp_path / "broken.json", tmp_path / "missing.json",
                   f"{server.url}/api/v1/status-lists/{server.addr('sh_amr')}/revocation/999"):  # fmt: skip
        done = _check(server, source)
        assert done.returncode == 1 and done.stderr.strip() and "Traceback" not in done.stderr, (source, done)
    done = _check(server, tmp_path / "broken.json", "--block", "99999999")
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_only_an_active_agency_publishes_and_input_is_checked(server: Server) -> None:
    identifier = list_id("revocation", 999)
    with pytest.raises(CertificateRegistryAgencyNotActive):
        server.chain_client("sh_suspended").certificates.publish_status_list(identifier, b"\x01" * 32).wait()
    agency = server.chain_client("sh_pudong").certificates
    with pytest.raises(LedgerValueError):
        agency.publish_status_list(identifier, b"\x00" * 32)
    with pytest.raises(LedgerValueError):
        agency.publish_status_list(b"\x01" * 31, b"\x01" * 32)
    with pytest.raises(LedgerValueError):
        list_id("expiry", 1)
    agency.publish_status_list(identifier, b"\x02" * 32).wait()
    assert agency.status_list_hash(server.addr("sh_pudong"), identifier) == b"\x02" * 32
    assert agency.status_list_hash(server.addr("sh_amr"), identifier) is None


def test_a_failed_publication_is_logged_and_tried_again(
    server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    agency = server.addr("sh_suspended")  # refused by the registry until its admin reinstates it
    lists = StatusLists(tmp_path / "status-lists.sqlite")
    lists.assign(agency, [os.urandom(32)])
    client = server.chain_client("sh_suspended")
    publisher = StatusListPublisher(lists, server.chain.chain_id, base_url=lambda: "https://licences.example.gov.cn",
                                    statuses=lambda _: {}, signer=lambda _: client, interval=INTERVAL,
                                    lock_file=tmp_path / "publisher.lock")  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="hurong.status_lists"):
        assert publisher.publish_changed() == []
    assert caplog.text.count("tried again") == 2 and "CertificateRegistryAgencyNotActive" in caplog.text
    admin = server.chain_client("sh_admin").authorities
    admin.reinstate_agency(agency).wait()
    try:
        done = publisher.publish_changed()
        assert sorted((p.purpose, p.number) for p in done) == [("revocation", 1), ("suspension", 1)]
        for published in done:
            identifier = list_id(published.purpose, published.number)
            assert client.certificates.status_list_hash(agency, identifier) == published.list_hash
        assert publisher.publish_changed() == []  # nothing changed: no second transaction
    finally:
        admin.suspend_agency(agency, 1).wait()


def test_an_index_rebuilt_from_the_chain_holds_the_latest_hashes(server: Server, tmp_path: Path) -> None:
    [certificate] = _issue(server)
    [suspension] = [e for e in _entries(server, certificate["proof"]["digest"]) if e["statusPurpose"] == "suspension"]
    _change(server, certificate["proof"]["digest"], "suspend", "under_investigation")
    served = _anchored(suspension["statusListCredential"])
    indexer = Indexer(server.chain_client(), f"sqlite:///{tmp_path / 'index.sqlite'}")
    indexer.sync()
    indexer.sync()  # nothing new: the same rows
    rows = indexer.status_list_hashes(server.addr("sh_amr"))
    registry = server.chain_client().certificates
    assert {row["listId"] for row in rows} >= {served.headers["hurong-status-list-id"]}
    for row in rows:
        assert registry.status_list_hash(row["agency"], row["listId"]) == bytes.fromhex(row["listHash"][2:])
        if row["listId"] == served.headers["hurong-status-list-id"]:
            assert (row["listHash"], str(row["block"])) == (served.headers["hurong-anchored-hash"],
                                                             served.headers["hurong-anchored-block"])  # fmt: skip
