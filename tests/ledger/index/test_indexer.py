"""The event indexer on a live chain: the registers and every certificate event of the `world` land in the index
as the contracts read them, in one transaction per block range; restarts, range sizes, crashes inside a range and
reverted chains leave the same index; and the verifier answers from the index exactly as from the chain."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, update
from web3.exceptions import Web3RPCError

from ledger.chain.models import CertificateStatus, KeyAlgorithm, StatusRecord
from ledger.index.indexer import Indexer, IndexerError, IndexReader, index_state, metadata
from ledger.keys.signing import generate
from ledger.verification.verifier import INVALID, NOT_RECOGNIZED, VALID, ChainReader, VerificationContext, Verifier
from tests.conftest import World
from tests.ledger import issuing
from tests.ledger.issuing import block_time, digest_of, root_of
from tests.postgres import local_postgres

SH, ZJ, GD, BJ = 310000, 330000, 440000, 110000
MakeIndexer = Callable[..., Indexer]


@pytest.fixture
def make_indexer(world: World, tmp_path: Path) -> Iterator[MakeIndexer]:
    """Indexers of the world's deployment over SQLite files in `tmp_path` (a fresh index per name)."""
    made: list[Indexer] = []

    def make(name: str = "index", *, url: str | None = None, **kwargs: Any) -> Indexer:
        indexer = Indexer(world.reader, url or f"sqlite:///{tmp_path / name}.sqlite", **kwargs)
        made.append(indexer)
        return indexer

    yield make
    for indexer in made:
        indexer.close()


@pytest.fixture
def indexer(make_indexer: MakeIndexer) -> Indexer:
    return make_indexer()


