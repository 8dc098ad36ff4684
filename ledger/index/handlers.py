"""Event handlers: each decoded log of the four contracts written into the index's tables.

`event_decoders` maps the logs of the deployment's contracts to their ABI events; `apply_event(conn, entry)`
records one decoded log in `events` and applies its effect on the derived tables through `HANDLERS`, the handler
of each event name (events without one are only recorded). Handlers run inside the transaction of their block
range and read nothing but the index's own tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import Connection, and_, delete, insert, select, update

from ledger.chain.codes import decode_code, decode_manifest
from ledger.chain.models import AgencyStatus, CertificateStatus, ProvinceStatus
from ledger.index.tables import (
    agencies,
    agency_types,
    batches,
    certificate_events,
    certificate_status,
    events,
    index_state,
    jsonable,
    opt_address,
    opt_hex32,
    proposals,
    province_admins,
    provinces,
    recognition_rules,
    signing_keys,
    status_lists,
    to_hex,
    votes,
)

#: Certificate status events: the kind recorded and the status each sets.
STATUS_EVENTS = {
    "CertificateSuspended": ("suspended", CertificateStatus.SUSPENDED),
    "CertificateReinstated": ("reinstated", CertificateStatus.VALID),
    "CertificateRevoked": ("revoked", CertificateStatus.REVOKED),
    "CertificateSuperseded": ("superseded", CertificateStatus.SUPERSEDED),
}


@dataclass(frozen=True)
class EventLog:
    """One decoded log, with the timestamp of its block."""

    contract: str
    name: str
    args: Mapping[str, Any]
    block: int
    log_index: int
    tx_hash: str
    timestamp: int


Handler = Callable[[Connection, EventLog], None]


def event_decoders(contracts: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, Any]]:
    """(lower-case address, topic 0) → (contract name, web3 event) for every event of `contracts` (name →
    web3 contract)."""
    decoders: dict[tuple[str, str], tuple[str, Any]] = {}
    for name, contract in contracts.items():
        for ev in contract.all_events():
            decoders[(str(contract.address).lower(), HexBytes(ev.topic).to_0x_hex())] = (name, ev)
    return decoders


def apply_event(conn: Connection, entry: EventLog) -> None:
    """Write one event: its row in `events` and its effect on the derived tables."""
    conn.execute(
        insert(events).values(
            block=entry.block,
            log_index=entry.log_index,
            tx_hash=entry.tx_hash,
            contract=entry.contract,
            event=entry.name,
            args=json.dumps(jsonable(entry.args), ensure_ascii=False, sort_keys=True),
            timestamp=entry.timestamp,
        )
    )
    handler = HANDLERS.get(entry.name)
    if handler is not None:
        handler(conn, entry)


# ------------------------------------------------------------------------------------ Consortium


def _province_admitted(conn: Connection, e: EventLog) -> None:
    code = int(e.args["code"])
    values = {"name": str(e.args["name"]), "status": ProvinceStatus.ACTIVE, "status_since": e.timestamp}
    existing = conn.execute(select(provinces.c.epoch).where(provinces.c.code == code)).scalar()
    if existing is None:
        conn.execute(insert(provinces).values(code=code, epoch=1, admitted_block=e.block, **values))
    else:
        conn.execute(update(provinces).where(provinces.c.code == code).values(epoch=existing + 1, **values))


def _province_status(status: ProvinceStatus) -> Handler:
    def handle(conn: Connection, e: EventLog) -> None:
        code = int(e.args["code"])
        conn.execute(update(provinces).where(provinces.c.code == code).values(status=status, status_since=e.timestamp))

    return handle


def _province_admin_added(conn: Connection, e: EventLog) -> None:
    account = str(e.args["account"])
    conn.execute(delete(province_admins).where(province_admins.c.account == account))
    conn.execute(
        insert(province_admins).values(account=account, code=int(e.args["code"]), block=e.block, log_index=e.log_index)
    )


def _province_admin_removed(conn: Connection, e: EventLog) -> None:
    conn.execute(delete(province_admins).where(province_admins.c.account == str(e.args["account"])))


def _threshold_changed(conn: Connection, e: EventLog) -> None:
    conn.execute(update(index_state).where(index_state.c.id == 1).values(threshold=int(e.args["newThreshold"])))


def _proposal_created(conn: Connection, e: EventLog) -> None:
    conn.execute(
        insert(proposals).values(
            id=int(e.args["proposalId"]),
            proposer=int(e.args["proposer"]),
            target=str(e.args["target"]),
            data=to_hex(e.args["data"]),
            expires_at=int(e.args["expiresAt"]),
            description=str(e.args["description"]),
            created_at=e.timestamp,
            block=e.block,
        )
    )


def _vote_cast(conn: Connection, e: EventLog) -> None:
    conn.execute(
        insert(votes).values(
            block=e.block,
            log_index=e.log_index,
            proposal_id=int(e.args["proposalId"]),
            province=int(e.args["province"]),
            voter=str(e.args["voter"]),
            timestamp=e.timestamp,
        )
    )


def _proposal_executed(conn: Connection, e: EventLog) -> None:
    conn.execute(
        update(proposals)
        .where(proposals.c.id == int(e.args["proposalId"]))
        .values(executed_at=e.timestamp, executor=str(e.args["executor"]))
    )


def _proposal_cancelled(conn: Connection, e: EventLog) -> None:
    conn.execute(update(proposals).where(proposals.c.id == int(e.args["proposalId"])).values(cancelled_at=e.timestamp))


# ------------------------------------------------------------------------------------ AuthorityRegistry


def _agency_registered(conn: Connection, e: EventLog) -> None:
    parent = opt_address(str(e.args["parent"]))
    province = int(e.args["province"])
    depth = 1
    if parent is not None:
        depth = int(conn.execute(select(agencies.c.depth).where(agencies.c.account == parent)).scalar() or 0) + 1
    epoch = conn.execute(select(provinces.c.epoch).where(provinces.c.code == province)).scalar() or 0
    conn.execute(
        insert(agencies).values(
            account=str(e.args["agency"]),
            province=province,
            parent=parent,
            region=int(e.args["region"]),
            depth=depth,
            epoch=int(epoch),
            name=str(e.args["name"]),
            status=AgencyStatus.ACTIVE,
            status_since=e.timestamp,
            status_reason=0,
            registered_at=e.timestamp,
            block=e.block,
            log_index=e.log_index,
        )
    )


def _agency_suspended(conn: Connection, e: EventLog) -> None:
    conn.execute(
        update(agencies)
        .where(agencies.c.account == str(e.args["agency"]))
        .values(status=AgencyStatus.SUSPENDED, status_since=e.timestamp, status_reason=int(e.args["reason"]))
    )


def _agency_reinstated(conn: Connection, e: EventLog) -> None:
    conn.execute(
        update(agencies)
        .where(agencies.c.account == str(e.args["agency"]))
        .values(status=AgencyStatus.ACTIVE, status_since=e.timestamp, status_reason=0)
    )


def _certificate_type_granted(conn: Connection, e: EventLog) -> None:
    conn.execute(
        insert(agency_types).values(
            agency=str(e.args["agency"]),
            certificate_type=decode_code(e.args["certificateType"]) or "",
            granted_at=e.timestamp,
            granted_by=str(e.args["by"]),
            block=e.block,
            log_index=e.log_index,
        )
    )


def _certificate_type_revoked(conn: Connection, e: EventLog) -> None:
    code = decode_code(e.args["certificateType"]) or ""
    conn.execute(
        delete(agency_types).where(
            agency_types.c.agency == str(e.args["agency"]), agency_types.c.certificate_type == code
        )
    )


def _signing_key_added(conn: Connection, e: EventLog) -> None:
    conn.execute(
        insert(signing_keys).values(
            key_id=to_hex(e.args["keyId"]),
            agency=str(e.args["agency"]),
            algorithm=int(e.args["algorithm"]),
            valid_from=int(e.args["validFrom"]),
            valid_until=int(e.args["validUntil"]),
            public_key=to_hex(e.args["publicKey"]),
            added_at=e.timestamp,
            block=e.block,
        )
    )


def _signing_key_revoked(conn: Connection, e: EventLog) -> None:
    conn.execute(
        update(signing_keys)
        .where(signing_keys.c.key_id == to_hex(e.args["keyId"]))
        .values(valid_until=int(e.args["validUntil"]), revoked_at=e.timestamp)
    )


# ------------------------------------------------------------------------------------ CertificateRegistry


def _batch_anchored(conn: Connection, e: EventLog) -> None:
    conn.execute(
        insert(batches).values(
            agency=str(e.args["agency"]),
            root=to_hex(e.args["root"]),
            count=int(e.args["count"]),
            manifest=decode_manifest(e.args["manifest"]),
            anchored_at=e.timestamp,
            block=e.block,
            log_index=e.log_index,
            tx_hash=e.tx_hash,
            revoke_reason=0,
        )
    )


def _batch_revoked(conn: Connection, e: EventLog) -> None:
    conn.execute(
        update(batches)
        .where(batches.c.agency == str(e.args["agency"]), batches.c.root == to_hex(e.args["root"]))
        .values(
            revoked_at=e.timestamp,
            revoke_reason=int(e.args["reason"]),
            revoked_by=str(e.args["by"]),
            revoke_block=e.block,
            revoke_tx_hash=e.tx_hash,
        )
    )


def _status_change(conn: Connection, e: EventLog) -> None:
    kind, status = STATUS_EVENTS[e.name]
    agency, digest = str(e.args["agency"]), to_hex(e.args["digest"])
    successor = opt_hex32(e.args["successor"]) if "successor" in e.args else None
    key = and_(certificate_status.c.agency == agency, certificate_status.c.digest == digest)
    previous = conn.execute(select(certificate_status.c.successor).where(key)).first()
    carried = successor or (previous[0] if previous is not None else None)
    reason = int(e.args["reason"])
    conn.execute(
        insert(certificate_events).values(
            block=e.block,
            log_index=e.log_index,
            digest=digest,
            agency=agency,
            kind=kind,
            status=status,
            reason=reason,
            successor=successor,
            record_successor=carried,
            actor=str(e.args["by"]),
            tx_hash=e.tx_hash,
            timestamp=e.timestamp,
        )
    )
    record = {"status": status, "reason": reason, "updated_at": e.timestamp, "successor": carried, "block": e.block}
    if previous is None:
        conn.execute(insert(certificate_status).values(agency=agency, digest=digest, **record))
    else:
        conn.execute(update(certificate_status).where(key).values(**record))


# ------------------------------------------------------------------------------------ RecognitionRegistry


def _recognition_rule_set(conn: Connection, e: EventLog) -> None:
    conn.execute(
        insert(recognition_rules).values(
            id=int(e.args["ruleId"]),
            accepting_province=int(e.args["acceptingProvince"]),
            issuing_province=int(e.args["issuingProvince"]) or None,
            certificate_type=decode_code(e.args["certificateType"]) or "",
            service_item=decode_code(e.args["serviceItem"]),
            effective_from=int(e.args["effectiveFrom"]),
            effective_until=int(e.args["effectiveUntil"]),
            created_at=e.timestamp,
            legal_basis=str(e.args["legalBasis"]),
            block=e.block,
            tx_hash=e.tx_hash,
        )
    )


def _recognition_rule_revoked(conn: Connection, e: EventLog) -> None:
    conn.execute(
        update(recognition_rules)
        .where(recognition_rules.c.id == int(e.args["ruleId"]))
        .values(revoked_at=e.timestamp, revoked_by=str(e.args["by"]))
    )


def _status_list_published(conn: Connection, e: EventLog) -> None:
    """The latest hash of an agency's status list: replaced by each publication (the events keep the history)."""
    key = (str(e.args["agency"]), to_hex(e.args["listId"]))
    values = {"list_hash": to_hex(e.args["listHash"]), "block": e.block, "tx_hash": e.tx_hash,
              "published_at": e.timestamp}  # fmt: skip
    c = status_lists.c
    done = conn.execute(update(status_lists).where(c.agency == key[0], c.list_id == key[1]).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(status_lists).values(agency=key[0], list_id=key[1], **values))


