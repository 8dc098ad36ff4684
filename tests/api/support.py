"""Helpers of the hardening tests: more service processes beside the session's (their own settings, a copy of
its home), a service over a chain of its own that a test may stop, and raw HTTP over a socket."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.keys import ApiKeyStore
from api.launcher import service_env, stop_service
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.node import Anvil, free_port
from ledger.keys.keystore import AccountKey, save_key
from tests.api.conftest import PASSPHRASE, Server, start_server
from tests.conftest import WORLD


@dataclass
class Extra:
    """A service process of a test's own: its URL, its home, and the API keys it knows by account name."""

    url: str
    home: Path
    keys: dict[str, str]

    @property
    def api(self) -> str:
        return self.url + "/api/v1"

    def client(self, name: str | None = None) -> httpx.Client:
        headers = {"X-API-Key": self.keys[name]} if name else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=60)


def clone_home(server: Server, home: Path) -> Path:
    """A new service home with the session server's deployment, keystore and API keys (not its index)."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(server.home / "deployments", home / "deployments")
    shutil.copytree(server.home / "keystore", home / "keystore")
    with sqlite3.connect(server.home / "api-keys.sqlite") as source, sqlite3.connect(home / "api-keys.sqlite") as copy:
        source.backup(copy)
    return home


@contextmanager
def extra_server(server: Server, home: Path, env: dict[str, str] | None = None) -> Iterator[Extra]:
    """Another service process over the session's chain, with a copy of its home and `env` settings."""
    url, process = start_server(clone_home(server, home), server.chain, env)
    try:
        yield Extra(url, home, dict(server.keys))
    finally:
        stop_service(process)


@contextmanager
def own_chain_server(
    home: Path, env: dict[str, str] | None = None, *, world: dict[str, Any] | None = None
) -> Iterator[tuple[Extra, Anvil]]:
    """A service over a chain of its own with the test consortium (or `world`), and that chain (a test may stop
    it)."""
    chain = Anvil(accounts=len(WORLD["accounts"]))
    chain.start()
    try:
        result = bootstrap(parse_description(world or WORLD), chain.url)
        result.deployment.save(home / "deployments")
        key = AccountKey.from_hex(result.keys["sh_amr"])
        save_key(home / "keystore" / f"{key.address}.json", key, PASSPHRASE)
        api_key, _ = ApiKeyStore(home / "api-keys.sqlite").create("agency", key.address, "sh_amr")
        url, process = start_server(home, chain, env)
        try:
            yield Extra(url, home, {"sh_amr": api_key}), chain
        finally:
            stop_service(process)
    finally:
        chain.stop()


@contextmanager
def uvicorn_app(server: Server, home: Path, factory: str) -> Iterator[tuple[str, Path]]:
    """uvicorn serving the app that `factory` ("module:function") builds, with the service's settings over the
    session's chain; yields its URL and the file its output goes to."""
    port = free_port()
    env = service_env(rpc_url=server.chain.url, home=clone_home(server, home), passphrase=PASSPHRASE)
    log = home / "uvicorn.log"
    argv = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            try:
                if httpx.get(url + "/api/v1/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the app did not come up"
            time.sleep(0.1)
        yield url, log
    finally:
        stop_service(process)


def raw_request(url: str, head: bytes, body: bytes = b"", *, timeout: float = 5.0) -> tuple[int, bytes]:
    """Send `head` (request line and headers, without the blank line) and `body` over a fresh connection, and
    read the answer until the server closes it or `timeout` passes; the status and the whole answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n\r\n")
        with contextlib.suppress(OSError):  # the server may answer, and close, before taking the whole body
            sock.sendall(body)
        answer = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                break
            if not chunk:
                break
            answer += chunk
            if b"\r\n\r\n" in answer and _complete(answer):
                break
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False
