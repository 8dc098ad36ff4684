"""Request and response bodies: their models (which the OpenAPI document describes), and the JSON codec of the
hot routes (`JsonRoute` parses request bodies with orjson, `json_response` writes answers with it)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any, Union

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, RootModel, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from ledger.certificates import certificate_types, load_schema
from ledger.certificates.json_text import orjson_exact
from ledger.certificates.reasons import InvalidReason, Reason, parse_reason
from ledger.certificates.records import record_schema
from ledger.chain.codes import encode_code

#: Where the admission middleware leaves a JSON body it parsed (in the request's state), and what says it did not.
PARSED_BODY = "json_body"
NOT_PARSED: Any = object()


def fast_json(body: bytes) -> Any:
    """`body` parsed by orjson, or `NOT_PARSED` where orjson refuses it or could change a value (a number beyond
    64 bits: `ledger.certificates.json_text`), for Python's json to read."""
    parsed, value = orjson_exact(body)
    return value if parsed else NOT_PARSED


class _JsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            parsed = self.scope.get("state", {}).pop(PARSED_BODY, NOT_PARSED)
            if parsed is not NOT_PARSED:
                self._json = parsed
                return parsed
            body = await self.body()
            parsed = fast_json(body)
            # What orjson refuses or would change and Python's json reads (integers beyond 64 bits, NaN, lone
            # surrogates, UTF-16 text) or refuses too: read as before, with the same errors.
            self._json = json.loads(body) if parsed is NOT_PARSED else parsed
        return self._json


