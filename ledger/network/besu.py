"""Production configuration for a Hurong consortium on Hyperledger Besu with QBFT: the genesis (its `extraData`
RLP-encoded here from the validators' addresses), the node and account permissioning allowlists, and one
`config.toml` per province's node.

QBFT is the Byzantine-fault-tolerant consensus Besu recommends for private networks: with n validators it seals
while at least ⌈2n/3⌉ of them are up and tolerates ⌊(n-1)/3⌋ faulty ones; blocks are final once sealed. Each
province runs one validating node whose node key (secp256k1) is its validator identity: the validator address is
the last 20 bytes of the Keccak-256 of the node's uncompressed public key, and its enode URL carries the same key.

The validators are described in a YAML or JSON file (`load_validators`) listing, per province, its GB/T 2260 code,
name, the host its node is reached at, its P2P and JSON-RPC ports, the node's public key (`0x` + 128 hex digits,
never a private key) and the accounts the province's services send transactions from (admins, agencies):

    validators:
      - {province: 310000, name: 上海市, host: node.sh.example.gov.cn, publicKey: "0x…", accounts: ["0x…"]}

`staging_validators` makes such a list with fresh node keys (written 0600 for a staging network)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import coincurve
import yaml
from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledger.chain.codes import is_province_code
from ledger.errors import ConfigurationError

#: Besu's QBFT defaults for a private network: seconds between blocks, blocks between vote checkpoints, and the
#: seconds a round waits for a proposal before moving to the next proposer.
BLOCK_PERIOD_SECONDS = 2
EPOCH_LENGTH = 30_000
REQUEST_TIMEOUT_SECONDS = 4
#: The mix hash that marks a BFT genesis block ("Istanbul" + "Byzantine fault tolerance" digest).
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
DEFAULT_GAS_LIMIT = 60_000_000
_VANITY = bytes(32)
_PUBLIC_KEY = re.compile(r"^0x[0-9a-fA-F]{128}$")
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


# ---------------------------------------------------------------------------------------------------- RLP


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_encode(item: bytes | int | Sequence[Any]) -> bytes:
    """Recursive Length Prefix encoding of bytes, non-negative integers (minimal big-endian) and lists."""
    if isinstance(item, int):
        if item < 0:
            raise ValueError("RLP encodes non-negative integers only")
        item = item.to_bytes((item.bit_length() + 7) // 8, "big") if item else b""
    if isinstance(item, bytes | bytearray):
        if len(item) == 1 and item[0] < 0x80:
            return bytes(item)
        return _rlp_length(len(item), 0x80) + bytes(item)
    payload = b"".join(rlp_encode(x) for x in item)
    return _rlp_length(len(payload), 0xC0) + payload


def qbft_extra_data(validators: Sequence[str]) -> str:
    """A QBFT genesis `extraData`: RLP([32 zero bytes of vanity, [validator addresses], no vote (an empty list),
    round 0, no seals (an empty list)]), validators in the order given (Besu sorts them when it reads them)."""
    if not validators:
        raise ConfigurationError("a QBFT network needs at least one validator")
    addresses = [bytes.fromhex(to_checksum_address(a)[2:]) for a in validators]
    if len(set(addresses)) != len(addresses):
        raise ConfigurationError("a validator is listed twice")
    return "0x" + rlp_encode([_VANITY, addresses, [], 0, []]).hex()


# ---------------------------------------------------------------------------------------------------- validators


def address_of_public_key(public_key: str) -> str:
    """The account address of an uncompressed secp256k1 public key (`0x` + 128 hex digits)."""
    return to_checksum_address(keccak(bytes.fromhex(public_key[2:]))[12:])


class _Validator(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    province: int
    name: str = Field(min_length=1, max_length=64)
    host: str
    p2p_port: int = Field(default=30303, ge=1, le=65535, alias="p2pPort")
    rpc_port: int = Field(default=8545, ge=1, le=65535, alias="rpcPort")
    public_key: str = Field(alias="publicKey")
    accounts: list[str] = Field(default_factory=list)

    @field_validator("province")
    @classmethod
    def _province(cls, value: int) -> int:
        if not is_province_code(value):
            raise ValueError(f"{value} is not a GB/T 2260 province-level code (like 310000)")
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not _HOST.match(value):
            raise ValueError(f"{value!r} is not a host name or IPv4 address")
        return value

    @field_validator("public_key")
    @classmethod
    def _public_key(cls, value: str) -> str:
        if not _PUBLIC_KEY.match(value):
            raise ValueError("publicKey must be 0x and 128 hex digits (an uncompressed secp256k1 key without its 04)")
        try:
            coincurve.PublicKey(b"\x04" + bytes.fromhex(value[2:]))
        except ValueError:
            raise ValueError("publicKey is not a point of secp256k1") from None
        return value.lower()

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        try:
            return [to_checksum_address(a) for a in value]
        except ValueError as exc:
            raise ValueError(f"an account is not an address: {exc}") from None


@dataclass(frozen=True)
class Validator:
    """One province's validating node."""

    province: int
    name: str
    host: str
    public_key: str
    p2p_port: int = 30303
    rpc_port: int = 8545
    accounts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def address(self) -> str:
        return address_of_public_key(self.public_key)

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key[2:]}@{self.host}:{self.p2p_port}"

    @property
    def folder(self) -> str:
        return f"node-{self.province}"


