"""Both implementations of the hashing and Merkle core, side by side: the pure-Python reference and the native
core (`hurong_native`), whatever `HURONG_NATIVE` says for the rest of the suite."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.certificates import reference
from ledger.errors import IntegrityError, LedgerValueError

native = pytest.importorskip("hurong_native", reason="the native core is not built (scripts/build-native.sh)")
native.bind_errors(LedgerValueError, IntegrityError)

REFERENCE = reference
IMPLEMENTATIONS = {"reference": REFERENCE, "native": native}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def impl(request: pytest.FixtureRequest) -> Any:
    return IMPLEMENTATIONS[request.param]


def outcome(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    """What a call returns, or the type and message of what it raises (to compare implementations)."""
    try:
        return ("returned", function(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 -- every exception is part of the behaviour compared
        return ("raised", type(exc), str(exc))
