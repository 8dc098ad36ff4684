"""`hurong` subcommands for certificates: issue, verify, status changes, redaction, QR codes, signing keys."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledger.certificates.model import FIELD_ALIASES
from ledger.chain.client import HurongClient, chain_id_of, make_web3
from ledger.chain.deployment import Deployment
from ledger.errors import LedgerValueError

console = Console(soft_wrap=True)

RpcOption = Annotated[str, typer.Option("--rpc", help="JSON-RPC endpoint", envvar="HURONG_RPC_URL")]
DeploymentsOption = Annotated[
    Path | None, typer.Option("--deployments", help="Folder of deployment records", envvar="HURONG_DEPLOYMENTS")
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="Encrypted key file of the agency's chain account (else $HURONG_PRIVATE_KEY)"),
]
DEFAULT_RPC = "http://127.0.0.1:8545"


def deployments_folder(value: Path | None) -> Path:
    if value is not None:
        return value
    local = Path(".hurong") / "deployments"
    return local if local.is_dir() else Path("deployments")


def connect(rpc: str, deployments: Path | None, private_key: str | None = None) -> HurongClient:
    w3 = make_web3(rpc)
    chain_id = chain_id_of(w3)
    deployment = Deployment.for_chain(deployments_folder(deployments), chain_id)
    return HurongClient.connect(w3, deployment, private_key)


def account_key(key_file: Path | None) -> str:
    if key_file is not None:
        from ledger.keys.keystore import load_account_key, passphrase_from_env_or_prompt

        return load_account_key(key_file, passphrase_from_env_or_prompt())
    key = os.environ.get("HURONG_PRIVATE_KEY")
    if not key:
        raise LedgerValueError("give the agency's account with --key-file FILE or $HURONG_PRIVATE_KEY")
    return key


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LedgerValueError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LedgerValueError(f"{path} is not valid UTF-8 JSON: {exc}") from None


def read_inputs(paths: list[Path]) -> list[dict[str, Any]]:
    """Unsigned credentials or licence records from JSON (object or list) and CSV files."""
    records: list[dict[str, Any]] = []
    for path in paths:
        if path.suffix.lower() == ".csv":
            try:
                with path.open(encoding="utf-8-sig", newline="") as fh:
                    for row in csv.DictReader(fh):
                        records.append(_csv_record(row))
            except OSError as exc:
                raise LedgerValueError(f"cannot read {path}: {exc.strerror}") from None
            except (csv.Error, UnicodeDecodeError) as exc:
                raise LedgerValueError(f"{path} is not a valid UTF-8 CSV file: {exc}") from None
        else:
            data = read_json(path)
            items = data if isinstance(data, list) else [data]
            for item in items:
                if not isinstance(item, dict):
                    raise LedgerValueError(f"{path}: every record must be a JSON object")
                records.append(item)
    return records


#: CSV columns of the standard licence fields (snake_case or camelCase), as the licence model names them.
_CSV_COLUMNS = {**FIELD_ALIASES, **{camel: camel for camel in FIELD_ALIASES.values()}}


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    """A licence record from a CSV row: the standard columns, other columns as type-specific fields
    (values that parse as JSON arrays or objects are taken as such)."""
    record: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or value is None or value == "":
            continue
        key = _CSV_COLUMNS.get(column.strip(), column.strip())
        if column.strip() in _CSV_COLUMNS:
            record[key] = value.strip()
        else:
            text = value.strip()
            if text.startswith(("[", "{")):
                try:
                    fields[key] = json.loads(text)
                    continue
                except json.JSONDecodeError:
                    pass
            fields[key] = text
    if fields:
        record["fields"] = fields
    return record


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def register(app: typer.Typer) -> None:  # noqa: C901 (one function registering the commands)
    @app.command("issue")
    def issue_cmd(
        inputs: Annotated[
            list[Path] | None,
            typer.Argument(help="JSON or CSV files of licences or unsigned credentials (none: only recover)"),
        ] = None,
        out: Annotated[Path, typer.Option(help="Folder for the wrapped certificates (<digest>.json)")] = Path(
            "certificates"
        ),
        journal: Annotated[Path, typer.Option(help="Issuance journal (SQLite)")] = Path(".hurong/journal.sqlite"),
        suite: Annotated[str, typer.Option(help="Hash suite: default (SHA-256) or sm (SM3)")] = "default",
        batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Certificates per anchored root")] = 10_000,
        signing_key: Annotated[Path | None, typer.Option(help="Encrypted signing key file (Ed25519 / SM2)")] = None,
        store: Annotated[Path | None, typer.Option(help="Folder of the content-addressed manifest store")] = None,
        rpc: RpcOption = DEFAULT_RPC,
        deployments: DeploymentsOption = None,
        key_file: KeyFileOption = None,
    ) -> None:
        """Issue certificates: validate, salt, hash, anchor one Merkle root per batch, write them wrapped."""
        from ledger.certificates import build_credential
        from ledger.issuance.issuer import Issuer
        from ledger.issuance.journal import Journal
        from ledger.issuance.store import LocalStore

        client = connect(rpc, deployments, account_key(key_file))
        assert client.address is not None
        signer = _root_signer(signing_key, client.address) if signing_key is not None else None
        issuer = Issuer(
            client,
            Journal(journal),
            suite=suite,
            signer=signer,
            store=LocalStore(store) if store else None,
            max_batch=batch_size,
        )
        out.mkdir(parents=True, exist_ok=True)
        recovered = issuer.reconcile()
        for batch in recovered:
            _write_certificates(out, batch.certificates)
            console.print(f"recovered batch {batch.batch_id}: {len(batch.certificates)} certificates anchored")
        records = read_inputs(inputs or [])
        if not records:
            if not recovered:
                console.print("nothing to issue; the journal has no pending batch")
            return
        agency = client.authorities.agency(client.address)
        credentials = []
        for record in records:
            if "@context" in record:
                credentials.append(record)
            else:
                credentials.append(
                    build_credential(
                        record,
                        issuer_address=client.address,
                        chain_id=client.deployment.chain_id,
                        issuer_name=agency.name,
                        registry=client.certificates.address,
                    )  # fmt: skip
                )
        with _progress() as progress:
            tasks: dict[str, Any] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done)

            wrapped = issuer.issue(credentials, progress=report)
        _write_certificates(out, wrapped)
        roots = sorted({w["proof"]["merkleRoot"] for w in wrapped})
        console.print(f"[green]issued {len(wrapped)} certificates[/] in {len(roots)} batch(es) → {out}/")

    @app.command("verify")
    def verify_cmd(
        files: Annotated[list[Path], typer.Argument(help="Wrapped certificates (.json) or QR images (.png, .jpg)")],
        province: Annotated[int | None, typer.Option(help="Accepting province (GB/T 2260 code)")] = None,
        service_item: Annotated[str | None, typer.Option(help="Service item code")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")] = False,
        resolve: Annotated[Path | None, typer.Option(help="Folder resolving QR references (<digest>.json)")] = None,
        block: Annotated[
            int | None, typer.Option(min=0, help="Verify as of this block: its state, and validity at its time")
        ] = None,
        at: Annotated[
            str | None,
            typer.Option(
                help="Verify as of this RFC 3339 time (e.g. 2025-06-01T08:00:00+08:00): the chain at the last "
                "block at or before it, validity and recognition at that time"
            ),
        ] = None,
        rpc: RpcOption = DEFAULT_RPC,
        deployments: DeploymentsOption = None,
    ) -> None:
        """Verify certificates; exit status 0 only when every one is VALID."""
        from ledger.certificates.qr import decode_payload, folder_resolver, read_qr
        from ledger.verification.verifier import VALID, VerificationContext, Verifier, parse_time

        if block is not None and at is not None:
            raise LedgerValueError("give --block or --at, not both")
        when = parse_time(at) if at is not None else None  # refuse a malformed time before reading any file
        context = VerificationContext(province, service_item) if province or service_item else None
        documents: list[Any] = []
        for path in files:
            if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"):
                documents.append(decode_payload(read_qr(path), folder_resolver(resolve) if resolve else None))
            else:
                documents.append(read_json(path))
        verifier = Verifier(connect(rpc, deployments))
        point: int | str = block if block is not None else "latest"
        results = (
            [verifier.verify(documents[0], context, block=point, at=when)]
            if len(documents) == 1
            else verifier.verify_many(documents, context, block=point, at=when)
        )
        if as_json:
            payload = [r.to_json() | {"file": str(f)} for r, f in zip(results, files, strict=True)]
            sys.stdout.write(json.dumps(payload if len(payload) > 1 else payload[0], ensure_ascii=False, indent=1))
            sys.stdout.write("\n")
        else:
            for path, result in zip(files, results, strict=True):
                _print_result(path, result)
        raise typer.Exit(0 if all(r.verdict == VALID for r in results) else 1)

    @app.command("redact")
    def redact_cmd(
        file: Annotated[Path, typer.Argument(help="Wrapped certificate")],
        hide: Annotated[list[str], typer.Option("--hide", help="JSON Pointer of a field or object to hide")],
        out: Annotated[Path, typer.Option(help="Where to write the redacted certificate")],
    ) -> None:
        """Hide fields of a certificate (selective disclosure); the result still verifies."""
        from ledger.certificates.hashing import redact

        redacted = redact(read_json(file), hide)
        out.write_text(json.dumps(redacted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        console.print(f"[green]hid {len(hide)} field(s)[/] → {out}")

    @app.command("qr")
    def qr_cmd(
        file: Annotated[Path, typer.Argument(help="Wrapped certificate")],
        out: Annotated[Path, typer.Option(help="PNG or SVG file to write")],
        reference: Annotated[bool, typer.Option(help="Encode a compact reference even if the document fits")] = False,
        scale: Annotated[int, typer.Option(min=1, max=40, help="Pixels per module")] = 4,
    ) -> None:
        """Export a certificate as a QR code (the document, or a compact reference if it is too large)."""
        from ledger.certificates.qr import write_qr

        kind = write_qr(read_json(file), out, scale=scale, force_reference=reference)
        console.print(f"[green]QR code with the {kind}[/] → {out}")

    @app.command("status")
    def status_cmd(
        file: Annotated[Path, typer.Argument(help="Wrapped certificate")],
        rpc: RpcOption = DEFAULT_RPC,
        deployments: DeploymentsOption = None,
    ) -> None:
        """Show a certificate's on-chain status record."""
        client = connect(rpc, deployments)
        agency, root, digest, _ = _locate(read_json(file))
        record = client.certificates.certificate_status(agency, root, digest)
        successor = "0x" + record.successor.hex() if record.successor else "-"
        console.print(f"status {record.status.name.lower()}  reason {record.reason}  updated {record.updated_at}"
                      f"  successor {successor}")  # fmt: skip

    def change(action: str) -> None:
        @app.command(action)
        def change_cmd(
            file: Annotated[Path, typer.Argument(help="Wrapped certificate")],
            reason: Annotated[str, typer.Option(help="Reason code (number or name, e.g. fraud)")] = "unspecified",
            successor: Annotated[str | None, typer.Option(help="Digest of the replacement (supersede)")] = None,
            rpc: RpcOption = DEFAULT_RPC,
            deployments: DeploymentsOption = None,
            key_file: KeyFileOption = None,
        ) -> None:
            from ledger.certificates.reasons import parse_reason

            client = connect(rpc, deployments, account_key(key_file))
            agency, root, digest, path = _locate(read_json(file))
            code = int(parse_reason(reason))
            certs = client.certificates
            if action == "supersede":
                if successor is None:
                    raise LedgerValueError("supersede needs --successor DIGEST")
                pending = certs.supersede(agency, root, digest, path, successor, code)
            elif successor is not None:
                raise LedgerValueError("--successor is only for supersede")
            else:
                pending = getattr(certs, action)(agency, root, digest, path, code)
            receipt = pending.wait()
            console.print(f"[green]{action} done[/] in block {receipt.block_number} (tx {receipt.tx_hash})")

        change_cmd.__doc__ = f"{action.capitalize()} a certificate (as its agency or its province admin)."

    for action in ("revoke", "suspend", "reinstate", "supersede"):
        change(action)


