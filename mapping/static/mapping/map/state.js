/*
 * The map's state and the page's URL. The filters live in the URL with the API's own
 * parameter names, so a view can be shared and the back button steps through filter changes
 * (panning replaces the history entry instead of adding one). One state object serves the
 * whole page; it is changed in place, never replaced, so every module sees the same one.
 */
export const FILTERS = [
  "date_from",
  "date_to",
  "event_type",
  "perpetrator",
  "perpetrator_confidence",
  "governorate",
  "killed_min",
  "grade",
  "q",
  "episode", // set by links from episode pages; no field of its own
];
// Filters chosen with several checkboxes, sent as one comma-separated value.
export const MULTI = new Set(["event_type", "perpetrator", "grade"]);

function emptyState() {
  return { filters: {}, color: "event_type", metric: "incidents", view: null };
}

export function stateFromUrl() {
  const params = new URLSearchParams(window.location.search);
  const state = emptyState();
  for (const name of FILTERS) {
    const value = (params.get(name) || "").trim();
    if (value) state.filters[name] = value;
  }
  if (params.get("color") === "perpetrator") state.color = "perpetrator";
  if (params.get("metric") === "killed") state.metric = "killed";
  const lat = Number(params.get("lat"));
  const lon = Number(params.get("lon"));
  const z = Number(params.get("z"));
  if (params.has("lat") && params.has("lon") && params.has("z")) {
    if (Number.isFinite(lat) && Number.isFinite(lon) && Number.isInteger(z)) {
      state.view = { lat, lon, z };
    }
  }
  return state;
}

function pageQuery(state) {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    if (state.filters[name]) params.set(name, state.filters[name]);
  }
  if (state.color !== "event_type") params.set("color", state.color);
  if (state.metric !== "incidents") params.set("metric", state.metric);
  if (state.view) {
    params.set("lat", state.view.lat.toFixed(4));
    params.set("lon", state.view.lon.toFixed(4));
    params.set("z", String(state.view.z));
  }
  return params.toString();
}

/** push: a new history entry (a filter change) instead of replacing the current one. */
export function writeUrl(state, push) {
  const query = pageQuery(state);
  const url = window.location.pathname + (query ? "?" + query : "");
  if (url === window.location.pathname + window.location.search) return;
  if (push) window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
  // The language switcher returns to the same view.
  const next = document.querySelector("[data-language-next]");
  if (next) next.value = url;
}

/** The filters as API parameters; withoutDates for the timeline, which shows every date. */
export function filterParams(state, options) {
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    if (options && options.withoutDates && (name === "date_from" || name === "date_to")) {
      continue;
    }
    if (state.filters[name]) params.set(name, state.filters[name]);
  }
  return params;
}
