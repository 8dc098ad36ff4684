"""`hurong issue` gives GB/T 36904 identifiers (the agency's credit code from the deployment record) and, with
`--status-list-base`, status list entries covered by the digest; `hurong verify --status-lists` reads those lists."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from typing import Any

import pytest

from ledger.certificates.identifiers import parse_identifier
from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.deployment import Deployment
from ledger.chain.node import Anvil
from ledger.issuance.identifiers import describe_credit_codes
from ledger.toolchain.compiler import find_project_root
from tests.api.test_printable import SH_AMR_CODE
from tests.conftest import WORLD
from tests.ledger.certificates.samples import LICENCES, fresh

BASE = "http://127.0.0.1:9/lists"  # nothing answers there: the lists cannot be read


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("cli-entries")
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        result.deployment.save(home / "deployments")
        [path] = (home / "deployments").glob("*.json")
        describe_credit_codes(Deployment.load(path), {result.accounts["sh_amr"]: SH_AMR_CODE}).save(
            home / "deployments"
        )
        yield chain, result, home


def hurong(env: Any, *args: str) -> subprocess.CompletedProcess[str]:
    chain, result, home = env
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    environ |= {"HURONG_RPC_URL": chain.url, "HURONG_DEPLOYMENTS": str(home / "deployments"),
                "HURONG_PRIVATE_KEY": result.keys["sh_amr"], "PYTHONPATH": str(find_project_root())}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=environ, capture_output=True, text=True,
                          timeout=300, cwd=home, check=False)  # fmt: skip


def _issue(env: Any, name: str, *more: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    _, _, home = env
    source = home / f"{name}.json"
    source.write_text(json.dumps([fresh(LICENCES["business_licence"]) for _ in range(3)], ensure_ascii=False))
    out = home / name
    done = hurong(env, "issue", str(source), "--out", str(out), "--journal", str(home / name / "journal.sqlite"), *more)
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("0x*.json"))]
    return done, documents


def test_issue_gives_identifiers_and_entries_that_verify(env: Any) -> None:
    _, result, home = env
    done, documents = _issue(env, "entries", "--status-list-base", BASE + "/", "--home", str(home / "state"))
    assert done.returncode == 0, done.stderr + done.stdout
    assert len(documents) == 3
    agency = result.accounts["sh_amr"]
    indexes = set()
    for document in documents:
        identifier = parse_identifier(document["credentialSubject"]["licenceIdentifier"])
        assert identifier.issuer_code == SH_AMR_CODE and identifier.serial.startswith("HR")
        registry, *entries = document["credentialStatus"]
        assert registry["type"] == "HurongRegistryStatus"
        assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
        assert entries[0]["statusListCredential"] == f"{BASE}/api/v1/status-lists/{agency}/revocation/1"
        indexes.add(entries[0]["statusListIndex"])
    assert len(indexes) == 3
    with sqlite3.connect(home / "state" / "status-lists.sqlite") as db:  # linked to the digests once anchored
        linked = {row[0] for row in db.execute("SELECT lower(hex(digest)) FROM entries")}
    assert {d["proof"]["digest"][2:] for d in documents} <= linked

    path = home / "entries" / f"{documents[0]['proof']['digest']}.json"
    verified = hurong(env, "verify", str(path), "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["warnings"] == []
    verified = hurong(env, "verify", str(path), "--json", "--status-lists")
    answer = json.loads(verified.stdout)
    assert verified.returncode == 0 and answer["verdict"] == "VALID"  # the chain decides; the lists only warn
    assert [w["code"] for w in answer["warnings"]] == ["status_list_unreadable", "status_list_unreadable"]


def test_issue_without_a_base_url_gives_identifiers_and_the_registry_status_alone(env: Any) -> None:
    done, documents = _issue(env, "plain")
    assert done.returncode == 0, done.stderr + done.stdout
    assert all(isinstance(d["credentialStatus"], dict) for d in documents)
    identifiers = [parse_identifier(d["credentialSubject"]["licenceIdentifier"]) for d in documents]
    assert all(i.issuer_code == SH_AMR_CODE for i in identifiers) and len({i.serial for i in identifiers}) == 3


@pytest.mark.parametrize("url", ["ftp://lists.example", "lists.example", "https://lists.example/?a=1"])
def test_a_malformed_base_url_is_refused_before_anything_is_issued(env: Any, url: str) -> None:
    done, documents = _issue(env, "refused-" + str(abs(hash(url))), "--status-list-base", url)
    assert done.returncode != 0 and "--status-list-base" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr and documents == []
