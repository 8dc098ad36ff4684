"""GB/T 36904 electronic licence identifiers (电子证照标识) and the ISO 7064 MOD 37,36 check character.

An identifier reads `1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check character>`:

- `1.2.156.3005.2`, the root of electronic licence identifiers (电子证照根代码);
- the licence type code (证照类型代码), 21 characters: the unified social credit code of the department that
  defines the licence type, and 3 digits it assigns (`CertificateType.licence_type_code` in the catalogue);
- the issuing body code (证照颁发机构代码), the issuing agency's 18-character unified social credit code;
- the serial (流水号), assigned by the issuing body: 1 to 32 digits or capital letters here;
- the version (版本号), 3 digits;
- the check character (校验位), ISO/IEC 7064 MOD 37,36 over type code + issuer code + serial + version written
  together without the dots, one of `0`-`9`, `A`-`Z`.

`docs/identifiers.md` says where each rule comes from and which could not be checked against the standard's
own text. `check_licence_identifier` returns the problems of a value (an empty list when it is good), each with
the field's JSON Pointer, a machine-readable code and a message, as the other checks of
`ledger.certificates.validation` do; `check_credential_identifier` checks the identifier a credential carries
against its certificate type and, when known, the issuing agency's credit code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.certificates.catalogue import _TYPES_BY_CODE
from ledger.certificates.validation import Problem, check_uscc
from ledger.errors import LedgerValueError

#: The root of GB/T 36904 electronic licence identifiers.
PREFIX = "1.2.156.3005.2"
#: ISO/IEC 7064's alphanumeric character set: `0`-`9` have values 0-9, `A`-`Z` values 10-35.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
#: Longest serial accepted (the longest met in practice is a 32-character hexadecimal UUID).
MAX_SERIAL = 32
#: Where a credential carries its identifier.
POINTER = "/credentialSubject/licenceIdentifier"
#: The shape of an identifier, for JSON Schema (`pattern`) and the quick structural check.
PATTERN = (
    rf"^1\.2\.156\.3005\.2\.[0-9A-Z]{{18}}[0-9]{{3}}\.[0-9A-Z]{{18}}\.[0-9A-Z]{{1,{MAX_SERIAL}}}\.[0-9]{{3}}\.[0-9A-Z]$"
)
_SHAPE = re.compile(PATTERN, flags=re.ASCII)


def mod37_36(body: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 check character of `body` (digits and capital letters).

    The hybrid system with modulus M = 36: starting from P = M, each character of value a makes
    S = (P + a) mod M (M when that is 0) and P = 2·S mod (M + 1); the check character is the one whose value
    a makes (P + a) mod M = 1, that is (M + 1 - P) mod M."""
    if not body or any(c not in _VALUES for c in body):
        raise LedgerValueError(f"ISO 7064 MOD 37,36 takes digits and capital letters, got {body!r}")
    modulus = len(ALPHABET)
    product = modulus
    for char in body:
        total = (product + _VALUES[char]) % modulus or modulus
        product = total * 2 % (modulus + 1)
    return ALPHABET[(modulus + 1 - product) % modulus]


@dataclass(frozen=True, slots=True)
class LicenceIdentifier:
    """The parts of a GB/T 36904 identifier; `str()` writes it with its check character."""

    type_code: str
    issuer_code: str
    serial: str
    version: int = 1

    def __str__(self) -> str:
        return make_identifier(self.type_code, self.issuer_code, self.serial, self.version)


def make_identifier(type_code: str, issuer_code: str, serial: str, version: int = 1) -> str:
    """The complete identifier of these parts, check character included; `LedgerValueError` when a part is
    malformed (a credit code with a wrong check character included)."""
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 999:
        raise LedgerValueError(f"a version is 1 to 999, got {version!r}")
    parts = (type_code, issuer_code, serial)
    if not all(isinstance(part, str) and part and set(part) <= _VALUES.keys() for part in parts):
        raise LedgerValueError(f"identifier parts are digits and capital letters, got {parts!r}")
    body = f"{type_code}.{issuer_code}.{serial}.{version:03d}"
    text = f"{PREFIX}.{body}.{mod37_36(body.replace('.', ''))}"
    problems = check_licence_identifier(text, "")
    if problems:
        raise LedgerValueError(problems[0].message)
    return text


