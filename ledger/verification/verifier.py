"""The verifier: nine ordered checks of a wrapped certificate against the chain, read at one block.

    result = Verifier(client).verify(document, VerificationContext(province=330000))
    result.verdict   # "VALID" | "INVALID" | "NOT_RECOGNIZED"
    Verifier(client).verify(document, at="2025-06-01T08:00:00+08:00")   # as of a past time (or block=N)
    Verifier(client).verify_many(documents, context, reader=IndexReader(indexer))   # answered from the index

Checks (each `Outcome.PASSED`, `FAILED` or `SKIPPED`, with a machine-readable code): format, integrity,
inclusion, anchoring, issuer, signature, status, validity, recognition. The verdict is INVALID if any of the
first eight failed, NOT_RECOGNIZED if only recognition failed, VALID otherwise. Every answer names the block
number and hash its chain reads were made at. `verify_many` checks many certificates at one block and shares
chain reads: one read per distinct root, agency, type and rule question, and the statuses of each agency's
certificates from its status events, not one read per certificate.

Time: by default the chain is read at its head and validity and recognition are judged now. Asked about a
past block, they are judged at that block's time; asked about a past time `at`, the chain is read at the last
block at or before `at` (found by binary search on block timestamps) and they are judged at `at`. A node that
no longer keeps the state of that block raises `HistoryUnavailable`; a block or time still to come, or one
before the registries were deployed, raises `LedgerValueError`. Given a `reader` (any `Reader`: a
`ChainReader`, the index's `IndexReader`), the chain is read through it and `at` is only the time to judge at.

Standing: an answer carries warnings, apart from the checks. `issuer_not_in_good_standing` says that the
issuing agency, one of its parents or its province is no longer active today (read at the head), although
the agency was authorised when it anchored: the verdict is unchanged, since revoking certificates is an
explicit act of the agency, its province or a consortium vote.

Memory stays bounded: a verifier keeps its head reader and at most `PAST_READERS` readers of past blocks,
dropping the least recently used first (see `ledger.verification.reader` for the bounds of each reader).

Nothing in a document makes the verifier raise: a malformed one fails the `format` check.

The names this module held before it was split stay importable from it: the results (`ledger.verification.
results`), the readers (`ledger.verification.reader`) and the helpers of the checks (`ledger.verification.checks`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from hexbytes import HexBytes

from ledger.certificates.collection import collection_paused
from ledger.chain.client import HurongClient
from ledger.chain.rpc import LeanRpc
from ledger.errors import LedgerValueError
from ledger.verification import reader as _reads
from ledger.verification.alike import answer_many
from ledger.verification.checks import MAX_DEPTH as MAX_DEPTH
from ledger.verification.checks import MAX_TEXT as MAX_TEXT
from ledger.verification.checks import MAX_VALUES as MAX_VALUES
from ledger.verification.checks import (
    iso,
    issuer_address,
    seconds,
    status_question,
)
from ledger.verification.checks import parse_time as parse_time
from ledger.verification.checks import standing as standing
from ledger.verification.local import LocalChecks
from ledger.verification.messages import SharedResults
from ledger.verification.reader import READER_CACHE_SIZE as READER_CACHE_SIZE
from ledger.verification.reader import STATUS_CACHE_AGENCIES as STATUS_CACHE_AGENCIES
from ledger.verification.reader import ChainReader as ChainReader
from ledger.verification.reader import LruDict as LruDict
from ledger.verification.reader import Reader as Reader
from ledger.verification.reader import chain_failure as chain_failure
from ledger.verification.reader import fetch_block as fetch_block
from ledger.verification.reader import guarded as guarded
from ledger.verification.reader import memoised as memoised
from ledger.verification.results import CHECKS as CHECKS
from ledger.verification.results import INVALID as INVALID
from ledger.verification.results import NOT_IN_GOOD_STANDING as NOT_IN_GOOD_STANDING
from ledger.verification.results import NOT_RECOGNIZED as NOT_RECOGNIZED
from ledger.verification.results import VALID as VALID
from ledger.verification.results import CheckResult as CheckResult
from ledger.verification.results import Outcome as Outcome
from ledger.verification.results import VerificationContext as VerificationContext
from ledger.verification.results import VerificationResult as VerificationResult
from ledger.verification.results import VerificationWarning as VerificationWarning
from ledger.verification.run import Memo, Run, memo_key
from ledger.verification.status_lists import StatusListFetch

log = logging.getLogger("hurong.verify")

#: Readers of past blocks a verifier keeps, each with its memoised reads (its head reader is kept apart).
PAST_READERS = 8
#: Seconds a time asked about may lie beyond both the verifier's clock and the head block's time (clock skew).
FUTURE_LEEWAY = 60

#: The former private name of `issuer_address`, kept for callers that still use it.
_issuer_address = issuer_address

PASSED, FAILED, SKIPPED = Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED
#: From this many documents on, `verify_many` holds the garbage collector back (`collection_paused`).
_BULK = 64
#: Distinct check results a verifier keeps from one call to the next (one `/verify` after another).
VERIFIER_RESULTS = 16_384
#: Memos of runs (by block, context and time) a verifier keeps; when more are asked for it forgets them all.
SHARED_MEMOS = 8
#: A block asked about, a time asked about, the certificate whose status a question will read.
Block: TypeAlias = int | str | None
When: TypeAlias = str | datetime | int | None
StatusOf: TypeAlias = tuple[str, bytes] | None


class Verifier:
    """Verifies wrapped certificates against one deployment."""

    def __init__(
        self,
        client: HurongClient,
        *,
        clock: Callable[[], float] = time.time,
        validate: Callable[[dict[str, Any]], None] | None = None,
        verify_signature: Callable[..., bool] | None = None,
        status_lists: StatusListFetch | None = None,
    ) -> None:
        self.client = client
        self.status_lists = status_lists  # reads a status list by URL: a certificate's entries are then compared
        self.clock = clock
        self._local = LocalChecks(validate)
        self._made = SharedResults(VERIFIER_RESULTS)  # check results are the same for the same arguments
        self._memos: dict[tuple[Any, ...], Memo] = {}
        self._verify_signature = verify_signature
        self._latest: ChainReader | None = None
        self._rpc = LeanRpc(client.w3)
        self._past: LruDict[int, ChainReader] = LruDict(PAST_READERS)

    # ------------------------------------------------------------------ readers and time

    def reader(self, block: int | str = "latest", *, status_of: StatusOf = None) -> ChainReader:
        """A reader at `block`; the same reader (and its memoised reads) while the head stays, or while a past
        block keeps its hash. `status_of` (agency, digest): see `ledger.verification.reader.latest_header`."""
        if block != "latest":
            if isinstance(block, int) and not isinstance(block, bool) and block < self.client.deployment.block_number:
                return ChainReader(self.client, block)  # refused with the reason
            header = fetch_block(self.client, block)
            number, block_hash = int(header["number"]), HexBytes(header["hash"]).to_0x_hex()
            past = self._past.get(number)
            if past is None or past.block_hash != block_hash:
                past = ChainReader(self.client, number, header=header)
                self._past[number] = past
            return past
        cached = self._latest
        header = _reads.latest_header(self.client, self._rpc, cached, status_of)
        if cached is not None and cached.block_hash == HexBytes(header["hash"]).to_0x_hex():
            return cached
        reader = ChainReader(self.client, "latest", header=header, rpc=self._rpc)
        self._latest = reader
        return reader

    def resolve(
        self, *, block: Block = "latest", at: When = None, status_of: StatusOf = None
    ) -> tuple[ChainReader, int | None]:
        """The reader and the time to judge validity and recognition at (`None`: now) for a question about the
        head (no `at`, `block` "latest" or `None`), a past block, or a past time `at` (RFC 3339, datetime, or
        Unix seconds), which is read at the last block at or before it. `status_of`: see `reader`."""
        if at is None:
            if block is None or block == "latest":
                return self.reader("latest", status_of=status_of), None
            reader = self.reader(block)
            return reader, reader.timestamp
        if block is not None and block != "latest":
            raise LedgerValueError("ask about a block or a time, not both")
        when = seconds(at)
        return self.reader(self.block_at(when)), when

    def block_at(self, when: int) -> int:
        """The last block whose time is at or before `when` (Unix seconds), by binary search on block times."""
        head = fetch_block(self.client, "latest")
        head_number, head_time = int(head["number"]), int(head["timestamp"])
        if when >= head_time:
            if when > max(int(self.clock()), head_time) + FUTURE_LEEWAY:
                raise LedgerValueError(f"{iso(when)} is in the future: the chain can only answer about the past")
            return head_number
        lo = self.client.deployment.block_number
        if when < self._block_time(lo):
            raise LedgerValueError(
                f"{iso(when)} is before the registries were deployed ({iso(self._block_time(lo))}, block {lo})"
            )
        hi = head_number  # invariant: time(lo) <= when < time(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._block_time(mid) <= when:
                lo = mid
            else:
                hi = mid
        return lo

    def _block_time(self, number: int) -> int:
        return int(fetch_block(self.client, number)["timestamp"])

    # ------------------------------------------------------------------ the public API

    def verify(
        self,
        document: Any,
        context: VerificationContext | None = None,
        *,
        reader: Reader | None = None,
        block: int | str | None = "latest",
        at: str | datetime | int | None = None,
        today: Reader | None = None,
    ) -> VerificationResult:
        """Verify one certificate, now (default), as of a past `block`, or as of a past time `at`; or through
        `reader` (judged at `at`, default now). Options as for `verify_many`."""
        return self.verify_many([document], context, reader=reader, block=block, at=at, today=today)[0]

    def verify_many(
        self,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        reader: Reader | None = None,
        block: int | str | None = "latest",
        at: str | datetime | int | None = None,
        today: Reader | None = None,
    ) -> list[VerificationResult]:
        """Verify many certificates at one block, sharing chain reads.

        Without `reader`, the chain is read at its head, at `block`, or at the last block at or before the time
        `at` (see `resolve`). With `reader` (a `ChainReader`, the index's `IndexReader`), its reads are used and
        `at` (RFC 3339, datetime or Unix seconds; default now) is only the time validity and recognition are
        judged at; `block` cannot be given then. The issuer's standing is read with `today` (default: the reader
        when judging now, else a reader at the chain's head).
        """
        one = status_question(documents[0]) if len(documents) == 1 and reader is None else None
        reader, when = self._question(reader, block, at, one)
        now = int(self.clock())
        if len(documents) > 1:
            self._prefetch(reader, documents)
        if today is None:
            today = reader if when is None else self.reader("latest")
        judged_at = now if when is None else when
        run = Run(reader, context, judged_at, today=today, checked_at=now, verify_signature=self._verify_signature,
                  status_lists=self.status_lists, made=self._made,
                  memo=self._memo_for(memo_key(reader, today, context, judged_at, now)))  # fmt: skip
        if len(documents) < _BULK:
            return self._answer(run, documents)
        with collection_paused():
            return self._answer(run, documents)

    def _memo_for(self, key: tuple[Any, ...] | None) -> Memo | None:
        """The memo runs with `key` share (`ledger.verification.run.memo_key`): one `/verify` after another within
        a second, at one index position and context, judges again only what it has not judged yet."""
        if key is None:
            return None
        memo = self._memos.get(key)
        if memo is None:
            if len(self._memos) >= SHARED_MEMOS:
                self._memos.clear()
            memo = self._memos[key] = ({}, {})
        return memo

    def _answer(self, run: Run, documents: Sequence[Any]) -> list[VerificationResult]:
        """Checks 1-3 of all `documents` (the native ones for all at once), then checks 4-9 of each in `run`; alike
        certificates of a batch answered once (`ledger.verification.alike`)."""
        if len(documents) > 1:
            return answer_many(self._local, run, documents)
        checked = self._local.check_many(documents, run.made)
        return [run.verify(d, local) for d, local in zip(documents, checked, strict=True)]

    def verify_with(
        self,
        reader: Reader,
        documents: Sequence[Any],
        context: VerificationContext | None = None,
        *,
        at: int | None = None,
        today: Reader | None = None,
    ) -> list[VerificationResult]:
        """`verify_many(documents, context, reader=reader, at=at, today=today)`: the form kept for its callers."""
        return self.verify_many(documents, context, reader=reader, at=at, today=today)

    def _question(
        self, reader: Reader | None, block: Block, at: When, status_of: StatusOf
    ) -> tuple[Reader, int | None]:
        """The reader and the time to judge at (`None`: now) of a question."""
        if reader is None:
            return self.resolve(block=block, at=at, status_of=status_of)
        if block is not None and block != "latest":
            raise LedgerValueError("verify through a reader or at a block, not both")
        return reader, None if at is None else seconds(at)

    def _prefetch(self, reader: Reader, documents: Sequence[Any]) -> None:
        """Load the status changes of the registered agencies issuing most of `documents` (as many as a reader
        keeps), so that their statuses need no read per certificate."""
        issuers = Counter(a for a in map(issuer_address, documents) if a is not None)
        for agency, _ in issuers.most_common(_reads.STATUS_CACHE_AGENCIES):
            if reader.agency(agency) is not None:
                reader.prefetch_statuses(agency)

    def _verify(
        self,
        doc: Any,
        context: VerificationContext | None,
        reader: Reader,
        now: int,
        *,
        today: Reader | None = None,
        checked_at: int | None = None,
    ) -> VerificationResult:
        """The nine checks of `doc` judged alone, all in Python (the reference `verify_many` gives the same
        answers as), with `reader`'s reads, validity and recognition judged at `now`; the issuer's standing
        read with `today` (default `reader`)."""
        run = Run(reader, context, now, today=today, checked_at=checked_at, verify_signature=self._verify_signature,
                  status_lists=self.status_lists)  # fmt: skip
        return run.verify(doc, self._local.check(doc, run.made))
