"""`collection_paused` holds the garbage collector back while bulk calls run, in any number of threads, and leaves
it as it found it."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from ledger.certificates.collection import collection_paused, freeze_start_up


def test_the_collector_runs_again_once_the_last_bulk_call_has_left() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_inside_still_lets_the_collector_run_again() -> None:
    with pytest.raises(ValueError, match="refused"), collection_paused():
        raise ValueError("refused")
    assert gc.isenabled()


def test_threads_share_one_count() -> None:
    entered, release = threading.Barrier(3), threading.Event()
    seen: list[bool] = []

    def bulk() -> None:
        with collection_paused():
            entered.wait()
            release.wait()
        seen.append(gc.isenabled())

    threads = [threading.Thread(target=bulk) for _ in range(2)]
    for thread in threads:
        thread.start()
    entered.wait()
    assert not gc.isenabled()
    release.set()
    for thread in threads:
        thread.join()
    assert gc.isenabled() and len(seen) == 2


class _Node:
    next: object


def test_freezing_start_up_keeps_live_objects_out_of_collections_and_still_collects_new_cycles() -> None:
    kept = {"start-up": ["state"]}
    try:
        frozen = freeze_start_up()
        assert frozen == gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # never walked again by a collection
        cycle = _Node()
        cycle.next = cycle
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None  # a cycle made after the freeze is collected as before
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())
