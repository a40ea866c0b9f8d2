// The dashboard's page. It listens to the server's snapshots (Server-Sent Events
// on "live") and redraws the panels from each; the selected stream is fetched
// from "stream?id=". Every value from the database goes into the page as text
// (el() sets textContent), never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

// el makes an element with a class, a text and a tooltip, and children.
function el(tag, opts, ...children) {
  const e = document.createElement(tag);
  if (opts) {
    if (opts.cls) e.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
    if (opts.title) e.title = String(opts.title);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

// td is a table cell; num right-aligns it.
const td = (text, cls, title) => el("td", { text, cls, title: title || text });

// shortID shows a UUID (or a stream "account-<uuid>") by the 8 digits that tell ids
// apart: the first 8 of a random (v4) id, the last 8 of a time-ordered (v7) one,
// whose first digits are the clock and the same for every id made in a minute (the
// server makes a v7 correlation id for a request that sends none). As make tail does.
function shortID(id) {
  const m = /^(?:[a-z]+-)?([0-9a-f]{8})-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{4}([0-9a-f]{8})$/i.exec(id || "");
  if (!m) return id || "";
  return m[2] === "7" ? "…" + m[3] : m[1];
}

// streamName is a stream by its id alone: "account-" and the short id.
function streamName(stream) {
  return shortID((stream || "").replace(/^[a-z]+-(?=.)/, ""));
}

// clock is the time of day of an RFC 3339 timestamp.
function clock(ts) {
  const d = new Date(ts);
  if (isNaN(d)) return String(ts || "").slice(11, 19);
  return d.toLocaleTimeString([], { hour12: false });
}

function badge(text, cls) { return el("span", { cls: "badge " + cls, text }); }

function emptyRow(tbody, columns, text) {
  const cell = el("td", { cls: "empty", text });
  cell.colSpan = columns;
  tbody.replaceChildren(el("tr", null, cell));
}

const state = { head: null, stream: streamFromHash(), model: null, fetching: 0 };

function streamFromHash() {
  const m = /^#stream=(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

// --- the global log ---------------------------------------------------------

function renderLog(log, previousHead) {
  const panel = $("log-panel");
  panel.hidden = log === null;
  if (log === null) return;
  const tbody = $("log").tBodies[0];
  if (log.length === 0) return emptyRow(tbody, 8, "no events yet: make a command through the API");
  tbody.replaceChildren(...log.map((e) => logRow(e, previousHead)));
}

function logRow(e, previousHead) {
  const type = el("td", { title: e.type + " (schema v" + e.schema + ")" }, document.createTextNode(e.type));
  if (e.schema > 1) type.append(" ", badge("v" + e.schema, ""));
  const tr = el("tr", { cls: e.stream === state.stream ? "mine" : "" },
    td(e.position, "num"), td(streamName(e.stream), "mono", e.stream), td(e.version, "num"), type,
    td(e.amount === undefined ? "" : e.amount, "num"), td(e.detail || ""),
    td(shortID(e.correlation), "mono", e.correlation), td(clock(e.recorded_at), "mono", e.recorded_at));
  tr.dataset.position = e.position;
  tr.dataset.stream = e.stream;
  tr.tabIndex = 0;
  if (previousHead !== null && e.position > previousHead) tr.classList.add("fresh");
  return tr;
}

function selectStream(id) {
  state.stream = id;
  history.replaceState(null, "", location.pathname + location.search + "#stream=" + encodeURIComponent(id));
  for (const tr of $("log").tBodies[0].rows) tr.classList.toggle("mine", tr.dataset.stream === id);
  loadStream();
}

// --- one stream ---------------------------------------------------------------

function loadStream() {
  if (!state.stream) return;
  const ticket = ++state.fetching;
  fetch("stream?id=" + encodeURIComponent(state.stream), { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : r.text().then((t) => Promise.reject(new Error(t)))))
    .then((s) => { if (ticket === state.fetching) renderStream(s); })
    .catch((err) => { if (ticket === state.fetching) showStreamError(err); });
}

function renderStream(s) {
  $("stream-id").textContent = s.id + (s.older ? " (newest " + s.events.length + " events)" : "");
  $("stream-id").title = s.id;
  const list = $("stream");
  if (s.events.length === 0) return list.replaceChildren(el("li", { cls: "empty", text: "no events in this stream" }));
  list.replaceChildren(...s.events.slice().reverse().map(streamItem));
}

function streamItem(e) {
  const what = el("div", { cls: "what" },
    document.createTextNode("v" + e.version + " · " + e.type),
    el("span", { cls: "muted when", text: "pos " + e.position + " · schema v" + e.schema + " · " + clock(e.recorded_at), title: e.recorded_at }));
  const meta = el("dl");
  for (const key of Object.keys(e.metadata).sort()) meta.append(el("dt", { text: key }), el("dd", { text: e.metadata[key] }));
  return el("li", null, what, el("pre", { text: e.data }), meta);
}

function showStreamError(err) {
  $("stream").replaceChildren(el("li", { cls: "empty", text: "cannot read the stream: " + err.message }));
}

// --- projections, outbox, dead letters, read models ---------------------------

function renderProjections(projections, head) {
  $("projections-panel").hidden = projections === null;
  if (projections === null) return;
  const tbody = $("projections").tBodies[0];
  if (projections.length === 0) return emptyRow(tbody, 4, "no projection has a checkpoint yet");
  tbody.replaceChildren(...projections.map((p) => {
    const lag = el("td", { cls: "num" }, document.createTextNode(p.lag + " "),
      badge(p.lag === 0 ? "up to date" : "behind", p.lag === 0 ? "st-ok" : "st-behind"));
    return el("tr", null, td(p.name), td(p.checkpoint, "num"), lag, buildsCell(p, head));
  }));
}

// buildsCell names the live build (stages 6 and 7) and shows a rebuild's progress under it.
function buildsCell(p, head) {
  if (!p.build) return td("one build", "muted");
  const cell = el("td", null, el("div", { cls: "line", text: p.build + " v" + p.version + " live" }));
  const r = p.rebuild;
  if (r) {
    const bar = el("progress");
    bar.max = Math.max(head, 1);
    bar.value = r.checkpoint;
    cell.append(el("div", { cls: "line", title: "rebuilding " + r.build + " v" + r.version + ": " + r.checkpoint + " of " + head },
      document.createTextNode(r.build + " v" + r.version + " "), bar, document.createTextNode(" " + r.checkpoint + "/" + head)));
  }
  return cell;
}

function renderOutbox(o) {
  $("outbox-panel").hidden = o === null;
  if (o === null) return;
  $("outbox-counts").textContent = o.pending + " pending · " + o.parked + " parked";
  const tbody = $("outbox").tBodies[0];
  if (o.messages.length === 0) return emptyRow(tbody, 5, "no messages yet");
  tbody.replaceChildren(...o.messages.flatMap(outboxRows));
}

// outboxRows is a message's row, and a row with its last error if it has one.
function outboxRows(m) {
  const row = el("tr", { cls: m.last_error ? "has-error" : "" },
    td(m.id, "num"), td(m.type), td(streamName(m.subject), "mono", m.subject),
    el("td", null, badge(m.status, "st-" + m.status)), td(m.attempts, "num"));
  return m.last_error ? [row, errorLine(m.last_error, 5)] : [row];
}

function renderDeadLetters(relay, consumers) {
  $("dead-panel").hidden = relay === null && consumers === null;
  const all = [...(relay || []).map((d) => ({ ...d, from: "relay" })),
    ...(consumers || []).map((d) => ({ ...d, from: d.consumer + (d.build ? " (" + d.build + ")" : "") }))];
  const tbody = $("dead").tBodies[0];
  if (all.length === 0) return emptyRow(tbody, 5, "none: nothing is parked");
  tbody.replaceChildren(...all.flatMap((d) => [
    el("tr", { cls: "has-error" }, td(d.from), td(d.type), td(streamName(d.subject), "mono", d.subject),
      td(d.attempts || "", "num"), td(clock(d.parked_at), "mono", d.parked_at)),
    errorLine(d.reason, 5)]));
}

// errorLine is a row under another with why it failed, as wide as the table.
function errorLine(text, columns) {
  const cell = td(text);
  cell.colSpan = columns;
  return el("tr", { cls: "error-line" }, cell);
}

function renderReadModels(models) {
  $("models-panel").hidden = models === null;
  if (models === null) return;
  if (!models.some((m) => m.name === state.model)) state.model = models[0].name;
  $("model-tabs").replaceChildren(...models.map((m) => {
    const b = el("button", { text: m.name, title: "table " + m.source });
    b.type = "button";
    b.setAttribute("aria-pressed", String(m.name === state.model));
    b.addEventListener("click", () => { state.model = m.name; renderReadModels(models); });
    return b;
  }));
  const m = models.find((x) => x.name === state.model);
  const table = $("model");
  table.tHead.replaceChildren(el("tr", null, ...m.columns.map((c) => el("th", { text: c }))));
  if (m.rows.length === 0) return emptyRow(table.tBodies[0], m.columns.length, "no rows yet");
  table.tBodies[0].replaceChildren(...m.rows.map((row) => el("tr", null, ...row.map(modelCell))));
}

// modelCell is a read model's value: a number right-aligned, an id by its first digits.
function modelCell(v) {
  if (/^-?\d+$/.test(v)) return td(v, "num");
  const id = shortID(v);
  return id === v ? td(v) : td(id, "mono", v);
}

// --- the snapshot stream --------------------------------------------------------

function render(snap) {
  const error = $("error");
  error.hidden = !snap.error;
  error.textContent = snap.error || "";
  $("head").textContent = snap.head;
  renderLog(snap.log, state.head);
  $("stream-panel").hidden = snap.log === null;
  renderProjections(snap.projections, snap.head);
  renderOutbox(snap.outbox);
  renderDeadLetters(snap.dead_letters, snap.consumer_dead_letters);
  renderReadModels(snap.read_models);
  if (state.stream && snap.head !== state.head) loadStream();
  state.head = snap.head;
}

function connect() {
  const status = $("status");
  const live = new EventSource("live");
  live.addEventListener("open", () => { status.textContent = "live"; status.className = "status on"; });
  live.addEventListener("error", () => { status.textContent = "reconnecting…"; status.className = "status off"; });
  live.addEventListener("snapshot", (e) => render(JSON.parse(e.data)));
}

// setupTheme makes the button switch between the two themes, and keeps the
// choice in the address (?theme=projector), so a reload keeps it.
function setupTheme() {
  const button = $("theme");
  const root = document.documentElement;
  const sync = () => button.setAttribute("aria-pressed", String(root.classList.contains("theme-projector")));
  sync();
  button.addEventListener("click", () => {
    const projector = !root.classList.contains("theme-projector");
    root.className = projector ? "theme-projector" : "theme-laptop";
    const url = new URL(location.href);
    if (projector) url.searchParams.set("theme", "projector"); else url.searchParams.delete("theme");
    history.replaceState(null, "", url);
    sync();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupTheme();
  $("log").tBodies[0].addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-stream]");
    if (tr) selectStream(tr.dataset.stream);
  });
  $("log").tBodies[0].addEventListener("keydown", (e) => {
    const tr = e.target.closest("tr[data-stream]");
    if (tr && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); selectStream(tr.dataset.stream); }
  });
  connect();
  loadStream();
});
