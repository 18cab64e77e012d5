/*
 * The dashboard: charts of the incidents matching the map's filters. The filters are the
 * map's own (map/state.js keeps them in the URL with the API's parameter names, and
 * map/filters.js connects the form), so a view moves between the map and the dashboard
 * with its filters. The figures come from /api/v1/dashboard/ in one request, always for
 * published incidents; each chart gets a one-sentence summary written from its numbers, a
 * data table and a link to its CSV file.
 *
 * When an answer has been drawn, the page's [data-dashboard] element gets data-drawn (a
 * counter), which the tests wait for.
 */
import { config } from "./map/config.js";
import { node } from "./map/dom.js";
import { connectFilters } from "./map/filters.js";
import { filterParams, stateFromUrl, writeUrl } from "./map/state.js";
import { barList, bandChart, drawnSeries, PALETTE, stackedChart } from "./dashboard/charts.js";
import { D, fill, high, monthName, nameOf, number, withinOf } from "./dashboard/format.js";
import { fillTable } from "./dashboard/tables.js";

const root = document.querySelector("[data-dashboard]");
const form = document.getElementById("filters");
const status = document.querySelector("[data-status]");
const mapLink = document.querySelector("[data-map-link]");
const state = stateFromUrl();
const CONFIDENCE_COLOURS = { confirmed: "#7a1a1a", probable: "#c0504d", alleged: "#e8a9a7" };
const labels = config.labels;

let current = null;
let drawCount = 0;
let request = 0;

function apiParams() {
  const params = filterParams(state);
  params.set("status", "published");
  return params;
}

function section(chart) {
  const element = document.querySelector(`[data-chart="${chart}"]`);
  return {
    element,
    summary: element.querySelector("[data-summary]"),
    figure: element.querySelector("[data-figure]"),
    table: element.querySelector("[data-table]"),
    csv: element.querySelector("[data-csv]"),
  };
}

function peakOf(values) {
  let peak = 0;
  values.forEach((value, i) => {
    if (value > values[peak]) peak = i;
  });
  return peak;
}

function sum(values) {
  return values.reduce((n, v) => n + v, 0);
}

function drawTotals(totals) {
  for (const [name, value] of Object.entries(totals)) {
    const cell = root.querySelector(`[data-total="${name}"]`);
    if (!cell) continue;
    cell.textContent = name === "killed_high" ? high(value, totals.killed_high_open) : number(value);
  }
}

function drawKilled(data) {
  const part = section("killed-by-month");
  const { months, totals } = data;
  const sums = data.killed_by_month;
  if (!totals.incidents) {
    part.summary.textContent = D.noData;
  } else {
    const peak = peakOf(sums.killed_best);
    const active = months.filter((_, i) => sums.incidents[i]);
    let text = fill(D.bandSummary, {
      first: monthName(active[0]),
      last: monthName(active[active.length - 1]),
      incidents: totals.incidents,
      low: totals.killed_low,
      best: totals.killed_best,
      high: high(totals.killed_high, totals.killed_high_open),
      peak: monthName(months[peak]),
      peakBest: sums.killed_best[peak],
    });
    if (totals.killed_high_open) text += " " + fill(D.bandOpen, { open: totals.killed_high_open });
    part.summary.textContent = text;
  }
  bandChart(part.figure, months, sums, part.summary.id);
  if (totals.killed_high_open) part.figure.append(node("p", "hint", D.openMark));
  const rows = [];
  months.forEach((month, i) => {
    if (!sums.incidents[i]) return;
    rows.push([
      monthName(month),
      number(sums.incidents[i]),
      number(sums.killed_low[i]),
      number(sums.killed_best[i]),
      high(sums.killed_high[i], sums.killed_high_open[i]),
      number(sums.killed_high_open[i]),
    ]);
  });
  fillTable(part.table, [D.month, D.incidents, D.killedLow, D.killedBest, D.killedHigh, D.openHighs], rows);
}

function drawMonthly(chart, data, series, vocabulary) {
  const part = section(chart);
  const { months, totals } = data;
  const name = (s) => nameOf(s, vocabulary);
  if (!totals.incidents || !series.length) {
    part.summary.textContent = D.noData;
  } else {
    const top = series[0];
    const perMonth = months.map((_, i) => sum(series.map((s) => s.incidents[i])));
    const peak = peakOf(perMonth);
    part.summary.textContent = fill(D.seriesSummary, {
      incidents: totals.incidents,
      top: name(top),
      topCount: top.totals.incidents,
      share: Math.round((100 * top.totals.incidents) / totals.incidents),
      peak: monthName(months[peak]),
      peakCount: perMonth[peak],
    });
  }
  stackedChart(part.figure, months, drawnSeries(series, name, D.other), part.summary.id);
  const head = [D.month, ...series.map(name), D.total];
  const rows = [];
  months.forEach((month, i) => {
    const counts = series.map((s) => s.incidents[i]);
    const all = sum(counts);
    if (all) rows.push([monthName(month), ...counts.map(number), number(all)]);
  });
  if (rows.length) {
    rows.push([D.total, ...series.map((s) => number(s.totals.incidents)), number(totals.incidents)]);
  }
  fillTable(part.table, head, rows);
}

