// The verification page's in-browser core, bundled by esbuild into api/static/dist/verify-core.js (the global
// `HurongVerify`): the checks that need no chain (format, integrity, Merkle inclusion, validity period), and,
// with a trust bundle signed by the service, anchoring, the issuer's standing and the certificate's status as
// of the bundle's block — with no connection at all.

import { ed25519 } from "@noble/curves/ed25519";
import canonicalize from "canonicalize";
import { sm2 } from "sm-crypto-v2";

import {
  bytesToHex,
  canonicalScalar,
  combine,
  fieldHash,
  hexToBytes,
  IntegrityError,
  iterFields,
  LedgerValueError,
  leafHash,
  merkleTree,
  processProof,
  recomputeDigest,
  saltFields,
  verifyProof,
} from "./hashing.mjs";
import { fromPlain, JsonNumber, JsonSyntaxError, parseJson, toPlain } from "./json.mjs";

export {
  bytesToHex,
  canonicalScalar,
  combine,
  fieldHash,
  fromPlain,
  hexToBytes,
  IntegrityError,
  iterFields,
  JsonNumber,
  JsonSyntaxError,
  LedgerValueError,
  leafHash,
  merkleTree,
  parseJson,
  processProof,
  recomputeDigest,
  saltFields,
  toPlain,
  verifyProof,
};

export const PROOF_TYPE = "HurongMerkleProof2026";
export const BUNDLE_FORMAT = "hurong-trust-bundle/1";
export const CHECKS = ["format", "integrity", "inclusion", "anchoring", "issuer", "signature", "status", "validity", "recognition"];

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DID = /^did:pkh:eip155:([1-9][0-9]{0,18}):(0x[0-9a-fA-F]{40})$/;
const STATUS_NAMES = { 1: "suspended", 2: "revoked", 3: "superseded" };
const SUITE_ALGORITHMS = { default: "Ed25519", sm: "SM2" };
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function base64url(text) {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1 || text.length === 0) return null;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const out = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const again = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return again === text ? out : null;  // canonical only, as the reference decodes it
}

/** Whether a root signature verifies: Ed25519 (raw 64 bytes) or SM2 (DER, SM3 with the default signer id). */
export function verifyRootSignature(algorithm, publicKeyHex, root, signature) {
  try {
    if (algorithm === "Ed25519") {
      return signature.length === 64 && ed25519.verify(signature, root, hexToBytes(publicKeyHex.replace(/^0x/, "")));
    }
    if (algorithm === "SM2") {
      let key = publicKeyHex.replace(/^0x/, "").toLowerCase();
      if (key.length === 128) key = "04" + key;
      return sm2.doVerifySignature(root, bytesToHex(signature), key, { der: true, hash: true });
    }
  } catch (e) {
    return false;
  }
  return false;
}

// ---------------------------------------------------------------- trust bundle

/**
 * Check a trust bundle (`{payload, signature}` as the service answers `GET /api/v1/trust-bundle`) against the
 * service's public key (hex, 32 bytes). Returns the payload; throws an Error with a `code` when it fails.
 */
export function checkBundle(bundle, publicKeyHex) {
  const fail = (code, message) => {
    const error = new Error(message);
    error.code = code;
    throw error;
  };
  if (bundle === null || typeof bundle !== "object" || Array.isArray(bundle)) fail("bad_bundle", "not a trust bundle");
  const { payload, signature } = bundle;
  if (payload === null || typeof payload !== "object" || payload.format !== BUNDLE_FORMAT) {
    fail("bad_bundle", `not a ${BUNDLE_FORMAT} bundle`);
  }
  if (signature === null || typeof signature !== "object" || signature.algorithm !== "Ed25519") {
    fail("bad_signature", "the bundle carries no Ed25519 signature");
  }
  if (typeof publicKeyHex !== "string" || !/^[0-9a-f]{64}$/.test(publicKeyHex)) fail("bad_key", "the public key must be 64 hex digits");
  if (typeof signature.value !== "string" || !/^[0-9a-f]{128}$/.test(signature.value)) {
    fail("bad_signature", "the signature must be 128 hex digits");
  }
  let good = false;
  try {
    const message = new TextEncoder().encode(canonicalize(payload));
    good = ed25519.verify(hexToBytes(signature.value), message, hexToBytes(publicKeyHex));
  } catch (e) {
    good = false;
  }
  if (!good) fail("bad_signature", "the bundle's signature does not verify with the service's key");
  return payload;
}