class JsonRoute(APIRoute):
    """A route whose JSON request body is parsed by orjson (the body's model still validates and documents it)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(_JsonRequest(request.scope, request.receive))

        return route


def json_response(payload: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """`payload` (plain JSON types) written by orjson, rather than through a response model's validation and
    `jsonable_encoder` (the model still documents it)."""
    return Response(json_bytes(payload), status_code=status_code, headers=dict(headers or {}),
                    media_type="application/json")  # fmt: skip


def json_bytes(payload: Any) -> bytes:
    """`payload` (plain JSON types) as compact JSON: orjson, or Python's json (ASCII-escaped) for what orjson
    refuses (a lone surrogate echoed from the request, an integer beyond 64 bits)."""
    try:
        return orjson.dumps(payload)
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(payload, separators=(",", ":")).encode("ascii")


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable error code", examples=["invalid_request"])
    message: str = Field(description="What went wrong, for a person")
    details: Any | None = Field(default=None, description="Each problem with its JSON Pointer, code and message")
    requestId: str | None = Field(default=None, description="The request's id, also in the X-Request-Id header")


class ErrorResponse(BaseModel):
    error: ErrorBody


class VerificationContextIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    province: str | None = Field(default=None, pattern=r"^[1-8][0-9]0000$", examples=["330000"])
    serviceItem: str | None = Field(
        default=None,
        max_length=32,
        examples=["company-registration"],
        validation_alias=AliasChoices("serviceItem", "service_item"),
        description="The service item the certificate is presented for (`service_item` is accepted too)",
    )

    @field_validator("serviceItem")
    @classmethod
    def _item(cls, value: str | None) -> str | None:
        if value is not None:
            encode_code(value, what="service item")
        return value


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate: dict[str, Any]
    context: VerificationContextIn | None = None


class BulkVerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificates: list[dict[str, Any]] = Field(min_length=1)
    context: VerificationContextIn | None = None


class CheckOut(BaseModel):
    name: str
    outcome: str
    code: str
    message: str = Field(description="What the check found, in Chinese")
    messageEn: str = Field(description="What the check found, in English")
    details: dict[str, Any] = {}


class VerificationOut(BaseModel):
    verdict: str
    checks: list[CheckOut]
    block: dict[str, Any]
    checkedAt: int
    digest: str | None
    issuer: str | None
    issuingProvince: str | None
    certificateType: str | None
    context: dict[str, Any] | None


class BulkVerificationOut(BaseModel):
    block: dict[str, Any]
    count: int
    verdicts: dict[str, int]
    results: list[VerificationOut]


def _record_model(code: str, class_name: str) -> type[RootModel[Any]]:
    """The model of one certificate type's licence record: any value at run time (the issuer validates it and
    reports every problem), documented by the type's record schema."""

    def schema(cls: type, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return record_schema(code)

    namespace = {"__module__": __name__, "__get_pydantic_json_schema__": classmethod(schema)}
    return type(f"{class_name}Record", (RootModel[Any],), namespace)


def _credential_model() -> type[RootModel[Any]]:
    def schema(cls: type, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        envelope = {k: v for k, v in load_schema("envelope").items() if not k.startswith("$")}
        envelope["required"] = [name for name in envelope["required"] if name != "issuer"]
        envelope["description"] = "An unsigned credential (no proof); its issuer is filled in when absent."
        return envelope

    namespace = {"__module__": __name__, "__get_pydantic_json_schema__": classmethod(schema)}
    return type("UnsignedCredential", (RootModel[Any],), namespace)


_RECORD_MODELS = {t.code: _record_model(t.code, t.class_name) for t in certificate_types()}
_UNSIGNED = _credential_model()
_ANY_RECORD: Any = Union[tuple([*_RECORD_MODELS.values(), _UNSIGNED])]  # noqa: UP007 (a union built at run time)


class LicenceRecordIn(RootModel[Annotated[_ANY_RECORD, Field(union_mode="left_to_right")]]):
    """A licence record of one certificate type (by `certificateType`), or an unsigned credential."""

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core)
        target = handler.resolve_ref_schema(schema)
        target["oneOf"] = target.pop("anyOf")
        target["discriminator"] = {
            "propertyName": "certificateType",
            "mapping": {code: ref["$ref"] for code, ref in zip(_RECORD_MODELS, target["oneOf"], strict=False)},
        }
        target["description"] = (
            "A licence record, by its `certificateType`, or an unsigned credential (with `@context`). A record may "
            "name the certificate it `supersedes`."
        )
        return schema

    @property
    def value(self) -> Any:
        """The submitted record as it was sent."""
        chosen: RootModel[Any] = self.root
        return chosen.root


class CertificatesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificates: list[LicenceRecordIn] = Field(min_length=1)

    def records(self) -> list[Any]:
        return [record.value for record in self.certificates]


class SupersessionOut(BaseModel):
    index: int = Field(description="Position of the new certificate in the request")
    digest: str = Field(description="The certificate superseded")
    successor: str = Field(description="The new certificate")
    status: str = Field(description="`superseded`, or `pending` when the status change failed (see `error`)")
    transactionHash: str | None = None
    blockNumber: int | None = None
    error: dict[str, Any] | None = None


class IssuedDocumentOut(BaseModel):
    """A certificate's encrypted document in the document store, as its issuer receives it once."""

    index: int = Field(description="The certificate's position in the request")
    digest: str
    cid: str = Field(description="CIDv1 of the ciphertext (AES-256-GCM, the digest as associated data)")
    key: str = Field(description="The document's key, base64url: hand it to the holder, keep it nowhere else")
    link: str = Field(description="The holder link: …/wallet#cid=…&key=… (the key stays in the fragment)")


class CertificatesPublic(BaseModel):
    count: int
    transactions: list[str]
    data: list[dict[str, Any]]
    supersessions: list[SupersessionOut] = []
    documents: list[IssuedDocumentOut] = []


class LicenceCertificateOut(BaseModel):
    digest: str
    status: str = Field(description="valid, suspended, revoked or superseded")
    reason: str | None = Field(None, description="The reason's name")
    reasonCode: int | None = Field(None, description="The reason's number on chain")
    successor: str | None = None
    certificate: dict[str, Any] = Field(description="The wrapped certificate with its anchor")


class LicenceLookupOut(BaseModel):
    licenceNumber: str
    count: int
    data: list[LicenceCertificateOut]


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digests: list[Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$")]] = Field(min_length=1, max_length=10_000)


_REASON_NAMES = ", ".join(r.name.lower() for r in Reason)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: int | str = Field(
        examples=["fraud", 3],
        description=f"A reason code 0-{max(Reason)} (a number or its ASCII digits) or its name: {_REASON_NAMES}",
    )
    successor: str | None = Field(
        default=None,
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="supersede: the digest of the replacement, a certificate anchored by the same agency",
    )
    certificate: dict[str, Any] | None = Field(
        default=None, description="The wrapped certificate, when the service did not issue it"
    )
    successorCertificate: dict[str, Any] | None = Field(
        default=None, description="supersede: the wrapped successor, when the service did not issue it"
    )

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> int:
        try:
            return int(parse_reason(value))
        except InvalidReason as exc:
            raise PydanticCustomError(InvalidReason.code, str(exc)) from None


class StatusChangeOut(BaseModel):
    digest: str
    agency: str
    action: str
    reason: str = Field(description="The reason's name", examples=["under_investigation"])
    reasonCode: int = Field(description="The reason's number on chain", examples=[7])
    successor: str | None = None
    transactionHash: str
    blockNumber: int
