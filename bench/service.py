"""`hurong bench api`: the running service under load from `wrk` on the same machine.

Sets up its own chain, consortium and service (uvicorn, uvloop + httptools, N workers) in a temporary
folder, issues certificates through the API, then measures `POST /api/v1/verify` with wrk (requests/s,
p50/p99 latency) and `POST /api/v1/verify/bulk` (certificates/s).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from api.demo import demo_licence
from api.keys import ApiKeyStore, keys_database
from api.launcher import passphrase_file, service_env, start_service, stop_service
from ledger.chain.bootstrap import bootstrap, load_description
from ledger.chain.node import Anvil, free_port
from ledger.errors import ToolchainError
from ledger.keys.keystore import AccountKey, ensure_passphrase_file, save_key

Report = Callable[[str], None]

_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
"""


def _percentile_ms(text: str, label: str) -> float | None:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not match:
        return None
    value, unit = float(match[1]), match[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(url: str, body: dict[str, Any], *, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise ToolchainError("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        body_path = Path(tmp) / "body.json"
        body_path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        script = Path(tmp) / "post.lua"
        script.write_text(_LUA.format(body=body_path), encoding="utf-8")
        proc = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        )  # fmt: skip
    if proc.returncode != 0:
        raise ToolchainError(f"wrk failed: {proc.stderr}")
    text = proc.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {
        "requests_per_second": float(rps[1]) if rps else 0.0,
        "p50_ms": _percentile_ms(text, "50%"),
        "p99_ms": _percentile_ms(text, "99%"),
        "non_2xx": int(non2xx[1]) if non2xx else 0,
        "socket_errors": errors[0] if errors else None,
        "connections": connections,
        "seconds": seconds,
    }


def bench_api(
    *, workers: int = 2, certificates: int = 2_000, seconds: int = 10, connections: int = 64, report: Report = print
) -> dict[str, Any]:
    import random

    figures: dict[str, Any] = {"workers": workers}
    home = Path(tempfile.mkdtemp(prefix="hurong-bench-api-"))
    spec = load_description(Path(__file__).resolve().parent.parent / "examples" / "demo.yaml")
    try:
        with Anvil(accounts=20) as chain:
            result = bootstrap(spec, chain.url)
            result.deployment.save(home / "deployments")
            agency = "sh_amr"
            key = AccountKey.from_hex(result.keys[agency])
            passphrase = ensure_passphrase_file(passphrase_file(home))
            save_key(home / "keystore" / f"{key.address}.json", key, passphrase)
            api_key, _ = ApiKeyStore(keys_database(home)).create("agency", key.address)
            port = free_port()
            env = service_env(rpc_url=chain.url, home=home)
            server = start_service(env, port=port, workers=workers, log=home / "service.log")
            base = f"http://127.0.0.1:{port}/api/v1"
            try:
                rng = random.Random(7)
                records = [demo_licence("business_licence", 310000, rng) for _ in range(certificates)]
                started = time.perf_counter()
                with httpx.Client(base_url=base, timeout=300, headers={"X-API-Key": api_key}) as http:
                    issued = http.post("/certificates", json={"certificates": records})
                if issued.status_code != 201:
                    raise ToolchainError(f"issuing failed: {issued.text}")
                elapsed = time.perf_counter() - started
                docs = issued.json()["data"]
                figures["issue_certificates_per_second"] = round(len(docs) / elapsed)
                report(f"POST /certificates: {len(docs):,} certificates in {elapsed:.2f}s "
                       f"({len(docs) / elapsed:,.0f}/s, one request, anchored and indexed)")  # fmt: skip
                body = {"certificate": docs[0], "context": {"province": "330000"}}
                check = httpx.post(base + "/verify", json=body).json()
                if check["verdict"] != "VALID":
                    raise ToolchainError(f"the benchmark certificate does not verify: {check}")
                run_wrk(base + "/verify", body, seconds=2, connections=connections, threads=2)  # warm-up
                single = run_wrk(base + "/verify", body, seconds=seconds, connections=connections, threads=2)
                figures["verify"] = single
                report(f"POST /verify: {single['requests_per_second']:,.0f} requests/s, p50 {single['p50_ms']} ms, "
                       f"p99 {single['p99_ms']} ms ({connections} connections, {workers} workers, "
                       f"non-2xx {single['non_2xx']})")  # fmt: skip
                bulk_body = {"certificates": docs[:1000], "context": {"province": "330000"}}
                timings = []
                with httpx.Client(base_url=base, timeout=300) as http:
                    for _ in range(5):
                        t0 = time.perf_counter()
                        answer = http.post("/verify/bulk", json=bulk_body)
                        timings.append(time.perf_counter() - t0)
                        expected = {"VALID": len(bulk_body["certificates"])}
                        if answer.status_code != 200 or answer.json()["verdicts"] != expected:
                            raise ToolchainError(f"bulk verification failed: {answer.text[:500]}")
                per_second = len(bulk_body["certificates"]) / statistics.median(timings)
                figures["bulk_certificates_per_second"] = round(per_second)
                median_ms = statistics.median(timings) * 1000
                report(f"POST /verify/bulk: {per_second:,.0f} certificates/s "
                       f"(1,000 per request, median of 5, {median_ms:.0f} ms each)")  # fmt: skip
            finally:
                stop_service(server)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return figures
