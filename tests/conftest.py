"""Shared fixtures: one real anvil chain per test session, a bootstrapped consortium on it, and a snapshot
taken before and reverted after every test that uses `world`, so tests do not see each other's writes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ledger.chain.bootstrap import BootstrapResult, bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from ledger.errors import ContractRevertError

ACCOUNT_NAMES = [
    "deployer",
    "sh_admin",
    "sh_admin2",
    "zj_admin",
    "gd_admin",
    "bj_admin",
    "sh_amr",
    "sh_pudong",
    "sh_town",
    "sh_suspended",
    "sh_parent_suspended",
    "sh_child_of_suspended",
    "zj_amr",
    "gd_amr",
    "bj_amr",
    "outsider",
    "new_agency",
    "new_admin",
]

WORLD: dict[str, Any] = {
    "accounts": {name: f"dev:{i}" for i, name in enumerate(ACCOUNT_NAMES)},
    "deployer": "deployer",
    "threshold": 2,
    "provinces": [
        {"code": 310000, "name": "上海市", "admins": ["sh_admin", "sh_admin2"]},
        {"code": 330000, "name": "浙江省", "admins": ["zj_admin"]},
        {"code": 440000, "name": "广东省", "admins": ["gd_admin"]},
        {"code": 110000, "name": "北京市", "admins": ["bj_admin"]},
    ],
    "agencies": [
        {
            "account": "sh_amr",
            "province": 310000,
            "region": 310000,
            "name": "上海市市场监督管理局",
            "certificate_types": ["business_licence", "food_business_licence"],
        },
        {
            "account": "sh_pudong",
            "province": 310000,
            "parent": "sh_amr",
            "region": 310115,
            "name": "上海市浦东新区市场监督管理局",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "sh_town",
            "province": 310000,
            "parent": "sh_pudong",
            "region": 310115,
            "name": "浦东新区张江镇市场监督管理所",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "sh_suspended",
            "province": 310000,
            "region": 310104,
            "name": "徐汇区市场监督管理局",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "sh_parent_suspended",
            "province": 310000,
            "region": 310105,
            "name": "长宁区市场监督管理局",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "sh_child_of_suspended",
            "province": 310000,
            "parent": "sh_parent_suspended",
            "region": 310105,
            "name": "长宁区新华路街道市场监督管理所",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "zj_amr",
            "province": 330000,
            "region": 330000,
            "name": "浙江省市场监督管理局",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "gd_amr",
            "province": 440000,
            "region": 440000,
            "name": "广东省市场监督管理局",
            "certificate_types": ["business_licence"],
        },
        {
            "account": "bj_amr",
            "province": 110000,
            "region": 110000,
            "name": "北京市市场监督管理局",
            "certificate_types": ["business_licence"],
        },
    ],
    "rules": [
        {
            "accepting": 330000,
            "issuing": 310000,
            "certificate_type": "business_licence",
            "legal_basis": "长三角地区电子证照互认共享合作协议",
        },
    ],
}

SUSPENDED_PROVINCE = 110000


@dataclass
class World:
    """A bootstrapped consortium on a live anvil chain, with helpers to act as any named account."""

    anvil: Anvil
    result: BootstrapResult
    reader: HurongClient
    _clients: dict[str, HurongClient] = field(default_factory=dict)

    @property
    def deployment(self) -> Any:
        return self.result.deployment

    def addr(self, name: str) -> str:
        return self.result.accounts[name]

    def key(self, name: str) -> str:
        return self.result.keys[name]

    def as_(self, name: str) -> HurongClient:
        if name not in self._clients:
            self._clients[name] = self.reader.as_account(self.key(name))
        return self._clients[name]

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        response = self.reader.w3.provider.make_request(method, params or [])  # type: ignore[arg-type]
        if "error" in response:
            raise RuntimeError(response["error"])
        return response["result"]

    def now(self) -> int:
        return int(self.reader.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        """Move chain time forward and mine a block."""
        self.rpc("evm_increaseTime", [seconds])
        self.rpc("evm_mine", [])

    def govern(self, target: str, data: str, voters: tuple[str, ...] = ("sh_admin", "zj_admin")) -> Any:
        """Run a proposal through propose, votes of `voters`, and execute; return the execute receipt."""
        proposer = self.as_(voters[0])
        receipt = proposer.consortium.propose(target, data, self.now() + 86_400, "test proposal").wait()
        proposal_id = receipt.event("ProposalCreated").args["proposalId"]
        for voter in voters:
            self.as_(voter).consortium.vote(proposal_id).wait()
        return proposer.consortium.execute(proposal_id).wait()

    def resync(self) -> None:
        for client in self._clients.values():
            if client.transactor:
                client.transactor.resync_nonce()


@pytest.fixture(scope="session")
def chain() -> Iterator[Anvil]:
    # Every test reverts its blocks, but anvil keeps the states of reverted blocks among the `history` it holds:
    # a long session needs room, or the state of a block a test has just mined can already be gone.
    with Anvil(accounts=len(ACCOUNT_NAMES) + 2, history=8192) as anvil:
        yield anvil


@pytest.fixture(scope="session")
def session_world(chain: Anvil) -> World:
    result = bootstrap(parse_description(WORLD), chain.url)
    world = World(chain, result, HurongClient.connect(chain.url, result.deployment))
    sh = world.as_("sh_admin")
    sh.authorities.suspend_agency(world.addr("sh_suspended"), 1).wait()
    sh.authorities.suspend_agency(world.addr("sh_parent_suspended"), 1).wait()
    consortium = world.reader.consortium
    world.govern(consortium.address, consortium.encode("suspendProvince", SUSPENDED_PROVINCE))
    return world


@pytest.fixture
def world(session_world: World) -> Iterator[World]:
    snapshot = session_world.rpc("evm_snapshot")
    # anvil keeps the state of the last blocks only (--prune-history): mine one so reads at "the block this test
    # started at" never name a block whose state was pruned while earlier tests ran.
    session_world.rpc("evm_mine")
    try:
        yield session_world
    finally:
        session_world.rpc("evm_revert", [snapshot])
        session_world.resync()


@contextlib.contextmanager
def reverts(error: type[ContractRevertError], **expected: Any) -> Iterator[None]:
    """Assert the block raises `error` (a generated custom-error class) with the given arguments."""
    with pytest.raises(error) as info:
        yield
    for name, value in expected.items():
        actual = info.value.arguments[name]
        assert actual == value, f"{error.__name__}.{name}: expected {value!r}, got {actual!r}"
