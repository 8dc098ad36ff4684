"""Status list entries drawn before hashing: one per purpose, at random, kept across restarts, never shared by two
certificates, even when several processes draw at once on one SQLite file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from ledger.certificates.status_list import MIN_ENTRIES
from ledger.issuance.status_entries import STATUS_LISTS_FILE, StatusEntries, carried, entries_key, list_url

AGENCY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def _draw(path: str, worker: int, count: int) -> list[tuple[str, int, int]]:
    entries = StatusEntries(Path(path))
    drawn = []
    for n in range(count):
        drawn += [(e.purpose, e.number, e.index) for e in entries.reserve(AGENCY, f"urn:uuid:{worker}-{n}")]
    return drawn


def test_a_key_keeps_its_entries_across_restarts_and_links_to_its_digest(tmp_path: Path) -> None:
    path = tmp_path / STATUS_LISTS_FILE
    first = StatusEntries(path).reserve(AGENCY, "urn:uuid:a")
    assert [e.purpose for e in first] == ["revocation", "suspension"]
    assert all(0 <= e.index < MIN_ENTRIES and e.number == 1 for e in first)
    reopened = StatusEntries(path)
    assert reopened.reserve(AGENCY, "urn:uuid:a") == first  # a retried issuance gets the same entries
    digest = bytes(range(32))
    assert reopened.entries(AGENCY, digest) == []
    reopened.link(AGENCY.lower(), [("urn:uuid:a", digest, [])])
    assert reopened.entries(AGENCY, digest) == first
    reopened.assign(AGENCY, [digest])  # linked entries are the certificate's: none drawn again
    assert reopened.entries(AGENCY, digest) == first


def test_entry_objects_point_into_the_lists_under_the_base_url(tmp_path: Path) -> None:
    objects = StatusEntries(tmp_path / STATUS_LISTS_FILE).reserved_objects("https://h.example/", AGENCY, "k")
    assert [o["statusListCredential"] for o in objects] == [
        list_url("https://h.example", AGENCY, purpose, 1) for purpose in ("revocation", "suspension")
    ]
    assert all(o["id"] == f"{o['statusListCredential']}#{o['statusListIndex']}" for o in objects)


def test_processes_drawing_at_once_never_share_an_index(tmp_path: Path) -> None:
    path = tmp_path / STATUS_LISTS_FILE
    StatusEntries(path)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool.starmap(_draw, [(str(path), worker, 60) for worker in range(4)])
    drawn = [entry for result in results for entry in result]
    assert len(drawn) == 4 * 60 * 2
    assert len(set(drawn)) == len(drawn)
    revocation = [index for purpose, _, index in drawn if purpose == "revocation"]
    assert revocation != sorted(revocation)


def test_entries_a_certificate_carries_are_recorded_again_when_the_file_lost_them(tmp_path: Path) -> None:
    objects = StatusEntries(tmp_path / "first.sqlite").reserved_objects("https://h.example", AGENCY, "urn:uuid:b")
    document = {"id": "urn:uuid:b", "credentialStatus": [{"type": "HurongRegistryStatus"}, *objects]}
    entries = carried(document)
    assert [(e.purpose, e.number, str(e.index)) for e in entries] == [
        (o["statusPurpose"], 1, o["statusListIndex"]) for o in objects
    ]
    fresh_file, digest = StatusEntries(tmp_path / "second.sqlite"), bytes(32)
    fresh_file.link(AGENCY, [("urn:uuid:b", digest, entries)])
    assert fresh_file.entries(AGENCY, digest) == entries


def test_two_credentials_given_one_id_never_share_entries(tmp_path: Path) -> None:
    entries = StatusEntries(tmp_path / STATUS_LISTS_FILE)
    first = {"id": "urn:uuid:same", "credentialSubject": {"name": "甲"}}
    second = {"id": "urn:uuid:same", "credentialSubject": {"name": "乙"}}
    key, other = entries_key(first), entries_key(second)
    assert key is not None and other is not None and key != other and key.startswith("urn:uuid:same#")
    # what the certificate gains by issuance (its status, its proof) does not change its key: a retry finds it
    issued = {**first, "credentialStatus": [{"type": "HurongRegistryStatus"}], "proof": {"digest": "0x00"}}
    assert entries_key(issued) == key and entries_key(dict(reversed(list(first.items())))) == key
    assert entries_key({"credentialSubject": {}}) is None and entries_key({"id": 7}) is None
    drawn, drawn_other = entries.reserve(AGENCY, key), entries.reserve(AGENCY, other)
    assert {(e.purpose, e.index) for e in drawn}.isdisjoint({(e.purpose, e.index) for e in drawn_other})
    one, two = bytes([1]) * 32, bytes([2]) * 32
    entries.link(AGENCY, [(key, one, drawn), (other, two, drawn_other)])
    assert entries.entries(AGENCY, one) == drawn and entries.entries(AGENCY, two) == drawn_other


def test_a_key_holds_integers_beyond_64_bits(tmp_path: Path) -> None:
    document = {"id": "urn:uuid:big", "credentialSubject": {"count": 2**70}}
    assert entries_key(document) == entries_key({**document, "proof": {}}) != entries_key({**document, "x": 1})


def test_a_batch_is_reserved_in_one_transaction_with_the_entries_one_at_a_time_would_give(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from ledger.issuance import status_entries

    monkeypatch.setattr(status_entries, "FILL", 50)  # lists fill within the batch: the next ones are started
    entries = StatusEntries(tmp_path / STATUS_LISTS_FILE)
    before = entries.reserve(AGENCY, "urn:uuid:early")
    keys = [f"urn:uuid:{n}" for n in range(120)] + ["urn:uuid:early", "urn:uuid:7"]
    statements: list[str] = []
    entries.connect().set_trace_callback(statements.append)
    drawn = entries.reserve_many(AGENCY, keys)
    entries.connect().set_trace_callback(None)
    assert sum(s.startswith("BEGIN") for s in statements) == 1 and sum(s == "COMMIT" for s in statements) == 1
    assert drawn[120] == before and drawn[121] == drawn[7]  # reserved before, or twice in the batch: the same
    assert [[e.purpose for e in d] for d in drawn] == [["revocation", "suspension"]] * len(keys)
    for purpose in range(2):
        places = {(d[purpose].number, d[purpose].index) for d in drawn[:120]} | {(before[purpose].number,
                                                                                 before[purpose].index)}  # fmt: skip
        assert len(places) == 121  # never one entry for two certificates
        numbers = [d[purpose].number for d in [before, *drawn[:120]]]
        assert numbers == sorted(numbers) and [numbers.count(n) for n in (1, 2, 3)] == [50, 50, 21]
    assert [entries.reserve(AGENCY, key) for key in keys] == drawn  # kept: a retried issuance gets them again
    used = entries.connect().execute("SELECT purpose, number, used FROM lists ORDER BY purpose, number").fetchall()
    assert used == [(p, n, c) for p in ("revocation", "suspension") for n, c in ((1, 50), (2, 50), (3, 21))]
    objects = entries.reserved_objects_many("https://h.example", AGENCY, keys[:2])
    assert objects == [entries.reserved_objects("https://h.example", AGENCY, key) for key in keys[:2]]
    assert objects[0][0]["statusListCredential"] == list_url("https://h.example", AGENCY, "revocation", 1)