def parse_validators(data: Any, *, source: str = "validators") -> list[Validator]:
    """Validators from a parsed description (`{"validators": [...]}` or a bare list); `ConfigurationError`
    naming every problem."""
    items = data.get("validators") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ConfigurationError(f"{source}: expected a non-empty list of validators")
    out: list[Validator] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        try:
            v = _Validator.model_validate(item)
        except ValidationError as exc:
            problems += [f"validators[{index}].{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            continue
        out.append(Validator(v.province, v.name, v.host, v.public_key, v.p2p_port, v.rpc_port, tuple(v.accounts)))
    for what, values in (("province", [v.province for v in out]), ("publicKey", [v.public_key for v in out]),
                         ("host:p2pPort", [f"{v.host}:{v.p2p_port}" for v in out])):  # fmt: skip
        if len(set(values)) != len(values):
            problems.append(f"two validators have the same {what}")
    if problems:
        raise ConfigurationError(f"{source} does not validate: " + "; ".join(problems))
    return out


def load_validators(path: Path) -> list[Validator]:
    """Validators from a YAML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not valid YAML or JSON: {exc}") from None
    return parse_validators(data, source=str(path))


# ---------------------------------------------------------------------------------------------------- files


def besu_genesis(
    validators: Sequence[Validator],
    *,
    chain_id: int,
    block_period: int = BLOCK_PERIOD_SECONDS,
    gas_limit: int = DEFAULT_GAS_LIMIT,
    funded: Sequence[str] = (),
    balance_wei: int = 10**24,
) -> dict[str, Any]:
    """A QBFT genesis document: London fee market from block 0 (and Shanghai, which QBFT, unlike Clique, can
    run; the contracts are built for `paris`, a subset), zero minimum gas price left to the node configuration."""
    accounts = sorted({to_checksum_address(a) for a in [*funded, *(a for v in validators for a in v.accounts)]})
    return {
        "config": {
            "chainId": chain_id,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            "zeroBaseFee": False,
            "qbft": {
                "blockperiodseconds": block_period,
                "epochlength": EPOCH_LENGTH,
                "requesttimeoutseconds": REQUEST_TIMEOUT_SECONDS,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": hex(gas_limit),
        "difficulty": "0x1",
        "mixHash": BFT_MIX_HASH,
        "coinbase": "0x" + "00" * 20,
        "alloc": {a.lower()[2:]: {"balance": hex(balance_wei)} for a in accounts},
        "extraData": qbft_extra_data([v.address for v in validators]),
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"


def _toml(entries: dict[str, Any], comment: str) -> str:
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    return "\n".join([*lines, "", *(f"{k}={_toml_value(v)}" for k, v in entries.items())]) + "\n"


def node_config(validator: Validator, validators: Sequence[Validator]) -> str:
    """A province's node `config.toml`: full archive sync (verification at a past block reads old state), P2P
    with the consortium's nodes only (static bootnodes, discovery off, node and account allowlists), JSON-RPC
    for the province's own services on its private interface."""
    others = [v.enode for v in validators if v is not validator]
    entries: dict[str, Any] = {
        "data-path": "/var/lib/besu",
        "genesis-file": "/etc/besu/genesis.json",
        "node-private-key-file": "/etc/besu/key",
        "sync-mode": "FULL",
        "data-storage-format": "FOREST",
        "p2p-host": validator.host,
        "p2p-port": validator.p2p_port,
        "discovery-enabled": False,
        "bootnodes": others,
        "max-peers": max(25, len(validators) * 2),
        "rpc-http-enabled": True,
        "rpc-http-host": validator.host,
        "rpc-http-port": validator.rpc_port,
        "rpc-http-api": ["ETH", "NET", "WEB3", "QBFT", "TXPOOL"],
        "host-allowlist": ["localhost", "127.0.0.1", validator.host],
        "rpc-http-cors-origins": ["none"],
        "min-gas-price": 0,
        "permissions-nodes-config-file-enabled": True,
        "permissions-accounts-config-file-enabled": True,
        "permissions-nodes-config-file": "/etc/besu/permissions_config.toml",
        "permissions-accounts-config-file": "/etc/besu/permissions_config.toml",
        "metrics-enabled": True,
        "metrics-host": "127.0.0.1",
        "logging": "INFO",
    }
    header = (f"Besu node of {validator.name} ({validator.province}): validator {validator.address}.\n"
              "Generated by `hurong network besu-config`; paths as in the deployment layout of README.md.")  # fmt: skip
    return _toml(entries, header)


def permissions_config(validators: Sequence[Validator], accounts: Sequence[str]) -> str:
    """The allowlists every node loads: the consortium's nodes (by enode URL) and the accounts allowed to send
    transactions (validators, and each province's listed accounts)."""
    allowed = sorted({to_checksum_address(a) for a in [*accounts, *(v.address for v in validators),
                                                       *(a for v in validators for a in v.accounts)]})  # fmt: skip
    header = "Node and account permissioning of the Hurong consortium (every node loads the same file)."
    return _toml({"nodes-allowlist": [v.enode for v in validators], "accounts-allowlist": allowed}, header)


def write_besu_config(
    validators: Sequence[Validator],
    out: Path,
    *,
    chain_id: int,
    block_period: int = BLOCK_PERIOD_SECONDS,
    accounts: Sequence[str] = (),
) -> list[Path]:
    """Write `genesis.json`, `permissions_config.toml`, `validators.json` and `node-<code>/config.toml` under
    `out`; returns the files written."""
    if not 1 <= block_period <= 60:
        raise ConfigurationError("block period must be 1 to 60 seconds")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    genesis = besu_genesis(validators, chain_id=chain_id, block_period=block_period, funded=accounts)
    write(out / "genesis.json", json.dumps(genesis, indent=2) + "\n")
    write(out / "permissions_config.toml", permissions_config(validators, accounts))
    listing = [{"province": v.province, "name": v.name, "address": v.address, "enode": v.enode,
                "rpc": f"http://{v.host}:{v.rpc_port}"} for v in validators]  # fmt: skip
    write(out / "validators.json", json.dumps({"chainId": chain_id, "validators": listing}, ensure_ascii=False,
                                              indent=2) + "\n")  # fmt: skip
    for validator in validators:
        write(out / validator.folder / "config.toml", node_config(validator, validators))
    return written


def staging_validators(
    provinces: Sequence[tuple[int, str]], folder: Path, *, host: str = "127.0.0.1", first_port: int = 30303
) -> list[Validator]:
    """Validators with fresh node keys for a staging network: each key written to `folder/node-<code>/key` (0600,
    hex as Besu reads it); hosts and ports as given (one host, consecutive ports)."""
    from ledger.network.geth import write_private

    out = []
    for index, (code, name) in enumerate(provinces):
        secret = coincurve.PrivateKey()
        public = "0x" + secret.public_key.format(compressed=False)[1:].hex()
        write_private(folder / f"node-{code}" / "key", ("0x" + secret.secret.hex()).encode())
        out.append(Validator(code, name, host, public, first_port + index, 8545 + index))
    return out
