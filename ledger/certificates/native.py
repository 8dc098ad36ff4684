"""The native core, `hurong_native` (Rust): the same bytes and problems as the pure-Python reference, faster.

`hashing`, `merkle`, `validation`, `schema_checks` and `clearing` use it when it is installed
(`scripts/build-native.sh` builds it) and fall back to their reference code otherwise, with one warning at start-up.
`HURONG_NATIVE=0` forces the reference. The native functions raise the package's own exceptions (`LedgerValueError`,
`IntegrityError`) with the reference's messages, and validation gives the reference's pointers, codes and messages.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType

from ledger.errors import IntegrityError, LedgerValueError

log = logging.getLogger(__name__)


def _load() -> ModuleType | None:
    if os.environ.get("HURONG_NATIVE", "").strip() == "0":
        return None
    try:
        import hurong_native  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        log.warning(
            "the native core (hurong_native) is not installed: hashing, Merkle trees and validation run in pure Python "
            "(scripts/build-native.sh builds it)"
        )
        return None
    hurong_native.bind_errors(LedgerValueError, IntegrityError)
    return hurong_native


#: The native module in use, or `None` where the reference runs.
native: ModuleType | None = _load()
