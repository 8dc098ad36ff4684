"""The one-command local consortium: anvil (state kept in `.hurong/`), the contracts deployed and the demo
consortium of `examples/demo.yaml` bootstrapped, the agencies' chain keys in an encrypted keystore, API keys,
a few hundred demo certificates issued through the service, and the service itself on 127.0.0.1.

Everything is set up on the first start and reused afterwards; `.hurong/demo.json` tells scripts the URL
and the API keys. Ctrl-C stops the service and the chain.

Secrets stay private: every file and folder the demo, its chain and its service write is its owner's only (0600,
0700); the keystore passphrase is generated on the first start and kept in `secrets/keystore-passphrase`, which
the service reads (it is never in a process's environment or on a command line); the chain's log leaves out the
dev accounts' private keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import ssl
import subprocess
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from api.identifiers import describe_credit_codes
from api.keys import KEYS_FILE, ApiKeyStore, keys_database
from api.launcher import passphrase_file, service_env, start_service, stop_service
from ledger.certificates.validation import USCC_CHARSET, resident_id_check_character, uscc_check_character
from ledger.chain.bootstrap import bootstrap, load_description
from ledger.chain.deployment import Deployment
from ledger.chain.node import Anvil
from ledger.errors import DeploymentError, ToolchainError
from ledger.keys.keystore import AccountKey, KeystoreError, ensure_passphrase_file, load_key, save_key
from ledger.store.node import KuboNode

#: Seed of the demo certificates' random contents.
DEMO_SEED = 20261123
#: The fixed passphrase of demo keystores written before passphrases were generated: such key files are
#: re-encrypted under the generated passphrase when the demo first starts with one.
_LEGACY_PASSPHRASE = "hurong-demo"  # noqa: S105 (only to re-encrypt old demo files under a generated one)
#: What the demo keeps in its home folder (made private on every start).
_PRIVATE_ENTRIES = ("demo.json", "accounts.json", KEYS_FILE, f"{KEYS_FILE}-wal", f"{KEYS_FILE}-shm",
                    "index.sqlite", "index.sqlite-wal", "index.sqlite-shm", "chain", "deployments", "journals",
                    "keystore", "logs", "metrics", "secrets", "store")  # fmt: skip

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


def _agency_credit_code(region: int, address: str) -> str:
    """A demo agency's unified social credit code (a 机关 registered in its region), made up from its address:
    valid in form, no real organ's."""
    digest = hashlib.sha256(address.lower().encode()).digest()
    body = f"11{region:06d}" + "".join(USCC_CHARSET[b % len(USCC_CHARSET)] for b in digest[:9])
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


