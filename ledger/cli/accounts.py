"""Who an administration command acts as, and through what: a chain account from the encrypted keystore
(`--keystore DIR --account 0x…`), or the service's administration API with an API key (`--api URL --api-key KEY`).

The keystore holds one key file per account, `<DIR>/<checksummed address>.json` (as `hurong keystore import` and
the service write them); its passphrase comes from `--passphrase-file`, else `$HURONG_KEY_PASSPHRASE`,
`$HURONG_KEY_PASSPHRASE_FILE` or the terminal. A private key is never taken on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledger.chain.client import HurongClient
from ledger.cli.common import connect, parse_address
from ledger.errors import LedgerValueError

if TYPE_CHECKING:  # httpx is imported only when a command acts through the service
    from ledger.cli.admin_client import AdminApi

KeystoreOption = Annotated[
    Path,
    typer.Option("--keystore", help="Folder of encrypted key files <address>.json", envvar="HURONG_KEYSTORE"),
]
AccountOption = Annotated[
    str | None, typer.Option("--account", help="Chain account to act as (its key file is in --keystore)")
]
PassphraseFileOption = Annotated[
    Path | None,
    typer.Option("--passphrase-file", help="File holding the keystore passphrase (else $HURONG_KEY_PASSPHRASE)"),
]
ApiOption = Annotated[
    str | None, typer.Option("--api", help="Act through the service at this URL instead of the chain")
]
ApiKeyOption = Annotated[
    str | None, typer.Option("--api-key", help="API key for --api (else $HURONG_API_KEY)", envvar="HURONG_API_KEY")
]
DEFAULT_KEYSTORE = Path(".hurong") / "keystore"


@dataclass(frozen=True)
class Access:
    """How a command reaches the consortium: the command line's connection options."""

    rpc: str
    deployments: Path | None
    keystore: Path
    account: str | None
    passphrase_file: Path | None
    api: str | None
    api_key: str | None


@dataclass
class Actor:
    """The chain client (acting as the account for writes) or the service's API; exactly one of them is set.

    `keystore` and `passphrase` are those of the account, for commands that store a new key beside it.
    """

    chain: HurongClient | None = None
    api: AdminApi | None = None
    keystore: Path | None = None
    passphrase: str | None = None

    @property
    def client(self) -> HurongClient:
        assert self.chain is not None
        return self.chain

    @property
    def service(self) -> AdminApi:
        assert self.api is not None
        return self.api

    @property
    def address(self) -> str:
        """The account a chain client acts as."""
        assert self.chain is not None and self.chain.address is not None
        return self.chain.address


def actor(access: Access, *, write: bool) -> Actor:
    """The chain (as the keystore account when `write`) or the service, as the options choose."""
    if access.api is not None:
        from ledger.cli.admin_client import AdminApi

        if access.account is not None:
            raise LedgerValueError("give --api (act through the service) or --account (act on the chain), not both")
        return Actor(api=AdminApi(access.api, access.api_key))
    if not write:
        return Actor(chain=connect(access.rpc, access.deployments))
    if access.account is None:
        raise LedgerValueError("a write needs --account 0x… with its key file in --keystore, or --api URL --api-key")
    account = parse_address(access.account, "account")
    passphrase = keystore_passphrase(access.passphrase_file)
    private_key = load_account(access.keystore, account, passphrase)
    client = connect(access.rpc, access.deployments, private_key)
    return Actor(chain=client, keystore=access.keystore, passphrase=passphrase)


def keystore_passphrase(passphrase_file: Path | None) -> str:
    """The keystore passphrase: from `passphrase_file`, else the environment or the terminal."""
    from ledger.keys.keystore import passphrase_from_env_or_prompt, read_passphrase_file

    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    return passphrase_from_env_or_prompt(prompt="Keystore passphrase (密钥库口令): ")


def load_account(keystore: Path, account: str, passphrase: str) -> str:
    """The hex private key of `account` from its key file `<keystore>/<account>.json`."""
    from ledger.keys.keystore import AccountKey, KeystoreError, load_account_key

    path = keystore / f"{account}.json"
    if not path.is_file():
        raise LedgerValueError(f"no key file of {account} in {keystore} (expected {path.name})")
    private_key = load_account_key(path, passphrase)
    if AccountKey.from_hex(private_key).address != account:
        raise KeystoreError(f"{path} holds the key of another account")
    return private_key
