// The holder's wallet page: reads the document's CID and key from the URL fragment (never sent to the server),
// fetches the ciphertext (GET /api/v1/documents/{cid}), decrypts it with WebCrypto AES-256-GCM (the digest in the
// sealed header as associated data, as ledger/store/sealed.py seals it), and verifies the certificate through
// POST /api/v1/verify.
(function () {
  "use strict";
  var API = "/api/v1/";
  var MAGIC = "HRD1";
  var $ = function (id) { return document.getElementById(id); };
  var FIELDS = [
    ["holderName", "持证人", "Holder"],
    ["licenceNumber", "证照编号", "Licence number"],
    ["certificateType", "证照类型", "Certificate type"],
    ["issuingProvince", "签发省份", "Issuing province"]
  ];
  var current = null;

  function status(zh, en, error) {
    var box = $("status");
    box.hidden = false;
    box.className = error ? "card error" : "card";
    box.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = zh + " ";
    var span = document.createElement("span");
    span.className = "en";
    span.textContent = en;
    box.appendChild(strong);
    box.appendChild(span);
  }

  function parseLink(text) {
    var hash = text.indexOf("#") >= 0 ? text.slice(text.indexOf("#") + 1) : text;
    var params = new URLSearchParams(hash);
    return { cid: params.get("cid") || "", key: params.get("key") || "" };
  }

  function b64url(text) {
    var s = text.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function open(sealed, keyText) {
    var magic = String.fromCharCode.apply(null, sealed.slice(0, 4));
    if (magic !== MAGIC || sealed.length < 4 + 32 + 12 + 16) {
      return Promise.reject({ zh: "不是加密证照文档", en: "Not a sealed certificate document" });
    }
    var digest = sealed.slice(4, 36);
    var nonce = sealed.slice(36, 48);
    var key;
    try {
      key = b64url(keyText);
    } catch (e) {
      key = new Uint8Array(0);
    }
    if (key.length !== 32) {
      return Promise.reject({ zh: "密钥格式错误", en: "The key is not a 256-bit key" });
    }
    return crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]).then(function (k) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: digest }, k, sealed.slice(48));
    }).then(function (plain) {
      var doc = JSON.parse(new TextDecoder().decode(plain));
      if (!doc.proof || doc.proof.digest !== "0x" + hex(digest)) {
        throw { zh: "文档内容与封装摘要不符", en: "The document names another digest than it was sealed with" };
      }
      return doc;
    }, function (err) {
      if (err && err.zh) throw err;
      throw { zh: "无法解密：密钥错误或密文已被篡改",
              en: "Cannot decrypt: the key is wrong or the ciphertext was tampered with" };
    });
  }

  function show(doc, answer, cid) {
    current = doc;
    var verdict = $("verdict");
    verdict.setAttribute("data-verdict", answer.verdict);
    var names = { VALID: ["有效", "VALID"], INVALID: ["无效", "INVALID"], NOT_RECOGNIZED: ["不予互认", "NOT RECOGNIZED"] };
    var name = names[answer.verdict] || [answer.verdict, ""];
    var value = $("verdict-value");
    value.textContent = name[0] + " ";
    var en = document.createElement("span");
    en.className = "en";
    en.textContent = name[1];
    value.appendChild(en);
    var dl = $("fields");
    dl.textContent = "";
    var subject = doc.credentialSubject || {};
    FIELDS.forEach(function (f) {
      if (subject[f[0]] === undefined) return;
      var dt = document.createElement("dt");
      dt.textContent = f[1] + " " + f[2];
      var dd = document.createElement("dd");
      dd.textContent = String(subject[f[0]]);
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    [["validFrom", "有效期起", "Valid from"], ["validUntil", "有效期至", "Valid until"]].forEach(function (f) {
      if (!doc[f[0]]) return;
      var dt = document.createElement("dt");
      dt.textContent = f[1] + " " + f[2];
      var dd = document.createElement("dd");
      dd.textContent = doc[f[0]];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    var ul = $("checks");
    ul.textContent = "";
    (answer.checks || []).forEach(function (c) {
      var li = document.createElement("li");
      li.setAttribute("data-outcome", c.outcome);
      li.textContent = c.name + " · " + c.outcome + " — " + c.message + " / " + c.messageEn;
      ul.appendChild(li);
    });
    $("cid").textContent = cid;
    $("result").hidden = false;
  }

  function run(text) {
    var ref = parseLink(text);
    $("result").hidden = true;
    if (!ref.cid || !ref.key) {
      status("链接缺少 cid 或 key", "The link lacks cid or key", true);
      return;
    }
    status("正在获取并解密…", "Fetching and decrypting…", false);
    fetch(API + "documents/" + encodeURIComponent(ref.cid), { headers: { Accept: "application/octet-stream" } })
      .then(function (response) {
        if (response.status === 404) throw { zh: "未找到该文档", en: "No such document" };
        if (response.status === 422) throw { zh: "CID 格式无效", en: "Invalid CID" };
        if (!response.ok) throw { zh: "服务暂时不可用", en: "The service is unavailable (HTTP " + response.status + ")" };
        return response.arrayBuffer();
      })
      .then(function (buffer) { return open(new Uint8Array(buffer), ref.key); })
      .then(function (doc) {
        status("已解密，正在核验…", "Decrypted; verifying…", false);
        return fetch(API + "verify", {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ certificate: doc })
        }).then(function (response) {
          if (!response.ok) throw { zh: "核验请求失败", en: "Verification failed (HTTP " + response.status + ")" };
          return response.json();
        }).then(function (answer) {
          $("status").hidden = true;
          show(doc, answer, ref.cid);
        });
      })
      .catch(function (err) {
        if (err && err.zh) status(err.zh, err.en, true);
        else status("出错了", String(err), true);
      });
  }

  $("open").addEventListener("click", function () { run($("link").value); });
  $("download").addEventListener("click", function () {
    if (!current) return;
    var blob = new Blob([JSON.stringify(current, null, 1)], { type: "application/json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = current.proof.digest + ".json";
    a.click();
  });
  if (location.hash.length > 1) {
    $("link").value = location.href;
    run(location.hash);
    // the key stays out of the address bar's history once read
    history.replaceState(null, "", location.pathname);
  }
}());
