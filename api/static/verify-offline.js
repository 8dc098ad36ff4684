// The verification page's in-browser verification (核验于本机): on every "Verify" the page recomputes the
// certificate's integrity and Merkle inclusion itself (verify/core.js, bundled from web/) and lists which checks
// it did here and which need the chain. With a trust bundle downloaded earlier (signed by the service, checked
// here with its Ed25519 key, kept in this browser) it also checks anchoring, the issuer's standing and the status
// when the service cannot be reached — with no connection at all — and says how old the bundle is.
"use strict";
(function () {
  var core = window.HurongVerify;
  var API = "api/v1/";
  var STORE = "hurong.trustBundle.v1";
  var $ = function (id) { return document.getElementById(id); };
  var form = $("form"), textarea = $("cert-json");
  var panel = $("local-result"), bundleStatus = $("bundle-status");

  var NAMES = {
    format: ["格式", "Format"], integrity: ["完整性", "Integrity"], inclusion: ["默克尔包含", "Merkle inclusion"],
    anchoring: ["上链锚定", "Anchoring"], issuer: ["签发机关", "Issuer"], signature: ["签名", "Signature"],
    status: ["证照状态", "Status"], validity: ["有效期", "Validity period"], recognition: ["跨省互认", "Recognition"]
  };
  var OUTCOMES = { passed: ["通过", "passed"], failed: ["未通过", "failed"], skipped: ["未检查", "not checked"] };
  var WHERE = {
    local: ["本机计算", "in this browser"],
    bundle: ["据信任包", "against the trust bundle"],
    chain: ["需联网核验", "needs the chain"]
  };
  var VERDICTS = {
    VALID: ["有效", "VALID", "本机核验全部通过。", "Every check passed in this browser."],
    INVALID: ["无效", "INVALID", "至少一项检查未通过，请勿采信。", "At least one check failed: do not rely on it."],
    INCOMPLETE: ["尚待联网核验", "NOT FULLY VERIFIED", "本机能做的检查已通过；其余检查需联网由链上核对，或先下载信任包。",
      "The checks this browser can do passed; the others need the chain, or a trust bundle downloaded beforehand."]
  };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function both(node, zh, english) {
    node.textContent = "";
    node.appendChild(document.createTextNode(zh + " "));
    node.appendChild(el("span", { lang: "en", "class": "en" }, [english]));
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function when(seconds) {
    var d = new Date(seconds * 1000);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function age(seconds) {  // [Chinese, English]
    if (seconds < 60) return [seconds + " 秒", seconds + (seconds === 1 ? " second" : " seconds")];
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return [minutes + " 分钟", minutes + (minutes === 1 ? " minute" : " minutes")];
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return [hours + " 小时", hours + (hours === 1 ? " hour" : " hours")];
    var days = Math.floor(hours / 24);
    return [days + " 天", days + " days"];
  }
  function now() { return Math.floor(Date.now() / 1000); }

  if (!core) {
    both(bundleStatus, "本机核验组件未载入，只能联网核验。", "The in-browser verifier is not loaded: verify online only.");
    return;
  }

  // ------------------------------------------------------------------ the trust bundle

  function stored() {
    try {
      var kept = JSON.parse(localStorage.getItem(STORE) || "null");
      if (!kept) return null;
      return { bundle: kept.bundle, key: kept.key, payload: core.checkBundle(kept.bundle, kept.key.publicKey) };
    } catch (e) {
      return null;  // missing, damaged or changed: treated as absent (and never trusted)
    }
  }

  function showBundle() {
    var kept = stored();
    var saveLink = $("bundle-save");
    if (!kept) {
      both(bundleStatus, "尚未下载信任包：断网时只能核验完整性与默克尔包含。",
        "No trust bundle yet: offline, only integrity and Merkle inclusion can be checked.");
      bundleStatus.setAttribute("data-state", "none");
      saveLink.hidden = true;
      return null;
    }
    var p = kept.payload, old = age(core.bundleAge(p, now()));
    both(bundleStatus, "信任包生成于 " + when(p.generatedAt) + "（区块 #" + p.block.number + "，链 " + p.chainId +
      "，密钥 " + kept.key.keyId + "），已 " + old[0] + "；签名已在本机验证。",
      "The trust bundle was generated at " + when(p.generatedAt) + " (block #" + p.block.number + "): bundle is " +
      old[1] + " old; its signature was checked in this browser.");
    bundleStatus.setAttribute("data-state", "stored");
    bundleStatus.setAttribute("data-age", String(core.bundleAge(p, now())));
    var blob = new Blob([JSON.stringify(kept.bundle)], { type: "application/json" });
    if (saveLink.href) URL.revokeObjectURL(saveLink.href);
    saveLink.href = URL.createObjectURL(blob);
    saveLink.download = "hurong-trust-bundle-" + p.block.number + ".json";
    saveLink.hidden = false;
    return kept;
  }

  function getJSON(path) {
    return fetch(API + path, { headers: { Accept: "application/json" }, cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  $("bundle-download").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    both(bundleStatus, "正在下载信任包…", "Downloading the trust bundle…");
    Promise.all([getJSON("trust-bundle/key"), getJSON("trust-bundle")]).then(function (got) {
      var key = got[0], bundle = got[1];
      core.checkBundle(bundle, key.publicKey);
      if (bundle.signature.keyId !== key.keyId) throw new Error("key id mismatch");
      localStorage.setItem(STORE, JSON.stringify({ bundle: bundle, key: key }));
      showBundle();
    }).catch(function (err) {
      showBundle();
      bundleStatus.appendChild(el("br"));
      bundleStatus.appendChild(el("strong", {}, ["下载或验证信任包失败 Could not get or check the trust bundle: " +
        (err && err.message ? err.message : String(err))]));
    }).then(function () { button.disabled = false; });
  });

  // ------------------------------------------------------------------ verification in the page

  function reachable() {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 4000) : null;
    return fetch(API + "health", { cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (r) { return r.status < 500; }, function () { return false; })
      .then(function (ok) { if (timer) clearTimeout(timer); return ok; });
  }

  function render(result, mode, kept) {
    var v = VERDICTS[result.verdict];
    if (mode === "online" && result.verdict === "INCOMPLETE") {
      v = ["本机检查通过", "IN-BROWSER CHECKS PASSED", "完整性、默克尔包含与有效期已在本机核对；其余检查以上方服务结果为准。",
        "Integrity, Merkle inclusion and the validity period were checked in this browser; for the rest, the service's answer above holds."];
    }
    var verdict = $("local-verdict");
    verdict.setAttribute("data-verdict", result.verdict);
    $("local-verdict-value").textContent = v[0];
    $("local-verdict-value").appendChild(el("span", { lang: "en", "class": "en" }, [v[1]]));
    both($("local-verdict-explain"), v[2], v[3]);
    var modeNode = $("local-mode");
    modeNode.setAttribute("data-mode", mode);
    if (mode === "online") {
      both(modeNode, "服务在线：需联网的检查由上方服务结果给出。", "The service is online: the checks that need the chain are in its answer above.");
    } else if (kept) {
      var old = age(result.bundle.ageSeconds);
      both(modeNode, "无法连接服务：已用本机保存的信任包离线核验（信任包生成于 " + when(kept.payload.generatedAt) + "，已 " +
        old[0] + "；此后的撤销或暂停不在其中）。",
        "The service cannot be reached: verified offline with the stored trust bundle (bundle is " + old[1] +
        " old; revocations or suspensions since then are not in it).");
    } else {
      both(modeNode, "无法连接服务，且未下载信任包：只能做本机检查。",
        "The service cannot be reached and no trust bundle is stored: only the in-browser checks were done.");
    }
    var rows = $("local-rows");
    rows.textContent = "";
    result.checks.forEach(function (c, i) {
      var names = NAMES[c.name] || [c.name, c.name];
      var o = OUTCOMES[c.outcome] || [c.outcome, c.outcome];
      var w = WHERE[c.where] || [c.where, c.where];
      rows.appendChild(el("tr", { "data-testid": "local-check-" + c.name, "data-outcome": c.outcome, "data-where": c.where }, [
        el("td", {}, [String(i + 1)]),
        el("td", {}, [names[0] + " ", el("span", { lang: "en", "class": "en" }, [names[1]])]),
        el("td", {}, [el("span", { "class": "tag " + c.outcome }, [o[0] + " " + o[1]])]),
        el("td", { "class": "where" }, [w[0] + " ", el("span", { lang: "en", "class": "en" }, [w[1]])]),
        el("td", { "class": "note-cell" }, [c.message + " ", el("span", { lang: "en", "class": "en" }, [c.messageEn])])
      ]));
    });
    $("local-digest").textContent = result.digest || "—";
    panel.hidden = false;
  }

  form.addEventListener("submit", function () {
    var raw = textarea.value.replace(/^\uFEFF/, "").trim();
    var tree;
    try { tree = core.parseJson(raw); } catch (e) { panel.hidden = true; return; }
    if (!(tree instanceof Map)) { panel.hidden = true; return; }
    var province = $("province").value;
    reachable().then(function (online) {
      var kept = online ? null : showBundle();
      return core.verifyCertificate(tree, { bundle: kept ? kept.payload : null, now: now(), province: province })
        .then(function (result) { render(result, online ? "online" : "offline", kept); });
    }).catch(function (err) {
      panel.hidden = false;
      both($("local-mode"), "本机核验出错：" + (err && err.message), "In-browser verification failed: " + (err && err.message));
    });
  });

  showBundle();
  setInterval(showBundle, 60000);  // keep the bundle's age current
})();