def dump(indexer: Indexer) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: two indexes with equal dumps hold the same data."""
    with indexer.engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
        }


def counts(indexer: Indexer) -> dict[str, int]:
    return {name: len(rows) for name, rows in dump(indexer).items()}


def issue(world: World, tmp_path: Path, agency: str = "sh_amr", n: int = 4) -> list[dict[str, Any]]:
    return issuing.issue(world, tmp_path, agency, issuing.credentials(world, agency, n))


def anchor_random_root(world: World, agency: str = "sh_amr") -> tuple[bytes, Any]:
    root = os.urandom(32)
    return root, world.as_(agency).certificates.anchor(root, 1).wait()


def raw(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest[2:])


# -------------------------------------------------------------------------------------------- what is indexed


def test_sync_indexes_the_registers_as_the_contracts_read_them(world: World, indexer: Indexer) -> None:
    assert indexer.indexed_block == world.deployment.block_number - 1
    assert indexer.indexed_block_hash is None
    head = indexer.sync()
    assert head == indexer.head() == indexer.indexed_block
    assert indexer.indexed_block_hash == world.reader.w3.eth.get_block(head)["hash"].to_0x_hex()

    chain = world.reader
    expected = {
        str(p.code): (p.name, p.status.name.lower(), p.status_since, p.epoch, set(p.admins))
        for p in chain.consortium.provinces()
    }
    assert {
        p["code"]: (p["name"], p["status"], p["statusSince"], p["epoch"], set(p["admins"])) for p in indexer.provinces()
    } == expected
    assert expected[str(BJ)][1] == "suspended"

    on_chain = {a.account: a for a in chain.authorities.agencies()}
    indexed = indexer.agencies()
    assert [a["account"] for a in indexed] == list(on_chain)  # registration order
    for a in indexed:
        c = on_chain[a["account"]]
        assert (a["parent"], a["province"], a["region"], a["depth"], a["name"], a["status"]) == (
            c.parent, str(c.province), str(c.region), c.depth, c.name, c.status.name.lower()
        )  # fmt: skip
        assert a["effectivelyActive"] == c.effectively_active, a["name"]
        assert set(a["children"]) == set(c.children) and set(a["certificateTypes"]) == set(c.certificate_types)
    inactive = {a["account"] for a in indexed if not a["effectivelyActive"]}
    suspended = ("sh_suspended", "sh_parent_suspended", "sh_child_of_suspended", "bj_amr")
    assert inactive == {world.addr(name) for name in suspended}

    (rule,) = chain.recognition.rules()
    assert indexer.rules() == [
        {
            "id": rule.id,
            "acceptingProvince": str(rule.accepting_province),
            "issuingProvince": str(rule.issuing_province) if rule.issuing_province is not None else None,
            "certificateType": rule.certificate_type,
            "serviceItem": rule.service_item,
            "effectiveFrom": rule.effective_from,
            "effectiveUntil": rule.effective_until,
            "createdAt": rule.created_at,
            "revokedAt": rule.revoked_at,
            "revokedBy": None,
            "legalBasis": rule.legal_basis,
            "block": indexer.rules()[0]["block"],
            "transactionHash": indexer.rules()[0]["transactionHash"],
        }
    ]
    (suspension,) = indexer.proposals()
    assert suspension["executedAt"] is not None and suspension["voters"] == [str(SH), str(ZJ)]
    assert suspension["proposer"] in (str(SH), str(ZJ))
    assert indexer.certificate_counts() == dict.fromkeys(
        ("batches", "certificates", "revokedBatches", "suspended", "revoked", "superseded"), 0
    )


def test_register_filters_and_later_register_changes(world: World, indexer: Indexer) -> None:
    sh = world.as_("sh_admin")
    sh.authorities.grant_certificate_type(world.addr("sh_pudong"), "food_business_licence").wait()
    sh.authorities.revoke_certificate_type(world.addr("sh_town"), "business_licence").wait()
    sh.authorities.suspend_agency(world.addr("sh_pudong"), 7).wait()
    zj_rule = world.as_("zj_admin").recognition.set_rule(ZJ, None, "driving_licence", legal_basis="全国互认").wait()
    rule_id = zj_rule.event("RecognitionRuleSet").args["ruleId"]
    world.as_("gd_admin").recognition.set_rule(GD, SH, "business_licence").wait()
    world.advance(10)
    revoked = world.as_("zj_admin").recognition.revoke_rule(1).wait()
    key = generate(KeyAlgorithm.ED25519)
    world.as_("sh_amr").authorities.add_signing_key(world.addr("sh_amr"), key).wait()
    indexer.sync()

    sh_agencies = indexer.agencies(province=SH)
    assert len(sh_agencies) == 6 and all(a["province"] == str(SH) for a in sh_agencies)
    assert indexer.agencies(province=str(SH)) == sh_agencies
    food = indexer.agencies(certificate_type="food_business_licence")
    assert {a["account"] for a in food} == {world.addr("sh_amr"), world.addr("sh_pudong")}
    by_account = {a["account"]: a for a in indexer.agencies()}
    assert by_account[world.addr("sh_town")]["certificateTypes"] == []
    pudong, town = by_account[world.addr("sh_pudong")], by_account[world.addr("sh_town")]
    assert pudong["status"] == "suspended" and not pudong["effectivelyActive"]
    assert town["status"] == "active" and not town["effectivelyActive"]  # below a suspended parent
    assert not world.reader.authorities.agency(world.addr("sh_town")).effectively_active

    assert [r["id"] for r in indexer.rules(accepting=ZJ)] == [1, rule_id]
    assert indexer.rules(accepting=str(ZJ)) == indexer.rules(accepting=ZJ)
    assert [r["id"] for r in indexer.rules(issuing=SH)] == [1, rule_id, rule_id + 1]  # "any province" included
    assert [r["id"] for r in indexer.rules(issuing=GD)] == [rule_id]
    assert [r["id"] for r in indexer.rules(certificate_type="driving_licence")] == [rule_id]
    assert [r["id"] for r in indexer.rules(in_force_at=world.now())] == [rule_id, rule_id + 1]
    (first,) = indexer.rules(accepting=ZJ, certificate_type="business_licence")
    assert first["revokedAt"] == block_time(world, revoked) == world.reader.recognition.rule(1).revoked_at
    assert first["revokedBy"] == world.addr("zj_admin")
    assert indexer.rules(accepting=ZJ, in_force_at=first["revokedAt"] - 1)[0]["id"] == 1

    (signing_key,) = indexer.signing_keys(world.addr("sh_amr"))
    on_chain = world.reader.authorities.signing_key(key.key_id_for(world.addr("sh_amr")))
    assert signing_key["keyId"] == "0x" + on_chain.key_id.hex() and signing_key["algorithm"] == "ed25519"
    assert (signing_key["validFrom"], signing_key["validUntil"]) == (on_chain.valid_from, on_chain.valid_until)
    assert signing_key["publicKey"] == "0x" + on_chain.public_key.hex()
    assert indexer.signing_keys(world.addr("zj_amr")) == []


def test_anchoring_and_every_status_change_appear_after_sync(world: World, indexer: Indexer, tmp_path: Path) -> None:
    docs = issue(world, tmp_path, n=4)
    agency = world.addr("sh_amr")
    anchor = docs[0]["proof"]["anchor"]
    indexer.sync()
    root = raw(root_of(docs[0]))
    assert indexer.batch(agency, root) == world.reader.certificates.batch(agency, root)
    assert indexer.batch(agency, root).anchored_at == world.reader.w3.eth.get_block(anchor["blockNumber"])["timestamp"]
    (row,) = indexer.batches()
    assert (row["agency"], row["root"], row["count"], row["transactionHash"], row["block"]) == (
        agency, root_of(docs[0]), 4, anchor["transactionHash"], anchor["blockNumber"]
    )  # fmt: skip
    assert row["manifest"] == "" and row["revokedAt"] is None and row["revokeReason"] is None
    assert indexer.batches(agency=world.addr("zj_amr")) == [] and indexer.batches(offset=1) == []
    unknown = indexer.batch(world.addr("zj_amr"), root)
    assert (unknown.anchored, unknown.count, unknown.revoked_at) == (False, 0, None)

    a, b, c, d = docs
    receipts = [
        issuing.suspend(world, "sh_amr", a, reason=2),
        issuing.reinstate(world, "sh_admin", a, reason=8),
        issuing.revoke(world, "sh_amr", b, reason=3),
        issuing.supersede(world, "sh_amr", c, d, reason=4),
        issuing.revoke(world, "sh_admin", c, reason=5),  # a superseded certificate revoked keeps its successor
        issuing.suspend(world, "sh_amr", d, reason=6),
    ]
    indexer.sync()
    for doc in docs:
        digest = raw(digest_of(doc))
        assert indexer.status(agency, digest) == world.reader.certificates.status_of(agency, digest)
    assert indexer.status(agency, digest_of(c)) == StatusRecord(
        CertificateStatus.REVOKED, 5, block_time(world, receipts[4]), raw(digest_of(d))
    )
    assert indexer.status(world.addr("zj_amr"), digest_of(a)) == StatusRecord(CertificateStatus.VALID, 0, 0, None)

    history = indexer.history(digest_of(a))
    assert [(h["kind"], h["status"], h["reason"], h["reasonCode"], h["by"]) for h in history] == [
        ("suspended", "suspended", "holder_request", 2, agency),
        ("reinstated", "valid", "investigation_closed", 8, world.addr("sh_admin")),
    ]
    assert [(h["block"], h["transactionHash"], h["timestamp"]) for h in history] == [
        (r.block_number, r.tx_hash, block_time(world, r)) for r in receipts[:2]
    ]
    assert all(h["digest"] == digest_of(a) and h["agency"] == agency for h in history)
    assert [(h["kind"], h["successor"]) for h in indexer.history(raw(digest_of(c)))] == [
        ("superseded", digest_of(d)),
        ("revoked", None),
    ]
    assert indexer.history("0x" + "ab" * 32) == []

    revoked = issuing.revoke_batch(world, "sh_admin", a, reason=9)
    indexer.sync()
    batch = indexer.batch(agency, root)
    assert batch == world.reader.certificates.batch(agency, root)
    assert (batch.revoked_at, batch.revoke_reason) == (block_time(world, revoked), 9)
    assert indexer.batches()[0]["revokedBy"] == world.addr("sh_admin")
    assert (indexer.batches()[0]["revokeReason"], indexer.batches()[0]["revokeReasonCode"]) == (
        "holder_deceased_or_dissolved", 9
    )  # fmt: skip
    assert indexer.certificate_counts() == {
        "batches": 1, "certificates": 4, "revokedBatches": 1, "suspended": 1, "revoked": 2, "superseded": 0,
    }  # fmt: skip
    assert indexer.certificate_counts(world.addr("zj_amr"))["certificates"] == 0


def test_history_follows_a_digest_across_agencies_in_chain_order(
    world: World, indexer: Indexer, tmp_path: Path
) -> None:
    (doc,) = issue(world, tmp_path, n=1)
    # Batches are keyed by agency: another agency may anchor the same root and manage "its" copy.
    world.as_("zj_amr").certificates.anchor(root_of(doc), 1).wait()
    zj, sh = world.addr("zj_amr"), world.addr("sh_amr")
    world.as_("zj_amr").certificates.suspend(zj, root_of(doc), digest_of(doc), [], 1).wait()
    issuing.revoke(world, "sh_amr", doc, reason=2)
    world.as_("zj_amr").certificates.revoke(zj, root_of(doc), digest_of(doc), [], 3).wait()
    indexer.sync()
    assert [(h["agency"], h["kind"]) for h in indexer.history(digest_of(doc))] == [
        (zj, "suspended"),
        (sh, "revoked"),
        (zj, "revoked"),
    ]
    blocks = [(h["block"], h["logIndex"]) for h in indexer.history(digest_of(doc))]
    assert blocks == sorted(blocks)


# ---------------------------------------------------------------------------------- restarts, ranges, crashes


def test_a_restarted_indexer_resumes_without_duplicating_rows(
    world: World, make_indexer: MakeIndexer, tmp_path: Path
) -> None:
    first = make_indexer("shared")
    issue(world, tmp_path, n=2)
    head = first.sync()
    before = counts(first)
    first.close()

    second = make_indexer("shared")
    assert second.indexed_block == head
    assert second.sync() == head and counts(second) == before
    (doc,) = issue(world, tmp_path, n=1)
    issuing.revoke(world, "sh_amr", doc)
    second.sync()
    after = counts(second)
    assert after["batches"] == before["batches"] + 1
    assert after["certificate_events"] == before["certificate_events"] + 1
    assert after["events"] == before["events"] + 2
    assert dump(second) == dump(_fresh(make_indexer, "rebuilt"))


def _fresh(make_indexer: MakeIndexer, name: str, **kwargs: Any) -> Indexer:
    indexer = make_indexer(name, **kwargs)
    indexer.sync()
    return indexer


def test_one_block_ranges_give_the_same_index_as_one_big_range(
    world: World, make_indexer: MakeIndexer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = issue(world, tmp_path, n=3)
    issuing.suspend(world, "sh_amr", docs[0])
    issuing.revoke(world, "sh_amr", docs[1])
    small, big = make_indexer("small", batch_blocks=1), make_indexer("big", batch_blocks=100_000)
    assert small.sync() == big.sync()
    assert dump(small) == dump(big)
    assert counts(big)["events"] > 30  # the bootstrap's events and these

    # A node that refuses long ranges, and logs without `blockTimestamp` (read from the blocks instead).
    get_logs = world.reader.w3.eth.get_logs

    def picky(params: Any) -> list[dict[str, Any]]:
        if params["toBlock"] - params["fromBlock"] > 4:
            raise Web3RPCError("query exceeds the maximum range of 5 blocks")
        return [{k: v for k, v in entry.items() if k != "blockTimestamp"} for entry in get_logs(params)]

    monkeypatch.setattr(world.reader.w3.eth, "get_logs", picky)
    fallback = make_indexer("fallback", batch_blocks=100_000)
    assert fallback.sync() == big.indexed_block
    assert dump(fallback) == dump(big)


def test_a_crash_inside_a_range_leaves_the_index_at_the_previous_range(
    world: World, indexer: Indexer, make_indexer: MakeIndexer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done = indexer.sync()
    before = dump(indexer)
    docs = issue(world, tmp_path, n=3)
    for doc in docs:
        issuing.revoke(world, "sh_amr", doc)
    applied: list[Any] = []
    original = Indexer._apply

    def crash_after_two(self: Indexer, conn: Any, entry: Any) -> None:
        if len(applied) == 2:
            raise RuntimeError("power cut")
        original(self, conn, entry)
        applied.append(entry)

    monkeypatch.setattr(Indexer, "_apply", crash_after_two)
    with pytest.raises(RuntimeError, match="power cut"):
        indexer.sync()
    assert len(applied) == 2
    assert indexer.indexed_block == done and dump(indexer) == before

    monkeypatch.undo()
    assert indexer.sync() == indexer.head()
    assert dump(indexer) == dump(_fresh(make_indexer, "reference"))
    assert indexer.certificate_counts()["revoked"] == 3


def test_a_reverted_chain_is_detected_and_the_index_rebuilt(world: World, indexer: Indexer) -> None:
    base = indexer.sync()
    snapshot = world.rpc("evm_snapshot")
    gone, _ = anchor_random_root(world)
    anchor_random_root(world)
    assert indexer.sync() == base + 2 and indexer.batch(world.addr("sh_amr"), gone).anchored
    world.rpc("evm_revert", [snapshot])
    world.resync()

    # The chain is now shorter than the index.
    assert indexer.head() == base
    assert indexer.sync() == base
    assert not indexer.batch(world.addr("sh_amr"), gone).anchored and indexer.batches() == []

    # The same height again, with other blocks.
    snapshot = world.rpc("evm_snapshot")
    anchor_random_root(world)
    indexer.sync()
    world.rpc("evm_revert", [snapshot])
    world.resync()
    world.advance(3)
    kept, receipt = anchor_random_root(world)
    assert receipt.block_number == base + 2
    assert indexer.sync() == base + 2
    assert [b["root"] for b in indexer.batches()] == ["0x" + kept.hex()]
    assert indexer.indexed_block_hash == world.reader.w3.eth.get_block(base + 2)["hash"].to_0x_hex()


def test_an_index_of_another_deployment_is_rebuilt(world: World, make_indexer: MakeIndexer) -> None:
    first = make_indexer("shared")
    first.sync()
    expected = dump(first)
    with first.engine.begin() as conn:
        conn.execute(update(index_state).values(deployment_hash="0x" + "11" * 32, last_block=10**6))
    first.close()
    reopened = make_indexer("shared")  # the stale index is emptied on opening
    assert reopened.indexed_block == world.deployment.block_number - 1 and reopened.batches() == []
    reopened.sync()
    assert dump(reopened) == expected


def test_bad_settings_are_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(IndexerError, match="batch_blocks"):
        Indexer(world.reader, f"sqlite:///{tmp_path}/x.sqlite", batch_blocks=0)
    with pytest.raises(IndexerError, match="confirmations"):
        Indexer(world.reader, f"sqlite:///{tmp_path}/x.sqlite", confirmations=-1)


# ----------------------------------------------------------------------------------------------------- lag


def test_sync_reaches_the_head_after_each_transaction(world: World, make_indexer: MakeIndexer) -> None:
    indexer = make_indexer()
    indexer.sync()
    for _ in range(3):
        _, receipt = anchor_random_root(world)
        assert indexer.sync() == receipt.block_number == indexer.head() == indexer.indexed_block
    lagging = make_indexer("lagging", confirmations=2)
    assert lagging.sync() == indexer.head() - 2
    assert indexer.sync(to_block=indexer.head() - 5) == indexer.head()  # never goes back


def test_run_keeps_the_index_within_one_block_of_the_head(world: World, indexer: Indexer) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=indexer.run, args=(stop, 0.05), daemon=True)
    thread.start()
    try:
        for _ in range(3):
            root, receipt = anchor_random_root(world)
            deadline = time.monotonic() + 5
            while indexer.indexed_block < receipt.block_number and time.monotonic() < deadline:
                time.sleep(0.02)
            assert indexer.head() - indexer.indexed_block <= 1
            assert indexer.batch(world.addr("sh_amr"), root).anchored
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


# ------------------------------------------------------------------------------------------------ index reader


def test_index_reader_gives_the_chain_readers_verdicts(world: World, indexer: Indexer, tmp_path: Path) -> None:
    docs = issue(world, tmp_path, n=6)
    batch_two = issue(world, tmp_path, n=2)
    zj_docs = issue(world, tmp_path, agency="zj_amr", n=1)
    issuing.suspend(world, "sh_amr", docs[1])
    issuing.revoke(world, "sh_amr", docs[2])
    issuing.supersede(world, "sh_amr", docs[3], docs[0])
    issuing.suspend(world, "sh_amr", docs[4])
    issuing.reinstate(world, "sh_amr", docs[4])
    issuing.revoke_batch(world, "sh_amr", batch_two[0])
    tampered = {**docs[5], "validUntil": "2099-12-31T23:59:59Z"}
    everything = [*docs, *batch_two, *zj_docs, tampered]
    indexer.sync()

    verifier = Verifier(world.reader)
    now = int(time.time())
    reader = IndexReader(indexer, world.reader)
    chain = ChainReader(world.reader, reader.block_number)
    assert (reader.block_number, reader.block_hash) == (chain.block_number, chain.block_hash)
    contexts = [None, VerificationContext(ZJ), VerificationContext(GD)]
    verdicts = {}
    for i, doc in enumerate(everything):
        for context in contexts:
            from_index = verifier._verify(doc, context, reader, now)
            assert from_index.to_json() == verifier._verify(doc, context, chain, now).to_json()
            verdicts[i, context.province if context else None] = (from_index.verdict, from_index.check("status").code)
    assert [verdicts[i, None] for i in range(len(everything))] == [
        (VALID, "ok"),
        (INVALID, "suspended"),
        (INVALID, "revoked"),
        (INVALID, "superseded"),
        (VALID, "ok"),
        (VALID, "ok"),
        (INVALID, "revoked"),
        (INVALID, "revoked"),
        (VALID, "ok"),
        (INVALID, "ok"),  # integrity fails
    ]
    assert verdicts[0, ZJ] == (VALID, "ok") and verdicts[0, GD] == (NOT_RECOGNIZED, "ok")
    superseded = verifier._verify(docs[3], None, reader, now).check("status")
    assert superseded.details["successor"] == digest_of(docs[0])

    bulk = IndexReader(indexer)
    bulk.prefetch_statuses(world.addr("sh_amr"))
    bulk.prefetch_statuses(world.addr("zj_amr"))
    assert [verifier._verify(d, None, bulk, now).to_json() for d in everything] == [
        verifier._verify(d, None, chain, now).to_json() for d in everything
    ]


def test_index_reader_answers_at_the_indexed_block_while_the_chain_moves_on(
    world: World, make_indexer: MakeIndexer, tmp_path: Path
) -> None:
    indexer = make_indexer()
    with pytest.raises(IndexerError, match="nothing is indexed"):
        IndexReader(indexer)
    docs = issue(world, tmp_path, n=2)
    indexer.sync()
    verifier = Verifier(world.reader)
    now = int(time.time())
    before = IndexReader(indexer)
    issuing.revoke(world, "sh_amr", docs[0])
    issuing.revoke_batch(world, "sh_amr", docs[1])
    assert verifier._verify(docs[0], None, before, now).verdict == VALID  # the index has not seen it yet
    indexer.sync()
    # A reader keeps answering at its block even after the index moved on...
    old = [verifier._verify(d, None, before, now).to_json() for d in docs]
    at_block = ChainReader(world.reader, before.block_number)
    assert old == [verifier._verify(d, None, at_block, now).to_json() for d in docs]
    assert {r["verdict"] for r in old} == {VALID}
    # ...and a new one answers at the new block.
    after = IndexReader(indexer)
    assert after.block_number == indexer.head()
    assert [verifier._verify(d, None, after, now).check("status").code for d in docs] == ["revoked", "revoked"]


def test_the_index_reader_composes_the_indexers_chain_reader(world: World, indexer: Indexer, tmp_path: Path) -> None:
    import ledger.index
    from ledger.index.handlers import HANDLERS

    assert ledger.index.__all__ == sorted(ledger.index.__all__)
    assert ledger.index.Indexer is Indexer and ledger.index.IndexReader is IndexReader
    assert not issubclass(IndexReader, ChainReader)
    names = {ev.event_name for contract in indexer._contracts.values() for ev in contract.all_events()}
    assert set(HANDLERS) <= names  # every handler is keyed by an event of the four contracts
    issue(world, tmp_path, n=1)
    indexer.sync()
    reader = IndexReader(indexer)
    assert reader.chain is indexer.chain_reader(reader.block_number, reader.block_hash)
    assert reader.timestamp == reader.chain.timestamp and reader.chain_id == reader.chain.chain_id
    assert reader.registry == reader.chain.registry


# --------------------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL: `HURONG_TEST_POSTGRES_URL`, or a throwaway local cluster started for this module."""
    with local_postgres() as url:
        yield url


