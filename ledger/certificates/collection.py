"""`collection_paused`: the cyclic garbage collector held back during bulk work on many documents.

Issuing or verifying ten thousand documents allocates millions of short-lived, acyclic objects (dicts, lists,
results), and the results kept alive make every full collection walk more of them: ~15-20 % of the CPU time of
`Issuer.issue` and `Verifier.verify_many` at batch 10,000 (`BENCHMARKS.md`). Reference counting still frees
everything as before; the collector runs again, on its usual schedule, once the last bulk call has left. Calls in
several threads share one count, so the collector is re-enabled only when none is inside, and never when it was
disabled before the first one entered.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pauses:
    """How many bulk calls are inside, and whether the collector was enabled when the first one entered."""

    lock = threading.Lock()
    inside = 0
    was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold back the cyclic garbage collector while the block runs (see the module's description)."""
    with _Pauses.lock:
        if _Pauses.inside == 0:
            _Pauses.was_enabled = gc.isenabled()
            gc.disable()
        _Pauses.inside += 1
    try:
        yield
    finally:
        with _Pauses.lock:
            _Pauses.inside -= 1
            if _Pauses.inside == 0 and _Pauses.was_enabled:
                gc.enable()


def freeze_start_up() -> int:
    """Collect once, then move every object alive now out of the collector's view (`gc.freeze`); returns how many.

    A service's start-up leaves ~200,000 long-lived objects (modules, classes, schemas, caches) that every full
    collection walks: 100-130 ms each, with the event loop stopped, every few seconds under load (`BENCHMARKS.md`,
    `/verify` p99). Frozen, they are never walked again; objects made later are collected as before, and reference
    counting frees frozen ones that die as it always did."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
