/*
 * The timeline histogram under the date filters: one bar per day (incidents or killed, best
 * estimate), drawn as SVG from the statistics endpoint's by_day rows. Dragging across it
 * chooses a date range; the date inputs beside it are the keyboard's way to do the same.
 * It knows nothing of the map: timeline-data.js feeds it and hears its selection.
 */
const SVG_NS = "http://www.w3.org/2000/svg";
const DAY_MS = 86400000;
const HEIGHT = 70;
const AXIS = 14;

function parseDay(text) {
  const [y, m, d] = text.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

function formatDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function el(name, attrs) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  return node;
}

/** Draws into svg; options.onSelect(from, to) hears a range chosen by dragging. */
export function createTimeline(svg, options) {
  let days = []; // [{ms, value}]
  let first = 0;
  let last = 0;
  let selection = null; // [fromMs, toMs]
  let drag = null;
  const rtl = document.documentElement.dir === "rtl";

  function width() {
    return Math.max(svg.clientWidth || svg.getBoundingClientRect().width || 240, 120);
  }

  function xOf(ms, w) {
    const span = (last - first) / DAY_MS + 1;
    const x = ((ms - first) / DAY_MS / span) * w;
    return rtl ? w - x - w / span : x;
  }

  function dayAt(clientX) {
    const box = svg.getBoundingClientRect();
    const w = box.width || width();
    let x = clientX - box.left;
    if (rtl) x = w - x;
    const span = Math.round((last - first) / DAY_MS) + 1;
    const index = Math.min(span - 1, Math.max(0, Math.floor((x / w) * span)));
    return first + index * DAY_MS;
  }

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const w = width();
    svg.setAttribute("viewBox", `0 0 ${w} ${HEIGHT}`);
    svg.setAttribute("height", String(HEIGHT));
    if (!days.length) return;
    const span = Math.round((last - first) / DAY_MS) + 1;
    // Over a long period, days are summed into bins of about two pixels.
    const perBin = Math.max(1, Math.ceil(span / Math.max(1, Math.floor(w / 2))));
    const bins = [];
    for (let index = 0; index < days.length; index += perBin) {
      const slice = days.slice(index, index + perBin);
      bins.push({
        ms: slice[0].ms,
        end: slice[slice.length - 1].ms,
        value: slice.reduce((sum, day) => sum + day.value, 0),
      });
    }
    const barWidth = Math.max((w / span) * perBin - (span < 60 ? 2 : 0), 1);
    const max = Math.max(1, ...bins.map((d) => d.value));
    const chartHeight = HEIGHT - AXIS;
    if (selection) {
      const from = Math.max(selection[0], first);
      const to = Math.min(selection[1], last);
      if (from <= to) {
        const a = xOf(from, w);
        const b = xOf(to, w);
        svg.appendChild(
          el("rect", {
            class: "timeline-selection",
            x: Math.min(a, b),
            y: 0,
            width: Math.abs(b - a) + w / span,
            height: chartHeight,
          })
        );
      }
    }
    for (const day of bins) {
      if (!day.value) continue;
      const h = Math.max(1, (day.value / max) * (chartHeight - 2));
      const inRange = !selection || (day.end >= selection[0] && day.ms <= selection[1]);
      const bar = el("rect", {
        class: inRange ? "timeline-bar" : "timeline-bar is-outside",
        x: rtl ? xOf(day.end, w) : xOf(day.ms, w),
        y: chartHeight - h,
        width: barWidth,
        height: h,
      });
      const title = el("title");
      const when =
        day.end === day.ms ? formatDay(day.ms) : `${formatDay(day.ms)} – ${formatDay(day.end)}`;
      title.textContent = `${when}: ${day.value}`;
      bar.appendChild(title);
      svg.appendChild(bar);
    }
    const startLabel = el("text", { x: rtl ? w - 2 : 2, y: HEIGHT - 2, class: "timeline-axis" });
    startLabel.textContent = formatDay(first);
    const endLabel = el("text", {
      x: rtl ? 2 : w - 2,
      y: HEIGHT - 2,
      class: "timeline-axis",
      "text-anchor": "end",
    });
    endLabel.textContent = formatDay(last);
    if (rtl) startLabel.setAttribute("text-anchor", "end");
    if (rtl) endLabel.setAttribute("text-anchor", "start");
    svg.appendChild(startLabel);
    if (last !== first) svg.appendChild(endLabel);
  }

  svg.addEventListener("pointerdown", (event) => {
    if (!days.length) return;
    drag = { start: dayAt(event.clientX) };
    svg.setPointerCapture(event.pointerId);
    selection = [drag.start, drag.start];
    draw();
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const here = dayAt(event.clientX);
    selection = [Math.min(drag.start, here), Math.max(drag.start, here)];
    draw();
  });
  function finish(event) {
    if (!drag) return;
    const here = dayAt(event.clientX);
    selection = [Math.min(drag.start, here), Math.max(drag.start, here)];
    drag = null;
    draw();
    options.onSelect(formatDay(selection[0]), formatDay(selection[1]));
  }
  svg.addEventListener("pointerup", finish);
  svg.addEventListener("pointercancel", () => {
    drag = null;
  });
  window.addEventListener("resize", draw);

  return {
    /** rows: by_day rows of the statistics endpoint; metric: "incidents" or "killed". */
    setData(rows, metric) {
      const values = new Map();
      for (const row of rows) {
        values.set(parseDay(row.date), metric === "killed" ? row.killed_best : row.incidents);
      }
      days = [];
      if (rows.length) {
        first = Math.min(...values.keys());
        last = Math.max(...values.keys());
        for (let ms = first; ms <= last; ms += DAY_MS) {
          days.push({ ms, value: values.get(ms) || 0 });
        }
      }
      draw();
    },
    setSelection(from, to) {
      if (!from && !to) {
        selection = null;
      } else {
        selection = [from ? parseDay(from) : -Infinity, to ? parseDay(to) : Infinity];
      }
      draw();
    },
  };
}