/** How old the bundle is at `now` (Unix seconds), in whole seconds (never negative). */
export function bundleAge(payload, now) {
  return Math.max(0, Math.floor(now - payload.generatedAt));
}

// ---------------------------------------------------------------- verification

function check(name, outcome, code, where, message, messageEn, details) {
  return { name, outcome, code, where, message, messageEn, details: details || {} };
}

function formatProblems(doc) {
  if (!(doc instanceof Map)) return ["not_an_object", "证照应为 JSON 对象", "the certificate must be a JSON object"];
  const proof = doc.get("proof");
  if (!(proof instanceof Map)) return ["missing_proof", "证照没有证明（proof），并非经互认签发", "the certificate has no proof: it was not issued through Hurong"];
  const problems = [];
  if (proof.get("type") !== PROOF_TYPE) problems.push(`proof.type must be ${PROOF_TYPE}`);
  const suite = proof.get("suite");
  if (suite !== "default" && suite !== "sm") problems.push("proof.suite must name a hash suite: default or sm");
  for (const name of ["digest", "merkleRoot"]) {
    if (typeof proof.get(name) !== "string" || !HEX32.test(proof.get(name))) problems.push(`proof.${name} must be 0x and 64 hex digits`);
  }
  const path = proof.get("merklePath");
  if (!Array.isArray(path) || path.length > 64 || !path.every((h) => typeof h === "string" && HEX32.test(h))) {
    problems.push("proof.merklePath must be a list of 0x-prefixed 32-byte hashes");
  }
  if (!(proof.get("salts") instanceof Map)) problems.push("proof.salts must be an object");
  if (proof.has("obfuscated") && !Array.isArray(proof.get("obfuscated"))) problems.push("proof.obfuscated must be a list");
  const chainId = proof.get("chainId");
  if (!(chainId instanceof JsonNumber) || !/^[1-9][0-9]{0,18}$/.test(chainId.text)) problems.push("proof.chainId must be a positive integer");
  if (typeof proof.get("registry") !== "string" || !ADDRESS.test(proof.get("registry"))) problems.push("proof.registry must be an address");
  if (problems.length) return ["bad_proof", problems[0], problems[0], problems];
  const issuer = doc.get("issuer");
  const issuerId = issuer instanceof Map ? issuer.get("id") : issuer;
  if (typeof issuerId !== "string" || !DID.test(issuerId)) {
    return ["bad_issuer", "签发机关标识不是 did:pkh:eip155 DID", "the issuer id is not a did:pkh:eip155:<chainId>:<address> DID"];
  }
  const subject = doc.get("credentialSubject");
  if (!(subject instanceof Map)) return ["missing_subject", "缺少或隐藏了 credentialSubject", "credentialSubject is missing or hidden"];
  for (const [where, value] of [
    ["credentialSubject.certificateType", subject.get("certificateType")],
    ["credentialSubject.issuingProvince", subject.get("issuingProvince")],
    ["validFrom", doc.get("validFrom")],
    ["validUntil", doc.get("validUntil")],
  ]) {
    if (typeof value !== "string") return ["schema", `${where} 缺失或不是字符串`, `${where} is missing or not a string`];
  }
  return null;
}

