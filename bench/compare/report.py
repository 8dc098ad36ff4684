"""The figures of a comparison as a table (rows with ratios and targets), printed, as Markdown, as a chart and
as JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, Report, write_json
from bench.compare.chain import CASES


def _ratio(hurong: float | None, peer: float | None) -> float | None:
    if not hurong or not peer:
        return None
    return hurong / peer


#: What a ratio (Hurong / peer) must reach, by target.
_TARGETS: dict[str, Callable[[float], bool]] = {"≥ 10×": lambda r: r >= 10, "≤ 1.25×": lambda r: r <= 1.25}

#: The figures measured at each batch size: label, unit, key, text format, target.
_ISSUANCE = (
    ("issuance end to end", "certificates/s", "certificates_per_second", "{:,.0f}", "≥ 10×"),
    ("gas per anchored root", "gas", "gas_per_root_mean", "{:,.0f}", "≤ 1.25×"),
    ("gas per certificate", "gas", "gas_per_certificate", "{:,.2f}", None),
)


def _row(figure: str, unit: str, h: float, p: float, h_text: str, p_text: str, target: str | None) -> dict[str, Any]:
    ratio = _ratio(h, p)
    met = _TARGETS[target] if target else None
    return {
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


def _with_latency(figures: dict[str, Any], rate: str) -> str:
    return f"{figures[rate]:,.0f} (p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms)"


def table_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per figure: what, Hurong, OpenAttestation, ratio (Hurong / peer), target, met."""
    rows = []
    for label, unit, key, text, target in _ISSUANCE:
        for batch, entry in figures["issuance"].items():
            h, p = entry["hurong"][key], entry["peer"][key]
            rows.append(_row(f"{label}, batch {int(batch):,}", unit, h, p, text.format(h), text.format(p), target))
    return rows + _verification_rows(figures["verification"])


def _verification_rows(v: dict[str, Any]) -> list[dict[str, Any]]:
    rate = "verifications_per_second"
    unit = "verifications/s"
    single_h, single_p = v["library_single"]["hurong"], v["library_single"]["peer"]
    bulk_h, concurrent = v["library_bulk"]["hurong"], v["library_bulk"]["peer"]
    http, bulk = v["http_verify"]["hurong"], v["http_bulk"]["hurong"]
    return [
        _row("verification, library, one at a time (Hurong `verify` / oa-verify)", unit, single_h[rate],
             single_p[rate], _with_latency(single_h, rate), _with_latency(single_p, rate), "≥ 10×"),
        _row(f"verification, library, bulk (`verify_many` / oa-verify ×{concurrent['concurrency']} concurrent)",
             unit, bulk_h[rate], concurrent[rate], f"{bulk_h[rate]:,.0f}", f"{concurrent[rate]:,.0f}", "≥ 10×"),
        _row(f"verification, HTTP `POST /verify`, {http['connections']} connections (peer: no service; its "
             f"oa-verify ×{concurrent['concurrency']} concurrent)", unit, http["requests_per_second"],
             concurrent[rate], _with_latency(http, "requests_per_second"), _with_latency(concurrent, rate), "≥ 10×"),
        _row(f"verification, HTTP `POST /verify/bulk`, {bulk['per_request']:,} per request (peer: as above)", unit,
             bulk["certificates_per_second"], concurrent[rate],
             f"{bulk['certificates_per_second']:,.0f} (p50 {bulk['p50_ms']} ms, p99 {bulk['p99_ms']} ms per request)",
             f"{concurrent[rate]:,.0f}", "≥ 10×"),
    ]  # fmt: skip


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
        "blob store, as `hurong bench issue`); with a manifest (its 32-byte digest) an anchor costs ~370 gas more.",
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
    write_json(json_path, figures, indent=1)
    md_path = out / f"{stem}.md"
    md_path.write_text(markdown(figures, command=command, chart=chart_name), encoding="utf-8")
    return {"json": json_path, "markdown": md_path, "chart": chart}
