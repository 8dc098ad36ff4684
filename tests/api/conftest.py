"""A real Hurong service (uvicorn in its own process, on a free loopback port) over a real anvil chain with the
test consortium, its agencies' chain keys in an encrypted keystore, and API keys for agencies and provinces."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.keys import ApiKeyStore
from api.launcher import service_env, start_service, stop_service
from ledger.chain.bootstrap import BootstrapResult, bootstrap, parse_description
from ledger.chain.client import HurongClient
from ledger.chain.node import Anvil, free_port
from ledger.keys.keystore import AccountKey, save_key
from tests.conftest import SUSPENDED_PROVINCE, WORLD

PASSPHRASE = "correct horse battery staple 马"
SIGNERS = ["sh_amr", "sh_pudong", "zj_amr", "gd_amr", "sh_admin", "zj_admin", "sh_suspended"]


@dataclass
class Server:
    url: str
    chain: Anvil
    result: BootstrapResult
    home: Path
    keys: dict[str, str]  # account name -> API key
    process: subprocess.Popen[bytes]

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def client(self, name: str | None = None) -> httpx.Client:
        headers = {"X-API-Key": self.keys[name]} if name else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=120)

    def chain_client(self, name: str | None = None) -> HurongClient:
        reader = HurongClient.connect(self.chain.url, self.result.deployment)
        return reader.as_account(self.result.keys[name]) if name else reader

    def addr(self, name: str) -> str:
        return self.result.accounts[name]

    def wait_indexed(self, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.client() as http:
            while True:
                health = http.get("/health").json()
                if health["indexedBlock"] >= health["headBlock"] or time.monotonic() > deadline:
                    return health
                time.sleep(0.05)


def start_server(
    home: Path, chain: Anvil, extra_env: dict[str, str] | None = None, *, workers: int = 1, port: int | None = None
) -> tuple[str, Any]:
    port = port or free_port()
    env = service_env(rpc_url=chain.url, home=home, passphrase=PASSPHRASE, HURONG_BATCH_MAX_WAIT="0.05",
                      **(extra_env or {}))  # fmt: skip
    process = start_service(env, port=port, workers=workers, log=home / f"server-{port}.log")
    return f"http://127.0.0.1:{port}", process


def prepare_home(
    home: Path, chain: Anvil, result: BootstrapResult | None = None
) -> tuple[BootstrapResult, dict[str, str]]:
    """Bootstrap the test consortium on `chain` (unless `result` is one already bootstrapped there) and lay out a
    service home for it: deployment, keystore of the signing accounts, API keys (returned by account name)."""
    result = result or bootstrap(parse_description(WORLD), chain.url)
    admin = HurongClient.connect(chain.url, result.deployment, result.keys["sh_admin"])
    admin.authorities.suspend_agency(result.accounts["sh_suspended"], 1).wait()
    result.deployment.save(home / "deployments")
    for name in SIGNERS:
        key = AccountKey.from_hex(result.keys[name])
        save_key(home / "keystore" / f"{key.address}.json", key, PASSPHRASE)
    store = ApiKeyStore(home / "api-keys.sqlite")
    keys = {name: store.create("agency", result.accounts[name], name)[0] for name in SIGNERS if "admin" not in name}
    keys |= {"sh_admin": store.create("province", "310000")[0], "zj_admin": store.create("province", "330000")[0],
             "bj_admin": store.create("province", str(SUSPENDED_PROVINCE))[0],
             "outsider": store.create("agency", result.accounts["outsider"])[0]}  # fmt: skip
    revoked, principal = store.create("agency", result.accounts["sh_amr"], "revoked")
    store.revoke(principal.key_id)
    keys["revoked"] = revoked
    return result, keys


@contextlib.contextmanager
def own_server(home: Path, extra_env: dict[str, str] | None = None, *, workers: int = 1) -> Iterator[Server]:
    """A chain of its own with the test consortium, and a service over it; both stopped on exit."""
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result, keys = prepare_home(home, chain)
        url, process = start_server(home, chain, extra_env, workers=workers)
        try:
            yield Server(url, chain, result, home, keys, process)
        finally:
            stop_service(process)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("service")) as running:
        yield running


#: Debian's Chromium, and the flags it runs headless with in the page tests (no sandbox as root, no traffic of its own).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the page tests of a module (skipped where playwright is not installed)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()
