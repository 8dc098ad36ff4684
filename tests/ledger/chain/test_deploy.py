"""Deployment records, consortium descriptions and the `hurong deploy` command."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.bootstrap import load_description, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.deployment import ContractRecord, Deployment
from ledger.chain.models import ProvinceStatus
from ledger.chain.node import Anvil
from ledger.errors import ConfigurationError, DeploymentError
from ledger.toolchain.compiler import CONTRACT_NAMES, find_project_root, load_artifact
from tests.conftest import WORLD, World

ROOT = find_project_root()
EXAMPLE = ROOT / "examples" / "consortium.yaml"


def test_deployment_record_round_trips_through_its_file(world: World, tmp_path: Path) -> None:
    path = world.deployment.save(tmp_path)
    assert path.name == f"{world.deployment.chain_id}.json"
    loaded = Deployment.load(path)
    assert loaded == world.deployment
    data = json.loads(path.read_text())
    for name in CONTRACT_NAMES:
        assert data["contracts"][name]["abiHash"] == load_artifact(name).abi_hash
        assert data["contracts"][name]["blockNumber"] >= data["blockNumber"]


def test_a_record_with_another_abi_is_refused(world: World, tmp_path: Path) -> None:
    contracts = dict(world.deployment.contracts)
    contracts["CertificateRegistry"] = replace(contracts["CertificateRegistry"], abi_hash="00" * 32)
    replace(world.deployment, contracts=contracts).save(tmp_path)
    with pytest.raises(DeploymentError, match="another ABI"):
        Deployment.for_chain(tmp_path, world.deployment.chain_id)


def test_missing_and_malformed_records_are_deployment_errors(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="no deployment record"):
        Deployment.load(tmp_path / "31337.json")
    (tmp_path / "1.json").write_text("{not json")
    with pytest.raises(DeploymentError, match="cannot read"):
        Deployment.load(tmp_path / "1.json")
    (tmp_path / "2.json").write_text(json.dumps({"chainId": 2, "contracts": {}}))
    with pytest.raises(DeploymentError, match="malformed"):
        Deployment.load(tmp_path / "2.json")


def test_client_refuses_a_deployment_of_another_chain(world: World) -> None:
    other = replace(world.deployment, chain_id=1)
    with pytest.raises(Exception, match="chain 1"):
        HurongClient.connect(world.anvil.url, other)


def _broken(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(WORLD)
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"threshold": 5}, "threshold 5 exceeds"),
        ({"threshold": 0}, "threshold"),
        ({"provinces__0__code": 310100}, "not a GB/T 2260 province-level code"),
        ({"provinces__0__admins": ["nobody"]}, "unknown account names: nobody"),
        ({"agencies__0__region": 330100}, "not inside province"),
        ({"agencies__0__certificate_types": ["营业执照"]}, "invalid certificate type"),
        ({"agencies__1__parent": "zj_amr"}, "must be listed before it"),
        ({"rules__0__accepting": 120000}, "not a founding province"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_descriptions_are_refused_with_the_field_and_reason(changes: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_description(_broken(**changes))


def test_unreadable_description_files_are_configuration_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("provinces: [unclosed")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_description(bad)
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_description(tmp_path / "missing.yaml")


def test_deploy_command_bootstraps_the_example_three_province_consortium(tmp_path: Path) -> None:
    with Anvil(accounts=10) as chain:
        proc = subprocess.run(
            [sys.executable, "-m", "ledger.cli", "deploy", "--config", str(EXAMPLE), "--rpc", chain.url,
             "--out", str(tmp_path)],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        deployment = Deployment.for_chain(tmp_path, 31337)
        client = HurongClient.connect(chain.url, deployment)
        provinces = client.consortium.provinces()
        assert [(p.code, p.name, p.status) for p in provinces] == [
            (310000, "上海市", ProvinceStatus.ACTIVE),
            (330000, "浙江省", ProvinceStatus.ACTIVE),
            (440000, "广东省", ProvinceStatus.ACTIVE),
        ]
        assert [p.epoch for p in provinces] == [1, 1, 1]
        assert client.consortium.threshold() == client.consortium.configured_threshold() == 2
        agencies = client.authorities.agencies()
        assert len(agencies) == 6
        pudong = next(a for a in agencies if a.region == 310115)
        assert pudong.name == "上海市浦东新区市场监督管理局" and pudong.depth == 2
        rules = client.recognition.rules()
        assert len(rules) == 4 and rules[0].legal_basis == "长三角地区电子证照互认共享合作协议"
        now = int(client.w3.eth.get_block("latest")["timestamp"])
        assert client.recognition.accepts(330000, 310000, "business_licence", None, now) == (True, 1)
        assert client.recognition.accepts(330000, 440000, "business_licence", None, now) == (False, None)


def test_deploy_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("accounts: {}\ndeployer: x\nthreshold: 1\nprovinces: []\n")
    proc = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "deploy", "--config", str(bad), "--rpc", "http://127.0.0.1:9"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "does not validate" in proc.stderr and "Traceback" not in proc.stderr


def test_contract_records_keep_each_transaction(world: World) -> None:
    records: dict[str, ContractRecord] = world.deployment.contracts
    assert len({r.tx_hash for r in records.values()}) == 4
    for record in records.values():
        receipt = world.reader.w3.eth.get_transaction_receipt(record.tx_hash)
        assert receipt["contractAddress"] == record.address
