"""What the commands of `hurong` share: their options, the console, connecting to the chain, the agency's chain
key, reading documents; and for the administration commands, the parsing of their arguments (addresses, GB/T 2260
codes, ISO 8601 times), their refusals as one line and exit status 1, and their output as text or JSON."""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from ledger.chain.client import HurongClient, chain_id_of, make_web3
from ledger.chain.deployment import Deployment
from ledger.errors import ContractRevertError, LedgerError, LedgerValueError

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

RpcOption = Annotated[str, typer.Option("--rpc", help="JSON-RPC endpoint", envvar="HURONG_RPC_URL")]
DeploymentsOption = Annotated[
    Path | None, typer.Option("--deployments", help="Folder of deployment records", envvar="HURONG_DEPLOYMENTS")
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option("--key-file", help="Encrypted key file of the agency's chain account (else $HURONG_PRIVATE_KEY)"),
]
CertificateArgument = Annotated[Path, typer.Argument(help="Wrapped certificate")]
DEFAULT_RPC = "http://127.0.0.1:8545"

P = ParamSpec("P")
R = TypeVar("R")


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


def get_json(url: str, *, limit: int, accept: str = "application/json", timeout: float = 30.0) -> Any:
    """The JSON document an HTTP GET of `url` answers: `LedgerError` for a failed request or a status other than
    200, `LedgerValueError` for an answer over `limit` bytes or not UTF-8 JSON (read as it streams, so a larger
    answer is never held whole)."""
    import httpx

    try:
        with httpx.stream("GET", url, timeout=timeout, headers={"Accept": accept}) as answer:
            if answer.status_code != 200:
                raise LedgerError(f"GET {url} answered HTTP {answer.status_code}")
            body = b""
            for chunk in answer.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise LedgerValueError(f"{url} answered more than {limit:,} bytes")
    except httpx.HTTPError as exc:
        raise LedgerError(f"cannot fetch {url}: {exc}") from None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LedgerValueError(f"{url} is not valid UTF-8 JSON: {exc}") from None


def write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


# --- what the administration commands share (`hurong gov`, `agency`, `signing-key`, `rule`) -------------------

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON (输出 JSON)")]

#: China Standard Time: the zone of ISO 8601 times given without an offset, and of times printed.
CST = timezone(timedelta(hours=8), "CST")
_MAX_TIME = 2**48 - 1


def fail(message: str) -> NoReturn:
    """Print `message` as one line on stderr and exit with status 1."""
    typer.echo(" ".join(message.split()), err=True)
    raise typer.Exit(1)


