"""`hurong issue`: licence records or unsigned credentials from JSON and CSV files, issued and anchored."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ledger.certificates.model import FIELD_ALIASES
from ledger.cli.common import (
    DEFAULT_RPC,
    DeploymentsOption,
    KeyFileOption,
    RpcOption,
    account_key,
    connect,
    console,
    err_console,
    read_json,
    write_json,
)
from ledger.errors import LedgerValueError

HomeOption = Annotated[
    Path | None,
    typer.Option(
        help="Folder of identifiers.sqlite (GB/T 36904 serials) and status-lists.sqlite (status list entries): "
        "the service's home, so that it serves the lists of these certificates (default: the journal's folder)",
        envvar="HURONG_HOME",
    ),
]
StatusListBaseOption = Annotated[
    str | None,
    typer.Option(
        help="Base URL of the service publishing the agency's status lists: each certificate then carries a "
        "revocation and a suspension BitstringStatusListEntry under it"
    ),
]


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
    store: Annotated[
        str | None,
        typer.Option(
            help="Document store (encrypted certificates, batch manifests): ipfs:http://HOST:PORT or a folder",
            envvar="HURONG_STORE",
        ),
    ] = None,
    wallet_url: Annotated[
        str | None,
        typer.Option(
            help="Service URL of holder links: writes <digest>.wallet.png, a QR of each", envvar="HURONG_PUBLIC_URL"
        ),
    ] = None,
    home: HomeOption = None,
    status_list_base: StatusListBaseOption = None,
    rpc: RpcOption = DEFAULT_RPC,
    deployments: DeploymentsOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Issue certificates: validate, salt, hash, anchor one Merkle root per batch, write them wrapped. A licence
    record without a GB/T 36904 identifier gets one when the deployment record gives the agency's credit code."""
    from ledger.store import open_store

    base = _base_url(status_list_base) if status_list_base is not None else None
    client = connect(rpc, deployments, account_key(key_file))
    assert client.address is not None
    signer = _root_signer(signing_key, client.address) if signing_key is not None else None
    issuer = _issuer(client, journal, home if home is not None else journal.parent, base, suite=suite, signer=signer,
                     store=open_store(store) if store else None, max_batch=batch_size)  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    recovered = issuer.reconcile()
    for batch in recovered:
        _write_certificates(out, batch.certificates, issuer, wallet_url)
        console.print(f"recovered batch {batch.batch_id}: {len(batch.certificates)} certificates anchored")
    sources: list[str] = []
    records = read_inputs(inputs or [], sources)
    if not records:
        if not recovered:
            console.print("nothing to issue; the journal has no pending batch")
        return
    credentials, supersedes = _checked(issuer, records, sources)
    with _progress() as progress:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)

        wrapped = issuer.issue(credentials, progress=report, replaceable=_replaceable(issuer, credentials, supersedes,
                                                                                      sources))  # fmt: skip
    _write_certificates(out, wrapped, issuer, wallet_url)
    roots = sorted({w["proof"]["merkleRoot"] for w in wrapped})
    console.print(f"[green]issued {len(wrapped)} certificates[/] in {len(roots)} batch(es) → {out}/")
    _supersede(issuer, wrapped, supersedes)


def _issuer(client: Any, journal: Path, home: Path, base: str | None, **options: Any) -> Any:
    """The agency's issuer: identifiers from `home`'s serials (when the deployment record gives the agency's credit
    code), status list entries under `base` (when given) drawn in `home`'s status-lists.sqlite."""
    from ledger.issuance.identifiers import SERIALS_FILE, IdentifyingIssuer, Serials, credit_code
    from ledger.issuance.journal import Journal
    from ledger.issuance.status_entries import STATUS_LISTS_FILE, StatusEntries

    return IdentifyingIssuer(client, Journal(journal), serials=Serials(home / SERIALS_FILE),
                             issuer_code=credit_code(client.deployment, client.address),
                             status_lists=StatusEntries(home / STATUS_LISTS_FILE),
                             status_list_base=(lambda: base) if base is not None else None, **options)  # fmt: skip


