"""The exception tree of Hurong's Python core: every exception `ledger` raises on purpose, in this one module.

Every one derives from `LedgerError`; the service maps each class to an HTTP status in one table
(`api/errors.py`, `STATUS_BY_CLASS`)::

    LedgerError
    ├── LedgerValueError (ValueError)          bad input: a malformed address, digest, file or description
    │   ├── ConfigurationError                 a deployment or bootstrap description that does not validate
    │   ├── CertificateValidationError         a certificate refused, with each field's pointer and reason
    │   ├── IntegrityError                     fields, salts and hidden hashes of a document do not fit
    │   ├── InvalidReason                      a reason that is neither a documented name nor a known code
    │   ├── IssuanceError                      credentials refused before anything was hashed or anchored
    │   ├── QRError                            a QR image unreadable, or holding neither certificate nor reference
    │   ├── SignatureFormatError               a malformed `proof.signature`
    │   ├── ProofOfPossessionError             a signing key's proof of possession missing or wrong
    │   ├── SigningKeyError                    a signing key that cannot sign for the agency at the time asked
    │   │   ├── UnregisteredSigningKeyError    no key with this id for the agency
    │   │   ├── ForeignSigningKeyError         the key belongs to another agency
    │   │   ├── WrongKeyAlgorithmError         another algorithm than the one asked for
    │   │   ├── RevokedSigningKeyError         revoked at or before the time asked
    │   │   └── SigningKeyNotValidError        outside the key's validity window
    │   ├── KeystoreFormatError (also a KeystoreError)  a key file that is not a well-formed key file
    │   ├── DocumentDecryptionError            a sealed document that does not open: wrong key, changed ciphertext
    │   ├── HistoryUnavailable                 the node no longer keeps the state of a past block asked about
    │   └── TrustBundleError                   a trust bundle that is malformed, badly signed or too old (`code`)
    ├── CompilationError                       solc rejected the sources (carries solc's messages)
    ├── ToolchainError                         Node, solc-js or anvil missing or failing to start
    │   └── FontNotFound                       no CJK font to set a printable licence in (fonts-noto-cjk)
    ├── ChainError                             the JSON-RPC endpoint failed or answered nonsense
    │   ├── TransactionFailed                  a mined transaction reverted without a decodable reason
    │   ├── TransactionTimeout                 no receipt within the time allowed
    │   ├── TransactionDropped                 the chain forgot a transaction and its nonce went to another
    │   ├── FeeCapExceeded                     the chain's base fee is above what the configuration allows
    │   ├── RpcUnreachable                     the lean JSON-RPC client could not reach the node (web3 takes over)
    │   └── RpcError                           the node answered a lean JSON-RPC request with an error
    ├── DeploymentError                        no deployment record, or one that does not match the chain
    ├── KeystoreError                          a key file that cannot be decrypted, read or written
    ├── JournalError                           an issuance journal that cannot be opened or is inconsistent
    │   └── DuplicateLicence                   a licence (type and number) another certificate of the agency holds
    ├── AnchoringFailed                        a journaled batch the chain refused
    ├── StoreError                             a document blob missing or not matching its CID
    │   ├── StoreUnavailable (ConnectionError) the store does not answer: try again later
    │   └── CidMismatch                        a node answered another CID than the bytes have
    ├── IndexerError                           the index database failed or cannot answer
    └── ContractRevertError                    a contract refused a call with a custom error
        ├── UnknownContractError               a revert whose selector no ABI of Hurong declares
        └── <one class per custom error>       see `ledger.chain.contract_errors`, with the decoded arguments
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the exception tree imports nothing of the layers above it
    from ledger.certificates.validation import Problem
    from ledger.chain.models import KeyAlgorithm


class LedgerError(Exception):
    """Base class of every error raised by Hurong's core."""


class LedgerValueError(LedgerError, ValueError):
    """An input value is malformed or out of range."""


class ConfigurationError(LedgerValueError):
    """A deployment, bootstrap or settings description does not validate."""