def parse_identifier(value: str) -> LicenceIdentifier:
    """The parts of a valid identifier; `LedgerValueError` naming the first problem otherwise."""
    problems = check_licence_identifier(value)
    if problems:
        raise LedgerValueError(problems[0].message)
    _, type_code, issuer_code, serial, version, _ = value.removeprefix(PREFIX).split(".")
    return LicenceIdentifier(type_code, issuer_code, serial, int(version))


def check_licence_identifier(
    value: Any, pointer: str = POINTER, *, type_code: str | None = None, issuer_code: str | None = None
) -> list[Problem]:
    """Problems of a GB/T 36904 identifier; empty if it is valid.

    Checks the structure, the two credit codes (GB 32100, their check characters included), the version and the
    check character; with `type_code` or `issuer_code`, that the identifier names that licence type and that
    issuing body."""
    if not isinstance(value, str):
        return [Problem(pointer, "invalid_type", "a licence identifier must be a string")]
    if not _SHAPE.fullmatch(value):
        return [
            Problem(
                pointer,
                "invalid_licence_identifier",
                f"a GB/T 36904 identifier is {PREFIX}.<21-character type code>.<18-character issuer code>."
                f"<serial of 1-{MAX_SERIAL} digits or capitals>.<3-digit version>.<check character>, got {value!r}",
            )
        ]
    _, kind, issuer, serial, version, check = value.removeprefix(PREFIX).split(".")
    problems: list[Problem] = []
    for code, what in ((kind[:18], "type code's department"), (issuer, "issuer code")):
        for problem in check_uscc(code, pointer):
            problems.append(
                Problem(pointer, "invalid_licence_identifier_code", f"the {what} {code}: {problem.message}")
            )
    if version == "000":
        problems.append(Problem(pointer, "invalid_licence_identifier_version", "the version starts at 001"))
    expected = mod37_36(kind + issuer + serial + version)
    if check != expected:
        problems.append(
            Problem(
                pointer,
                "invalid_licence_identifier_checksum",
                f"check character is {check!r}, expected {expected!r} (ISO 7064 MOD 37,36)",
            )
        )
    if type_code is not None and kind != type_code:
        problems.append(
            Problem(
                pointer,
                "licence_identifier_type_mismatch",
                f"the identifier names licence type {kind}; this certificate type's code is {type_code}",
            )
        )
    if issuer_code is not None and issuer != issuer_code:
        problems.append(
            Problem(
                pointer,
                "licence_identifier_issuer_mismatch",
                f"the identifier names issuing body {issuer}; the issuing agency's credit code is {issuer_code}",
            )
        )
    return problems


def check_credential_identifier(credential: Mapping[str, Any], *, issuer_code: str | None = None) -> list[Problem]:
    """Problems of the identifier a credential carries (none when it carries none): valid, of the credential's
    certificate type, and of the issuing body `issuer_code` when that is given."""
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or "licenceIdentifier" not in subject:
        return []
    code = subject.get("certificateType")
    kind = _TYPES_BY_CODE.get(code) if isinstance(code, str) else None
    return check_licence_identifier(
        subject["licenceIdentifier"],
        POINTER,
        type_code=kind.licence_type_code if kind is not None else None,
        issuer_code=issuer_code,
    )


def credential_identifier(credential: Mapping[str, Any]) -> str | None:
    """The identifier a credential carries, or None."""
    subject = credential.get("credentialSubject")
    value = subject.get("licenceIdentifier") if isinstance(subject, Mapping) else None
    return value if isinstance(value, str) else None


__all__ = [
    "ALPHABET",
    "MAX_SERIAL",
    "PATTERN",
    "POINTER",
    "PREFIX",
    "LicenceIdentifier",
    "check_credential_identifier",
    "check_licence_identifier",
    "credential_identifier",
    "make_identifier",
    "mod37_36",
    "parse_identifier",
]
