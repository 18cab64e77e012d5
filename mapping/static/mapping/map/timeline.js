/*
 * The timeline histogram under the date filters: one bar per day (incidents or killed, best
 * estimate; an incident counts on the first day of its date range), drawn as SVG from the
 * statistics endpoint's by_day rows, with dated ticks under it. Dragging across it chooses a
 * date range; from the keyboard, the arrow keys move a chosen day in their direction on the
 * screen (so in Arabic, where time runs from right to left, the left arrow goes to a later
 * day), Shift with an arrow widens the range, Page Up/Down move a week, Home/End go to the
 * ends, Enter applies the range and Escape goes back to the range applied.
 * The axis covers the days with incidents and the filter's range (so a day after the last
 * incident can be chosen), and at least MIN_DAYS days, so that one day never fills the
 * chart. A text summary beside it says what the bars show, for screen readers.
 * It knows nothing of the map: timeline-data.js feeds it and hears its selection.
 */
const SVG_NS = "http://www.w3.org/2000/svg";
const DAY_MS = 86400000;
const HEIGHT = 84;
const AXIS = 18;
const MIN_DAYS = 14;
const MAX_BAR = 14;
const LABEL_PX = 72; // room for one tick's label

function parseDay(text) {
  const [y, m, d] = text.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

export function formatDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function el(name, attrs) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  return node;
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
}

// The tick steps, finest first: [unit, count].
const STEPS = [
  ["day", 1],
  ["day", 2],
  ["day", 7],
  ["day", 14],
  ["month", 1],
  ["month", 3],
  ["month", 6],
  ["year", 1],
  ["year", 2],
  ["year", 5],
  ["year", 10],
];

/** The days (ms) that start a tick of the step, from first to last. */
function ticksOf(first, last, [unit, count]) {
  const ticks = [];
  if (unit === "day") {
    // Weeks and fortnights start on a Monday; single days on every day.
    let ms = first;
    if (count >= 7) {
      while (new Date(ms).getUTCDay() !== 1) ms += DAY_MS;
    }
    for (; ms <= last; ms += count * DAY_MS) ticks.push(ms);
    return ticks;
  }
  const start = new Date(first);
  let year = start.getUTCFullYear();
  let month = unit === "year" ? 0 : start.getUTCMonth();
  if (unit === "year") year = Math.ceil(year / count) * count;
  else month = Math.ceil(month / count) * count;
  for (;;) {
    const ms = Date.UTC(year, month, 1);
    if (ms > last) break;
    if (ms >= first) ticks.push(ms);
    if (unit === "year") year += count;
    else month += count;
  }
  return ticks;
}

/**
 * Draws into svg. options: onSelect(from, to) hears a range chosen (dragged, or Enter);
 * strings (the page's interface strings); language; summary (an element for the text
 * summary).
 */
