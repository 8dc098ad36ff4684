"""The client of the `RecognitionRegistry` contract: recognition rules of accepting provinces.

`RecognitionRegistryClient` sets and revokes rules and reads them, including whether an accepting province
recognised a certificate of an issuing province at a given time (`accepts`).
"""

from __future__ import annotations

from eth_utils import to_checksum_address
from web3.types import BlockIdentifier

from ledger.chain.base import _ContractClient, _uint
from ledger.chain.codes import decode_code, encode_code, encode_optional_code, province_code
from ledger.chain.models import RecognitionRule
from ledger.chain.transactions import PendingTransaction
from ledger.errors import LedgerValueError


class RecognitionRegistryClient(_ContractClient):
    """Recognition rules of accepting provinces."""

    name = "RecognitionRegistry"

    def set_rule(
        self,
        accepting_province: int,
        issuing_province: int | None,
        certificate_type: str,
        service_item: str | None = None,
        effective_from: int = 0,
        effective_until: int = 0,
        legal_basis: str = "",
    ) -> PendingTransaction:
        if not isinstance(legal_basis, str) or len(legal_basis.encode()) > 1024:
            raise LedgerValueError("legal basis must be a string of at most 1024 bytes")
        return self._send(
            "setRule",
            province_code(accepting_province),
            province_code(issuing_province or 0, allow_zero=True),
            encode_code(certificate_type, what="certificate type"),
            encode_optional_code(service_item, what="service item"),
            _uint(effective_from, 48, "effective_from"),
            _uint(effective_until, 48, "effective_until"),
            legal_basis,
        )

    def revoke_rule(self, rule_id: int) -> PendingTransaction:
        return self._send("revokeRule", _uint(rule_id, 256, "rule id"))

    # --- views ---
    def consortium(self, *, block_identifier: BlockIdentifier = "latest") -> str:
        return to_checksum_address(self._call("consortium", block_identifier=block_identifier))

    def rule_count(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        return int(self._call("ruleCount", block_identifier=block_identifier))

    def rule(self, rule_id: int, *, block_identifier: BlockIdentifier = "latest") -> RecognitionRule:
        raw = self._call("rule", _uint(rule_id, 256, "rule id"), block_identifier=block_identifier)
        return RecognitionRule(
            id=rule_id,
            accepting_province=int(raw[0]),
            issuing_province=int(raw[1]) or None,
            certificate_type=decode_code(raw[2]),
            service_item=decode_code(raw[3]),
            effective_from=int(raw[4]),
            effective_until=int(raw[5]),
            created_at=int(raw[6]),
            revoked_at=int(raw[7]) or None,
            legal_basis=str(raw[8]),
        )

    def rules(self, *, block_identifier: BlockIdentifier = "latest") -> list[RecognitionRule]:
        count = self.rule_count(block_identifier=block_identifier)
        return [self.rule(i, block_identifier=block_identifier) for i in range(1, count + 1)]

    def rules_of(self, accepting_province: int, *, block_identifier: BlockIdentifier = "latest") -> list[int]:
        raw = self._call("rulesOf", province_code(accepting_province), block_identifier=block_identifier)
        return [int(i) for i in raw]

    def max_rules_per_key(self, *, block_identifier: BlockIdentifier = "latest") -> int:
        """Most unrevoked rules one (accepting province, type, issuing province, service item) key may hold."""
        return int(self._call("maxRulesPerKey", block_identifier=block_identifier))

    def unrevoked_rules(
        self,
        accepting_province: int,
        certificate_type: str,
        issuing_province: int | None,
        service_item: str | None,
        *,
        block_identifier: BlockIdentifier = "latest",
    ) -> list[int]:
        """Ids of the unrevoked rules with exactly this key (`None` for any province or service item), in order."""
        raw = self._call(
            "unrevokedRules",
            province_code(accepting_province),
            encode_code(certificate_type, what="certificate type"),
            province_code(issuing_province or 0, allow_zero=True),
            encode_optional_code(service_item, what="service item"),
            block_identifier=block_identifier,
        )
        return [int(i) for i in raw]

    def is_in_force(self, rule_id: int, timepoint: int, *, block_identifier: BlockIdentifier = "latest") -> bool:
        args = (_uint(rule_id, 256, "rule id"), _uint(timepoint, 48, "timepoint"))
        return bool(self._call("isInForce", *args, block_identifier=block_identifier))

    def accepts(
        self,
        accepting_province: int,
        issuing_province: int,
        certificate_type: str,
        service_item: str | None,
        timepoint: int,
        *,
        block_identifier: BlockIdentifier = "latest",
    ) -> tuple[bool, int | None]:
        """Whether the accepting province recognised the certificate at `timepoint`, and by which rule."""
        raw = self._call(
            "accepts",
            province_code(accepting_province),
            province_code(issuing_province),
            encode_code(certificate_type, what="certificate type"),
            encode_optional_code(service_item, what="service item"),
            _uint(timepoint, 48, "timepoint"),
            block_identifier=block_identifier,
        )
        return bool(raw[0]), int(raw[1]) or None