class CompilationError(LedgerError):
    """solc reported errors; `messages` holds each formatted message."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        joined = "\n".join(self.messages) or "unknown compiler failure"
        super().__init__(f"Solidity compilation failed:\n{joined}")


class ToolchainError(LedgerError):
    """A required external tool (Node.js, solc-js, anvil) is missing or failed."""


class FontNotFound(ToolchainError):
    """No CJK font to set a printable licence in (install Debian's fonts-noto-cjk)."""


class ChainError(LedgerError):
    """The chain's JSON-RPC endpoint failed or answered something unexpected."""


class TransactionFailed(ChainError):
    """A transaction was mined with status 0 and no custom error could be decoded."""

    def __init__(self, message: str, tx_hash: str | None = None) -> None:
        self.tx_hash = tx_hash
        super().__init__(message)


class TransactionTimeout(ChainError):
    """No receipt arrived for a transaction within the time allowed."""

    def __init__(self, tx_hash: str, timeout: float) -> None:
        self.tx_hash = tx_hash
        self.timeout = timeout
        super().__init__(f"no receipt for {tx_hash} after {timeout:.1f}s")


class TransactionDropped(ChainError):
    """A sent transaction is neither mined nor pending, and its nonce was used by another transaction."""

    def __init__(self, tx_hash: str, nonce: int) -> None:
        self.tx_hash = tx_hash
        self.nonce = nonce
        super().__init__(f"transaction {tx_hash} was dropped: nonce {nonce} went to another transaction")


class RpcUnreachable(ChainError):
    """The lean JSON-RPC client (`ledger.chain.rpc`) could not reach the endpoint, or had no HTTP answer from it (the
    caller may go back to web3, which fails over between endpoints)."""


class RpcError(ChainError):
    """The node answered a lean JSON-RPC request with an error."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(f"JSON-RPC error {code}: {message[:300]}")


class FeeCapExceeded(ChainError):
    """The chain's base fee is above the most the configuration lets a transaction pay per gas unit."""

    def __init__(self, base_fee: int, cap: int) -> None:
        self.base_fee = base_fee
        self.cap = cap
        super().__init__(f"the chain's base fee {base_fee} wei exceeds the configured cap of {cap} wei per gas")


class HistoryUnavailable(LedgerValueError):
    """The chain node no longer keeps the state of the past block a question was asked at (pruned history)."""

    def __init__(self, block: int) -> None:
        self.block = block
        super().__init__(
            f"the chain node no longer keeps the state of block {block} (its history is pruned): "
            "ask about a later block or time, or read from an archive node"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.block,))


class DeploymentError(LedgerError):
    """A deployment record is missing or does not match the chain."""


