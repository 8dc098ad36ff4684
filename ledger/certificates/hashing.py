"""Salted field hashing, digests and selective disclosure of certificate documents.

Every scalar value of a document outside `proof` is a *field* at an RFC 6901 JSON Pointer `p`. With a
128-bit salt `s` (32 hex digits) its hash is `h = H(JCS([s, p, v]))` (RFC 8785 canonical JSON), and the
certificate digest is `H` of all field hashes (disclosed and obfuscated) sorted bytewise and concatenated.
`H` is SHA-256 in the `default` suite and SM3 in the `sm` suite. Hiding a field moves its hash into
`proof.obfuscated`, so the digest does not change.

The functions named `_py_*` are the reference; the public names run the native core (`ledger.certificates.native`)
when it is in use, with the same bytes and the same exceptions.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

import rfc8785
from gmssl_pyx import sm3_hash  # type: ignore[import-untyped]

from ledger.certificates.native import native as _native
from ledger.errors import IntegrityError as IntegrityError
from ledger.errors import LedgerValueError

HashFunction = Callable[[bytes], bytes]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _sm3(data: bytes) -> bytes:
    return bytes(sm3_hash(data))


SUITES: dict[str, HashFunction] = {"default": _sha256, "sm": _sm3}

_SALT = re.compile(r"^[0-9a-f]{32}$")
_HASH = re.compile(r"^0x[0-9a-f]{64}$")


def hash_function(suite: str) -> HashFunction:
    try:
        return SUITES[suite]
    except (KeyError, TypeError):
        raise LedgerValueError(f"unknown hash suite {suite!r}; expected one of {', '.join(SUITES)}") from None


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def parse_pointer(pointer: str) -> list[str]:
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        raise LedgerValueError(f"invalid JSON Pointer {pointer!r}: it must start with '/'")
    return [unescape_pointer_token(t) for t in pointer[1:].split("/")]


def iter_fields(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(pointer, value) of every scalar outside the top-level `proof`, in document order.

    A `null` array element is a placeholder for a hidden element when it has no salt; callers that know the
    salts decide (see `fields_of`)."""

    def walk(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
        if isinstance(value, dict):
            for key, child in value.items():
                if not isinstance(key, str):
                    raise LedgerValueError(f"non-string key at {prefix or '/'}")
                yield from walk(f"{prefix}/{escape_pointer_token(key)}", child)
        elif isinstance(value, list):
            for i, child in enumerate(value):
                yield from walk(f"{prefix}/{i}", child)
        else:
            yield prefix, value

    if not isinstance(document, dict):
        raise LedgerValueError("a certificate document must be a JSON object")
    for key, value in document.items():
        if key == "proof":
            continue
        yield from walk(f"/{escape_pointer_token(key)}", value)


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_string(value: str) -> str:
    # RFC 8785 strings: escape only '"', '\\' and control characters (lowercase \u00xx, short forms for
    # \b \t \n \f \r) -- exactly what json.dumps(ensure_ascii=False) does. Lone surrogates are refused.
    if _SURROGATE.search(value):
        raise LedgerValueError("strings must be valid Unicode (no lone surrogates)")
    if _NEEDS_ESCAPE.search(value) is None:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=65536)
def _pointer_prefix(pointer: str) -> str:
    """`,"<pointer>",`: the middle of every field hash's JCS triple (pointers repeat across documents)."""
    return "," + _json_string(pointer) + ","


