"""The Chinese of every check and warning message: `message` is Chinese, `messageEn` English.

The checks write their English message where they judge; the Chinese comes from `CHECK_MESSAGES`, one template
per (check, code), filled from the check's details (a value missing from them is shown as `—`, so a message
never fails to render). `check_result` and `standing_warning` build results carrying both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from ledger.certificates.reasons import reason_label
from ledger.verification.results import CheckResult, Outcome, VerificationWarning

#: Chinese message templates by (check, code); `*` stands for any check.
CHECK_MESSAGES: Mapping[tuple[str, str], str] = {
    ("format", "not_an_object"): "证照必须是 JSON 对象",
    ("format", "missing_proof"): "证照没有证明（proof）：不是经互认平台签发的证照",
    ("format", "bad_proof"): "证明（proof）的格式不正确",
    ("format", "bad_issuer"): "发证机关标识不是 did:pkh:eip155 标识",
    ("format", "schema"): "证照内容不符合格式要求（{pointer}）",
    ("format", "missing_subject"): "证照内容（credentialSubject）缺失或未披露",
    ("format", "undisclosed_field"): "验证需要披露 {field}",
    ("format", "ok"): "格式正确的电子证照，附有互认平台的证明",
    ("*", "format_failed"): "未检查：证照格式不正确",
    ("integrity", "ok"): "摘要与披露的字段和隐藏字段的哈希一致",
    ("integrity", "fields_mismatch"): "披露的字段、盐值与隐藏字段的哈希不一致",
    ("integrity", "digest_mismatch"): "字段的哈希与证明中的摘要不符：证照内容已被改动",
    ("inclusion", "ok"): "Merkle 路径（{pathLength} 个哈希）通向批次根",
    ("inclusion", "bad_merkle_path"): "Merkle 路径不能从摘要通向批次根",
    ("anchoring", "wrong_chain"): "证照所在的链（{chainId}）不是本服务读取的链（{expectedChainId}）",
    ("anchoring", "wrong_registry"): "证照的登记合约（{registry}）不是联盟的登记合约（{expectedRegistry}）",
    ("anchoring", "not_anchored"): "批次根未由发证机关上链",
    ("anchoring", "ok"): "已由发证机关于 {anchoredAtText} 上链",
    ("issuer", "not_anchored"): "未检查：批次根未由发证机关上链",
    ("signature", "not_anchored"): "未检查：批次根未由发证机关上链",
    ("status", "not_anchored"): "未检查：批次根未由发证机关上链",
    ("issuer", "unknown_agency"): "发证机关不是已登记的机构",
    ("issuer", "province_mismatch"): "证照所列省份 {certificateProvince} 与发证机关所在省份 {agencyProvince} 不符",
    ("issuer", "not_authorised"): "批次上链时，{agencyName} 未处于正常状态或未获授权签发 {certificateType}",
    ("issuer", "ok"): "{agencyName}（{province}）获授权签发 {certificateType}",
    ("signature", "unsigned"): "批次未附发证机关的签名",
    ("signature", "malformed"): "签名的格式不正确",
    ("signature", "unknown_key"): "签名密钥未登记给发证机关",
    ("signature", "wrong_algorithm"): "{algorithm} 密钥不能在 {suite} 算法套件中签名",
    ("signature", "key_not_valid"): "批次上链时签名密钥不在有效期内",
    ("signature", "bad_signature"): "批次根上的签名验证不通过",
    ("signature", "ok"): "已登记密钥的 {algorithm} 签名验证通过",
    ("status", "ok"): "未被撤销或暂停",
    ("status", "suspended"): "证照已暂停：{reasonLabel}",
    ("status", "revoked"): "证照已撤销：{reasonLabel}",
    ("status", "superseded"): "证照已被 {successor} 替代：{reasonLabel}",
    ("validity", "bad_dates"): "validFrom / validUntil 不是 RFC 3339 时间",
    ("validity", "not_yet_valid"): "尚未生效，自 {validFrom} 起有效",
    ("validity", "expired"): "已于 {validUntil} 过期",
    ("validity", "ok"): "在有效期内",
    ("recognition", "no_context"): "未指定受理省份",
    ("recognition", "invalid"): "未检查：证照无效",
    ("recognition", "same_province"): "在受理省份签发",
    ("recognition", "rule"): "依省份 {province} 的互认规则 {ruleId} 予以认可",
    ("recognition", "no_rule"): (
        "省份 {province} 对 {issuingProvince} 签发的 {certificateType}{serviceItemText}没有生效的互认规则"
    ),
}

_STATUS_ZH = {"suspended": "暂停", "removed": "移除", "unknown": "未知", "none": "未登记"}
_STANDING_ZH = {
    "agency": "发证机关 {name} 目前处于{statusText}状态",
    "parent": "发证机关的上级机构 {name} 目前处于{statusText}状态",
    "province": "发证省份 {name}（{id}）目前处于{statusText}状态",
    "stale_membership": "发证机关 {name} 属于其省份被移除前的成员资格",
}


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "—"


def chinese(name: str, code: str, details: Mapping[str, Any]) -> str:
    """The Chinese message of check `name` answered `code` with `details`."""
    template = CHECK_MESSAGES.get((name, code)) or CHECK_MESSAGES.get(("*", code))
    if template is None:
        return code
    values = _Values(details)
    if "reasonCode" in details:
        values["reasonLabel"] = reason_label(int(details["reasonCode"]))
    if isinstance(details.get("anchoredAt"), int):
        values["anchoredAtText"] = datetime.fromtimestamp(details["anchoredAt"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    item = details.get("serviceItem")
    values["serviceItemText"] = f"（事项 {item}）" if item else ""
    problems = details.get("problems")
    if problems and isinstance(problems[0], Mapping):
        values.setdefault("pointer", problems[0].get("pointer") or "/")
    return template.format_map(values)


def check_result(name: str, outcome: Outcome, code: str, message_en: str, details: dict[str, Any]) -> CheckResult:
    """A check's result with its Chinese message (from `CHECK_MESSAGES`) and its English one."""
    return CheckResult(name, outcome, code, chinese(name, code, details), details, message_en)