class ContractRevertError(LedgerError):
    """A contract call reverted with a custom error declared in the contracts' ABIs.

    Subclasses (in `ledger.chain.contract_errors`) exist for every custom error and expose its arguments as
    attributes; `arguments` holds them as a dict in declaration order.
    """

    error_name: str = ""
    selector: str = ""
    argument_names: tuple[str, ...] = ()
    argument_types: tuple[str, ...] = ()

    def __init__(self, *args: Any, tx_hash: str | None = None) -> None:
        if len(args) != len(self.argument_names):
            raise TypeError(f"{type(self).__name__} takes {len(self.argument_names)} arguments, got {len(args)}")
        self.arguments: dict[str, Any] = dict(zip(self.argument_names, args, strict=True))
        for name, value in self.arguments.items():
            setattr(self, name, value)
        self.tx_hash = tx_hash
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in self.arguments.items())
        super().__init__(f"{self.error_name}({rendered})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), tuple(self.arguments.values()))


class UnknownContractError(ContractRevertError):
    """A revert whose selector is not declared in Hurong's ABIs; `data` holds the raw revert data."""

    error_name = "UnknownContractError"

    def __init__(self, data: str, tx_hash: str | None = None) -> None:
        self.data = data
        self.arguments = {"data": data}
        self.tx_hash = tx_hash
        Exception.__init__(self, f"contract reverted with undecodable data {data}")


class QRError(LedgerValueError):
    """A QR image cannot be read, or holds neither a certificate nor a Hurong reference."""


class InvalidReason(LedgerValueError):
    """A reason that is neither a documented name nor the decimal number of a known code."""

    code = "invalid_reason"


class IntegrityError(LedgerValueError):
    """A document's fields, salts and obfuscated hashes do not fit together."""


class TrustBundleError(LedgerValueError):
    """A trust bundle refused: malformed (`bad_bundle`), not signed by the key given (`bad_signature`), a key
    that is not one (`bad_key`) or older than allowed (`too_old`); `code` names which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CertificateValidationError(LedgerValueError):
    """A certificate document does not validate; `problems` lists every field refused and why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            raise ValueError("CertificateValidationError needs at least one problem")
        shown = "; ".join(f"{p.pointer or '/'}: {p.message} [{p.code}]" for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"certificate does not validate: {shown}{more}")

    def as_dicts(self) -> list[dict[str, str]]:
        """The problems as JSON-ready dicts (`pointer`, `code`, `message`)."""
        return [p.as_dict() for p in self.problems]

    def codes(self) -> dict[str, str]:
        """`{pointer: code}` of the first problem at each pointer, handy in tests and logs."""
        found: dict[str, str] = {}
        for p in self.problems:
            found.setdefault(p.pointer, p.code)
        return found


class IssuanceError(LedgerValueError):
    """Credentials were refused before anything was hashed or anchored; `problems` lists them."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"credential {first['index']}: {first['pointer']}: {first['message']}{more}")


class AnchoringFailed(LedgerError):
    """A batch could not be anchored; its certificates are in the journal as `failed`."""

    def __init__(self, batch_id: int, cause: Exception) -> None:
        self.batch_id = batch_id
        self.cause = cause
        super().__init__(f"batch {batch_id} was not anchored: {cause}")


class StoreError(LedgerError):
    """A blob is missing or does not match its CID."""


class StoreUnavailable(ConnectionError, StoreError):
    """The store does not answer (the node is down or unreachable): try again later. A `ConnectionError` first,
    so that callers treating connection failures as temporary do so here too."""


class CidMismatch(StoreError):
    """The node answered a CID other than the one computed locally for the same bytes."""

    def __init__(self, expected: str, answered: str) -> None:
        super().__init__(f"CID mismatch: the node answered {answered}, the bytes give {expected}")
        self.expected = expected
        self.answered = answered


class DocumentDecryptionError(LedgerValueError):
    """A sealed document does not open: a wrong key, or ciphertext changed since it was sealed."""


class JournalError(LedgerError):
    """The journal cannot be opened or is inconsistent."""


class DuplicateLicence(JournalError):
    """Certificates whose licence (type and number) another journaled certificate of the agency holds:
    `conflicts` lists (position among those recorded, digest of the holder)."""

    def __init__(self, conflicts: Sequence[tuple[int, bytes]]) -> None:
        self.conflicts = list(conflicts)
        first, holder = self.conflicts[0]
        super().__init__(f"certificate {first}: its licence is held by certificate 0x{holder.hex()}")


class IndexerError(LedgerError):
    """The index database failed, or the index cannot answer (nothing indexed yet, chain reorganised)."""


class KeystoreError(LedgerError):
    """A key file could not be decrypted (wrong passphrase or corrupted), read or written."""


class KeystoreFormatError(KeystoreError, LedgerValueError):
    """A key file is not a well-formed version 1 key file; the message gives the reason."""


class SignatureFormatError(LedgerValueError):
    """A `proof.signature` object is malformed: not an object, an unknown algorithm, a bad keyId or value."""


class ProofOfPossessionError(LedgerValueError):
    """A signing key's proof of possession is missing or is not the key's signature over the expected message."""


class SigningKeyError(LedgerValueError):
    """A signing key cannot sign for an agency at the time asked; `key_id`, `agency` and `at` say which and when."""

    def __init__(self, message: str, *, key_id: bytes, agency: str, at: int) -> None:
        self.key_id = key_id
        self.agency = agency
        self.at = at
        super().__init__(message)


class UnregisteredSigningKeyError(SigningKeyError):
    """No key with this id is registered (ids are per agency: see `SigningKeyPair.key_id_for`)."""


class ForeignSigningKeyError(SigningKeyError):
    """The key is registered to another agency; `owner` is that agency."""

    def __init__(self, message: str, *, key_id: bytes, agency: str, at: int, owner: str) -> None:
        self.owner = owner
        super().__init__(message, key_id=key_id, agency=agency, at=at)


class WrongKeyAlgorithmError(SigningKeyError):
    """The key's algorithm is not the one asked for (`expected`, `actual`)."""

    def __init__(
        self, message: str, *, key_id: bytes, agency: str, at: int, expected: KeyAlgorithm, actual: KeyAlgorithm
    ) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(message, key_id=key_id, agency=agency, at=at)


class RevokedSigningKeyError(SigningKeyError):
    """The key was revoked at `revoked_at`, at or before the time asked."""

    def __init__(self, message: str, *, key_id: bytes, agency: str, at: int, revoked_at: int) -> None:
        self.revoked_at = revoked_at
        super().__init__(message, key_id=key_id, agency=agency, at=at)


class SigningKeyNotValidError(SigningKeyError):
    """The time asked is outside the key's window `[valid_from, valid_until)`: not yet valid, or expired."""

    def __init__(self, message: str, *, key_id: bytes, agency: str, at: int, valid_from: int, valid_until: int) -> None:
        self.valid_from = valid_from
        self.valid_until = valid_until
        super().__init__(message, key_id=key_id, agency=agency, at=at)


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value)


__all__ = [
    "RpcError",
    "RpcUnreachable",
    "AnchoringFailed",
    "CertificateValidationError",
    "CidMismatch",
    "ChainError",
    "CompilationError",
    "ConfigurationError",
    "ContractRevertError",
    "DeploymentError",
    "DocumentDecryptionError",
    "DuplicateLicence",
    "FeeCapExceeded",
    "FontNotFound",
    "ForeignSigningKeyError",
    "HistoryUnavailable",
    "IndexerError",
    "IntegrityError",
    "InvalidReason",
    "IssuanceError",
    "JournalError",
    "KeystoreError",
    "KeystoreFormatError",
    "LedgerError",
    "LedgerValueError",
    "ProofOfPossessionError",
    "QRError",
    "RevokedSigningKeyError",
    "SignatureFormatError",
    "SigningKeyError",
    "SigningKeyNotValidError",
    "StoreError",
    "StoreUnavailable",
    "ToolchainError",
    "TransactionDropped",
    "TransactionFailed",
    "TransactionTimeout",
    "TrustBundleError",
    "UnknownContractError",
    "UnregisteredSigningKeyError",
    "WrongKeyAlgorithmError",
]