def _base_url(url: str) -> str:
    """A status list base URL: http(s), a host, no query or fragment; without its trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment or " " in url:
        raise LedgerValueError(f"--status-list-base must be an http(s) URL such as https://hurong.example, got {url!r}")
    return url.rstrip("/")


def _checked(
    issuer: Any, records: list[dict[str, Any]], sources: list[str]
) -> tuple[list[dict[str, Any]], list[str | None]]:
    """The credentials of `records` and what each supersedes; every problem of every record listed (by file and
    row) and nothing issued when any record is refused."""
    from ledger.issuance.requests import prepare

    prepared = prepare(issuer, records)
    if prepared.problems:
        _print_problems(prepared.problems, sources)
        raise LedgerValueError(f"{prepared.failing} of {len(records)} records are refused; nothing was issued")
    return [c for c in prepared.credentials if c is not None], prepared.supersedes


def _replaceable(
    issuer: Any, credentials: list[dict[str, Any]], supersedes: list[str | None], sources: list[str]
) -> set[bytes]:
    """The journaled certificates the records may take the licence of; refuses a second active certificate of a
    licence (type and number) unless its record names the first in `supersedes`."""
    from ledger.issuance.requests import active_on_chain, check_licences

    checked = check_licences(issuer, credentials, supersedes, active_on_chain(issuer))
    if checked.conflicts:
        _print_problems(checked.conflicts, sources)
        count = len({c["index"] for c in checked.conflicts})
        raise LedgerValueError(f"{count} records conflict with the agency's certificates (name the one a record "
                               "replaces in its `supersedes`); nothing was issued")  # fmt: skip
    return checked.replaceable


def _supersede(issuer: Any, wrapped: list[dict[str, Any]], supersedes: list[str | None]) -> None:
    """Supersede (reason `replaced`) each certificate a record named in `supersedes` by the new one."""
    from ledger.certificates.reasons import Reason
    from ledger.issuance.requests import journaled_proof

    for document, old in zip(wrapped, supersedes, strict=True):
        if old is None:
            continue
        found = journaled_proof(issuer, bytes.fromhex(old[2:]))
        if found is None:
            raise LedgerValueError(f"{old} is not in this journal's anchored batches: supersede it with "
                                   f"`hurong supersede --successor {document['proof']['digest']}`")  # fmt: skip
        root, path = found
        receipt = issuer.client.certificates.supersede(issuer.agency, root, old, path, document["proof"]["digest"],
                                                       int(Reason.REPLACED)).wait()  # fmt: skip
        console.print(f"superseded {old} by {document['proof']['digest']} (replaced) in block {receipt.block_number}")


def _print_problems(problems: list[dict[str, Any]], sources: list[str]) -> None:
    """One line per problem: where the record came from, its JSON Pointer, code and message."""
    from rich.markup import escape

    for problem in problems[:200]:
        where = escape(sources[problem["index"]])
        err_console.print(f"{where}  {escape(problem.get('pointer', ''))}  [bold]{problem['code']}[/]  "
                          f"{escape(problem['message'])}")  # fmt: skip
    if len(problems) > 200:
        err_console.print(f"… and {len(problems) - 200} more problems")


def read_inputs(paths: list[Path], sources: list[str] | None = None) -> list[dict[str, Any]]:
    """Unsigned credentials or licence records from JSON (object or list) and CSV files; `sources`, when given,
    receives where each record came from (`file:line` of a CSV row, `file[index]` of a JSON item)."""
    records: list[dict[str, Any]] = []
    where: list[str] = [] if sources is None else sources
    for path in paths:
        if path.suffix.lower() == ".csv":
            try:
                with path.open(encoding="utf-8-sig", newline="") as fh:
                    reader = csv.DictReader(fh)
                    for row in reader:
                        records.append(_csv_record(row))
                        where.append(f"{path}:{reader.line_num}")
            except OSError as exc:
                raise LedgerValueError(f"cannot read {path}: {exc.strerror}") from None
            except (csv.Error, UnicodeDecodeError) as exc:
                raise LedgerValueError(f"{path} is not a valid UTF-8 CSV file: {exc}") from None
        else:
            data = read_json(path)
            items = data if isinstance(data, list) else [data]
            for index, item in enumerate(items):
                if not isinstance(item, dict):
                    raise LedgerValueError(f"{path}: every record must be a JSON object")
                records.append(item)
                where.append(f"{path}[{index}]" if isinstance(data, list) else str(path))
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


def _root_signer(key_file: Path, agency: str) -> Callable[[bytes], dict[str, Any]]:
    """Signs Merkle roots with the signing key in `key_file`, naming its registry id for `agency`."""
    from ledger.keys.keystore import load_signing_key, passphrase_from_env_or_prompt
    from ledger.keys.signing import sign_root

    pair = load_signing_key(key_file, passphrase_from_env_or_prompt("HURONG_SIGNING_PASSPHRASE"))
    return lambda root: sign_root(pair, root, agency=agency)


def _write_certificates(out: Path, documents: list[dict[str, Any]], issuer: Any, wallet_url: str | None) -> None:
    """Each certificate as `<digest>.json`, and where the store keeps it encrypted, with the key that opens it, as
    `<digest>.document.json` (for the holder: `hurong fetch CID --key KEY`); with `wallet_url`, the holder link
    there too and its QR code as `<digest>.wallet.png`."""
    refs = issuer.document_refs([bytes.fromhex(doc["proof"]["digest"][2:]) for doc in documents])
    for doc in documents:
        write_json(out / f"{doc['proof']['digest']}.json", doc)
        ref = refs.get(bytes.fromhex(doc["proof"]["digest"][2:]))
        if ref is not None:
            write_json(out / f"{doc['proof']['digest']}.document.json", ref.as_dict(wallet_url))
            if wallet_url:
                ref.qr(wallet_url).save(str(out / f"{doc['proof']['digest']}.wallet.png"), scale=4, border=4)
    if refs:
        console.print(f"{len(refs)} 份加密文档已存储 encrypted documents stored", markup=False, highlight=False)
        console.print("  CID and key of each: <digest>.document.json", markup=False, highlight=False)
