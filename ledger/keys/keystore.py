"""Encrypted key files for agencies' signing keys (Ed25519, SM2) and chain accounts (secp256k1).

A key file is JSON; the private key is never written in plain text::

    {
      "version": 1,
      "algorithm": "Ed25519" | "SM2" | "secp256k1",
      "keyId": "0x…",              keccak256(publicKey), as registered in AuthorityRegistry
      "publicKey": "0x…",          Ed25519 32 bytes; SM2 and secp256k1 64 bytes x || y
      "address": "0x…",            secp256k1 only: the checksummed account address
      "kdf": {"name": "scrypt", "salt": hex, "n": 32768, "r": 8, "p": 1},
      "cipher": {"name": "aes-256-gcm", "nonce": hex, "ciphertext": hex}
    }

The 32-byte private key is encrypted with AES-256-GCM under a key derived from the passphrase (NFKC-normalised,
UTF-8) with scrypt. Everything but `cipher.nonce` and `cipher.ciphertext` — the public header — is the AEAD's
associated data, as RFC 8785 canonical JSON, so a changed keyId, public key, address or KDF parameter is refused
just as a wrong passphrase is. Files are written atomically with mode 0600.

A passphrase comes from an environment variable, from a file named by the variable `<NAME>_FILE` (so that it is
neither in the environment of a process nor on its command line), or from the terminal. `ensure_passphrase_file`
generates a random one the first time and keeps it in a 0600 file.

Errors: `KeystoreError` (a `LedgerError`) for a wrong passphrase, a corrupted file or one that cannot be read or
written; its subclass `KeystoreFormatError` (also a `LedgerValueError`) when the file is not a well-formed key
file, with the reason.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import secrets
import sys
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import coincurve
import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from eth_utils import to_checksum_address

from ledger.certificates.merkle import keccak256
from ledger.chain.models import KeyAlgorithm
from ledger.errors import KeystoreError as KeystoreError
from ledger.errors import KeystoreFormatError as KeystoreFormatError
from ledger.errors import LedgerValueError
from ledger.keys.signing import ALGORITHM_NAMES, SigningKeyPair

#: The key file format version written and read.
KEYSTORE_VERSION = 1
#: `algorithm` of an Ethereum account key.
SECP256K1 = "secp256k1"
#: Environment variables read by `passphrase_from_env_or_prompt`: the passphrase, or the path of a file holding it.
PASSPHRASE_ENV = "HURONG_KEY_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
PASSPHRASE_FILE_ENV = PASSPHRASE_ENV + "_FILE"

#: scrypt parameters of new key files (32 MiB, about 0.1 s).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_SALT_BYTES, _NONCE_BYTES, _KEY_BYTES, _TAG_BYTES = 16, 12, 32, 16
# Bounds on the scrypt parameters accepted when reading, so a crafted file cannot demand unbounded work.
_MIN_N, _MAX_MEMORY, _MAX_P = 2**14, 256 * 2**20, 4
_MAX_FILE_BYTES = 64 * 1024
_MAX_PASSPHRASE_FILE_BYTES = 4096

_ALGORITHMS: dict[str, KeyAlgorithm | None] = {
    **{name: algorithm for algorithm, name in ALGORITHM_NAMES.items()},
    SECP256K1: None,
}
_PUBLIC_KEY_BYTES = {"Ed25519": 32, "SM2": 64, SECP256K1: 64}
_HEX = re.compile(r"(?:[0-9a-f]{2})*")
_PREFIXED_HEX = re.compile(r"0x(?:[0-9a-f]{2})+")
_PRIVATE_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{64}")
_WRONG_PASSPHRASE = "wrong passphrase or corrupted key file"  # noqa: S105 (a message)


@dataclass(frozen=True)
class AccountKey:
    """The secp256k1 private key of a chain account (32 bytes), left out of `repr`."""

    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        raw = bytes(self.private_key)
        object.__setattr__(self, "private_key", raw)
        if len(raw) != 32 or not 0 < int.from_bytes(raw, "big") < _SECP256K1_N:
            raise LedgerValueError("a secp256k1 private key is 32 bytes, an integer in [1, n - 1]")

    @classmethod
    def from_hex(cls, private_key: str) -> AccountKey:
        """The key of a hex private key (64 digits, `0x` optional), as `eth_account` and anvil print them."""
        if not isinstance(private_key, str) or not _PRIVATE_HEX.fullmatch(private_key):
            raise LedgerValueError("a secp256k1 private key is 64 hex digits, optionally 0x-prefixed")
        return cls(bytes.fromhex(private_key.removeprefix("0x")))

    @classmethod
    def generate(cls) -> AccountKey:
        """A fresh account key from the operating system's random source."""
        return cls(coincurve.PrivateKey().secret)

    @property
    def algorithm_name(self) -> str:
        """`"secp256k1"`."""
        return SECP256K1

    @property
    def public_key(self) -> bytes:
        """The 64-byte uncompressed public key `x || y`."""
        return coincurve.PrivateKey(self.private_key).public_key.format(compressed=False)[1:]

    @property
    def key_id(self) -> bytes:
        """`keccak256(public_key)`; its last 20 bytes are the address."""
        return keccak256(self.public_key)

    @property
    def address(self) -> str:
        """The checksummed account address."""
        return str(to_checksum_address("0x" + self.key_id[12:].hex()))

    @property
    def private_key_hex(self) -> str:
        """The private key as `0x` and 64 lowercase hex digits (what `eth_account.Account.from_key` takes)."""
        return "0x" + self.private_key.hex()


