"""Verification: the verifier, its checks, and the readers it reads the chain through.

    from ledger.verification import VerificationContext, Verifier

    verifier = Verifier(client)
    result = verifier.verify(document, VerificationContext(province=330000))          # at the chain's head
    result = verifier.verify(document, at="2025-06-01T08:00:00+08:00")                # as of a past time
    results = verifier.verify_many(documents, context, block=1234)                    # many, at one block
    results = verifier.verify_many(documents, context, reader=reader, at=when)        # through any `Reader`
    result.verdict, result.check("status").outcome is Outcome.PASSED, result.to_json()

The package is split by concern:

- `verifier`: `Verifier` and the questions it answers (now, a past block, a past time);
- `local`: checks 1-3, which need no chain (format, integrity, inclusion), for a batch in one native call;
- `run`: checks 4-9 against one reader at one time, judging once what the certificates of a batch share;
- `results`: what it answers (`VerificationContext`, `CheckResult`, `Outcome`, `VerificationWarning`,
  `VerificationResult`, the check names and verdicts);
- `reader`: what it reads the chain through (`Reader`, the protocol; `ChainReader`, chain reads at one block,
  memoised and bounded; `LruDict`, `memoised`, and the helpers that turn a node's failures into errors);
- `checks`: what it judges a document with apart from the chain (proof shape, supported values, times, the
  issuer a document names, `standing` warnings).
"""

from ledger.verification.checks import issuer_address, parse_time, standing
from ledger.verification.reader import (
    READER_CACHE_SIZE,
    STATUS_CACHE_AGENCIES,
    ChainReader,
    LruDict,
    Reader,
    chain_failure,
    fetch_block,
    guarded,
    memoised,
)
from ledger.verification.results import (
    CHECKS,
    INVALID,
    NOT_IN_GOOD_STANDING,
    NOT_RECOGNIZED,
    VALID,
    CheckResult,
    Outcome,
    VerificationContext,
    VerificationResult,
    VerificationWarning,
)
from ledger.verification.verifier import PAST_READERS, Verifier

__all__ = [
    "CHECKS",
    "ChainReader",
    "CheckResult",
    "INVALID",
    "LruDict",
    "NOT_IN_GOOD_STANDING",
    "NOT_RECOGNIZED",
    "Outcome",
    "PAST_READERS",
    "READER_CACHE_SIZE",
    "Reader",
    "STATUS_CACHE_AGENCIES",
    "VALID",
    "VerificationContext",
    "VerificationResult",
    "VerificationWarning",
    "Verifier",
    "chain_failure",
    "fetch_block",
    "guarded",
    "issuer_address",
    "memoised",
    "parse_time",
    "standing",
]
