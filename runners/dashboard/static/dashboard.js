// The dashboard page: fetches its pipeline's panels (/api/<pipeline>), draws them with Chart.js,
// and fetches again when the server says a run committed (server-sent events on /events).
"use strict";

const pipeline = decodeURIComponent(location.pathname.slice(1));
const PALETTE = ["#3a63c7", "#e07b39", "#3aa76d", "#c74a5a", "#8a5cc7", "#2fa3b5", "#b59a2f", "#6b7487", "#d16ba5", "#4d8f3a", "#9c6b3a", "#5a7bd1"];
/** What the page shows, for people and for the browser tests: charts by panel id, and how many loads were drawn. */
const dashboard = (window.dashboard = { charts: new Map(), loads: 0, data: null });

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function ago(ms) {
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** A time axis tick: the time of day, with the date when the span is longer than a day. */
function timeTick(span) {
  return (value) => {
    const d = new Date(value);
    const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: span < 600000 ? "2-digit" : undefined });
    return span > 86400000 ? `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}` : time;
  };
}

const color = (i) => PALETTE[i % PALETTE.length];

/** The Chart.js configuration of a panel's rows ([x, series, y]). */
function chartConfig(panel) {
  const rows = panel.rows;
  const seriesNames = [...new Set(rows.map((r) => r[1] ?? panel.unit))];
  const common = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: seriesNames.length > 1 || panel.chart === "doughnut", position: "bottom", labels: { boxWidth: 12 } } } };
  if (panel.chart === "line") {
    const xs = rows.map((r) => r[0]);
    const first = Math.min(...xs), last = Math.max(...xs);
    const span = last - first;
    // One point in time: a minute either side, not an axis of milliseconds.
    const range = span === 0 ? { min: first - 60000, max: last + 60000 } : {};
    const datasets = seriesNames.map((name, i) => ({
      label: name,
      data: rows.filter((r) => (r[1] ?? panel.unit) === name).map((r) => ({ x: r[0], y: r[2] })),
      borderColor: color(i), backgroundColor: color(i), pointRadius: rows.length > 60 ? 0 : 2, borderWidth: 1.5, tension: 0.2,
    }));
    return {
      type: "line",
      data: { datasets },
      options: { ...common, parsing: true, scales: { x: { type: "linear", ...range, ticks: { callback: timeTick(Math.max(span, 120000)), maxTicksLimit: 8 } }, y: { beginAtZero: true, title: { display: true, text: panel.unit } } } },
    };
  }
  if (panel.chart === "doughnut") {
    return {
      type: "doughnut",
      data: { labels: rows.map((r) => r[0]), datasets: [{ label: panel.unit, data: rows.map((r) => r[2]), backgroundColor: rows.map((_, i) => color(i)) }] },
      options: common,
    };
  }
  const labels = [...new Set(rows.map((r) => r[0]))];
  const datasets = seriesNames.map((name, i) => {
    const values = new Map(rows.filter((r) => (r[1] ?? panel.unit) === name).map((r) => [r[0], r[2]]));
    return { label: name, data: labels.map((l) => values.get(l) ?? 0), backgroundColor: color(i) };
  });
  const stacked = panel.chart === "stacked";
  return {
    type: "bar",
    data: { labels, datasets },
    options: { ...common, indexAxis: "y", scales: { x: { stacked, beginAtZero: true, title: { display: true, text: panel.unit } }, y: { stacked, ticks: { autoSkip: false } } } },
  };
}

/** The card of a panel, created on first sight. */
function card(panel) {
  let element = document.querySelector(`.panel[data-panel="${panel.id}"]`);
  if (element) return element;
  element = document.createElement("article");
  element.className = "panel";
  element.dataset.panel = panel.id;
  element.dataset.from = panel.from;
  element.innerHTML = `<h3></h3><div class="chart"><canvas></canvas></div><div class="empty"></div><div class="error"></div><footer></footer>`;
  element.querySelector("h3").textContent = panel.title;
  document.getElementById(panel.from === "run" ? "health" : "views").appendChild(element);
  return element;
}

function drawPanel(panel) {
  const element = card(panel);
  element.dataset.lastCommitted = panel.lastCommitted ?? "";
  element.dataset.points = String(panel.rows.length);
  const existing = dashboard.charts.get(panel.id);
  if (panel.error || panel.rows.length === 0) {
    element.dataset.state = panel.error ? "error" : "empty";
    element.querySelector(".error").textContent = panel.error ? `query failed: ${panel.error}` : "";
    element.querySelector(".empty").textContent = panel.empty ? `No data: ${panel.empty}` : "No data yet";
    if (existing) existing.destroy();
    dashboard.charts.delete(panel.id);
    return;
  }
  element.dataset.state = "drawn";
  const config = chartConfig(panel);
  if (existing && existing.config.type === config.type) {
    existing.data = config.data;
    existing.options = config.options;
    existing.update("none");
  } else {
    if (existing) existing.destroy();
    dashboard.charts.set(panel.id, new Chart(element.querySelector("canvas"), config));
  }
}

/** Every footer: when the panel's data was last committed. */
function stampFooters() {
  for (const element of document.querySelectorAll(".panel")) {
    const at = Number(element.dataset.lastCommitted);
    element.querySelector("footer").textContent = at ? `last committed ${clock(at)} (${ago(at)})` : "no commit recorded";
  }
}

function renderNav(names) {
  const nav = document.getElementById("pipelines");
  if (nav.childElementCount === names.length) return;
  nav.replaceChildren(...names.map((name) => {
    const link = document.createElement("a");
    link.href = `/${name}`;
    link.textContent = name;
    if (name === pipeline) link.setAttribute("aria-current", "page");
    return link;
  }));
}

let loading = null;
let again = false;

/** Fetches and draws the page; a commit announced during a load fetches once more after it. */
async function load() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    try {
      const response = await fetch(`/api/${encodeURIComponent(pipeline)}`, { cache: "no-store" });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      const data = await response.json();
      renderNav(data.pipelines);
      document.title = `${data.pipeline} · beam-video-analytics`;
      for (const panel of data.panels) drawPanel(panel);
      dashboard.data = data;
      dashboard.loads++;
      document.getElementById("status").textContent = `${data.source} · updated ${clock(Date.now())}`;
      stampFooters();
    } catch (error) {
      document.getElementById("status").textContent = `cannot load the panels: ${error.message}`;
    }
  })();
  await loading;
  loading = null;
  if (again) {
    again = false;
    await load();
  }
}

load();
setInterval(stampFooters, 1000);
new EventSource("/events").addEventListener("commit", () => load());
