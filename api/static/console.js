// The Hurong console: an agency issues certificates in batches and changes their status; a province admin
// manages its agencies, recognition rules and proposals. Plain JavaScript; every request goes to this service.
"use strict";

const API = "/api/v1";
const KEY_STORE = "hurong.console.apiKey";
const REASONS = {
  unspecified: "未说明", issued_in_error: "错误发证", holder_request: "持证人申请",
  fraud: "以欺骗等不正当手段取得", cancelled: "注销", revoked_by_authority: "吊销", replaced: "换发或补发",
  under_investigation: "调查期间暂停", investigation_closed: "调查结束恢复",
  holder_deceased_or_dissolved: "持证人死亡或主体终止", change_of_particulars: "登记事项变更",
};
const DEFAULT_REASON = { suspend: "under_investigation", reinstate: "investigation_closed", revoke: "revoked_by_authority",
  supersede: "replaced" };
const RECORD_FIELDS = new Set(["licenceNumber", "certificateType", "holderName", "holderId", "issuingProvince",
  "issuingRegion", "validFrom", "validUntil", "supersedes", "issuer"]);
const PROPOSAL_FIELDS = { admitProvince: ["province", "name", "admins"], suspendProvince: ["province"],
  reinstateProvince: ["province"], removeProvince: ["province"], setThreshold: ["threshold"],
  addProvinceAdmin: ["province", "account"], removeProvinceAdmin: ["province", "account"] };
const STATES = { pending: "待表决", approved: "已通过", executed: "已执行", expired: "已过期", cancelled: "已撤回",
  active: "有效", valid: "有效", suspended: "已暂停", revoked: "已撤销", superseded: "已替换", none: "未登记" };

const $ = (id) => document.getElementById(id);
const state = { me: null, records: [], issued: [], types: [], provinces: [], agencies: [] };

// ------------------------------------------------------------------------------------------------ DOM helpers

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of [].concat(children === undefined ? [] : children).flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A label in Chinese with the English beside it.
const bi = (zh, en) => [zh + " ", el("span", { lang: "en", class: "en" }, en)];
const button = (zh, en, onclick, extra) => el("button", { type: "button", class: "secondary", onclick, ...extra },
  bi(zh, en));

// ------------------------------------------------------------------------------------------------ the API

class ApiFailure extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function api(method, path, body, options) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (options && options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  let response;
  try {
    response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (exc) {
    throw new ApiFailure(0, "network_error", "the service could not be reached: " + exc.message);
  }
  const text = await response.text();
  let answer = null;
  try { answer = text ? JSON.parse(text) : null; } catch (exc) { answer = null; }
  if (!response.ok) {
    const error = (answer && answer.error) || {};
    throw new ApiFailure(response.status, error.code || "http_" + response.status,
      error.message || text.slice(0, 300) || response.statusText, error.details);
  }
  return answer;
}

function detailItems(details) {
  if (!Array.isArray(details)) {
    return details && typeof details === "object" ? [el("li", {}, JSON.stringify(details))] : [];
  }
  return details.slice(0, 50).map((d) => el("li", {}, [
    d.index !== undefined ? "#" + d.index + " " : "", d.pointer || d.path || d.loc || "", " ",
    el("code", {}, d.code || ""), " ", d.message || "",
  ]));
}

function showError(error) {
  const box = $("error");
  const failure = error instanceof ApiFailure ? error : new ApiFailure(0, "console_error", String(error.message || error));
  box.replaceChildren(
    el("strong", {}, bi("操作未完成", "The request was refused")),
    el("p", { "data-testid": "error-code" }, [el("code", {}, failure.code),
      failure.status ? " (HTTP " + failure.status + ")" : "", "：", failure.message]),
    el("ul", {}, detailItems(failure.details)));
  box.dataset.code = failure.code;
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

function notice(zh, en) {
  $("notice").replaceChildren(...bi(zh, en));
  $("notice").hidden = false;
}

function clearMessages() {
  $("error").hidden = true;
  $("notice").hidden = true;
}

// Run an action: messages cleared, the busy sign shown, any failure shown with its code and message.
async function run(action) {
  clearMessages();
  $("busy").hidden = false;
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    $("busy").hidden = true;
  }
}

const newKey = (prefix) => prefix + "-" + (crypto.randomUUID ? crypto.randomUUID() :
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(""));

// ------------------------------------------------------------------------------------------------ sign in

async function signIn(key) {
  sessionStorage.setItem(KEY_STORE, key);
  let me;
  try {
    me = await api("GET", "/whoami");
  } catch (error) {
    sessionStorage.removeItem(KEY_STORE);
    throw error;
  }
  state.me = me;
  $("sign-in").hidden = true;
  $("who").hidden = false;
  const role = me.role === "province" ? bi("省级管理员", "Province admin") : bi("发证机构", "Agency");
  $("who-text").replaceChildren(...role, " · ", me.name || me.subject, " · ", me.subject);
  $("who-text").dataset.role = me.role;
  const meta = await api("GET", "/certificate-types");
  state.types = meta.data;
  state.provinces = (await api("GET", "/provinces")).data;
  if (me.role === "agency") {
    $("agency").hidden = false;
    selectTab("agency", "issue");
  } else {
    $("province").hidden = false;
    selectTab("province", "agencies");
    fillAdminForms();
    await loadAgencies();
  }
}

function signOut() {
  sessionStorage.removeItem(KEY_STORE);
  location.reload();
}

function selectTab(section, name) {
  for (const tab of $(section).querySelectorAll(".tab")) tab.setAttribute("aria-selected", tab.dataset.tab === name);
  for (const panel of $(section).querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  clearMessages();
  if (name === "rules") run(loadRules);
  if (name === "proposals") run(loadProposals);
}

// ------------------------------------------------------------------------------------------------ CSV and JSON

// RFC 4180: fields separated by commas, quoted with double quotes ("" inside for one), rows by CRLF or LF.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); field = "";
      if (row.some((cell) => cell !== "")) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((cell) => cell !== "")) rows.push(row);
  return rows;
}

