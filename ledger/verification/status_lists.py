"""What a certificate's W3C Bitstring Status List entries say, compared with the status the chain gave.

A certificate issued with entries carries, after its registry status, a `revocation` and a `suspension`
`BitstringStatusListEntry`. A verifier given a way to read list credentials (`fetch(url)`, answering the decoded JSON
or raising) reads each entry's bit and compares it with the `status` check: revoked on chain (the certificate or
its batch) or superseded means the revocation bit set (a supersession is final: the lists have no purpose of their
own for it), suspended the suspension bit; valid, neither. The chain stays the authority: what the lists say only
adds warnings, `status_list_disagrees` (a bit differs: the list is stale or wrong) and
`status_list_unreadable` (the list could not be fetched, is no list of the certificate's agency for that purpose, or
its bitstring does not decode).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ledger.certificates.did import agency_did
from ledger.certificates.status_list import ENTRY_TYPE, decode_list, is_set
from ledger.verification.checks import Claims
from ledger.verification.results import CheckResult, VerificationWarning

StatusListFetch = Callable[[str], Any]

#: The bits the lists should hold for each code of the `status` check (other codes: not compared).
_EXPECTED: dict[str, dict[str, bool]] = {
    "ok": {"revocation": False, "suspension": False},
    "suspended": {"revocation": False, "suspension": True},
    "revoked": {"revocation": True, "suspension": False},
    "superseded": {"revocation": True, "suspension": False},
}


def lists_say(
    claims: Claims, results: Mapping[str, CheckResult], fetch: StatusListFetch | None
) -> tuple[VerificationWarning, ...]:
    """Warnings where the entries of a certificate (its `claims`, whose `status_entry` is its `credentialStatus`)
    disagree with its `status` check among `results`, or their lists cannot be read; none for a certificate without
    entries, or without `fetch`."""
    status, credential_status = results.get("status"), claims.status_entry
    if fetch is None or status is None or status.code not in _EXPECTED or not isinstance(credential_status, list):
        return ()
    chain_says, expected = status.code, _EXPECTED[status.code]
    issuer = agency_did(claims.chain_id, claims.agency)
    warnings: list[VerificationWarning] = []
    lists: dict[str, bytes | str] = {}
    for entry in credential_status[1:]:
        if not isinstance(entry, dict) or entry.get("type") != ENTRY_TYPE:
            continue
        purpose, url = entry.get("statusPurpose"), entry.get("statusListCredential")
        if purpose not in expected or not isinstance(url, str):
            continue
        if url not in lists:
            lists[url] = _read(url, fetch, issuer, purpose)
        bits, where = lists[url], {"statusListCredential": url, "statusPurpose": purpose}
        if isinstance(bits, str):
            warnings.append(_unreadable(f"{url}: {bits}", where))
            continue
        try:
            listed = is_set(bits, int(entry["statusListIndex"]))
        except (KeyError, ValueError, TypeError) as exc:
            warnings.append(_unreadable(f"{url}: {exc}", where))
            continue
        if listed != expected[purpose]:
            details = {**where, "statusListIndex": entry["statusListIndex"], "listSays": listed,
                       "chainSays": chain_says}  # fmt: skip
            warnings.append(VerificationWarning(
                "status_list_disagrees", f"{purpose} 状态列表为 {int(listed)}，与链上状态 {chain_says} 不一致",
                details, f"the {purpose} list says {int(listed)}, the chain's status is {chain_says}"))  # fmt: skip
    return tuple(warnings)


def _unreadable(reason: str, details: dict[str, Any]) -> VerificationWarning:
    return VerificationWarning("status_list_unreadable", f"无法读取状态列表 {reason}", {**details, "reason": reason},
                               f"the status list could not be read: {reason}")  # fmt: skip


def _read(url: str, fetch: StatusListFetch, issuer: str, purpose: str) -> bytes | str:
    """The decoded bitstring of the list at `url`, or why it cannot be used."""
    try:
        credential = fetch(url)
    except Exception as exc:  # noqa: BLE001 (any failure to fetch is an unreadable list, never a failed verification)
        return f"{type(exc).__name__}: {exc}"
    if not isinstance(credential, dict) or not isinstance(credential.get("credentialSubject"), dict):
        return "not a status list credential"
    issued_by = credential.get("issuer")
    if isinstance(issued_by, dict):
        issued_by = issued_by.get("id")
    if issued_by != issuer:
        return f"issued by {issued_by!r}, not by the certificate's issuer"
    subject = credential["credentialSubject"]
    if subject.get("statusPurpose") != purpose:
        return f"a list for {subject.get('statusPurpose')!r}, not {purpose}"
    try:
        return decode_list(subject.get("encodedList"))
    except Exception as exc:  # noqa: BLE001 (decode_list refuses with LedgerValueError; anything else alike)
        return str(exc)


#: The largest status list credential read over HTTP (a 131,072-entry list is a few hundred bytes compressed).
MAX_LIST_BYTES = 1 << 22


def http_fetch(timeout: float = 10.0) -> StatusListFetch:
    """A `fetch` reading list credentials over HTTP(S) with httpx: JSON of at most `MAX_LIST_BYTES`, or it raises."""
    import httpx

    def fetch(url: str) -> Any:
        if not url.startswith(("https://", "http://")):
            raise ValueError("a status list is read over HTTP(S)")
        headers = {"accept": "application/vc+ld+json, application/json"}
        with httpx.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=False) as response:
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_LIST_BYTES:
                    raise ValueError(f"the status list is larger than {MAX_LIST_BYTES} bytes")
        return json.loads(body)

    return fetch
