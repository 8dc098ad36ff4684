"""The issuance input contract through a real server over a real anvil: the issuer taken from the API key, one
JSON Schema per certificate type, every refused certificate listed, one active certificate per licence, and
succession."""

from __future__ import annotations

import json
from typing import Any

from ledger.certificates import load_schema
from tests.api.conftest import Server
from tests.api.test_api import BUSINESS, error, verify
from tests.ledger.certificates.samples import LICENCES, fresh


def post(server: Server, records: list[Any], name: str = "sh_amr") -> Any:
    with server.client(name) as http:
        return http.post("/certificates", json={"certificates": records})


def issued(server: Server, records: list[Any]) -> dict[str, Any]:
    response = post(server, records)
    assert response.status_code == 201, response.text
    server.wait_indexed()
    return dict(response.json())


def did(server: Server, name: str) -> str:
    return f"did:pkh:eip155:31337:{server.addr(name)}"


def test_the_issuer_is_the_api_keys_agency_and_another_is_refused_per_certificate(server: Server) -> None:
    (doc,) = issued(server, [fresh(BUSINESS)])["data"]
    assert doc["issuer"]["id"] == did(server, "sh_amr")
    own = "did:pkh:eip155:31337:" + server.addr("sh_amr").lower()  # the same account, not checksummed
    (named,) = issued(server, [fresh(BUSINESS) | {"issuer": {"id": own}}])["data"]
    assert named["issuer"]["id"] == did(server, "sh_amr") and "issuer" not in named["credentialSubject"]
    records = [fresh(BUSINESS), fresh(BUSINESS) | {"issuer": did(server, "zj_amr")}]
    answer = error(post(server, records), 403, "issuer_mismatch")
    assert [(p["index"], p["pointer"], p["code"]) for p in answer["details"]] == [(1, "/issuer", "issuer_mismatch")]


def test_each_certificate_type_serves_its_json_schema(server: Server) -> None:
    with server.client() as http:
        for code in ("business_licence", "driving_licence"):
            response = http.get(f"/certificate-types/{code}")
            assert response.status_code == 200 and response.headers["content-type"] == "application/schema+json"
            assert response.json() == load_schema(code)
        error(http.get("/certificate-types/marriage_certificate"), 404, "unknown_certificate_type")
        listed = http.get("/certificate-types").json()["data"]
        assert all(t["schema"] == f"/api/v1/certificate-types/{t['code']}" for t in listed)


def test_openapi_describes_a_licence_record_per_certificate_type(server: Server) -> None:
    with server.client() as http:
        spec = http.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    items = schemas["CertificatesCreate"]["properties"]["certificates"]["items"]
    record = schemas[items["$ref"].rsplit("/", 1)[1]]
    assert len(record["oneOf"]) == 6 and record["discriminator"]["propertyName"] == "certificateType"
    mapping = record["discriminator"]["mapping"]
    assert set(mapping) == {"business_licence", "food_business_licence", "physician_certificate", "driving_licence",
                            "degree_certificate"}  # fmt: skip
    business = schemas[mapping["business_licence"].rsplit("/", 1)[1]]
    assert business["properties"]["certificateType"]["const"] == "business_licence"
    assert {"licenceNumber", "holderId", "validFrom", "legalRepresentative"} <= set(business["required"])
    assert {"issuer", "supersedes"} <= set(business["properties"]) and "issuer" not in business["required"]
    assert "409" in spec["paths"]["/api/v1/certificates"]["post"]["responses"]


def test_a_refused_batch_lists_every_failing_certificate_with_its_index(server: Server) -> None:
    bad_holder = fresh(BUSINESS) | {"holderId": "91310115MA1H7XY23C"}
    no_number = {k: v for k, v in fresh(BUSINESS).items() if k != "licenceNumber"}
    not_granted = LICENCES["physician_certificate"]
    records = [fresh(BUSINESS), bad_holder, fresh(BUSINESS), no_number, not_granted, "not a record"]
    answer = error(post(server, records), 422, "invalid_input")
    found = {(p["index"], p["pointer"], p["code"]) for p in answer["details"]}
    assert {p["index"] for p in answer["details"]} == {1, 3, 4, 5}
    assert (3, "/credentialSubject/licenceNumber", "missing_field") in found
    assert (4, "/credentialSubject/certificateType", "type_not_granted") in found
    assert any(i == 1 and pointer == "/credentialSubject/holderId" for i, pointer, _ in found)
    assert all(p["message"] for p in answer["details"]) and answer["message"].startswith("4 of 6")


