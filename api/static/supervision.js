"use strict";
// 电子监察 dashboard: statistics of the usage records a province admin's key may read.
(function () {
  const API = "/api/v1";
  const KEY_STORE = "hurong.supervision.key";
  const SVG = "http://www.w3.org/2000/svg";
  const VERDICTS = { VALID: "有效 Valid", NOT_RECOGNIZED: "未获互认 Not recognised", INVALID: "无效 Invalid" };
  let names = {};

  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  };
  const province = (code) => (code ? (names[code] ? `${names[code]} ${code}` : code) : "未注明 n/a");

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  async function call(path, key, method = "GET") {
    const response = await fetch(API + path, { method, headers: key ? { "X-API-Key": key } : {} });
    if (!response.ok) {
      let detail = `HTTP ${response.status}`;
      try {
        const body = await response.json();
        detail = `${body.error.code}: ${body.error.message}`;
      } catch (_) { /* not JSON */ }
      throw new Error(detail);
    }
    return response;
  }

  function query() {
    const params = new URLSearchParams();
    if ($("from").value) params.set("from", `${$("from").value}T00:00:00+08:00`);
    if ($("to").value) params.set("to", `${$("to").value}T23:59:59+08:00`);
    if ($("service-item").value.trim()) params.set("serviceItem", $("service-item").value.trim());
    return params;
  }

  function heatMap(stats) {
    const table = $("matrix");
    table.replaceChildren();
    const issuing = [...new Set(stats.matrix.map((c) => c.issuingProvince || ""))].sort();
    const accepting = [...new Set(stats.matrix.map((c) => c.acceptingProvince || ""))].sort();
    const most = Math.max(1, ...stats.matrix.map((c) => c.count));
    const head = el("tr");
    head.append(el("th", "签发 ↓ / 使用 → Issuing ↓ / accepting →", "row-head"));
    accepting.forEach((a) => head.append(el("th", province(a))));
    table.append(head);
    issuing.forEach((i) => {
      const row = el("tr");
      row.append(el("th", province(i), "row-head"));
      accepting.forEach((a) => {
        const cell = stats.matrix.find((c) => (c.issuingProvince || "") === i && (c.acceptingProvince || "") === a);
        const td = el("td", cell ? cell.count : "");
        if (cell) {
          const share = cell.count / most;
          td.style.backgroundColor = `rgba(31, 78, 156, ${(0.08 + 0.92 * share).toFixed(3)})`;
          if (share > 0.5) td.classList.add("dark");
          td.title = `有效 valid ${cell.valid}`;
        }
        row.append(td);
      });
      table.append(row);
    });
  }

  function trend(stats) {
    const box = $("trend");
    box.replaceChildren();
    const days = stats.daily;
    const width = 900, height = 220, pad = 36;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "每日核验次数 Verifications per day");
    const most = Math.max(1, ...days.map((d) => d.count));
    const x = (i) => pad + (days.length < 2 ? 0 : (i * (width - 2 * pad)) / (days.length - 1));
    const y = (n) => height - pad - (n * (height - 2 * pad)) / most;
    const line = (x1, y1, x2, y2) => {
      const l = document.createElementNS(SVG, "line");
      Object.entries({ x1, y1, x2, y2 }).forEach(([k, v]) => l.setAttribute(k, v));
      l.setAttribute("class", "axis");
      svg.append(l);
    };
    const label = (tx, ty, text, anchor) => {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", tx);
      t.setAttribute("y", ty);
      t.setAttribute("text-anchor", anchor);
      t.textContent = text;
      svg.append(t);
    };
    line(pad, height - pad, width - pad, height - pad);
    line(pad, pad, pad, height - pad);
    label(pad - 4, pad + 4, most, "end");
    label(pad - 4, height - pad, 0, "end");
    if (days.length) {
      const path = document.createElementNS(SVG, "polyline");
      path.setAttribute("class", "line");
      path.setAttribute("points", days.map((d, i) => `${x(i).toFixed(1)},${y(d.count).toFixed(1)}`).join(" "));
      svg.append(path);
      label(x(0), height - pad + 16, days[0].date, "start");
      label(x(days.length - 1), height - pad + 16, days[days.length - 1].date, "end");
    }
    box.append(svg);
  }

  function bars(container, entries, total) {
    container.replaceChildren();
    entries.forEach(([key, text, n]) => {
      const row = el("div", null, "bar");
      row.append(el("span", text, "name"));
      const fill = el("span", null, `fill ${key}`);
      fill.style.width = `${Math.max(1, (n * 100) / Math.max(total, 1)) * 2}px`;
      row.append(fill, el("span", `${n} (${total ? ((n * 100) / total).toFixed(1) : 0}%)`));
      container.append(row);
    });
  }

  function table(target, header, rows) {
    target.replaceChildren();
    const head = el("tr");
    header.forEach((h, i) => head.append(el("th", h, i === 0 ? "row-head" : "")));
    target.append(head);
    rows.forEach((cells) => {
      const row = el("tr");
      cells.forEach((c, i) => row.append(el("td", c, i === 0 ? "label" : "")));
      target.append(row);
    });
  }

  function render(stats) {
    $("total").textContent = stats.total;
    $("consortium-total").textContent = stats.consortium.total;
    $("rating-average").textContent = stats.ratings.average === null ? "–" : stats.ratings.average;
    heatMap(stats);
    trend(stats);
    bars($("verdicts"), Object.keys(VERDICTS).map((v) => [v, VERDICTS[v], stats.verdicts[v] || 0]), stats.total);
    table($("failures"), ["检查代码 Check code", "次数 Count"], stats.failureReasons.map((r) => [r.code, r.count]));
    table($("ratings"), ["使用省份 Accepting province", "评价数 Ratings", "平均 Average"],
      stats.ratings.byProvince.map((r) => [province(r.province), r.count, r.average]));
    table($("items"), ["事项 Service item", "次数 Count", "平均评分 Rating"],
      stats.serviceItems.map((r) => [r.serviceItem || "未注明 n/a", r.count, r.ratings ? r.ratings.average : "–"]));
    const l = stats.latencyMs;
    $("latency").textContent = l.p50 === null ? "–" : `P50 ${l.p50} · P90 ${l.p90} · P99 ${l.p99} · 最长 max ${l.max}`;
  }

  const SEVERITY = { info: "提示 info", warning: "警告 warning", critical: "严重 critical" };
  const when = (seconds) => new Date(seconds * 1000).toLocaleString("zh-CN", { hour12: false });

  function renderAlerts(alerts, key) {
    const target = $("alerts");
    target.replaceChildren();
    $("alert-count").textContent = alerts.count;
    const head = el("tr");
    ["预警 Alert", "级别 Severity", "最近 Last seen", "次数 Count", ""].forEach((h, i) =>
      head.append(el("th", h, i === 0 ? "row-head" : "")));
    target.append(head);
    alerts.data.forEach((a) => {
      const row = el("tr");
      row.dataset.alert = a.id;
      const what = el("td", null, "label");
      what.append(el("strong", a.ruleName), el("br"), el("span", a.message, "hint"));
      const button = el("button", "确认 Ack");
      button.type = "button";
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await call(`/supervision/alerts/${a.id}/ack`, key, "POST");
          await loadWork(key);
        } catch (error) {
          button.disabled = false;
          showError(`确认失败 Acknowledge failed — ${error.message}`);
        }
      });
      const act = el("td");
      act.append(button);
      row.append(what, el("td", SEVERITY[a.severity] || a.severity, a.severity), el("td", when(a.lastAt)),
        el("td", a.count), act);
      target.append(row);
    });
  }

  function renderAssist(requests) {
    const target = $("assist");
    target.replaceChildren();
    $("assist-count").textContent = requests.length;
    const head = el("tr");
    ["事项 Service item", "发起 → 协查 From → to", "时限 Deadline", "状态 State"].forEach((h, i) =>
      head.append(el("th", h, i === 0 ? "row-head" : "")));
    target.append(head);
    requests.forEach((r) => {
      const row = el("tr", null, r.state);
      row.append(el("td", r.serviceItem, "label"),
        el("td", `${province(r.requestingProvince)} → ${province(r.issuingProvince)}`), el("td", when(r.deadline)),
        el("td", r.state === "overdue" ? "超时 overdue" : "办理中 open"));
      target.append(row);
    });
  }

  async function loadWork(key) {
    const alerts = await (await call("/supervision/alerts?state=open&limit=50", key)).json();
    renderAlerts(alerts, key);
    const overdue = await (await call("/assist-requests?state=overdue&limit=50", key)).json();
    const open = await (await call("/assist-requests?state=open&limit=50", key)).json();
    renderAssist([...overdue.data, ...open.data]);
  }

  async function load() {
    const key = sessionStorage.getItem(KEY_STORE);
    if (!key) return;
    try {
      const response = await call(`/supervision/statistics?${query()}`, key);
      render(await response.json());
      await loadWork(key);
      showError("");
    } catch (error) {
      showError(`查询失败 Query failed — ${error.message}`);
    }
  }

  async function signIn(key) {
    showError("");
    try {
      const who = await (await call("/whoami", key)).json();
      if (who.role !== "province") throw new Error("需要省级管理员密钥 a province admin's key is needed");
      sessionStorage.setItem(KEY_STORE, key);
      try {
        const provinces = await (await call("/provinces")).json();
        names = Object.fromEntries(provinces.data.map((p) => [String(p.code), p.name]));
      } catch (_) { names = {}; }
      $("who-text").textContent = `${who.name || ""} ${who.subject}`.trim();
      $("who").hidden = false;
      $("sign-in").hidden = true;
      $("board").hidden = false;
      await load();
    } catch (error) {
      sessionStorage.removeItem(KEY_STORE);
      showError(`登录失败 Sign-in failed — ${error.message}`);
    }
  }

  async function exportCsv() {
    try {
      const params = query();
      params.set("format", "csv");
      const blob = await (await call(`/supervision/statistics?${params}`, sessionStorage.getItem(KEY_STORE))).blob();
      const link = el("a");
      link.href = URL.createObjectURL(blob);
      link.download = "usage-statistics.csv";
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) {
      showError(`导出失败 Export failed — ${error.message}`);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn($("api-key").value.trim());
    });
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    $("export").addEventListener("click", exportCsv);
    $("sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(KEY_STORE);
      window.location.reload();
    });
    const saved = sessionStorage.getItem(KEY_STORE);
    if (saved) signIn(saved);
  });
})();