def refusals(command: Callable[P, R]) -> Callable[P, R]:
    """`command`, its refusals (bad input, a contract's custom error, a failing chain or service) turned into one
    line on stderr and exit status 1, never a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ContractRevertError as exc:
            fail(f"合约拒绝 refused by the contract: {exc}")
        except LedgerValueError as exc:
            fail(f"输入无效 invalid input: {exc}")
        except LedgerError as exc:
            fail(f"失败 failed: {exc}")

    return run


def parse_address(value: str, what: str = "address") -> str:
    """`value` as a checksummed address; it is given in one case or with a correct EIP-55 checksum."""
    from eth_utils import is_checksum_address, is_checksum_formatted_address

    from ledger.chain.client import checksum

    text = value.strip()
    if is_checksum_formatted_address(text) and not is_checksum_address(text):
        raise LedgerValueError(f"invalid {what}: {value!r} has mixed case but a wrong EIP-55 checksum")
    return checksum(text, what=what)


def parse_province(value: str, what: str = "province") -> int:
    """A province-level GB/T 2260 code in force (`310000`), as the contracts store it."""
    from ledger.certificates.regions import is_province
    from ledger.chain.codes import province_code

    text = value.strip()
    if not re.fullmatch(r"[0-9]{6}", text):
        raise LedgerValueError(f"{what} {value!r} is not a 6-digit GB/T 2260 code such as 310000")
    if not is_province(text):
        raise LedgerValueError(f"{what} {text} is not a GB/T 2260 province-level code in force (such as 310000)")
    return province_code(int(text))


def parse_region(value: str, province: int) -> int:
    """A GB/T 2260 code in force inside `province` (the province itself, a prefecture or a county)."""
    from ledger.certificates.regions import contains, is_current

    text = value.strip()
    if not re.fullmatch(r"[0-9]{6}", text) or not is_current(text):
        raise LedgerValueError(f"region {value!r} is not a GB/T 2260 code in force (such as 310115)")
    if not contains(str(province), text):
        raise LedgerValueError(f"region {text} does not lie in province {province}")
    return int(text)


def parse_certificate_type(value: str) -> str:
    """The code of a certificate type an agency can be granted (`business_licence`, or `generic` for the VC-API)."""
    from ledger.certificates.catalogue import grantable_types

    known = grantable_types()
    if value not in known:
        raise LedgerValueError(f"unknown certificate type {value!r}; known: {', '.join(known)}")
    return value


def parse_time(value: str, what: str) -> int:
    """Unix seconds of an ISO 8601 date (`2026-01-01`, midnight) or date-time (`2026-01-01T08:30:00+08:00`);
    without a UTC offset the time is China Standard Time (UTC+8)."""
    text = value.strip()
    if len(text) > 40 or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.,]+(Z|[+-][0-9:]+)?)?", text):
        raise LedgerValueError(f"{what} {value!r} is not an ISO 8601 date or time such as 2026-01-01T08:00:00+08:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise LedgerValueError(f"{what} {value!r} is not a valid ISO 8601 date or time") from None
    seconds = int((moment if moment.tzinfo else moment.replace(tzinfo=CST)).timestamp())
    if not 0 < seconds < _MAX_TIME:
        raise LedgerValueError(f"{what} {value!r} is out of range")
    return seconds


def format_time(seconds: int | None) -> str | None:
    """`seconds` as ISO 8601 in China Standard Time; `None` for no time or no end (`2^48 - 1`)."""
    if not seconds or seconds >= _MAX_TIME:
        return None
    return datetime.fromtimestamp(seconds, CST).isoformat()


def emit_json(document: Any) -> None:
    """Write `document` to stdout as JSON."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")


def emit_written(summary: str, written: dict[str, Any], as_json: bool) -> None:
    """Report a write: `written` (its `txHash`, `block` and what it made) as JSON, or `summary` (Chinese, then
    English) with the transaction and the other fields."""
    if as_json:
        emit_json(written)
        return
    console.print(summary, markup=False, highlight=False)
    for name, value in written.items():
        if value is not None:
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
            console.print(f"  {name}: {shown}", markup=False, highlight=False)


def emit_rows(rows: list[dict[str, Any]], columns: list[tuple[str, str]], title: str, as_json: bool) -> None:
    """A listing: `rows` as JSON, or a table of `columns` (key, heading) titled `title`."""
    from rich.table import Table

    if as_json:
        emit_json(rows)
        return
    from rich.text import Text

    table = Table(*(heading for _, heading in columns), title=f"{title} ({len(rows)})")
    for row in rows:
        table.add_row(*(Text(_cell(row.get(key))) for key, _ in columns))
    console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, list | tuple):
        return "\n".join(_cell(v) for v in value) or "-"
    return str(value)


def mined(receipt: Any, **details: Any) -> dict[str, Any]:
    """What a write reports: its transaction hash and block (from its `Receipt`), then `details`."""
    return {"txHash": receipt.tx_hash, "block": receipt.block_number, **details}


def answered(body: Any, **details: Any) -> dict[str, Any]:
    """What a write through the service reports: the transaction and block it answered, `details`, then the rest
    of its answer."""
    answer = dict(body) if isinstance(body, dict) else {}
    tx_hash = answer.pop("txHash", None) or answer.pop("transactionHash", None)
    block = answer.pop("block", None) or answer.pop("blockNumber", None)
    return {"txHash": tx_hash, "block": block, **details, **answer}