def test_a_second_active_certificate_of_a_licence_is_refused_unless_it_supersedes_the_first(server: Server) -> None:
    record = fresh(BUSINESS)
    (first,) = issued(server, [record])["data"]
    digest = first["proof"]["digest"]
    answer = error(post(server, [fresh(BUSINESS), record]), 409, "duplicate_licence")
    (conflict,) = answer["details"]
    assert (conflict["index"], conflict["existing"], conflict["pointer"]) == (
        1, digest, "/credentialSubject/licenceNumber"
    )  # fmt: skip
    twice = fresh(BUSINESS)
    answer = error(post(server, [twice, twice]), 409, "duplicate_licence")
    assert [c["index"] for c in answer["details"]] == [1]
    unknown = "0x" + "ab" * 32
    answer = error(post(server, [fresh(BUSINESS) | {"supersedes": unknown}]), 409, "not_a_predecessor")
    assert answer["details"][0]["pointer"] == "/supersedes"
    answer = error(post(server, [record | {"supersedes": unknown}]), 409, "duplicate_licence")
    assert {(c["code"], c["pointer"]) for c in answer["details"]} == {
        ("not_a_predecessor", "/supersedes"), ("duplicate_licence", "/credentialSubject/licenceNumber")
    }  # fmt: skip

    body = issued(server, [record | {"supersedes": digest}])
    (second,) = body["data"]
    (supersession,) = body["supersessions"]
    assert supersession["digest"] == digest and supersession["successor"] == second["proof"]["digest"]
    assert supersession["status"] == "superseded" and supersession["transactionHash"].startswith("0x")
    status = next(c for c in verify(server, first)["checks"] if c["name"] == "status")
    assert (status["code"], status["details"]["successor"]) == ("superseded", second["proof"]["digest"])
    assert (status["details"]["reason"], status["details"]["reasonCode"]) == ("replaced", 6)
    assert verify(server, second)["verdict"] == "VALID"
    assert (
        error(post(server, [record]), 409, "duplicate_licence")["details"][0]["existing"] == second["proof"]["digest"]
    )

    with server.client("sh_amr") as http:  # revoked: the licence is free again
        assert http.post(f"/certificates/{second['proof']['digest']}/revoke", json={"reason": "cancelled"}).is_success
    server.wait_indexed()
    (third,) = issued(server, [record])["data"]
    assert verify(server, third)["verdict"] == "VALID"


def test_another_agency_may_hold_the_same_licence_number(server: Server) -> None:
    record = fresh(BUSINESS)
    issued(server, [record])
    with server.client("sh_pudong") as http:
        response = http.post("/certificates", json={"certificates": [record]})
    assert response.status_code == 201, response.text


def test_supersede_requires_a_successor_anchored_by_the_same_agency(server: Server) -> None:
    old, new = issued(server, [fresh(BUSINESS), fresh(BUSINESS)])["data"]
    with server.client("sh_pudong") as http:
        response = http.post("/certificates", json={"certificates": [fresh(BUSINESS)]})
        assert response.status_code == 201, response.text
        foreign = response.json()["data"][0]["proof"]["digest"]
    server.wait_indexed()
    path = f"/certificates/{old['proof']['digest']}/supersede"
    with server.client("sh_amr") as http:
        error(http.post(path, json={"reason": "replaced", "successor": "0x" + "cd" * 32}), 422,
              "successor_not_anchored")  # fmt: skip
        error(http.post(path, json={"reason": "replaced", "successor": foreign}), 409, "successor_of_another_agency")
        error(http.post(path, json={"reason": "replaced", "successor": old["proof"]["digest"]}), 422,
              "invalid_successor")  # fmt: skip
        bad_proof = {"proof": {"digest": "0x" + "cd" * 32, "merkleRoot": new["proof"]["merkleRoot"], "merklePath": []}}
        error(http.post(path, json={"reason": 6, "successor": "0x" + "cd" * 32, "successorCertificate": bad_proof}),
              422, "invalid_successor")  # fmt: skip
        done = http.post(path, json={"reason": "replaced", "successor": new["proof"]["digest"]})
    assert done.status_code == 200, done.text
    assert (done.json()["reason"], done.json()["reasonCode"], done.json()["successor"]) == (
        "replaced", 6, new["proof"]["digest"]
    )  # fmt: skip


