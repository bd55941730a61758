// The Sandtrade status page: reads the API with a bearer token kept in this tab's
// sessionStorage, and follows /api/events (server-sent events, read with fetch so the token
// travels in a header, never in an address).
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "sandtrade-token";
let token = null;
let lastSignals = null;
let refreshTimer = null;
let lastRefresh = 0;
let eventCount = 0;

function takeTokenFromFragment() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + token } });
  if (r.status === 401 || r.status === 403) {
    throw new Error("unauthorized");
  }
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw new Error(body.error || r.statusText);
  }
  return r.json();
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  return td;
}

/** A duration in ms as "42 s", "7 min" or "3 h". */
function age(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return s + " s";
  if (s < 7200) return Math.round(s / 60) + " min";
  return Math.round(s / 3600) + " h";
}

function fillTable(id, items, render) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const item of items) render(body.insertRow(), item);
}

/** One contract's market data: "AAPL delayed (IB 354: …)", "MSFT live". */
function dataLine([symbol, d]) {
  let why = "";
  if (d.state === "failed") why = d.message || "";
  else if (d.code != null) why = "IB " + d.code + (d.message ? ": " + d.message : "");
  return symbol + " " + d.state + (why ? " (" + why + ")" : "");
}

function renderStatus(s) {
  const c = s.connection;
  $("connection-state").textContent = c.state;
  $("connection-address").textContent = c.address;
  $("connection-client").textContent = c.client_id ?? "";
  $("connection-account").textContent = s.mode + " / " + s.account;
  $("connection-connects").textContent = c.connects;
  $("connection-error").textContent = c.last_error ?? "";
  const working = Object.entries(s.orders.working).map(([k, v]) => k + " " + v).join(", ");
  $("queue").textContent = "queued " + s.orders.queued + (working ? "; " + working : "");
  // Orders nothing settles but reconciliation or an operator (POST /api/ibkr/order/{id}/settle).
  const unknown = $("unknown-orders");
  unknown.textContent = s.orders.unknown.length
    ? s.orders.unknown.map((u) => "#" + u.id + " " + u.strategy + " " + u.symbol + ", unknown for "
        + age(s.at_ms - u.since_ms) + (u.note ? " (" + u.note + ")" : "")).join("; ")
    : "none";
  unknown.className = s.orders.unknown.length ? "bad" : "";
  // IB's daily P&L of the account, against the loss limits that halt trading.
  const risk = s.account_risk;
  const pnl = $("account-pnl");
  const limits = [
    risk.max_daily_loss != null ? "daily loss limit " + risk.max_daily_loss : null,
    risk.max_drawdown != null ? "drawdown limit " + risk.max_drawdown : null,
  ].filter(Boolean).join(", ");
  pnl.textContent = risk.pnl
    ? "today " + risk.pnl.daily.toFixed(2) + " (high " + risk.pnl.high_of_day.toFixed(2)
        + ", drawdown " + risk.pnl.drawdown.toFixed(2) + ")" + (limits ? "; " + limits : "")
    : "not reported by IB" + (limits ? "; " + limits + " unwatched" : "");
  const near = risk.pnl && ((risk.max_daily_loss != null && -risk.pnl.daily >= 0.8 * risk.max_daily_loss)
    || (risk.max_drawdown != null && risk.pnl.drawdown >= 0.8 * risk.max_drawdown));
  pnl.className = near || (!risk.pnl && limits) ? "bad" : "";
  const rejected = Object.entries(s.signals.rejected).map(([k, v]) => k + " " + v).join(", ");
  $("signal-counts").textContent = "accepted " + s.signals.accepted + (rejected ? "; rejected: " + rejected : "");
  // Where each contract's bars come from: live, or delayed/frozen after IB refused live data.
  const data = Object.entries(s.market_data || {});
  const marketData = $("market-data");
  marketData.textContent = data.length ? data.map(dataLine).join("; ") : "none";
  marketData.className = data.some(([, d]) => d.state !== "live") ? "bad" : "";
  $("drift").textContent = s.drift.length ? s.drift.map((d) => d.symbol + " broker " + d.broker + " vs " + d.ledger).join("; ") : "none";
  $("status-at").textContent = new Date(s.at_ms).toLocaleTimeString();
  $("status-at").dataset.atMs = s.at_ms;
  const live = $("live");
  live.textContent = c.state;
  live.className = "badge" + (s.connected ? "" : c.state === "refused" ? " bad" : " off");
  const halted = $("halted");
  halted.textContent = s.halted ? "halted: " + s.halted : "";
  halted.className = s.halted ? "badge bad" : "badge hidden";
  const signals = JSON.stringify(s.signals);
  if (signals !== lastSignals) {
    lastSignals = signals;
    scheduleRefresh();
  }
}

