"""Checks a Chinese agency makes beyond JSON Schema: resident ID numbers, unified social credit codes, regions.

Each check takes the value and the JSON Pointer of the field it came from, and returns the problems it found
(an empty list when the value is good). A `Problem` names the field, a machine-readable `code` and a message;
`CertificateValidationError` carries a list of them.

- Resident ID numbers (公民身份号码, GB 11643-1999): 18 characters, the region prefix a GB/T 2260 code of any
  revision since 1980 (the code in force when the number was issued, so not one retired before the holder was
  born), a real birth date not in the future, and the ISO 7064 MOD 11-2 check character (`0`-`9` or `X`).
  The prefixes 810000, 820000 and 830000 of the residence permits of Hong Kong, Macao and Taiwan residents are
  accepted too.
- Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters of the 31-character set (digits
  and capitals without I, O, Z, S, V), a registration authority and an entity type of the standard's table, a
  GB/T 2260 region code in positions 3-8 (or 100000 for national registration), and the MOD 31 check character.
- Province and region codes (GB/T 2260): a province must be a current province-level code; a region must be a
  known code (current or historical) inside its province.
- Dates and times: an instant must lie, in UTC, between 1900-01-01T00:00:00Z (as birth dates: no licence of a
  living holder is older) and 9999-12-31T23:59:59Z (the last instant RFC 3339's four-digit years can write), so
  `0001-01-01T00:00:00+01:00` or `9999-12-31T23:59:59-01:00`, whose UTC form has no four-digit year, are refused.
- Text: no string may hold a control character (C0, DEL, C1; line and paragraph separators), an explicit
  bidirectional embedding, override or isolate (U+202A-U+202E, U+2066-U+2069), or an invisible character that
  only serves to make two different texts look alike (zero-width space, word joiner, BOM U+FEFF, soft hyphen,
  Hangul fillers, tag characters, ...). Fields of running text (a business scope, a description) may hold line
  feeds and tabs. Kept, because Chinese names and minority scripts need them: ZWJ and ZWNJ (Uyghur, Kazakh and
  emoji), the directional marks LRM, RLM and ALM (strong characters that override nothing), Mongolian free
  variation selectors and vowel separator, and variation selectors (ideographic variation sequences of rare
  characters, 生僻字).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from ledger.certificates import regions
from ledger.certificates.native import native as _native
from ledger.errors import CertificateValidationError as CertificateValidationError
from ledger.errors import LedgerValueError


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a document is refused: the field's JSON Pointer, a machine-readable code and a message."""

    pointer: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "code": self.code, "message": self.message}


