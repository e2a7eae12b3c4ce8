// EdgeSync fleet console: polls /v1/fleet (or /v1/fleet/{cluster}) every second with If-None-Match and updates the
// page in place: rows are keyed, created once, and only their changed text is written (no rebuilds on each poll).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { etag: null, url: null, data: null, offset: 0, runbook: null };
  const POLL_MS = 1000;

  // ---- small DOM helpers ----
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function set(e, text) { if (e.textContent !== text) e.textContent = text; }
  function attr(e, name, value) { if (e.getAttribute(name) !== value) e.setAttribute(name, value); }
  // Keeps container's children in step with items: one element per key, created once, updated in place, in order.
  function sync(container, items, key, create, update) {
    const old = container._keyed || new Map();
    const next = new Map();
    let at = container.firstElementChild;
    for (const item of items) {
      const k = key(item);
      let e = old.get(k);
      if (!e) e = create(item);
      update(e, item);
      next.set(k, e);
      if (e !== at) container.insertBefore(e, at); else at = at.nextElementSibling;
    }
    for (const [k, e] of old) if (!next.has(k)) e.remove();
    container._keyed = next;
  }
  function cells(n) { const tr = el("tr"); tr._c = []; for (let i = 0; i < n; i++) { const td = el("td"); tr.appendChild(td); tr._c.push(td); } return tr; }
  function badge(e, value) { set(e, value); attr(e, "class", "badge " + value); }

  // ---- formatting ----
  function ago(iso) {
    if (!iso) return "never";
    const s = Math.max(0, Math.round((Date.now() + state.offset - Date.parse(iso)) / 1000));
    return s < 90 ? s + " s ago" : s < 5400 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
  }
  function secs(n) { return n < 90 ? n + " s" : n < 5400 ? Math.round(n / 60) + " min" : Math.round(n / 3600) + " h"; }
  const num = (n) => n.toLocaleString("en");

  // ---- filters and routes (both in the URL: #/cluster/factory-001?state=cut) ----
  function route() {
    const [path, query] = location.hash.replace(/^#/, "").split("?");
    const parts = (path || "/").split("/").filter(Boolean).map(decodeURIComponent);
    return { view: parts[0] || "fleet", arg: parts[1] || null, q: new URLSearchParams(query || "") };
  }
  // The URL is the truth (deep links); the controls show it and write it.
  const FILTERS = { cluster: "f-cluster", table: "f-table", state: "f-state", text: "f-text" };
  function filters() {
    const q = route().q, f = {};
    for (const k in FILTERS) f[k] = (q.get(k) || "").trim();
    f.text = f.text.toLowerCase();
    return f;
  }
  function writeFilters() {
    const r = route(), q = new URLSearchParams();
    for (const k in FILTERS) { const v = $(FILTERS[k]).value.trim(); if (v) q.set(k, v); }
    const base = r.view === "fleet" ? "#/" : "#/" + r.view + "/" + encodeURIComponent(r.arg || "");
    history.replaceState(null, "", base + (q.toString() ? "?" + q : ""));
    render();
  }
  function readFilters() {
    const q = route().q;
    for (const k in FILTERS) { const e = $(FILTERS[k]), v = q.get(k) || ""; if (e.value !== v && document.activeElement !== e) e.value = v; }
  }
  const stateOk = (s, f) => !f.state || (f.state === "problem" ? s !== "ok" && s !== "self" : s === f.state);
  const textOk = (f, ...xs) => !f.text || xs.some((x) => x && String(x).toLowerCase().includes(f.text));

  // ---- fetching ----
  async function poll() {
    const r = route();
    const url = r.view === "cluster" && r.arg ? "/v1/fleet/" + encodeURIComponent(r.arg) : "/v1/fleet";
    if (url !== state.url) { state.url = url; state.etag = null; }
    try {
      const headers = state.etag ? { "If-None-Match": state.etag } : {};
      const res = await fetch(url, { headers, cache: "no-store", credentials: "same-origin" });
      const date = Date.parse(res.headers.get("Date") || "");
      if (!Number.isNaN(date)) state.offset = date - Date.now();
      if (res.status === 200) { state.etag = res.headers.get("ETag"); state.data = await res.json(); }
      else if (res.status === 401) { location.href = "/ui"; return; }
      else if (res.status !== 304) throw new Error("HTTP " + res.status);
      set($("updated"), "live · updated " + new Date().toLocaleTimeString("en-GB"));
      document.body.removeAttribute("data-stale");
    } catch (e) {
      set($("updated"), "agent unreachable (" + e.message + "), retrying");
      document.body.setAttribute("data-stale", "true");
    }
    render();
  }

  // ---- rendering ----
  function render() {
    const d = state.data, r = route();
    $("runbook").hidden = r.view !== "runbook";
    if (r.view === "runbook") { showRunbook(r.arg); }
    if (!d) return;
    const f = filters();
    set($("agent"), d.agent.site + " · " + d.agent.role + " of " + d.agent.cluster);
    options($("f-cluster"), d.clusters.map((c) => c.id));
    options($("f-table"), [...new Set(d.databases.flatMap((db) => db.tables.map((t) => t.name)))].sort());
    readFilters(); // after the options exist, so a deep link's choice sticks
    renderProblems(d, f);
    const detail = r.view === "cluster";
    $("overview").hidden = detail || r.view === "runbook";
    $("detail").hidden = !detail;
    $("databases").hidden = r.view === "runbook";
    if (detail) renderDetail(d, r.arg, f); else renderClusters(d, f);
    renderDatabases(d, f);
  }
  function options(select, values) {
    const have = [...select.options].slice(1).map((o) => o.value);
    if (have.join("\n") === values.join("\n")) return;
    while (select.options.length > 1) select.remove(1);
    for (const v of values) select.add(new Option(v, v));
  }
  function renderProblems(d, f) {
    const list = d.problems.filter((p) => (!f.cluster || p.cluster === f.cluster) && (!f.table || !p.table || p.table === f.table)
      && textOk(f, p.site, p.database, p.table, p.summary, p.alert));
    set($("problem-count"), "(" + list.length + ")");
    $("no-problems").hidden = list.length > 0;
    sync($("problem-list"), list, (p) => p.alert + "|" + p.site + "|" + p.database + "|" + p.table, () => {
      const li = el("li"); li._sev = el("span", "sev"); li._text = el("span"); li._link = el("a", null, "what to do");
      li.append(li._sev, li._text, document.createTextNode(" · "), li._link); return li;
    }, (li, p) => {
      attr(li, "class", p.severity); attr(li, "data-alert", p.alert); set(li._sev, p.severity + " " + p.alert);
      set(li._text, p.summary); attr(li._link, "href", "#/runbook/" + p.runbook.split("#")[1]);
      attr(li._link, "aria-label", "what to do about " + p.alert);
    });
  }
  function renderClusters(d, f) {
    const list = d.clusters.filter((c) => (!f.cluster || c.id === f.cluster) && stateOk(c.state, f)
      && textOk(f, c.id, ...c.replicas.map((x) => x.site)));
    sync($("clusters"), list, (c) => c.id, (c) => {
      const card = el("article", "cluster"); const h = el("h3"); card._link = el("a"); card._badge = el("span", "badge");
      h.append(card._link, card._badge); card._sum = el("p", "muted"); card._list = el("ul", "replicas");
      card.append(h, card._sum, card._list); attr(card, "data-cluster", c.id);
      attr(card._link, "href", "#/cluster/" + encodeURIComponent(c.id)); set(card._link, c.id); return card;
    }, (card, c) => {
      attr(card, "data-state", c.state); badge(card._badge, c.state);
      const behind = c.replicas.reduce((a, x) => a + x.backlog, 0);
      set(card._sum, c.role + " · " + c.replicas.length + " replica" + (c.replicas.length === 1 ? "" : "s") + (behind ? " · " + num(behind) + " changes behind" : ""));
      sync(card._list, c.replicas, (x) => x.site, () => { const li = el("li"); li._s = el("span"); li._b = el("span", "badge"); li.append(li._s, li._b); return li; },
        (li, x) => { attr(li, "data-site", x.site); attr(li, "data-state", x.state); set(li._s, x.site); badge(li._b, x.state);
          attr(li, "title", (x.lastError ? "last error: " + x.lastError : "last sync " + ago(x.lastSuccess)) + (x.via ? " (as " + x.via + " reports)" : "")); });
    });
  }
  function renderDetail(d, id, f) {
    const c = d.clusters.find((x) => x.id === id);
    set($("detail-h"), c ? "Cluster " + c.id + " (" + c.role + ", " + c.state + ")" : "Cluster " + id + " (unknown)");
    const replicas = c ? c.replicas.filter((x) => stateOk(x.state, f) && textOk(f, x.site)) : [];
    sync($("replica-rows"), replicas, (x) => x.site, () => { const tr = cells(8); tr._c[1].appendChild(el("span", "badge")); tr._c[3].className = tr._c[4].className = "num"; return tr; },
      (tr, x) => { const c = tr._c; attr(tr, "data-site", x.site); attr(tr, "data-state", x.state); set(c[0], x.site); badge(c[1].firstChild, x.state);
        set(c[2], x.via ? x.link + " to " + x.via + " (as " + x.via + " reports)" : x.link);
        set(c[3], num(x.backlog)); set(c[4], secs(x.lagSeconds)); set(c[5], ago(x.lastSuccess)); set(c[6], x.lastError || "");
        set(c[7], x.captureHeartbeatAgeSeconds == null ? "" : "capture heartbeat " + secs(x.captureHeartbeatAgeSeconds) + " ago · last backup " + ago(x.lastBackup)); });
    const rows = d.databases.flatMap((db) => db.peers.map((p) => ({ db: db.name, p })))
      .filter((x) => textOk(f, x.db, x.p.site) && stateOk(x.p.lastError ? "cut" : x.p.lagSeconds >= 10 ? "behind" : "ok", f));
    sync($("peer-rows"), rows, (x) => x.db + "|" + x.p.site, () => { const tr = cells(7); tr._c[2].className = tr._c[3].className = "num"; return tr; },
      (tr, { db, p }) => { const c = tr._c; set(c[0], db); set(c[1], p.site); set(c[2], num(p.backlog)); set(c[3], secs(p.lagSeconds));
        set(c[4], ago(p.lastSuccess)); set(c[5], p.lastError || "ok"); set(c[6], p.refusedRule ? p.refusedRule + ": " + (p.refusedDetail || "") : ""); });
  }
  function renderDatabases(d, f) {
    const dbs = d.databases.filter((db) => textOk(f, db.name, db.site, ...db.tables.map((t) => t.name)));
    sync($("database-rows"), dbs, (db) => db.name, () => cells(8), (tr, db) => {
      const c = tr._c; const x = db.export;
      set(c[0], db.name); set(c[1], db.site); set(c[2], secs(db.captureHeartbeatAgeSeconds) + " ago"); set(c[3], ago(db.lastBackup));
      set(c[4], num(db.peersBehind) + " of " + num(db.peerCount));
      set(c[5], db.divergences.length ? db.divergences.map((v) => v.peer + ": " + v.tables.join("; ")).join(" · ") : "none found");
      set(c[6], db.acknowledged.length ? db.acknowledged.map((a) => a.level + " " + num(a.changes)).join(" · ") : "not computed yet");
      set(c[7], !x ? "not exported" : !x.holder ? "another hub replica holds the lease"
        : (x.lagChanges ? num(x.lagChanges) + " changes behind for " + secs(x.lagSeconds) : "caught up") + " · " + num(x.published) + " rows published");
    });
    const tables = dbs.flatMap((db) => db.tables.map((t) => ({ db: db.name, t }))).filter((x) => !f.table || x.t.name === f.table);
    sync($("table-rows"), tables, (x) => x.db + "|" + x.t.name, () => { const tr = cells(8); tr._c[5].className = "num"; return tr; }, (tr, { db, t }) => {
      const c = tr._c; attr(tr, "data-table", t.name); set(c[0], db); set(c[1], t.name); set(c[2], t.policy); set(c[3], t.direction);
      set(c[4], "v" + t.schemaVersion + (t.drift ? " · DRIFT: " + t.drift : "")); set(c[5], num(t.recentConflicts));
      const text = t.conflicts.map((x) => x.key + (x.column ? "." + x.column : "") + ": " + x.rule + " kept " + (x.winner ?? "(deleted)") + " from " + x.winnerSite
        + " over " + (x.loser ?? "(row)") + " from " + x.loserSite + ", " + ago(x.at)).join("\n");
      if (c[6]._text !== text) {
        c[6]._text = text; c[6].replaceChildren();
        if (t.conflicts.length) { const ul = el("ul", "decisions"); for (const line of text.split("\n")) ul.appendChild(el("li", null, line)); c[6].appendChild(ul); }
      }
      const r = t.retention;
      set(c[7], !r ? "keeps every row" : [r.maxRows != null ? "≤ " + num(r.maxRows) + " rows" : null, r.maxAge ? "≤ " + r.maxAge + " old" : null]
        .filter(Boolean).join(", ") + " once " + r.level + " holds them · " + num(r.pruned) + " pruned");
    });
  }

  // ---- the runbook (docs/runbook.md, embedded): headings, paragraphs, lists, code ----
  async function showRunbook(anchor) {
    if (state.runbook === null) {
      state.runbook = "";
      const res = await fetch("/ui/runbook.md", { credentials: "same-origin" });
      state.runbook = res.ok ? await res.text() : "The runbook is not available.";
      $("runbook-text").replaceChildren(...markdown(state.runbook));
    }
    const target = anchor && document.getElementById(anchor);
    if (target) target.scrollIntoView();
  }
  function markdown(text) {
    const out = []; let list = null, para = null, code = null;
    const inline = (parent, s) => { s.split(/(`[^`]+`)/).forEach((part) => parent.appendChild(part.startsWith("`") && part.endsWith("`") && part.length > 1 ? el("code", null, part.slice(1, -1)) : document.createTextNode(part))); return parent; };
    for (const line of text.split("\n")) {
      if (line.startsWith("```")) { if (code) { out.push(code); code = null; } else { code = el("pre"); } continue; }
      if (code) { code.textContent += line + "\n"; continue; }
      const h = /^(#{1,4})\s+(.*)$/.exec(line);
      if (h) { list = para = null; const e = el("h" + Math.min(6, h[1].length + 1)); inline(e, h[2]); e.id = h[2].toLowerCase().replace(/[^a-z0-9 -]/g, "").trim().replace(/ /g, "-"); out.push(e); continue; }
      const li = /^\s*[-*]\s+(.*)$/.exec(line);
      if (li) { para = null; if (!list) { list = el("ul"); out.push(list); } list.appendChild(inline(el("li"), li[1])); continue; }
      if (!line.trim()) { list = para = null; continue; }
      if (!para) { para = el("p"); out.push(para); list = null; } else para.appendChild(document.createTextNode(" "));
      inline(para, line);
    }
    return out;
  }

  // ---- start ----
  for (const id of ["f-cluster", "f-table", "f-state", "f-text"]) $(id).addEventListener("input", writeFilters);
  window.addEventListener("hashchange", () => { readFilters(); state.etag = null; poll(); });
  readFilters();
  poll();
  setInterval(poll, POLL_MS);
})();
