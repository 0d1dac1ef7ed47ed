// The console's behaviours. Every page works without this file (forms post, links open); with it:
// keyboard shortcuts, the live queue, canned replies filled for the ticket, who else is on the ticket, and
// the merge target's search. No framework, no network but the app's own URLs.
"use strict";

const csrf = () => document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
const typing = (el) => el.closest("input, textarea, select, [contenteditable]");

function post(url, fields) {
  const body = new FormData();
  body.append("csrfmiddlewaretoken", csrf());
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  return fetch(url, { method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } });
}

// ------------------------------------------------------------------------------ keyboard shortcuts
// j / k move in the queue, o or Enter opens, x ticks; r reply, n note; "/" search; "?" lists them all.
// Any element marked data-shortcut="<key>" is clicked (a button, a link) or focused (a field).

function queueRows() {
  return [...document.querySelectorAll("#queue tbody tr[data-href]")];
}

function moveInQueue(step) {
  const rows = queueRows();
  if (!rows.length) return;
  const at = rows.findIndex((r) => r.classList.contains("current"));
  const next = rows[Math.min(Math.max(at + step, 0), rows.length - 1)];
  rows.forEach((r) => r.classList.remove("current"));
  next.classList.add("current");
  next.querySelector("a")?.focus();
}

function currentRow() {
  return document.querySelector("#queue tbody tr.current");
}

function writeMode(internal) {
  const box = document.getElementById("id_body");
  if (!box) return false;
  box.dataset.internal = internal ? "1" : "0";
  box.placeholder = internal ? box.dataset.notePlaceholder || "" : box.dataset.replyPlaceholder || "";
  box.focus();
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape") {
    const list = document.getElementById("shortcuts");
    if (list) list.open = false;
    if (typing(event.target)) event.target.blur();
    return;
  }
  if (typing(event.target)) return;
  const key = event.key;
  let done = true;
  if (key === "j") moveInQueue(1);
  else if (key === "k") moveInQueue(-1);
  else if ((key === "o" || key === "Enter") && currentRow()) window.location = currentRow().dataset.href;
  else if (key === "x" && currentRow()) currentRow().querySelector("input[type=checkbox]")?.click();
  else if (key === "r" || key === "n") done = writeMode(key === "n");
  else if (key === "?") {
    const list = document.getElementById("shortcuts");
    if (list) {
      list.open = !list.open;
      if (list.open) list.scrollIntoView({ block: "nearest" });
    } else done = false;
  } else if (key === "/" && !document.querySelector('[data-shortcut="/"]')) {
    const search = document.querySelector("input[type=search]");
    if (search) search.focus();
    else done = false;
  } else {
    const target = document.querySelector(`[data-shortcut="${CSS.escape(key)}"]`);
    if (!target) done = false;
    else if (target.matches("input, textarea, select")) target.focus();
    else target.click();
  }
  if (done) event.preventDefault();
});

// In the message box, Ctrl+Enter (or Cmd+Enter) sends it the way "r" or "n" opened it: reply or note.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.target.id !== "id_body") return;
  const mode = event.target.dataset.internal === "1" ? "1" : "0";
  event.target.closest("form")?.querySelector(`button[name=internal][value="${mode}"]`)?.click();
  event.preventDefault();
});

// ------------------------------------------------------------------------ canned replies and macros
// Choosing one fills the message box with its text, filled for this ticket (the agent may edit it); the
// "send with the chosen canned reply or macro" button sends it and makes the macro's changes.

document.addEventListener("change", async (event) => {
  const select = event.target.closest("select[data-canned-url]");
  if (!select) return;
  if (!select.value) return;
  const url = `${select.dataset.cannedUrl}?id=${encodeURIComponent(select.value)}`;
  const answer = await fetch(url, { credentials: "same-origin" });
  if (!answer.ok) return;
  const { text } = await answer.json();
  const box = document.getElementById(select.dataset.fills || "id_body");
  box.value = text;
  box.focus();
});

// ----------------------------------------------------------------------------------- the live queue
// Every few seconds the queue asks for its rows with the fingerprint it holds: 304 when nothing changed
// (a cheap answer), else the rows, whose new or changed tickets are marked until the agent moves on.

function startLiveQueue(table) {
  const body = table.tBodies[0];
  const status = document.getElementById("queue-live-status");
  let etag = table.dataset.etag || "";
  const known = () => new Map(queueRows().map((r) => [r.dataset.id, r.dataset.version]));
  async function poll() {
    if (document.hidden) return;
    if (body.querySelector("input[type=checkbox]:checked")) return; // never under a selection in progress
    const answer = await fetch(table.dataset.live + window.location.search, {
      headers: { "If-None-Match": etag },
      cache: "no-store",
      credentials: "same-origin",
    }).catch(() => null);
    if (!answer || answer.status !== 200) return;
    etag = answer.headers.get("ETag") || "";
    const before = known();
    const current = currentRow()?.dataset.id;
    body.innerHTML = await answer.text();
    let fresh = 0;
    for (const row of queueRows()) {
      if (before.get(row.dataset.id) !== row.dataset.version) {
        row.classList.add("fresh");
        fresh += 1;
      }
      if (row.dataset.id === current) row.classList.add("current");
    }
    if (status && fresh) status.textContent = status.dataset.template.replace("%(n)s", fresh);
  }
  const next = () => setTimeout(() => poll().finally(next), Number(table.dataset.every || 5000));
  next();
}

// ------------------------------------------------------------------------- who else is on this ticket

function startPresence(area) {
  const box = document.getElementById("id_body");
  let lastKey = 0;
  box?.addEventListener("input", () => {
    lastKey = Date.now();
  });
  async function beat() {
    if (document.hidden) return;
    const composing = box && box.value.trim() && Date.now() - lastKey < 30000 ? "1" : "0";
    const answer = await post(area.dataset.presence, { composing }).catch(() => null);
    if (answer?.ok) area.innerHTML = await answer.text();
  }
  beat();
  setInterval(beat, 15000);
  window.addEventListener("pagehide", () => {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", csrf());
    body.append("leave", "1");
    navigator.sendBeacon?.(area.dataset.presence, body);
  });
}

// ------------------------------------------------------------------------------ the merge target

function startTargets(input) {
  const list = document.getElementById(input.getAttribute("list"));
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const url = `${input.dataset.targetsUrl}?q=${encodeURIComponent(input.value)}`;
      const answer = await fetch(url, { credentials: "same-origin" }).catch(() => null);
      if (answer?.ok) list.innerHTML = await answer.text();
    }, 200);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("#queue[data-live]");
  if (table) startLiveQueue(table);
  const area = document.querySelector("[data-presence]");
  if (area) startPresence(area);
  document.querySelectorAll("input[data-targets-url]").forEach(startTargets);
  queueRows().forEach((row) =>
    row.addEventListener("click", (event) => {
      if (event.target.closest("a, input, button, label")) return;
      queueRows().forEach((r) => r.classList.remove("current"));
      row.classList.add("current");
    })
  );
});

// Ticking a ticket opens the bulk actions above the queue.
document.addEventListener("change", (event) => {
  if (event.target.matches("#queue input[name=ticket]") && event.target.checked) {
    const bulk = document.querySelector("details.bulk");
    if (bulk) bulk.open = true;
  }
});
