"""Issuing agencies (发证机构): registration by a province admin or, for a child, by a parent agency (delegation),
suspension and reinstatement, grants of certificate types, and signing keys (签名密钥).

An agency registered without an address gets a chain account generated into the service's encrypted keystore, so
the service can sign for it; on a chain that charges for gas the registering account gives it
`HURONG_NEW_ACCOUNT_FUNDING_ETH`. A signing key is generated into the keystore (`<keystore>/signing/<agency>/`)
with its proof of possession, or registered from a public key and a proof made by whoever holds the key.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from api.admin_schemas import (
    AgencyCreate,
    AgencyOut,
    AgencySuspension,
    AgencyWriteOut,
    SigningKeyCreate,
    SigningKeyList,
    SigningKeyOut,
    SigningKeyWriteOut,
    checksummed,
)
from api.deps import CurrentPrincipal, ServiceDep
from api.errors import ApiError
from api.keys import Principal
from api.principals import (
    IdempotencyKey,
    Write,
    agency_record,
    needs_gas,
    require_manager,
    require_same_province,
    require_self_or_admin,
    run_write,
    signer_of,
)
from api.schemas import ErrorResponse
from api.service import Service
from ledger.certificates import regions
from ledger.certificates.catalogue import grantable_types
from ledger.chain.client import ZERO_ADDRESS, HurongClient
from ledger.chain.models import AgencyStatus, KeyAlgorithm
from ledger.chain.transactions import PendingTransaction
from ledger.errors import ContractRevertError
from ledger.keys.keystore import AccountKey
from ledger.keys.possession import verify_proof_of_possession

router = APIRouter(
    prefix="/agencies",
    tags=["agencies"],
    responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)

AddressParam = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{40}$", description="Agency account address")]
TypeParam = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,31}$", description="Certificate type")]
KeyIdParam = Annotated[str, PathParam(pattern=r"^0x[0-9a-fA-F]{64}$", description="Signing key id")]
_ALGORITHMS = {"Ed25519": KeyAlgorithm.ED25519, "SM2": KeyAlgorithm.SM2}


def _address(value: str) -> str:
    found = checksummed(value)
    if found is None:
        raise ApiError(422, "invalid_address", f"{value} is not a valid address (mixed case must be the checksum)")
    return found


def agency_out(service: Service, address: str) -> AgencyOut:
    a = service.client.authorities.agency(address)
    return AgencyOut(
        address=a.account,
        parent=a.parent,
        province=str(a.province),
        region=str(a.region),
        depth=a.depth,
        status="active" if a.status == AgencyStatus.ACTIVE else "suspended",
        effectively_active=a.effectively_active,
        name=a.name,
        children=list(a.children),
        certificate_types=list(a.certificate_types),
        key_held=service.holds_key(a.account),
    )


# ---------------------------------------------------------------------------------------------------- registration


def _placement(service: Service, principal: Principal, body: AgencyCreate) -> tuple[int, str | None]:
    """The new agency's province and parent, once the caller is found to be allowed to register it there."""
    parent = body.parent or (principal.subject if principal.role == "agency" else None)
    if parent is None:
        province = int(principal.subject)
    else:
        record = agency_record(service, parent)
        below = principal.role != "agency" or parent == principal.subject
        if not below and not service.client.authorities.is_ancestor(principal.subject, parent):
            raise ApiError(403, "not_parent_agency", "an agency registers agencies only below itself")
        require_same_province(principal, record.province)
        province = record.province
    if body.province is not None and int(body.province) != province:
        raise ApiError(403, "not_your_province", f"the agency would belong to province {province}, not {body.province}")
    if not regions.contains(str(province), body.region):
        raise ApiError(422, "region_outside_province", f"region {body.region} is not inside province {province}")
    if principal.role == "agency":
        for code in body.certificate_types:
            if not service.client.authorities.is_granted(principal.subject, code):
                raise ApiError(403, "type_not_held", f"an agency grants only types it holds itself, not {code}")
    return province, parent


def _fund(write: Write, signer: HurongClient, address: str) -> str | None:
    """Top a generated account up to the configured amount from the registering account, on a chain with fees."""
    service = write.service
    amount = int(Decimal(str(service.settings.new_account_funding_eth)) * 10**18)
    if amount == 0 or not needs_gas(service):
        return None
    missing = amount - int(service.client.w3.eth.get_balance(address))  # type: ignore[arg-type]
    if missing <= 0:
        return None
    assert signer.transactor is not None
    transactor = signer.transactor
    write.send("fund", signer, lambda: transactor.send(address, "0x", value=missing))
    return str(missing)


