"""`did:pkh` identifiers of agency accounts (`did:pkh:eip155:<chainId>:<address>`)."""

from __future__ import annotations

import re
from functools import lru_cache

from eth_utils import is_address, to_checksum_address

from .errors import LedgerValueError

_DID = re.compile(r"^did:pkh:eip155:(?P<chain>[1-9][0-9]{0,18}):(?P<address>0x[0-9a-fA-F]{40})$")


def agency_did(chain_id: int, address: str) -> str:
    if not is_address(address):
        raise LedgerValueError(f"invalid address {address!r}")
    return f"did:pkh:eip155:{int(chain_id)}:{to_checksum_address(address)}"


@lru_cache(maxsize=4096)
def parse_agency_did(did: str) -> tuple[int, str]:
    """(chain id, checksummed address) of a `did:pkh:eip155` DID."""
    match = _DID.match(did) if isinstance(did, str) else None
    if match is None:
        raise LedgerValueError(f"issuer id {did!r} is not a did:pkh:eip155:<chainId>:<address> DID")
    return int(match["chain"]), to_checksum_address(match["address"])
