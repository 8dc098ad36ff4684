"""Named crash points for recovery tests: `HURONG_FAILPOINTS=name[,name…]` makes the process exit at once
(status 86, no cleanup, like a power cut) when it reaches a named point. Unset in normal operation."""

from __future__ import annotations

import os

EXIT_STATUS = 86


def failpoint(name: str) -> None:
    armed = os.environ.get("HURONG_FAILPOINTS")
    if armed and name in armed.split(","):
        os._exit(EXIT_STATUS)