async function refreshAll() {
  lastRefresh = Date.now();
  const [strategies, positions, orders, signals] = await Promise.all([
    api("/api/strategies"), api("/api/ibkr/positions"), api("/api/ibkr/orders"), api("/api/signals?limit=50"),
  ]);
  fillTable("strategies", strategies, (row, s) => {
    row.dataset.name = s.name;
    cell(row, s.name);
    cell(row, s.warming_up ? s.state + " (warming up)" : s.state);
    cell(row, s.metadata.symbols.join(" "));
    cell(row, s.counters.bars);
    cell(row, s.counters.signals);
    cell(row, s.counters.rejected);
    cell(row, s.counters.fills);
    cell(row, Object.entries(s.counters.faults).map(([k, v]) => k + " " + v).join(", "));
    cell(row, s.problem || s.last_error || "", "wrap error");
    cell(row, s.wasm_sha256.slice(0, 12));
  });
  const lines = [];
  for (const [ledger, symbols] of Object.entries(positions.strategies)) {
    for (const [symbol, line] of Object.entries(symbols)) lines.push({ ledger, symbol, ...line });
  }
  fillTable("positions", lines, (row, p) => {
    cell(row, p.ledger); cell(row, p.symbol); cell(row, p.quantity);
    cell(row, p.avg_cost.toFixed(2)); cell(row, p.realized_pnl.toFixed(2));
  });
  $("broker-positions").textContent = positions.broker_known
    ? Object.entries(positions.broker).map(([k, v]) => k + " " + v).join(", ") || "flat"
    : "unknown (not connected)";
  fillTable("orders", orders, (row, o) => {
    row.dataset.id = o.id;
    cell(row, o.id); cell(row, o.strategy); cell(row, o.action); cell(row, o.symbol);
    cell(row, o.quantity); cell(row, orderTerms(o)); cell(row, o.filled); cell(row, o.state);
  });
  fillTable("signals", signals, (row, s) => {
    row.dataset.id = s.id;
    cell(row, s.id); cell(row, new Date(s.time_ms).toLocaleTimeString()); cell(row, s.strategy);
    cell(row, s.action); cell(row, s.symbol); cell(row, s.quantity);
    cell(row, s.verdict, s.verdict);
    cell(row, s.verdict === "accepted" ? (s.order_state || "") + (s.filled ? " (" + s.filled + " filled)" : "")
                                       : s.reject_code + ": " + s.reject_message, "wrap");
  });
}

// An order's type, prices and time in force as a ticket reads: "stop 190.01 GTC",
// "trailing-stop 5% GTC outside RTH", "market DAY", "limit 210 GTC, exit of #7".
function orderTerms(o) {
  let text = o.order_type;
  if (o.order_type === "stop-limit") text += " " + o.stop_price + "/" + o.limit_price;
  else if (o.order_type === "trailing-stop") {
    text += " " + (o.trail_percent != null ? o.trail_percent + "%" : o.trail_amount);
    if (o.limit_offset != null) text += " offset " + o.limit_offset;
  } else if (o.stop_price != null) text += " " + o.stop_price;
  else if (o.limit_price != null) text += " " + o.limit_price;
  text += " " + o.tif.toUpperCase() + (o.outside_rth ? " outside RTH" : "");
  return o.exit_of != null ? text + ", exit of #" + o.exit_of : text;
}

// At most one refresh a second, however many updates arrive.
function scheduleRefresh() {
  if (refreshTimer) return;
  const wait = Math.max(0, 1000 - (Date.now() - lastRefresh));
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refreshAll().catch(showError);
  }, wait);
}

function logEvent(e) {
  eventCount += 1;
  const li = document.createElement("li");
  const { event, ...rest } = e;
  li.textContent = new Date().toLocaleTimeString() + " " + event + " " + JSON.stringify(rest);
  const list = $("events");
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
  list.dataset.count = eventCount;
  scheduleRefresh();
}

function handle(name, data) {
  if (name === "status") renderStatus(JSON.parse(data));
  else if (name === "trading") logEvent(JSON.parse(data));
  else if (name === "lagged") logEvent({ event: "lagged", lost: Number(data) });
}

// Reads text/event-stream from a fetch body: blank-line separated blocks of `field: value`.
async function follow() {
  for (;;) {
    try {
      const r = await fetch("/api/events", { headers: { Authorization: "Bearer " + token } });
      if (!r.ok) throw new Error("events: " + r.status);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let at;
        while ((at = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let name = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) name = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (data.length) handle(name, data.join("\n"));
        }
      }
    } catch (e) {
      showError(e);
    }
    $("live").textContent = "offline";
    $("live").className = "badge off";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function showError(e) {
  if (e.message === "unauthorized") {
    sessionStorage.removeItem(TOKEN_KEY);
    $("login-error").textContent = "that token was refused";
    $("main").classList.add("hidden");
    $("login").classList.remove("hidden");
  }
}

async function start() {
  $("login").classList.add("hidden");
  $("main").classList.remove("hidden");
  await refreshAll();
  follow();
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  start().catch(showError);
});

token = takeTokenFromFragment();
if (token) start().catch(showError);
else $("login").classList.remove("hidden");
