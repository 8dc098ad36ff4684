"""`hurong trust-bundle fetch | check` against a real service over anvil: the bundle saved with the service's key,
checked offline, and every bad input refused with a message and exit status 1, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli.main import app
from ledger.index import trust_bundle
from tests.api.conftest import Server, own_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with own_server(tmp_path_factory.mktemp("trust-bundle-cli")) as running:
        yield running


def hurong(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def refused(result: Any, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.fixture(scope="module")
def fetched(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "bundle.json"
    result = hurong("trust-bundle", "fetch", server.url, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "signature checked" in result.output
    return out


def test_fetch_saves_the_bundle_and_the_services_key(server: Server, fetched: Path) -> None:
    key = json.loads(fetched.with_name("bundle.json.key.json").read_text("utf-8"))
    with server.client() as http:
        assert key == http.get("/trust-bundle/key").json()
    payload = trust_bundle.check(json.loads(fetched.read_text("utf-8")), key)
    assert payload["chainId"] == server.result.deployment.chain_id


def test_check_reports_what_the_bundle_holds_and_its_age(fetched: Path) -> None:
    key_file = str(fetched.with_name("bundle.json.key.json"))
    result = hurong("trust-bundle", "check", str(fetched), "--key", key_file, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["ageSeconds"] >= 0 and summary["roots"] >= 0 and summary["agencies"] > 0
    hex_key = json.loads(Path(key_file).read_text("utf-8"))["publicKey"]
    plain = hurong("trust-bundle", "check", str(fetched), "--key", hex_key)
    assert plain.exit_code == 0 and "signature is valid" in plain.output and "s old" in plain.output


def test_fetch_with_a_pinned_key_refuses_a_service_signing_with_another(
    server: Server, fetched: Path, tmp_path: Path
) -> None:
    other = trust_bundle.load_or_create_key(tmp_path / "other").public_hex
    refused(hurong("trust-bundle", "fetch", server.url, "--out", str(tmp_path / "b.json"), "--key", other),
            "does not verify")  # fmt: skip
    assert not (tmp_path / "b.json").exists()


def test_bad_input_is_refused_with_a_message(server: Server, fetched: Path, tmp_path: Path) -> None:
    key_file = str(fetched.with_name("bundle.json.key.json"))
    tampered = json.loads(fetched.read_text("utf-8"))
    tampered["payload"]["generatedAt"] += 3600
    (tmp_path / "tampered.json").write_text(json.dumps(tampered), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    refused(hurong("trust-bundle", "check", str(tmp_path / "tampered.json"), "--key", key_file), "does not verify")
    refused(hurong("trust-bundle", "check", str(tmp_path / "broken.json"), "--key", key_file), "not valid UTF-8 JSON")
    refused(hurong("trust-bundle", "check", str(tmp_path / "missing.json"), "--key", key_file), "cannot read")
    refused(hurong("trust-bundle", "check", str(fetched), "--key", "ab" * 31), "cannot read")
    refused(hurong("trust-bundle", "check", str(fetched), "--key", str(fetched)), "64 hex digits")
    aged = json.loads(fetched.read_text("utf-8"))
    key = trust_bundle.load_or_create_key(tmp_path / "aged")
    aged["payload"]["generatedAt"] -= 7200
    (tmp_path / "aged.json").write_text(json.dumps(trust_bundle.sign(aged["payload"], key)), encoding="utf-8")
    refused(hurong("trust-bundle", "check", str(tmp_path / "aged.json"), "--key", key.public_hex, "--max-age", "3600"),
            "over the 3600 s allowed")  # fmt: skip
    refused(
        hurong("trust-bundle", "fetch", "ftp://example.org", "--out", str(tmp_path / "x.json")), "not an http(s) URL"
    )
    refused(hurong("trust-bundle", "fetch", server.url + "/nowhere", "--out", str(tmp_path / "x.json")), "HTTP 404")