function seconds(text) {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

function lower(x) {
  return typeof x === "string" ? x.toLowerCase() : x;
}

/**
 * Verify a certificate in the page. `input` is the JSON text (or a `parseJson` tree); `options.bundle` a
 * checked bundle payload (or null), `options.now` Unix seconds, `options.province` an accepting province.
 * Each check says where it was done: `local` (in the page), `bundle` (against the signed trust bundle) or
 * `chain` (skipped here: only the service, reading the chain, can do it).
 */
export async function verifyCertificate(input, options = {}) {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const bundle = options.bundle || null;
  const results = {};
  const put = (c) => {
    results[c.name] = c;
  };
  let doc = input;
  if (typeof input === "string") {
    try {
      doc = parseJson(input);
    } catch (e) {
      doc = undefined;
    }
  }
  if (doc instanceof Map && !doc.has("proof") && doc.get("certificate") instanceof Map) doc = doc.get("certificate");
  const problem = formatProblems(doc);
  if (problem) {
    put(check("format", "failed", problem[0], "local", problem[1], problem[2], problem[3] ? { problems: problem[3] } : {}));
    for (const name of CHECKS.slice(1)) {
      put(check(name, "skipped", "format_failed", "local", "文件格式有误，未检查", "not checked: the document is malformed"));
    }
    return finish(results, null, bundle, now);
  }
  put(check("format", "passed", "ok", "local", "证照结构完整", "the document is well formed"));
  const proof = doc.get("proof");
  const digestHex = proof.get("digest").toLowerCase();
  const rootHex = proof.get("merkleRoot").toLowerCase();
  const digest = hexToBytes(digestHex.slice(2));
  const root = hexToBytes(rootHex.slice(2));

  // 2. integrity
  try {
    const recomputed = await recomputeDigest(doc);
    if (bytesToHex(recomputed) === digestHex.slice(2)) {
      put(check("integrity", "passed", "ok", "local", "摘要与披露字段及隐藏字段哈希一致（本机计算）",
        "the digest matches the disclosed fields and hidden hashes (computed in this browser)"));
    } else {
      put(check("integrity", "failed", "digest_mismatch", "local", "字段的哈希与证明中的摘要不符：证照已被篡改",
        "the fields do not hash to the digest in the proof: the certificate was altered", { recomputed: "0x" + bytesToHex(recomputed) }));
    }
  } catch (e) {
    if (!(e instanceof LedgerValueError)) throw e;
    put(check("integrity", "failed", "fields_mismatch", "local", "字段与证明不符：" + e.message, e.message));
  }

  // 3. inclusion
  const path = proof.get("merklePath").map((h) => hexToBytes(h.slice(2)));
  if (verifyProof(root, digest, path)) {
    put(check("inclusion", "passed", "ok", "local", `默克尔路径（${path.length} 个哈希）通向根（本机计算）`,
      `the Merkle path (${path.length} hashes) leads to the root (computed in this browser)`, { pathLength: path.length }));
  } else {
    put(check("inclusion", "failed", "bad_merkle_path", "local", "默克尔路径不能从摘要通向根",
      "the Merkle path does not lead from the digest to the root"));
  }

  const issuer = doc.get("issuer");
  const [, chainText, agency] = DID.exec(issuer instanceof Map ? issuer.get("id") : issuer);
  const subject = doc.get("credentialSubject");
  const claims = {
    digest: digestHex,
    root: rootHex,
    agency,
    chainId: Number(chainText),
    registry: proof.get("registry"),
    certificateType: subject.get("certificateType"),
    issuingProvince: subject.get("issuingProvince"),
    validFrom: doc.get("validFrom"),
    validUntil: doc.get("validUntil"),
    signature: proof.has("signature") ? proof.get("signature") : undefined,
    suite: proof.get("suite"),
  };
  const needsChain = (name, zh, en) => put(check(name, "skipped", "needs_chain", "chain", zh, en));

  // 4-7 against the bundle, or left to the chain
  if (!bundle) {
    needsChain("anchoring", "需联网由链上核对：根是否由签发机关锚定", "needs the chain: whether the issuer anchored the root");
    needsChain("issuer", "需联网由链上核对：签发机关当时是否有权签发", "needs the chain: whether the issuer could issue it then");
    if (claims.signature === undefined) {
      put(check("signature", "skipped", "unsigned", "local", "证照未附签发机关签名", "the certificate carries no issuer signature"));
    } else {
      needsChain("signature", "需联网由链上核对签名密钥", "needs the chain: the signing key");
    }
    needsChain("status", "需联网由链上核对：是否已撤销或暂停", "needs the chain: whether it is revoked or suspended");
  } else {
    bundleChecks(claims, bundle, put, needsChain);
  }

  // 8. validity, by this computer's clock
  const from = seconds(claims.validFrom);
  const until = seconds(claims.validUntil);
  if (from === null || until === null) {
    put(check("validity", "failed", "bad_dates", "local", "有效期日期无法识别", "the validity dates cannot be read"));
  } else if (now < from) {
    put(check("validity", "failed", "not_yet_valid", "local", "证照尚未生效", "the certificate is not valid yet"));
  } else if (now > until) {
    put(check("validity", "failed", "expired", "local", "证照已过有效期", "the certificate has expired"));
  } else {
    put(check("validity", "passed", "ok", "local", "在有效期内（按本机时钟）", "within its validity period (by this computer's clock)"));
  }

  // 9. recognition
  if (options.province) {
    needsChain("recognition", "需联网由链上核对互认规则", "needs the chain: the recognition rules");
  } else {
    put(check("recognition", "skipped", "no_context", "local", "未指定受理省份", "no accepting province named"));
  }
  return finish(results, claims, bundle, now);
}

function bundleChecks(claims, bundle, put, needsChain) {
  const where = "bundle";
  const block = bundle.block && bundle.block.number;
  const sameChain = bundle.chainId === claims.chainId && lower(bundle.registry) === lower(claims.registry);
  if (!sameChain) {
    put(check("anchoring", "failed", "wrong_chain", where, "证照所属的链或登记合约与信任包不同",
      "the certificate names another chain or registry than the trust bundle"));
    for (const name of ["issuer", "signature", "status"]) {
      put(check(name, "skipped", "not_anchored", where, "根未锚定，未检查", "not checked: the root is not anchored by the issuer"));
    }
    return;
  }
  const batch = (bundle.roots || []).find((r) => lower(r.root) === claims.root && lower(r.agency) === lower(claims.agency));
  if (!batch) {
    put(check("anchoring", "failed", "not_anchored", where, `截至信任包区块 #${block}，签发机关未锚定此根；请更新信任包或联网核验`,
      `the issuer had not anchored this root as of the bundle's block #${block}; update the bundle or verify online`));
    for (const name of ["issuer", "signature", "status"]) {
      put(check(name, "skipped", "not_anchored", where, "根未锚定，未检查", "not checked: the root is not anchored by the issuer"));
    }
    return;
  }
  put(check("anchoring", "passed", "ok", where, `根已于区块 #${batch.block} 由签发机关锚定（据信任包）`,
    `the root was anchored by the issuer in block #${batch.block} (per the trust bundle)`, { block: batch.block, anchoredAt: batch.anchoredAt }));

  const agencies = new Map((bundle.agencies || []).map((a) => [lower(a.address), a]));
  const provinces = new Map((bundle.provinces || []).map((p) => [String(p.code), p]));
  const agency = agencies.get(lower(claims.agency));
  const standingAt = (entity) => entity && (entity.status === "active" || (entity.statusSince || 0) > batch.anchoredAt);
  let chainOk = Boolean(agency);
  for (let a = agency, depth = 0; a && depth < 16; a = a.parent ? agencies.get(lower(a.parent)) : null, depth++) {
    if (!standingAt(a)) chainOk = false;
  }
  const province = agency ? provinces.get(String(agency.province)) : null;
  if (!standingAt(province)) chainOk = false;
  if (!agency) {
    put(check("issuer", "failed", "unknown_agency", where, "信任包中没有该签发机关", "the trust bundle does not know the issuing agency"));
  } else if (!chainOk) {
    put(check("issuer", "failed", "not_in_good_standing", where, "锚定时签发机关、上级机关或所属省份已暂停或移除（据信任包）",
      "the issuer, a parent or its province was suspended or removed when the root was anchored (per the trust bundle)"));
  } else {
    put(check("issuer", "passed", "ok", where, `${agency.name}（${agency.province}）锚定时状态正常（据信任包；证照类型授权需联网核对）`,
      `${agency.name} (${agency.province}) was in good standing when anchoring (per the trust bundle; type grants need the chain)`,
      { agencyName: agency.name, province: agency.province }));
  }
  signatureCheck(claims, batch, bundle, put);

  if (batch.revokedAt) {
    put(check("status", "failed", "batch_revoked", where, "该批次已整体撤销（据信任包）", "the whole batch was revoked (per the trust bundle)"));
    return;
  }
  const status = (bundle.statuses || []).find((s) => lower(s.digest) === claims.digest && lower(s.agency) === lower(claims.agency));
  if (status) {
    const name = STATUS_NAMES[status.status] || "unknown";
    put(check("status", "failed", name, where, `证照状态：${{ suspended: "已暂停", revoked: "已撤销", superseded: "已被替代" }[name] || name}（据信任包）`,
      `the certificate is ${name} (per the trust bundle)`, { status: name, reason: status.reason, successor: status.successor }));
  } else {
    put(check("status", "passed", "ok", where, `截至信任包区块 #${block} 未被撤销或暂停`,
      `not revoked or suspended as of the bundle's block #${block}`));
  }
}

function signatureCheck(claims, batch, bundle, put) {
  const where = "bundle";
  const signature = claims.signature;
  if (signature === undefined) {
    put(check("signature", "skipped", "unsigned", "local", "证照未附签发机关签名", "the certificate carries no issuer signature"));
    return;
  }
  const fail = (code, zh, en) => put(check("signature", "failed", code, where, zh, en));
  const keyId = signature instanceof Map ? signature.get("keyId") : undefined;
  const value = signature instanceof Map ? base64url(signature.get("value")) : null;
  if (typeof keyId !== "string" || !/^0x[0-9a-f]{64}$/.test(keyId) || value === null) {
    return fail("malformed", "签名对象格式有误", "the signature object is malformed");
  }
  const key = (bundle.signingKeys || []).find((k) => lower(k.keyId) === keyId);
  if (!key || lower(key.agency) !== lower(claims.agency)) {
    return fail("unknown_key", "签名密钥未登记于签发机关（据信任包）", "the signing key is not registered to the issuing agency (per the trust bundle)");
  }
  if (key.algorithm !== SUITE_ALGORITHMS[claims.suite]) {
    return fail("wrong_algorithm", `${key.algorithm} 密钥不能在 ${claims.suite} 套件中签名`, `a ${key.algorithm} key cannot sign in the ${claims.suite} suite`);
  }
  if (!(key.validFrom <= batch.anchoredAt && batch.anchoredAt < key.validUntil)) {
    return fail("key_not_valid", "锚定时签名密钥不在有效期内", "the signing key was not valid when the batch was anchored");
  }
  if (!verifyRootSignature(key.algorithm, key.publicKey, hexToBytes(claims.root.slice(2)), value)) {
    return fail("bad_signature", "对默克尔根的签名验证失败", "the signature over the root does not verify");
  }
  put(check("signature", "passed", "ok", where, `${key.algorithm} 签名有效，密钥已登记（本机验证，密钥据信任包）`,
    `${key.algorithm} signature by a registered key (verified in this browser; the key per the trust bundle)`, { keyId, algorithm: key.algorithm }));
}

function finish(results, claims, bundle, now) {
  const checks = CHECKS.map((name) => results[name]);
  let verdict;
  if (checks.slice(0, 8).some((c) => c.outcome === "failed")) verdict = "INVALID";
  else if (checks.slice(0, 8).some((c) => c.outcome === "skipped" && c.where === "chain")) verdict = "INCOMPLETE";
  else if (checks[8].outcome === "skipped" && checks[8].where === "chain") verdict = "INCOMPLETE";
  else verdict = "VALID";
  return {
    verdict,
    checks,
    digest: claims ? claims.digest : null,
    issuer: claims ? claims.agency : null,
    issuingProvince: claims ? claims.issuingProvince : null,
    certificateType: claims ? claims.certificateType : null,
    checkedAt: now,
    bundle: bundle
      ? { generatedAt: bundle.generatedAt, block: bundle.block, chainId: bundle.chainId, ageSeconds: bundleAge(bundle, now) }
      : null,
  };
}
