"""Issuance batching across concurrent requests: certificates submitted within `max_wait` seconds of each
other (up to `max_size`) are anchored under one Merkle root, and each request gets its own back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from api.errors import ApiError
from api.signing import RootSigner, refusal
from api.store import service_store
from ledger.errors import SigningKeyError, StoreError
from ledger.issuance.issuer import IssuanceError, Issuer
from ledger.issuance.journal import DuplicateLicence


class BatchingIssuer:
    def __init__(
        self,
        issuer: Issuer,
        *,
        max_size: int,
        max_wait: float,
        on_batch: Callable[[int, float], None] | None = None,
        signing: Callable[[bool], RootSigner | None] | None = None,
    ) -> None:
        self.issuer = issuer
        if issuer.store is None:  # encrypted documents and batch manifests go to the service's store, if any
            issuer.store = service_store()
        #: The signer of each batch's root (its argument: choose again, the chain refused the last choice), or
        #: None: unsigned. It refuses (`ApiError`) when the agency has no key that can sign now.
        self.signing = signing
        self.max_size = max_size
        self.max_wait = max_wait
        self.on_batch = on_batch
        self._queue: list[_Request] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"issuer-{issuer.agency}", daemon=True)
        self._thread.start()

    def submit(
        self,
        credentials: list[dict[str, Any]],
        timeout: float = 300.0,
        *,
        request_ref: str | None = None,
        replaceable: Collection[bytes] = (),
        validated: bool = False,
    ) -> list[dict[str, Any]]:
        """Validate now (refusing this request alone), then wait for the batch that anchors them. The
        certificates are journaled under `request_ref`, so a retry finds them (`Issuer.for_request`). Each licence
        is held by one certificate only, those of `replaceable` aside (`DuplicateLicence`, for this request alone).
        `validated`: the caller has had `Issuer.check` find nothing wrong with these credentials."""
        problems = [] if validated else self.issuer.check(credentials)
        if problems:
            raise IssuanceError(problems)
        future: Future[list[dict[str, Any]]] = Future()
        with self._cond:
            self._queue.append(_Request(credentials, future, request_ref, frozenset(replaceable)))
            self._cond.notify()
        return future.result(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                deadline = time.monotonic() + self.max_wait
                while sum(len(r.credentials) for r in self._queue) < self.max_size:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                group: list[_Request] = []
                total = 0
                while self._queue and (not group or total + len(self._queue[0].credentials) <= self.max_size):
                    item = self._queue.pop(0)
                    group.append(item)
                    total += len(item.credentials)
            self._issue(group)

    def _issue(self, group: list[_Request]) -> None:
        if not group:
            return
        combined = [c for r in group for c in r.credentials]
        refs = [r.ref for r in group for _ in r.credentials]
        replaceable = frozenset().union(*(r.replaceable for r in group))
        started = time.perf_counter()
        try:
            wrapped = self._anchor(combined, refs, replaceable)
        except DuplicateLicence as exc:  # refuse the requests holding a duplicate, issue the others
            self._issue(_refuse_duplicates(group, exc))
            return
        except StoreError as exc:  # journaled; the reconciler stores and anchors it once the store is back
            unavailable = ApiError(
                503,
                "store_unavailable",
                f"文档存储不可用 the document store is unavailable; the batch is journaled and anchored once it is"
                f" back (retry with the same Idempotency-Key): {exc}",
            )
            for r in group:
                r.future.set_exception(unavailable)
            return
        except Exception as exc:  # noqa: BLE001 (handed to every waiting request)
            for r in group:
                r.future.set_exception(exc)
            return
        if self.on_batch:
            self.on_batch(len(combined), time.perf_counter() - started)
        offset = 0
        for r in group:
            r.future.set_result(wrapped[offset : offset + len(r.credentials)])
            offset += len(r.credentials)

    def _anchor(
        self, credentials: list[dict[str, Any]], refs: list[str | None], replaceable: frozenset[bytes]
    ) -> list[dict[str, Any]]:
        """Issue one group, its roots signed with the agency's current key (if any): chosen from the cache first,
        and once more from an index brought up to date if the chain refuses that key (revoked or expired since)."""
        if self.signing is None:
            return self.issuer.issue(credentials, request_refs=refs, replaceable=replaceable)
        try:
            signer = self.signing(False)
            return self.issuer.issue(credentials, request_refs=refs, replaceable=replaceable, signer=signer)
        except SigningKeyError:
            pass
        signer = self.signing(True)
        try:
            return self.issuer.issue(credentials, request_refs=refs, replaceable=replaceable, signer=signer)
        except SigningKeyError as exc:
            raise refusal(exc, self.issuer.suite) from exc


@dataclass(frozen=True)
class _Request:
    credentials: list[dict[str, Any]]
    future: Future[list[dict[str, Any]]]
    ref: str | None
    replaceable: frozenset[bytes] = frozenset()


def _refuse_duplicates(group: list[_Request], exc: DuplicateLicence) -> list[_Request]:
    """Fail each request of `group` with its own conflicts (positions within the request); the others, left."""
    conflicts: dict[int, list[tuple[int, bytes]]] = {}
    offset = 0
    for number, request in enumerate(group):
        for position, holder in exc.conflicts:
            if offset <= position < offset + len(request.credentials):
                conflicts.setdefault(number, []).append((position - offset, holder))
        offset += len(request.credentials)
    if not conflicts:  # positions outside the group: nothing to tell apart
        conflicts = {number: list(exc.conflicts) for number in range(len(group))}
    for number, found in conflicts.items():
        group[number].future.set_exception(DuplicateLicence(found))
    return [r for number, r in enumerate(group) if number not in conflicts]
