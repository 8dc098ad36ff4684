"""`SharedResults`: a check result made once for the same arguments, the same as `check_result` would make it,
bounded (it starts afresh when full), and kept by a verifier from one call to the next."""

from __future__ import annotations

from typing import Any

from ledger.verification.messages import SharedResults, check_result
from ledger.verification.results import Outcome

PASSED, FAILED = Outcome.PASSED, Outcome.FAILED

ARGS: list[tuple[str, Any, str, str, dict[str, Any]]] = [
    ("integrity", PASSED, "ok", "the salted digest matches", {}),
    ("anchoring", PASSED, "ok", "anchored", {"anchoredAt": 1_700_000_000, "block": 12}),
    ("status", FAILED, "revoked", "revoked", {"reasonCode": 1}),
    ("validity", FAILED, "expired", "expired", {"validUntil": "2020-01-01T00:00:00Z"}),
]


def test_the_same_arguments_give_one_result_equal_to_a_new_one() -> None:
    made = SharedResults()
    for args in ARGS:
        first = made(*args)
        assert first == check_result(*args)
        assert made(*args) is first


def test_details_that_are_not_plain_json_scalars_are_made_every_time() -> None:
    made = SharedResults()
    args = ("format", FAILED, "schema", "bad", {"problems": [{"pointer": "/a", "code": "x", "message": "y"}]})
    assert made(*args) == check_result(*args) and made(*args) is not made(*args)
    # 0.0 and -0.0 are equal but not the same JSON: floats are never shared
    assert made("validity", PASSED, "ok", "m", {"v": 0.0}).details["v"].hex() == "0x0.0p+0"
    assert made("validity", PASSED, "ok", "m", {"v": -0.0}).details["v"].hex() == "-0x0.0p+0"


def test_a_full_one_starts_afresh_and_stays_right() -> None:
    made = SharedResults(limit=2)
    for _ in range(3):
        for args in ARGS:
            assert made(*args) == check_result(*args)
            assert len(made._made) <= 2
