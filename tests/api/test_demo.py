"""The README's run command: it brings the local consortium up, `.hurong/demo.json` lets a client issue and
verify, Ctrl-C stops everything, and the next start reuses the chain."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import httpx

from ledger.chain.node import free_port
from ledger.toolchain.compiler import find_project_root

ROOT = find_project_root()
RECORD = {
    "licenceNumber": "91310115MA1H7XY23B", "certificateType": "business_licence",
    "holderName": "上海浦江科技有限公司", "holderId": "91310115MA1H7XY23B", "issuingProvince": "310000",
    "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2046-12-31T23:59:59Z",
    "fields": {"legalRepresentative": "张三", "registeredCapital": "人民币1000万元", "businessScope": "软件开发",
               "establishedOn": "2016-05-20", "address": "张江路88号", "entityType": "有限责任公司"},
}  # fmt: skip
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]


def readme_run_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n([^\n`]+)\n```", text)
    assert commands, "README.md shows no commands"
    return commands[0].strip()


def start(
    home: Path, api_port: int, chain_port: int, *, workers: int = 1, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """The README's run command on `home` and the given ports (its output in `log`, by default in `home`)."""
    command = readme_run_command()
    assert command == "scripts/run.sh"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    with open(log or home / f"run-{time.time_ns()}.log", "wb") as out:
        return subprocess.Popen(
            [str(ROOT / command), "--home", str(home), "--port", str(api_port), "--chain-port", str(chain_port),
             "--certificates", "60", "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
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
        issued = httpx.post(f"{api}/certificates", json={"certificates": [RECORD]},
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


def test_an_older_demo_home_is_made_private_and_its_keystore_moves_to_a_generated_passphrase(tmp_path: Path) -> None:
    from rich.console import Console

    from api.demo import Demo, make_private
    from ledger.keys.keystore import AccountKey, load_key, save_key

    key = AccountKey.generate()
    key_file = save_key(tmp_path / "keystore" / f"{key.address}.json", key, "hurong-demo")
    (tmp_path / "demo.json").write_text("{}", encoding="utf-8")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "anvil.log").write_text("", encoding="utf-8")
    for path, mode in ((tmp_path, 0o755), (tmp_path / "demo.json", 0o644), (tmp_path / "logs", 0o755),
                       (tmp_path / "logs" / "anvil.log", 0o644), (key_file, 0o644)):  # fmt: skip
        path.chmod(mode)
    make_private(tmp_path)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_dir()} == {0o700}
    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_file()} == {0o600}

    demo = Demo(tmp_path, ROOT / "examples" / "demo.yaml", chain_port=free_port(), api_port=free_port(), workers=1,
                certificates=1, console=Console(quiet=True))  # fmt: skip
    passphrase = demo._passphrase()
    assert passphrase != "hurong-demo" and len(passphrase) >= 43
    assert (tmp_path / "secrets" / "keystore-passphrase").read_text(encoding="utf-8") == passphrase + "\n"
    assert load_key(key_file, passphrase) == key
    assert demo._passphrase() == passphrase


def test_the_demo_consortium_serves_issue_15s_standards(tmp_path: Path) -> None:
    """`hurong demo`'s consortium (what scripts/run.sh runs after setup.sh): a licence carries its status list entries
    and GB/T 36904 identifier and prints; its lists and the trust bundle are served; once the province admin grants
    `generic`, the VC-API issues a generic credential that verifies."""
    from rich.console import Console

    from api.demo import Demo
    from ledger.certificates.did import agency_did

    demo = Demo(tmp_path, ROOT / "examples" / "demo.yaml", chain_port=free_port(), api_port=free_port(), workers=1,
                certificates=1, console=Console(quiet=True))  # fmt: skip
    try:
        data = demo.run(wait=False)
        province = data["provinces"][0]
        agency, admin = province["agencies"][0], {"X-API-Key": province["admin_api_key"]}
        with httpx.Client(
            base_url=f"{demo.api_url}/api/v1", headers={"X-API-Key": agency["api_key"]}, timeout=120
        ) as http:
            [doc] = http.post("/certificates", json={"certificates": [RECORD]}).json()["data"]
            _, *entries = doc["credentialStatus"]
            assert [e["type"] for e in entries] == ["BitstringStatusListEntry"] * 2
            assert all(httpx.get(e["statusListCredential"]).status_code == 200 for e in entries)
            assert doc["credentialSubject"]["licenceIdentifier"].startswith("1.2.156.3005.2.")
            assert http.get(f"/certificates/{doc['proof']['digest']}/pdf").content.startswith(b"%PDF")
            assert http.get("/trust-bundle").json()["payload"]["roots"]
            granted = http.post(f"/agencies/{agency['address']}/certificate-types/generic", headers=admin)
            assert granted.status_code == 201, granted.text
            credential = {"@context": CONTEXTS, "type": ["VerifiableCredential", "ExampleAlumniCredential"],
                          "issuer": agency_did(data["chain_id"], agency["address"]),
                          "validUntil": "2036-01-01T00:00:00Z",
                          "credentialSubject": {"alumniOf": "同济大学"}}  # fmt: skip
            vc = http.post("/vc/credentials/issue", json={"credential": credential, "options": {}}).json()
            answer = http.post("/vc/credentials/verify", json=vc)
            assert answer.status_code == 200 and answer.json()["verdict"] == "VALID", answer.text
    finally:
        demo.stop()
