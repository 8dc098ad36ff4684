"""Recognition rules (互认规则) set and revoked by the admins of the accepting province.

A rule says that the accepting province recognises certificates of a type from an issuing province (or from any),
for a service item (or every one), within a window that cannot start in the past. Rules are never deleted: a
revoked rule keeps answering for the times it was in force. `GET /recognition-rules` lists them.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from api.admin_schemas import RuleCreate, RuleOut, RuleWriteOut
from api.deps import CurrentPrincipal, ServiceDep
from api.errors import ApiError
from api.principals import IdempotencyKey, Write, province_signer, require_province, require_same_province, run_write
from api.schemas import ErrorResponse
from api.service import Service
from ledger.chain.transactions import PendingTransaction

router = APIRouter(
    prefix="/recognition-rules",
    tags=["recognition rules"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)

RuleId = Annotated[int, PathParam(ge=1, lt=2**256, description="Rule id")]


def rule_out(service: Service, rule_id: int) -> RuleOut:
    rule = service.client.recognition.rule(rule_id)
    return RuleOut(
        id=rule.id,
        accepting_province=str(rule.accepting_province),
        issuing_province=str(rule.issuing_province) if rule.issuing_province else None,
        certificate_type=rule.certificate_type,
        service_item=rule.service_item,
        effective_from=rule.effective_from,
        effective_until=rule.effective_until,
        created_at=rule.created_at,
        revoked_at=rule.revoked_at,
        legal_basis=rule.legal_basis,
    )


@router.post("", response_model=RuleWriteOut, status_code=201)
def set_rule(
    body: RuleCreate,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Set a rule by which the caller's province recognises certificates of another province (or of any)."""
    province = require_province(principal)
    accepting = int(body.accepting_province) if body.accepting_province else province
    require_same_province(principal, accepting)
    signer = province_signer(service, province)
    issuing = int(body.issuing_province) if body.issuing_province else None
    send = partial(signer.recognition.set_rule, accepting, issuing, body.certificate_type, body.service_item,
                   body.effective_from, body.effective_until, body.legal_basis)  # fmt: skip

    def work(write: Write) -> dict[str, Any]:
        receipt = write.send("setRule", signer, send)
        rule_id = int(receipt.event("RecognitionRuleSet").args["ruleId"])
        return write.answer(rule=rule_out(service, rule_id))

    request = ("set_rule", body.model_dump(mode="json", by_alias=True))
    return run_write(service, principal, idempotency_key, response, request, work, status=201)


@router.delete("/{rule_id}", response_model=RuleWriteOut)
def revoke_rule(
    rule_id: RuleId,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Revoke a rule of the caller's province from now on; what it recognised before stays recognised."""
    province = require_province(principal)
    if rule_id > service.client.recognition.rule_count():
        raise ApiError(404, "unknown_rule", f"there is no recognition rule {rule_id}")
    require_same_province(principal, service.client.recognition.rule(rule_id).accepting_province)
    signer = province_signer(service, province)

    def send() -> PendingTransaction:
        if service.client.recognition.rule(rule_id).revoked_at is not None:
            raise ApiError(409, "rule_already_revoked", f"recognition rule {rule_id} is already revoked")
        return signer.recognition.revoke_rule(rule_id)

    def work(write: Write) -> dict[str, Any]:
        write.send("revokeRule", signer, send)
        return write.answer(rule=rule_out(service, rule_id))

    return run_write(service, principal, idempotency_key, response, ("revoke_rule", rule_id), work)
