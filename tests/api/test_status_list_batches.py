"""A batch revoked by its root reaches the status lists of certificates anchored before the status-lists file
recorded their batch (a home kept from an earlier version): the service reads its journal once, at the first list
built with a revoked batch, and the maintained decoder then reads their revocation bits. On a service of its own, so
that its process has not read the journal yet."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.models import CertificateStatus
from tests.api.conftest import Server, own_server
from tests.api.test_status_lists import CHECKER, _chain_status, _issue, _standard_check

pytestmark = pytest.mark.skipif(
    not (CHECKER / "node_modules" / "@digitalbazaar" / "vc-bitstring-status-list").is_dir(),
    reason="needs tests/js/status-list's npm packages (scripts/setup.sh installs them)",
)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("status-list-batches")) as running:
        yield running


def test_a_batch_anchored_before_its_batch_was_recorded_is_revoked_in_the_lists(fresh_server: Server) -> None:
    batch = _issue(fresh_server, 2)
    root = batch[0]["proof"]["merkleRoot"]
    with sqlite3.connect(Path(fresh_server.home) / "status-lists.sqlite") as db:  # as a home of an earlier version
        assert db.execute("DELETE FROM batch_members").rowcount == 2
    fresh_server.chain_client("sh_amr").certificates.revoke_batch(fresh_server.addr("sh_amr"), root, 4).wait()
    fresh_server.wait_indexed()
    for certificate in batch:
        assert _chain_status(fresh_server, certificate) == CertificateStatus.REVOKED
        assert _standard_check(certificate) == {"revocation": True, "suspension": False}
    with sqlite3.connect(Path(fresh_server.home) / "status-lists.sqlite") as db:
        assert db.execute("SELECT count(*) FROM batch_members").fetchone()[0] == 2
