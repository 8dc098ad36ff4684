"""A JSON request body admitted once: refused when it is not JSON, nests too deep or repeats a key in one object,
and otherwise parsed (by orjson where it can) for the route."""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from api.schemas import NOT_PARSED, fast_json
from ledger.certificates.collection import collection_paused
from ledger.certificates.native import native

#: (depth, the first key written twice in one object, whether a key is written with an escape) of a JSON text a
#: parser accepted, in one native pass without the GIL; None where the native core is missing.
_body_facts: Callable[[bytes], tuple[int, str | None, bool]] | None = getattr(native, "body_facts", None)
#: `body_facts` of a large body read on the native core's pool while orjson parses it here
#: (`hurong_native.start_body`; its `wait()` answers); None where the core is missing.
_start_body: Callable[[bytes], Any] | None = getattr(native, "start_body", None)
log = logging.getLogger("hurong.api")


class Refusal(NamedTuple):
    status: int
    code: str
    message: str
    headers: dict[str, str] | None = None
    details: Any = None


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


#: Deepest nesting of arrays and objects a JSON body may have (a credential needs about 6). Deeper bodies are
#: refused before any parser recurses into them: with the recursion limit web3's dependencies raise (py_ecc sets
#: 100,000), a few hundred thousand nested brackets would overflow the C stack of the worker.
MAX_JSON_DEPTH = 64
#: Bodies from this size are parsed with the cyclic garbage collector held back (`collection_paused`): parsing a
#: bulk request's megabytes makes hundreds of thousands of objects, and the collections they set off took about half
#: of the admission of a 1,000-certificate body (62 → 29 ms).
_LARGE_BODY = 1 << 16
#: Every byte but the brackets, the quotes and the backslash; but the brackets and the quotes; but the brackets.
_NOT_STRUCTURE_NOR_BACKSLASH = bytes(b for b in range(256) if b not in b'[]{}"\\')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STRING = re.compile(rb'"[^"]*"')
_DEPTH_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _DEPTH_STEP[_open], _DEPTH_STEP[_close] = 1, -1


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count); a cheap upper
    bound, the number of opening brackets, when that is within `MAX_JSON_DEPTH`."""
    return _scan(body)[0]


def _scan(body: bytes) -> tuple[int, bool]:
    """`json_depth` of the body, and whether it holds a backslash at all.

    Up to the first syntax error (where every parser stops) the depth is exact, in passes at C speed over the
    body: escaped backslashes and escaped quotes are dropped (in valid JSON a backslash appears only in strings,
    and its escapes pair from the left), then everything but quotes and brackets; what is left is each string as
    its two quotes around the brackets it holds. Adjacent quotes go (an empty string, or the end of one string
    and the start of the next with no bracket between them: the brackets outside strings are the same), then the
    few strings still holding brackets."""
    structure = body.translate(None, _NOT_STRUCTURE_NOR_BACKSLASH)
    escaped = b"\\" in structure
    opening = structure.count(b"[") + structure.count(b"{")
    if opening <= MAX_JSON_DEPTH:
        return opening, escaped
    if escaped:
        structure = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    structure = structure.replace(b'""', b"")
    brackets = _STRING.sub(b"", structure).translate(None, _NOT_BRACKETS) if b'"' in structure else structure
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0), escaped


def _too_deep() -> Refusal:
    return Refusal(400, "json_too_deep", f"JSON bodies may nest arrays and objects {MAX_JSON_DEPTH} deep at most")


def _duplicate_key(key: str) -> Refusal:
    key = key if len(key) <= 64 else key[:61] + "..."
    message = f"the key {key!r} appears more than once in one object of the body"
    return Refusal(400, "duplicate_key", message, details={"key": key})


def _facts(body: bytes, pending: Any) -> tuple[int, str | None, bool]:
    """`body_facts` of the body: from its reading on the pool (`pending`) where there is one and it did not fail."""
    if pending is not None:
        try:
            return pending.wait()  # type: ignore[no-any-return]
        except RuntimeError:
            log.warning("reading a request body on the native core's pool failed: it is read again here")
    assert _body_facts is not None
    return _body_facts(body)


def json_body_refusal(body: bytes) -> Refusal | None:
    """400 for a body that is not JSON, nests deeper than `MAX_JSON_DEPTH`, or holds an object with a key twice
    (no value silently wins)."""
    return read_json_body(body)[0]


def read_json_body(body: bytes) -> tuple[Refusal | None, Any]:
    """`json_body_refusal`'s answer and, for a body admitted, the body parsed (`NOT_PARSED` where only Python's
    json reads it).

    orjson parses first (`fast_json`: it refuses nesting past 1,024 levels itself, without recursing deeper; a body
    with an integer it could read as a float goes to Python's json); the native core's pass over the body gives its
    depth and the first key an object holds twice (`body_facts`, keys compared as written; for a large body, on the
    core's pool while orjson parses it: 16.1-18.6 → 11.6 ms for a 5 MB bulk body). Where the core is
    missing or a key is written with an escape, the depth is that of orjson's own compact writing of the value, and
    a duplicate key shows there as a colon fewer than in the body (a colon spelt `\\u003a` in the body goes the slow
    way, with everything orjson refuses: the depth of the body itself, then Python's json with a hook that finds the
    key given twice)."""
    if len(body) < _LARGE_BODY:
        pending, parsed = None, fast_json(body)
    else:
        pending = _start_body(body) if _start_body is not None else None  # read on the pool meanwhile
        with collection_paused():  # a bulk body's ~100 values a certificate are acyclic: no collection needed
            parsed = fast_json(body)
    if parsed is not NOT_PARSED and _body_facts is not None:
        depth, duplicate, escaped_key = _facts(body, pending)
        if depth > MAX_JSON_DEPTH:
            return _too_deep(), NOT_PARSED
        if duplicate is not None:
            return _duplicate_key(duplicate), NOT_PARSED
        if not escaped_key:
            return None, parsed
    if parsed is not NOT_PARSED:  # no native pass, or a key written with an escape
        written = orjson.dumps(parsed)
        if _scan(written)[0] > MAX_JSON_DEPTH:
            return _too_deep(), NOT_PARSED
        spelt = b"\\" in body and b"\\u003" in body  # a colon may be spelt as an escape
        if not spelt and written.count(b":") == body.count(b":"):
            return None, parsed
    elif json_depth(body) > MAX_JSON_DEPTH:
        return _too_deep(), NOT_PARSED
    try:
        json.loads(body, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        return _duplicate_key(exc.key), NOT_PARSED
    except (ValueError, RecursionError):
        return Refusal(400, "malformed_json", "the request body is not valid JSON"), NOT_PARSED
    return None, NOT_PARSED
