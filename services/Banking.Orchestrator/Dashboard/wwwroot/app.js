// The saga dashboard. Plain DOM, no framework: every value from the server is inserted as text, never as HTML.
"use strict";

const api = "/dashboard/api";
let session = null;
let cursors = [null];   // keyset cursors of the pages seen so far; the last one is the current page's
let nextCursor = null;
let current = null;     // the transfer shown in the detail panel
let pendingAction = null;

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value; else if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child === null || child === undefined ? "" : child);
  return node;
}

async function getJson(path) {
  const response = await fetch(api + path, { headers: { Accept: "application/json" } });
  if (response.status === 401) { location.href = "/dashboard/login"; throw new Error("signed out"); }
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response.json();
}

async function post(path, body) {
  const response = await fetch(api + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-TOKEN": session.csrf_token },
    body: JSON.stringify(body ?? {}),
  });
  const text = await response.text();
  return { ok: response.ok, status: response.status, body: text ? JSON.parse(text) : null };
}

const duration = (seconds) => seconds == null ? "" : seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds / 3600)}h`;
const money = (amount) => amount == null ? "" : Number(amount).toFixed(2);

async function loadOverview() {
  const o = await getJson("/overview");
  // Nothing consumes an _error queue: every message there waits for an operator.
  const errorsKnown = o.error_queues.every((q) => q.available);
  const errorMessages = o.error_queues.reduce((sum, q) => sum + (q.messages ?? 0), 0);
  const tiles = $("#tiles");
  tiles.replaceChildren(
    ...Object.entries(o.states).map(([state, count]) => el("div", { class: "tile", "data-state": state }, state, el("b", {}, String(count)))),
    el("div", { class: o.stuck > 0 ? "tile alert" : "tile", "data-testid": "stuck-count" }, `Stuck (> ${duration(o.stuck_threshold_seconds)})`, el("b", {}, String(o.stuck))),
    el("div", { class: "tile" }, "Oldest in flight", el("b", {}, o.oldest_in_flight_seconds == null ? "—" : duration(o.oldest_in_flight_seconds))),
    el("div", { class: o.amount_at_risk > 0 ? "tile alert" : "tile" }, "Amount at risk", el("b", {}, money(o.amount_at_risk))),
    el("div", { class: "tile" }, "Failure rate (1h)", el("b", {}, `${(o.last_hour.failure_rate * 100).toFixed(1)}%`)),
    el("div", { class: "tile" }, "Transfers (1h)", el("b", {}, String(o.last_hour.transfers))),
    el("div", { class: errorMessages > 0 || !errorsKnown ? "tile alert" : "tile", "data-testid": "error-queue-total" }, "In error queues",
      el("b", {}, errorsKnown ? String(errorMessages) : "unknown")),
    reconciliationTile(o.reconciliation));

  const chart = $("#chart");
  const max = Math.max(1, ...o.last_hour.per_minute.map((m) => m.transfers));
  const width = 600 / o.last_hour.per_minute.length;
  chart.replaceChildren(...o.last_hour.per_minute.flatMap((m, i) => {
    const h = (m.transfers / max) * 110, f = (m.failed / max) * 110;
    const ns = "http://www.w3.org/2000/svg";
    const bar = document.createElementNS(ns, "rect");
    bar.setAttribute("x", i * width + 1); bar.setAttribute("width", width - 2); bar.setAttribute("y", 120 - h); bar.setAttribute("height", h); bar.setAttribute("fill", "#2e6da4");
    const title = document.createElementNS(ns, "title"); title.textContent = `${m.minute}: ${m.transfers} transfers, ${m.failed} failed`; bar.append(title);
    const failed = document.createElementNS(ns, "rect");
    failed.setAttribute("x", i * width + 1); failed.setAttribute("width", width - 2); failed.setAttribute("y", 120 - f); failed.setAttribute("height", f); failed.setAttribute("fill", "#c0392b");
    return [bar, failed];
  }));

  $("#backlog tbody").replaceChildren(...o.outbox_backlog.map((b) =>
    el("tr", {}, el("td", {}, b.service), el("td", { class: "num" }, b.available ? String(b.backlog) : "unavailable"))));
  $("#error-queues tbody").replaceChildren(...o.error_queues.map((q) =>
    el("tr", { "data-queue": q.queue, class: q.messages > 0 ? "alert" : null }, el("td", {}, q.queue), el("td", { class: "num" }, q.available ? String(q.messages) : "unavailable"))));
  $("#refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

// DB1 + DB2 + in flight against the opening total, as the orchestrator last checked it (any difference is an alert).
function reconciliationTile(r) {
  const off = r.currencies.filter((c) => Number(c.difference) !== 0);
  const value = !r.running ? "off" : r.checked_at == null ? (r.failing ? "failing" : "not yet") :
    off.length === 0 ? "balanced" : off.map((c) => `${Number(c.difference) > 0 ? "+" : ""}${money(c.difference)} ${c.currency}`).join(", ");
  const when = r.checked_at == null ? "" : `checked ${r.checked_at}${r.failing ? ", last attempt failed" : ""}`;
  return el("div", { class: off.length > 0 || r.failing ? "tile alert" : "tile", "data-testid": "reconciliation", title: when },
    "Reconciliation", el("b", {}, value), el("small", { "data-testid": "reconciliation-checked" }, when));
}

function filterQuery(cursor) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData($("#filters"))) {
    if (value === "") continue;
    if (key === "from" || key === "to") params.set(key, new Date(value + "Z").toISOString()); else params.set(key, value);
  }
  params.set("limit", "25");
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

async function loadList() {
  const cursor = cursors[cursors.length - 1];
  const page = await getJson(`/transfers?${filterQuery(cursor)}`);
  nextCursor = page.next_cursor;
  $("#transfers tbody").replaceChildren(...page.items.map((t) => el("tr", {
      class: t.stuck ? "clickable stuck" : "clickable", "data-transfer-id": t.transfer_id, tabindex: "0",
      onclick: () => openDetail(t.transfer_id), onkeydown: (e) => { if (e.key === "Enter") openDetail(t.transfer_id); },
    },
    el("td", {}, t.transfer_id), el("td", {}, t.state), el("td", {}, t.status), el("td", {}, t.from_account), el("td", {}, t.to_account),
    el("td", { class: "num" }, `${money(t.amount)} ${t.currency}`), el("td", {}, t.created_at), el("td", { class: "num" }, duration(t.age_seconds)),
    el("td", {}, String(t.attempt)))));
  if (page.items.length === 0) $("#transfers tbody").append(el("tr", {}, el("td", { colspan: "9" }, "No transfer matches these filters.")));
  $("#next").disabled = !nextCursor;
  $("#first").disabled = cursors.length === 1;
  $("#prev").disabled = cursors.length === 1;
  $("#page-info").textContent = `page ${cursors.length}`;
}

async function openDetail(transferId) {
  const t = await getJson(`/transfers/${encodeURIComponent(transferId)}`);
  // The 5 s refresh re-reads the open transfer: it must not close a half-typed action form nor scroll the page.
  const opened = current?.transfer_id !== t.transfer_id;
  current = t;
  $("#detail").hidden = false;
  $("#detail-id").textContent = t.transfer_id;
  if (opened) { $("#action-form").hidden = true; $("#action-result").textContent = ""; }
  if (!(session.can_act && t.in_flight)) $("#action-form").hidden = true;
  $("#actions").hidden = !(session.can_act && t.in_flight);
  const field = (name, value) => [el("dt", {}, name), el("dd", { "data-field": name }, value == null ? "—" : String(value))];
  const trace = t.trace_url ? el("a", { href: t.trace_url, target: "_blank", rel: "noopener" }, t.trace_id) : t.trace_id;
  $("#fields").replaceChildren(
    ...field("State", t.state), ...field("Status", t.status),
    ...field("From account", t.from_account), ...field("To account", t.to_account),
    ...field("Amount", `${money(t.amount)} ${t.currency}`), ...field("Reason", t.reason_code),
    ...field("Created", t.created_at), ...field("Completed", t.completed_at),
    ...field("Error", t.error_message), ...field("Stuck", t.stuck ? "yes" : "no"),
    ...field("Attempts", `debit ${t.attempts.debit}, credit ${t.attempts.credit}, reversal ${t.attempts.reversal}, cancel ${t.attempts.cancel}`),
    ...field("Next attempt", t.next_attempt_at), ...field("Source balance after", money(t.source_balance_after)),
    ...field("Amount at risk", money(t.amount_at_risk)), ...field("Requested by", `${t.requested_by ?? "—"} via ${t.channel ?? "—"}`),
    ...field("Aborted by", t.abort_approved_by ? `${t.aborted_by}, approved by ${t.abort_approved_by}` : t.aborted_by), el("dt", {}, "Trace id"), el("dd", {}, trace ?? "—"));
  showApproval(t);
  $("#timeline tbody").replaceChildren(...t.timeline.map((e) => el("tr", {},
    el("td", {}, e.at), el("td", { class: "num" }, e.since_previous_ms == null ? "" : String(e.since_previous_ms)),
    el("td", {}, e.event), el("td", {}, `${e.from_state ?? ""} → ${e.to_state ?? ""}`), el("td", {}, e.details ?? ""), el("td", {}, e.actor ?? ""))));
  $("#ledgers").replaceChildren(...t.ledgers.map((l) => el("div", { class: "ledger" },
    el("h3", {}, `Ledger ${l.ledger}`),
    l.available ? "" : el("p", { class: "error" }, "This ledger service did not answer; its rows cannot be shown right now."),
    el("table", { "data-ledger": l.ledger },
      el("thead", {}, el("tr", {}, el("th", {}, "Seq no"), el("th", {}, "Account"), el("th", {}, "Type"), el("th", {}, "Cr/Dr"), el("th", { class: "num" }, "Amount"), el("th", { class: "num" }, "Before"), el("th", { class: "num" }, "After"), el("th", {}, "Time"))),
      el("tbody", {}, ...l.history.map((h) => el("tr", {}, el("td", {}, h.seq_no), el("td", {}, h.account), el("td", {}, h.tran_type), el("td", {}, h.cr_dr),
        el("td", { class: "num" }, money(h.amount)), el("td", { class: "num" }, money(h.previous_balance)), el("td", { class: "num" }, money(h.actual_balance)), el("td", {}, h.at))))),
    el("p", { class: "small" }, `Operations: ${l.operations.map((o) => `${o.operation} ${o.outcome}${o.reason_code ? " (" + o.reason_code + ")" : ""}`).join(", ") || "none"}`))));
  if (opened) $("#detail").scrollIntoView({ behavior: "smooth" });
}

// Four eyes: an action above the threshold waits here until another operator approves or rejects it.
function showApproval(t) {
  const waiting = t.pending_approval;
  $("#approval").hidden = !(waiting && t.in_flight);
  $("#actions").hidden = $("#actions").hidden || !!waiting;
  if (!waiting) return;
  const own = waiting.requested_by === session.operator_id;
  $("#approval-text").textContent = `${waiting.action === "ABORT" ? "Abort" : "Retry"} asked by ${waiting.requested_by} at ${waiting.requested_at}: ${waiting.reason}. ` +
    (own ? "Another operator must approve it; you may withdraw it." : "It needs a second operator's approval.");
  $("#approve").hidden = !session.can_act;
  $("#approve").disabled = own;
  $("#reject").hidden = !session.can_act;
  $("#reject").textContent = own ? "Withdraw" : "Reject";
}

async function decide(decision) {
  const waiting = current?.pending_approval;
  if (!waiting) return;
  const reason = $("#approval-reason").value.trim();
  if (decision === "reject" && !reason) { $("#approval-reason").focus(); return; }
  const path = `/transfers/${encodeURIComponent(current.transfer_id)}/${waiting.action.toLowerCase()}/${decision}`;
  const result = await post(path, { reason: reason || null });
  const out = $("#action-result");
  out.className = result.ok ? "ok" : "error";
  out.textContent = result.ok ? `${decision === "approve" ? "Approval" : "Rejection"} sent for ${current.transfer_id}; the timeline shows its progress.`
                              : `Refused: ${result.body?.error?.message ?? result.status}`;
  $("#approval-reason").value = "";
  setTimeout(() => openDetail(current.transfer_id), 1000);
}

function askFor(action) {
  pendingAction = action;
  $("#action-explain").textContent = action === "abort"
    ? "Abort fences the step in flight first. Money moves back only if the fence holds; if the step had already been applied, the transfer completes instead."
    : "Retry sends the step the transfer is waiting on again, now. The ledger applies it at most once.";
  $("#action-reason").value = "";
  $("#action-form").hidden = false;
  $("#action-reason").focus();
}

async function confirmAction(event) {
  event.preventDefault();
  const reason = $("#action-reason").value.trim();
  if (!reason) return;
  const result = await post(`/transfers/${encodeURIComponent(current.transfer_id)}/${pendingAction}`, { reason });
  $("#action-form").hidden = true;
  const out = $("#action-result");
  out.className = result.ok ? "ok" : "error";
  out.textContent = result.ok && result.body?.approval_required
    ? `${pendingAction === "abort" ? "Abort" : "Retry"} of ${current.transfer_id} asked; above the four-eyes threshold it waits for a second operator.`
    : result.ok ? `${pendingAction === "abort" ? "Abort" : "Retry"} sent for ${current.transfer_id}; the timeline shows its progress.`
                              : `Refused: ${result.body?.error?.message ?? result.status}`;
  setTimeout(() => openDetail(current.transfer_id), 1000);
}

async function refresh() {
  try {
    await loadOverview();
    if (current) await openDetail(current.transfer_id);
  } catch (e) {
    $("#refreshed").textContent = `refresh failed: ${e.message}`;
  }
}

async function start() {
  session = await getJson("/session");
  $("#who").textContent = `${session.name} (${session.roles.join(", ")})`;
  $("#logout").addEventListener("click", async () => { await post("/logout"); location.href = "/dashboard/login"; });
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); cursors = [null]; loadList(); });
  $("#next").addEventListener("click", () => { if (nextCursor) { cursors.push(nextCursor); loadList(); } });
  $("#first").addEventListener("click", () => { cursors = [null]; loadList(); });
  $("#prev").addEventListener("click", () => { if (cursors.length > 1) { cursors.pop(); loadList(); } });
  $("#retry").addEventListener("click", () => askFor("retry"));
  $("#abort").addEventListener("click", () => askFor("abort"));
  $("#action-form").addEventListener("submit", confirmAction);
  $("#approve").addEventListener("click", () => decide("approve"));
  $("#reject").addEventListener("click", () => decide("reject"));
  $("#action-cancel").addEventListener("click", () => { $("#action-form").hidden = true; });
  await Promise.all([loadOverview(), loadList()]);
  setInterval(refresh, 5000);
}

start();
