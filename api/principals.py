"""Who may do what through the administration API, which account signs for them, and how their writes are sent.

A principal is the API key's: a province (its admins' powers; subject the province code) or an agency (subject its
checksummed address). A province signs with whichever of its admin accounts the service's keystore holds, an
agency with its own account. Authorisation is checked here before anything is sent, answering 403 with a code:
`province_admin_key_required`, `not_your_province`, `not_parent_agency`, `not_your_agency`; the contracts check
again, and their refusals are answered as `api.errors.REVERT_STATUS` says.

`run_write` runs a write under an optional `Idempotency-Key` (`api.idempotency`): a retry with the same key answers
the first outcome, and a retry after a crash settles the first transaction the earlier attempt sent (its hash is
recorded as soon as it is sent) instead of sending it again; the later steps of a write (a vote after a proposal,
grants after a registration) look at the chain's state before they send anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import Header, Response
from pydantic import BaseModel

from api.errors import ApiError
from api.idempotency import HEADER, Claim, fingerprint, parse_key
from api.keys import Principal
from api.service import Service
from ledger.chain.client import HurongClient
from ledger.chain.models import Agency, AgencyStatus
from ledger.chain.transactions import Canonical, PendingTransaction, Receipt

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="A key of the caller's choosing (1–255 printable ASCII characters): a retry with the same key "
        "answers the first outcome and never sends the first transaction twice.",
    ),
]


# ---------------------------------------------------------------------------------------------------- roles


def require_province(principal: Principal) -> int:
    """The caller's province code; 403 `province_admin_key_required` for an agency's key."""
    if principal.role != "province":
        raise ApiError(403, "province_admin_key_required", "only a province admin's API key may do this")
    return int(principal.subject)


def require_same_province(principal: Principal, province: int) -> None:
    """403 `not_your_province` unless the caller is the admin of `province`."""
    if principal.role == "province" and principal.subject != str(province):
        raise ApiError(403, "not_your_province", f"a province admin may only act for its own province, not {province}")


def agency_record(service: Service, address: str) -> Agency:
    """The registry's record of `address`; 404 `unknown_agency` when it is not a registered agency."""
    if service.client.authorities.agency_status(address) == AgencyStatus.NONE:
        raise ApiError(404, "unknown_agency", f"{address} is not a registered agency")
    return service.client.authorities.agency(address)


def require_manager(service: Service, principal: Principal, agency: Agency) -> None:
    """The caller manages `agency`: the admin of its province, or an agency above it in the tree."""
    if principal.role == "province":
        require_same_province(principal, agency.province)
    elif not service.client.authorities.is_ancestor(principal.subject, agency.account):
        raise ApiError(403, "not_parent_agency", f"only an agency above {agency.account} (or its province) manages it")


def require_self_or_admin(principal: Principal, agency: Agency) -> None:
    """The caller is the agency itself or the admin of its province (who manage its signing keys)."""
    if principal.role == "province":
        require_same_province(principal, agency.province)
    elif principal.subject != agency.account:
        raise ApiError(403, "not_your_agency", "an agency manages only its own signing keys")


# ---------------------------------------------------------------------------------------------------- signers


def province_signer(service: Service, province: int) -> HurongClient:
    """A client acting as one of the province's admin accounts whose key the keystore holds (503 `no_signing_key`
    when it holds none)."""
    for admin in service.client.consortium.province(province).admins:
        if service.holds_key(admin):
            return service.signer(admin)
    raise ApiError(503, "no_signing_key", f"the service holds no key of an admin of province {province}")


def signer_of(service: Service, principal: Principal) -> HurongClient:
    """The client acting for the caller: a province admin's account, or the agency's own."""
    if principal.role == "province":
        return province_signer(service, int(principal.subject))
    return service.signer(principal.subject)


def needs_gas(service: Service) -> bool:
    """Whether the chain charges for gas (a base fee or a gas price above zero)."""
    w3 = service.client.w3
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
    return bool(base_fee) or int(w3.eth.gas_price) > 0


# ---------------------------------------------------------------------------------------------------- writes


class Write:
    """The transactions of one write request, sent and awaited in order.

    With a claimed idempotency key, the hash of the first transaction is recorded once it is signed, before it is
    broadcast, and a retry settles that transaction (`prior`) instead of sending it again.
    """

    def __init__(self, service: Service, claim: Claim | None) -> None:
        self.service = service
        self.claim = claim
        self.steps: list[tuple[str, Receipt]] = []
        self._first = True

    def prior(self, signer: HurongClient) -> Receipt | None:
        """The receipt of the first transaction an earlier attempt with the same key sent, if the chain has it."""
        tx_hash = self.claim.tx_hash if self.claim is not None else None
        if tx_hash is None or not Canonical(self.service.client.w3).known(tx_hash):
            return None
        assert signer.transactor is not None
        return signer.transactor.wait_for_receipt(tx_hash, {"from": signer.address})

    def send(self, step: str, signer: HurongClient, send: Callable[[], PendingTransaction]) -> Receipt:
        """Send a transaction and wait for its receipt (the first one: or settle an earlier attempt's)."""
        receipt = self.prior(signer) if self._first else None
        if receipt is None:
            if self._first and self.claim is not None and signer.transactor is not None:
                claim = self.claim
                # the hash is recorded before the transaction is broadcast (and again for a fee replacement)
                with signer.transactor.signing_hook(lambda tx_hash: self.service.idempotency.record_transaction(
                        claim, tx_hash)):  # fmt: skip
                    pending = send()
            else:
                pending = send()
            receipt = pending.wait()
        self._first = False
        self.steps.append((step, receipt))
        return receipt

    def answer(self, **fields: Any) -> dict[str, Any]:
        """The write's answer: `fields`, its transactions, and its last transaction's hash and block; the index is
        brought up to that block first, so the caller reads its own write."""
        if not self.steps:
            raise ApiError(409, "nothing_to_do", "the request changed nothing")
        last = self.steps[-1][1]
        self.service.wait_indexed(last.block_number)
        transactions = [
            {"step": step, "transactionHash": r.tx_hash, "blockNumber": r.block_number} for step, r in self.steps
        ]
        dumped = {k: v.model_dump(mode="json", by_alias=True) if isinstance(v, BaseModel) else v
                  for k, v in fields.items()}  # fmt: skip
        return {**dumped, "transactionHash": last.tx_hash, "blockNumber": last.block_number,
                "transactions": transactions}  # fmt: skip


def run_write(
    service: Service,
    principal: Principal,
    idempotency_key: str | None,
    response: Response,
    request: Sequence[Any],
    work: Callable[[Write], dict[str, Any]],
    *,
    status: int = 200,
) -> dict[str, Any]:
    """Run `work` once per `Idempotency-Key` of the caller (every time without one); `request` (route and body)
    must be the same on a retry with the same key."""
    key = parse_key(idempotency_key)
    if key is None:
        return work(Write(service, None))
    claim = service.idempotency.begin(f"{principal.role}:{principal.subject}", key, fingerprint(*request))
    response.headers[HEADER] = key
    if claim.finished:
        response.headers["Idempotent-Replayed"] = "true"
        return claim.outcome or {}
    try:
        out = work(Write(service, claim))
    except BaseException:
        service.idempotency.release(claim)
        raise
    service.idempotency.finish(claim, status, out)
    return out