# --- resident ID numbers, GB 11643-1999 -------------------------------------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
_ID_CHECK = "10X98765432"  # check character for (sum of weighted digits) mod 11
_RESIDENCE_PERMIT_PREFIXES = {"810000": "香港居民", "820000": "澳门居民", "830000": "台湾居民"}
#: Earliest birth date accepted: nobody alive was born before.
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def resident_id_check_character(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character (`0`-`9` or `X`) of the first 17 digits of a resident ID number."""
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise LedgerValueError(f"a resident ID number body is 17 digits, got {body!r}")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _py_check_resident_id(value: Any, pointer: str = "", *, today: date | None = None) -> list[Problem]:
    """The reference of `check_resident_id`."""
    if not isinstance(value, str):
        return [Problem(pointer, "invalid_type", "a resident ID number must be a string")]
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value, flags=re.ASCII):
        hint = " (the check character X is upper case)" if re.fullmatch(r"[0-9]{17}x", value) else ""
        return [
            Problem(
                pointer,
                "invalid_resident_id_format",
                f"a resident ID number is 17 digits and a check character 0-9 or X{hint}, got {value!r}",
            )
        ]
    problems: list[Problem] = []
    prefix, birth_text = value[:6], value[6:14]
    birth: date | None = None
    try:
        birth = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:]))
    except ValueError:
        problems.append(Problem(pointer, "invalid_birth_date", f"birth date {birth_text} is not a real date"))
    else:
        if birth > (today or datetime.now(UTC).date()):
            problems.append(
                Problem(pointer, "birth_date_in_future", f"birth date {birth.isoformat()} is in the future")
            )
        elif birth < EARLIEST_BIRTH_DATE:
            problems.append(
                Problem(
                    pointer, "invalid_birth_date", f"birth date {birth.isoformat()} is before {EARLIEST_BIRTH_DATE}"
                )
            )
    if prefix not in _RESIDENCE_PERMIT_PREFIXES:
        region = regions.lookup(prefix)
        if region is None:
            problems.append(
                Problem(
                    pointer, "unknown_region_prefix", f"region prefix {prefix} is no GB/T 2260 code of any revision"
                )
            )
        elif birth is not None and region.last_year is not None and region.last_year < birth.year - 1:
            # Allow a year of slack: the table knows codes by year, not by day.
            problems.append(
                Problem(
                    pointer,
                    "region_prefix_retired",
                    f"region prefix {prefix} ({region.name}) was retired in {region.last_year}, "
                    f"before the holder was born in {birth.year}",
                )
            )
    expected = resident_id_check_character(value[:17])
    if value[17] != expected:
        problems.append(
            Problem(
                pointer,
                "invalid_resident_id_checksum",
                f"check character is {value[17]!r}, expected {expected!r} (ISO 7064 MOD 11-2)",
            )
        )
    return problems


def is_valid_resident_id(value: Any, *, today: date | None = None) -> bool:
    return not check_resident_id(value, today=today)


# --- unified social credit codes, GB 32100-2015 -----------------------------------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
#: Registration authorities (登记管理部门, position 1) and their entity types (机构类别, position 2).
REGISTRATION_AUTHORITIES: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
#: Region code of registrations at national level (the State Council's departments), outside GB/T 2260's table.
NATIONAL_REGION_CODE = "100000"


def uscc_check_character(body: str) -> str:
    """The GB 32100 check character of the first 17 characters of a unified social credit code."""
    if len(body) != 17 or any(c not in _USCC_VALUES for c in body):
        raise LedgerValueError(f"a unified social credit code body is 17 characters of {USCC_CHARSET}, got {body!r}")
    total = sum(_USCC_VALUES[c] * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _py_check_uscc(value: Any, pointer: str = "") -> list[Problem]:
    """The reference of `check_uscc`."""
    if not isinstance(value, str):
        return [Problem(pointer, "invalid_type", "a unified social credit code must be a string")]
    if len(value) != 18:
        return [
            Problem(pointer, "invalid_uscc_format", f"a unified social credit code is 18 characters, got {len(value)}")
        ]
    bad = sorted({c for c in value if c not in _USCC_VALUES})
    if bad:
        return [
            Problem(
                pointer,
                "invalid_uscc_character",
                f"characters {''.join(bad)!r} are not allowed: digits and capitals except I, O, Z, S, V",
            )
        ]
    problems: list[Problem] = []
    authority = REGISTRATION_AUTHORITIES.get(value[0])
    if authority is None:
        problems.append(
            Problem(pointer, "unknown_registration_authority", f"registration authority code {value[0]!r} is unknown")
        )
    elif value[1] not in authority[1]:
        problems.append(
            Problem(
                pointer,
                "unknown_entity_type",
                f"entity type code {value[1]!r} is not one of {authority[0]}'s ({', '.join(authority[1])})",
            )
        )
    region = value[2:8]
    if region != NATIONAL_REGION_CODE and not regions.is_known(region):
        problems.append(
            Problem(pointer, "unknown_uscc_region", f"region code {region} (positions 3-8) is no GB/T 2260 code")
        )
    expected = uscc_check_character(value[:17])
    if value[17] != expected:
        problems.append(
            Problem(pointer, "invalid_uscc_checksum", f"check character is {value[17]!r}, expected {expected!r}")
        )
    return problems


def is_valid_uscc(value: Any) -> bool:
    return not check_uscc(value)


# --- GB/T 2260 province and region codes ------------------------------------------------------------------------


def _check_code_shape(value: Any, pointer: str) -> list[Problem]:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{6}", value, flags=re.ASCII):
        return [Problem(pointer, "invalid_region_code", f"a GB/T 2260 code is a string of 6 digits, got {value!r}")]
    return []


def _py_check_province_code(value: Any, pointer: str = "") -> list[Problem]:
    """The reference of `check_province_code`."""
    if problems := _check_code_shape(value, pointer):
        return problems
    region = regions.lookup(value)
    if region is None:
        return [Problem(pointer, "unknown_region_code", f"{value} is no GB/T 2260 code")]
    if region.level != "province":
        return [
            Problem(
                pointer, "not_a_province_code", f"{value} ({region.name}) is no province-level code (ending in 0000)"
            )
        ]
    if not region.current:
        return [Problem(pointer, "unknown_region_code", f"{value} ({region.name}) was retired in {region.last_year}")]
    return []


def _py_check_region_code(value: Any, pointer: str = "", *, province: str | None = None) -> list[Problem]:
    """The reference of `check_region_code`."""
    if problems := _check_code_shape(value, pointer):
        return problems
    region = regions.lookup(value)
    if region is None:
        return [Problem(pointer, "unknown_region_code", f"{value} is no GB/T 2260 code")]
    if province is not None and not regions.contains(province, value):
        inside = regions.lookup(regions.province_of(value))
        where = f" but in {inside.name} ({inside.code})" if inside else ""
        return [
            Problem(
                pointer, "region_outside_province", f"{value} ({region.name}) is not inside province {province}{where}"
            )
        ]
    return []


# --- dates and times ---------------------------------------------------------------------------------------------

#: The earliest and latest instants a certificate may name (see the module's docstring).
EARLIEST_DATETIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_DATETIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def check_datetime_range(value: datetime, pointer: str = "") -> list[Problem]:
    """Problems of an aware datetime outside EARLIEST_DATETIME..LATEST_DATETIME once taken to UTC.

    Aware datetimes compare by their UTC instants without being converted, so a value whose UTC form would not
    fit in a `datetime` (year 0 or 10000) is refused rather than overflowing.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        return [Problem(pointer, "invalid_datetime", "a date and time needs a time zone (Z or an offset)")]
    if EARLIEST_DATETIME <= value <= LATEST_DATETIME:
        return []
    return [
        Problem(
            pointer,
            "datetime_out_of_range",
            f"{value.isoformat()} is outside {EARLIEST_DATETIME:%Y-%m-%dT%H:%M:%SZ}"
            f"..{LATEST_DATETIME:%Y-%m-%dT%H:%M:%SZ} in UTC",
        )
    ]


# --- text -------------------------------------------------------------------------------------------------------

_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_INVISIBLE = (
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u200b\u2060-\u2065\u206a-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e00ff\U000e01f0-\U000e0fff"
)
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029"
#: Characters refused in one-line text, and in running text (which may hold line feeds and tabs).
_REFUSED_IN_LINE = re.compile(f"[\t\n{_CONTROLS}{_BIDI_CONTROLS}{_INVISIBLE}]")
_REFUSED_IN_TEXT = re.compile(f"[{_CONTROLS}{_BIDI_CONTROLS}{_INVISIBLE}]")
_BIDI = re.compile(f"[{_BIDI_CONTROLS}]")
_CONTROL = re.compile(f"[\t\n{_CONTROLS}]")


def _py_check_text(value: Any, pointer: str = "", *, multiline: bool = False) -> list[Problem]:
    """The reference of `check_text`."""
    if not isinstance(value, str):
        return []
    found = (_REFUSED_IN_TEXT if multiline else _REFUSED_IN_LINE).search(value)
    if found is None:
        return []
    char = found.group()
    if _BIDI.match(char):
        code, kind = "bidi_control", "bidirectional formatting character"
    elif _CONTROL.match(char):
        code, kind = "control_character", "control character"
    else:
        code, kind = "invisible_character", "invisible character"
    name = unicodedata.name(char, "")
    label = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return [Problem(pointer, code, f"{kind} {label} at character {found.start() + 1} is not allowed in text")]


def _py_text_problems(value: Any, pointer: str = "", multiline: frozenset[str] = frozenset()) -> Iterator[Problem]:
    """The reference of `text_problems`."""
    if isinstance(value, str):
        yield from _py_check_text(value, pointer, multiline=pointer in multiline)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str | Mapping | list):
                token = str(key).replace("~", "~0").replace("/", "~1")
                yield from _py_text_problems(item, f"{pointer}/{token}", multiline)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _py_text_problems(item, f"{pointer}/{index}", multiline)


