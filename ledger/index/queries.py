"""The index's query API: registers, histories and counts read from the committed index, never the chain.

`IndexQueries` is mixed into `Indexer`; it needs only the `engine` of the index database. Reads taking
`at_block` answer as the index stood at that block (from the histories it keeps), for readers pinned to a block.

The registers and histories are answered as the service answers them: camelCase keys, GB/T 2260 province and
region codes as strings, and reasons by name with their number beside (`"reason": "fraud", "reasonCode": 3`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from ledger.certificates.reasons import reason_name
from ledger.chain.models import AgencyStatus, Batch, CertificateStatus, KeyAlgorithm, ProvinceStatus, StatusRecord
from ledger.errors import IndexerError
from ledger.index.tables import (
    agencies,
    agency_types,
    batches,
    certificate_events,
    certificate_status,
    from_hex,
    proposals,
    province_admins,
    provinces,
    recognition_rules,
    signing_keys,
    status_lists,
    to_address,
    to_b32,
    votes,
)
from ledger.verification.reader import VALID_RECORD

_cs, _ce = certificate_status.c, certificate_events.c
#: A certificate's status now and at a block, built once (a read per `/verify` without building a statement).
_STATUS_NOW = select(_cs.status, _cs.reason, _cs.updated_at, _cs.successor).where(
    _cs.agency == bindparam("agency"), _cs.digest == bindparam("digest")
)
_STATUS_AT = (
    select(_ce.status, _ce.reason, _ce.timestamp, _ce.record_successor)
    .where(_ce.agency == bindparam("agency"), _ce.digest == bindparam("digest"), _ce.block <= bindparam("block"))
    .order_by(_ce.block.desc(), _ce.log_index.desc())
    .limit(1)
)


class IndexQueries:
    """Queries of the index database (`engine`); database failures raise `IndexerError`."""

    engine: Engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise IndexerError(f"the index database failed: {exc}") from exc

    def status(self, agency: str, digest: bytes | str, *, at_block: int | None = None) -> StatusRecord:
        """The status record of `digest` among `agency`'s certificates, as `statusOf` answers it (VALID, updated
        at 0, when it never changed); at `at_block` if given (from the status history), else now."""
        a, d = to_address(agency), to_b32(digest, "digest")
        with self._read() as conn:
            if at_block is None:
                row = conn.execute(_STATUS_NOW, {"agency": a, "digest": d}).first()
            else:
                row = conn.execute(_STATUS_AT, {"agency": a, "digest": d, "block": at_block}).first()
        if row is None:
            return VALID_RECORD
        return StatusRecord(CertificateStatus(row[0]), int(row[1]), int(row[2]), from_hex(row[3]))

    def statuses(self, agency: str, *, at_block: int | None = None) -> dict[bytes, StatusRecord]:
        """Every changed status record of `agency`'s certificates (digest → record), now or at `at_block`."""
        ce = certificate_events.c
        query = select(ce.digest, ce.status, ce.reason, ce.timestamp, ce.record_successor).where(
            ce.agency == to_address(agency)
        )
        if at_block is not None:
            query = query.where(ce.block <= at_block)
        with self._read() as conn:
            rows = conn.execute(query.order_by(ce.block, ce.log_index)).all()
        return {
            bytes.fromhex(r[0][2:]): StatusRecord(CertificateStatus(r[1]), int(r[2]), int(r[3]), from_hex(r[4]))
            for r in rows
        }

    def revoked_roots(self, agency: str, *, at_block: int | None = None) -> frozenset[bytes]:
        """The roots of `agency`'s revoked batches (`revokeBatch`), now or at `at_block`."""
        b = batches.c
        query = select(b.root).where(b.agency == to_address(agency), b.revoked_at.is_not(None))
        if at_block is not None:
            query = query.where(b.revoke_block <= at_block)
        with self._read() as conn:
            return frozenset(bytes.fromhex(row[0][2:]) for row in conn.execute(query))

    def history(self, digest: bytes | str) -> list[dict[str, Any]]:
        """Every status change of `digest` (under any agency), oldest first."""
        ce = certificate_events.c
        with self._read() as conn:
            rows = conn.execute(
                select(certificate_events).where(ce.digest == to_b32(digest, "digest")).order_by(ce.block, ce.log_index)
            ).mappings()
            return [
                {
                    "digest": r["digest"],
                    "agency": r["agency"],
                    "kind": r["kind"],
                    "status": CertificateStatus(r["status"]).name.lower(),
                    "reason": reason_name(r["reason"]),
                    "reasonCode": r["reason"],
                    "successor": r["successor"],
                    "by": r["actor"],
                    "block": r["block"],
                    "logIndex": r["log_index"],
                    "transactionHash": r["tx_hash"],
                    "timestamp": r["timestamp"],
                }
                for r in rows
            ]

    def batch(self, agency: str, root: bytes | str, *, at_block: int | None = None) -> Batch:
        """A batch as `CertificateRegistry.batch` answers it (`anchored_at` 0 for a root never anchored by
        `agency`), now or at `at_block`."""
        a, r = to_address(agency), to_b32(root, "root")
        b = batches.c
        query = select(b.anchored_at, b.count, b.revoked_at, b.revoke_reason, b.revoke_block).where(
            b.agency == a, b.root == r
        )
        if at_block is not None:
            query = query.where(b.block <= at_block)
        with self._read() as conn:
            row = conn.execute(query).first()
        raw_root = bytes.fromhex(r[2:])
        if row is None:
            return Batch(agency=a, root=raw_root, anchored_at=0, count=0, revoked_at=None, revoke_reason=0)
        revoked = row[2] is not None and (at_block is None or row[4] <= at_block)
        return Batch(
            agency=a,
            root=raw_root,
            anchored_at=int(row[0]),
            count=int(row[1]),
            revoked_at=int(row[2]) if revoked else None,
            revoke_reason=int(row[3]) if revoked else 0,
        )

    def batches(self, agency: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Anchored batches, newest first, optionally of one agency."""
        b = batches.c
        query = select(batches).order_by(b.block.desc(), b.log_index.desc()).limit(max(0, limit)).offset(max(0, offset))
        if agency is not None:
            query = query.where(b.agency == to_address(agency))
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        out = []
        for row in rows:
            reason = row["revoke_reason"] if row["revoked_at"] is not None else None
            public = public_row({k: v for k, v in row.items() if k not in ("log_index", "revoke_reason")})
            out.append(public | {"revokeReason": reason_name(reason) if reason is not None else None,
                                 "revokeReasonCode": reason})  # fmt: skip
        return out

    def provinces(self) -> list[dict[str, Any]]:
        """The consortium's provinces (by code) with status, epoch and admin accounts."""
        with self._read() as conn:
            rows = conn.execute(select(provinces).order_by(provinces.c.code)).mappings().all()
            admins = conn.execute(
                select(province_admins.c.code, province_admins.c.account).order_by(
                    province_admins.c.block, province_admins.c.log_index
                )
            ).all()
        by_code: dict[int, list[str]] = {}
        for code, account in admins:
            by_code.setdefault(int(code), []).append(account)
        return [
            {
                "code": str(r["code"]),
                "name": r["name"],
                "status": ProvinceStatus(r["status"]).name.lower(),
                "statusSince": r["status_since"],
                "epoch": r["epoch"],
                "admins": by_code.get(r["code"], []),
            }
            for r in rows
        ]

    def agencies(self, province: int | str | None = None, certificate_type: str | None = None) -> list[dict[str, Any]]:
        """Registered agencies in registration order, optionally of one province or holding one type."""
        with self._read() as conn:
            query = select(agencies).order_by(agencies.c.block, agencies.c.log_index)
            rows: list[dict[str, Any]] = [dict(r) for r in conn.execute(query).mappings()]
            grants = conn.execute(
                select(agency_types.c.agency, agency_types.c.certificate_type).order_by(
                    agency_types.c.block, agency_types.c.log_index
                )
            ).all()
            states = {
                int(code): (int(status), int(epoch))
                for code, status, epoch in conn.execute(select(provinces.c.code, provinces.c.status, provinces.c.epoch))
            }
        by_account = {r["account"]: r for r in rows}
        types: dict[str, list[str]] = {}
        for account, code in grants:
            types.setdefault(account, []).append(code)
        children: dict[str, list[str]] = {}
        for r in rows:
            if r["parent"] is not None:
                children.setdefault(r["parent"], []).append(r["account"])

        def effectively_active(row: Mapping[str, Any]) -> bool:
            status, epoch = states.get(int(row["province"]), (0, 0))
            if status != ProvinceStatus.ACTIVE or epoch != row["epoch"]:
                return False
            cursor: Mapping[str, Any] | None = row
            while cursor is not None:
                if cursor["status"] != AgencyStatus.ACTIVE:
                    return False
                cursor = by_account.get(cursor["parent"]) if cursor["parent"] else None
            return True

        out = []
        for r in rows:
            if province is not None and r["province"] != int(province):
                continue
            granted = types.get(r["account"], [])
            if certificate_type is not None and certificate_type not in granted:
                continue
            out.append(
                {
                    "account": r["account"],
                    "parent": r["parent"],
                    "province": str(r["province"]),
                    "region": str(r["region"]),
                    "depth": r["depth"],
                    "name": r["name"],
                    "status": AgencyStatus(r["status"]).name.lower(),
                    "statusSince": r["status_since"],
                    "effectivelyActive": effectively_active(r),
                    "children": children.get(r["account"], []),
                    "certificateTypes": granted,
                    "registeredAt": r["registered_at"],
                }
            )
        return out

    def signing_keys(self, agency: str | None = None) -> list[dict[str, Any]]:
        """Registered signing keys, in registration order, optionally of one agency."""
        k = signing_keys.c
        query = select(signing_keys).order_by(k.block, k.key_id)
        if agency is not None:
            query = query.where(k.agency == to_address(agency))
        with self._read() as conn:
            return [
                public_row({**row, "algorithm": KeyAlgorithm(row["algorithm"]).name.lower()})
                for row in conn.execute(query).mappings()
            ]

    def status_list_hashes(self, agency: str | None = None) -> list[dict[str, Any]]:
        """The latest anchored hash of each status list (`StatusListPublished`), optionally of one agency."""
        c = status_lists.c
        query = select(status_lists).order_by(c.agency, c.list_id)
        if agency is not None:
            query = query.where(c.agency == to_address(agency))
        with self._read() as conn:
            return [public_row(dict(row)) for row in conn.execute(query).mappings()]

    def rules(
        self,
        accepting: int | str | None = None,
        issuing: int | str | None = None,
        certificate_type: str | None = None,
        in_force_at: int | None = None,
    ) -> list[dict[str, Any]]:
        """Recognition rules by id. `issuing` also matches rules accepting any issuing province; `in_force_at`
        keeps rules in force at that time (effective window, not revoked by then)."""
        r = recognition_rules.c
        query = select(recognition_rules).order_by(r.id)
        if accepting is not None:
            query = query.where(r.accepting_province == int(accepting))
        if issuing is not None:
            query = query.where(or_(r.issuing_province == int(issuing), r.issuing_province.is_(None)))
        if certificate_type is not None:
            query = query.where(r.certificate_type == certificate_type)
        if in_force_at is not None:
            query = query.where(
                r.effective_from <= in_force_at,
                r.effective_until > in_force_at,
                or_(r.revoked_at.is_(None), r.revoked_at > in_force_at),
            )
        with self._read() as conn:
            return [public_row(dict(row)) for row in conn.execute(query).mappings()]

    def proposals(self) -> list[dict[str, Any]]:
        """Consortium proposals by id, with the provinces that voted (in order)."""
        with self._read() as conn:
            rows = conn.execute(select(proposals).order_by(proposals.c.id)).mappings().all()
            cast_votes = conn.execute(
                select(votes.c.proposal_id, votes.c.province).order_by(votes.c.block, votes.c.log_index)
            ).all()
        voters: dict[int, list[str]] = {}
        for proposal_id, province in cast_votes:
            voters.setdefault(int(proposal_id), []).append(str(province))
        return [public_row(dict(row)) | {"voters": voters.get(int(row["id"]), [])} for row in rows]

    def certificate_counts(self, agency: str | None = None) -> dict[str, int]:
        """Batches and certificates anchored, batches revoked, and certificates by changed status."""
        b, s = batches.c, certificate_status.c
        batch_query = select(func.count(), func.coalesce(func.sum(b.count), 0), func.count(b.revoked_at))
        status_query = select(s.status, func.count()).group_by(s.status)
        if agency is not None:
            batch_query = batch_query.where(b.agency == to_address(agency))
            status_query = status_query.where(s.agency == to_address(agency))
        with self._read() as conn:
            n_batches, n_certificates, n_revoked = conn.execute(batch_query).one()
            by_status = {CertificateStatus(st): int(n) for st, n in conn.execute(status_query)}
        return {
            "batches": int(n_batches),
            "certificates": int(n_certificates),
            "revokedBatches": int(n_revoked),
            "suspended": by_status.get(CertificateStatus.SUSPENDED, 0),
            "revoked": by_status.get(CertificateStatus.REVOKED, 0),
            "superseded": by_status.get(CertificateStatus.SUPERSEDED, 0),
        }


#: Columns that hold a GB/T 2260 code: answered as strings, as the certificates and the verify context write them.
_CODE_COLUMNS = frozenset({"code", "province", "region", "accepting_province", "issuing_province", "proposer"})


def camel(name: str) -> str:
    """`snake_case` as `camelCase` (`tx_hash` as `transactionHash`, the name the API uses for it)."""
    if name == "tx_hash" or name.endswith("_tx_hash"):
        name = name.removesuffix("tx_hash") + "transaction_hash"
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def public_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as the index answers it: camelCase keys, GB/T 2260 codes as strings (None stays None)."""
    return {camel(k): (str(v) if k in _CODE_COLUMNS and v is not None else v) for k, v in row.items()}