def _py_canonical_scalar(value: Any) -> str:
    """RFC 8785 serialisation of a JSON scalar."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, int) and -(2**53) < value < 2**53:
        return str(value)
    if isinstance(value, (int, float)):
        try:
            return rfc8785.dumps(value).decode("utf-8")
        except (rfc8785.CanonicalizationError, ValueError, OverflowError) as exc:
            raise LedgerValueError(f"number {value!r} has no canonical JSON form: {exc}") from None
    raise LedgerValueError(f"not a JSON scalar: {type(value).__name__}")


def _py_field_hash(suite: str, salt: str, pointer: str, value: Any) -> bytes:
    """`H(JCS([salt, pointer, value]))`."""
    encoded = f"[{_json_string(salt)}{_pointer_prefix(pointer)}{_py_canonical_scalar(value)}]".encode()
    return hash_function(suite)(encoded)


def _py_combine(suite: str, hashes: Iterable[bytes]) -> bytes:
    """The digest: `H` of the field hashes sorted bytewise and concatenated."""
    return hash_function(suite)(b"".join(sorted(hashes)))


def _py_new_salt() -> str:
    return os.urandom(16).hex()


def _py_salt_fields(
    document: dict[str, Any], suite: str, salt: Callable[[], str] | None = None
) -> tuple[dict[str, str], bytes]:
    """Salt every field of an unsigned document: returns `(salts by pointer, digest)`."""
    fields = list(iter_fields(document))
    if salt is None:
        pool = os.urandom(16 * len(fields)).hex()
        salt_values = [pool[32 * i : 32 * i + 32] for i in range(len(fields))]
    else:
        salt_values = [salt() for _ in fields]
    h = hash_function(suite)
    salts: dict[str, str] = {}
    hashes: list[bytes] = []
    for (pointer, value), s in zip(fields, salt_values, strict=True):
        salts[pointer] = s
        hashes.append(h(f'["{s}"{_pointer_prefix(pointer)}{_py_canonical_scalar(value)}]'.encode()))
    if not hashes:
        raise LedgerValueError("a certificate document has no fields to hash")
    return salts, _py_combine(suite, hashes)


def _proof_parts(document: dict[str, Any]) -> tuple[str, dict[str, str], list[bytes]]:
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise IntegrityError("the document has no proof object")
    suite = proof.get("suite")
    if not isinstance(suite, str):
        raise IntegrityError("proof.suite must name a hash suite")
    hash_function(suite)
    salts = proof.get("salts")
    if not isinstance(salts, dict) or not all(isinstance(v, str) and _SALT.match(v) for v in salts.values()):
        raise IntegrityError("proof.salts must map JSON Pointers to 32 lowercase hex digits")
    obfuscated = proof.get("obfuscated", [])
    if not isinstance(obfuscated, list) or not all(isinstance(h, str) and _HASH.match(h) for h in obfuscated):
        raise IntegrityError("proof.obfuscated must be a list of 0x-prefixed 32-byte hex hashes")
    return suite, salts, [bytes.fromhex(h[2:]) for h in obfuscated]


def fields_of(document: dict[str, Any], salts: dict[str, str]) -> list[tuple[str, Any]]:
    """The fields of a wrapped document: every scalar, except salt-less `null` placeholders in arrays."""
    out = []
    for pointer, value in iter_fields(document):
        if value is None and pointer not in salts and pointer.rsplit("/", 1)[-1].isdigit():
            continue
        out.append((pointer, value))
    return out


def _py_recompute_digest(document: dict[str, Any]) -> bytes:
    """The digest of a wrapped document from its disclosed fields, salts and obfuscated hashes.

    Raises `IntegrityError` when a field has no salt or a salt has no field."""
    suite, salts, obfuscated = _proof_parts(document)
    hashes = list(obfuscated)
    seen: set[str] = set()
    for pointer, value in fields_of(document, salts):
        salt = salts.get(pointer)
        if salt is None:
            raise IntegrityError(f"field {pointer} has no salt: it was added after issuance")
        seen.add(pointer)
        hashes.append(_py_field_hash(suite, salt, pointer, value))
    missing = sorted(set(salts) - seen)
    if missing:
        raise IntegrityError(f"salted field {missing[0]} is missing from the document")
    if not hashes:
        raise IntegrityError("the document has no fields")
    return _py_combine(suite, hashes)


def redact(document: dict[str, Any], pointers: Iterable[str]) -> dict[str, Any]:
    """Hide fields (or whole objects/arrays) of a wrapped document; its digest does not change.

    Each pointer names a field or a container; every field at or below it is removed from the document and
    its salt from `proof.salts`, and its hash is added to `proof.obfuscated`."""
    doc = copy.deepcopy(document)
    suite, salts, _ = _proof_parts(doc)
    targets = list(pointers)
    if not targets:
        raise LedgerValueError("name at least one field to hide")
    fields = dict(fields_of(doc, salts))
    hidden: list[str] = []
    for target in targets:
        parse_pointer(target)
        if target == "/proof" or target.startswith("/proof/"):
            raise LedgerValueError("proof fields cannot be hidden")
        matched = [p for p in fields if p == target or p.startswith(target + "/")]
        if not matched:
            raise LedgerValueError(f"no disclosed field at {target}")
        hidden.extend(m for m in matched if m not in hidden)
    proof = doc["proof"]
    obfuscated = {bytes.fromhex(h[2:]) for h in proof.get("obfuscated", [])}
    for pointer in hidden:
        obfuscated.add(field_hash(suite, salts[pointer], pointer, fields[pointer]))
        del proof["salts"][pointer]
    for target in sorted(set(targets), key=lambda t: -t.count("/")):
        _remove(doc, target)
    proof["obfuscated"] = ["0x" + h.hex() for h in sorted(obfuscated)]
    for key, value in doc.items():
        if key != "proof":
            _trim_placeholders(value, f"/{escape_pointer_token(key)}", proof["salts"])
    return doc


def _remove(doc: Any, pointer: str) -> None:
    tokens = parse_pointer(pointer)
    parent = doc
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent.get(token)
        if parent is None:
            return
    last = tokens[-1]
    if isinstance(parent, list):
        index = int(last)
        if index < len(parent):
            parent[index] = None  # placeholder keeps later indices; trimmed at the end if trailing
    elif isinstance(parent, dict):
        parent.pop(last, None)


def _trim_placeholders(value: Any, pointer: str, salts: dict[str, str]) -> None:
    """Drop trailing `null` placeholders of hidden array elements (salted `null` values stay)."""
    if isinstance(value, dict):
        for key, child in value.items():
            _trim_placeholders(child, f"{pointer}/{escape_pointer_token(key)}", salts)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _trim_placeholders(child, f"{pointer}/{i}", salts)
        while value and value[-1] is None and f"{pointer}/{len(value) - 1}" not in salts:
            value.pop()


def _py_salt_documents(documents: Iterable[dict[str, Any]], suite: str) -> list[tuple[dict[str, str], bytes]]:
    """`salt_fields` of each document, in order."""
    return [_py_salt_fields(document, suite) for document in documents]


# Public entry points: the native core where it is in use, else the reference.
canonical_scalar: Callable[[Any], str] = _native.canonical_scalar if _native else _py_canonical_scalar
field_hash: Callable[[str, str, str, Any], bytes] = _native.field_hash if _native else _py_field_hash
combine: Callable[[str, Iterable[bytes]], bytes] = _native.combine if _native else _py_combine
new_salt: Callable[[], str] = _native.new_salt if _native else _py_new_salt
salt_fields: Callable[..., tuple[dict[str, str], bytes]] = _native.salt_fields if _native else _py_salt_fields
salt_documents: Callable[[Iterable[dict[str, Any]], str], list[tuple[dict[str, str], bytes]]] = (
    _native.salt_documents if _native else _py_salt_documents
)
recompute_digest: Callable[[dict[str, Any]], bytes] = _native.recompute_digest if _native else _py_recompute_digest
