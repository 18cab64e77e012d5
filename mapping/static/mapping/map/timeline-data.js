/*
 * The map's timeline: the histogram (timeline.js) fed from /api/v1/statistics/ with the
 * filters other than the dates, so it shows the whole period while the chosen range is
 * marked on it. It asks for the days only (breakdown=by_day), which the server computes
 * alone. The bars count incidents or killed, as state.metric says.
 *
 * While a request is out the container says so (data-state="loading", aria-busy and a
 * visible "Loading…"); a failure is said in words. Once the bars of an answer are drawn the
 * chart's data-drawn counter moves on and a performance mark "timeline-drawn" is set, which
 * the tests and bench/map_browser.py wait for.
 */
import { createTimeline } from "./timeline.js";

/**
 * options: svg, state, url (of /api/v1/statistics/), params() (the API parameters without
 * the dates), onSelect(from, to) (a range chosen on the timeline), strings, language.
 */
export function connectTimeline(options) {
  const { svg, state, url, params, onSelect } = options;
  const box = svg.closest("[data-timeline]") || svg.parentElement;
  const status = box.querySelector("[data-timeline-status]");
  const timeline = createTimeline(svg, {
    onSelect,
    strings: options.strings,
    language: options.language,
    summary: box.querySelector("[data-timeline-summary]"),
  });
  const S = options.strings || {};
  let byDay = [];
  let request = null;

  function show(stateName, text) {
    box.dataset.state = stateName;
    box.setAttribute("aria-busy", stateName === "loading" ? "true" : "false");
    if (status) {
      status.textContent = text || "";
      status.hidden = !text;
    }
  }

  function draw() {
    timeline.setData(byDay, state.metric, [state.filters.date_from, state.filters.date_to]);
    timeline.setSelection(state.filters.date_from, state.filters.date_to);
  }

  function load() {
    if (request) request.abort();
    const controller = new AbortController();
    request = controller;
    show("loading", S.timelineLoading);
    timeline.setSelection(state.filters.date_from, state.filters.date_to);
    const query = params();
    query.set("breakdown", "by_day");
    fetch(`${url}?${query.toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((data) => {
        if (controller !== request) return;
        byDay = data.by_day || [];
        draw();
        show("ready", byDay.length ? "" : S.timelineEmpty);
        if (window.performance && performance.mark) performance.mark("timeline-drawn");
      })
      .catch((error) => {
        if (controller !== request || error.name === "AbortError") return;
        show("failed", S.timelineFailed);
      });
  }

  return { draw, load };
}
