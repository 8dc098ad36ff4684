"""Writes the shared test vectors (`tests/vectors/*.json`) from the pure-Python reference.

    .venv/bin/python -m tests.vectors.generate

Documents are salted with fixed salts, so every field hash, digest, root and proof is reproducible; the files
are ASCII JSON (lone surrogates, NaN and the infinities written as Python's `json` writes them).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from ledger.certificates import hashing, reference
from ledger.errors import LedgerError

HERE = Path(__file__).parent
SUITES = ("default", "sm")

LICENCE: dict[str, Any] = json.loads((HERE.parents[1] / "examples" / "licences.json").read_text("utf-8"))[1]

DOCUMENTS: dict[str, dict[str, Any]] = {
    "licence": LICENCE,
    "non_bmp": {"name": "张𠀀三", "emoji": "😀👩‍👩‍👧", "tangut": "𗀀", "𠮷": "key outside the BMP"},
    "combining_marks": {"nfc": "é", "nfd": "e\u0301", "hangul": "\u1112\u1161\u11ab", "zwj": "a\u200db"},
    "control_characters": {"c0": "".join(chr(i) for i in range(0x20)), "del": "\x7f", "c1": "\x80\x9f"},
    "escapes": {"quote": '"', "backslash": "\\", "slash": "/", "short": "\b\f\n\r\t", "unicode_escape": "\\u0041"},
    "pointer_escapes": {"a/b": 1, "m~n": 2, "~1": 3, "": 4, " ": 5, "x": {"/": {"~": "deep"}}, "\n": "newline key"},
    "numbers": {
        "zero": 0,
        "negative_zero": -0.0,
        "e21": 1e21,
        "e20": 1e20,
        "smallest": 5e-324,
        "largest": 1.7976931348623157e308,
        "e_minus_7": 1.5e-7,
        "e_minus_6": 0.000001,
        "decimal": 123.456,
        "negative": -1.5,
        "max_safe": 2**53 - 1,
        "min_safe": -(2**53) + 1,
        "float_2_53": 9007199254740992.0,
        "float_int": 4.0,
        "third": 1 / 3,
        "large_mantissa": 1.2345678901234568e20,
        "e16": 1e16,
        "e_minus_5": 1.5e-5,
        "halfway_to_even": 70368744177664.12,
    },
    "literals": {"t": True, "f": False, "n": None, "list": [None, True, 0, "", []], "empty": {}, "also_empty": []},
    "nested_arrays": {"matrix": [[1, 2], [3, [4, {"k": [5]}]]], "objects": [{"a": 1}, {"a": 2}]},
    "proof_only_at_top": {"proof": {"ignored": True}, "inner": {"proof": "hashed: not at the top"}},
}

# A document the reference refuses, and why (`salt_fields`).
REFUSED: dict[str, dict[str, Any]] = {
    "int_2_53": {"n": 2**53},
    "int_2_53_plus_1": {"n": 2**53 + 1},
    "int_minus_2_53": {"n": -(2**53)},
    "int_2_64": {"n": 2**64},
    "nan": {"n": float("nan")},
    "infinity": {"n": float("inf")},
    "minus_infinity": {"n": float("-inf")},
    "lone_surrogate_value": {"s": "a\ud800b"},
    "lone_surrogate_key": {"a\udfff": "x"},
    "later_error_wins_nothing": {"a": "fine", "b": float("nan"), "c": 2**60},
    "no_fields": {"empty": {}, "proof": {"x": 1}},
    "not_an_object": ["a list"],  # type: ignore[dict-item]
}

# (document, pointers to hide) for selective disclosure.
REDACTIONS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "hide_a_field": (LICENCE, ["/holderName"]),
    "hide_an_object": (LICENCE, ["/fields"]),
    "hide_array_elements": ({"list": ["a", "b", "c", "d"], "keep": 1}, ["/list/0", "/list/3"]),
    "hide_the_last_elements": ({"list": ["a", "b", "c"], "keep": 1}, ["/list/1", "/list/2"]),
    "salted_nulls_stay": ({"list": [None, "b", None], "keep": None}, ["/list/1"]),
    "hide_everything_but_one": ({"a": 1, "b": {"c": [1, 2]}, "d": "x"}, ["/b", "/d"]),
    "hide_everything": ({"a": 1, "b": [2]}, ["/a", "/b"]),
}


def salts_for(name: str, count: int) -> list[str]:
    return [hashlib.sha256(f"{name}/{i}".encode()).hexdigest()[:32] for i in range(count)]


def error_of(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc)}


def field_count(document: Any) -> int:
    try:
        return len(list(hashing.iter_fields(document)))
    except LedgerError:
        return 0


def salted(name: str, suite: str, document: dict[str, Any]) -> dict[str, Any]:
    count = field_count(document)
    salts = iter(salts_for(name, count))
    case: dict[str, Any] = {"name": name, "suite": suite, "document": document, "salts": salts_for(name, count)}
    try:
        by_pointer, digest = reference.salt_fields(document, suite, salt=lambda: next(salts))
    except (LedgerError, ValueError) as exc:
        case["error"] = error_of(exc)
        return case
    case["fields"] = [
        [pointer, by_pointer[pointer], reference.field_hash(suite, by_pointer[pointer], pointer, value).hex()]
        for pointer, value in hashing.iter_fields(document)
    ]
    case["digest"] = digest.hex()
    return case


def wrap(name: str, suite: str, document: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    salts = iter(salts_for(name, field_count(document)))
    by_pointer, digest = reference.salt_fields(document, suite, salt=lambda: next(salts))
    wrapped = copy.deepcopy(document)
    wrapped["proof"] = {"suite": suite, "salts": by_pointer, "obfuscated": [], "digest": "0x" + digest.hex()}
    return wrapped, digest


def disclosed(name: str, document: dict[str, Any]) -> dict[str, Any]:
    try:
        digest = reference.recompute_digest(document)
    except (LedgerError, ValueError) as exc:
        return {"name": name, "document": document, "error": error_of(exc)}
    return {"name": name, "document": document, "digest": digest.hex()}


def disclosure_cases() -> list[dict[str, Any]]:
    cases = []
    for suite in SUITES:
        for name, (document, hidden) in REDACTIONS.items():
            wrapped, _ = wrap(name, suite, document)
            cases.append(disclosed(f"{name}/{suite}/wrapped", wrapped))
            cases.append(disclosed(f"{name}/{suite}/redacted", hashing.redact(wrapped, hidden)))
    wrapped, _ = wrap("broken", "default", {"a": 1, "b": "x", "list": ["y", None]})

    def broken(change: str, edit: Any) -> None:
        doc = copy.deepcopy(wrapped)
        edit(doc)
        cases.append(disclosed(f"broken/{change}", doc))

    broken("field_added", lambda d: d.update(c=2))
    broken("field_removed", lambda d: d.pop("b"))
    broken("null_placeholder_without_salt", lambda d: d["list"].append(None))
    broken("salt_with_final_newline", lambda d: d["proof"]["salts"].update({"/a": d["proof"]["salts"]["/a"] + "\n"}))
    broken("salt_uppercase", lambda d: d["proof"]["salts"].update({"/a": d["proof"]["salts"]["/a"].upper()}))
    broken("salt_not_a_string", lambda d: d["proof"]["salts"].update({"/a": 1}))
    broken("salts_not_an_object", lambda d: d["proof"].update(salts=[]))
    broken("obfuscated_not_hex", lambda d: d["proof"].update(obfuscated=["0x12"]))
    broken("obfuscated_with_final_newline", lambda d: d["proof"].update(obfuscated=["0x" + "ab" * 32 + "\n"]))
    broken("obfuscated_not_a_list", lambda d: d["proof"].update(obfuscated="0x"))
    broken("no_proof", lambda d: d.pop("proof"))
    broken("proof_not_an_object", lambda d: d.update(proof="x"))
    broken("suite_missing", lambda d: d["proof"].pop("suite"))
    broken("suite_unknown", lambda d: d["proof"].update(suite="md5"))
    broken("suite_not_a_string", lambda d: d["proof"].update(suite=1))
    broken("value_not_canonical", lambda d: d.update(a=float("nan")))
    broken("value_changed", lambda d: d.update(a=2))
    broken("no_fields", lambda d: [d.pop(k) for k in ("a", "b", "list")] and d["proof"].update(salts={}))
    return cases


def scalar_cases() -> list[dict[str, Any]]:
    values: list[Any] = [None, True, False, "", "张", "\ud800", 0, -0.0, 1, -1, 2**53 - 1, 2**53, 2**53 + 1]
    values += [-(2**53) + 1, -(2**53), 2**64, 1e21, 1e-7, 5e-324, 0.1, 1e300, float("nan"), float("inf")]
    values += [float("-inf"), 9007199254740993.0, 1.7976931348623157e308, 2.2250738585072014e-308, 70368744177664.12]
    cases = []
    for value in values:
        try:
            cases.append({"value": value, "canonical": reference.canonical_scalar(value)})
        except (LedgerError, ValueError) as exc:
            cases.append({"value": value, "error": error_of(exc)})
    return cases


def merkle_cases() -> list[dict[str, Any]]:
    cases = []
    for n in [*range(1, 21), 31, 32, 33, 64, 100]:
        digests = [hashlib.sha256(f"leaf {n}/{i}".encode()).digest() for i in range(n)]
        tree = reference.MerkleTree(digests)
        subsets = [digests[:1], digests[::3], digests[-2:], digests] if n > 1 else [digests]
        multi = []
        for subset in subsets:
            leaves, proof, flags = tree.multi_proof(subset)
            multi.append({"of": [d.hex() for d in subset], "digests": [d.hex() for d in leaves],
                          "proof": [h.hex() for h in proof], "flags": list(flags)})  # fmt: skip
        cases.append({
            "digests": [d.hex() for d in digests],
            "leaves": [reference.leaf_hash(d).hex() for d in digests],
            "root": tree.root.hex(),
            "order": [d.hex() for d in tree.digests()],
            "proofs": [[h.hex() for h in tree.proof(d)] for d in digests],
            "multi_proofs": multi,
        })  # fmt: skip
    return cases


def main() -> None:
    salting = [salted(name, suite, doc) for suite in SUITES for name, doc in DOCUMENTS.items()]
    salting += [salted(name, "default", doc) for name, doc in REFUSED.items()]
    salting.append(salted("unknown_suite", "md5", {"a": 1}))
    files = {
        "salting.json": salting,
        "disclosure.json": disclosure_cases(),
        "scalars.json": scalar_cases(),
        "merkle.json": merkle_cases(),
    }
    for file, cases in files.items():
        text = json.dumps(cases, indent=1, ensure_ascii=True)
        (HERE / file).write_text(text + "\n", encoding="ascii")
        print(f"{file}: {len(cases)} cases")


if __name__ == "__main__":
    main()
