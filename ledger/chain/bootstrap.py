"""Deploy Hurong's contracts to any JSON-RPC endpoint and bootstrap a consortium from a description.

A description (YAML or JSON) names accounts, the founding provinces and threshold, the agencies with their
certificate types, and the recognition rules::

    accounts:                 # name -> private key: 0x..., env:VARIABLE or dev:N (local dev account N)
      deployer: dev:0
      sh_admin: dev:1
      sh_amr: dev:4
    deployer: deployer
    threshold: 2
    provinces:
      - {code: 310000, name: 上海市, admins: [sh_admin]}
    agencies:
      - {account: sh_amr, province: 310000, region: 310000, name: 上海市市场监督管理局,
         certificate_types: [business_licence]}
    rules:
      - {accepting: 330000, issuing: 310000, certificate_type: business_licence, legal_basis: ...}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import rlp
import yaml
from eth_account import Account
from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from web3 import Web3

from ledger.chain.client import HurongClient, checksum, make_web3
from ledger.chain.codes import encode_code, encode_optional_code, is_province_code
from ledger.chain.deployment import ContractRecord, Deployment
from ledger.chain.node import dev_private_keys
from ledger.chain.transactions import Receipt, Transactor
from ledger.errors import ConfigurationError, LedgerValueError
from ledger.toolchain.compiler import CONTRACT_NAMES, load_artifact

Progress = Callable[[str], None]


@dataclass(frozen=True)
class InitialProvince:
    code: int
    name: str
    admins: Sequence[str]


def create_address(sender: str, nonce: int) -> str:
    """The address of the contract `sender` creates with its transaction of nonce `nonce` (CREATE)."""
    return checksum("0x" + keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:].hex())


def deploy_contracts(
    w3: Web3,
    private_key: str,
    provinces: Sequence[InitialProvince],
    threshold: int,
    *,
    progress: Progress | None = None,
) -> Deployment:
    """Deploy Consortium (bootstrapped with `provinces`), AuthorityRegistry, CertificateRegistry and
    RecognitionRegistry from the account of `private_key`; return the deployment record (not yet saved)."""
    if not provinces:
        raise LedgerValueError("at least one founding province is needed")
    if not 1 <= threshold <= len(provinces):
        raise LedgerValueError(f"threshold must be between 1 and {len(provinces)}, got {threshold}")
    tx = Transactor(w3, private_key)
    records: dict[str, ContractRecord] = {}
    receipts: list[Receipt] = []

    def deploy(name: str, *args: Any) -> str:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = tx.send(None, data).wait()
        if not receipt.contract_address:
            raise LedgerValueError(f"{name} deployment produced no contract address")
        address = checksum(receipt.contract_address)
        records[name] = ContractRecord(address, artifact.abi_hash, receipt.tx_hash, receipt.block_number)
        receipts.append(receipt)
        if progress:
            progress(f"{name} deployed at {address} (gas {receipt.gas_used:,})")
        return address

    initial = [(p.code, p.name, [checksum(a) for a in p.admins]) for p in provinces]
    # The consortium names the authority registry that mirrors its provinces, and the authority registry the
    # certificate registry that mirrors its agencies: the next two contracts this account creates (each
    # constructor checks that it is the one named, so a mismatch fails the deployment, not the chain).
    nonce = w3.eth.get_transaction_count(tx.address, "pending")
    registry = create_address(tx.address, nonce + 1)
    certificates = create_address(tx.address, nonce + 2)
    consortium = deploy("Consortium", initial, threshold, registry)
    authorities = deploy("AuthorityRegistry", consortium, certificates)
    if authorities != registry:  # pragma: no cover - the registry's constructor reverts first
        raise LedgerValueError(f"AuthorityRegistry deployed at {authorities}, the consortium expects {registry}")
    deployed = deploy("CertificateRegistry", authorities)
    if deployed != certificates:  # pragma: no cover - the registry's constructor reverts first
        raise LedgerValueError(f"CertificateRegistry deployed at {deployed}, the authorities expect {certificates}")
    deploy("RecognitionRegistry", consortium)
    first = receipts[0]
    block = w3.eth.get_block(first.block_number)
    return Deployment(
        chain_id=tx.chain_id,
        contracts={name: records[name] for name in CONTRACT_NAMES},
        deployer=tx.address,
        block_number=first.block_number,
        block_hash=first.block_hash,
        deployed_at=int(block["timestamp"]),
        compiler_version=load_artifact("Consortium").compiler_version,
    )


# ---------------------------------------------------------------------------------------- description


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_province(code: int) -> int:
    if not is_province_code(code):
        raise ValueError(f"{code} is not a GB/T 2260 province-level code (like 310000)")
    return code


class ProvinceSpec(_Model):
    code: int
    name: str = Field(min_length=1, max_length=64)
    admins: list[str] = Field(min_length=1)

    _code = field_validator("code")(_check_province)


class AgencySpec(_Model):
    account: str
    province: int
    region: int
    name: str = Field(min_length=1, max_length=128)
    parent: str | None = None
    certificate_types: list[str] = Field(default_factory=list)
    #: The suite the agency issues in: `default` (SHA-256 digests, Ed25519 signatures) or `sm` (SM3, SM2).
    suite: Literal["default", "sm"] = "default"

    _province = field_validator("province")(_check_province)

    @field_validator("certificate_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        for code in value:
            encode_code(code, what="certificate type")
        return value

    @model_validator(mode="after")
    def _region(self) -> AgencySpec:
        if self.region // 10000 != self.province // 10000 or not 110000 <= self.region <= 829999:
            raise ValueError(f"region {self.region} is not inside province {self.province}")
        return self


class RuleSpec(_Model):
    accepting: int
    issuing: int | None = None
    certificate_type: str
    service_item: str | None = None
    effective_from: int = Field(default=0, ge=0, lt=2**48)
    effective_until: int = Field(default=0, ge=0, lt=2**48)
    legal_basis: str = Field(default="", max_length=512)

    _accepting = field_validator("accepting")(_check_province)

    @model_validator(mode="after")
    def _codes(self) -> RuleSpec:
        if self.issuing is not None:
            _check_province(self.issuing)
        encode_code(self.certificate_type, what="certificate type")
        encode_optional_code(self.service_item, what="service item")
        return self


class ConsortiumSpec(_Model):
    accounts: dict[str, str]
    deployer: str
    threshold: int = Field(ge=1)
    provinces: list[ProvinceSpec] = Field(min_length=1)
    agencies: list[AgencySpec] = Field(default_factory=list)
    rules: list[RuleSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ConsortiumSpec:
        names = set(self.accounts)
        codes = [p.code for p in self.provinces]
        if len(set(codes)) != len(codes):
            raise ValueError("a province is listed twice")
        if self.threshold > len(codes):
            raise ValueError(f"threshold {self.threshold} exceeds the {len(codes)} provinces")
        refs = [self.deployer, *(a for p in self.provinces for a in p.admins), *(a.account for a in self.agencies)]
        refs += [a.parent for a in self.agencies if a.parent]
        unknown = sorted({r for r in refs if r not in names})
        if unknown:
            raise ValueError(f"unknown account names: {', '.join(unknown)}")
        seen: dict[str, int] = {}
        for agency in self.agencies:
            if agency.province not in codes:
                raise ValueError(f"agency {agency.name}: province {agency.province} is not a founding province")
            if agency.account in seen:
                raise ValueError(f"agency account {agency.account} is listed twice")
            if agency.parent is not None and seen.get(agency.parent) != agency.province:
                raise ValueError(
                    f"agency {agency.name}: parent {agency.parent} must be listed before it, same province"
                )
            seen[agency.account] = agency.province
        for rule in self.rules:
            if rule.accepting not in codes:
                raise ValueError(f"rule: accepting province {rule.accepting} is not a founding province")
        return self


def load_description(path: Path) -> ConsortiumSpec:
    """Read and validate a consortium description (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None
    return parse_description(data, source=str(path))


def parse_description(data: Any, *, source: str = "description") -> ConsortiumSpec:
    try:
        return ConsortiumSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"{source} does not validate: {problems}") from None