# --- the native core -------------------------------------------------------------------------------------------
# The functions named `_py_*` above are the reference; the public names run the native core where it is in use
# (`ledger.certificates.native`), which gives the same problems.


@cache
def _native_checks() -> Any:
    """The native core with the GB/T 2260 table loaded into it, or None where the reference runs."""
    if _native is None:
        return None
    _native.load_regions([(r.code, r.last_year, r.name) for r in regions.regions()])
    return _native


def _problems(found: list[tuple[str, str, str]]) -> list[Problem]:
    return [Problem(*problem) for problem in found]


def check_resident_id(value: Any, pointer: str = "", *, today: date | None = None) -> list[Problem]:
    """Problems of a resident ID number (公民身份号码, GB 11643-1999); empty if it is valid."""
    native = _native_checks()
    if native is None:
        return _py_check_resident_id(value, pointer, today=today)
    return _problems(native.check_resident_id(value, pointer, today and (today.year, today.month, today.day)))


def check_uscc(value: Any, pointer: str = "") -> list[Problem]:
    """Problems of a unified social credit code (统一社会信用代码, GB 32100-2015); empty if it is valid."""
    native = _native_checks()
    return _py_check_uscc(value, pointer) if native is None else _problems(native.check_uscc(value, pointer))


def check_province_code(value: Any, pointer: str = "") -> list[Problem]:
    """Problems of a province-level code (a current GB/T 2260 `xx0000` code); empty if it is valid."""
    native = _native_checks()
    if native is None:
        return _py_check_province_code(value, pointer)
    return _problems(native.check_province_code(value, pointer))