#: Event name → its handler (events of the four contracts not named here are only recorded in `events`).
HANDLERS: dict[str, Handler] = {
    "ProvinceAdmitted": _province_admitted,
    "ProvinceSuspended": _province_status(ProvinceStatus.SUSPENDED),
    "ProvinceReinstated": _province_status(ProvinceStatus.ACTIVE),
    "ProvinceRemoved": _province_status(ProvinceStatus.REMOVED),
    "ProvinceAdminAdded": _province_admin_added,
    "ProvinceAdminRemoved": _province_admin_removed,
    "ThresholdChanged": _threshold_changed,
    "ProposalCreated": _proposal_created,
    "VoteCast": _vote_cast,
    "ProposalExecuted": _proposal_executed,
    "ProposalCancelled": _proposal_cancelled,
    "AgencyRegistered": _agency_registered,
    "AgencySuspended": _agency_suspended,
    "AgencyReinstated": _agency_reinstated,
    "CertificateTypeGranted": _certificate_type_granted,
    "CertificateTypeRevoked": _certificate_type_revoked,
    "SigningKeyAdded": _signing_key_added,
    "SigningKeyRevoked": _signing_key_revoked,
    "BatchAnchored": _batch_anchored,
    "BatchRevoked": _batch_revoked,
    "StatusListPublished": _status_list_published,
    **{name: _status_change for name in STATUS_EVENTS},
    "RecognitionRuleSet": _recognition_rule_set,
    "RecognitionRuleRevoked": _recognition_rule_revoked,
}
