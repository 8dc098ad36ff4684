"""A throwaway PostgreSQL cluster for tests: Debian's `postgresql` server binaries (`scripts/setup.sh` installs them),
run as the `postgres` user when the tests run as root, on loopback and a free port, trust authentication, removed
afterwards. `HURONG_TEST_POSTGRES_URL` names an existing server instead."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.node import free_port


def _unavailable(reason: str) -> None:
    """Skip, except under CI, where the server must be there (`scripts/setup.sh` installs it)."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required here: {reason}")
    pytest.skip(reason)


@contextlib.contextmanager
def local_postgres() -> Iterator[str]:
    """The URL (`postgresql://hurong@127.0.0.1:<port>/postgres`) of a PostgreSQL started for the caller."""
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    if os.environ.get("HURONG_TEST_POSTGRES_URL"):
        yield os.environ["HURONG_TEST_POSTGRES_URL"]
        return
    initdb = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    if initdb is None:
        _unavailable("PostgreSQL is not installed (no initdb) and HURONG_TEST_POSTGRES_URL is not set")
    pg_ctl = str(Path(str(initdb)).with_name("pg_ctl"))
    prefix: list[str] = []
    folder = tempfile.mkdtemp(prefix="hurong-pg-")
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no postgres user to run PostgreSQL as")
        if shutil.which("runuser") is None:
            _unavailable("running as root without runuser to start PostgreSQL as postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = f"{folder}/data", free_port()
    try:
        subprocess.run([*prefix, str(initdb), "-D", data, "-A", "trust", "-U", "hurong", "-E", "UTF8",
                        "--locale=C", "--no-sync"], check=True, capture_output=True, timeout=120)  # fmt: skip
        subprocess.run([*prefix, pg_ctl, "-D", data, "-w", "-l", f"{folder}/log", "-o",
                        f"-k {folder} -h 127.0.0.1 -p {port} -F", "start"], check=True, capture_output=True,
                       timeout=60)  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"could not start a local PostgreSQL: {exc}")
    try:
        yield f"postgresql://hurong@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
