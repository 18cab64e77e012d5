/*
 * The map's timeline: the histogram (timeline.js) fed from /api/v1/statistics/ with the
 * filters other than the dates, so it shows the whole period while the chosen range is
 * marked on it. The bars count incidents or killed, as state.metric says.
 */
import { createTimeline } from "./timeline.js";

/**
 * options: svg, state, url (of /api/v1/statistics/), params() (the API parameters without
 * the dates) and onSelect(from, to) (a range dragged on the timeline).
 */
export function connectTimeline(options) {
  const { svg, state, url, params, onSelect } = options;
  const timeline = createTimeline(svg, { onSelect });
  let byDay = [];
  let request = null;

  function draw() {
    timeline.setData(byDay, state.metric);
    timeline.setSelection(state.filters.date_from, state.filters.date_to);
  }

  function load() {
    if (request) request.abort();
    const controller = new AbortController();
    request = controller;
    timeline.setSelection(state.filters.date_from, state.filters.date_to);
    fetch(`${url}?${params().toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : { by_day: [] }))
      .then((data) => {
        if (controller !== request) return;
        byDay = data.by_day || [];
        draw();
      })
      .catch(() => {});
  }

  return { draw, load };
}
