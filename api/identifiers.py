"""GB/T 36904 licence identifiers in the service: `ledger.issuance.identifiers`, which `hurong issue` uses too."""

from ledger.issuance.identifiers import (
    BLOCK,
    CREDIT_CODES,
    SERIAL_DIGITS,
    SERIAL_PREFIX,
    SERIALS_FILE,
    IdentifyingIssuer,
    Serials,
    credit_code,
    describe_credit_codes,
)

__all__ = [
    "BLOCK",
    "CREDIT_CODES",
    "SERIALS_FILE",
    "SERIAL_DIGITS",
    "SERIAL_PREFIX",
    "IdentifyingIssuer",
    "Serials",
    "credit_code",
    "describe_credit_codes",
]
