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
