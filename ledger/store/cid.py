"""Content identifiers (CIDv1, sha2-256) computed locally, exactly as Kubo computes them.

`ipfs add --cid-version=1 --raw-leaves` (Kubo's defaults otherwise: fixed 262,144-byte chunks, the balanced
layout, at most 174 links a node) gives a blob of at most one chunk the CID of a single `raw` block, and a
larger blob the CID of a UnixFS file DAG: `dag-pb` nodes whose links point at the raw leaves. `content_id`
builds that same DAG (the nodes' bytes are needed only to hash them), so the local directory store and a Kubo
node agree on every blob's CID, and a CID a node answers is checked against the bytes it was given.

CIDs are computed here with `hashlib` and base32 directly (`multiformats` takes ~1.4 ms per CID, more than
sealing and storing a document); CIDs from outside (requests, links, anchored manifest CIDs) are decoded and
validated with `multiformats` (`parse_cid`), and the tests check `content_id` against `multiformats` and against Kubo.
"""

from __future__ import annotations

import base64
import hashlib
import re

from multiformats import CID

from ledger.errors import LedgerValueError

#: Kubo's default chunker (`size-262144`) and the balanced layout's links per node.
CHUNK_SIZE = 262_144
MAX_LINKS = 174

_RAW = 0x55
_DAG_PB = 0x70
_CID_TEXT = re.compile(r"^b[a-z2-7]{50,120}$")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _cid_bytes(codec: int, data: bytes) -> bytes:
    return b"\x01" + _varint(codec) + b"\x12\x20" + hashlib.sha256(data).digest()


def _file_node(children: list[tuple[bytes, int, int]]) -> bytes:
    """The dag-pb bytes of a UnixFS file node over `(cid, file size, tsize)` children: links first, then the
    UnixFS `Data` (Type=File, filesize, one blocksize per child), as go-merkledag writes them."""
    links = b"".join(
        _field(2, _field(1, cid) + _field(2, b"") + _varint(3 << 3) + _varint(tsize)) for cid, _, tsize in children
    )
    unixfs = b"\x08\x02" + _varint(3 << 3) + _varint(sum(size for _, size, _ in children))
    unixfs += b"".join(_varint(4 << 3) + _varint(size) for _, size, _ in children)
    return links + _field(1, unixfs)


def content_id(data: bytes) -> str:
    """The CIDv1 (base32) Kubo gives `data` added with `cid-version=1&raw-leaves=true`."""
    if len(data) <= CHUNK_SIZE:
        return _text(_cid_bytes(_RAW, data))
    # (cid, file bytes below, cumulative serialised size) per node of the current level
    level = [
        (_cid_bytes(_RAW, data[i : i + CHUNK_SIZE]), len(data[i : i + CHUNK_SIZE]), len(data[i : i + CHUNK_SIZE]))
        for i in range(0, len(data), CHUNK_SIZE)
    ]
    # Grouping each level bottom-up by MAX_LINKS gives the tree Kubo's balanced builder grows top-down: every
    # node but the last of a level is full, and a lone last child still gets its own node.
    while len(level) > 1:
        parents = []
        for i in range(0, len(level), MAX_LINKS):
            children = level[i : i + MAX_LINKS]
            node = _file_node(children)
            parents.append(
                (_cid_bytes(_DAG_PB, node), sum(c[1] for c in children), len(node) + sum(c[2] for c in children))
            )
        level = parents
    return _text(level[0][0])


def _text(raw: bytes) -> str:
    """Binary CID → multibase base32 text (`b` + lower-case RFC 4648 base32, unpadded)."""
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def check_cid(text: object) -> str:
    """A fast check of a CID this store could address (raw or dag-pb, sha2-256, base32), for paths and requests;
    `parse_cid` decodes it fully with `multiformats`."""
    if not isinstance(text, str) or not _CID_TEXT.match(text):
        raise LedgerValueError(f"not a CIDv1 in base32: {text!r}")
    raw = base64.b32decode(text[1:].upper() + "=" * (-len(text[1:]) % 8))
    if raw[:1] != b"\x01" or raw[2:4] != b"\x12\x20" or raw[1] not in (_RAW, _DAG_PB) or len(raw) != 36:
        raise LedgerValueError(f"not a sha2-256 raw or dag-pb CIDv1: {text!r}")
    return text


def parse_cid(text: object) -> str:
    """`text` as a canonical base32 CIDv1 with a sha2-256 multihash and the raw or dag-pb codec (what this store
    addresses blobs by); `LedgerValueError` for anything else."""
    if not isinstance(text, str) or not _CID_TEXT.match(text):
        raise LedgerValueError(f"not a CIDv1 in base32: {text!r}")
    try:
        cid = CID.decode(text)
    except (ValueError, KeyError) as exc:
        raise LedgerValueError(f"not a CIDv1 in base32: {text!r}") from exc
    if cid.version != 1 or cid.codec.code not in (_RAW, _DAG_PB) or cid.hashfun.code != 0x12:
        raise LedgerValueError(f"not a sha2-256 raw or dag-pb CIDv1: {text!r}")
    if str(cid.encode("base32")) != text:
        raise LedgerValueError(f"not a canonical CIDv1: {text!r}")
    return text


def cid_v1_raw(data: bytes) -> str:
    """CIDv1 of `data` as one raw block (raw codec, sha2-256 multihash), base32."""
    return _text(_cid_bytes(_RAW, data))


def digest_cids(digest: bytes) -> tuple[str, str]:
    """The CIDs a blob whose root block has the SHA-256 `digest` may have here: a `raw` block (a blob of at most
    one chunk) first, then a `dag-pb` UnixFS root (a larger blob). A batch manifest is anchored by its digest
    alone; the reader takes the candidate its store holds (`ledger.store.fetch_by_digest`)."""
    if not isinstance(digest, bytes | bytearray) or len(digest) != 32:
        raise LedgerValueError("a sha2-256 digest is 32 bytes")
    multihash = b"\x12\x20" + bytes(digest)
    return _text(b"\x01" + _varint(_RAW) + multihash), _text(b"\x01" + _varint(_DAG_PB) + multihash)


def cid_digest(cid: str) -> bytes:
    """The sha2-256 digest inside a CIDv1, validating its form."""
    parse_cid(cid)
    return bytes(CID.decode(cid).raw_digest)


__all__ = [
    "CHUNK_SIZE",
    "MAX_LINKS",
    "check_cid",
    "cid_digest",
    "cid_v1_raw",
    "content_id",
    "digest_cids",
    "parse_cid",
]
