// Salted field hashing, digests and OpenZeppelin Merkle proofs: the Python reference
// (ledger/certificates/hashing.py, merkle.py) byte for byte, with the same errors and messages, checked on the
// shared vectors in tests/vectors/.
//
// SHA-256 runs through WebCrypto where the page has it (a secure context), else @noble/hashes; SM3 through
// sm-crypto-v2; keccak-256 through @noble/hashes; RFC 8785 through canonicalize.

import { keccak_256 } from "@noble/hashes/sha3";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2";
import canonicalize from "canonicalize";
import { sm3 as sm3Hex } from "sm-crypto-v2";

import { JsonNumber } from "./json.mjs";

export class LedgerValueError extends Error {
  constructor(message) {
    super(message);
    this.name = "LedgerValueError";
  }
}

export class IntegrityError extends LedgerValueError {
  constructor(message) {
    super(message);
    this.name = "IntegrityError";
  }
}

const encoder = new TextEncoder();
const subtle = globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

async function sha256(data) {
  if (subtle) return new Uint8Array(await subtle.digest("SHA-256", data));
  return nobleSha256(data);
}

async function sm3(data) {
  return hexToBytes(sm3Hex(data));
}

export const SUITES = { default: sha256, sm: sm3 };

/** Python's `repr` of a string, as the reference's messages show it. */
export function pyRepr(value) {
  if (typeof value !== "string") return String(value);
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const c = ch.codePointAt(0);
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + quote;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + quote;
}

export function hashFunction(suite) {
  if (typeof suite === "string" && Object.hasOwn(SUITES, suite)) return SUITES[suite];
  throw new LedgerValueError(`unknown hash suite ${pyRepr(suite)}; expected one of ${Object.keys(SUITES).join(", ")}`);
}

