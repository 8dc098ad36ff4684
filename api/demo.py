"""The one-command local consortium: anvil (state kept in `.hurong/`), the contracts deployed and the demo
consortium of `examples/demo.yaml` bootstrapped, the agencies' chain keys in an encrypted keystore, API keys,
a few hundred demo certificates issued through the service, and the service itself on 127.0.0.1.

Everything is set up on the first start and reused afterwards; `.hurong/demo.json` tells scripts the URL
and the API keys. Ctrl-C stops the service and the chain.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from ledger.certificates.validation import resident_id_check_character, uscc_check_character
from ledger.chain import Anvil
from ledger.deploy import bootstrap, load_description
from ledger.deployment import Deployment
from ledger.errors import DeploymentError, ToolchainError
from ledger.keystore import AccountKey, save_key

from .keys import ApiKeyStore
from .launcher import service_env, start_service, stop_service

#: Passphrase of the demo keystore (the keys are the public dev keys of a local chain).
DEMO_PASSPHRASE = "hurong-demo"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "慧",
]
_REGIONS = {310000: ["310101", "310104", "310115"], 330000: ["330102", "330106", "330205"],
            440000: ["440103", "440305", "440604"]}  # fmt: skip


def _resident_id(rng: random.Random, region: str) -> str:
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + resident_id_check_character(body)


def _uscc(rng: random.Random, region: str) -> str:
    body = f"91{region}MA{rng.randrange(10**7):07d}"
    return body + uscc_check_character(body)


def demo_licence(certificate_type: str, province: int, rng: random.Random) -> dict[str, Any]:
    """A realistic licence record of a type, issued in a province (valid IDs, Chinese text)."""
    region = rng.choice(_REGIONS[province])
    person = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    start = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 700))
    common = {"certificateType": certificate_type, "issuingProvince": str(province), "issuingRegion": region,
              "validFrom": f"{start:%Y-%m-%d}T00:00:00Z"}  # fmt: skip
    if certificate_type in ("business_licence", "food_business_licence"):
        code = _uscc(rng, region)
        prefix = rng.choice(["浦江", "钱塘", "珠江", "东海", "西湖", "南岭"])
        name = f"{prefix}{rng.choice(['科技', '贸易', '餐饮', '物流'])}有限公司"
        if certificate_type == "business_licence":
            return common | {
                "licenceNumber": code, "holderName": name, "holderId": code,
                "validUntil": f"{start.year + 20}-12-31T23:59:59Z",
                "fields": {"legalRepresentative": person,
                           "registeredCapital": f"人民币{rng.choice([100, 500, 1000])}万元",
                           "businessScope": "技术服务、技术开发、技术咨询；软件开发；信息系统集成服务。",
                           "establishedOn": f"{start.year - 3}-05-20", "address": "示范路1号",
                           "entityType": "有限责任公司（自然人投资或控股）"},
            }  # fmt: skip
        return common | {
            "licenceNumber": f"JY{region[0]}{region}{rng.randrange(10**7):07d}", "holderName": name, "holderId": code,
            "validUntil": f"{start.year + 5}-12-31T23:59:59Z",
            "fields": {"operator": person, "premises": "示范路2号", "mainBusinessForm": "餐饮服务经营者",
                       "businessItems": ["热食类食品制售"], "licenceAuthority": "市场监督管理局"},
        }  # fmt: skip
    person_id = _resident_id(rng, region)
    if certificate_type == "physician_certificate":
        return common | {
            "licenceNumber": f"1{rng.randrange(10**13):013d}", "holderName": person, "holderId": person_id,
            "validUntil": f"{start.year + 5}-12-31T23:59:59Z",
            "fields": {"practiceLevel": "执业医师", "practiceCategory": "临床", "practiceScope": ["内科专业"],
                       "practiceInstitution": "示范人民医院",
                       "qualificationNumber": f"2009{rng.randrange(10**16):016d}"},
        }  # fmt: skip
    if certificate_type == "driving_licence":
        return common | {
            "licenceNumber": person_id, "holderName": person, "holderId": person_id,
            "validUntil": f"{start.year + 10}-12-31T23:59:59Z",
            "fields": {"vehicleClasses": ["C1"], "firstIssuedOn": f"{start.year - 5}-04-01",
                       "fileNumber": f"{region}{rng.randrange(10**6):06d}", "address": "示范路3号"},
        }  # fmt: skip
    return common | {
        "licenceNumber": f"10{rng.randrange(10**14):014d}", "holderName": person, "holderId": person_id,
        "validUntil": f"{start.year + 100}-06-30T00:00:00Z",
        "fields": {"degree": "工学学士学位", "discipline": "计算机科学与技术", "awardingInstitution": "浙江大学",
                   "conferredOn": f"{start:%Y-%m-%d}"},
    }  # fmt: skip


class Demo:
    def __init__(self, home: Path, config: Path, *, chain_port: int, api_port: int, workers: int,
                 certificates: int, console: Console) -> None:  # fmt: skip
        self.home = home
        self.config = config
        self.console = console
        self.api_port = api_port
        self.workers = workers
        self.certificates = certificates
        self.spec = load_description(config)
        self.anvil = Anvil(port=chain_port, accounts=max(20, len(self.spec.accounts)),
                           state=home / "chain" / "state.json", log_file=home / "logs" / "anvil.log")  # fmt: skip
        self.server: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def run(self, *, wait: bool = True) -> dict[str, Any]:
        try:
            self.anvil.start()
            self.console.print(f"[green]chain[/] {self.anvil.url}")
            demo = self._setup()
            self._serve()
            if not demo.get("issued"):
                demo["issued"] = self._issue_demo_certificates(demo)
                self._write(demo)
            self._print(demo)
            if wait:
                self._wait()
            return demo
        finally:
            if wait:
                self.stop()

    def stop(self) -> None:
        if self.server is not None:
            stop_service(self.server)
        self.server = None
        self.anvil.stop()

    # ------------------------------------------------------------------ setup (first start only)

    def _setup(self) -> dict[str, Any]:
        demo_path = self.home / "demo.json"
        try:
            deployment = Deployment.for_chain(self.home / "deployments", self.anvil.chain_id)
            from ledger.client import make_web3

            w3 = make_web3(self.anvil.url)
            if demo_path.is_file() and all(len(w3.eth.get_code(r.address)) for r in deployment.contracts.values()):  # type: ignore[arg-type]
                self.console.print("reusing the consortium and demo data in " + str(self.home))
                data: dict[str, Any] = json.loads(demo_path.read_text(encoding="utf-8"))
                data["api_url"] = self.api_url
                return data
        except (DeploymentError, OSError, ValueError):
            pass
        self.console.print("deploying and bootstrapping the consortium…")
        result = bootstrap(self.spec, self.anvil.url, progress=lambda m: self.console.print(f"  {m}"))
        result.deployment.save(self.home / "deployments")
        keys = ApiKeyStore(self.home / "api-keys.sqlite")
        provinces = []
        for province in self.spec.provinces:
            admin = province.admins[0]
            self._store_key(result.keys[admin])
            admin_key, _ = keys.create("province", str(province.code), f"{province.name} admin")
            agencies = []
            for agency in (a for a in self.spec.agencies if a.province == province.code):
                self._store_key(result.keys[agency.account])
                api_key, _ = keys.create("agency", result.accounts[agency.account], agency.name)
                agencies.append({"address": result.accounts[agency.account], "name": agency.name,
                                 "api_key": api_key, "certificate_types": list(agency.certificate_types)})  # fmt: skip
            provinces.append({"code": str(province.code), "name": province.name, "admin_api_key": admin_key,
                              "agencies": agencies})  # fmt: skip
        demo = {"api_url": self.api_url, "chain_url": self.anvil.url, "chain_id": result.deployment.chain_id,
                "provinces": provinces, "issued": 0}  # fmt: skip
        self._write(demo)
        return demo

    def _store_key(self, private_key: str) -> None:
        key = AccountKey.from_hex(private_key)
        path = self.home / "keystore" / f"{key.address}.json"
        if not path.exists():
            save_key(path, key, DEMO_PASSPHRASE)

    def _write(self, demo: dict[str, Any]) -> None:
        path = self.home / "demo.json"
        path.write_text(json.dumps(demo, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.chmod(path, 0o600)

    # ------------------------------------------------------------------ service

    def _serve(self) -> None:
        env = service_env(rpc_url=self.anvil.url, home=self.home, passphrase=DEMO_PASSPHRASE)
        self.server = start_service(
            env, port=self.api_port, workers=self.workers, log=self.home / "logs" / "service.log"
        )

    def _issue_demo_certificates(self, demo: dict[str, Any]) -> int:
        rng = random.Random(20261123)
        agencies = [(p, a) for p in demo["provinces"] for a in p["agencies"]]
        per_agency = max(1, self.certificates // len(agencies))
        issued = 0
        with httpx.Client(base_url=self.api_url + "/api/v1", timeout=300) as http:
            for province, agency in agencies:
                records = [demo_licence(rng.choice(agency["certificate_types"]), int(province["code"]), rng)
                           for _ in range(per_agency)]  # fmt: skip
                response = http.post("/certificates", json={"certificates": records},
                                     headers={"X-API-Key": agency["api_key"]})  # fmt: skip
                if response.status_code != 201:
                    raise ToolchainError(f"demo issuance for {agency['name']} failed: {response.text}")
                issued += len(records)
                self.console.print(f"  {agency['name']}: {len(records)} demo certificates issued")
        return issued

    def _print(self, demo: dict[str, Any]) -> None:
        self.console.print(f"[bold green]Hurong is running[/] ({demo['issued']} demo certificates)")
        self.console.print(f"  API            {self.api_url}/api/v1   (OpenAPI: {self.api_url}/api/v1/openapi.json)")
        self.console.print(f"  API docs       {self.api_url}/docs")
        self.console.print(f"  verify page    {self.api_url}/verify")
        self.console.print(f"  metrics        {self.api_url}/metrics")
        self.console.print(f"  chain          {self.anvil.url}")
        self.console.print(f"  demo data      {self.home / 'demo.json'} (API keys of every agency and province)")

    def _wait(self) -> None:
        stop = threading.Event()

        def _stop(*_: object) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        self.console.print("Ctrl-C stops the service and the chain; the next start reuses them.")
        while not stop.wait(0.5):
            if self.server is None or self.server.poll() is not None:
                self.console.print("[red]the service stopped[/]")
                return
            if self.anvil.process is None or self.anvil.process.poll() is not None:
                self.console.print("[red]the chain stopped[/]")
                return
        self.console.print("stopping…")
