"""The benchmarks' consortiums and the licences they issue, written once.

- `one_agency()`: three provinces and one agency (Shanghai's market regulator) with a recognition rule for
  Zhejiang: `hurong bench issue|verify` and `python -m bench.compare`.
- `gas_report()`: the same provinces, a three-level agency tree in Shanghai, a Zhejiang agency and a spare
  account: `hurong gas-report`.
- `served_demo()`: the demo consortium of `examples/demo.yaml` on a fresh anvil with the service in front of it:
  `hurong bench api` and `python -m bench.mixed`.
- `sample_licence(i)`: the business licences every library-level benchmark issues.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.keys import ApiKeyStore, keys_database
from api.launcher import passphrase_file, service_env, start_service, stop_service
from bench.common import ROOT
from ledger.chain.bootstrap import BootstrapResult, bootstrap, load_description
from ledger.chain.node import Anvil, free_port
from ledger.keys.keystore import AccountKey, ensure_passphrase_file, save_key

#: Every account a benchmark consortium names, each a local dev account (`dev:<its index>`).
NAMES = ("deployer", "sh_admin", "zj_admin", "gd_admin", "sh_amr", "sh_city", "sh_district", "zj_amr", "extra")
#: The account of the agency whose certificates the library-level benchmarks issue, and its name.
ISSUER = "sh_amr"
ISSUER_NAME = "上海市市场监督管理局"
#: The province the benchmarks verify for (a recognition rule of `one_agency()` accepts Shanghai's licences).
ACCEPTING_PROVINCE = 330000

_PROVINCES = [
    {"code": 310000, "name": "上海市", "admins": ["sh_admin"]},
    {"code": 330000, "name": "浙江省", "admins": ["zj_admin"]},
    {"code": 440000, "name": "广东省", "admins": ["gd_admin"]},
]
_LICENCE = "business_licence"


def _agency(
    account: str, province: int, region: int, name: str, *types: str, parent: str | None = None
) -> dict[str, Any]:
    agency: dict[str, Any] = {"account": account, "province": province}
    if parent is not None:
        agency["parent"] = parent
    return agency | {"region": region, "name": name, "certificate_types": list(types or [_LICENCE])}


def _description(accounts: int, agencies: list[dict[str, Any]], rules: list[dict[str, Any]]) -> dict[str, Any]:
    """A consortium of the first `accounts` of `NAMES`, the three provinces, `agencies` and `rules` (a new dict)."""
    description: dict[str, Any] = {
        "accounts": {name: f"dev:{i}" for i, name in enumerate(NAMES[:accounts])},
        "deployer": "deployer",
        "threshold": 2,
        "provinces": [dict(p, admins=list(p["admins"])) for p in _PROVINCES],
        "agencies": agencies,
    }
    return description | {"rules": rules} if rules else description


def one_agency() -> dict[str, Any]:
    """Shanghai's market regulator alone, its business licences recognised in Zhejiang (5 accounts)."""
    agency = _agency(ISSUER, 310000, 310000, ISSUER_NAME, _LICENCE, "food_business_licence")
    rule = {"accepting": ACCEPTING_PROVINCE, "issuing": 310000, "certificate_type": _LICENCE,
            "legal_basis": "长三角地区电子证照互认共享合作协议"}  # fmt: skip
    return _description(5, [agency], [rule])


def gas_report() -> dict[str, Any]:
    """Agencies at depth 1, 2 and 3 in Shanghai, one in Zhejiang, and a spare account `extra` (9 accounts)."""
    agencies = [
        _agency(ISSUER, 310000, 310000, ISSUER_NAME),
        _agency("sh_city", 310000, 310115, "浦东新区市场监督管理局", parent=ISSUER),
        _agency("sh_district", 310000, 310115, "张江镇市场监督管理所", parent="sh_city"),
        _agency("zj_amr", 330000, 330000, "浙江省市场监督管理局"),
    ]
    return _description(len(NAMES), agencies, [])


def sample_licence(i: int) -> dict[str, Any]:
    """A realistic business licence of Shanghai (~1.5 KiB, Chinese text) with a valid credit code distinct for
    each `i`."""
    from ledger.certificates.validation import uscc_check_character

    body = f"91310115MA{i % 10**7:07d}"
    code = body + uscc_check_character(body)
    return {
        "licenceNumber": code,
        "certificateType": _LICENCE,
        "holderName": f"上海浦江第{i}科技有限公司",
        "holderId": code,
        "issuingProvince": "310000",
        "issuingRegion": "310115",
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2046-12-31T23:59:59Z",
        "fields": {
            "legalRepresentative": "张三",
            "registeredCapital": "人民币1000万元",
            "businessScope": "许可项目：第二类增值电信业务。一般项目：技术服务、技术开发、技术咨询、技术交流、"
            "技术转让、技术推广；软件开发；信息系统集成服务；数据处理和存储支持服务。",
            "establishedOn": "2016-05-20",
            "address": f"中国（上海）自由贸易试验区张江路{i % 999 + 1}号3幢501室",
            "entityType": "有限责任公司（自然人投资或控股）",
        },
    }


@dataclass(frozen=True)
class ServedDemo:
    """The demo consortium on a fresh anvil, its service's base URL, and an API key for each agency asked for."""

    chain: Anvil
    result: BootstrapResult
    server: subprocess.Popen[bytes]
    base: str
    api_keys: dict[str, str]
    home: Path | None = None


@contextmanager
def served_demo(agencies: list[str], *, workers: int, prefix: str) -> Iterator[ServedDemo]:
    """Bootstrap `examples/demo.yaml` on a fresh anvil, keep the chain keys of `agencies` in a keystore with an
    API key each, and start the service (`workers` uvicorn workers) in a temporary home; all removed on exit."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    spec = load_description(ROOT / "examples" / "demo.yaml")
    try:
        with Anvil(accounts=20) as chain:
            result = bootstrap(spec, chain.url)
            result.deployment.save(home / "deployments")
            passphrase = ensure_passphrase_file(passphrase_file(home))
            store = ApiKeyStore(keys_database(home))
            api_keys = {}
            for name in agencies:
                key = AccountKey.from_hex(result.keys[name])
                save_key(home / "keystore" / f"{key.address}.json", key, passphrase)
                api_keys[name] = store.create("agency", key.address, name)[0]
            port = free_port()
            env = service_env(rpc_url=chain.url, home=home)
            server = start_service(env, port=port, workers=workers, log=home / "service.log")
            try:
                yield ServedDemo(chain, result, server, f"http://127.0.0.1:{port}/api/v1", api_keys, home)
            finally:
                stop_service(server)
    finally:
        shutil.rmtree(home, ignore_errors=True)