async function arrayFields(type) {
  if (!arrayFields.cache[type]) {
    arrayFields.cache[type] = api("GET", "/certificate-types/" + encodeURIComponent(type)).then((schema) =>
      new Set(Object.entries(schema.properties || {}).filter(([, p]) => p.type === "array").map(([name]) => name)),
    () => new Set());
  }
  return arrayFields.cache[type];
}
arrayFields.cache = {};

// Records from CSV rows: common fields at the top, the type's own in `fields` (a `fields.` prefix is optional);
// a cell starting with [ or { is JSON; a list field of the type's schema is split at semicolons.
async function recordsFromCsv(text) {
  const rows = parseCsv(text.replace(/^\uFEFF/, ""));
  if (rows.length < 2) throw new ApiFailure(0, "empty_file", "the CSV has no rows below its header");
  const header = rows[0].map((name) => name.trim());
  const records = [];
  for (const cells of rows.slice(1)) {
    const record = { fields: {} };
    const lists = await arrayFields((cells[header.indexOf("certificateType")] || "").trim());
    header.forEach((name, column) => {
      const raw = (cells[column] || "").trim();
      if (!name || raw === "") return;
      const field = name.startsWith("fields.") ? name.slice(7) : name;
      let value = raw;
      if (/^[[{]/.test(raw)) {
        try { value = JSON.parse(raw); } catch (exc) { value = raw; }
      } else if (lists.has(field)) value = raw.split(/[;；]/).map((s) => s.trim()).filter(Boolean);
      if (RECORD_FIELDS.has(field) && !name.startsWith("fields.")) record[field] = value;
      else record.fields[field] = value;
    });
    if (!Object.keys(record.fields).length) delete record.fields;
    records.push(record);
  }
  return records;
}

async function readLicenceFile(file) {
  const text = await file.text();
  if (/\.json$/i.test(file.name) || /^\s*[[{]/.test(text)) {
    let parsed;
    try { parsed = JSON.parse(text); } catch (exc) {
      throw new ApiFailure(0, "malformed_json", "the file is not valid JSON: " + exc.message);
    }
    const records = Array.isArray(parsed) ? parsed : parsed && parsed.certificates;
    if (!Array.isArray(records)) throw new ApiFailure(0, "malformed_file", "expected an array of records or {certificates: [...]}");
    return records;
  }
  return recordsFromCsv(text);
}

// ------------------------------------------------------------------------------------------------ issuing

function setProgress(done, total) {
  const percent = total ? Math.round((done / total) * 100) : 0;
  $("progress").value = percent;
  $("progress-text").textContent = percent + " %（" + done + " / " + total + "）";
  $("progress").dataset.percent = percent;
}

function addRowErrors(offset, failure) {
  const body = $("row-errors").querySelector("tbody");
  const details = Array.isArray(failure.details) ? failure.details : [];
  if (!details.length) details.push({ code: failure.code, message: failure.message });
  for (const d of details) {
    const row = d.index !== undefined ? offset + d.index + 1 : "—";
    body.append(el("tr", { "data-row": row }, [el("td", {}, String(row)), el("td", {}, el("code", {}, d.pointer || d.path || "")),
      el("td", {}, el("code", {}, d.code || failure.code)), el("td", {}, d.message || failure.message)]));
  }
  $("row-errors").hidden = false;
}

async function issueAll() {
  clearMessages();
  const records = state.records;
  const size = Math.max(1, Math.min(1000, parseInt($("batch-size").value, 10) || 50));
  const upload = newKey("console");
  $("row-errors").querySelector("tbody").replaceChildren();
  $("row-errors").hidden = true;
  $("issue-button").disabled = true;
  let done = 0;
  let issued = 0;
  let refused = 0;
  setProgress(0, records.length);
  for (let start = 0, batch = 0; start < records.length; start += size, batch++) {
    const chunk = records.slice(start, start + size);
    try {
      const answer = await api("POST", "/certificates", { certificates: chunk }, { idempotencyKey: upload + "-" + batch });
      state.issued.push(...answer.data);
      issued += answer.data.length;
    } catch (failure) {
      refused += chunk.length;
      addRowErrors(start, failure);
    }
    done += chunk.length;
    setProgress(done, records.length);
  }
  $("issue-summary").replaceChildren(...bi("已签发 " + issued + " 份，未签发 " + refused + " 份。",
    "Issued " + issued + ", refused " + refused + "."));
  $("issue-summary").dataset.issued = issued;
  $("zip-button").disabled = state.issued.length === 0;
  $("issue-button").disabled = false;
  if (refused) showError(new ApiFailure(0, "rows_refused", refused + " of " + records.length + " rows were refused: see the table of rows"));
}

const subjectOf = (doc) => (doc && (doc.credentialSubject || (doc.credential && doc.credential.credentialSubject))) || {};
const digestOf = (doc) => (doc.proof && doc.proof.digest) || "";

function licenceNumberOf(doc) {
  const found = subjectOf(doc).licenceNumber;
  if (found) return String(found);
  const match = JSON.stringify(doc).match(/"licenceNumber":"([^"]*)"/);
  return match ? match[1] : "";
}

// ------------------------------------------------------------------------------------------------ ZIP

// The service builds the ZIP (certificates, QR images, index.csv) from its journal; at most 10,000 per archive.
async function downloadZip() {
  const digests = state.issued.map(digestOf);
  for (let start = 0, part = 1; start < digests.length; start += 10000, part++) {
    const headers = { "Content-Type": "application/json", "X-API-Key": sessionStorage.getItem(KEY_STORE) || "" };
    let response;
    try {
      response = await fetch(API + "/certificates/export", { method: "POST", headers,
        body: JSON.stringify({ digests: digests.slice(start, start + 10000) }) });
    } catch (exc) {
      throw new ApiFailure(0, "network_error", "the service could not be reached: " + exc.message);
    }
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      const error = answer.error || {};
      throw new ApiFailure(response.status, error.code || "http_" + response.status, error.message || response.statusText,
        error.details);
    }
    const name = "certificates-" + Date.now() + (digests.length > 10000 ? "-" + part : "") + ".zip";
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name, "data-testid": "zip-link" });
    document.body.append(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }
}

// ------------------------------------------------------------------------------------------------ status

async function findCertificate(query) {
  let digest = query.trim();
  let found = null;
  if (!/^0x[0-9a-fA-F]{64}$/.test(digest)) {
    const answer = await api("GET", "/certificates?licenceNumber=" + encodeURIComponent(digest));
    if (!answer.count) {
      throw new ApiFailure(404, "unknown_licence", "this agency has no anchored certificate of licence number " + digest);
    }
    found = answer.data.find((d) => d.status === "valid" || d.status === "suspended") || answer.data[answer.count - 1];
    digest = found.digest;
  }
  const answer = await api("GET", "/certificates/" + digest.toLowerCase());
  const record = answer.records.find((r) => !state.me || r.agency === state.me.subject) || answer.records[0];
  const issuedDoc = found ? found.certificate : state.issued.find((doc) => digestOf(doc).toLowerCase() === digest.toLowerCase());
  const facts = [
    ["摘要", "Digest", el("code", {}, answer.digest)],
    ["许可证编号", "Licence number", issuedDoc ? licenceNumberOf(issuedDoc) : "—"],
    ["状态", "Status", el("span", { class: "status-" + record.status, "data-testid": "found-status", "data-status": record.status },
      (STATES[record.status] || "") + " " + record.status)],
    ["原因", "Reason", record.reason ? (REASONS[record.reason] || "") + " " + record.reason : "—"],
    ["发证机构", "Agency", record.agency],
  ];
  $("found-facts").replaceChildren(...facts.flatMap(([zh, en, value]) => [el("dt", {}, bi(zh, en)), el("dd", {}, value)]));
  $("found").dataset.digest = answer.digest;
  $("found").hidden = false;
  $("change-result").replaceChildren();
}

async function changeStatus() {
  const digest = $("found").dataset.digest;
  const action = $("change-action").value;
  const body = { reason: $("change-reason").value };
  if (action === "supersede") body.successor = $("change-successor").value.trim();
  const answer = await api("POST", "/certificates/" + digest + "/" + action, body, { idempotencyKey: newKey(action) });
  await findCertificate(digest);
  $("change-result").replaceChildren(...bi("已完成：" + action + "，原因 " + (REASONS[answer.reason] || "") + " " + answer.reason +
    "，区块 " + answer.blockNumber + "。", "Done (transaction " + answer.transactionHash + ")."));
  $("change-result").dataset.action = action;
}

function fillReasons() {
  const select = $("change-reason");
  select.replaceChildren(...Object.entries(REASONS).map(([name, label]) => el("option", { value: name }, label + " " + name)));
  select.value = DEFAULT_REASON[$("change-action").value];
  $("successor-row").hidden = $("change-action").value !== "supersede";
}

// ------------------------------------------------------------------------------------------------ province admin

const typeName = (code) => ((state.types.find((t) => t.code === code) || {}).name || "") + " " + code;
const provinceName = (code) => ((state.provinces.find((p) => p.code === code) || {}).name || "") + " " + code;

function fillAdminForms() {
  $("reg-types").replaceChildren(...state.types.map((t) =>
    el("label", {}, [el("input", { type: "checkbox", value: t.code, name: "reg-type" }), t.name + " " + t.code])));
  $("rule-type").replaceChildren(...state.types.map((t) => el("option", { value: t.code }, t.name + " " + t.code)));
  $("rule-issuing").replaceChildren(el("option", { value: "" }, "任何省份 any province"),
    ...state.provinces.map((p) => el("option", { value: p.code }, p.name + " " + p.code)));
  showProposalFields();
}

async function loadAgencies() {
  const agencies = (await api("GET", "/agencies?province=" + state.me.subject)).data;
  state.agencies = agencies;
  const keys = {};
  await Promise.all(agencies.map(async (a) => {
    keys[a.account] = (await api("GET", "/agencies/" + a.account + "/signing-keys")).data;
  }));
  const byParent = {};
  for (const a of agencies) {
    const parent = a.parent && agencies.some((b) => b.account === a.parent) ? a.parent : "";
    (byParent[parent] = byParent[parent] || []).push(a);
  }
  const branch = (parent) => el("ul", {}, (byParent[parent] || []).map((a) =>
    el("li", {}, [agencyNode(a, keys[a.account] || []), byParent[a.account] ? branch(a.account) : null])));
  $("agency-tree").replaceChildren(agencies.length ? branch("") : el("p", { class: "hint" }, bi("尚无机构。", "No agencies yet.")));
  $("reg-parent").replaceChildren(el("option", { value: "" }, "无（直属本省） none (under the province)"),
    ...agencies.map((a) => el("option", { value: a.account }, a.name + " " + a.account)));
}

function agencyNode(a, keys) {
  const grant = el("select", { "aria-label": "授予类型 Type to grant" },
    state.types.filter((t) => !a.certificateTypes.includes(t.code)).map((t) => el("option", { value: t.code }, t.name + " " + t.code)));
  const algorithm = el("select", { "aria-label": "算法 Algorithm" }, ["Ed25519", "SM2"].map((x) => el("option", { value: x }, x)));
  const path = "/agencies/" + a.account;
  const write = (method, suffix, body, zh, en) => run(async () => {
    await api(method, path + suffix, body, method === "POST" || method === "DELETE" ? { idempotencyKey: newKey("console") } : undefined);
    notice(zh, en);
    await loadAgencies();
  });
  const keyRows = keys.map((k) => el("tr", { "data-key": k.keyId }, [
    el("td", {}, el("code", {}, k.keyId.slice(0, 18) + "…")), el("td", {}, k.algorithm),
    el("td", { class: k.validNow ? "ok" : "bad" }, k.revokedAt ? bi("已吊销", "revoked") : k.validNow ? bi("有效", "valid") : bi("无效", "not valid")),
    el("td", {}, k.revokedAt ? "" : button("吊销", "Revoke", () => write("DELETE", "/signing-keys/" + k.keyId, undefined, "密钥已吊销。", "Key revoked."), { class: "secondary danger" })),
  ]));
  return el("div", { class: "node", "data-testid": "agency", "data-address": a.account, "data-name": a.name }, [
    el("div", { class: "title" }, [a.name, " ", el("span", { class: "status-" + a.status, "data-testid": "agency-status" }, (STATES[a.status] || "") + " " + a.status)]),
    el("div", { class: "meta" }, [a.account, " · ", bi("区划", "region"), " ", a.region]),
    el("div", {}, [...bi("证照类型", "Types"), "：", ...(a.certificateTypes.length ? a.certificateTypes.map((c) => el("span", { class: "chip", "data-type": c }, typeName(c))) : ["—"])]),
    keys.length ? el("table", { class: "grid" }, [el("thead", {}, el("tr", {}, [el("th", {}, bi("签名密钥", "Signing key")), el("th", {}, bi("算法", "Algorithm")), el("th", {}, bi("状态", "State")), el("th", {})])), el("tbody", {}, keyRows)]) : el("p", { class: "hint" }, bi("无签名密钥。", "No signing key.")),
    el("div", { class: "tools" }, [
      a.status === "active"
        ? button("暂停", "Suspend", () => write("POST", "/suspend", {}, "机构已暂停。", "Agency suspended."), { class: "secondary danger" })
        : button("恢复", "Reinstate", () => write("POST", "/reinstate", {}, "机构已恢复。", "Agency reinstated.")),
      grant, button("授予类型", "Grant type", () => write("POST", "/certificate-types/" + grant.value, undefined, "已授予证照类型。", "Type granted."), { disabled: !grant.options.length }),
      algorithm, button("新建签名密钥", "New signing key", () => write("POST", "/signing-keys", { algorithm: algorithm.value }, "签名密钥已登记。", "Signing key registered.")),
      button("新建接口密钥", "New API key", () => createApiKey(a)),
    ]),
  ]);
}

async function createApiKey(agency) {
  await run(async () => {
    const answer = await api("POST", "/api-keys", { agency: agency.account, label: agency.name });
    const shown = $("api-key-shown");
    shown.replaceChildren(...bi("接口密钥（只显示这一次，请立即交给该机构）：", "API key (shown this once; hand it to the agency now):"),
      el("br"), el("code", { "data-testid": "new-api-key" }, answer.key), el("br"), agency.name);
    shown.hidden = false;
  });
}

async function registerAgency() {
  const body = { name: $("reg-name").value.trim(), region: $("reg-region").value.trim(),
    certificateTypes: Array.from(document.querySelectorAll("input[name=reg-type]:checked"), (box) => box.value) };
  if ($("reg-parent").value) body.parent = $("reg-parent").value;
  const answer = await api("POST", "/agencies", body, { idempotencyKey: newKey("register") });
  notice("机构已登记：" + answer.agency.name + " " + answer.agency.address, "Agency registered.");
  await loadAgencies();
}

async function loadRules() {
  const rules = (await api("GET", "/recognition-rules?accepting=" + state.me.subject)).data;
  $("rules-body").replaceChildren(...rules.map((r) => el("tr", { "data-rule": r.id }, [
    el("td", {}, String(r.id)), el("td", {}, r.issuingProvince ? provinceName(String(r.issuingProvince)) : bi("任何", "any")),
    el("td", {}, r.certificateType ? typeName(r.certificateType) : bi("任何", "any")), el("td", {}, r.serviceItem || "—"),
    el("td", {}, r.legalBasis || "—"),
    el("td", { class: r.revokedAt ? "bad" : "ok" }, r.revokedAt ? bi("已撤销", "revoked") : bi("生效", "in force")),
    el("td", {}, r.revokedAt ? "" : button("撤销", "Revoke", () => run(async () => {
      await api("DELETE", "/recognition-rules/" + r.id, undefined, { idempotencyKey: newKey("rule") });
      notice("规则已撤销。", "Rule revoked.");
      await loadRules();
    }), { class: "secondary danger" })),
  ])));
}

async function setRule() {
  const body = { certificateType: $("rule-type").value, legalBasis: $("rule-basis").value.trim() };
  if ($("rule-issuing").value) body.issuingProvince = $("rule-issuing").value;
  if ($("rule-item").value.trim()) body.serviceItem = $("rule-item").value.trim();
  await api("POST", "/recognition-rules", body, { idempotencyKey: newKey("rule") });
  notice("规则已设定。", "Rule set.");
  await loadRules();
}

async function loadProposals() {
  const proposals = (await api("GET", "/proposals?limit=100")).data;
  const act = (p, what, zh, en) => button(zh, en, () => run(async () => {
    const answer = await api("POST", "/proposals/" + p.id + "/" + what, undefined, { idempotencyKey: newKey(what) });
    notice("提案 " + p.id + "：" + (STATES[answer.proposal.state] || answer.proposal.state), "Proposal " + p.id + ": " + answer.proposal.state +
      (answer.executionError ? " (" + JSON.stringify(answer.executionError) + ")" : ""));
    await loadProposals();
  }));
  $("proposals-body").replaceChildren(...proposals.map((p) => el("tr", { "data-proposal": p.id, "data-state": p.state }, [
    el("td", {}, String(p.id)),
    el("td", {}, [el("strong", {}, p.action || "call"), " ", el("code", {}, JSON.stringify(p.arguments)), el("br"), p.description]),
    el("td", {}, (STATES[p.state] || "") + " " + p.state),
    el("td", {}, p.votes + " / " + p.threshold + "（" + p.voters.join("、") + "）"),
    el("td", {}, [
      p.state === "pending" && !p.voters.includes(state.me.subject) ? act(p, "votes", "投票", "Vote") : null,
      p.state === "approved" ? act(p, "execute", "执行", "Execute") : null,
      p.state === "pending" && p.proposer === state.me.subject ? act(p, "cancel", "撤回", "Cancel") : null,
    ]),
  ])));
}

function showProposalFields() {
  const wanted = PROPOSAL_FIELDS[$("prop-action").value];
  for (const box of document.querySelectorAll("[data-for]")) box.hidden = !wanted.includes(box.dataset.for);
}

async function propose() {
  const action = $("prop-action").value;
  const body = { action };
  const values = { province: $("prop-province").value.trim(), name: $("prop-name").value.trim(),
    admins: $("prop-admins").value.split(/[,，\s]+/).filter(Boolean), account: $("prop-account").value.trim(),
    threshold: parseInt($("prop-threshold").value, 10) };
  for (const field of PROPOSAL_FIELDS[action]) body[field] = values[field];
  if ($("prop-description").value.trim()) body.description = $("prop-description").value.trim();
  const answer = await api("POST", "/proposals", body, { idempotencyKey: newKey("propose") });
  notice("提案已提交：" + answer.proposal.id, "Proposal " + answer.proposal.id + " opened.");
  await loadProposals();
}

// ------------------------------------------------------------------------------------------------ wiring

function submit(id, action) {
  $(id).addEventListener("submit", (event) => {
    event.preventDefault();
    run(action);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  submit("sign-in-form", () => signIn($("api-key").value.trim()).then(() => { $("api-key").value = ""; }));
  $("sign-out").addEventListener("click", signOut);
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => selectTab(tab.closest("section").id, tab.dataset.tab));
  }
  $("licence-file").addEventListener("change", () => run(async () => {
    const file = $("licence-file").files[0];
    state.records = [];
    $("issue-button").disabled = true;
    if (!file) return;
    state.records = await readLicenceFile(file);
    setProgress(0, state.records.length);
    $("file-summary").replaceChildren(...bi(file.name + "：" + state.records.length + " 条记录", state.records.length + " records"));
    $("file-summary").dataset.count = state.records.length;
    $("issue-button").disabled = state.records.length === 0;
  }));
  $("issue-button").addEventListener("click", () => issueAll());
  $("zip-button").addEventListener("click", () => run(downloadZip));
  submit("find-form", () => findCertificate($("find-input").value));
  submit("change-form", changeStatus);
  $("change-action").addEventListener("change", fillReasons);
  fillReasons();
  submit("register-form", registerAgency);
  submit("rule-form", setRule);
  submit("proposal-form", propose);
  $("prop-action").addEventListener("change", showProposalFields);
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) run(() => signIn(key));
});
