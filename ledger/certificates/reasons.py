"""Reason codes of certificate and agency status changes (stored as `uint16` on chain)."""

from __future__ import annotations

from enum import IntEnum

from ledger.errors import InvalidReason as InvalidReason


class Reason(IntEnum):
    UNSPECIFIED = 0
    ISSUED_IN_ERROR = 1  # 错误发证
    HOLDER_REQUEST = 2  # 持证人申请
    FRAUD = 3  # 以欺骗等不正当手段取得
    CANCELLED = 4  # 注销
    REVOKED_BY_AUTHORITY = 5  # 吊销 (行政处罚)
    REPLACED = 6  # 换发/补发
    UNDER_INVESTIGATION = 7  # 调查中暂停
    INVESTIGATION_CLOSED = 8  # 调查结束恢复
    HOLDER_DECEASED_OR_DISSOLVED = 9  # 持证人死亡或主体注销
    CHANGE_OF_PARTICULARS = 10  # 登记事项变更


LABELS_ZH = {
    Reason.UNSPECIFIED: "未说明",
    Reason.ISSUED_IN_ERROR: "错误发证",
    Reason.HOLDER_REQUEST: "持证人申请",
    Reason.FRAUD: "以欺骗等不正当手段取得",
    Reason.CANCELLED: "注销",
    Reason.REVOKED_BY_AUTHORITY: "吊销",
    Reason.REPLACED: "换发或补发",
    Reason.UNDER_INVESTIGATION: "调查期间暂停",
    Reason.INVESTIGATION_CLOSED: "调查结束恢复",
    Reason.HOLDER_DECEASED_OR_DISSOLVED: "持证人死亡或主体终止",
    Reason.CHANGE_OF_PARTICULARS: "登记事项变更",
}


#: Longest decimal reason accepted: a `uint16` has at most five digits.
MAX_REASON_DIGITS = 5


def parse_reason(value: object) -> Reason:
    """A reason from its number or its documented name (ASCII, case-insensitive, `-` or `_` between words).

    Accepted: a `Reason` member, an integer that names one (not a boolean), a name such as `fraud` or
    `under-investigation`, or up to five plain ASCII digits (`"3"`). Anything else, such as `True`, `"²"`,
    `"٣"` (digits of other scripts), `" 3"` or a long run of digits, raises `InvalidReason`.
    """
    if isinstance(value, Reason):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value in _BY_NUMBER:
            return _BY_NUMBER[value]
    elif isinstance(value, str) and value.isascii():
        if value.isdigit():
            if len(value) <= MAX_REASON_DIGITS and int(value) in _BY_NUMBER:
                return _BY_NUMBER[int(value)]
        else:
            key = value.upper().replace("-", "_")
            if key in Reason.__members__:
                return Reason[key]
    names = ", ".join(r.name.lower() for r in Reason)
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise InvalidReason(f"unknown reason {shown}; expected a number 0-{max(Reason)} or one of: {names}")


_BY_NUMBER = {int(r): r for r in Reason}


def reason_name(code: int) -> str:
    """The documented name of a reason code (`under_investigation`), or `reason_<n>` for a number no name has
    (the chain stores any `uint16`)."""
    found = _BY_NUMBER.get(int(code))
    return found.name.lower() if found is not None else f"reason_{int(code)}"


def reason_label(code: int) -> str:
    """The Chinese label of a reason code (`调查期间暂停`), or its number for one no name has."""
    found = _BY_NUMBER.get(int(code))
    return LABELS_ZH[found] if found is not None else str(int(code))


def reason_fields(code: int) -> dict[str, str | int]:
    """A reason as the API answers it: by name, with the number beside (`{"reason": "fraud", "reasonCode": 3}`)."""
    return {"reason": reason_name(code), "reasonCode": int(code)}
