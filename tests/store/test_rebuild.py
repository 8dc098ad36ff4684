"""A new service instance with an empty index, over the same chain and store, rebuilds batches, statuses and
document CIDs from the chain's events and the batch manifests, and answers as the instance that issued them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.launcher import stop_service
from ledger.store import content_id
from ledger.store.node import KuboNode
from tests.api.conftest import Server, own_server, start_server
from tests.ledger.certificates.samples import LICENCES, fresh

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory, kubo: KuboNode) -> Iterator[Server]:
    if not kubo.running():
        kubo.up()
    with own_server(tmp_path_factory.mktemp("original"), {"HURONG_STORE": f"ipfs:{kubo.api_url}"}) as running:
        yield running


def _answers(http: httpx.Client, digests: list[str], revoked: str) -> dict[str, Any]:
    """Each certificate's document, batch and status (`GET /documents?digest=`), and the status records and history
    of the one whose status changed (`GET /certificates/{digest}`, from the chain's events)."""
    out: dict[str, Any] = {}
    for digest in digests:
        documents = http.get("/documents", params={"digest": digest})
        assert documents.status_code == 200, documents.text
        out[digest] = documents.json()
    status = http.get(f"/certificates/{revoked}")
    assert status.status_code == 200, status.text
    out["revoked"] = {k: status.json()[k] for k in ("digest", "records", "history")}
    return out


def test_an_empty_index_is_rebuilt_from_chain_events_and_manifests(
    original: Server, kubo: KuboNode, tmp_path: Path
) -> None:
    digests: list[str] = []
    with original.client("sh_amr") as http:
        for size in (3, 2):
            body = {"certificates": [fresh(LICENCES["business_licence"]) for _ in range(size)]}
            response = http.post("/certificates", json=body)
            assert response.status_code == 201, response.text
            digests += [c["proof"]["digest"] for c in response.json()["data"]]
        revoked = http.post(f"/certificates/{digests[1]}/revoke", json={"reason": "fraud"})
        assert revoked.status_code == 200, revoked.text
        keys = http.post("/documents/keys", json={"digests": digests}).json()["data"]
    health = original.wait_indexed()
    with original.client() as http:
        before = _answers(http, digests, digests[1])
    assert [before[d]["data"][0]["cid"] for d in digests] == [k["cid"] for k in keys]
    assert [before[d]["data"][0]["status"] for d in digests] == ["valid", "revoked", "valid", "valid", "valid"]
    assert before[digests[1]]["data"][0]["reason"] == "fraud"
    assert len({before[d]["data"][0]["manifestCid"] for d in digests}) == 2
    assert all(before[d]["data"][0]["transactionHash"] for d in digests)

    home = tmp_path / "rebuilt"
    home.mkdir()
    shutil.copytree(original.home / "deployments", home / "deployments")  # the deployment record only
    url, process = start_server(home, original.chain, {"HURONG_STORE": f"ipfs:{kubo.api_url}"})
    try:
        with httpx.Client(base_url=url + "/api/v1", timeout=60) as http:
            for _ in range(200):
                rebuilt_health = http.get("/health").json()
                if rebuilt_health["indexedBlock"] >= health["headBlock"]:
                    break
            after = _answers(http, digests, digests[1])
            for key in keys:
                served = http.get(f"/documents/{key['cid']}")
                assert served.status_code == 200 and content_id(served.content) == key["cid"]
    finally:
        stop_service(process)
    assert after == before
    assert not (home / "journals").exists() or not any((home / "journals").iterdir())  # nothing issued there