def test_licence_numbers_do_not_rest_in_the_journal_in_plaintext(server: Server) -> None:
    record = fresh(BUSINESS)
    issued(server, [record])
    journal = server.home / "journals" / f"{server.addr('sh_amr')}.sqlite"
    stored = b"".join(p.read_bytes() for p in journal.parent.glob(journal.name + "*"))
    assert journal.is_file() and record["licenceNumber"].encode() not in stored


def test_an_agency_finds_its_certificates_by_licence_number(server: Server) -> None:
    first = fresh(BUSINESS)
    (old,) = issued(server, [first])["data"]
    number = first["licenceNumber"]
    (new,) = issued(server, [fresh(BUSINESS) | {"licenceNumber": number, "supersedes": old["proof"]["digest"]}])["data"]
    with server.client("sh_amr") as http:
        found = http.get("/certificates", params={"licenceNumber": number}).json()
        typed = http.get("/certificates", params={"licenceNumber": number, "certificateType": "business_licence"})
        assert typed.json() == found
        assert [d["digest"] for d in found["data"]] == [old["proof"]["digest"], new["proof"]["digest"]]
        statuses = [(d["status"], d["reason"]) for d in found["data"]]
        assert statuses == [("superseded", "replaced"), ("valid", "unspecified")]
        assert found["data"][0]["successor"] == new["proof"]["digest"] and found["count"] == 2
        assert found["data"][1]["certificate"] == new
        assert http.get("/certificates", params={"licenceNumber": "no-such-licence"}).json()["count"] == 0
        assert http.get("/certificates", params={"licenceNumber": number, "certificateType": "driving_licence"}
                        ).json()["data"] == []  # fmt: skip
        error(http.get("/certificates", params={"licenceNumber": number, "certificateType": "x"}), 422,
              "unknown_certificate_type")  # fmt: skip
        error(http.get("/certificates", params={"licenceNumber": number + "\u202e"}), 422, "invalid_text")
        assert http.get("/certificates").status_code == 422
    with server.client("zj_amr") as other:  # another agency never sees them
        assert other.get("/certificates", params={"licenceNumber": number}).json()["count"] == 0
    with server.client("sh_admin") as admin:
        assert admin.get("/certificates", params={"licenceNumber": number}).status_code == 403


def test_an_agency_downloads_a_zip_of_its_certificates_with_qr_images(server: Server) -> None:
    import csv
    import io
    import zipfile

    from PIL import Image

    from ledger.certificates.qr import decode_payload

    docs = issued(server, [fresh(BUSINESS) for _ in range(3)])["data"]
    digests = [d["proof"]["digest"] for d in docs]
    with server.client("sh_amr") as http:
        response = http.post("/certificates/export", json={"digests": digests})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"].startswith('attachment; filename="certificates-')
        refused = error(http.post("/certificates/export", json={"digests": [digests[0], "0x" + "ab" * 32]}), 422,
                        "unknown_certificates")  # fmt: skip
        assert [(p["index"], p["pointer"]) for p in refused["details"]] == [(1, "/digests/1")]
        error(http.post("/certificates/export", json={"digests": []}), 422, "invalid_request")
    with server.client("zj_amr") as other:  # another agency's certificates are not its to export
        error(other.post("/certificates/export", json={"digests": digests[:1]}), 422, "unknown_certificates")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [r["digest"] for r in rows] == digests
    import zxingcpp

    for doc, row in zip(docs, rows, strict=True):
        assert json.loads(archive.read(row["certificate"])) == doc
        image = Image.open(io.BytesIO(archive.read(row["qr"])))
        (code,) = zxingcpp.read_barcodes(image)
        assert decode_payload(bytes(code.bytes)) == doc and row["qrHolds"] == "document"
        assert row["licenceNumber"] == doc["credentialSubject"]["licenceNumber"]