def check_region_code(value: Any, pointer: str = "", *, province: str | None = None) -> list[Problem]:
    """Problems of a region code (any GB/T 2260 code since 1980), inside `province` when it is given."""
    native = _native_checks()
    if native is None or not (province is None or isinstance(province, str)):
        return _py_check_region_code(value, pointer, province=province)
    return _problems(native.check_region_code(value, pointer, province))


def check_text(value: Any, pointer: str = "", *, multiline: bool = False) -> list[Problem]:
    """Problems of a string holding a control, bidirectional or invisible character (see the module's docstring).

    `multiline` allows line feeds and tabs (running text). Names the first refused character and its position.
    Values other than strings have no problems here.
    """
    native = _native_checks()
    if native is None:
        return _py_check_text(value, pointer, multiline=multiline)
    return _problems(native.check_text(value, pointer, multiline))


def text_problems(value: Any, pointer: str = "", multiline: frozenset[str] = frozenset()) -> Iterator[Problem]:
    """`check_text` of every string in a JSON value, each at its JSON Pointer; `multiline` names running text."""
    native = _native_checks()
    if native is None:
        return _py_text_problems(value, pointer, multiline)
    return iter(_problems(native.text_problems(value, pointer, multiline)))


__all__ = [
    "CertificateValidationError",
    "EARLIEST_BIRTH_DATE",
    "EARLIEST_DATETIME",
    "LATEST_DATETIME",
    "NATIONAL_REGION_CODE",
    "Problem",
    "REGISTRATION_AUTHORITIES",
    "USCC_CHARSET",
    "check_datetime_range",
    "check_province_code",
    "check_region_code",
    "check_resident_id",
    "check_text",
    "check_uscc",
    "is_valid_resident_id",
    "is_valid_uscc",
    "resident_id_check_character",
    "text_problems",
    "uscc_check_character",
]
