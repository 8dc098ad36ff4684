"""A service worker limits the malloc arenas its threads share (`HURONG_MALLOC_ARENAS`, default 2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from api.memory import limit_arenas
from api.settings import Settings


def test_the_limit_takes_effect_in_a_process_whose_threads_then_share_the_arenas() -> None:
    # In a process of its own: eight threads allocating at once get at most two arenas (glibc's malloc_info
    # lists one <heap> per arena), where without the limit they get more.
    script = textwrap.dedent(
        """
        import ctypes, ctypes.util, sys, threading
        from api.memory import limit_arenas
        if sys.argv[1] == "1":
            assert limit_arenas(2)
        barrier = threading.Barrier(8)
        def work():
            barrier.wait()
            keep = [bytearray(200) for _ in range(20000)]
            barrier.wait()
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.open_memstream.restype = ctypes.c_void_p
        buf, size = ctypes.c_char_p(), ctypes.c_size_t()
        stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
        libc.malloc_info(0, ctypes.c_void_p(stream)); libc.fclose(ctypes.c_void_p(stream))
        print(buf.value.decode().count("<heap nr="))
        """
    )
    root = Path(__file__).resolve().parents[2]
    counts = [int(subprocess.run([sys.executable, "-c", script, flag], cwd=root, capture_output=True, text=True,
                                 check=True).stdout) for flag in ("1", "0")]  # fmt: skip
    assert counts[0] <= 2 < counts[1], counts


def test_zero_leaves_the_default_and_the_setting_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert limit_arenas(0) is False
    assert Settings().malloc_arenas == 2
    monkeypatch.setenv("HURONG_MALLOC_ARENAS", "-1")
    with pytest.raises(ValueError, match="malloc_arenas"):
        Settings()
