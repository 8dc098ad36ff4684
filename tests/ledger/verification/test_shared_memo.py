"""A verifier shares what it judged between calls at one block, time and context (`memo_key`): the answers stay
those of a fresh verifier, and a new block, another second or another context is judged afresh."""

from __future__ import annotations

from pathlib import Path

from ledger.verification.results import VerificationContext
from ledger.verification.run import memo_key
from ledger.verification.verifier import INVALID, NOT_RECOGNIZED, VALID, Verifier
from tests.conftest import World
from tests.ledger import issuing

ZJ, GD = 330000, 440000
FIXED = 1_900_000_000.0


def _codes(result: object) -> dict[str, str]:
    return {c.name: c.code for c in result.checks}  # type: ignore[attr-defined]


def test_calls_at_one_block_second_and_context_share_and_answer_as_a_fresh_verifier(
    world: World, tmp_path: Path
) -> None:
    docs = issuing.issue(world, tmp_path, "sh_amr", issuing.credentials(world, "sh_amr", 3))
    now = [FIXED]
    shared = Verifier(world.reader, clock=lambda: now[0])
    answers = [shared.verify(doc) for doc in docs]
    assert len(shared._memos) == 1  # one block, one second, no context: one memo for the three calls
    fresh = [Verifier(world.reader, clock=lambda: FIXED).verify(doc) for doc in docs]
    assert answers == fresh and {a.verdict for a in answers} == {VALID}

    for province, code, verdict in ((ZJ, "rule", VALID), (GD, "no_rule", NOT_RECOGNIZED)):  # judged apart
        context = VerificationContext(province=province)
        answer = shared.verify(docs[0], context)
        assert _codes(answer)["recognition"] == code and answer.verdict == verdict
        assert answer == Verifier(world.reader, clock=lambda: FIXED).verify(docs[0], context)
    assert len(shared._memos) == 3

    now[0] = 4_000_000_000.0  # another second, after the certificates' validity: judged afresh
    assert _codes(shared.verify(docs[1]))["validity"] == "expired"

    now[0] = FIXED
    issuing.revoke(world, "sh_amr", docs[2], reason=3)  # a new block: the status is read again
    after = shared.verify(docs[2])
    assert after.verdict == INVALID and _codes(after)["status"] == "revoked"
    assert after == Verifier(world.reader, clock=lambda: FIXED).verify(docs[2])


def test_the_key_names_the_block_the_context_and_both_times(world: World) -> None:
    verifier = Verifier(world.reader)
    reader = verifier.reader()
    key = memo_key(reader, reader, None, 10, 11)
    assert key is not None and reader.block_hash in key and key[-2:] == (10, 11)
    assert memo_key(reader, reader, VerificationContext(province=ZJ), 10, 11) != key
    assert memo_key(reader, reader, None, 10, 12) != key
