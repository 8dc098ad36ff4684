"""A local consortium for development and demonstration: anvil with persisted state, the contracts deployed
and bootstrapped from a description the first time, and reused on every later start. What it keeps in its home
folder is its owner's only (files 0600, folders 0700); the chain's log holds no private key."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.table import Table

from ledger.chain.bootstrap import bootstrap, load_description
from ledger.chain.client import HurongClient, make_web3
from ledger.chain.deployment import Deployment
from ledger.chain.node import Anvil
from ledger.errors import DeploymentError


class LocalConsortium:
    def __init__(self, *, config: Path, home: Path, port: int = 8545, log: Callable[[str], None] = print) -> None:
        self.config = config
        self.home = home
        self.port = port
        self.log = log
        self.spec = load_description(config)
        accounts = max(20, len(self.spec.accounts))
        self.anvil = Anvil(
            port=port,
            accounts=accounts,
            state=home / "chain" / "state.json",
            log_file=home / "logs" / "anvil.log",
        )
        self.deployment: Deployment | None = None
        self.accounts: dict[str, str] = {}
        self._stop = threading.Event()

    def start(self) -> LocalConsortium:
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.anvil.start()
        records = self.home / "deployments"
        try:
            deployment = Deployment.for_chain(records, self.anvil.chain_id)
            if self._deployed(deployment):
                self.deployment = deployment
                self.accounts = json.loads((self.home / "accounts.json").read_text(encoding="utf-8"))
                self.log(f"reusing the consortium deployed at block {deployment.block_number}")
                return self
        except (DeploymentError, OSError, ValueError):
            pass
        self.log("deploying and bootstrapping the consortium…")
        result = bootstrap(self.spec, self.anvil.url, progress=lambda m: self.log(f"  {m}"))
        result.deployment.save(records)
        self.deployment = result.deployment
        self.accounts = result.accounts
        fd = os.open(self.home / "accounts.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(json.dumps(result.accounts, indent=1))
        return self

    def _deployed(self, deployment: Deployment) -> bool:
        w3 = make_web3(self.anvil.url)
        return all(len(w3.eth.get_code(rec.address)) > 0 for rec in deployment.contracts.values())  # type: ignore[arg-type]

    def client(self) -> HurongClient:
        assert self.deployment is not None
        return HurongClient.connect(self.anvil.url, self.deployment)

    def print_summary(self, console: Console) -> None:
        client = self.client()
        console.print(f"[green]chain[/] {self.anvil.url} (chain id {self.anvil.chain_id})")
        table = Table("contract", "address")
        for name, rec in client.deployment.contracts.items():
            table.add_row(name, rec.address)
        console.print(table)
        provinces = Table("province", "name", "status", "agencies")
        agencies = client.authorities.agencies()
        for p in client.consortium.provinces():
            names = ", ".join(a.name for a in agencies if a.province == p.code)
            provinces.add_row(str(p.code), p.name, p.status.name.lower(), names)
        console.print(provinces)
        console.print(f"{client.recognition.rule_count()} recognition rules; threshold {client.consortium.threshold()}")

    def wait(self) -> None:
        def _stop(*_: Any) -> None:
            self._stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        while not self._stop.wait(0.5):
            proc = self.anvil.process
            if proc is None or proc.poll() is not None:
                self.log("anvil exited")
                return

    def stop(self) -> None:
        self.anvil.stop()

    def __enter__(self) -> LocalConsortium:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
