"""The tamper-evident usage log (`UsageLog`): Merkle roots of each province's usage records anchored on chain per
period, inclusion proofs of single records and their check against the chain. What cannot be proven, a proof that does
not hold and a log that no longer matches the chain raise `LedgerValueError` naming what."""

from ledger.audit.contract import EXTRA_KEY, UsageLogClient, UsageLogRecord, deploy_usage_log, usage_log_artifact
from ledger.audit.log import RECORD_FIELDS, Anchored, AuditLog, record_digest, verify_proof

__all__ = [
    "EXTRA_KEY",
    "RECORD_FIELDS",
    "Anchored",
    "AuditLog",
    "UsageLogClient",
    "UsageLogRecord",
    "deploy_usage_log",
    "record_digest",
    "usage_log_artifact",
    "verify_proof",
]
