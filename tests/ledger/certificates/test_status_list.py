"""W3C Bitstring Status Lists: Hurong's encoding read by a maintained implementation
(npm `@digitalbazaar/vc-bitstring-status-list`, pinned in tests/js/status-list) and the other way round."""

from __future__ import annotations

import json
import random
import subprocess
from typing import Any

import pytest

from ledger.certificates.status_list import (
    MIN_ENTRIES,
    decode_list,
    encode_list,
    is_set,
    list_hash,
    list_id,
    published_list,
    status_entry,
    status_list_credential,
)
from ledger.errors import LedgerValueError
from ledger.toolchain.compiler import find_project_root, node_executable

ROOT = find_project_root()
CHECKER = ROOT / "tests" / "js" / "status-list"
pytestmark = pytest.mark.skipif(
    not (CHECKER / "node_modules" / "@digitalbazaar" / "vc-bitstring-status-list").is_dir(),
    reason="needs tests/js/status-list's npm packages (scripts/setup.sh installs them)",
)


def maintained(request: dict[str, Any]) -> dict[str, Any]:
    """What @digitalbazaar/vc-bitstring-status-list answers (tests/js/status-list/check.mjs)."""
    done = subprocess.run([node_executable(ROOT), "check.mjs"], input=json.dumps(request).encode(), cwd=CHECKER,
                          capture_output=True, check=True, timeout=120)  # fmt: skip
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_the_maintained_decoder_reads_every_entry_hurong_sets() -> None:
    rng = random.Random(131072)
    chosen = sorted(set(rng.sample(range(MIN_ENTRIES), 500)) | {0, 7, 8, MIN_ENTRIES - 1})
    probes = chosen + [i for i in rng.sample(range(MIN_ENTRIES), 500) if i not in chosen] + [1, 6, 9]
    answer = maintained({"decode": encode_list(chosen), "indexes": probes})
    assert answer["length"] == MIN_ENTRIES
    assert answer["statuses"] == [i in chosen for i in probes]


def test_hurong_reads_every_entry_the_maintained_encoder_sets() -> None:
    rng = random.Random(36)
    chosen = set(rng.sample(range(MIN_ENTRIES * 2), 300)) | {0, MIN_ENTRIES * 2 - 1}
    encoded = maintained({"encode": sorted(chosen), "length": MIN_ENTRIES * 2})["encodedList"]
    bits = decode_list(encoded)
    assert len(bits) * 8 == MIN_ENTRIES * 2
    assert {i for i in range(MIN_ENTRIES * 2) if is_set(bits, i)} == chosen


def test_one_bitstring_always_encodes_to_the_same_text_and_hash() -> None:
    first = status_list_credential("https://h.example/lists/1", "did:pkh:eip155:1:0x0", "revocation", [3, 5],
                                   valid_from="2026-01-01T00:00:00Z")  # fmt: skip
    again = status_list_credential("https://h.example/lists/1", "did:pkh:eip155:1:0x0", "revocation", [5, 3],
                                   valid_from="2026-01-01T00:00:00Z")  # fmt: skip
    assert first == again and list_hash(first) == list_hash(again)
    subject = {"id": "https://h.example/lists/1#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
               "encodedList": encode_list([3, 5])}  # fmt: skip
    assert first["credentialSubject"] == subject
    changed = status_list_credential("https://h.example/lists/1", "did:pkh:eip155:1:0x0", "revocation", [3],
                                     valid_from="2026-01-01T00:00:00Z")  # fmt: skip
    assert list_hash(changed) != list_hash(first)


def test_entry_names_its_list_purpose_and_index() -> None:
    assert status_entry("https://h.example/lists/1", "suspension", 94567) == {
        "id": "https://h.example/lists/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "suspension",
        "statusListIndex": "94567",
        "statusListCredential": "https://h.example/lists/1",
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: encode_list([], 1024), "at least 131072"),
        (lambda: encode_list([MIN_ENTRIES]), "outside"),
        (lambda: encode_list([-1]), "outside"),
        (lambda: decode_list("zH4sI"), "starts with 'u'"),
        (lambda: decode_list("u!!!!"), "not base64url GZIP"),
        (lambda: decode_list(maintained({"encode": [], "length": 8})["encodedList"]), "at least 131072"),
        (lambda: status_list_credential("u", "i", "expiry", [], valid_from="x"), "status purpose"),  # type: ignore[arg-type]
    ],
)
def test_malformed_lists_are_refused(call: Any, message: str) -> None:
    with pytest.raises(LedgerValueError, match=message):
        call()


AGENCY = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"
LIST_URL = f"https://licences.example.gov.cn/api/v1/status-lists/{AGENCY}/suspension/3"


def _published() -> dict[str, Any]:
    return status_list_credential(LIST_URL, f"did:pkh:eip155:31337:{AGENCY}", "suspension", [7, 99],
                                  valid_from="2026-12-06T00:00:00Z")  # fmt: skip


def test_a_published_list_names_its_agency_list_id_and_hash() -> None:
    credential = _published()
    listed = published_list(credential)
    assert (listed.chain_id, listed.agency, listed.purpose, listed.number) == (31337, AGENCY, "suspension", 3)
    assert listed.list_id == list_id("suspension", 3) != list_id("revocation", 3)
    assert listed.list_hash == list_hash(credential)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.update(type=["VerifiableCredential"]), "BitstringStatusListCredential"),
        (lambda c: c.update(id="https://elsewhere.example/list.json"), "not a status list URL"),
        (lambda c: c.update(issuer="did:web:example.org"), "did:pkh"),
        (lambda c: c.update(issuer=f"did:pkh:eip155:31337:0x{'ab' * 20}"), "names agency"),
        (lambda c: c["credentialSubject"].update(statusPurpose="revocation"), "names purpose"),
        (lambda c: c["credentialSubject"].update(encodedList=12), "not a string"),
        (lambda c: c["credentialSubject"].update(encodedList="uAAAA"), "GZIP"),
        (lambda c: c.update(extra=2**80), "RFC 8785"),
    ],
)
def test_a_document_that_is_no_published_list_is_refused(change: Any, message: str) -> None:
    credential = _published()
    change(credential)
    with pytest.raises(LedgerValueError, match=message):
        published_list(credential)
    with pytest.raises(LedgerValueError):
        published_list([credential])


def test_list_ids_need_a_purpose_and_a_positive_number() -> None:
    assert list_id("revocation", 1).hex() == "da1109b5647f3f6944aa2c8e2098c3e19041bed09c664bafaf4aa5eafd8dfb53"
    for purpose, number in (("expiry", 1), ("revocation", 0), ("revocation", True)):
        with pytest.raises(LedgerValueError):
            list_id(purpose, number)  # type: ignore[arg-type]
