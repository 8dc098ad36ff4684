"""`did:pkh` identifiers of agency accounts (`did:pkh:eip155:<chainId>:<address>`)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from eth_utils import is_address, to_checksum_address

from ledger.errors import LedgerValueError

_DID = re.compile(r"^did:pkh:eip155:(?P<chain>[1-9][0-9]{0,18}):(?P<address>0x[0-9a-fA-F]{40})$")

#: The longest DID of this form: `did:pkh:eip155:` (15) + a 19-digit chain id + `:` + a 42-character address.
MAX_DID_LENGTH = 15 + 19 + 1 + 42

#: Distinct DIDs whose parse is memoised (least recently used dropped first): issuers number in the
#: thousands, and every entry is under 200 bytes of key and value.
PARSE_CACHE_SIZE = 4096


def agency_did(chain_id: int, address: str) -> str:
    if not is_address(address):
        raise LedgerValueError(f"invalid address {address!r}")
    return f"did:pkh:eip155:{int(chain_id)}:{to_checksum_address(address)}"


def parse_agency_did(did: Any) -> tuple[int, str]:
    """(chain id, checksummed address) of a `did:pkh:eip155` DID; `LedgerValueError` for anything else,
    whatever its type or length."""
    if not isinstance(did, str) or len(did) > MAX_DID_LENGTH:
        raise LedgerValueError(f"issuer id {_shown(did)} is not a did:pkh:eip155:<chainId>:<address> DID")
    return _parse(did)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse(did: str) -> tuple[int, str]:
    match = _DID.match(did)
    if match is None:
        raise LedgerValueError(f"issuer id {did!r} is not a did:pkh:eip155:<chainId>:<address> DID")
    return int(match["chain"]), to_checksum_address(match["address"])


def _shown(value: Any) -> str:
    """A short rendering of a rejected value for messages: its type, and its start when it is long text."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 80 else f"{value[:40]!r}… ({len(value)} characters)"
    if value is None or isinstance(value, bool | float) or (isinstance(value, int) and value.bit_length() <= 64):
        return repr(value)
    return f"of type {type(value).__name__}"