def test_a_postgresql_index_holds_what_a_sqlite_index_holds(
    world: World, make_indexer: MakeIndexer, postgres_url: str, tmp_path: Path
) -> None:
    engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    metadata.drop_all(engine)
    engine.dispose()
    docs = issue(world, tmp_path, n=3)
    issuing.supersede(world, "sh_amr", docs[0], docs[1])
    issuing.revoke(world, "sh_amr", docs[0])
    pg = make_indexer(url=postgres_url, batch_blocks=7)
    lite = make_indexer("lite")
    assert pg.sync() == lite.sync()
    assert dump(pg) == dump(lite)
    assert pg.provinces() == lite.provinces() and pg.agencies() == lite.agencies()
    assert pg.history(digest_of(docs[0])) == lite.history(digest_of(docs[0]))
    assert pg.status(world.addr("sh_amr"), digest_of(docs[0])).successor == raw(digest_of(docs[1]))
    reader = IndexReader(pg)
    assert Verifier(world.reader)._verify(docs[1], None, reader, int(time.time())).verdict == VALID
    # a second indexer on the same database resumes where the first stopped
    again = make_indexer(url=postgres_url)
    assert again.indexed_block == pg.indexed_block and counts(again) == counts(pg)


def test_one_indexer_writes_a_shared_postgresql_index_and_another_takes_over_when_it_stops(
    world: World, make_indexer: MakeIndexer, postgres_url: str, tmp_path: Path
) -> None:
    from sqlalchemy import text

    first, second = make_indexer(url=postgres_url), make_indexer(url=postgres_url)
    assert make_indexer("lite").role == "writer"  # SQLite: every process writes
    stops = [threading.Event(), threading.Event()]
    threads = [threading.Thread(target=ix.run, args=(stop, 0.05), daemon=True)
               for ix, stop in zip((first, second), stops, strict=True)]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 10
        while sorted((first.role, second.role)) != ["reader", "writer"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted((first.role, second.role)) == ["reader", "writer"]
        writer, reader = (first, second) if first.role == "writer" else (second, first)
        docs = issue(world, tmp_path, n=2)
        head = world.reader.w3.eth.block_number
        deadline = time.monotonic() + 10
        while reader.indexed_block < head and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.indexed_block >= head and reader.role == "reader"  # read what the writer committed
        # the writer's session is cut off (as when its process dies): the other one takes over
        engine = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
        cut = text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                   " AND objid = (:key & 4294967295)")  # fmt: skip
        with engine.connect() as admin:
            assert admin.execute(cut, {"key": writer.writer_lock.key}).scalar() is True
            admin.commit()
        engine.dispose()
        deadline = time.monotonic() + 10
        while reader.role != "writer" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.role == "writer"
        issuing.revoke(world, "sh_amr", docs[0])
        head = world.reader.w3.eth.block_number
        deadline = time.monotonic() + 10
        while reader.indexed_block < head and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reader.status(world.addr("sh_amr"), digest_of(docs[0])).status == CertificateStatus.REVOKED
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(timeout=10)


def test_processes_opening_a_new_index_together_all_start(world: World, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    barrier = threading.Barrier(8)
    opened: list[Indexer] = []
    failures: list[BaseException] = []

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(Indexer(world.reader, url))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not failures, failures
        assert len(opened) == 8 and len({ix.sync() for ix in opened}) == 1
    finally:
        for indexer in opened:
            indexer.close()
