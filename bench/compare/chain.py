"""The shared chain of a comparison (one anvil: Hurong's one-agency consortium and the peer's DocumentStore),
Hurong's service on it, and Hurong's forgeries."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api.launcher import service_env, start_service, stop_service
from bench.compare.peer import run_peer
from bench.consortium import ISSUER, ISSUER_NAME, one_agency

#: The certificates every verifier is shown: a valid one, and three forgeries it must reject.
CASES = ("valid", "tampered", "never_issued", "revoked")


class BenchmarkFailure(RuntimeError):
    """The run cannot measure what it should (the Hurong service did not come up)."""


def tamper_hurong(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["credentialSubject"]["holderName"] += "X"
    return out


def never_issued_hurong(credential: dict[str, Any], chain_id: int, registry: str) -> dict[str, Any]:
    """A well-formed wrapped certificate (salted, hashed, its own one-leaf tree) whose root was never anchored."""
    from ledger.certificates.hashing import salt_fields
    from ledger.certificates.merkle import MerkleTree
    from ledger.issuance.issuer import PROOF_TYPE

    doc: dict[str, Any] = json.loads(json.dumps(credential, ensure_ascii=False))
    salts, digest = salt_fields(doc, "default")
    tree = MerkleTree([digest])
    doc["proof"] = {
        "type": PROOF_TYPE,
        "suite": "default",
        "digest": "0x" + digest.hex(),
        "salts": salts,
        "obfuscated": [],
        "merkleRoot": "0x" + tree.root.hex(),
        "merklePath": ["0x" + h.hex() for h in tree.proof(digest)],
        "chainId": chain_id,
        "registry": registry,
    }
    return doc


class SharedChain:
    """One anvil with Hurong's one-agency consortium (`bench.consortium.one_agency`) and the peer's DocumentStore."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def __enter__(self) -> SharedChain:
        from ledger.chain.bootstrap import bootstrap, parse_description
        from ledger.chain.client import HurongClient
        from ledger.chain.node import Anvil

        description = one_agency()
        accounts = len(description["accounts"])
        self.anvil = Anvil(accounts=accounts + 1).start()
        try:
            self.result = bootstrap(parse_description(description), self.anvil.url)
            self.agency = HurongClient.connect(self.anvil.url, self.result.deployment, self.result.keys[ISSUER])
            self.reader = HurongClient.connect(self.anvil.url, self.result.deployment)
            self.peer_key = self.anvil.private_keys()[accounts]  # an account of its own: no nonce races
            self.store = run_peer("deploy.js", "--rpc", self.anvil.url, "--key", self.peer_key, "--name", ISSUER_NAME)
        except BaseException:
            self.anvil.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.anvil.stop()

    @property
    def url(self) -> str:
        return self.anvil.url

    @property
    def store_address(self) -> str:
        return str(self.store["address"])

    def credential(self, licence: dict[str, Any]) -> dict[str, Any]:
        from ledger.certificates import build_credential

        assert self.agency.address is not None
        return build_credential(
            licence,
            issuer_address=self.agency.address,
            chain_id=self.agency.deployment.chain_id,
            issuer_name=ISSUER_NAME,
            registry=self.agency.certificates.address,
        )

    def issuer(self, batch: int, name: str) -> Any:
        from ledger.issuance.issuer import Issuer
        from ledger.issuance.journal import Journal

        return Issuer(self.agency, Journal(self.workdir / f"{name}.sqlite"), max_batch=batch)

    def gas_of(self, docs: Sequence[dict[str, Any]]) -> list[int]:
        """gasUsed of each distinct anchoring transaction of `docs`, from its receipt, in order."""
        hashes = list(dict.fromkeys(d["proof"]["anchor"]["transactionHash"] for d in docs))
        return [int(self.reader.w3.eth.get_transaction_receipt(h)["gasUsed"]) for h in hashes]

    def peer(self, script: str, *args: str) -> dict[str, Any]:
        return run_peer(script, "--rpc", self.url, "--key", self.peer_key, "--store", self.store_address, *args)


@contextmanager
def hurong_service(chain: SharedChain, *, workers: int) -> Iterator[str]:
    """`hurong serve` (uvicorn, `workers` processes) on the shared chain, started as `hurong bench api` starts it;
    yields the API's base URL once its index has caught up with the chain."""
    from ledger.chain.node import free_port

    home = Path(tempfile.mkdtemp(prefix="hurong-compare-api-"))
    try:
        chain.result.deployment.save(home / "deployments")
        port = free_port()
        head = int(chain.reader.w3.eth.block_number)
        base = f"http://127.0.0.1:{port}/api/v1"
        log = home / "service.log"
        server = start_service(service_env(rpc_url=chain.url, home=home), port=port, workers=workers, log=log,
                               timeout=120)  # fmt: skip
        try:
            _wait_for_index(base, head, server.poll, log)
            yield base
        finally:
            stop_service(server)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _wait_for_index(base: str, head: int, exited: Any, log: Path, timeout: float = 120) -> None:
    """Wait until the service at `base` has indexed block `head`."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            health = httpx.get(base + "/health", timeout=2)
            if health.status_code == 200 and health.json()["indexedBlock"] >= head:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or exited() is not None:
            log_text = log.read_text(errors="replace")[-2000:]
            raise BenchmarkFailure(f"the Hurong service did not start or index the chain: {log_text}")
        time.sleep(0.1)
