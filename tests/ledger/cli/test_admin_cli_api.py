"""The administration commands of `hurong` acting through a real Hurong service (`--api URL`): the listings the
service answers today print what the same commands read from the chain, and a service that cannot be reached or a
write without an API key is refused with one line and exit status 1."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.main import app
from tests.api.conftest import Server, own_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("admin-api")) as running:
        running.wait_indexed()
        yield running


def hurong(server: Server, *args: str) -> Any:
    environ: dict[str, str | None] = {name: None for name in os.environ if name.startswith("HURONG_")}
    environ |= {"HURONG_RPC_URL": server.chain.url, "HURONG_DEPLOYMENTS": str(Path(server.home) / "deployments")}
    result = CliRunner().invoke(app, list(args), env=environ)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def listed(server: Server, *args: str) -> tuple[Any, Any]:
    """What a listing prints as JSON read through the service, and read from the chain."""
    through = hurong(server, *args, "--json", "--api", server.url)
    direct = hurong(server, *args, "--json")
    assert through.exit_code == 0 and direct.exit_code == 0, through.stderr + direct.stderr
    return json.loads(through.stdout), json.loads(direct.stdout)


def test_agencies_listed_through_the_service_are_those_on_the_chain(server: Server) -> None:
    through, direct = listed(server, "agency", "list")
    assert len(through) == len(direct) > 0
    by_account = {a["account"]: a for a in direct}
    for agency in through:
        expected = by_account[agency["account"]]
        assert set(agency["certificateTypes"]) == set(expected.pop("certificateTypes"))
        assert {k: v for k, v in agency.items() if k != "certificateTypes"} == expected
    sh_only, _ = listed(server, "agency", "list", "--province", "310000", "--type", "food_business_licence")
    assert [a["account"] for a in sh_only] == [server.addr("sh_amr")]


def test_rules_and_provinces_listed_through_the_service_are_those_on_the_chain(server: Server) -> None:
    through, direct = listed(server, "rule", "list", "--accepting", "330000")
    assert through == direct and through[0]["issuingProvince"] == "310000" and through[0]["inForce"]
    provinces, on_chain = listed(server, "gov", "provinces")
    assert sorted(provinces, key=lambda p: p["code"]) == sorted(on_chain, key=lambda p: p["code"])
    assert {p["code"] for p in provinces} == {"310000", "330000", "440000", "110000"}
    table = hurong(server, "rule", "list", "--api", server.url)
    assert table.exit_code == 0 and "互认规则 recognition rules (1)" in table.stdout


def test_writes_through_the_service_need_an_api_key_and_a_service_that_answers(server: Server) -> None:
    keyless = hurong(server, "agency", "reinstate", server.addr("sh_suspended"), "--api", server.url)
    assert keyless.exit_code == 1 and keyless.stderr.count("\n") == 1 and "needs --api-key" in keyless.stderr
    gone = hurong(server, "agency", "list", "--api", "http://127.0.0.1:9")
    assert gone.exit_code == 1 and gone.stderr.startswith("失败 failed: 无法连接服务 cannot reach the service")
    assert "service URL must start with http://" in hurong(server, "agency", "list", "--api", "ftp://x").stderr