def _root_signer(key_file: Path, agency: str) -> Callable[[bytes], dict[str, Any]]:
    """Signs Merkle roots with the signing key in `key_file`, naming its registry id for `agency`."""
    from ledger.keys.keystore import load_signing_key, passphrase_from_env_or_prompt
    from ledger.keys.signing import sign_root

    pair = load_signing_key(key_file, passphrase_from_env_or_prompt("HURONG_SIGNING_PASSPHRASE"))
    return lambda root: sign_root(pair, root, agency=agency)


def _locate(document: Any) -> tuple[str, str, str, list[str]]:
    from ledger.certificates.did import parse_agency_did

    try:
        proof = document["proof"]
        _, agency = parse_agency_did(document["issuer"]["id"])
        return agency, proof["merkleRoot"], proof["digest"], list(proof["merklePath"])
    except (TypeError, KeyError) as exc:
        raise LedgerValueError(f"not a wrapped Hurong certificate (missing {exc})") from None


def _write_certificates(out: Path, documents: list[dict[str, Any]]) -> None:
    for doc in documents:
        path = out / f"{doc['proof']['digest']}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _print_result(path: Path, result: Any) -> None:
    colour = {"VALID": "green", "INVALID": "red", "NOT_RECOGNIZED": "yellow"}[result.verdict]
    table = Table("check", "outcome", "code", "message", title=f"{path.name}: [{colour}]{result.verdict}[/]")
    marks = {"passed": "[green]passed[/]", "failed": "[red]failed[/]", "skipped": "[dim]skipped[/]"}
    for check in result.checks:
        table.add_row(check.name, marks[check.outcome], check.code, check.message)
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning {warning.code}:[/] {warning.message}")
    judged = f", judged as of {_iso(result.at)}" if result.at is not None and result.at != result.checked_at else ""
    console.print(f"[dim]read at block {result.block_number} ({result.block_hash}){judged}[/]")


def _iso(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
