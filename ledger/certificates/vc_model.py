"""The W3C Verifiable Credentials Data Model 2.0, checked strictly: every rule a credential breaks is a `Problem`
naming the rule (its `code`) and the JSON Pointer of the value.

    problems = vc_problems(credential)      # [] when the credential keeps every rule
    check_vc(credential)                    # raises CertificateValidationError listing them

Rules (VC 2.0 §4, with the section each comes from):
- `context_first_v2` (§4.3): `@context` is an array (or a string) whose first item is
  `https://www.w3.org/ns/credentials/v2`; `context_not_bundled`: every other URL is a context this package ships
  (`contexts/`), since nothing is ever fetched; inline context objects are allowed.
- `type_verifiable_credential` (§4.5): `type` is a string or an array of strings including `VerifiableCredential`.
- `issuer_url` (§4.7): `issuer` is a URL, or an object whose `id` is one; `id_url` (§4.4): an `id` is a URL.
- `datetime_stamp` (§4.9): `validFrom` / `validUntil` are XML Schema `dateTimeStamp`s (a time zone required) of
  real dates; `validity_order`: `validFrom` is not after `validUntil`.
- `typed_object` (§4.10-§4.13, §5.4, §5.5): `credentialStatus`, `credentialSchema`, `termsOfUse`, `evidence` and
  `refreshService` are objects or arrays of objects, each with a `type`; `credential_schema_id`: a schema names
  its `id`.
- `related_resource` (§5.3): each `relatedResource` entry has an `id` URL and a `digestSRI` (W3C Subresource
  Integrity: `sha256-`, `sha384-` or `sha512-` and the base64 of a digest of that length) or a `digestMultibase`
  (multibase `u` base64url or `z` base58btc of a multihash whose length byte matches its digest).
- `language_value` (§11.1): a value object has a string `@value`, a well-formed BCP 47 `@language` tag
  (RFC 5646 syntax), a `@direction` of `ltr` or `rtl`, and no other key.
- `credential_subject` (§4.8): `credentialSubject` is present, an object or an array of non-empty objects.
- `jsonld_undefined_term` / `jsonld_relative_iri` / `jsonld_invalid` (§4.3, JSON-LD 1.1 expansion in safe mode):
  the credential expands against the bundled contexts with no property or type dropped for want of a definition,
  no relative IRI, and no JSON-LD error (a protected term redefined, a malformed context).

Expansion runs PyLD with a document loader that serves only the bundled contexts. PyLD has no safe mode of its
own: `_SafeProcessor` records every term its expansion of a node drops (an undefined property, a relative
`@type`) and every `@id` left relative, which is what jsonld.js's safe mode refuses.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from ledger.certificates.catalogue import CONTEXT_FILES, VC_V2_CONTEXT
from ledger.certificates.validation import CertificateValidationError, Problem

#: Contexts a VC-API credential may name besides those of the certificates: the W3C examples context (its whole
#: content is an `@vocab`), bundled so the specification's own examples check without the network.
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"
VC_CONTEXT_FILES: Mapping[str, str] = {**CONTEXT_FILES, EXAMPLES_CONTEXT: "credentials-examples-v2.jsonld"}
TYPED_PROPERTIES = ("credentialStatus", "credentialSchema", "termsOfUse", "evidence", "refreshService")

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
_DATETIME_STAMP = re.compile(
    r"^-?(?P<year>[0-9]{4,})-(?P<rest>[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)"
    r"(?P<zone>Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$"
)
_SRI = re.compile(r"^(?P<alg>sha256|sha384|sha512)-(?P<b64>[A-Za-z0-9+/]+={0,2})$")
_SRI_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# RFC 5646 §2.1 (langtag, private use and the grandfathered irregular tags).
_LANGTAG = re.compile(
    r"^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[Xx](?:-[A-Za-z0-9]{1,8})+"
    r"|en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|i-tay"
    r"|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE)$"
)
_VALUE_KEYS = frozenset({"@value", "@language", "@direction"})


def vc_problems(credential: Any) -> list[Problem]:
    """Every VC 2.0 data-model rule `credential` breaks (its `proof`, if any, aside); empty when it keeps them."""
    if not isinstance(credential, Mapping):
        return [Problem("", "not_an_object", "a credential is a JSON object")]
    doc = {k: v for k, v in credential.items() if k != "proof"}
    problems = [
        *_context(doc.get("@context")),
        *_types(doc.get("type")),
        *_issuer(doc),
        *_validity(doc),
        *_typed(doc),
        *_related(doc.get("relatedResource")),
        *_subject(doc),
        *_value_objects(doc, ""),
    ]
    if not any(p.pointer.startswith("/@context") for p in problems):
        problems.extend(expansion_problems(doc))
    return list(dict.fromkeys(problems))


def check_vc(credential: Any) -> None:
    """Raise `CertificateValidationError` listing every VC 2.0 rule `credential` breaks."""
    problems = vc_problems(credential)
    if problems:
        raise CertificateValidationError(problems)


def is_url(value: Any) -> bool:
    """Whether `value` is an absolute URL (a scheme, a colon and no white space: `https:`, `did:`, `urn:`)."""
    return isinstance(value, str) and bool(_URL.match(value))


# --- the rules --------------------------------------------------------------------------------------------------


def _context(context: Any) -> Iterator[Problem]:
    items = context if isinstance(context, list) else [context]
    if not items or items[0] != VC_V2_CONTEXT:
        yield Problem("/@context/0" if isinstance(context, list) else "/@context", "context_first_v2",
                      f"the first @context must be {VC_V2_CONTEXT}")  # fmt: skip
        return
    for index, item in enumerate(items[1:], 1):
        pointer = f"/@context/{index}"
        if isinstance(item, str):
            if item not in VC_CONTEXT_FILES:
                yield Problem(pointer, "context_not_bundled",
                              f"{item!r} is no bundled context (contexts are never fetched); bundled: "
                              f"{', '.join(VC_CONTEXT_FILES)}")  # fmt: skip
        elif not isinstance(item, Mapping):
            yield Problem(pointer, "context_not_bundled", "an @context item is a URL or a context object")


def _types(value: Any) -> Iterator[Problem]:
    names = value if isinstance(value, list) else [value]
    if not all(isinstance(n, str) for n in names) or "VerifiableCredential" not in names:
        yield Problem("/type", "type_verifiable_credential",
                      "type must be a string or an array of strings including VerifiableCredential")  # fmt: skip


def _issuer(doc: Mapping[str, Any]) -> Iterator[Problem]:
    if "id" in doc and not is_url(doc["id"]):
        yield Problem("/id", "id_url", "a credential's id must be a URL")
    issuer = doc.get("issuer")
    if isinstance(issuer, Mapping):
        if not is_url(issuer.get("id")):
            yield Problem("/issuer/id", "issuer_url", "issuer.id must be a URL (the agency's DID)")
    elif not is_url(issuer):
        yield Problem("/issuer", "issuer_url", "issuer must be a URL (the agency's DID) or an object with an id URL")


def parse_datetime_stamp(value: Any) -> datetime | None:
    """The instant of an XML Schema `dateTimeStamp` (time zone required), or None when `value` is not one."""
    if not isinstance(value, str):
        return None
    match = _DATETIME_STAMP.match(value)
    if match is None or len(match["year"]) != 4 or value.startswith("-"):
        return None  # outside 0001-9999 no Python datetime holds it: refused as not representable here
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _validity(doc: Mapping[str, Any]) -> Iterator[Problem]:
    instants: dict[str, datetime] = {}
    for name in ("validFrom", "validUntil"):
        if name not in doc:
            continue
        instant = parse_datetime_stamp(doc[name])
        if instant is None:
            yield Problem(f"/{name}", "datetime_stamp",
                          f"{name} must be an XML Schema dateTimeStamp with a time zone "
                          "(2026-01-01T00:00:00Z) of a real date")  # fmt: skip
        else:
            instants[name] = instant
    if len(instants) == 2 and instants["validFrom"] > instants["validUntil"]:
        yield Problem("/validUntil", "validity_order", "validUntil must not be before validFrom")


def _objects(value: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{pointer}/{index}", item
    else:
        yield pointer, value


def _typed(doc: Mapping[str, Any]) -> Iterator[Problem]:
    for name in TYPED_PROPERTIES:
        if name not in doc:
            continue
        for pointer, item in _objects(doc[name], f"/{name}"):
            if not isinstance(item, Mapping):
                yield Problem(pointer, "typed_object", f"{name} must be an object or an array of objects")
                continue
            kind = item.get("type")
            kinds = kind if isinstance(kind, list) else [kind]
            if not kinds or not all(isinstance(k, str) and k for k in kinds):
                yield Problem(f"{pointer}/type", "typed_object", f"every {name} must have a type")
            if "id" in item and not is_url(item["id"]):
                yield Problem(f"{pointer}/id", "id_url", f"the id of a {name} must be a URL")
            if name == "credentialSchema" and "id" not in item:
                yield Problem(f"{pointer}/id", "credential_schema_id", "a credentialSchema must name its id")


def _related(value: Any) -> Iterator[Problem]:
    if value is None:
        return
    for pointer, item in _objects(value, "/relatedResource"):
        if not isinstance(item, Mapping):
            yield Problem(pointer, "related_resource", "a relatedResource is an object with an id and a digest")
            continue
        if not is_url(item.get("id")):
            yield Problem(f"{pointer}/id", "related_resource", "a relatedResource must have an id URL")
        if "digestSRI" not in item and "digestMultibase" not in item:
            yield Problem(pointer, "related_resource", "a relatedResource needs a digestSRI or a digestMultibase")
        if "digestSRI" in item and not _good_sri(item["digestSRI"]):
            yield Problem(f"{pointer}/digestSRI", "related_resource",
                          "digestSRI must be sha256-, sha384- or sha512- and the base64 of such a digest")  # fmt: skip
        if "digestMultibase" in item and not _good_multibase(item["digestMultibase"]):
            yield Problem(f"{pointer}/digestMultibase", "related_resource",
                          "digestMultibase must be a multibase (u base64url, z base58btc) multihash")  # fmt: skip


def _good_sri(value: Any) -> bool:
    match = _SRI.match(value) if isinstance(value, str) else None
    if match is None:
        return False
    try:
        raw = base64.b64decode(match["b64"], validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == _SRI_LENGTHS[match["alg"]]


def _good_multibase(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 2:
        return False
    body = value[1:]
    try:
        if value[0] == "u":
            if "=" in body or not re.fullmatch(r"[A-Za-z0-9_-]+", body):
                return False
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        elif value[0] == "z":
            if any(c not in _B58 for c in body):
                return False
            number = 0
            for c in body:
                number = number * 58 + _B58.index(c)
            zeros = len(body) - len(body.lstrip("1"))
            raw = b"\x00" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
        else:
            return False
    except (binascii.Error, ValueError):
        return False
    # A multihash: a varint hash code (one byte for the common ones, two when the high bit is set), a length byte,
    # then that many bytes of digest.
    offset = 2 if raw[:1] and raw[0] & 0x80 else 1
    return len(raw) > offset and raw[offset] > 0 and len(raw) == offset + 1 + raw[offset]


def _subject(doc: Mapping[str, Any]) -> Iterator[Problem]:
    subject = doc.get("credentialSubject")
    items = subject if isinstance(subject, list) else [subject]
    if not items or not all(isinstance(s, Mapping) and s for s in items):
        yield Problem("/credentialSubject", "credential_subject",
                      "credentialSubject must be present: a non-empty object or an array of them")  # fmt: skip


def _value_objects(value: Any, pointer: str) -> Iterator[Problem]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _value_objects(item, f"{pointer}/{index}")
        return
    if not isinstance(value, Mapping):
        return
    if "@value" in value:
        yield from _value_object(value, pointer)
        return
    for key, item in value.items():
        if key != "@context":
            yield from _value_objects(item, f"{pointer}/{_escape(key)}")


def _value_object(value: Mapping[str, Any], pointer: str) -> Iterator[Problem]:
    if not isinstance(value["@value"], str):
        yield Problem(f"{pointer}/@value", "language_value", "a language value object's @value must be a string")
    for key in value:
        if key not in _VALUE_KEYS:
            yield Problem(f"{pointer}/{_escape(key)}", "language_value",
                          "a language value object holds only @value, @language and @direction")  # fmt: skip
    if "@language" in value and not (isinstance(value["@language"], str) and _LANGTAG.match(value["@language"])):
        yield Problem(f"{pointer}/@language", "language_value", "@language must be a well-formed BCP 47 tag")
    if "@direction" in value and value["@direction"] not in ("ltr", "rtl"):
        yield Problem(f"{pointer}/@direction", "language_value", "@direction must be ltr or rtl")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


# --- JSON-LD expansion in safe mode ---------------------------------------------------------------------------


@cache
def _bundled(url: str) -> str:
    folder = resources.files(__package__ or "ledger.certificates").joinpath("contexts")
    return folder.joinpath(VC_CONTEXT_FILES[url]).read_text(encoding="utf-8")


def _load(url: str, options: Any = None) -> dict[str, Any]:
    if url not in VC_CONTEXT_FILES:
        raise ValueError(f"refusing to load {url}: not a bundled context")
    return {"contextUrl": None, "documentUrl": url, "document": json.loads(_bundled(url))}


def expansion_problems(doc: Mapping[str, Any]) -> list[Problem]:
    """The JSON-LD safe-mode problems of `doc`: terms expansion would drop, relative IRIs, JSON-LD errors."""
    from pyld import jsonld

    processor = _SafeProcessor()
    try:
        processor.expand(dict(doc), {"documentLoader": _load, "base": None, "processingMode": "json-ld-1.1"})
    except jsonld.JsonLdError as exc:
        cause = exc
        while isinstance(getattr(cause, "cause", None), jsonld.JsonLdError):
            cause = cause.cause
        code = getattr(cause, "code", None) or getattr(exc, "code", None) or "invalid"
        return [Problem("/@context", "jsonld_invalid", f"JSON-LD expansion failed ({code}): {cause.args[0]}")]
    except (ValueError, TypeError, RecursionError) as exc:
        return [Problem("", "jsonld_invalid", f"JSON-LD expansion failed: {exc}")]
    problems = []
    for term in sorted(processor.dropped):
        for pointer in _pointers_of(doc, term) or [""]:
            problems.append(Problem(pointer, "jsonld_undefined_term",
                                    f"{term!r} is defined by no context of the credential"))  # fmt: skip
    for iri in sorted(processor.relative):
        for pointer in _pointers_of(doc, iri, values=True) or [""]:
            problems.append(Problem(pointer, "jsonld_relative_iri",
                                    f"{iri!r} is a relative IRI: it would not stay an identifier"))  # fmt: skip
    return problems


def _pointers_of(value: Any, term: str, pointer: str = "", *, values: bool = False) -> list[str]:
    """The pointers of the keys (or, with `values`, the string values and `type` items) equal to `term`."""
    found: list[str] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str) and item == term:
                found.append(f"{pointer}/{index}")
            else:
                found.extend(_pointers_of(item, term, f"{pointer}/{index}", values=values))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key == "@context":
                continue
            here = f"{pointer}/{_escape(key)}"
            named = isinstance(item, str) and item == term and (values or key in ("type", "@type"))
            if (key == term and not values) or named:
                found.append(here)
            else:
                found.extend(_pointers_of(item, term, here, values=values))
    return found


def _processor_class() -> type:
    from pyld import jsonld

    class SafeProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
        """PyLD's processor recording what expansion drops or leaves relative (jsonld.js safe mode's refusals)."""

        def __init__(self) -> None:
            super().__init__()
            self.dropped: set[str] = set()
            self.relative: set[str] = set()

        def _expand_iri(self, active_ctx: Any, value: Any, base: Any = None, vocab: bool = False,
                        local_ctx: Any = None, defined: Any = None) -> Any:  # fmt: skip
            expanded = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
            # Only the expansion of a node's keys, types and identifiers counts: the same calls made while looking
            # for type-scoped contexts, before they apply, would report terms those contexts define.
            caller = sys._getframe(1).f_code.co_name  # noqa: SLF001 (which PyLD step asks)
            if (
                caller in ("_expand_object", "_expand_value")
                and local_ctx is None
                and isinstance(value, str)
                and not value.startswith("@")
            ):
                absolute = isinstance(expanded, str) and (
                    jsonld._is_absolute_iri(expanded)  # noqa: SLF001 (PyLD's own test, as at its drop site)
                    or jsonld._is_keyword(expanded)  # noqa: SLF001
                    or expanded.startswith("_:")
                )
                if not absolute:
                    (self.dropped if vocab else self.relative).add(value)
            return expanded

    return SafeProcessor


def _SafeProcessor() -> Any:
    return _safe_class()()


@cache
def _safe_class() -> type:
    return _processor_class()
