"""Consortium governance (联盟治理): proposals, votes, execution and cancellation, by province admins.

A proposal calls one of the consortium's governance-only functions once enough active provinces voted for it.
Proposing casts the proposer's vote; the vote that reaches the threshold is followed at once by the execution,
unless the service is configured otherwise (`HURONG_AUTO_EXECUTE_PROPOSALS=false`), in which case any admin calls
`/execute`. Before a proposal is sent, its call is run as the consortium would make it, so a call that would be
refused now (a province that exists, a threshold above the active provinces) is answered with its refusal.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from fastapi import Path as PathParam
from web3.types import BlockIdentifier

from api.admin_schemas import (
    AdmitProvince,
    ProposalCreate,
    ProposalList,
    ProposalOut,
    ProposalStateName,
    ProposalWriteOut,
    SetThreshold,
)
from api.deps import CurrentPrincipal, ServiceDep
from api.errors import ApiError
from api.principals import IdempotencyKey, Write, province_signer, require_province, run_write
from api.schemas import ErrorResponse
from api.service import Service
from ledger.chain.client import HurongClient
from ledger.chain.models import ProposalState
from ledger.errors import ContractRevertError, TransactionFailed

router = APIRouter(
    prefix="/proposals",
    tags=["governance"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)

ProposalId = Annotated[int, PathParam(ge=1, lt=2**256, description="Proposal id")]

#: The consortium functions a proposal may call through this API, and their arguments' names in answers.
_ARGUMENTS = {
    "admitProvince": ("province", "name", "admins"),
    "suspendProvince": ("province",),
    "reinstateProvince": ("province",),
    "removeProvince": ("province",),
    "setThreshold": ("threshold",),
    "addProvinceAdmin": ("province", "account"),
    "removeProvinceAdmin": ("province", "account"),
}


def _call(body: Any) -> tuple[str, tuple[Any, ...]]:
    """The consortium function and arguments a proposal body asks for."""
    if isinstance(body, AdmitProvince):
        return body.action, (int(body.province), body.name, body.admins)
    if isinstance(body, SetThreshold):
        return body.action, (body.threshold,)
    if body.action in ("addProvinceAdmin", "removeProvinceAdmin"):
        return body.action, (int(body.province), body.account)
    return body.action, (int(body.province),)


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _decode(service: Service, target: str, data: bytes) -> tuple[str | None, dict[str, Any]]:
    """The function a proposal calls and its arguments, when its target is one of the deployment's contracts."""
    client = service.client
    for contract in (client.consortium, client.certificates, client.authorities, client.recognition):
        if contract.address != target:
            continue
        try:
            function, arguments = contract.contract.decode_function_input(data)
        except ValueError:
            return None, {}
        name = str(function.fn_name)
        if name in _ARGUMENTS:
            values = [_json_value(v) for v in arguments.values()]
            named = dict(zip(_ARGUMENTS[name], values, strict=True))
            if "province" in named:
                named["province"] = str(named["province"])
            return name, named
        return name, {k: _json_value(v) for k, v in arguments.items()}
    return None, {}


def _proposal(service: Service, proposal_id: int, block: BlockIdentifier = "latest") -> ProposalOut:
    consortium = service.client.consortium
    if consortium.proposal_state(proposal_id, block_identifier=block) == ProposalState.NONE:
        raise ApiError(404, "unknown_proposal", f"there is no proposal {proposal_id}")
    found = consortium.proposal(proposal_id, block_identifier=block)
    action, arguments = _decode(service, found.target, found.data)
    return ProposalOut(
        id=proposal_id,
        proposer=str(found.proposer),
        state=found.state.name.lower(),  # type: ignore[arg-type]
        created_at=found.created_at,
        expires_at=found.expires_at,
        target=found.target,
        data="0x" + found.data.hex(),
        description=found.description,
        action=action,
        arguments=arguments,
        voters=[str(v) for v in found.voters],
        votes=consortium.proposal_votes(proposal_id, block_identifier=block),
        threshold=consortium.threshold(block_identifier=block),
    )


