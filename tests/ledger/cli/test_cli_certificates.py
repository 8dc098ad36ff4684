"""The certificate commands of the `hurong` CLI, run as a user runs them, against a real anvil."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.bootstrap import bootstrap, parse_description
from ledger.chain.node import Anvil
from tests.conftest import WORLD
from tests.ledger.certificates.samples import LICENCES, fresh


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    home = tmp_path_factory.mktemp("cli")
    with Anvil(accounts=len(WORLD["accounts"])) as chain:
        result = bootstrap(parse_description(WORLD), chain.url)
        result.deployment.save(home / "deployments")
        yield chain, result, home


def hurong(env: Any, *args: str, key: str | None = "sh_amr") -> subprocess.CompletedProcess[str]:
    chain, result, home = env
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HURONG_")}
    environ |= {"HURONG_RPC_URL": chain.url, "HURONG_DEPLOYMENTS": str(home / "deployments")}
    if key:
        environ["HURONG_PRIVATE_KEY"] = result.keys[key]
    return subprocess.run(
        [sys.executable, "-m", "ledger.cli", *args], env=environ, capture_output=True, text=True, timeout=300,
        cwd=home, check=False,
    )  # fmt: skip


def issue(env: Any, name: str, records: list[dict[str, Any]]) -> list[Path]:
    _, _, home = env
    source = home / f"{name}.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    out = home / name
    proc = hurong(env, "issue", str(source), "--out", str(out), "--journal", str(home / f"{name}.sqlite"))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return sorted(out.glob("*.json"))


def test_issue_from_csv_then_verify_with_a_table_and_exit_status_zero(env: Any) -> None:
    _, _, home = env
    licence = LICENCES["business_licence"]
    path = home / "licences.csv"
    columns = ["licence_number", "certificate_type", "holder_name", "holder_id", "issuing_province",
               "issuing_region", "valid_from", "valid_until", *licence["fields"]]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for number in (fresh(licence)["licenceNumber"] for _ in range(3)):
            writer.writerow([number, "business_licence", licence["holderName"], licence["holderId"],
                             "310000", "310115", licence["validFrom"], licence["validUntil"],
                             *licence["fields"].values()])  # fmt: skip
    proc = hurong(env, "issue", str(path), "--out", str(home / "csv"), "--journal", str(home / "csv.sqlite"))
    assert proc.returncode == 0, proc.stderr
    assert "issued 3 certificates" in proc.stdout
    files = sorted((home / "csv").glob("*.json"))
    assert len(files) == 3
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    assert doc["credentialSubject"]["holderName"] == "上海浦江科技有限公司"
    assert doc["credentialSubject"]["legalRepresentative"] == "张三"
    verified = hurong(env, "verify", str(files[0]), "--province", "330000", key=None)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "VALID" in verified.stdout and "recognition" in verified.stdout


def test_verify_json_output_and_non_zero_exit_for_tampered_and_not_recognised(env: Any) -> None:
    files = issue(env, "json", [LICENCES["business_licence"]])
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    doc["credentialSubject"]["registeredCapital"] = "人民币1亿元"
    tampered = files[0].with_name("tampered.json")
    tampered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    proc = hurong(env, "verify", "--json", str(tampered), key=None)
    assert proc.returncode == 1
    answer = json.loads(proc.stdout)
    assert answer["verdict"] == "INVALID"
    assert [c["name"] for c in answer["checks"] if c["outcome"] == "failed"] == ["integrity"]
    assert answer["block"]["number"] > 0 and answer["block"]["hash"].startswith("0x")
    elsewhere = hurong(env, "verify", "--json", str(files[0]), "--province", "440000", key=None)
    assert elsewhere.returncode == 1 and json.loads(elsewhere.stdout)["verdict"] == "NOT_RECOGNIZED"
    both = hurong(env, "verify", "--json", str(files[0]), str(tampered), key=None)
    assert [r["verdict"] for r in json.loads(both.stdout)] == ["VALID", "INVALID"]


def test_redacted_certificate_still_verifies(env: Any) -> None:
    files = issue(env, "redact", [LICENCES["business_licence"]])
    out = files[0].with_name("redacted.json")
    proc = hurong(env, "redact", str(files[0]), "--hide", "/credentialSubject/holderName",
                  "--hide", "/credentialSubject/address", "--out", str(out), key=None)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    redacted = json.loads(out.read_text(encoding="utf-8"))
    assert "holderName" not in redacted["credentialSubject"] and len(redacted["proof"]["obfuscated"]) == 2
    assert hurong(env, "verify", str(out), key=None).returncode == 0


def test_qr_codes_carry_the_document_or_a_reference_and_verify_from_the_image(env: Any) -> None:
    files = issue(env, "qr", [LICENCES["business_licence"]])
    png = files[0].with_name("cert.png")
    proc = hurong(env, "qr", str(files[0]), "--out", str(png), "--reference", key=None)
    assert proc.returncode == 0 and "reference" in proc.stdout
    unresolved = hurong(env, "verify", str(png), key=None)
    assert unresolved.returncode == 1 and "could not be resolved" in unresolved.stderr
    resolved = hurong(env, "verify", str(png), "--resolve", str(files[0].parent), "--json", key=None)
    assert resolved.returncode == 0 and json.loads(resolved.stdout)["verdict"] == "VALID"
    small = files[0].with_name("small.json")
    hidden = ["businessScope", "address", "entityType", "registeredCapital", "establishedOn", "legalRepresentative"]
    args = [a for field in hidden for a in ("--hide", f"/credentialSubject/{field}")]
    assert hurong(env, "redact", str(files[0]), *args, "--out", str(small), key=None).returncode == 0
    svg = small.with_name("cert.svg")
    made = hurong(env, "qr", str(small), "--out", str(svg), key=None)
    assert made.returncode == 0 and "with the document" in made.stdout, made.stdout
    assert svg.read_text().startswith("<?xml")
    png_doc = small.with_name("doc.png")
    assert hurong(env, "qr", str(small), "--out", str(png_doc), key=None).returncode == 0
    from_image = hurong(env, "verify", str(png_doc), "--json", key=None)
    assert from_image.returncode == 0 and json.loads(from_image.stdout)["verdict"] == "VALID"


def test_status_changes_through_the_cli_show_in_verification(env: Any) -> None:
    files = issue(env, "status", [fresh(LICENCES["business_licence"]), fresh(LICENCES["business_licence"])])
    first, second = files
    suspended = hurong(env, "suspend", str(first), "--reason", "under_investigation")
    assert suspended.returncode == 0, suspended.stderr
    status = hurong(env, "status", str(first), key=None)
    assert "suspended" in status.stdout and "reason under_investigation (7)" in status.stdout
    assert hurong(env, "verify", str(first), key=None).returncode == 1
    assert hurong(env, "reinstate", str(first), "--reason", "8").returncode == 0
    assert hurong(env, "verify", str(first), key=None).returncode == 0
    successor = json.loads(second.read_text())["proof"]["digest"]
    assert hurong(env, "supersede", str(first), "--successor", successor, "--reason", "replaced").returncode == 0
    answer = json.loads(hurong(env, "verify", "--json", str(first), key=None).stdout)
    status_check = next(c for c in answer["checks"] if c["name"] == "status")
    assert status_check["code"] == "superseded" and status_check["details"]["successor"] == successor
    by_admin = hurong(env, "revoke", str(second), "--reason", "fraud", key="sh_admin")
    assert by_admin.returncode == 0, by_admin.stderr
    other = hurong(env, "revoke", str(first), key="zj_admin")
    assert other.returncode == 1 and "CertificateRegistryUnauthorized" in other.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "missing.json"], "cannot read"),
        (["issue", "bad.json", "--out", "x"], "not valid UTF-8 JSON"),
        (["revoke", "bad.json", "--reason", "because"], "not valid UTF-8 JSON"),
        (["verify", "--province", "310100", "x.json"], "not a GB/T 2260 province-level code"),
        (["qr", "x.json", "--out", "x.gif"], "must end in .png or .svg"),
    ],
)
def test_bad_input_gives_a_message_and_exit_status_one_without_a_traceback(
    env: Any, args: list[str], message: str
) -> None:
    _, _, home = env
    (home / "bad.json").write_text("{not json")
    (home / "x.json").write_text(json.dumps({"proof": {}}))
    proc = hurong(env, *args)
    assert proc.returncode == 1, proc.stdout
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_issue_lists_every_refused_record_by_file_and_row_and_issues_nothing(env: Any) -> None:
    _, _, home = env
    good, other, bad_holder, no_number = (fresh(LICENCES["business_licence"]) for _ in range(4))
    bad_holder["holderId"] = "91310115MA1H7XY23C"
    del no_number["licenceNumber"]
    source = home / "mixed.json"
    source.write_text(json.dumps([good, bad_holder, other, no_number]), encoding="utf-8")
    proc = hurong(env, "issue", str(source), "--out", str(home / "mixed"), "--journal", str(home / "mixed.sqlite"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "2 of 4 records are refused; nothing was issued" in proc.stderr
    assert f"{source}[1]" in proc.stderr and f"{source}[3]" in proc.stderr and f"{source}[0]" not in proc.stderr
    assert "/credentialSubject/licenceNumber" in proc.stderr and "/credentialSubject/holderId" in proc.stderr
    assert not list((home / "mixed").glob("*.json"))


def test_issue_refuses_a_second_active_certificate_of_a_licence_unless_it_supersedes_it(env: Any) -> None:
    _, _, home = env
    journal = str(home / "licences.sqlite")
    record = fresh(LICENCES["business_licence"])

    def run(name: str, records: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
        (home / f"{name}.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        return hurong(env, "issue", str(home / f"{name}.json"), "--out", str(home / name), "--journal", journal)

    assert run("first", [record]).returncode == 0
    (first,) = (home / "first").glob("*.json")
    old = json.loads(first.read_text(encoding="utf-8"))["proof"]["digest"]
    again = run("again", [record])
    assert again.returncode == 1 and "duplicate_licence" in again.stderr and old in again.stderr
    twice = run("twice", [fresh(LICENCES["business_licence"])] * 2)
    assert twice.returncode == 1 and "of this request has the same type and licence number" in twice.stderr
    wrong = run("wrong", [record | {"supersedes": "0x" + "ab" * 32}])
    assert wrong.returncode == 1 and "not_a_predecessor" in wrong.stderr
    replaced = run("replaced", [record | {"supersedes": old}])
    assert replaced.returncode == 0, replaced.stderr
    (new,) = (home / "replaced").glob("*.json")
    assert f"superseded {old} by {new.stem}" in replaced.stdout
    status = hurong(env, "status", str(first))
    assert "status superseded" in status.stdout and "replaced" in status.stdout and new.stem in status.stdout
    assert run("after", [record]).returncode == 1  # the successor now holds the licence