@router.post("", response_model=AgencyWriteOut, status_code=201)
def register_agency(
    body: AgencyCreate,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Register an agency under the caller's province (a province admin) or below the calling agency (delegation),
    and grant it the listed certificate types."""
    province, parent = _placement(service, principal, body)
    signer = signer_of(service, principal)
    authorities = signer.authorities
    arguments = (province, parent or ZERO_ADDRESS, int(body.region), body.name)

    def work(write: Write) -> dict[str, Any]:
        prior = write.prior(signer)
        if prior is not None:
            address = str(prior.event("AgencyRegistered").args["agency"])
        elif body.address is not None:
            address = body.address
        else:  # checked with a throw-away address first, so a refusal leaves no key behind
            authorities.simulate(signer.address or "", "registerAgency", AccountKey.generate().address, *arguments)
            address = service.new_account()
        register = partial(authorities.register_agency, address, province, parent, int(body.region), body.name)
        write.send("register", signer, register)
        for code in body.certificate_types:
            if not authorities.is_granted(address, code):
                write.send("grant", signer, partial(authorities.grant_certificate_type, address, code))
        funded = _fund(write, signer, address) if body.address is None else None
        return write.answer(agency=agency_out(service, address), fundedWei=funded)

    request = ("register_agency", body.model_dump(mode="json", by_alias=True))
    return run_write(service, principal, idempotency_key, response, request, work, status=201)


# ---------------------------------------------------------------------------------------------------- management


def _manage(
    action: str,
    address: str,
    principal: Principal,
    service: Service,
    response: Response,
    key: str | None,
    argument: Any = None,
    *,
    status: int = 200,
) -> dict[str, Any]:
    """Suspend, reinstate, grant or revoke a type: by the admin of the agency's province or an agency above it."""
    agency = agency_record(service, _address(address))
    require_manager(service, principal, agency)
    held = action != "grant" or principal.role != "agency"
    if not held and not service.client.authorities.is_granted(principal.subject, argument):
        raise ApiError(403, "type_not_held", f"an agency grants only types it holds itself, not {argument}")
    signer = signer_of(service, principal)
    authorities = signer.authorities

    def send() -> PendingTransaction:
        current = authorities.agency(agency.account)
        if action == "suspend":
            if current.status != AgencyStatus.ACTIVE:
                raise ApiError(409, "agency_not_active", f"{agency.account} is already suspended")
            return authorities.suspend_agency(agency.account, argument)
        if action == "reinstate":
            if current.status != AgencyStatus.SUSPENDED:
                raise ApiError(409, "agency_not_suspended", f"{agency.account} is not suspended")
            return authorities.reinstate_agency(agency.account)
        if action == "grant":
            return authorities.grant_certificate_type(agency.account, argument)
        if argument not in current.certificate_types:
            raise ApiError(409, "type_not_granted", f"{agency.account} holds no grant of {argument}")
        return authorities.revoke_certificate_type(agency.account, argument)

    def work(write: Write) -> dict[str, Any]:
        write.send(action, signer, send)
        return write.answer(agency=agency_out(service, agency.account))

    request = (action, agency.account, argument)
    return run_write(service, principal, key, response, request, work, status=status)


@router.post("/{address}/suspend", response_model=AgencyWriteOut)
def suspend_agency(
    address: AddressParam,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    body: AgencySuspension | None = None,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Suspend an agency (暂停), and with it every agency below it."""
    reason = body.reason if body is not None else 0
    return _manage("suspend", address, principal, service, response, idempotency_key, reason)


@router.post("/{address}/reinstate", response_model=AgencyWriteOut)
def reinstate_agency(
    address: AddressParam,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Reinstate a suspended agency (恢复)."""
    return _manage("reinstate", address, principal, service, response, idempotency_key)


@router.post("/{address}/certificate-types/{code}", response_model=AgencyWriteOut, status_code=201)
def grant_certificate_type(
    address: AddressParam,
    code: TypeParam,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Grant a certificate type (授予证照类型): a parent agency grants only types it holds itself."""
    if code not in grantable_types():
        raise ApiError(422, "unknown_certificate_type", f"unknown certificate type {code}")
    return _manage("grant", address, principal, service, response, idempotency_key, code, status=201)


@router.delete("/{address}/certificate-types/{code}", response_model=AgencyWriteOut)
def revoke_certificate_type(
    address: AddressParam,
    code: TypeParam,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Withdraw a certificate type (撤销证照类型); certificates anchored before stay valid."""
    return _manage("revoke_type", address, principal, service, response, idempotency_key, code)


# ---------------------------------------------------------------------------------------------------- signing keys


def key_out(service: Service, key_id: bytes, now: int) -> SigningKeyOut:
    authorities = service.client.authorities
    key = authorities.signing_key(key_id)
    return SigningKeyOut(
        key_id="0x" + key_id.hex(),
        agency=key.agency,
        algorithm="Ed25519" if key.algorithm == KeyAlgorithm.ED25519 else "SM2",
        public_key="0x" + key.public_key.hex(),
        valid_from=key.valid_from,
        valid_until=key.valid_until,
        revoked_at=authorities.signing_key_revoked_at(key_id),
        valid_now=key.valid_from <= now < key.valid_until,
        held_by_service=service.holds_signing_key(key.agency, key_id),
    )


def _now(service: Service) -> int:
    return int(service.client.w3.eth.get_block("latest")["timestamp"])


@router.post("/{address}/signing-keys", response_model=SigningKeyWriteOut, status_code=201)
def add_signing_key(
    address: AddressParam,
    body: SigningKeyCreate,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Register a signing key: generated in the service's keystore (with its proof of possession), or a public key
    with the proof its holder made. The agency itself or the admin of its province."""
    agency = agency_record(service, _address(address))
    require_self_or_admin(principal, agency)
    algorithm = _ALGORITHMS[body.algorithm]
    if body.public_key is not None and body.proof_of_possession is not None:
        public_key, proof = bytes.fromhex(body.public_key[2:]), bytes.fromhex(body.proof_of_possession[2:])
        registry = service.client.authorities.address
        chain_id = service.deployment.chain_id
        if not verify_proof_of_possession(algorithm, public_key, proof, chain_id=chain_id, registry=registry,
                                          agency=agency.account):  # fmt: skip
            message = "proofOfPossession is not this key's signature over its registration for the agency"
            raise ApiError(422, "invalid_proof_of_possession", message)
    signer = signer_of(service, principal)
    authorities = signer.authorities

    def send() -> PendingTransaction:
        if body.public_key is not None and body.proof_of_possession is not None:
            return authorities.add_signing_key_with_proof(
                agency.account, algorithm, public_key, proof, body.valid_from, body.valid_until
            )
        pair = service.new_signing_key(agency.account, algorithm)
        try:
            return authorities.add_signing_key(agency.account, pair, body.valid_from, body.valid_until)
        except ContractRevertError:  # refused before it was sent: the key is of no use
            service.signing_key_file(agency.account, pair.key_id_for(agency.account)).unlink(missing_ok=True)
            raise

    def work(write: Write) -> dict[str, Any]:
        receipt = write.send("addSigningKey", signer, send)
        key_id = bytes(receipt.event("SigningKeyAdded").args["keyId"])
        return write.answer(signingKey=key_out(service, key_id, _now(service)))

    request = ("add_signing_key", agency.account, body.model_dump(mode="json", by_alias=True))
    return run_write(service, principal, idempotency_key, response, request, work, status=201)


@router.get("/{address}/signing-keys", response_model=SigningKeyList)
def list_signing_keys(address: AddressParam, principal: CurrentPrincipal, service: ServiceDep) -> SigningKeyList:
    """Every signing key ever registered for the agency, oldest first, with its window and revocation."""
    agency = agency_record(service, _address(address))
    now = _now(service)
    keys = [key_out(service, key_id, now) for key_id in service.client.authorities.signing_keys_of(agency.account)]
    return SigningKeyList(count=len(keys), data=keys)


@router.delete("/{address}/signing-keys/{key_id}", response_model=SigningKeyWriteOut)
def revoke_signing_key(
    address: AddressParam,
    key_id: KeyIdParam,
    principal: CurrentPrincipal,
    service: ServiceDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Revoke a signing key from now on (吊销); signatures made inside its earlier window stay valid."""
    agency = agency_record(service, _address(address))
    require_self_or_admin(principal, agency)
    raw = bytes.fromhex(key_id[2:])
    if raw not in service.client.authorities.signing_keys_of(agency.account):
        raise ApiError(404, "unknown_signing_key", f"{agency.account} has no signing key {key_id.lower()}")
    signer = signer_of(service, principal)

    def send() -> PendingTransaction:
        if service.client.authorities.signing_key_revoked_at(raw) is not None:
            raise ApiError(409, "signing_key_revoked", f"the signing key {key_id.lower()} is already revoked")
        if service.client.authorities.signing_key(raw).valid_until <= _now(service):
            raise ApiError(409, "signing_key_expired", f"the signing key {key_id.lower()} is no longer valid")
        return signer.authorities.revoke_signing_key(raw)

    def work(write: Write) -> dict[str, Any]:
        write.send("revokeSigningKey", signer, send)
        return write.answer(signingKey=key_out(service, raw, _now(service)))

    return run_write(service, principal, idempotency_key, response, ("revoke_signing_key", key_id.lower()), work)
