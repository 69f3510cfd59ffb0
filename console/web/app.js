"use strict";
/* closebridge console: the console's events API as a page. Every value shown comes from the API,
   that is from attacker-controlled data (events, names, errors): the DOM is built with
   createElement, createElementNS and textContent only, never from HTML text. The credentials
   live in this tab's sessionStorage only, never in the address, a cookie or localStorage. */
(() => {
  const STATES = ["received", "retrying", "delivered", "dead", "skipped"];
  const FILTERS = ["status", "since", "until", "objectType", "eventType", "objectId", "origin", "pageSize"];
  const AUTH_KEY = "closebridge.console.auth";
  const ID_RE = /^[1-9][0-9]{0,17}$/;
  const $ = (id) => document.getElementById(id);
  let gen = 0; // bumped at every render: an answer or a timer of an older view does nothing
  let timers = [];
  const memo = { instances: null, task: null };

  /* ---- DOM helpers ---- */
  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") n.textContent = String(v);
      else if (k === "test") n.dataset.test = v;
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of kids.flat(Infinity)) {
      if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : String(c));
    }
    return n;
  }
  function svg(tag, attrs, text) {
    const n = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  function every(ms, fn) {
    const g = gen;
    timers.push(setInterval(() => { if (g === gen) fn(); }, ms));
  }
  const show = (v) => (v === null || v === undefined || v === "" ? "—" : String(v));
  const when = (t) => show(t).replace("T", " ").replace("Z", "");
  const state = (s) => el("span", { class: `state ${s}`, test: "state", text: show(s) });
  const errorBox = () => el("p", { class: "error", role: "alert", test: "error", hidden: true });
  function fail(box, e) {
    box.textContent = e.status ? `${e.message} (HTTP ${e.status})` : e.message;
    box.hidden = false;
  }
  const eventPath = (ev) => `/instances/${ev.instanceId}/events/${encodeURIComponent(ev.id)}`;
  const button = (id, text, cls, onclick) => el("button", { type: "button", id, class: cls, text, onclick });

  /* ---- credentials and the API ---- */
  const auth = {
    get() { try { return JSON.parse(sessionStorage.getItem(AUTH_KEY)); } catch (e) { return null; } },
    set(a) { sessionStorage.setItem(AUTH_KEY, JSON.stringify(a)); },
    clear() { sessionStorage.removeItem(AUTH_KEY); },
  };
  const header = (a) => (a.token ? `User tenant, Organization tenant, Element ${a.token}`
    : `User ${a.user}, Organization ${a.org}`);
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function send(a, method, path, params) {
    const q = params ? params.toString() : "";
    try {
      return await fetch(path + (q ? `?${q}` : ""), { method, cache: "no-store", credentials: "omit",
        redirect: "error", headers: { Authorization: header(a), Accept: "application/json" } });
    } catch (e) {
      throw new ApiError(0, `The console did not answer (${e.message}).`);
    }
  }
  async function api(method, path, params) {
    const a = auth.get();
    if (!a) throw new ApiError(401, "Not signed in.");
    const r = await send(a, method, path, params);
    let body = null;
    try { body = JSON.parse(await r.text()); } catch (e) { body = null; }
    if (r.status === 401) {
      signOut("The console refused the credentials (401): sign in again.");
      throw new ApiError(401, "Unauthorized.");
    }
    if (!r.ok) throw new ApiError(r.status, (body && body.error && body.error.message) || r.statusText);
    return { body, next: r.headers.get("Elements-Next-Page-Token") };
  }

  /* ---- sign-in ---- */
  function signOut(message) {
    auth.clear();
    memo.instances = memo.task = null;
    render();
    $("signin-message").textContent = message;
    $("signin-message").hidden = !message;
  }
  function setMode() {
    $("admin-fields").hidden = $("mode-token").checked;
    $("token-fields").hidden = !$("mode-token").checked;
  }
  async function signIn(e) {
    e.preventDefault();
    const m = $("signin-message"), token = $("mode-token").checked;
    const cand = token ? { token: $("token").value.trim() }
      : { user: $("user-secret").value.trim(), org: $("org-secret").value.trim() };
    if ((token ? [cand.token] : [cand.user, cand.org]).some((p) => !p || /[\s,]/.test(p))) {
      fail(m, new ApiError(0, "Fill in every field (no spaces or commas)."));
      return;
    }
    $("signin-submit").disabled = true;
    try {
      const r = await send(cand, "GET", "/console/api/instances");
      if (r.status === 401) throw new ApiError(401, "The console refused these credentials.");
      if (!r.ok) throw new ApiError(r.status, "The console could not check them now.");
      memo.instances = await r.json();
      cand.instanceId = token && memo.instances.length ? memo.instances[0].id : null;
      auth.set(cand);
      for (const id of ["user-secret", "org-secret", "token"]) $(id).value = "";
      m.hidden = true;
      render();
    } catch (err) {
      fail(m, err);
    } finally {
      $("signin-submit").disabled = false;
    }
  }

  /* ---- routes: #/instances, #/events[/EVENT], #/instances/ID/events[/EVENT], #/dead,
     #/instances/ID/dead, #/tasks/TASK; a list's filter is the query after "?" ---- */
  function route() {
    const h = location.hash.replace(/^#/, ""), at = h.indexOf("?");
    const r = { query: new URLSearchParams(at < 0 ? "" : h.slice(at + 1)), id: null, view: "unknown" };
    let p;
    try { p = (at < 0 ? h : h.slice(0, at)).split("/").filter(Boolean).map(decodeURIComponent); } catch (e) { return r; }
    if (p[0] === "instances" && ID_RE.test(p[1] || "")) {
      r.id = p[1];
      p = p.slice(2);
    } else if (p[0] === "instances" || !p.length) {
      return p.length <= 1 ? { ...r, view: "instances" } : r;
    }
    const [what, arg, extra] = p;
    if (extra !== undefined) return r;
    if (what === "events") return { ...r, view: arg === undefined ? "events" : "event", eid: arg };
    if (what === "dead" && arg === undefined) return { ...r, view: "dead" };
    if (what === "tasks" && arg !== undefined && !r.id) return { ...r, view: "task", task: arg };
    return r;
  }
  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }
  const listBase = (r) => (r.id ? `/instances/${r.id}/events` : "/instances/events");
  const hashBase = (r, what) => (r.id ? `#/instances/${r.id}/${what}` : `#/${what}`);
  function scopeTitle(r, what) {
    if (!r.id) return `${what} of every instance`;
    const known = (memo.instances || []).find((x) => x.id === r.id);
    return `${what} of instance ${r.id}` + (known ? ` (${known.name})` : "");
  }
  function render() {
    gen++;
    timers.forEach(clearInterval);
    timers = [];
    const a = auth.get(), view = $("view");
    view.replaceChildren();
    $("signin").hidden = !!a;
    $("nav").hidden = $("session").hidden = !a;
    if (!a) { setMode(); return; }
    $("whoami").textContent = a.token ? `Tenant: instance ${a.instanceId || "?"}` : "Administrator";
    const r = route(), g = gen;
    for (const link of document.querySelectorAll("nav a")) {
      link.classList.toggle("active", link.dataset.nav === (r.view === "event" ? "events" : r.view));
    }
    const v = { instances: instancesView, events: eventsView, event: eventView, dead: deadView, task: taskView }[r.view];
    if (!v) {
      view.append(el("h1", { text: "Not found" }), el("p", {}, "No such page. ", el("a", { href: "#/instances", text: "Instances" })));
      return;
    }
    v(view, r).catch((e) => { if (g === gen) { const b = errorBox(); fail(b, e); view.append(b); } });
  }

  /* ---- instances ---- */
  async function copy(node, btn) {
    try {
      await navigator.clipboard.writeText(node.textContent);
      btn.textContent = "Copied";
    } catch (e) { // no clipboard (or refused): select the text for Ctrl+C
      const range = document.createRange();
      range.selectNodeContents(node);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      btn.textContent = "Selected: press Ctrl+C";
    }
  }
  function chart(h) {
    const W = 240, H = 56, bw = W / 24, start = Date.parse(h.start);
    const max = Math.max(1, ...h.delivered.map((d, k) => d + h.failing[k]));
    const root = svg("svg", { viewBox: `0 0 ${W} ${H + 12}`, width: W, height: H + 12, class: "chart", role: "img",
      "aria-label": "deliveries and failures per hour over the last 24 hours", "data-test": "chart" });
    h.delivered.forEach((d, k) => {
      const f = h.failing[k], dh = d ? Math.max(1, (d / max) * H) : 0, fh = f ? Math.max(1, (f / max) * H) : 0;
      const g = svg("g", { "data-test": "hour", "data-delivered": d, "data-failing": f });
      const hour = new Date(start + k * 3600000).toISOString().slice(11, 16);
      g.append(svg("title", {}, `from ${hour} UTC: ${d} delivered, ${f} retrying or dead`),
        svg("rect", { x: k * bw + 1, y: H - dh, width: bw - 2, height: dh, class: "bar-ok" }),
        svg("rect", { x: k * bw + 1, y: H - dh - fh, width: bw - 2, height: fh, class: "bar-fail" }));
      root.append(g);
    });
    root.append(svg("text", { x: 0, y: H + 10 }, "24 h ago"), svg("text", { x: W, y: H + 10, "text-anchor": "end" }, "now"));
    return el("figure", { class: "chart-box" }, root, el("figcaption", {},
      el("span", {}, el("i", { class: "key ok" }), "delivered"),
      el("span", {}, el("i", { class: "key fail" }), "retrying or dead"), el("span", { text: `per hour, max ${max}` })));
  }
  function counts(i) {
    const row = (label, key, c) => el("tr", {}, el("td", { text: label }),
      STATES.map((s) => el("td", { test: `count-${key}-${s}`, text: show(c[s]) })));
    return el("table", { class: "counts" },
      el("thead", {}, el("tr", {}, el("th", { text: "events" }), STATES.map((s) => el("th", { text: s })))),
      el("tbody", {}, row("last hour", "hour", i.lastHour), row("last day", "day", i.lastDay)));
  }
  function card(i) {
    const url = el("code", { class: "url", test: "webhook-url", text: location.origin + i.webhookPath });
    const copyButton = el("button", { type: "button", class: "small secondary", test: "copy", text: "Copy",
      onclick: () => copy(url, copyButton) });
    const la = i.lastAttempt;
    const last = la ? el("span", {},
      el("span", { test: "last-status", text: la.status === null ? "no answer" : String(la.status) }),
      ` ${la.outcome} at ${when(la.at)}`, la.error ? ` (${la.error})` : "", " · ",
      el("a", { href: "#" + eventPath({ instanceId: i.id, id: la.eventId }), text: "event" }))
      : el("span", { test: "last-status", class: "muted", text: "none in the last day" });
    return el("section", { class: "card", test: "instance", "data-instance-id": i.id },
      el("div", { class: "card-head" }, el("h2", { test: "instance-name", text: i.name || `instance ${i.id}` }),
        el("span", { class: "muted mono", text: `#${i.id}` }), el("span", { class: "badge", test: "mode", text: i.mode }),
        i.disabled ? el("span", { class: "badge off", text: "disabled" }) : null,
        i.notifications ? null : el("span", { class: "badge off", text: "notifications off" })),
      el("div", { class: "url-row" }, el("span", { class: "muted", text: "Webhook URL" }), url, copyButton),
      el("div", { class: "card-body" }, counts(i), el("dl", { class: "facts" },
        el("dt", { text: "Last attempt" }), el("dd", {}, last),
        el("dt", { text: "Circuit breaker" }), el("dd", { test: "breaker", text: show(i.breaker) })), chart(i.hourly)),
      el("div", { class: "links" }, el("a", { href: `#/instances/${i.id}/events`, test: "events-link", text: "Events" }),
        el("a", { href: `#/instances/${i.id}/dead`, test: "dead-link", text: "Dead letters" })));
  }
  async function instancesView(view) {
    const box = errorBox(), list = el("div", { id: "instances", class: "cards" });
    view.append(el("h1", { text: "Instances" }), box, list);
    const load = async () => {
      const g = gen;
      try {
        const { body } = await api("GET", "/console/api/instances");
        if (g !== gen) return;
        memo.instances = body;
        list.replaceChildren(...body.map(card));
        if (!body.length) list.append(el("p", { class: "empty", text: "No instances." }));
        box.hidden = true;
      } catch (e) { if (g === gen) fail(box, e); }
    };
    await load();
    every(10000, load);
  }

  /* ---- event lists: the filter form, the table, paging and refresh ---- */
  function filterForm(r, withStatus, onApply) {
    const q = r.query, wanted = (q.get("status") || "").split(",");
    const field = (name, input) => el("label", { class: "field" }, name === "pageSize" ? "page size" : name, input);
    const text = (name, hint) => field(name, el("input", { type: "text", id: `f-${name}`, name,
      value: q.get(name) || "", placeholder: hint, spellcheck: "false" }));
    const select = (name, options, dflt = "") => field(name, el("select", { id: `f-${name}`, name },
      options.map((o) => el("option", { value: o, selected: (q.get(name) || dflt) === o, text: o || "any" }))));
    const form = el("form", { class: "filters", id: "filters", test: "filters" },
      withStatus ? el("fieldset", { id: "f-status" }, el("legend", { text: "status" }), STATES.map((s) =>
        el("label", {}, el("input", { type: "checkbox", name: "status", value: s, id: `f-status-${s}`,
          checked: wanted.includes(s) }), ` ${s}`))) : null,
      text("since", "2026-12-01T00:00:00Z"), text("until", "RFC 3339, exclusive"), text("objectType", "leads"),
      select("eventType", ["", "CREATED", "UPDATED", "DELETED", "UNKNOWN"]), text("objectId", "lead_..."),
      select("origin", ["", "webhook", "polling"]), select("pageSize", ["50", "100", "500"], "50"),
      el("div", { class: "buttons" }, el("button", { type: "submit", id: "f-apply", text: "Apply" }),
        button("f-clear", "Clear", "secondary", () => onApply(new URLSearchParams()))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      const st = [...form.querySelectorAll("input[name=status]:checked")].map((c) => c.value);
      if (st.length) p.set("status", st.join(","));
      for (const name of FILTERS.slice(1)) {
        const v = form.elements[name].value.trim();
        if (v && !(name === "pageSize" && v === "50")) p.set(name, v);
      }
      onApply(p);
    });
    return form;
  }
  const mono = (test, text, href) => el(href ? "a" : "span", { class: "mono", test, text: show(text), href });
  const COLUMNS = { // name: [header, (event) => cell, class]
    time: ["time (UTC)", (ev) => mono(null, when(ev.eventDate)), "nowrap"],
    id: ["event", (ev) => mono("open", ev.id, "#" + eventPath(ev)), "id"],
    instance: ["instance", (ev) => ev.instanceId],
    status: ["status", (ev) => state(ev.status)],
    eventType: ["event type", (ev) => show(ev.eventType)],
    objectType: ["object type", (ev) => show(ev.objectType), "wrap"],
    objectId: ["object id", (ev) => mono("object-id", ev.objectId), "wrap"],
    origin: ["origin", (ev) => show(ev.origin)],
    attempts: ["attempts", (ev) => String(ev.attempts), "num"],
    lastStatus: ["last status", (ev) => show(ev.lastStatus), "num"],
    problem: ["error / reason", (ev) => el("span", { test: "problem",
      text: show(ev.reason || ev.lastError || (ev.nextDue ? `next due ${ev.nextDue}` : null)) }), "wrap"],
  };
  /* The table of a list: its first page, then "More" (nextPage) pages; the first page alone is
     queried again every 5 s, with the same filter. */
  function eventTable(view, r, opts) {
    const box = errorBox(), tbody = el("tbody"), cols = opts.columns.map((c) => COLUMNS[c]);
    const more = el("button", { type: "button", id: "more", class: "secondary", text: "More", hidden: true });
    const shown = el("span", { id: "shown", class: "muted grow" });
    const empty = el("p", { class: "empty", id: "empty", text: "No events match.", hidden: true });
    view.append(box, el("div", { class: "table-wrap" }, el("table", { class: "list", id: opts.tableId },
      el("thead", {}, el("tr", {}, opts.select ? el("th", {}, opts.selectAll) : null, cols.map(([h]) => el("th", { text: h })))),
      tbody)), empty, el("div", { class: "toolbar" }, shown, more));
    const params = new URLSearchParams();
    for (const name of FILTERS) if (r.query.get(name)) params.set(name, r.query.get(name));
    if (opts.dead) params.set("status", "dead");
    let next = null, pages = 0, busy = false, seq = 0;
    const row = (ev) => el("tr", { "data-event-id": ev.id, "data-instance-id": ev.instanceId, "data-status": ev.status },
      opts.select ? el("td", {}, opts.select(ev)) : null, cols.map(([, cell, cls]) => el("td", { class: cls }, cell(ev))));
    async function load(append) {
      const g = gen, mine = ++seq, q = new URLSearchParams(params);
      if (append) q.set("nextPage", next);
      busy = more.disabled = true;
      try {
        const res = await api("GET", listBase(r), q);
        if (g !== gen || mine !== seq) return;
        const frag = document.createDocumentFragment();
        for (const ev of res.body) frag.append(row(ev));
        if (append) tbody.append(frag); else tbody.replaceChildren(frag);
        pages = append ? pages + 1 : 1;
        next = res.next;
        more.hidden = !next;
        const n = tbody.rows.length;
        empty.hidden = n > 0;
        shown.textContent = `${n} event${n === 1 ? "" : "s"} shown, newest first` + (next ? "; more below" : "")
          + (pages === 1 ? " (refreshed every 5 s)" : "");
        box.hidden = true;
        if (opts.loaded) opts.loaded(res.body, append);
      } catch (e) {
        if (g === gen) fail(box, e);
      } finally {
        if (mine === seq) busy = more.disabled = false;
      }
    }
    more.addEventListener("click", () => load(true));
    every(5000, () => { if (pages <= 1 && !busy) load(false); });
    return { load, params };
  }
  async function eventsView(view, r) {
    view.append(el("h1", { text: scopeTitle(r, "Events") }),
      filterForm(r, true, (p) => go(hashBase(r, "events") + (p.toString() ? `?${p}` : ""))));
    await eventTable(view, r, { tableId: "events-table", columns: ["time", "id", "instance", "status",
      "eventType", "objectType", "objectId", "origin", "attempts", "lastStatus", "problem"] }).load(false);
  }

  /* ---- one event ---- */
  const facts = (pairs) => el("dl", { class: "facts" }, pairs.map(([k, v, test]) =>
    [el("dt", { text: k }), el("dd", { test }, v instanceof Node ? v : show(v))]));
  function attemptsTable(list) {
    const td = (text, cls, test) => el("td", { class: cls, test, text: show(text) });
    return el("table", { class: "list", id: "attempts" }, el("thead", {}, el("tr", {},
      ["#", "at", "status", "duration ms", "outcome", "error", "next due", "replay", "url"].map((h) => el("th", { text: h })))),
    el("tbody", {}, list.map((d) => el("tr", { test: "attempt", "data-outcome": d.outcome },
      td(d.attempt), td(when(d.at), "mono nowrap"), td(d.status === null ? "no answer" : d.status, null, "attempt-status"),
      td(d.durationMs, "num"), td(d.outcome, null, "attempt-outcome"), td(d.error, "wrap"), td(when(d.nextDue), "mono"),
      td(d.replay, "mono"), td(d.url, "wrap mono")))));
  }
  function eventDetail(ev) {
    const panel = (title, ...kids) => el("div", { class: "panel" }, el("h2", { text: title }), ...kids);
    return el("div", {}, el("div", { class: "detail" },
      panel("Event", facts([["id", mono("event-id", ev.id)], ["instance", ev.instanceId],
        ["status", state(ev.status), "event-status"], ["event time", ev.eventDate], ["type", ev.type],
        ["event type", ev.eventType], ["object type", ev.objectType], ["object id", ev.objectId, "event-object-id"],
        ["origin", ev.origin]])),
      panel("Delivery", facts([["attempts", ev.attempts], ["last status", ev.lastStatus], ["last error", ev.lastError],
        ["next due", ev.nextDue], ["reason", ev.reason, "event-reason"],
        ["Kafka record", ev.topic === null ? null : `${ev.topic} [${ev.partition}] @ ${ev.offset}`]]))),
    panel(`Attempts (${ev.deliveries.length})`, ev.deliveries.length
      ? el("div", { class: "table-wrap" }, attemptsTable(ev.deliveries)) : el("p", { class: "empty", text: "No attempt yet." })),
    panel("Envelope", ev.envelope ? el("pre", { class: "envelope", id: "envelope", text: JSON.stringify(ev.envelope, null, 2) })
      : el("p", { class: "error", id: "envelope-error", text: show(ev.envelopeError) })));
  }
  /* Reads the event at path again every second until the replay's attempt shows or its state is no
     longer was; returns it (null after 2 minutes, or once the page shows another view). */
  async function untilReplayed(path, replay, was, each) {
    const g = gen;
    for (let n = 0; n < 120 && g === gen; n++) {
      await sleep(1000);
      const ev = g === gen ? (await api("GET", path)).body : null;
      if (!ev || g !== gen) return null;
      if (each) each(ev);
      if (ev.status !== was || ev.deliveries.some((d) => d.replay === replay)) return ev;
    }
    return null;
  }
  async function eventView(view, r) {
    const path = `${listBase(r)}/${encodeURIComponent(r.eid)}`;
    const box = errorBox(), holder = el("div", { id: "event" });
    const status = el("span", { id: "redeliver-status", class: "grow" });
    const redeliver = el("button", { type: "button", id: "redeliver", text: "Redeliver", disabled: true });
    view.append(el("p", {}, el("a", { href: hashBase(r, "events"), text: "← " + scopeTitle(r, "Events") })),
      el("div", { class: "toolbar" }, el("h1", { text: "One event" }), status, redeliver), box, holder);
    let polling = false;
    const load = async () => {
      const g = gen;
      try {
        const { body } = await api("GET", path);
        if (g !== gen) return null;
        holder.replaceChildren(eventDetail(body));
        redeliver.disabled = polling;
        box.hidden = true;
        return body;
      } catch (e) { if (g === gen) fail(box, e); return null; }
    };
    redeliver.addEventListener("click", async () => { // then refresh until the replay's attempt shows
      const g = gen, before = await load();
      if (!before) return;
      redeliver.disabled = polling = true;
      try {
        const { replay } = (await api("POST", `${path}/redeliver`)).body;
        status.textContent = `Replay ${replay} sent: waiting for its attempt…`;
        const ev = await untilReplayed(path, replay, before.status, (now) => holder.replaceChildren(eventDetail(now)));
        if (ev) status.textContent = `Replay ${replay}: the event is ${ev.status}.`;
      } catch (e) { if (g === gen) fail(box, e); }
      polling = redeliver.disabled = false;
    });
    await load();
    every(10000, () => { if (!polling) load(); });
  }

  /* ---- dead letters and replay tasks ---- */
  function showTask(box, t) {
    const cancel = button("task-cancel", "Cancel", "danger", async () => {
      cancel.disabled = true;
      try { showTask(box, (await api("DELETE", `/tasks/${encodeURIComponent(t.id)}`)).body); } catch (e) {
        const b = errorBox(); fail(b, e); box.append(b);
      }
    });
    cancel.disabled = t.status !== "running" || t.cancelRequested;
    const num = (k) => el("span", { id: `task-${k}`, text: show(t[k]) });
    box.replaceChildren(el("div", { class: "toolbar" }, el("h2", { text: "Replay task" }),
      el("span", { class: "mono", id: "task-id", text: t.id }), state(t.status), cancel),
    el("p", {}, el("progress", { id: "task-progress", max: Math.max(1, t.matched || 0), value: t.produced }),
      " status ", el("strong", { id: "task-status", text: t.status }), t.cancelRequested ? " (cancel asked)" : "",
      ", matched ", num("matched"), ", sent ", num("produced"), ", delivered ", num("delivered"),
      ", unavailable ", num("unavailable")),
    el("p", { class: "muted", text: `filter ${JSON.stringify(t.filter)}, instance ${show(t.instanceId)}, made ${when(t.created)}` }));
    box.hidden = false;
  }
  async function followTask(box, id) { // while it runs, then while its replays are being delivered
    const g = gen;
    for (let after = 0; g === gen; await sleep(1000)) {
      let t;
      try { t = (await api("GET", `/tasks/${encodeURIComponent(id)}`)).body; } catch (e) {
        if (g === gen) { const b = errorBox(); fail(b, e); box.replaceChildren(b); box.hidden = false; }
        return;
      }
      if (g !== gen) return;
      showTask(box, t);
      if (t.status !== "running" && ((t.delivered || 0) >= t.produced || ++after > 30)) return;
    }
  }
  async function taskView(view, r) {
    const box = el("section", { class: "panel", id: "task", test: "task" });
    view.append(el("h1", { text: "Replay task" }), box);
    await followTask(box, r.task);
  }
  async function deadView(view, r) {
    const selected = new Map(), key = (ev) => `${ev.instanceId}/${ev.id}`; // the rows ticked
    const done = el("ul", { class: "redeliveries", id: "redeliveries" });
    const donePanel = el("div", { class: "panel", hidden: true }, el("h2", { text: "Redelivered from this page" }), done);
    const taskBox = el("section", { class: "panel", id: "task", test: "task", hidden: true });
    const actionError = errorBox(), selectAll = el("input", { type: "checkbox", id: "select-all", title: "every row shown" });
    let t = null;
    const sel = button("redeliver-selected", "Redeliver selected (0)", null, async () => { // one POST each
      const g = gen;
      sel.disabled = true;
      for (const ev of [...selected.values()]) {
        const label = el("span", { test: "redelivery-status", text: "sending…" });
        done.append(el("li", { test: "redelivery", "data-event-id": ev.id }, mono(null, ev.id), ": ", label));
        donePanel.hidden = false;
        try {
          const { replay } = (await api("POST", `${eventPath(ev)}/redeliver`)).body;
          label.textContent = `sent (${replay}), waiting…`;
          selected.delete(key(ev));
          untilReplayed(eventPath(ev), replay, "dead").then((now) => { if (now) label.textContent = now.status; },
            (e) => { label.textContent = e.message; });
        } catch (e) {
          if (g !== gen) return;
          label.textContent = `failed: ${e.message}`;
        }
      }
      count();
      t.load(false);
    });
    const all = button("redeliver-all", "Redeliver everything matching this filter", "secondary", async () => {
      const g = gen, p = new URLSearchParams(t.params);
      p.delete("pageSize");
      all.disabled = true;
      actionError.hidden = true;
      try {
        const task = (await api("POST", `${listBase(r)}/redeliver`, p)).body;
        if (g !== gen) return;
        memo.task = task.id;
        showTask(taskBox, task);
        followTask(taskBox, task.id);
      } catch (e) { if (g === gen) fail(actionError, e); }
      all.disabled = false;
    });
    const count = () => { sel.textContent = `Redeliver selected (${selected.size})`; sel.disabled = !selected.size; };
    count();
    const pick = (ev) => el("input", { type: "checkbox", class: "pick", test: "pick", checked: selected.has(key(ev)),
      onchange: (e) => { if (e.target.checked) selected.set(key(ev), ev); else selected.delete(key(ev)); count(); } });
    selectAll.addEventListener("change", () => {
      for (const c of view.querySelectorAll("#dead-table tbody input.pick")) {
        if (c.checked !== selectAll.checked) { c.checked = selectAll.checked; c.dispatchEvent(new Event("change")); }
      }
    });
    view.append(el("h1", { text: scopeTitle(r, "Dead letters") }),
      filterForm(r, false, (p) => go(hashBase(r, "dead") + (p.toString() ? `?${p}` : ""))),
      el("div", { class: "toolbar" }, sel, all), actionError, taskBox, donePanel);
    t = eventTable(view, r, { tableId: "dead-table", dead: true, select: pick, selectAll,
      columns: ["time", "id", "instance", "objectType", "objectId", "attempts", "lastStatus", "problem"],
      loaded: (list, append) => { // a refresh keeps the ticks of the rows still there
        selectAll.checked = false;
        if (append) return;
        const keep = new Set(list.map(key));
        for (const k of [...selected.keys()]) if (!keep.has(k)) selected.delete(k);
        count();
      } });
    if (memo.task) followTask(taskBox, memo.task);
    await t.load(false);
  }

  /* ---- start ---- */
  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", signIn);
    $("mode-admin").addEventListener("change", setMode);
    $("mode-token").addEventListener("change", setMode);
    $("signout").addEventListener("click", () => {
      history.replaceState(null, "", "#/instances"); // whoever signs in next starts afresh
      signOut("");
    });
    window.addEventListener("hashchange", render);
    render();
  });
})();