@router.get("", response_model=ProposalList)
def list_proposals(
    service: ServiceDep,
    principal: CurrentPrincipal,
    state: Annotated[ProposalStateName | None, Query(description="Only proposals in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ProposalList:
    """Proposals, newest first, read from the chain at one block; optionally only those in one state."""
    block = service.client.w3.eth.block_number
    consortium = service.client.consortium
    found: list[ProposalOut] = []
    for proposal_id in range(consortium.proposal_count(block_identifier=block), 0, -1):
        if state is not None and consortium.proposal_state(proposal_id, block_identifier=block).name.lower() != state:
            continue
        found.append(_proposal(service, proposal_id, block))
        if len(found) == limit:
            break
    return ProposalList(count=len(found), threshold=consortium.threshold(block_identifier=block), data=found)


@router.get("/{proposal_id}", response_model=ProposalOut)
def get_proposal(proposal_id: ProposalId, service: ServiceDep, principal: CurrentPrincipal) -> ProposalOut:
    """A proposal with its decoded call, its voters and the votes it still needs."""
    return _proposal(service, proposal_id)


def _execute_if_approved(write: Write, signer: HurongClient, proposal_id: int) -> dict[str, str] | None:
    """Execute the proposal when it is approved and the service executes approved proposals; the refusal of the
    execution, if any (the votes stand)."""
    service = write.service
    if not service.settings.auto_execute_proposals:
        return None
    if service.client.consortium.proposal_state(proposal_id) != ProposalState.APPROVED:
        return None
    try:
        write.send("execute", signer, lambda: signer.consortium.execute(proposal_id))
    except ContractRevertError as exc:
        code = re.sub(r"(?<!^)(?=[A-Z])", "_", exc.error_name).lower()
        return {"code": code, "message": str(exc)}
    except TransactionFailed as exc:
        return {"code": "execution_failed", "message": str(exc)}
    return None


def _vote_unless_voted(write: Write, signer: HurongClient, proposal_id: int, province: int) -> None:
    if not signer.consortium.has_voted(proposal_id, province):
        write.send("vote", signer, lambda: signer.consortium.vote(proposal_id))


@router.post("", response_model=ProposalWriteOut, status_code=201)
def propose(
    body: Annotated[ProposalCreate, Body()],
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Propose a governance action (提案) and cast the proposing province's vote; executed at once when that vote
    reaches the threshold."""
    province = require_province(principal)
    signer = province_signer(service, province)
    consortium = signer.consortium
    function, arguments = _call(body)
    data = consortium.encode(function, *arguments)
    description = body.description or f"{function}({', '.join(str(a) for a in arguments)})"

    def work(write: Write) -> dict[str, Any]:
        if write.prior(signer) is None:  # a call refused now is refused before it is proposed
            consortium.simulate(consortium.address, function, *arguments)
        expires_at = body.expires_at
        if expires_at is None:
            now = int(service.client.w3.eth.get_block("latest")["timestamp"])
            expires_at = now + service.settings.proposal_lifetime_seconds
        receipt = write.send(
            "propose", signer, lambda: consortium.propose(consortium.address, data, expires_at, description)
        )
        proposal_id = int(receipt.event("ProposalCreated").args["proposalId"])
        _vote_unless_voted(write, signer, proposal_id, province)
        refused = _execute_if_approved(write, signer, proposal_id)
        return write.answer(proposal=_proposal(service, proposal_id), executionError=refused)

    request = ("propose", body.model_dump(mode="json", by_alias=True))
    return run_write(service, principal, idempotency_key, response, request, work, status=201)


def _act(
    action: str, proposal_id: int, principal: Any, service: Service, response: Response, key: str | None
) -> dict[str, Any]:
    province = require_province(principal)
    current = _proposal(service, proposal_id)
    if action == "cancel" and current.proposer != principal.subject:
        raise ApiError(403, "not_your_proposal", "only the proposing province may cancel a proposal")
    signer = province_signer(service, province)
    consortium = signer.consortium

    def work(write: Write) -> dict[str, Any]:
        refused = None
        if action == "vote":
            write.send("vote", signer, lambda: consortium.vote(proposal_id))
            refused = _execute_if_approved(write, signer, proposal_id)
        elif action == "execute":
            write.send("execute", signer, lambda: consortium.execute(proposal_id))
        else:
            write.send("cancel", signer, lambda: consortium.cancel(proposal_id))
        return write.answer(proposal=_proposal(service, proposal_id), executionError=refused)

    status = 201 if action == "vote" else 200
    return run_write(service, principal, key, response, (action, proposal_id), work, status=status)


@router.post("/{proposal_id}/votes", response_model=ProposalWriteOut, status_code=201)
def vote(
    proposal_id: ProposalId,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Cast the caller's province's vote (投票); the vote that reaches the threshold is followed by the execution."""
    return _act("vote", proposal_id, principal, service, response, idempotency_key)


@router.post("/{proposal_id}/execute", response_model=ProposalWriteOut)
def execute(
    proposal_id: ProposalId,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Execute an approved proposal (执行)."""
    return _act("execute", proposal_id, principal, service, response, idempotency_key)


@router.post("/{proposal_id}/cancel", response_model=ProposalWriteOut)
def cancel(
    proposal_id: ProposalId,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Withdraw an open proposal (撤回): only its proposing province."""
    return _act("cancel", proposal_id, principal, service, response, idempotency_key)
