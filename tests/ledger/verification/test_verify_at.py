"""Verification as of a past time or block, on a live chain: the chain read at that block (for a time, the last
block at or before it), validity and recognition judged at that time, today's standing of the issuer beside,
and every question the chain cannot answer (a time or block to come, before the deployment, pruned history)
refused with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.errors import HistoryUnavailable, LedgerValueError
from ledger.verification.verifier import INVALID, NOT_RECOGNIZED, VALID, VerificationContext, Verifier
from tests.conftest import ACCOUNT_NAMES, WORLD, World
from tests.ledger import issuing

SH, ZJ, GD = 310000, 330000, 440000
#: A time after every sample certificate's `validUntil` (2046-12-31).
AFTER_EXPIRY = datetime(2047, 6, 1, tzinfo=UTC).timestamp()


def iso(seconds: int, offset_hours: int = 0) -> str:
    zone = timezone(timedelta(hours=offset_hours))
    return datetime.fromtimestamp(seconds, zone).isoformat()


def block_time(world: World, number: int | str) -> int:
    return int(world.reader.w3.eth.get_block(number)["timestamp"])  # type: ignore[arg-type]


def issue(world: World, tmp_path: Path, agency: str = "sh_amr") -> tuple[dict[str, Any], int]:
    """One business licence of `agency`, and the block it was anchored in."""
    (doc,) = issuing.issue(world, tmp_path, agency, issuing.credentials(world, agency, 1))
    return doc, int(doc["proof"]["anchor"]["blockNumber"])


def test_a_past_block_is_judged_at_its_own_time_not_now(world: World, tmp_path: Path) -> None:
    doc, anchored = issue(world, tmp_path)
    world.advance(10)
    verifier = Verifier(world.reader, clock=lambda: AFTER_EXPIRY)
    now = verifier.verify(doc)
    assert now.verdict == INVALID and now.failed == ["validity"] and now.check("validity").code == "expired"
    assert now.at == now.checked_at == int(AFTER_EXPIRY)

    then = verifier.verify(doc, block=anchored)
    assert then.verdict == VALID and then.check("validity").code == "ok"
    assert (then.block_number, then.at, then.checked_at) == (anchored, block_time(world, anchored), int(AFTER_EXPIRY))
    assert then.to_json()["at"] == block_time(world, anchored)
    (many,) = verifier.verify_many([doc], block=anchored)
    assert (many.verdict, many.at, many.block_number) == (VALID, then.at, anchored)


def test_a_past_time_reads_the_last_block_at_or_before_it(world: World, tmp_path: Path) -> None:
    before_anchor = world.reader.w3.eth.block_number
    world.advance(100)
    doc, anchored = issue(world, tmp_path)
    world.advance(100)
    quiet = world.reader.w3.eth.block_number  # the only block in the next 100 seconds
    world.advance(100)
    revoked = issuing.revoke(world, "sh_amr", doc, reason=4).block_number
    world.advance(100)
    verifier = Verifier(world.reader)

    t = block_time(world, quiet)
    for asked in (iso(t), iso(t + 50), iso(t + 50, offset_hours=8), datetime.fromtimestamp(t + 50, UTC), t + 50):
        result = verifier.verify(doc, at=asked)
        assert (result.verdict, result.block_number) == (VALID, quiet), asked
        assert result.at == (t if asked == iso(t) else t + 50)
        assert result.block_hash == world.reader.w3.eth.get_block(quiet)["hash"].to_0x_hex()

    at_revocation = verifier.verify(doc, at=iso(block_time(world, revoked)))
    assert at_revocation.block_number >= revoked and at_revocation.check("status").code == "revoked"
    early = verifier.verify(doc, at=iso(block_time(world, before_anchor)))
    assert early.block_number < anchored and early.check("anchoring").code == "not_anchored"
    assert [r.check("status").code for r in verifier.verify_many([doc, doc], at=iso(t + 50))] == ["ok", "ok"]
    # at the head's time or a little after it, the head is read
    head = world.reader.w3.eth.get_block("latest")
    assert verifier.verify(doc, at=iso(int(head["timestamp"]) + 5)).block_number == head["number"]


def test_recognition_is_judged_by_the_rules_in_force_at_the_time_asked(world: World, tmp_path: Path) -> None:
    doc, _ = issue(world, tmp_path)
    start = world.now() + 100
    world.as_("gd_admin").recognition.set_rule(GD, SH, "business_licence", None, start, start + 100).wait()
    world.advance(300)
    verifier = Verifier(world.reader, clock=lambda: float(start + 1000))
    context = VerificationContext(GD)
    assert verifier.verify(doc, context).verdict == NOT_RECOGNIZED  # the rule has lapsed
    assert verifier.verify(doc, context, at=start - 10).verdict == NOT_RECOGNIZED  # not yet in force
    during = verifier.verify(doc, context, at=iso(start + 50))
    assert during.verdict == VALID and during.check("recognition").code == "rule"
    assert during.block_number < world.reader.w3.eth.block_number


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": "yesterday"}, "not an RFC 3339 time"),
        ({"at": "2026-02-30T00:00:00Z"}, "not a valid RFC 3339 time"),
        ({"at": "2026-06-01T08:00:00"}, "not an RFC 3339 time"),
        ({"at": "0001-01-01T00:00:00+01:00"}, "before the registries were deployed"),
        ({"at": "9999-12-31T23:59:59-01:00"}, "is in the future"),
        ({"at": "2" * 10_000}, "not an RFC 3339 time"),
        ({"at": datetime(2026, 6, 1)}, "needs its UTC offset"),
        ({"at": True}, "must be RFC 3339 text"),
        ({"at": [2026]}, "must be RFC 3339 text"),
        ({"at": 10**5000}, "within the range of block timestamps"),
        ({"at": "2020-01-01T00:00:00Z"}, "before the registries were deployed"),
        ({"at": "2999-01-01T00:00:00Z"}, "is in the future"),
        ({"block": 10**9}, "does not exist yet"),
        ({"block": 2**70}, "non-negative block number"),
        ({"block": -1}, "before the registries were deployed"),
        ({"block": "0x10"}, "non-negative block number"),
        ({"block": 1, "at": "2026-06-01T08:00:00Z"}, "not both"),
    ],
)
def test_times_and_blocks_the_chain_cannot_answer_about_are_refused(
    world: World, tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    doc, _ = issue(world, tmp_path)
    verifier = Verifier(world.reader)
    with pytest.raises(LedgerValueError, match=message):
        verifier.verify(doc, **kwargs)
    with pytest.raises(LedgerValueError, match=message):
        verifier.verify_many([doc, doc], **kwargs)


def test_a_time_just_past_the_head_but_not_past_now_reads_the_head(world: World, tmp_path: Path) -> None:
    doc, _ = issue(world, tmp_path)
    head = world.reader.w3.eth.get_block("latest")
    verifier = Verifier(world.reader, clock=lambda: float(head["timestamp"] + 3600))
    result = verifier.verify(doc, at=int(head["timestamp"]) + 3000)
    assert (result.verdict, result.block_number) == (VALID, head["number"])
    with pytest.raises(LedgerValueError, match="in the future"):
        verifier.verify(doc, at=int(head["timestamp"]) + 3600 + 61)


@pytest.fixture(scope="module")
def short_memory() -> Iterator[World]:
    """The test consortium on a chain of its own that keeps the state of its last 64 blocks only."""
    with Anvil(accounts=len(ACCOUNT_NAMES) + 2, history=64) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        yield World(chain, result, HurongClient.connect(chain.url, result.deployment))


def test_a_block_whose_state_the_node_pruned_is_history_unavailable(short_memory: World, tmp_path: Path) -> None:
    world = short_memory
    doc, anchored = issue(world, tmp_path)
    anchored_at = block_time(world, anchored)
    verifier = Verifier(world.reader)
    assert verifier.verify(doc, block=anchored).verdict == VALID
    world.rpc("anvil_mine", [hex(world.anvil.history + 88), 1])  # past the states anvil keeps
    fresh = Verifier(world.reader)
    with pytest.raises(HistoryUnavailable, match=f"no longer keeps the state of block {anchored}") as info:
        fresh.verify(doc, block=anchored)
    assert info.value.block == anchored and isinstance(info.value, LedgerValueError)
    with pytest.raises(HistoryUnavailable, match=f"block {anchored}"):
        fresh.verify_many([doc, doc], block=anchored)
    with pytest.raises(HistoryUnavailable):
        fresh.verify(doc, at=iso(anchored_at))
    recent = world.reader.w3.eth.block_number - 10
    assert fresh.verify(doc, block=recent).verdict == VALID