def resolve_key(reference: str, *, dev_keys: Sequence[str] = ()) -> str:
    """A private key from `0x...` hex, `env:VARIABLE` or `dev:N`."""
    if reference.startswith("env:"):
        value = os.environ.get(reference[4:])
        if not value:
            raise ConfigurationError(f"environment variable {reference[4:]} is not set")
        reference = value
    elif reference.startswith("dev:"):
        try:
            index = int(reference[4:])
        except ValueError:
            raise ConfigurationError(f"bad dev account reference {reference!r}") from None
        keys = list(dev_keys) or dev_private_keys(index + 1)
        if not 0 <= index < len(keys):
            raise ConfigurationError(f"dev account {index} does not exist")
        return keys[index]
    try:
        Account.from_key(reference)
    except (ValueError, TypeError):
        raise ConfigurationError("an account is not a valid private key (expected 0x + 64 hex digits)") from None
    return reference


@dataclass(frozen=True)
class BootstrapResult:
    deployment: Deployment
    accounts: dict[str, str]  # name -> address
    keys: dict[str, str]  # name -> private key
    rule_ids: list[int]


def bootstrap(
    spec: ConsortiumSpec,
    rpc_url: str,
    *,
    progress: Progress | None = None,
) -> BootstrapResult:
    """Deploy the contracts and set up provinces, agencies, grants and rules as `spec` describes."""
    max_dev = max((int(v[4:]) for v in spec.accounts.values() if v.startswith("dev:") and v[4:].isdigit()), default=-1)
    dev_keys = dev_private_keys(max_dev + 1) if max_dev >= 0 else []
    keys = {name: resolve_key(ref, dev_keys=dev_keys) for name, ref in spec.accounts.items()}
    addresses = {name: Account.from_key(key).address for name, key in keys.items()}
    w3 = make_web3(rpc_url)
    provinces = [InitialProvince(p.code, p.name, [addresses[a] for a in p.admins]) for p in spec.provinces]
    deployment = deploy_contracts(w3, keys[spec.deployer], provinces, spec.threshold, progress=progress)
    reader = HurongClient.connect(w3, deployment)
    admin_of = {p.code: reader.as_account(keys[p.admins[0]]) for p in spec.provinces}

    for agency in spec.agencies:
        admin = admin_of[agency.province]
        parent = addresses[agency.parent] if agency.parent else None
        admin.authorities.register_agency(
            addresses[agency.account], agency.province, parent, agency.region, agency.name
        ).wait()
        pending = [
            admin.authorities.grant_certificate_type(addresses[agency.account], t) for t in agency.certificate_types
        ]
        reader.wait_all(pending)
        if progress:
            progress(f"agency {agency.name} registered ({', '.join(agency.certificate_types) or 'no types'})")

    rule_ids: list[int] = []
    for rule in spec.rules:
        receipt = (
            admin_of[rule.accepting]
            .recognition.set_rule(
                rule.accepting,
                rule.issuing,
                rule.certificate_type,
                rule.service_item,
                rule.effective_from,
                rule.effective_until,
                rule.legal_basis,
            )
            .wait()
        )
        rule_ids.append(int(receipt.event("RecognitionRuleSet").args["ruleId"]))
    if progress and spec.rules:
        progress(f"{len(spec.rules)} recognition rules set")
    suites = {addresses[a.account].lower(): a.suite for a in spec.agencies if a.suite != "default"}
    if suites:  # kept with the deployment, where the service reads each agency's suite
        deployment = replace(deployment, extra={**deployment.extra, "suites": suites})
    return BootstrapResult(deployment, addresses, keys, rule_ids)
