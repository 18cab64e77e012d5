/*
 * The dashboard's charts, drawn with SVG and DOM nodes (no chart library, no inline style
 * attribute: colours are SVG attributes or CSSOM properties). Each chart is drawn at the
 * width of its box, so its text keeps its size on a phone; the page draws again when the
 * box changes width. Time runs left to right in both languages, as dates do in the tables.
 *
 *   bandChart     killed per month: a bar from the low to the high, a line through the best,
 *                 a mark above the months with incidents that have no upper bound
 *   stackedChart  incidents per month, stacked by series (the largest ones, then "other")
 *   barList       horizontal bars in HTML, one a row, split in segments (reads RTL too)
 */
import { node } from "../map/dom.js";
import { monthName } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
export const PALETTE = [
  "#1f77b4",
  "#d95f02",
  "#7570b3",
  "#c2185b",
  "#4d8f1e",
  "#b8860b",
  "#17a2b8",
  "#8c564b",
];
export const OTHER_COLOUR = "#9e9e9e";
const HEIGHT = 220;
const MARGIN = { top: 16, right: 12, bottom: 26, left: 44 };

function svgNode(tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    element.setAttribute(name, String(value));
  }
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A round top for the y axis: 1, 2 or 5 times a power of ten, at least max. */
function niceMax(max) {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

function frame(width, labelledBy) {
  const svg = svgNode("svg", {
    class: "chart",
    width,
    height: HEIGHT,
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: "img",
    "aria-labelledby": labelledBy,
  });
  return svg;
}

/** The axes: y from 0 to top, x the months (a label every few, as many as fit). */
function axes(svg, width, months, top, x, step) {
  const bottom = HEIGHT - MARGIN.bottom;
  const y = (value) => bottom - (value / top) * (bottom - MARGIN.top);
  for (const value of [0, top / 2, top]) {
    svg.append(
      svgNode("line", {
        class: "chart-grid",
        x1: MARGIN.left,
        x2: width - MARGIN.right,
        y1: y(value),
        y2: y(value),
      }),
      svgNode(
        "text",
        { class: "chart-axis", x: MARGIN.left - 4, y: y(value) + 4, "text-anchor": "end" },
        String(Math.round(value))
      )
    );
  }
  // A label at most every 64 px: every month, or the years' first months.
  const every = Math.max(1, Math.ceil(64 / step));
  months.forEach((month, i) => {
    const yearly = every > 1;
    if (yearly ? !month.endsWith("-01") && i !== 0 : i % every !== 0) return;
    if (yearly && every > 12 && Number(month.slice(0, 4)) % Math.ceil(every / 12) !== 0) return;
    const label = yearly ? month.slice(0, 4) : monthName(month);
    svg.append(
      svgNode(
        "text",
        { class: "chart-axis", x: x(i) + step / 2, y: HEIGHT - 8, "text-anchor": "middle" },
        label
      )
    );
  });
  return y;
}

/** Killed per month as a low–high band with the best estimate. sums: the API's killed_by_month. */
export function bandChart(container, months, sums, labelledBy) {
  const width = Math.max(280, container.clientWidth);
  const svg = frame(width, labelledBy);
  const step = (width - MARGIN.left - MARGIN.right) / Math.max(1, months.length);
  const x = (i) => MARGIN.left + i * step;
  const y = axes(svg, width, months, niceMax(Math.max(0, ...sums.killed_high)), x, step);
  const band = Math.min(48, Math.max(1, step * 0.7)); // a lone month: a bar, not a wall
  const points = [];
  months.forEach((month, i) => {
    if (!sums.incidents[i]) return;
    const centre = x(i) + step / 2;
    svg.append(
      svgNode("rect", {
        class: "band",
        x: centre - band / 2,
        y: y(sums.killed_high[i]),
        width: band,
        height: Math.max(1, y(sums.killed_low[i]) - y(sums.killed_high[i])),
      })
    );
    points.push(`${centre},${y(sums.killed_best[i])}`);
    if (sums.killed_high_open[i] > 0) {
      svg.append(
        svgNode("path", {
          class: "open-mark",
          d: `M${centre - 4},${y(sums.killed_high[i]) - 3} l4,-7 l4,7 z`,
        })
      );
    }
  });
  if (points.length > 1) {
    svg.append(svgNode("polyline", { class: "best-line", points: points.join(" ") }));
  }
  if (months.length <= 36) {
    for (const point of points) {
      const [cx, cy] = point.split(",");
      svg.append(svgNode("circle", { class: "best-dot", cx, cy, r: 3 }));
    }
  }
  container.replaceChildren(svg);
}

/**
 * The series to draw: the largest `keep` of them, the rest summed into one ("other").
 * Returns [{name, colour, incidents}].
 */
export function drawnSeries(series, nameOf, otherName, keep = PALETTE.length - 1) {
  const shown = series.slice(0, series.length > keep + 1 ? keep : series.length);
  const drawn = shown.map((s, i) => ({
    name: nameOf(s),
    colour: PALETTE[i % PALETTE.length],
    incidents: s.incidents,
  }));
  const rest = series.slice(shown.length);
  if (rest.length) {
    const incidents = rest[0].incidents.map((_, i) => rest.reduce((n, s) => n + s.incidents[i], 0));
    drawn.push({ name: otherName, colour: OTHER_COLOUR, incidents });
  }
  return drawn;
}

/** Incidents per month stacked by series ([{name, colour, incidents: [per month]}]). */
export function stackedChart(container, months, series, labelledBy) {
  const width = Math.max(280, container.clientWidth);
  const svg = frame(width, labelledBy);
  const step = (width - MARGIN.left - MARGIN.right) / Math.max(1, months.length);
  const x = (i) => MARGIN.left + i * step;
  const totals = months.map((_, i) => series.reduce((n, s) => n + s.incidents[i], 0));
  const y = axes(svg, width, months, niceMax(Math.max(0, ...totals)), x, step);
  const bar = Math.min(64, Math.max(1, step * 0.8));
  months.forEach((_, i) => {
    let below = 0;
    for (const s of series) {
      const count = s.incidents[i];
      if (!count) continue;
      svg.append(
        svgNode("rect", {
          x: x(i) + (step - bar) / 2,
          y: y(below + count),
          width: bar,
          height: Math.max(0.5, y(below) - y(below + count)),
          fill: s.colour,
        })
      );
      below += count;
    }
  });
  const legend = node("ul", "chart-legend");
  for (const s of series) {
    const item = node("li");
    const mark = node("span", "swatch");
    mark.style.backgroundColor = s.colour;
    mark.setAttribute("aria-hidden", "true");
    item.append(mark, node("span", "", s.name));
    legend.append(item);
  }
  container.replaceChildren(svg, legend);
}

/**
 * Horizontal bars in HTML: rows [{label, detail, total, segments: [{value, colour}]}],
 * scaled to the largest total; the numbers are in the table beside.
 */
export function barList(container, rows, legendItems, labelledBy) {
  const max = Math.max(1, ...rows.map((row) => row.total));
  // An image to assistive technology, described by the chart's summary; the table under
  // it holds the same rows, readable.
  const image = node("div", "bar-chart");
  image.setAttribute("role", "img");
  image.setAttribute("aria-labelledby", labelledBy);
  const list = node("ol", "bar-list");
  image.append(list);
  for (const row of rows) {
    const item = node("li");
    const label = node("span", "bar-label", row.label);
    const track = node("span", "bar-track");
    for (const segment of row.segments) {
      if (!segment.value) continue;
      const part = node("span", "bar-segment");
      part.style.width = `${(100 * segment.value) / max}%`;
      part.style.backgroundColor = segment.colour;
      track.append(part);
    }
    item.append(label, track, node("span", "bar-value", row.detail));
    list.append(item);
  }
  const parts = [image];
  if (legendItems && legendItems.length) {
    const legend = node("ul", "chart-legend");
    for (const entry of legendItems) {
      const item = node("li");
      const mark = node("span", "swatch");
      mark.style.backgroundColor = entry.colour;
      mark.setAttribute("aria-hidden", "true");
      item.append(mark, node("span", "", entry.name));
      legend.append(item);
    }
    parts.push(legend);
  }
  container.replaceChildren(...parts);
}