function drawPerpetrators(data) {
  const part = section("perpetrators");
  const series = data.perpetrators;
  const confidences = Object.keys(CONFIDENCE_COLOURS);
  const confidenceName = (c) => labels.confidence[c] || c;
  if (!series.length) {
    part.summary.textContent = D.noPerpetrator;
  } else {
    const top = series[0];
    part.summary.textContent = fill(D.perpetratorSummary, {
      top: nameOf(top),
      count: top.totals.incidents,
      confirmed: top.confidence_totals.confirmed || 0,
      probable: top.confidence_totals.probable || 0,
      alleged: top.confidence_totals.alleged || 0,
    });
  }
  barList(
    part.figure,
    series.map((s) => ({
      label: nameOf(s),
      detail: number(s.totals.incidents),
      total: s.totals.incidents,
      segments: confidences.map((c) => ({
        value: s.confidence_totals[c] || 0,
        colour: CONFIDENCE_COLOURS[c],
      })),
    })),
    confidences.map((c) => ({ name: confidenceName(c), colour: CONFIDENCE_COLOURS[c] })),
    part.summary.id
  );
  fillTable(
    part.table,
    [D.perpetrator, ...confidences.map(confidenceName), D.all, D.killedBest],
    series.map((s) => [
      nameOf(s),
      ...confidences.map((c) => number(s.confidence_totals[c] || 0)),
      number(s.totals.incidents),
      number(s.totals.killed_best),
    ])
  );
}

function drawPlaces(data) {
  const part = section("places");
  const places = data.top_places;
  if (!places.length) {
    part.summary.textContent = data.totals.incidents ? D.noPlaces : D.noData;
  } else {
    const top = places[0];
    part.summary.textContent = fill(D.placesSummary, {
      top: nameOf(top),
      best: top.totals.killed_best,
      incidents: top.totals.incidents,
    });
  }
  barList(
    part.figure,
    places.map((p) => ({
      label: nameOf(p),
      detail: number(p.totals.killed_best),
      total: p.totals.killed_best,
      segments: [{ value: p.totals.killed_best, colour: PALETTE[0] }],
    })),
    [],
    part.summary.id
  );
  fillTable(
    part.table,
    [D.place, D.within, D.incidents, D.killedLow, D.killedBest, D.killedHigh, D.openHighs],
    places.map((p) => [
      nameOf(p),
      withinOf(p),
      number(p.totals.incidents),
      number(p.totals.killed_low),
      number(p.totals.killed_best),
      high(p.totals.killed_high, p.totals.killed_high_open),
      number(p.totals.killed_high_open),
    ])
  );
}

function draw() {
  if (!current) return;
  drawTotals(current.totals);
  drawKilled(current);
  drawMonthly("event-types", current, current.event_types, labels.event_type);
  drawMonthly("governorates", current, current.governorates);
  drawPerpetrators(current);
  drawPlaces(current);
  drawCount += 1;
  root.dataset.drawn = String(drawCount);
}

function updateLinks() {
  const query = apiParams().toString();
  for (const link of document.querySelectorAll("[data-csv]")) {
    const chart = link.closest("[data-chart]").dataset.chart;
    link.href = `${config.api.dashboardCsv.replace("CHART", chart)}?${query}`;
  }
  const filters = filterParams(state).toString();
  mapLink.href = config.mapUrl + (filters ? `?${filters}` : "");
}

async function load() {
  updateLinks();
  const mine = ++request;
  status.textContent = D.loading;
  root.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(`${config.api.dashboard}?${apiParams()}`, {
      headers: { Accept: "application/json" },
    });
    const body = await response.json();
    if (mine !== request) return;
    if (response.status === 400) {
      const [name, reasons] = Object.entries(body)[0] || ["", [""]];
      status.textContent = fill(D.refused, { name, reason: [].concat(reasons).join(" ") });
      root.dataset.refused = name;
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    delete root.dataset.refused;
    current = body;
    status.textContent = "";
    draw();
  } catch (error) {
    if (mine === request) status.textContent = D.loadFailed;
  } finally {
    if (mine === request) root.removeAttribute("aria-busy");
  }
}

const filters = connectFilters(form, state, { filtered: load, coloured() {}, measured() {} });
filters.show();
if (window.matchMedia("(max-width: 40rem)").matches) {
  // On a phone the charts come first; the filters fold away until asked for.
  form.closest("details").open = false;
}

window.addEventListener("popstate", () => {
  Object.assign(state, stateFromUrl());
  filters.show();
  load();
});

// Charts are drawn at their box's width: draw again when it changes (a phone turned).
let lastWidth = root.clientWidth;
new ResizeObserver(() => {
  if (root.clientWidth === lastWidth) return;
  lastWidth = root.clientWidth;
  window.requestAnimationFrame(draw);
}).observe(root);

// writeUrl keeps the language switcher's return address; nothing to push on arrival.
writeUrl(state, false);
load();
