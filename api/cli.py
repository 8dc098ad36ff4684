"""`hurong serve`, `hurong keys …` and `hurong keystore …`: running the service and managing its credentials."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.keys import keys_database
from ledger.chain.codes import is_province_code
from ledger.errors import LedgerValueError

if TYPE_CHECKING:
    from fastapi import FastAPI

console = Console(soft_wrap=True)
HomeOption = Annotated[Path, typer.Option("--home", help="Service state folder", envvar="HURONG_HOME")]


keys_app = typer.Typer(help="API keys of agencies and provinces (stored hashed).", no_args_is_help=True)
keystore_app = typer.Typer(help="Encrypted chain-account keys the service signs with.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the service's commands to the `hurong` app (the `hurong.commands` entry point `service`)."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(keystore_app, name="keystore")
    app.command("serve")(serve_cmd)
    app.command("demo")(demo_cmd)


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="uvicorn worker processes")] = 1,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="TLS certificate (PEM): serve HTTPS", envvar="HURONG_SSL_CERTFILE")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(help="TLS private key (PEM) of the certificate", envvar="HURONG_SSL_KEYFILE")
    ] = None,
    self_signed: Annotated[
        bool, typer.Option(help="Serve HTTPS with a self-signed pair for localhost/127.0.0.1 (made in <home>/tls)")
    ] = False,
) -> None:
    """Serve the API and the verification page with uvicorn (uvloop + httptools), over HTTPS with a certificate."""
    from api.tls import check_pair, self_signed_pair
    from ledger.errors import ConfigurationError

    if self_signed and (ssl_certfile or ssl_keyfile):
        raise typer.BadParameter("--self-signed makes its own pair: give no --ssl-certfile/--ssl-keyfile")
    if self_signed:
        from api.settings import Settings

        ssl_certfile, ssl_keyfile = self_signed_pair(Path(Settings().home) / "tls")
        console.print(f"HTTPS with the self-signed certificate {ssl_certfile} (clients trust it with that file)")
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise typer.BadParameter("HTTPS needs both --ssl-certfile and --ssl-keyfile")
    if ssl_certfile is not None and ssl_keyfile is not None:
        try:
            check_pair(ssl_certfile, ssl_keyfile)
        except ConfigurationError as exc:
            raise typer.BadParameter(str(exc)) from None
    serve(host, port, workers, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)


def demo_cmd(
    home: HomeOption = Path(".hurong"),
    config: Annotated[Path, typer.Option(help="Consortium description")] = Path("examples/demo.yaml"),
    chain_port: Annotated[int, typer.Option(min=1, max=65535)] = 8545,
    port: Annotated[int, typer.Option(min=1, max=65535, help="API port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 2,
    certificates: Annotated[int, typer.Option(min=1, max=100_000, help="Demo certificates (first start)")] = 300,
    network: Annotated[
        int, typer.Option(min=0, max=10, help="Run on a Clique network of this many validators (0: anvil)")
    ] = 0,
    tls: Annotated[
        bool, typer.Option(help="Serve HTTPS with a self-signed pair for this machine (<home>/tls)")
    ] = False,
) -> None:
    """Run the local consortium: chain, contracts, demo data, API and verification page, until Ctrl-C."""
    from api.demo import Demo

    Demo(home, config, chain_port=chain_port, api_port=port, workers=workers, certificates=certificates,
         console=console, network=network, tls=tls).run()  # fmt: skip


@keys_app.command("create")
def keys_create(
    agency: Annotated[str | None, typer.Option(help="Agency account address")] = None,
    province: Annotated[int | None, typer.Option(help="Province code (admin key)")] = None,
    label: Annotated[str, typer.Option(help="A note to recognise the key by")] = "",
    home: HomeOption = Path(".hurong"),
) -> None:
    """Create an API key bound to an agency or a province; the key is printed once."""
    from eth_utils import is_address, to_checksum_address

    from api.keys import ApiKeyStore

    if (agency is None) == (province is None):
        raise LedgerValueError("give exactly one of --agency ADDRESS or --province CODE")
    if agency is not None and not is_address(agency):
        raise LedgerValueError(f"invalid agency address {agency!r}")
    if province is not None and not is_province_code(province):
        raise LedgerValueError(f"{province} is not a GB/T 2260 province-level code")
    store = ApiKeyStore(keys_database(home))
    role, subject = ("agency", to_checksum_address(agency)) if agency else ("province", str(province))
    key, principal = store.create(role, subject, label)
    console.print(f"key id {principal.key_id} for {role} {subject}")
    print(key)


@keys_app.command("revoke")
def keys_revoke(key_id: str, home: HomeOption = Path(".hurong")) -> None:
    """Revoke an API key by its id."""
    from api.keys import ApiKeyStore

    if not ApiKeyStore(keys_database(home)).revoke(key_id):
        raise LedgerValueError(f"no active key {key_id}")
    console.print(f"key {key_id} revoked")


@keys_app.command("list")
def keys_list(home: HomeOption = Path(".hurong")) -> None:
    """List API keys (never their secrets)."""
    from api.keys import ApiKeyStore

    table = Table("id", "role", "subject", "label", "revoked")
    for row in ApiKeyStore(keys_database(home)).list():
        table.add_row(str(row["id"]), str(row["role"]), str(row["subject"]), str(row["label"]),
                      "yes" if row["revoked_at"] else "")  # fmt: skip
    console.print(table)


@keystore_app.command("import")
def keystore_import(
    home: HomeOption = Path(".hurong"),
    keystore: Annotated[Path | None, typer.Option(help="Keystore folder (default <home>/keystore)")] = None,
) -> None:
    """Encrypt the chain key in $HURONG_PRIVATE_KEY into the keystore (passphrase: $HURONG_KEY_PASSPHRASE, or the
    file $HURONG_KEY_PASSPHRASE_FILE names)."""
    from ledger.keys.keystore import AccountKey, passphrase_from_env_or_prompt, save_key

    secret = os.environ.get("HURONG_PRIVATE_KEY")
    if not secret:
        raise LedgerValueError("set HURONG_PRIVATE_KEY to the key to import")
    key = AccountKey.from_hex(secret)
    folder = keystore or home / "keystore"
    path = save_key(folder / f"{key.address}.json", key, passphrase_from_env_or_prompt(confirm=True))
    console.print(f"{key.address} → {path}")


def serve(
    host: str, port: int, workers: int, *, ssl_certfile: Path | None = None, ssl_keyfile: Path | None = None
) -> None:
    """Run uvicorn with `workers` processes until it is stopped.

    Every file the service writes is readable by its owner only (umask 077). The workers keep their metrics in
    one folder made fresh for this run (Prometheus multiprocess mode), so that `/metrics` adds them up.
    """
    import uvicorn

    from api.launcher import prepare_metrics_folder
    from api.settings import Settings

    os.umask(0o077)
    folder, owned = prepare_metrics_folder(Settings().home)
    try:
        uvicorn.run(
            "api.cli:service_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            loop="uvloop",
            http="httptools",
            log_level=os.environ.get("HURONG_LOG_LEVEL", "warning"),
            access_log=False,
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        )
    finally:
        if owned:
            shutil.rmtree(folder, ignore_errors=True)


def service_app() -> FastAPI:
    """The application `hurong serve` runs in each worker: settings from the environment, with the keystore
    passphrase read from the file named by `HURONG_KEY_PASSPHRASE_FILE` when that is set."""
    from pydantic import SecretStr

    from api.main import create_app
    from api.memory import limit_arenas
    from api.settings import Settings
    from ledger.keys.keystore import PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, read_passphrase_file

    settings = Settings()
    limit_arenas(settings.malloc_arenas)
    path = os.environ.get(PASSPHRASE_FILE_ENV)
    if path:
        if settings.key_passphrase.get_secret_value():
            raise LedgerValueError(f"both {PASSPHRASE_ENV} and {PASSPHRASE_FILE_ENV} are set; set only one of them")
        settings = settings.model_copy(update={"key_passphrase": SecretStr(read_passphrase_file(path))})
    return create_app(settings)
