"""The README's run command: it brings the local consortium up, `.hurong/demo.json` lets a client issue and
verify, Ctrl-C stops everything, and the next start reuses the chain."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from ledger.chain import free_port
from ledger.compiler import find_project_root

ROOT = find_project_root()


def readme_run_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n([^\n`]+)\n```", text)
    assert commands, "README.md shows no commands"
    return commands[0].strip()


def start(home: Path, api_port: int, chain_port: int) -> subprocess.Popen[bytes]:
    command = readme_run_command()
    assert command == "scripts/run.sh"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    with open(home / f"run-{time.time_ns()}.log", "wb") as log:
        return subprocess.Popen(
            [str(ROOT / command), "--home", str(home), "--port", str(api_port), "--chain-port", str(chain_port),
             "--certificates", "60", "--workers", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def wait_up(home: Path, process: subprocess.Popen[bytes], timeout: float = 600) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the demo exited"
        demo = home / "demo.json"
        if demo.is_file():
            data = json.loads(demo.read_text(encoding="utf-8"))
            if data.get("issued"):
                try:
                    if httpx.get(f"{data['api_url']}/api/v1/health", timeout=1).status_code == 200:
                        return dict(data)
                except httpx.HTTPError:
                    pass
        time.sleep(0.5)
    raise AssertionError("the demo did not come up")


def stop(process: subprocess.Popen[bytes]) -> int:
    os.killpg(process.pid, signal.SIGINT)
    return process.wait(timeout=60)


def test_the_run_command_brings_up_a_consortium_that_demo_json_lets_a_client_use(tmp_path: Path) -> None:
    api_port, chain_port = free_port(), free_port()
    process = start(tmp_path, api_port, chain_port)
    try:
        demo = wait_up(tmp_path, process)
        assert demo["api_url"] == f"http://127.0.0.1:{api_port}"
        provinces = demo["provinces"]
        assert [p["code"] for p in provinces] == ["310000", "330000", "440000"]  # type: ignore[index]
        assert all(len(p["agencies"]) == 2 for p in provinces)  # type: ignore[union-attr]
        agency = provinces[0]["agencies"][0]  # type: ignore[index]
        api = f"{demo['api_url']}/api/v1"
        record = {
            "licenceNumber": "91310115MA1H7XY23B", "certificateType": "business_licence",
            "holderName": "上海浦江科技有限公司", "holderId": "91310115MA1H7XY23B", "issuingProvince": "310000",
            "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2046-12-31T23:59:59Z",
            "fields": {"legalRepresentative": "张三", "registeredCapital": "人民币1000万元",
                       "businessScope": "软件开发", "establishedOn": "2016-05-20", "address": "张江路88号",
                       "entityType": "有限责任公司"},
        }  # fmt: skip
        issued = httpx.post(f"{api}/certificates", json={"certificates": [record]},
                            headers={"X-API-Key": agency["api_key"]}, timeout=120)  # fmt: skip
        assert issued.status_code == 201, issued.text
        doc = issued.json()["data"][0]
        answer = httpx.post(f"{api}/verify", json={"certificate": doc, "context": {"province": "330000"}}).json()
        assert answer["verdict"] == "VALID"
        assert httpx.get(f"{demo['api_url']}/verify").status_code == 200
        health = httpx.get(f"{api}/health").json()
        assert health["chainId"] == 31337
    finally:
        assert stop(process) == 0
    with httpx.Client() as http:
        try:
            http.get(f"http://127.0.0.1:{api_port}/api/v1/health", timeout=1)
            raise AssertionError("the service is still up after Ctrl-C")
        except httpx.HTTPError:
            pass

    again = start(tmp_path, api_port, chain_port)
    try:
        demo2 = wait_up(tmp_path, again, timeout=300)
        assert demo2["provinces"] == demo["provinces"]
        answer = httpx.post(f"{demo2['api_url']}/api/v1/verify", json={"certificate": doc}, timeout=60).json()
        assert answer["verdict"] == "VALID", answer
    finally:
        assert stop(again) == 0