#: Any key a key file holds.
StoredKey: TypeAlias = SigningKeyPair | AccountKey


@dataclass(frozen=True)
class KeyFileHeader:
    """The public part of a key file, readable without the passphrase."""

    algorithm: str
    key_id: bytes
    public_key: bytes
    address: str | None


def save_key(path: str | os.PathLike[str], key: StoredKey, passphrase: str, *, overwrite: bool = False) -> Path:
    """Encrypt `key` under `passphrase` and write it to `path` atomically, with mode 0600.

    Refuses (`KeystoreError`) to replace an existing file unless `overwrite` is true, and (`LedgerValueError`) an
    empty passphrase. Returns the path written.
    """
    if not isinstance(key, SigningKeyPair | AccountKey):
        raise LedgerValueError(f"cannot store a {type(key).__name__}; expected a SigningKeyPair or AccountKey")
    secret = _encode_passphrase(passphrase)
    if not secret:
        raise LedgerValueError("the passphrase must not be empty")
    header: dict[str, Any] = {
        "version": KEYSTORE_VERSION,
        "algorithm": key.algorithm_name,
        "keyId": "0x" + key.key_id.hex(),
        "publicKey": "0x" + key.public_key.hex(),
    }
    if isinstance(key, AccountKey):
        header["address"] = key.address
    salt, nonce = os.urandom(_SALT_BYTES), os.urandom(_NONCE_BYTES)
    header["kdf"] = {"name": "scrypt", "salt": salt.hex(), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}
    header["cipher"] = {"name": "aes-256-gcm"}
    cipher_key = _derive(secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    ciphertext = AESGCM(cipher_key).encrypt(nonce, key.private_key, _associated_data(header))
    document = {**header, "cipher": {"name": "aes-256-gcm", "nonce": nonce.hex(), "ciphertext": ciphertext.hex()}}
    target = Path(path)
    _write_atomically(target, (json.dumps(document, indent=2) + "\n").encode("ascii"), overwrite=overwrite)
    return target


def load_key(path: str | os.PathLike[str], passphrase: str) -> StoredKey:
    """Read and decrypt a key file: a `SigningKeyPair` (Ed25519, SM2) or an `AccountKey` (secp256k1).

    Raises `KeystoreError` "wrong passphrase or corrupted key file" when decryption fails (including a changed
    header), `KeystoreFormatError` with the reason for a file that is not a well-formed key file, and
    `KeystoreError` if it cannot be read.
    """
    document = _read_document(Path(path))
    header = _validate(document)
    kdf, cipher = document["kdf"], document["cipher"]
    cipher_key = _derive(_encode_passphrase(passphrase), bytes.fromhex(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
    try:
        private_key = AESGCM(cipher_key).decrypt(
            bytes.fromhex(cipher["nonce"]), bytes.fromhex(cipher["ciphertext"]), _associated_data(header)
        )
    except InvalidTag:
        raise KeystoreError(_WRONG_PASSPHRASE) from None
    algorithm = _ALGORITHMS[header["algorithm"]]
    try:
        key: StoredKey = (
            AccountKey(private_key) if algorithm is None else SigningKeyPair.from_private_key(algorithm, private_key)
        )
    except LedgerValueError as exc:
        raise KeystoreFormatError(f"the decrypted private key is invalid: {exc}") from None
    if "0x" + key.public_key.hex() != header["publicKey"]:
        raise KeystoreFormatError("the key file's public key does not match its private key")
    return key


def load_signing_key(path: str | os.PathLike[str], passphrase: str) -> SigningKeyPair:
    """`load_key` for an agency's Ed25519 or SM2 signing key; `KeystoreError` for an account key file."""
    key = load_key(path, passphrase)
    if not isinstance(key, SigningKeyPair):
        raise KeystoreError(f"{path} holds a {key.algorithm_name} account key, not an Ed25519 or SM2 signing key")
    return key


def load_account_key(path: str | os.PathLike[str], passphrase: str) -> str:
    """The `0x`-prefixed hex private key of a secp256k1 account key file (for `HurongClient.as_account`)."""
    key = load_key(path, passphrase)
    if not isinstance(key, AccountKey):
        raise KeystoreError(f"{path} holds a {key.algorithm_name} signing key, not a secp256k1 account key")
    return key.private_key_hex


def read_key_header(path: str | os.PathLike[str]) -> KeyFileHeader:
    """The public header of a key file (algorithm, key id, public key, address), without decrypting it.

    The header is only authenticated when the file is decrypted with `load_key`.
    """
    header = _validate(_read_document(Path(path)))
    return KeyFileHeader(
        algorithm=header["algorithm"],
        key_id=bytes.fromhex(header["keyId"][2:]),
        public_key=bytes.fromhex(header["publicKey"][2:]),
        address=header.get("address"),
    )


def passphrase_from_env_or_prompt(
    var: str = PASSPHRASE_ENV, prompt: str = "Key passphrase: ", *, confirm: bool = False
) -> str:
    """The key passphrase: the environment variable `var` if set, else the file named by `<var>_FILE` if set,
    else asked on the terminal.

    Without either variable and without a terminal on stdin (CI, pipes, services) raises `LedgerValueError` naming
    them. Both variables set, a set but empty variable, an empty answer, or (with `confirm`, for new keys) two
    different answers also raise `LedgerValueError`; a passphrase file that cannot be read or is empty raises
    `KeystoreError`.
    """
    value, file_var = os.environ.get(var), var + "_FILE"
    path = os.environ.get(file_var)
    if value is not None and path is not None:
        raise LedgerValueError(f"both {var} and {file_var} are set; set only one of them")
    if value is not None:
        if not value:
            raise LedgerValueError(f"{var} is set but empty; set it to the key passphrase or unset it")
        return value
    if path is not None:
        if not path:
            raise LedgerValueError(f"{file_var} is set but empty; set it to the path of the passphrase file")
        return read_passphrase_file(path)
    if sys.stdin is None or not sys.stdin.isatty():
        raise LedgerValueError(f"no key passphrase: set {var} or {file_var}, or run on a terminal to be asked for it")
    answer = getpass.getpass(prompt)
    if not answer:
        raise LedgerValueError("the passphrase must not be empty")
    if confirm and getpass.getpass("Repeat " + prompt[:1].lower() + prompt[1:]) != answer:
        raise LedgerValueError("the passphrases do not match")
    return answer


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase in a file (UTF-8; one final line break is not part of it).

    Raises `KeystoreError` if the file cannot be read, is not UTF-8, is larger than 4 KiB, or holds an empty
    passphrase.
    """
    try:
        with open(path, "rb") as file:
            raw = file.read(_MAX_PASSPHRASE_FILE_BYTES + 1)
    except OSError as exc:
        raise KeystoreError(f"cannot read passphrase file {path}: {exc.strerror or exc}") from None
    if len(raw) > _MAX_PASSPHRASE_FILE_BYTES:
        raise KeystoreError(f"passphrase file {path} is larger than {_MAX_PASSPHRASE_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise KeystoreError(f"passphrase file {path} is not UTF-8 text") from None
    passphrase = text.removesuffix("\n").removesuffix("\r")
    if not passphrase:
        raise KeystoreError(f"passphrase file {path} is empty")
    return passphrase


def write_passphrase_file(path: str | os.PathLike[str], passphrase: str, *, overwrite: bool = False) -> Path:
    """Write `passphrase` to `path` atomically with mode 0600 (missing folders: 0700), followed by a line break.

    Refuses (`KeystoreError`) to replace an existing file unless `overwrite` is true, and (`LedgerValueError`) an
    empty passphrase or one that `read_passphrase_file` would not give back. Returns the path written.
    """
    if not _encode_passphrase(passphrase) or passphrase.endswith(("\n", "\r")):
        raise LedgerValueError("a passphrase file needs a non-empty passphrase that does not end with a line break")
    target = Path(path)
    _write_atomically(target, (passphrase + "\n").encode("utf-8"), overwrite=overwrite, what="passphrase file")
    return target


def ensure_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The passphrase kept in `path`; the first time, a new one (256 random bits, URL-safe base64) is written there
    with mode 0600, its missing folders created with mode 0700.

    Two processes doing this at once end with the same passphrase: the file is never replaced.
    """
    target = Path(path)
    if not target.exists():
        try:
            write_passphrase_file(target, secrets.token_urlsafe(32))
        except KeystoreError:
            if not target.exists():  # not a lost race with another writer
                raise
    return read_passphrase_file(target)


# ---------------------------------------------------------------------------------------------------- internals

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _encode_passphrase(passphrase: str) -> bytes:
    if not isinstance(passphrase, str):
        raise LedgerValueError(f"a passphrase is a string, got {type(passphrase).__name__}")
    return unicodedata.normalize("NFKC", passphrase).encode("utf-8")


def _derive(secret: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=_KEY_BYTES, n=n, r=r, p=p).derive(secret)


def _associated_data(header: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of the public header: the document without `cipher.nonce` and `.ciphertext`."""
    return rfc8785.dumps(header)


def _read_document(path: Path) -> Any:
    try:
        with path.open("rb") as file:
            raw = file.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise KeystoreError(f"cannot read key file {path}: {exc.strerror or exc}") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise KeystoreFormatError(f"{path} is too large to be a key file")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeystoreFormatError(f"{path} is not a JSON key file (truncated?): {exc}") from None


def _validate(document: Any) -> dict[str, Any]:
    """Check a key file's shape; return its public header (the associated data's object)."""
    if not isinstance(document, dict):
        raise KeystoreFormatError("a key file is a JSON object")
    algorithm = document.get("algorithm")
    if not isinstance(algorithm, str) or algorithm not in _ALGORITHMS:
        raise KeystoreFormatError(f"unknown key algorithm {algorithm!r}; expected one of {', '.join(_ALGORITHMS)}")
    expected = {"version", "algorithm", "keyId", "publicKey", "kdf", "cipher"}
    if algorithm == SECP256K1:
        expected.add("address")
    _require_fields(document, expected, "the key file")
    version = document["version"]
    if type(version) is not int or version != KEYSTORE_VERSION:
        raise KeystoreFormatError(f"unsupported key file version {version!r}; expected {KEYSTORE_VERSION}")
    public_key = _prefixed_hex(document["publicKey"], "publicKey")
    if len(public_key) != _PUBLIC_KEY_BYTES[algorithm]:
        raise KeystoreFormatError(f"a {algorithm} publicKey is {_PUBLIC_KEY_BYTES[algorithm]} bytes")
    key_id = _prefixed_hex(document["keyId"], "keyId")
    if key_id != keccak256(public_key):
        raise KeystoreFormatError("keyId is not keccak256(publicKey)")
    if algorithm == SECP256K1:
        address = document["address"]
        if not isinstance(address, str) or address != to_checksum_address("0x" + key_id[12:].hex()):
            raise KeystoreFormatError("address is not the checksummed address of publicKey")
    kdf, cipher = document["kdf"], document["cipher"]
    _require_fields(kdf, {"name", "salt", "n", "r", "p"}, "kdf")
    _require_fields(cipher, {"name", "nonce", "ciphertext"}, "cipher")
    if kdf["name"] != "scrypt":
        raise KeystoreFormatError(f"unsupported kdf {kdf['name']!r}; expected scrypt")
    if len(_hex(kdf["salt"], "kdf.salt")) < _SALT_BYTES:
        raise KeystoreFormatError(f"kdf.salt must be at least {_SALT_BYTES} bytes")
    n, r, p = kdf["n"], kdf["r"], kdf["p"]
    if not all(type(v) is int and v > 0 for v in (n, r, p)):
        raise KeystoreFormatError("kdf.n, kdf.r and kdf.p must be positive integers")
    if n & (n - 1) or n < _MIN_N or 128 * n * r > _MAX_MEMORY or p > _MAX_P:
        raise KeystoreFormatError(f"scrypt parameters out of range (n={n}, r={r}, p={p})")
    if cipher["name"] != "aes-256-gcm":
        raise KeystoreFormatError(f"unsupported cipher {cipher['name']!r}; expected aes-256-gcm")
    if len(_hex(cipher["nonce"], "cipher.nonce")) != _NONCE_BYTES:
        raise KeystoreFormatError(f"cipher.nonce must be {_NONCE_BYTES} bytes")
    if len(_hex(cipher["ciphertext"], "cipher.ciphertext")) != 32 + _TAG_BYTES:
        raise KeystoreFormatError(f"cipher.ciphertext must be {32 + _TAG_BYTES} bytes (key and tag)")
    header = {name: value for name, value in document.items() if name != "cipher"}
    header["cipher"] = {"name": cipher["name"]}
    return header


def _require_fields(value: Any, names: set[str], what: str) -> None:
    if not isinstance(value, dict):
        raise KeystoreFormatError(f"{what} must be an object")
    if missing := sorted(names - value.keys()):
        raise KeystoreFormatError(f"{what} lacks {', '.join(missing)}")
    if extra := sorted(value.keys() - names):
        raise KeystoreFormatError(f"{what} has unexpected {', '.join(extra)}")


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise KeystoreFormatError(f"{what} must be lowercase hex")
    return bytes.fromhex(value)


def _prefixed_hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not _PREFIXED_HEX.fullmatch(value):
        raise KeystoreFormatError(f"{what} must be 0x followed by lowercase hex")
    return bytes.fromhex(value[2:])


def create_once(path: Path, text: str) -> None:
    """Create `path` holding `text` (0600, its folder 0700) unless it exists: written whole under a private name,
    then hard-linked into place, so of several processes starting together the first writes it and the others
    keep its text (read `path` afterwards for the text in force)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        return
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    try:
        os.link(draft, path)  # atomic: the file is whole or absent
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)


def _write_atomically(path: Path, data: bytes, *, overwrite: bool, what: str = "key file") -> None:
    """Write `data` to a 0600 temporary file beside `path`, fsync it, then move it into place.

    Without `overwrite` the move is a hard link, which fails if `path` exists (no race with another writer).
    """
    directory = path.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise KeystoreError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise KeystoreError(f"{path} exists; pass overwrite=True to replace it") from None
            except OSError:
                # A file system without hard links: check, then rename (not race-free, but never silent).
                if os.path.lexists(path):
                    raise KeystoreError(f"{path} exists; pass overwrite=True to replace it") from None
                os.replace(temporary, path)
        _fsync_directory(directory)
    except OSError as exc:
        raise KeystoreError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "create_once",
    "KEYSTORE_VERSION",
    "PASSPHRASE_ENV",
    "PASSPHRASE_FILE_ENV",
    "SECP256K1",
    "AccountKey",
    "KeyFileHeader",
    "KeystoreError",
    "KeystoreFormatError",
    "StoredKey",
    "ensure_passphrase_file",
    "load_account_key",
    "load_key",
    "load_signing_key",
    "passphrase_from_env_or_prompt",
    "read_key_header",
    "read_passphrase_file",
    "save_key",
    "write_passphrase_file",
]
