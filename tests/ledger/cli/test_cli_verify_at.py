"""`hurong verify` as of a past block or time, run as a user runs it against a real anvil that keeps the state of
its last 64 blocks only: validity judged at the time asked, the issuer's standing today printed beside the
verdict, and questions the chain cannot answer refused with a message and exit status 1, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.bootstrap import BootstrapResult, bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil
from tests.conftest import WORLD
from tests.ledger.certificates.samples import LICENCES

HISTORY = 64


class Cli:
    def __init__(self, chain: Anvil, result: BootstrapResult, home: Path) -> None:
        self.chain, self.result, self.home = chain, result, home
        self.reader = HurongClient.connect(chain.url, result.deployment)

    def run(self, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
        environ |= {"HURONG_RPC_URL": self.chain.url, "HURONG_DEPLOYMENTS": str(self.home / "deployments")}
        if key:
            environ["HURONG_PRIVATE_KEY"] = self.result.keys[key]
        return subprocess.run(
            [sys.executable, "-m", "ledger.cli", *args], env=environ, capture_output=True, text=True, timeout=300,
            cwd=self.home, check=False,
        )  # fmt: skip

    def issue(self, name: str, **changes: Any) -> Path:
        source = self.home / f"{name}.json"
        source.write_text(json.dumps([{**LICENCES["business_licence"], **changes}], ensure_ascii=False), "utf-8")
        out = self.home / name
        proc = self.run("issue", str(source), "--out", str(out), "--journal", str(self.home / f"{name}.sqlite"),
                        key="sh_amr")  # fmt: skip
        assert proc.returncode == 0, proc.stderr + proc.stdout
        (path,) = out.glob("*.json")
        return path

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.reader.w3.provider.make_request(method, params)  # type: ignore[arg-type]

    def block(self, number: int | str = "latest") -> Any:
        return self.reader.w3.eth.get_block(number)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    home = tmp_path_factory.mktemp("cli-at")
    with Anvil(accounts=len(WORLD["accounts"]), history=HISTORY) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        result.deployment.save(home / "deployments")
        yield Cli(chain, result, home)


def anchor_block(path: Path) -> int:
    return int(json.loads(path.read_text(encoding="utf-8"))["proof"]["anchor"]["blockNumber"])


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_pruned_block_or_time_gives_a_message_and_exit_status_one(cli: Cli) -> None:
    path = cli.issue("pruned")
    anchored = anchor_block(path)
    anchored_at = int(cli.block(anchored)["timestamp"])
    ok = cli.run("verify", str(path), "--block", str(anchored), "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["block"]["number"] == anchored

    cli.rpc("anvil_mine", [HISTORY + 20, 1])
    for args in (["--block", str(anchored)], ["--at", iso(anchored_at)]):
        proc = cli.run("verify", str(path), *args)
        assert proc.returncode == 1, proc.stdout
        assert f"no longer keeps the state of block {anchored}" in proc.stderr
        assert "Traceback" not in proc.stderr
    both = cli.run("verify", str(path), str(path), "--block", str(anchored))  # verify_many, the same message
    assert both.returncode == 1 and "no longer keeps the state" in both.stderr and "Traceback" not in both.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "yesterday"], "not an RFC 3339 time"),
        (["--at", "2026-02-30T00:00:00+08:00"], "not a valid RFC 3339 time"),
        (["--at", "2999-01-01T00:00:00Z"], "is in the future"),
        (["--at", "2020-01-01T00:00:00Z"], "before the registries were deployed"),
        (["--block", "999999999"], "does not exist yet"),
        (["--block", "1", "--at", "2026-06-01T00:00:00Z"], "not both"),
    ],
)
def test_times_and_blocks_out_of_reach_give_a_message_and_exit_status_one(
    cli: Cli, args: list[str], message: str
) -> None:
    path = cli.home / "any.json"
    if not path.exists():
        path.write_text(cli.issue("any").read_text(encoding="utf-8"), encoding="utf-8")
    proc = cli.run("verify", str(path), *args)
    assert proc.returncode == 1, proc.stdout
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_an_issuer_suspended_today_is_a_warning_beside_a_valid_verdict(cli: Cli) -> None:
    path = cli.issue("standing", holderName="上海浦江数据有限公司")
    cli.rpc("evm_increaseTime", [60])
    cli.rpc("evm_mine", [])
    admin = cli.reader.as_account(cli.result.keys["sh_admin"])
    amr = cli.result.accounts["sh_amr"]
    admin.authorities.suspend_agency(amr, 7).wait()
    try:
        table = cli.run("verify", str(path))
        assert table.returncode == 0, table.stdout + table.stderr
        assert "VALID" in table.stdout and "warning issuer_not_in_good_standing" in table.stdout
        assert "上海市市场监督管理局 is suspended today" in table.stdout
        answer = json.loads(cli.run("verify", str(path), "--json").stdout)
        assert answer["verdict"] == "VALID"
        assert [(w["code"], w["details"]["entity"], w["details"]["id"]) for w in answer["warnings"]] == [
            ("issuer_not_in_good_standing", "agency", amr)
        ]
    finally:
        admin.authorities.reinstate_agency(amr).wait()


def test_a_past_block_or_time_is_judged_at_its_own_time(cli: Cli) -> None:
    """Run last: it moves the chain's clock a year ahead."""
    path = cli.issue("future", validFrom="2028-01-01T00:00:00Z")
    now = cli.run("verify", str(path), "--json")
    assert now.returncode == 1
    assert [c["code"] for c in json.loads(now.stdout)["checks"] if c["outcome"] == "failed"] == ["not_yet_valid"]

    before_jump = int(cli.block()["number"])
    cli.rpc("evm_setNextBlockTimestamp", [int(datetime(2028, 1, 2, tzinfo=UTC).timestamp())])
    cli.rpc("evm_mine", [])
    head = cli.block()
    proc = cli.run("verify", str(path), "--block", str(head["number"]), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["verdict"] == "VALID" and answer["at"] == head["timestamp"]
    assert answer["block"]["number"] == head["number"]

    # a time between the blocks reads the block before it, and judges validity at the time itself
    proc = cli.run("verify", str(path), "--at", "2028-01-01T08:00:00+08:00", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["block"]["number"] == before_jump and answer["at"] == datetime(2028, 1, 1, tzinfo=UTC).timestamp()
    table = cli.run("verify", str(path), "--at", "2028-01-01T08:00:00+08:00")
    assert table.returncode == 0 and "judged as of 2028-01-01T00:00:00Z" in table.stdout
    early = cli.run("verify", str(path), "--at", "2027-12-31T23:59:59Z", "--json")
    assert early.returncode == 1 and json.loads(early.stdout)["verdict"] == "INVALID"
