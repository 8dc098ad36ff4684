"""The phases of a comparison (issuance at each batch size, the probes, verification by the libraries and by
Hurong's service), the whole run (`compare`) and what makes it fail (`failures_of`)."""

from __future__ import annotations

import copy
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import wrk
from bench.common import Report, percentiles_ms, write_json
from bench.compare.chain import CASES, SharedChain, hurong_service, never_issued_hurong, tamper_hurong
from bench.compare.peer import ensure_peer, oa_document, tamper_peer
from bench.compare.report import table_rows
from bench.consortium import ACCEPTING_PROVINCE, sample_licence


def _verdict(answer: dict[str, Any]) -> str:
    """A Hurong answer (library `to_json()` or HTTP) as `VALID`, or its verdict and the failed checks."""
    if answer["verdict"] == "VALID":
        return "VALID"
    failed = [f"{c['name']}:{c['code']}" for c in answer["checks"] if c["outcome"] == "failed"]
    return f"{answer['verdict']} {','.join(failed)}"


def default_batches(n: int) -> list[int]:
    return [b for b in (1, 100, 1_000, 10_000) if b <= max(n, 1) and (b < 10_000 or n >= 10_000)]


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
        from ledger.verification.verifier import VerificationContext

        self.chain, self.n, self.batches, self.report = chain, n, list(batches), report
        self.concurrency, self.single, self.warmup, self.repeat = concurrency, single, warmup, repeat
        self.tmp = chain.workdir
        self.context = VerificationContext(province=ACCEPTING_PROVINCE)
        licences = [sample_licence(i) for i in range(n + 2)]  # n to issue, 2 probes (revoked, never issued)
        self.credentials = [chain.credential(lic) for lic in licences]
        self.raw = [oa_document(c, lic, chain.store_address) for c, lic in zip(self.credentials, licences, strict=True)]
        self.raw_path = write_json(self.tmp / "raw.json", self.raw[:n])
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
        revoked_in = write_json(tmp / "probe-revoked.json", [self.raw[n]])
        chain.peer("issue.js", "--in", str(revoked_in), "--batch", "1", "--out", str(tmp / "probe-revoked-out.json"))
        revoked_p = json.loads((tmp / "probe-revoked-out.json").read_text("utf-8"))[0]
        chain.peer("revoke.js", "--hash", revoked_p["signature"]["targetHash"])
        never_in = write_json(tmp / "probe-never.json", [self.raw[n + 1]])
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
            **percentiles_ms(latencies),
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
        probe_path = write_json(self.tmp / "peer-probes.json", list(probes_p.values()))
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
        path = write_json(self.tmp / "peer-verify.json", list(docs))
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
            wrk.post_each(base + "/verify", bodies, seconds=2, connections=connections)  # warm-up
            h_http = wrk.post_each(base + "/verify", bodies, seconds=seconds, connections=connections)
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
                    **percentiles_ms(timings),
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