export function createTimeline(svg, options) {
  const S = options.strings || {};
  const rtl = document.documentElement.dir === "rtl";
  const locale = (options.language || "en") + "-u-nu-latn";
  const dayFormat = new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
  const monthFormat = new Intl.DateTimeFormat(locale, {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const yearFormat = new Intl.DateTimeFormat(locale, { year: "numeric", timeZone: "UTC" });
  const longFormat = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" });

  let values = new Map(); // ms -> value
  let metric = "incidents";
  let hasData = false;
  let first = 0;
  let last = 0;
  let selection = null; // [fromMs, toMs], the range applied (either end may be infinite)
  let pending = null; // [fromMs, toMs], chosen from the keyboard, not applied yet
  let anchor = null; // the end of the pending range that Shift+arrow keeps
  let cursor = null; // the end that moves
  let drag = null;
  let drawn = 0;

  svg.setAttribute("tabindex", "0");
  svg.setAttribute("role", "slider");
  svg.setAttribute("aria-orientation", "horizontal");

  function span() {
    return Math.round((last - first) / DAY_MS) + 1;
  }

  function width() {
    return Math.max(svg.clientWidth || svg.getBoundingClientRect().width || 240, 120);
  }

  /** The left edge of a day's slot. */
  function xOf(ms, w) {
    const slot = w / span();
    const index = Math.round((ms - first) / DAY_MS);
    return rtl ? w - (index + 1) * slot : index * slot;
  }

  function dayAt(clientX) {
    const box = svg.getBoundingClientRect();
    const w = box.width || width();
    let x = clientX - box.left;
    if (rtl) x = w - x;
    const index = Math.min(span() - 1, Math.max(0, Math.floor((x / w) * span())));
    return first + index * DAY_MS;
  }

  function clampDay(ms) {
    return Math.min(last, Math.max(first, ms));
  }

  function rangeText(range) {
    const [from, to] = range;
    if (from === to) return longFormat.format(from);
    return `${longFormat.format(from)} – ${longFormat.format(to)}`;
  }

  function valueIn(range) {
    let total = 0;
    for (const [ms, value] of values) if (ms >= range[0] && ms <= range[1]) total += value;
    return total;
  }

  function what() {
    return metric === "killed" ? S.killed || "killed" : S.incidents || "incidents";
  }

  function describe() {
    const shown = pending || (selection && [clampDay(selection[0]), clampDay(selection[1])]);
    svg.setAttribute("aria-valuemin", "0");
    svg.setAttribute("aria-valuemax", String(Math.max(0, span() - 1)));
    const focus = cursor !== null ? cursor : shown ? shown[1] : last;
    svg.setAttribute("aria-valuenow", String(Math.round((focus - first) / DAY_MS)));
    if (!hasData) {
      svg.setAttribute("aria-valuetext", S.timelineEmpty || "");
      return;
    }
    const range = shown || [first, last];
    let text = `${rangeText(range)}: ${valueIn(range)} ${what()}`;
    if (pending) text += ". " + (S.timelineChosen || "");
    svg.setAttribute("aria-valuetext", text);
  }

  function summarise() {
    if (!options.summary) return;
    if (!hasData) {
      options.summary.textContent = S.timelineEmpty || "";
      return;
    }
    let total = 0;
    let peak = null;
    for (const [ms, value] of values) {
      total += value;
      if (value > 0 && (!peak || value > peak[1])) peak = [ms, value];
    }
    options.summary.textContent = fill(S.timelineSummary || "", {
      total,
      what: what(),
      first: longFormat.format(first),
      last: longFormat.format(last),
      peak: peak ? longFormat.format(peak[0]) : "–",
      peakValue: peak ? peak[1] : 0,
    });
  }

  function drawTicks(w, chartHeight) {
    const perDay = w / span();
    const step = STEPS.find(([unit, count]) => {
      const days = unit === "day" ? count : unit === "month" ? count * 30 : count * 365;
      return days * perDay >= LABEL_PX;
    }) || STEPS[STEPS.length - 1];
    const format = step[0] === "day" ? dayFormat : step[0] === "month" ? monthFormat : yearFormat;
    const axis = el("g", { class: "timeline-ticks", "aria-hidden": "true" });
    axis.appendChild(el("line", { x1: 0, x2: w, y1: chartHeight, y2: chartHeight }));
    for (const ms of ticksOf(first, last, step)) {
      // A tick stands at the start of its day: the left edge of the slot, the right in RTL.
      const x = rtl ? xOf(ms, w) + perDay : xOf(ms, w);
      axis.appendChild(el("line", { x1: x, x2: x, y1: chartHeight, y2: chartHeight + 4 }));
      const label = el("text", {
        x: Math.min(w - 2, Math.max(2, x)),
        y: HEIGHT - 3,
        class: "timeline-axis",
        "text-anchor": x < LABEL_PX / 2 ? "start" : x > w - LABEL_PX / 2 ? "end" : "middle",
      });
      label.textContent = format.format(ms);
      axis.appendChild(label);
    }
    svg.appendChild(axis);
  }

  function drawRange(range, w, chartHeight, className) {
    const from = Math.max(range[0], first);
    const to = Math.min(range[1], last);
    if (from > to) return;
    const a = xOf(from, w);
    const b = xOf(to, w);
    svg.appendChild(
      el("rect", {
        class: className,
        x: Math.min(a, b),
        y: 0,
        width: Math.abs(b - a) + w / span(),
        height: chartHeight,
      })
    );
  }

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const w = width();
    svg.setAttribute("viewBox", `0 0 ${w} ${HEIGHT}`);
    svg.setAttribute("height", String(HEIGHT));
    describe();
    if (!hasData) {
      drawn += 1;
      svg.dataset.drawn = String(drawn);
      return;
    }
    const days = span();
    // Over a long period, days are summed into bins of about two pixels.
    const perBin = Math.max(1, Math.ceil(days / Math.max(1, Math.floor(w / 2))));
    const bins = [];
    for (let start = first; start <= last; start += perBin * DAY_MS) {
      const end = Math.min(last, start + (perBin - 1) * DAY_MS);
      let value = 0;
      for (let ms = start; ms <= end; ms += DAY_MS) value += values.get(ms) || 0;
      bins.push({ ms: start, end, value });
    }
    const slot = (w / days) * perBin;
    const barWidth = Math.min(MAX_BAR, Math.max(slot - (days < 60 ? 2 : 0), 1));
    const max = Math.max(1, ...bins.map((d) => d.value));
    const chartHeight = HEIGHT - AXIS;
    if (selection) drawRange(selection, w, chartHeight, "timeline-selection");
    if (pending) drawRange(pending, w, chartHeight, "timeline-pending");
    for (const day of bins) {
      if (!day.value) continue;
      const h = Math.max(1, (day.value / max) * (chartHeight - 2));
      const inRange = !selection || (day.end >= selection[0] && day.ms <= selection[1]);
      const left = rtl ? xOf(day.end, w) : xOf(day.ms, w);
      const bar = el("rect", {
        class: inRange ? "timeline-bar" : "timeline-bar is-outside",
        x: left + (slot - barWidth) / 2,
        y: chartHeight - h,
        width: barWidth,
        height: h,
      });
      const title = el("title");
      const when = day.end === day.ms ? rangeText([day.ms, day.ms]) : rangeText([day.ms, day.end]);
      title.textContent = `${when}: ${day.value} ${what()}`;
      bar.appendChild(title);
      svg.appendChild(bar);
    }
    drawTicks(w, chartHeight);
    drawn += 1;
    svg.dataset.drawn = String(drawn);
  }

  svg.addEventListener("pointerdown", (event) => {
    if (!hasData) return;
    drag = { start: dayAt(event.clientX) };
    svg.setPointerCapture(event.pointerId);
    pending = null;
    cursor = null;
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

  function startPending() {
    if (pending) return;
    const from = selection ? clampDay(selection[0]) : last;
    const to = selection ? clampDay(selection[1]) : last;
    pending = [from, to];
    anchor = from;
    cursor = to;
  }

  svg.addEventListener("keydown", (event) => {
    if (!hasData) return;
    // Visual direction: right is later in English, earlier in Arabic.
    const forward = rtl ? -1 : 1;
    const moves = {
      ArrowRight: forward,
      ArrowLeft: -forward,
      ArrowUp: 1,
      ArrowDown: -1,
      PageUp: 7,
      PageDown: -7,
    };
    if (event.key in moves || event.key === "Home" || event.key === "End") {
      event.preventDefault();
      startPending();
      let next;
      if (event.key === "Home") next = first;
      else if (event.key === "End") next = last;
      else next = clampDay(cursor + moves[event.key] * DAY_MS);
      cursor = next;
      if (!event.shiftKey) anchor = next;
      pending = [Math.min(anchor, cursor), Math.max(anchor, cursor)];
      draw();
    } else if (event.key === "Enter" && pending) {
      event.preventDefault();
      selection = pending;
      pending = null;
      draw();
      options.onSelect(formatDay(selection[0]), formatDay(selection[1]));
    } else if (event.key === "Escape" && pending) {
      event.preventDefault();
      pending = null;
      cursor = null;
      draw();
    }
  });
  svg.addEventListener("blur", () => {
    // A range chosen but not applied is forgotten, as Escape would.
    if (!pending) return;
    pending = null;
    cursor = null;
    draw();
  });
  window.addEventListener("resize", draw);

  return {
    /**
     * rows: by_day rows of the statistics endpoint; metric: "incidents" or "killed";
     * range: [from, to] (YYYY-MM-DD or empty), the days the axis must cover as well.
     */
    setData(rows, nextMetric, range) {
      metric = nextMetric;
      values = new Map();
      for (const row of rows) {
        values.set(parseDay(row.date), metric === "killed" ? row.killed_best : row.incidents);
      }
      const ends = [...values.keys()];
      for (const day of range || []) if (day) ends.push(parseDay(day));
      hasData = rows.length > 0;
      if (ends.length) {
        first = Math.min(...ends);
        last = Math.max(...ends);
        // At least MIN_DAYS days, around the ones there are.
        const missing = MIN_DAYS - span();
        if (missing > 0) {
          first -= Math.floor(missing / 2) * DAY_MS;
          last += Math.ceil(missing / 2) * DAY_MS;
        }
      }
      pending = null;
      cursor = null;
      draw();
      summarise();
    },
    setSelection(from, to) {
      const next =
        !from && !to ? null : [from ? parseDay(from) : -Infinity, to ? parseDay(to) : Infinity];
      // The same range again (as after setData, which drew it): no second drawing of every
      // bar.
      const same =
        drawn > 0 &&
        (next === null
          ? selection === null
          : selection !== null && selection[0] === next[0] && selection[1] === next[1]);
      selection = next;
      if (!same) draw();
    },
  };
}