def standing_warning(code: str, entity: str, message_en: str, details: dict[str, Any]) -> VerificationWarning:
    """An issuer-standing warning (`entity`: agency, parent, province or stale_membership) in both languages."""
    status = str(details.get("status", ""))
    values = _Values(details, statusText=_STATUS_ZH.get(status, status))
    message = _STANDING_ZH[entity].format_map(values) + "；证照在上链时已获授权"
    return VerificationWarning(code, message, details, message_en)


class Put(Protocol):
    """Records the outcome of one check."""

    def __call__(self, name: str, outcome: Outcome, code: str, message: str, **details: Any) -> None: ...


#: Makes a check's result: `check_result`, or `SharedResults` (the same result for the same arguments).
Made = Callable[[str, Outcome, str, str, dict[str, Any]], CheckResult]
#: Detail values whose equality is their identity as JSON (a float's is not: 0.0 == -0.0).
_PLAIN = frozenset({str, int, bool, type(None)})
#: Distinct results one `SharedResults` keeps (when full, it forgets them all and starts again).
SHARED_RESULTS = 65_536


class SharedResults:
    """`check_result`, made once for every certificate of a batch that gets the same result (the common
    outcomes: `ok`, one anchoring, one recognition rule...), and for every later call of a verifier that keeps
    one: the same Chinese and English messages, details and code, without formatting them again. Results whose
    details are not plain text, integers, booleans or null (lists of problems) are made every time."""

    def __init__(self, limit: int = SHARED_RESULTS) -> None:
        self._made: dict[tuple[Any, ...], CheckResult] = {}
        self._limit = limit

    def __call__(self, name: str, outcome: Outcome, code: str, message: str, details: dict[str, Any]) -> CheckResult:
        key: tuple[Any, ...] = (name, outcome, code, message)
        for item, value in details.items():
            kind = value.__class__
            if kind not in _PLAIN:
                return check_result(name, outcome, code, message, details)
            key += (item, kind, value)
        made = self._made.get(key)
        if made is None:
            made = check_result(name, outcome, code, message, details)
            if len(self._made) >= self._limit:
                self._made.clear()  # a long-lived one (a verifier's) starts afresh rather than keep old results
            self._made[key] = made
        return made
