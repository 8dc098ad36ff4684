"""The client of the `Consortium` contract: provinces, their admins and the consortium's m-of-n governance.

`ConsortiumClient` wraps the governance-only functions (reached through proposals), the provinces'
self-administration, proposals and votes, and the views of provinces and proposals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from eth_utils import to_checksum_address
from web3.types import BlockIdentifier

from ledger.chain.base import _ContractClient, _uint, checksum
from ledger.chain.codes import province_code
from ledger.chain.models import Proposal, ProposalState, Province, ProvinceStatus
from ledger.chain.transactions import PendingTransaction
from ledger.errors import LedgerValueError


class ConsortiumClient(_ContractClient):
    """Provinces, admins and the consortium's m-of-n governance."""

    name = "Consortium"

    # --- governance-only (send them through propose/vote/execute; encode with `encode`) ---
    def admit_province(self, code: int, name: str, admins: Sequence[str]) -> PendingTransaction:
        return self._send("admitProvince", province_code(code), name, [checksum(a) for a in admins])

    def suspend_province(self, code: int) -> PendingTransaction:
        return self._send("suspendProvince", province_code(code))

    def reinstate_province(self, code: int) -> PendingTransaction:
        return self._send("reinstateProvince", province_code(code))

    def remove_province(self, code: int) -> PendingTransaction:
        return self._send("removeProvince", province_code(code))

    def set_threshold(self, threshold: int) -> PendingTransaction:
        return self._send("setThreshold", _uint(threshold, 256, "threshold"))

    # --- province self-administration ---
    def add_province_admin(self, code: int, account: str) -> PendingTransaction:
        return self._send("addProvinceAdmin", province_code(code), checksum(account))

    def remove_province_admin(self, code: int, account: str) -> PendingTransaction:
        return self._send("removeProvinceAdmin", province_code(code), checksum(account))

    # --- proposals ---
    def propose(self, target: str, data: str | bytes, expires_at: int, description: str) -> PendingTransaction:
        payload: object = data
        if isinstance(data, str):
            payload = bytes.fromhex(data[2:]) if re.fullmatch(r"0x(?:[0-9a-fA-F]{2})*", data) else None
        if not isinstance(payload, bytes):
            raise LedgerValueError("proposal data must be bytes or 0x-prefixed hex")
        return self._send("propose", checksum(target), payload, _uint(expires_at, 48, "expires_at"), description)

    def vote(self, proposal_id: int) -> PendingTransaction:
        return self._send("vote", _uint(proposal_id, 256, "proposal id"))

    def execute(self, proposal_id: int) -> PendingTransaction:
        return self._send("execute", _uint(proposal_id, 256, "proposal id"))

    def cancel(self, proposal_id: int) -> PendingTransaction:
        return self._send("cancel", _uint(proposal_id, 256, "proposal id"))

    # --- views ---
    def threshold(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        """Votes needed now: the configured threshold, or the number of active provinces if lower."""
        return int(self._call("threshold", block_identifier=block_identifier))

    def configured_threshold(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("configuredThreshold", block_identifier=block_identifier))

    def active_province_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("activeProvinceCount", block_identifier=block_identifier))

    def province_codes(self, *, block_identifier: BlockIdentifier = "latest") -> list[int]:
        return [int(c) for c in self._call("provinceCodes", block_identifier=block_identifier)]

    def province(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> Province:
        raw = self._call("province", province_code(code), block_identifier=block_identifier)
        return Province(
            code=int(raw[0]),
            status=ProvinceStatus(raw[1]),
            status_since=int(raw[2]),
            epoch=int(raw[3]),
            name=str(raw[4]),
            admins=tuple(to_checksum_address(a) for a in raw[5]),
        )

    def provinces(self, *, block_identifier: BlockIdentifier = "latest") -> list[Province]:
        codes = self.province_codes(block_identifier=block_identifier)
        return [self.province(c, block_identifier=block_identifier) for c in codes]

    def province_status(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> ProvinceStatus:
        return ProvinceStatus(self._call("provinceStatus", province_code(code), block_identifier=block_identifier))

    def is_province_active(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("isProvinceActive", province_code(code), block_identifier=block_identifier))

    def was_province_active_at(
        self, code: int, timepoint: int, *, block_identifier: BlockIdentifier = "latest"
    ) -> bool:
        args = (province_code(code), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("wasProvinceActiveAt", *args, block_identifier=block_identifier))

    def authority_registry(self, *, block_identifier: BlockIdentifier = "latest") -> str:
        """The `AuthorityRegistry` told of every change of a province's status."""
        return to_checksum_address(self._call("authorityRegistry", block_identifier=block_identifier))

    def province_epoch(self, code: int, *, block_identifier: BlockIdentifier = "latest") -> tuple[int, bool]:
        """(membership epoch, active now) of a province."""
        raw = self._call("provinceEpoch", province_code(code), block_identifier=block_identifier)
        return int(raw[0]), bool(raw[1])

    def province_epoch_at(self, code: int, timepoint: int, *, block_identifier: BlockIdentifier = "latest") -> int:
        args = (province_code(code), _uint(timepoint, 48, "timepoint"))
        return int(self._call("provinceEpochAt", *args, block_identifier=block_identifier))

    def province_of_admin(self, account: str, *, block_identifier: BlockIdentifier = "latest") -> int | None:
        code = int(self._call("provinceOfAdmin", checksum(account), block_identifier=block_identifier))
        return code or None

    def is_province_admin(self, code: int, account: str, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("isProvinceAdmin", code, checksum(account), block_identifier=block_identifier))

    def proposal_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("proposalCount", block_identifier=block_identifier))

    def proposal(self, proposal_id: int, *, block_identifier: BlockIdentifier = "latest") -> Proposal:
        raw = self._call("proposal", _uint(proposal_id, 256, "proposal id"), block_identifier=block_identifier)
        return Proposal(
            id=proposal_id,
            proposer=int(raw[0]),
            state=ProposalState(raw[1]),
            created_at=int(raw[2]),
            expires_at=int(raw[3]),
            target=to_checksum_address(raw[4]),
            data=bytes(raw[5]),
            description=str(raw[6]),
            voters=tuple(int(v) for v in raw[7]),
        )

    def proposal_state(self, proposal_id: int, *, block_identifier: BlockIdentifier = "latest") -> ProposalState:
        return ProposalState(self._call("proposalState", proposal_id, block_identifier=block_identifier))

    def proposal_votes(self, proposal_id: int, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("proposalVotes", proposal_id, block_identifier=block_identifier))

    def has_voted(self, proposal_id: int, code: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        return bool(self._call("hasVoted", proposal_id, code, block_identifier=block_identifier))
