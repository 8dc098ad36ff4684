"""`hurong trust-bundle fetch | check`: the service's signed trust bundle, for verifying with no connection
(the verification page keeps one in the browser; these commands keep one in a file)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.common import JsonOption, console, emit_json, format_time, get_json, read_json, refusals, write_json
from ledger.errors import LedgerValueError
from ledger.index import trust_bundle

app = typer.Typer(help="Trust bundles for offline verification (离线核验信任包)", no_args_is_help=True)

#: Largest bundle fetched (a bundle of 10^4 batches and 10^4 status changes is about 4 MB).
MAX_BUNDLE_BYTES = 64 * 1024 * 1024


def _get(url: str) -> Any:
    return get_json(url, limit=MAX_BUNDLE_BYTES, timeout=60.0)


def _key(value: str) -> str:
    """A public key given as 64 hex digits or as a key file (`GET /api/v1/trust-bundle/key`'s answer)."""
    text = value.strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return trust_bundle.parse_public_key(text)
    return trust_bundle.parse_public_key(read_json(Path(value)))


def _summary(payload: dict[str, Any], now: int) -> dict[str, Any]:
    return {
        "generatedAt": payload["generatedAt"],
        "ageSeconds": trust_bundle.age_seconds(payload, now),
        "chainId": payload["chainId"],
        "registry": payload["registry"],
        "block": payload["block"],
        "keyId": payload["keyId"],
        "roots": len(payload["roots"]),
        "agencies": len(payload["agencies"]),
        "statuses": len(payload["statuses"]),
        "statusLists": len(payload["statusLists"]),
    }


def _print(summary: dict[str, Any], title: str) -> None:
    console.print(title, markup=False, highlight=False)
    console.print(
        f"  生成于 generated at {format_time(summary['generatedAt'])} · {summary['ageSeconds']} s old · "
        f"block #{summary['block']['number']} · chain {summary['chainId']} · key {summary['keyId']}",
        markup=False,
        highlight=False,
    )
    console.print(
        f"  {summary['roots']} roots · {summary['agencies']} agencies · {summary['statuses']} certificates not valid · "
        f"{summary['statusLists']} status lists",
        markup=False,
        highlight=False,
    )


@app.command("fetch")
@refusals
def fetch_cmd(
    url: Annotated[str, typer.Argument(help="The service's base URL, e.g. http://127.0.0.1:8000")],
    out: Annotated[Path, typer.Option("--out", help="Write the bundle to this file")],
    key: Annotated[
        str | None,
        typer.Option(
            help="Check it with this public key (hex or key file); else the service's key is fetched too "
            "and saved beside the bundle as <out>.key.json"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Download the service's trust bundle, check its signature, and save it."""
    if not url.startswith(("http://", "https://")):
        raise LedgerValueError(f"{url!r} is not an http(s) URL")
    base = url.rstrip("/")
    if base.endswith("/api/v1"):
        base = base[: -len("/api/v1")]
    public = _key(key) if key is not None else None
    key_document = None if public is not None else _get(f"{base}/api/v1/trust-bundle/key")
    bundle = _get(f"{base}/api/v1/trust-bundle")
    payload = trust_bundle.check(bundle, public if public is not None else key_document)
    write_json(out, bundle)
    if key_document is not None:
        write_json(out.with_name(out.name + ".key.json"), key_document)
    summary = _summary(payload, int(time.time())) | {"file": str(out)}
    if as_json:
        emit_json(summary)
    else:
        _print(summary, f"已保存信任包 trust bundle saved to {out} (signature checked)")


@app.command("check")
@refusals
def check_cmd(
    file: Annotated[Path, typer.Argument(help="A trust bundle file (from `hurong trust-bundle fetch` or the page)")],
    key: Annotated[str, typer.Option(help="The service's public key: 64 hex digits or a key file")],
    max_age: Annotated[
        int | None, typer.Option("--max-age", min=0, help="Refuse a bundle older than this many seconds")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check a trust bundle's signature (and age), and say what it holds and how old it is."""
    now = int(time.time())
    payload = trust_bundle.check(read_json(file), _key(key), now=now, max_age=max_age)
    summary = _summary(payload, now)
    if as_json:
        emit_json(summary)
    else:
        _print(summary, "信任包签名有效 the trust bundle's signature is valid")