export function escapePointerToken(token) {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function jsonString(value) {
  if (LONE_SURROGATE.test(value)) throw new LedgerValueError("strings must be valid Unicode (no lone surrogates)");
  return canonicalize(value);
}

const SAFE = 2n ** 53n;

/** RFC 8785 serialisation of a JSON scalar (a `parseJson` leaf). */
export function canonicalScalar(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return jsonString(value);
  if (value instanceof JsonNumber) {
    if (value.isInteger && /^-?[0-9]+$/.test(value.text)) {
      const n = BigInt(value.text);
      if (-SAFE < n && n < SAFE) return n.toString();
      throw new LedgerValueError(
        `number ${n} has no canonical JSON form: ${n} exceeds safe integer domain for JSON floats`,
      );
    }
    const n = value.value;
    if (!Number.isFinite(n)) {
      const shown = Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
      throw new LedgerValueError(`number ${shown} has no canonical JSON form: ${shown} is not representable in JCS`);
    }
    return canonicalize(n);
  }
  if (typeof value === "number") return canonicalScalar(new JsonNumber(String(value)));
  throw new LedgerValueError(`not a JSON scalar: ${value instanceof Map ? "dict" : Array.isArray(value) ? "list" : typeof value}`);
}

/** (pointer, value) of every scalar outside the top-level `proof`, in document order. */
export function iterFields(document) {
  if (!(document instanceof Map)) throw new LedgerValueError("a certificate document must be a JSON object");
  const out = [];
  const walk = (prefix, value) => {
    if (value instanceof Map) {
      for (const [key, child] of value) walk(`${prefix}/${escapePointerToken(key)}`, child);
    } else if (Array.isArray(value)) {
      value.forEach((child, i) => walk(`${prefix}/${i}`, child));
    } else {
      out.push([prefix, value]);
    }
  };
  for (const [key, value] of document) {
    if (key !== "proof") walk(`/${escapePointerToken(key)}`, value);
  }
  return out;
}

// Python's str.isdigit(): decimal digits and the other characters of Numeric_Type=Digit.
const PY_DIGITS = /^[\p{Nd}\u00B2\u00B3\u00B9\u1369-\u1371\u19DA\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247C\u2488-\u2490\u24EA\u24F5-\u24FD\u24FF\u2776-\u277E\u2780-\u2788\u278A-\u2792\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]+$/u;

/** The fields of a wrapped document: every scalar, except salt-less `null` placeholders in arrays. */
export function fieldsOf(document, salts) {
  return iterFields(document).filter(([pointer, value]) => {
    if (value !== null || salts.has(pointer)) return true;
    return !PY_DIGITS.test(pointer.slice(pointer.lastIndexOf("/") + 1));
  });
}

/** `H(JCS([salt, pointer, value]))`. */
export async function fieldHash(suite, salt, pointer, value) {
  const h = hashFunction(suite);
  const encoded = `[${jsonString(salt)},${jsonString(pointer)},${canonicalScalar(value)}]`;
  return h(encoder.encode(encoded));
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function compareCodePoints(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The digest: `H` of the field hashes sorted bytewise and concatenated. */
export async function combine(suite, hashes) {
  const h = hashFunction(suite);
  return h(concat([...hashes].sort(compareBytes)));
}

/** Salt every field of an unsigned document with the given salts in order: `{salts, digest}`. */
export async function saltFields(document, suite, saltValues) {
  const fields = iterFields(document);
  const h = hashFunction(suite);
  const salts = new Map();
  const hashes = [];
  const values = saltValues[Symbol.iterator]();
  for (const [pointer, value] of fields) {
    const salt = values.next().value;
    salts.set(pointer, salt);
    hashes.push(await h(encoder.encode(`["${salt}",${jsonString(pointer)},${canonicalScalar(value)}]`)));
  }
  if (hashes.length === 0) throw new LedgerValueError("a certificate document has no fields to hash");
  return { salts, digest: await combine(suite, hashes) };
}

// Python's re.match(r"...$") also matches before a final newline, and bytes.fromhex skips whitespace.
const SALT = /^[0-9a-f]{32}\n?$/;
const HASH = /^0x[0-9a-f]{64}\n?$/;

function proofParts(document) {
  if (!(document instanceof Map)) throw new LedgerValueError("a certificate document must be a JSON object");
  const proof = document.get("proof");
  if (!(proof instanceof Map)) throw new IntegrityError("the document has no proof object");
  const suite = proof.get("suite");
  if (typeof suite !== "string") throw new IntegrityError("proof.suite must name a hash suite");
  hashFunction(suite);
  const salts = proof.get("salts");
  if (!(salts instanceof Map) || ![...salts.values()].every((v) => typeof v === "string" && SALT.test(v))) {
    throw new IntegrityError("proof.salts must map JSON Pointers to 32 lowercase hex digits");
  }
  const obfuscated = proof.has("obfuscated") ? proof.get("obfuscated") : [];
  if (!Array.isArray(obfuscated) || !obfuscated.every((v) => typeof v === "string" && HASH.test(v))) {
    throw new IntegrityError("proof.obfuscated must be a list of 0x-prefixed 32-byte hex hashes");
  }
  return { suite, salts, obfuscated: obfuscated.map((v) => hexToBytes(v.slice(2, 66))) };
}

/** The digest of a wrapped document from its disclosed fields, salts and obfuscated hashes. */
export async function recomputeDigest(document) {
  const { suite, salts, obfuscated } = proofParts(document);
  const hashes = [...obfuscated];
  const seen = new Set();
  for (const [pointer, value] of fieldsOf(document, salts)) {
    if (!salts.has(pointer)) throw new IntegrityError(`field ${pointer} has no salt: it was added after issuance`);
    seen.add(pointer);
    hashes.push(await fieldHash(suite, salts.get(pointer), pointer, value));
  }
  const missing = [...salts.keys()].filter((p) => !seen.has(p)).sort(compareCodePoints);
  if (missing.length) throw new IntegrityError(`salted field ${missing[0]} is missing from the document`);
  if (hashes.length === 0) throw new IntegrityError("the document has no fields");
  return combine(suite, hashes);
}

// ---------------------------------------------------------------- Merkle (OpenZeppelin StandardMerkleTree)

export function keccak256(data) {
  return keccak_256(data);
}

/** `keccak256(bytes.concat(keccak256(abi.encode(digest))))` for a `bytes32` digest. */
export function leafHash(digest) {
  if (digest.length !== 32) throw new LedgerValueError(`a Merkle leaf digest must be 32 bytes, got ${digest.length}`);
  return keccak_256(keccak_256(digest));
}

export function hashPair(a, b) {
  return compareBytes(a, b) < 0 ? keccak_256(concat([a, b])) : keccak_256(concat([b, a]));
}

export function processProof(leaf, proof) {
  let node = leaf;
  for (const sibling of proof) node = hashPair(node, sibling);
  return node;
}

/** Whether `proof` leads from `digest`'s leaf to `root` (as `MerkleProof.verify`). */
export function verifyProof(root, digest, proof) {
  return compareBytes(processProof(leafHash(digest), proof), root) === 0;
}

/** A complete tree over distinct digests in the StandardMerkleTree layout: `{root, order, proof(digest)}`. */
export function merkleTree(digests) {
  if (digests.length === 0) throw new LedgerValueError("a Merkle tree needs at least one leaf");
  const leaves = digests.map((d) => [leafHash(d), d]).sort((x, y) => compareBytes(x[0], y[0]) || compareBytes(x[1], y[1]));
  const n = leaves.length;
  const tree = new Array(2 * n - 1);
  const index = new Map();
  leaves.forEach(([leaf, digest], i) => {
    const position = tree.length - 1 - i;
    tree[position] = leaf;
    const key = bytesToHex(digest);
    if (index.has(key)) throw new LedgerValueError(`duplicate digest 0x${key} in a batch`);
    index.set(key, position);
  });
  for (let i = tree.length - 1 - n; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1], tree[2 * i + 2]);
  const at = new Map([...index].map(([digest, position]) => [position, digest]));
  return {
    root: tree[0],
    order: Array.from({ length: n }, (_, k) => at.get(tree.length - 1 - k)),
    proof(digest) {
      let i = index.get(bytesToHex(digest));
      if (i === undefined) throw new LedgerValueError(`0x${bytesToHex(digest)} is not a leaf of this tree`);
      const path = [];
      while (i > 0) {
        path.push(tree[i % 2 ? i + 1 : i - 1]);
        i = (i - 1) >> 1;
      }
      return path;
    },
  };
}