def demo_batches(
    provinces: list[dict[str, Any]], certificates: int, seed: int = DEMO_SEED
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The demo licences of each agency of `provinces` (as in `demo.json`), in issuing order: about
    `certificates` in all, the same on every call."""
    rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not a secret)
    agencies = [(p, a) for p in provinces for a in p["agencies"]]
    per_agency = max(1, certificates // len(agencies))
    return [
        (agency, [demo_licence(rng.choice(agency["certificate_types"]), int(province["code"]), rng)
                  for _ in range(per_agency)])
        for province, agency in agencies
    ]  # fmt: skip


def make_private(home: Path) -> None:
    """Make what the demo keeps in `home` its owner's only: folders 0700, files 0600, and the home folder itself
    once it holds a demo."""
    if (home / "demo.json").is_file():
        os.chmod(home, 0o700)
    for name in _PRIVATE_ENTRIES:
        entry = home / name
        if entry.is_symlink() or not entry.exists():
            continue
        if entry.is_file():
            os.chmod(entry, 0o600)
            continue
        os.chmod(entry, 0o700)
        for folder, dirs, files in os.walk(entry):
            for d in dirs:
                if not os.path.islink(os.path.join(folder, d)):
                    os.chmod(os.path.join(folder, d), 0o700)
            for f in files:
                if not os.path.islink(os.path.join(folder, f)):
                    os.chmod(os.path.join(folder, f), 0o600)


class _NetworkChain:
    """The demo's chain as a Clique validator network in `home` (`ledger.network`), made on the first start."""

    def __init__(self, home: Path, validators: int, console: Console) -> None:
        self.home = home
        self.validators = validators
        self.console = console
        self.network: Any = None

    def start(self) -> None:
        from ledger.network import Network

        if (self.home / "network.json").exists():
            self.network = Network.load(self.home)
        else:
            self.network = Network.create(self.home, validators=self.validators)
        self.network.up(log=lambda m: self.console.print(f"  {m}"))

    def stop(self) -> None:
        if self.network is not None:
            self.network.down()

    @property
    def url(self) -> str:
        return str(self.network.url)

    @property
    def urls(self) -> list[str]:
        return [str(node.rpc) for node in self.network.nodes]

    @property
    def chain_id(self) -> int:
        return int(self.network.chain_id)

    def alive(self) -> bool:
        return self.network is not None and bool(self.network.running())


class Demo:
    def __init__(self, home: Path, config: Path, *, chain_port: int, api_port: int, workers: int,
                 certificates: int, console: Console, network: int = 0, tls: bool = False) -> None:  # fmt: skip
        self.home = home
        #: Serve HTTPS with a self-signed pair for this machine (`<home>/tls`, `api.tls.self_signed_pair`).
        self.tls = tls
        self.config = config
        self.console = console
        self.api_port = api_port
        self.workers = workers
        self.certificates = certificates
        self.spec = load_description(config)
        # The chain: anvil (state kept in `home`), or with `network` a Clique network of that many validators.
        self.chain: Any = (
            _NetworkChain(home / "network", network, console) if network
            else Anvil(port=chain_port, accounts=max(20, len(self.spec.accounts)), state=home / "chain" / "state.json",
                       log_file=home / "logs" / "anvil.log")
        )  # fmt: skip
        self.server: subprocess.Popen[bytes] | None = None
        self.passphrase = ""
        self.ipfs = KuboNode(home / "ipfs")  # the document store (scripts/build-kubo.sh builds Kubo)

    @property
    def api_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.api_port}"

    def trust(self) -> ssl.SSLContext | None:
        """With `tls`: a client context trusting the demo's self-signed certificate (made when absent)."""
        if not self.tls:
            return None
        from api.tls import self_signed_pair

        cert, _ = self_signed_pair(self.home / "tls")
        return ssl.create_default_context(cafile=str(cert))

    def run(self, *, wait: bool = True) -> dict[str, Any]:
        os.umask(0o077)  # the chain, the service and this process write for their owner only
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        make_private(self.home)
        self.passphrase = self._passphrase()
        try:
            self.chain.start()
            self.console.print(f"[green]chain[/] {self.chain.url}")
            self._start_store()
            demo = self._setup()
            self._serve()
            if not demo.get("issued"):
                demo["issued"] = self._issue_demo_certificates(demo)
                from api.supervision.seed import seed_usage

                # something real for the /supervision dashboard
                seed_usage(self.api_url, demo, demo_licence, verify=self.trust() or True)
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
        self.ipfs.down()
        self.chain.stop()

    def _start_store(self) -> None:
        """The private IPFS node of the document store; without a Kubo build, the demo runs without a store."""
        try:
            self.ipfs.up()
        except ToolchainError as exc:
            self.console.print(f"[yellow]no document store[/] (IPFS node not started: {exc})")
            return
        self.console.print(f"[green]IPFS node[/] {self.ipfs.api_url} (document store)")

    # ------------------------------------------------------------------ setup (first start only)

    def _setup(self) -> dict[str, Any]:
        demo_path = self.home / "demo.json"
        try:
            deployment = Deployment.for_chain(self.home / "deployments", self.chain.chain_id)
            from ledger.chain.client import make_web3

            w3 = make_web3(self.chain.url)
            if demo_path.is_file() and all(len(w3.eth.get_code(r.address)) for r in deployment.contracts.values()):  # type: ignore[arg-type]
                self.console.print("reusing the consortium and demo data in " + str(self.home))
                data: dict[str, Any] = json.loads(demo_path.read_text(encoding="utf-8"))
                data["api_url"] = self.api_url
                return data
        except (DeploymentError, OSError, ValueError):
            pass
        self.console.print("deploying and bootstrapping the consortium…")
        result = bootstrap(self.spec, self.chain.url, progress=lambda m: self.console.print(f"  {m}"))
        from ledger.audit import deploy_usage_log
        from ledger.chain.client import make_web3

        # the tamper-evident usage log's contract beside the others (recorded in the deployment's extra data)
        deployment, _ = deploy_usage_log(make_web3(self.chain.url), result.keys[self.spec.deployer], result.deployment)
        codes = {result.accounts[a.account]: _agency_credit_code(a.region, result.accounts[a.account])
                 for a in self.spec.agencies}  # fmt: skip
        describe_credit_codes(deployment, codes).save(self.home / "deployments")  # GB/T 36904 issuer codes
        keys = ApiKeyStore(keys_database(self.home))
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
        demo = {"api_url": self.api_url, "chain_url": self.chain.url, "chain_id": result.deployment.chain_id,
                "provinces": provinces, "issued": 0}  # fmt: skip
        self._write(demo)
        return demo

    def _passphrase(self) -> str:
        """The keystore passphrase, generated on the first start; key files still under the fixed passphrase of
        older demos are re-encrypted under it."""
        path = passphrase_file(self.home)
        generated = not path.exists()
        passphrase = ensure_passphrase_file(path)
        if generated:
            for key_file in sorted((self.home / "keystore").glob("0x*.json")):
                try:
                    key = load_key(key_file, _LEGACY_PASSPHRASE)
                except KeystoreError:
                    continue
                save_key(key_file, key, passphrase, overwrite=True)
        return passphrase

    def _store_key(self, private_key: str) -> None:
        key = AccountKey.from_hex(private_key)
        path = self.home / "keystore" / f"{key.address}.json"
        if not path.exists():
            save_key(path, key, self.passphrase)

    def _write(self, demo: dict[str, Any]) -> None:
        """Write `demo.json` (it holds API keys) atomically, readable by its owner only."""
        path = self.home / "demo.json"
        temporary = path.with_name(f".demo.json.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(json.dumps(demo, ensure_ascii=False, indent=1) + "\n")
        os.replace(temporary, path)

    # ------------------------------------------------------------------ service

    def _serve(self) -> None:
        env = service_env(rpc_url=self.chain.url, home=self.home)
        if self.ipfs.running():
            env["HURONG_STORE"] = f"ipfs:{self.ipfs.api_url}"
        if isinstance(self.chain, _NetworkChain):  # the first node, then the others; a stall shows in /health
            env |= {"HURONG_RPC_URLS": ",".join(self.chain.urls),
                    "HURONG_MAX_BLOCK_AGE_SECONDS": str(10 * self.chain.network.block_period)}  # fmt: skip
        if self.tls:
            env |= {"HURONG_SSL_CERTFILE": str(self.home / "tls" / "cert.pem"),
                    "HURONG_SSL_KEYFILE": str(self.home / "tls" / "key.pem")}  # fmt: skip
        self.server = start_service(
            env, port=self.api_port, workers=self.workers, log=self.home / "logs" / "service.log", trust=self.trust()
        )

    def _issue_demo_certificates(self, demo: dict[str, Any]) -> int:
        issued = 0
        with httpx.Client(base_url=self.api_url + "/api/v1", timeout=300, verify=self.trust() or True) as http:
            for agency, records in demo_batches(demo["provinces"], self.certificates):
                # One key per agency's demo batch: a demo restarted half-way replays what it issued already
                # instead of being refused as a duplicate licence.
                headers = {"X-API-Key": agency["api_key"], "Idempotency-Key": f"demo-{agency['address']}"}
                response = http.post("/certificates", json={"certificates": records}, headers=headers)
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
        self.console.print(f"  chain          {self.chain.url}")
        self.console.print(f"  demo data      {self.home / 'demo.json'} (API keys of every agency and province)")

    def _chain_alive(self) -> bool:
        if isinstance(self.chain, _NetworkChain):
            return self.chain.alive()
        return self.chain.process is not None and self.chain.process.poll() is None

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
            if not self._chain_alive():
                self.console.print("[red]the chain stopped[/]")
                return
        self.console.print("stopping…")
