"""The usage log's packaged artifact, and its error classes, match a fresh compilation of `contracts/UsageLog.sol`;
a refused anchor raises its own error class with the decoded arguments."""

from __future__ import annotations

import pytest

from ledger.audit import UsageLogClient, deploy_usage_log, usage_log_artifact
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.client import make_web3
from ledger.chain.contract_errors import UsageLogAlreadyAnchored
from ledger.chain.node import Anvil
from ledger.chain.transactions import Transactor
from ledger.errors import LedgerValueError
from ledger.toolchain.compiler import compile_contracts, find_project_root
from tests.conftest import WORLD


def test_the_packaged_usage_log_matches_a_fresh_compilation() -> None:
    fresh = compile_contracts(find_project_root())["UsageLog"]
    packaged = usage_log_artifact()
    assert packaged.abi == fresh.abi, "UsageLog's ABI is stale: run `hurong compile`"
    assert packaged.bytecode == fresh.bytecode, "UsageLog's bytecode is stale: run `hurong compile`"
    assert packaged.evm_version == "paris"


def test_an_anchor_is_refused_before_sending_when_the_account_may_not_or_the_period_is_taken() -> None:
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        w3 = make_web3(chain.url)
        deployment, _ = deploy_usage_log(w3, result.keys["deployer"], result.deployment)
        admin = UsageLogClient.of(w3, deployment, Transactor(w3, result.keys["sh_admin"]))
        outsider = UsageLogClient.of(w3, deployment, Transactor(w3, result.keys["outsider"]))
        root = bytes(range(32))
        with pytest.raises(LedgerValueError, match="may not anchor"):
            outsider.anchor(310000, 7, root, 3)
        with pytest.raises(LedgerValueError, match="non-zero"):
            admin.anchor(310000, 7, b"\0" * 32, 3)
        admin.anchor(310000, 7, root, 3).wait()
        assert admin.root_of(310000, 7) == root and admin.root_of(310000, 8) is None
        with pytest.raises(UsageLogAlreadyAnchored) as refused:
            admin.anchor(310000, 7, bytes(range(1, 33)), 3)
        assert refused.value.args  # the decoded revert, with the root anchored first
        events = admin.anchored(deployment.extra["usageLog"]["blockNumber"])
        assert [(e["province"], e["period"], e["count"]) for e in events] == [(310000, 7, 3)]
