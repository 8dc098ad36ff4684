"""Hardening of the service, through real servers over real anvil chains: every bad input is a JSON 4xx with a
clear code, the unexpected a JSON 500 with the request's id (its traceback logged under that id), a chain
outage a JSON 503 with `Retry-After`; keys are checked before bodies are read, rates are limited, and every
answer carries a request id and the security headers."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.chain import contract_errors
from ledger.errors import ContractRevertError
from tests.api.conftest import Server
from tests.api.support import Extra, extra_server, own_chain_server, raw_request, uvicorn_app
from tests.ledger.certificates.samples import LICENCES, fresh

BUSINESS = LICENCES["business_licence"]
SECURITY_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error of a JSON error answer, checked: status, code, a message, and the request id of the header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"]
    assert body["error"]["requestId"] == response.headers["x-request-id"]
    return dict(body["error"])


def issue(server: Server, records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    with server.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": records or [fresh(BUSINESS)]})
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return list(response.json()["data"])


@pytest.fixture(scope="module")
def issued(server: Server) -> dict[str, Any]:
    return issue(server)[0]


# --- request ids and security headers ---------------------------------------------------------------------------


def test_every_answer_carries_a_request_id_and_the_security_headers(server: Server) -> None:
    with httpx.Client(base_url=server.url) as http:
        answers = [
            http.get("/api/v1/health"),
            http.post("/api/v1/verify", json={"certificate": {}}),
            http.get("/api/v1/nowhere"),
            http.post("/api/v1/verify", content=b"{", headers={"content-type": "application/json"}),
            http.get("/verify"),
            http.get("/docs"),
            http.get("/metrics"),
        ]
    ids = set()
    for response in answers:
        assert len(response.headers["x-request-id"]) >= 16, response.url
        ids.add(response.headers["x-request-id"])
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (response.url, name)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert len(ids) == len(answers)


@pytest.mark.parametrize(
    ("given", "echoed"),
    [("3f2a-req.7:x_Y", True), ("a" * 128, True), ("a" * 129, False), ("two words", False), ("-leading", False),
     ("é", False)],
)  # fmt: skip
def test_a_sane_request_id_is_echoed_and_any_other_replaced(server: Server, given: str, echoed: bool) -> None:
    response = httpx.get(server.api + "/nowhere", headers={b"X-Request-Id": given.encode()})
    returned = error(response, 404, "not_found")["requestId"]
    assert (returned == given) is echoed
    assert echoed or len(returned) == 32


# --- unexpected errors ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faulty(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with uvicorn_app(server, tmp_path_factory.mktemp("faulty"), "tests.api.faulty_app:create") as running:
        yield running


@pytest.mark.parametrize("path", ["/faulty-route", "/faulty-middleware"])
def test_an_unexpected_exception_is_a_json_500_with_its_request_id_in_the_log(
    faulty: tuple[str, Path], path: str
) -> None:
    url, log = faulty
    response = httpx.get(url + path, headers={"X-Request-Id": f"trace-{path[1:]}"})
    answer = error(response, 500, "internal_error")
    assert answer["requestId"] == f"trace-{path[1:]}" and answer["requestId"] in answer["message"]
    assert "planted" not in answer["message"]  # the caller learns the id, not the internals
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    deadline = time.monotonic() + 5
    while f"[request trace-{path[1:]}]" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = log.read_text(encoding="utf-8")
    entry = logged[logged.index(f"[request trace-{path[1:]}]") :]
    assert "Traceback" in entry and "Planted: a planted fault" in entry


# --- chain outage -----------------------------------------------------------------------------------------------


def test_a_chain_outage_is_a_json_503_with_retry_after(tmp_path: Path) -> None:
    with own_chain_server(tmp_path) as (service, chain), service.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": [BUSINESS]})
        assert response.status_code == 201, response.text
        doc = response.json()["data"][0]
        chain.stop()
        digest = doc["proof"]["digest"]
        answers = {
            "verify from the chain": http.post("/verify", params={"consistency": "chain"}, json={"certificate": doc}),
            "issue": http.post("/certificates", json={"certificates": [fresh(BUSINESS)]}),
            "suspend": http.post(f"/certificates/{digest}/suspend", json={"reason": "under_investigation"}),
        }
        health = http.get("/health")
    assert health.status_code == 503 and health.headers["retry-after"].isdigit(), health.text
    for what, response in answers.items():
        assert response.status_code == 503, (what, response.text)
        answer = error(response, 503, response.json()["error"]["code"])
        assert answer["code"] in ("chain_unavailable", "anchoring_failed"), (what, answer)
        assert int(response.headers["retry-after"]) >= 1, what


def test_contract_errors_in_the_status_table_exist() -> None:
    from api.errors import REVERT_STATUS

    known = {
        cls.error_name
        for cls in vars(contract_errors).values()
        if isinstance(cls, type) and issubclass(cls, ContractRevertError)
    }
    assert set(REVERT_STATUS) - known - {"UnknownContractError"} == set()
    assert set(REVERT_STATUS.values()) <= {403, 404, 409, 422, 500}


# --- reason codes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason",
    [True, False, "²", "٣", "３", "9" * 5000, "000003", " 3", "3 ", 3.0, 65_536, -1, None, [], {}, "", "fraud ",
     "under_ınvestigation"],
    ids=["true", "false", "superscript two", "arabic-indic three", "fullwidth three", "5000 digits", "six digits",
         "leading space", "trailing space", "float", "beyond uint16", "negative", "null", "list", "object", "empty",
         "name with space", "dotless i"],
)  # fmt: skip
def test_status_changes_refuse_reasons_that_are_no_documented_name_or_ascii_number(
    server: Server, issued: dict[str, Any], reason: Any
) -> None:
    with server.client("sh_amr") as http:
        response = http.post(f"/certificates/{issued['proof']['digest']}/suspend", json={"reason": reason})
    answer = error(response, 422, "invalid_reason")
    assert answer["details"][0]["pointer"] == "/reason"


def test_status_changes_take_documented_names_and_ascii_numbers(server: Server) -> None:
    digest = issue(server)[0]["proof"]["digest"]
    with server.client("sh_amr") as http:
        for action, reason, code in (("suspend", "Under-Investigation", 7), ("reinstate", "8", 8),
                                     ("suspend", 7, 7), ("reinstate", "investigation_closed", 8)):  # fmt: skip
            response = http.post(f"/certificates/{digest}/{action}", json={"reason": reason})
            assert response.status_code == 200, response.text
            assert response.json()["reasonCode"] == code
            assert response.json()["reason"] == ("under_investigation" if code == 7 else "investigation_closed")


# --- dates ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("validFrom", "0001-01-01T00:00:00+01:00"), ("validUntil", "9999-12-31T23:59:59-01:00"),
     ("validFrom", "1899-12-31T23:59:59Z"), ("validFrom", "1900-01-01T07:59:59+08:00")],
)  # fmt: skip
def test_dates_beyond_the_calendar_are_refused_with_a_pointer(server: Server, field: str, value: str) -> None:
    with server.client("sh_amr") as http:
        response = http.post("/certificates", json={"certificates": [BUSINESS | {field: value}]})
    answer = error(response, 422, "invalid_input")
    assert {"pointer": f"/{field}", "code": "datetime_out_of_range"} in [
        {k: p[k] for k in ("pointer", "code")} for p in answer["details"]
    ]


def test_credentials_and_verification_with_dates_out_of_range_are_refused_not_crashed(
    server: Server, issued: dict[str, Any]
) -> None:
    with server.client("sh_amr") as http:
        credential = {k: v for k, v in issued.items() if k != "proof"} | {"validFrom": "0001-01-01T00:00:00Z"}
        answer = error(http.post("/certificates", json={"certificates": [credential]}), 422, "invalid_input")
        assert answer["details"][0]["pointer"] == "/validFrom"
        for value in ("0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00"):
            tampered = copy.deepcopy(issued) | {"validUntil": value}
            response = http.post("/verify", json={"certificate": tampered})
            assert response.status_code == 200, response.text
            assert response.json()["verdict"] == "INVALID"


# --- text -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [("上海\x00公司", "control_character"), ("上海\x85公司", "control_character"), ("上海\n公司", "control_character"),
     ("上海\u202e司公", "bidi_control"), ("上海\u2067公司\u2069", "bidi_control"),
     ("\ufeff上海公司", "invisible_character"), ("上海\u200b公司", "invisible_character"),
     ("上海\u2060公司", "invisible_character")],
    ids=["NUL", "C1 NEL", "line feed", "RLO", "RLI", "BOM", "zero-width space", "word joiner"],
)  # fmt: skip
def test_names_with_controls_bidi_or_invisible_characters_are_refused(server: Server, text: str, code: str) -> None:
    records = [BUSINESS | {"holderName": text}, BUSINESS | {"fields": BUSINESS["fields"] | {"address": text}}]
    with server.client("sh_amr") as http:
        for record, pointer in zip(
            records, ["/credentialSubject/holderName", "/credentialSubject/address"], strict=True
        ):
            answer = error(http.post("/certificates", json={"certificates": [record]}), 422, "invalid_input")
            assert {"pointer": pointer, "code": code} in [{k: p[k] for k in ("pointer", "code")}
                                                           for p in answer["details"]]  # fmt: skip


def test_running_text_may_hold_line_feeds_and_tabs_and_names_keep_their_scripts(server: Server) -> None:
    scope = "食品销售；\n餐饮服务。\t（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
    name = "ئۇيغۇر\u200cشىركىتى 𠀀\U000e0100 有限公司"  # Uyghur with ZWNJ, a rare ideograph with its variation
    doc = issue(
        server, [fresh(BUSINESS) | {"holderName": name, "fields": BUSINESS["fields"] | {"businessScope": scope}}]
    )[0]
    assert doc["credentialSubject"]["businessScope"] == scope and doc["credentialSubject"]["holderName"] == name
    with server.client("sh_amr") as http:
        bad = BUSINESS | {"fields": BUSINESS["fields"] | {"businessScope": "食品销售\r\n\x1b[2J"}}
        answer = error(http.post("/certificates", json={"certificates": [bad]}), 422, "invalid_input")
        assert answer["details"][0]["pointer"] == "/credentialSubject/businessScope"


# --- bodies -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [("/verify", b'{"certificate": {}, "certificate": {"a": 1}}', "certificate"),
     ("/verify", b'{"certificate": {"issuer": {"id": "x", "id": "y"}}}', "id"),
     ("/verify/bulk", b'{"certificates": [{"proof": 1, "proof": 2}]}', "proof"),
     # the same key spelt with an escape, a colon inside the dropped value, a colon spelt \u003a
     ("/verify", b'{"certificate": {"a:b": "c:d", "a\\u003ab": "e"}}', "a:b"),
     ("/verify", b'{"certificate": {"issuer": 1, "\\u0069ssuer": "x:y:z"}}', "issuer")],
)  # fmt: skip
def test_duplicate_keys_are_refused_naming_the_key(server: Server, path: str, body: bytes, key: str) -> None:
    response = httpx.post(server.api + path, content=body, headers={"content-type": "application/json"})
    answer = error(response, 400, "duplicate_key")
    assert repr(key) in answer["message"] and answer["details"] == {"key": key}


def test_colons_in_text_are_no_duplicate_keys(server: Server) -> None:
    body = b'{"certificate": {"a:b": "c:d:e", "k\\u003a": "\\u003a"}, "context": {"province": "330000"}}'
    response = httpx.post(server.api + "/verify", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "INVALID"


def test_duplicate_keys_are_refused_before_the_key_of_a_write_is_used(server: Server) -> None:
    body = json.dumps({"certificates": [BUSINESS]})[:-1] + ', "certificates": []}'
    with server.client("sh_amr") as http:
        response = http.post("/certificates", content=body.encode(), headers={"content-type": "application/json"})
    error(response, 400, "duplicate_key")


def test_an_integer_beyond_64_bits_is_judged_as_written_not_as_a_float(server: Server, issued: dict[str, Any]) -> None:
    # orjson reads 2**64 as the float 1.8446744073709552e+19: the body goes to Python's json, which keeps it.
    certificate = json.dumps(issued).replace(
        '"credentialSubject": {', '"credentialSubject": {"n": 18446744073709551616, ', 1
    )
    body = '{"certificate": ' + certificate + ', "context": {"province": "330000"}}'
    assert "18446744073709551616" in body
    response = httpx.post(server.api + "/verify", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    format_check = response.json()["checks"][0]
    assert (format_check["code"], format_check["details"]["problems"][0]["pointer"]) == (
        "schema",
        "/credentialSubject/n",
    )
    assert "an integer beyond 64 bits" in format_check["details"]["problems"][0]["message"]
    assert "e+19" not in response.text


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"certificate": "\xff\xfe"}', b'{"certificate": {}} x', b'{"certificate": {"a": NaN'],
    ids=["syntax", "invalid UTF-8", "trailing data", "truncated"],
)
def test_malformed_json_is_a_400(server: Server, body: bytes) -> None:
    response = httpx.post(server.api + "/verify", content=body, headers={"content-type": "application/json"})
    error(response, 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"certificate": ' + b'{"a": [' * 40 + b"1" + b"]}" * 40 + b"}"],
    ids=["100,000 levels", "81 levels"],
)
def test_json_nested_too_deep_is_a_400_and_the_service_stays_up(server: Server, body: bytes) -> None:
    response = httpx.post(server.api + "/verify", content=body, headers={"content-type": "application/json"})
    error(response, 400, "json_too_deep")
    assert httpx.get(server.api + "/openapi.json").status_code == 200
    brackets_in_text = {"certificate": {"note": "[{" * 5000, "other": "]}" * 5000 + '\\"[['}}
    response = httpx.post(server.api + "/verify", json=brackets_in_text)
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def limited(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Extra]:
    """A service with a 4 KiB body limit and a per-key rate of 2 requests/s (burst 3)."""
    env = {"HURONG_MAX_BODY_BYTES": "4096", "HURONG_RATE_LIMIT_PER_KEY": "2", "HURONG_RATE_LIMIT_PER_KEY_BURST": "3"}
    with extra_server(server, tmp_path_factory.mktemp("limited"), env) as running:
        yield running


def test_a_chunked_body_over_the_limit_is_a_413(limited: Extra) -> None:
    head = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
    chunk = b'{"certificate": {"x": "' + b"a" * 5000 + b'"}}'
    status, answer = raw_request(limited.url, head, b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk))
    assert status == 413, answer
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"] == "body_too_large"
    small = b'{"certificate": {}}'
    status, answer = raw_request(limited.url, head, b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small))
    assert status == 200, answer


def test_a_content_length_over_the_limit_is_a_413_however_long(limited: Extra) -> None:
    for length in (b"4097", b"9" * 30, b"9" * 5000):
        head = b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + length
        status, answer = raw_request(limited.url, head, b"{}")
        assert status in (413, 400), answer  # the HTTP parser itself may refuse an absurd length
        assert b"application/json" in answer.partition(b"\r\n\r\n")[0].lower() or status == 400, answer


# --- authentication before bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/certificates", "/api/v1/certificates/0x" + "ab" * 32 + "/revoke"])
@pytest.mark.parametrize("key", [None, "hr_000000000000_" + "a" * 43, "not a key"])
def test_writes_without_a_valid_key_are_refused_before_the_body_is_read(
    server: Server, path: str, key: str | None
) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15000000"
    if key is not None:
        head += f"\r\nX-API-Key: {key}"
    started = time.monotonic()
    status, answer = raw_request(server.url, head.encode(), b'{"certificates": [' + b" " * 1024, timeout=5)
    assert status == 401, answer  # answered though 15 MB were announced and 1 KiB sent
    assert time.monotonic() - started < 4
    code = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["code"]
    assert code == ("missing_api_key" if key is None else "invalid_api_key")


# --- rate limits ------------------------------------------------------------------------------------------------


def local_client(extra: Extra, address: str, key: str | None = None) -> httpx.Client:
    """A client whose connections come from `address` (another loopback address: a client of its own)."""
    headers = {"X-API-Key": key} if key else {}
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=extra.api, headers=headers, transport=transport, timeout=30)


def test_an_api_key_over_its_rate_is_refused_429_with_retry_after(limited: Extra) -> None:
    unknown = "/certificates/0x" + "cd" * 32 + "/revoke"
    with local_client(limited, "127.0.0.3", limited.keys["sh_amr"]) as http:
        statuses = [http.post(unknown, json={"reason": 1}) for _ in range(8)]
        other = local_client(limited, "127.0.0.3", limited.keys["zj_amr"])
        with other:
            assert other.post(unknown, json={"reason": 1}).status_code == 404  # another key has its own bucket
    assert [r.status_code for r in statuses[:3]] == [404] * 3
    limited_answers = [r for r in statuses if r.status_code == 429]
    assert len(limited_answers) >= 4
    for response in limited_answers:
        error(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1


def test_wrong_keys_from_one_address_are_refused_429_after_a_few(limited: Extra) -> None:
    started = time.monotonic()
    statuses: list[int] = []
    with local_client(limited, "127.0.0.2") as http:
        while len(statuses) < 2000 and time.monotonic() - started < 15:
            key = f"hr_{len(statuses):012x}_" + "a" * 43
            response = http.post("/certificates", json={"certificates": []}, headers={"X-API-Key": key})
            statuses.append(response.status_code)
        last = response
        valid = http.post("/certificates/0x" + "ef" * 32 + "/revoke", json={"reason": 1},
                          headers={"X-API-Key": limited.keys["sh_amr"]})  # fmt: skip
    assert statuses.count(401) <= 40 and statuses.count(429) >= len(statuses) - 40, statuses.count(401)
    error(last, 429, "rate_limited")
    assert int(last.headers["retry-after"]) >= 1
    error(valid, 429, "rate_limited")  # while the address is locked out, no key is even checked
    with local_client(limited, "127.0.0.4", limited.keys["sh_amr"]) as other_address:
        response = other_address.post("/certificates/0x" + "ef" * 32 + "/revoke", json={"reason": 1})
    assert response.status_code == 404, response.text


def test_an_address_over_its_rate_is_refused_429(server: Server, tmp_path: Path) -> None:
    env = {"HURONG_RATE_LIMIT_PER_ADDRESS": "5", "HURONG_RATE_LIMIT_PER_ADDRESS_BURST": "10"}
    with extra_server(server, tmp_path, env) as by_address, local_client(by_address, "127.0.0.5") as http:
        statuses = [http.get("/provinces").status_code for _ in range(30)]
        response = http.post("/verify", json={"certificate": {}})
    assert statuses[:10] == [200] * 10 and statuses.count(429) >= 15
    error(response, 429, "rate_limited")


def test_default_limits_do_not_throttle_verification_from_one_address(server: Server, issued: dict[str, Any]) -> None:
    with server.client() as http:
        statuses = {http.post("/verify", json={"certificate": issued}).status_code for _ in range(300)}
    assert statuses == {200}


# --- pages, docs and the OpenAPI document -----------------------------------------------------------------------


def test_docs_serve_swagger_ui_from_the_service_itself(server: Server) -> None:
    with httpx.Client(base_url=server.url) as http:
        page = http.get("/docs")
        assert page.status_code == 200
        assert "http://" not in page.text and "https://" not in page.text
        for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css")):
            assert f'"/docs/assets/{asset}"' in page.text
            response = http.get(f"/docs/assets/{asset}")
            assert response.status_code == 200 and kind in response.headers["content-type"]
            assert response.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    assert "'sha256-" in policy and "'unsafe-inline'" not in policy and "cdn" not in policy


def test_the_openapi_document_lists_every_error_status_with_the_error_model(server: Server) -> None:
    spec = httpx.get(server.api + "/openapi.json").json()
    model = {"$ref": "#/components/schemas/ErrorResponse"}
    assert "requestId" in spec["components"]["schemas"]["ErrorBody"]["properties"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "404", "413", "422", "429", "500", "503"}
            expected |= {"401", "403"} if operation.get("security") else set()
            expected |= {"409"} if method != "get" else set()
            assert expected <= set(responses), (method, path, expected - set(responses))
            for status in expected:
                assert responses[status]["content"]["application/json"]["schema"] == model, (path, status)
            for status in ("429", "503"):
                assert "Retry-After" in responses[status]["headers"], (path, status)
    revoke = spec["paths"]["/api/v1/certificates/{digest}/revoke"]["post"]
    assert {"401", "403", "409"} <= set(revoke["responses"])


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock"), ("/verify", "#province option[value='330000']")])
def test_the_pages_work_under_their_content_security_policy(server: Server, path: str, ready: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            console: list[str] = []
            foreign: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda exc: console.append(str(exc)))
            page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((server.url, "data:", "blob:"))
                    else None)  # fmt: skip
            page.goto(server.url + path)
            sync_api.expect(page.locator(ready).first).to_be_attached(timeout=20_000)
            page.wait_for_timeout(300)
        finally:
            browser.close()
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    assert not foreign, foreign
