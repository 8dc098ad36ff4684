"""How many malloc arenas a service worker's threads share (glibc).

glibc gives threads that allocate at once arenas of their own, up to eight per core, and an arena keeps the memory
freed in it for later. A worker's threads (the event loop, the thread pool, the indexer, the usage writer, and the
native core's threads hashing and checking batches) then spread their allocations over a dozen arenas whose freed
pages are not handed back: over 5,000 transactions through two workers (`tests/api/test_soak.py`) their memory grew
by 13 and 19 %, steadily; with two arenas, by 4 and 9 %. `limit_arenas` sets the most (glibc's `M_ARENA_MAX`)
for arenas made from then on, in the worker itself, so that it holds whether uvicorn serves in its own process or
in workers it starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("hurong.api")

#: `M_ARENA_MAX` of glibc's `mallopt`.
_M_ARENA_MAX = -8


def limit_arenas(most: int) -> bool:
    """Let this process's threads share at most `most` malloc arenas (0: glibc's default); whether it took effect
    (False where the C library is not glibc)."""
    if most <= 0:
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = bool(mallopt(_M_ARENA_MAX, most))
    if not done:
        log.warning("the C library refused to limit malloc arenas to %d", most)
    return done
