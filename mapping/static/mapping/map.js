/*
 * The public map: the page's entry module, which builds the map and wires the modules of
 * map/ together. It reads the API only: /api/v1/map/ for what to draw in the current view
 * (single incidents when few enough, else the server's grid of cells), /api/v1/statistics/
 * for the timeline, /api/v1/governorates.geojson for the outlines under the markers and
 * /api/v1/districts.geojson for the outlines of district-level incidents' areas.
 *
 *   map/config.js     the page's configuration (json_script "map-config")
 *   map/state.js      the state and the page's URL
 *   map/filters.js    the filters form
 *   map/base.js       tiles and governorate outlines (shared with incident_map.js)
 *   map/layers.js     incident markers and areas, grid cells (map/shapes.js the shapes,
 *                     map/cells.js a cell's count, name and popup)
 *   map/popups.js     popups; map/text.js how an incident reads; map/colours.js colours
 *   map/legend.js     the legend; map/list.js the list, totals and downloads
 *   map/loader.js     loading views, with a cache of wider answers for panning
 *   map/timeline-data.js and map/timeline.js   the timeline under the filters
 *   map/share.js      the feed link, embed code and chips, all with the current filters
 *
 * When a response has been drawn the map sets a performance mark "map-drawn" (its shapes
 * are painted), then, once the list beside it is drawn too, data-drawn (a counter) on its
 * element: bench/map_browser.py times the mark, the tests wait for the counter.
 *
 * A module script runs after the page is parsed and after the classic scripts before it,
 * so Leaflet (django-leaflet's leaflet.js, the global L) is there when this runs.
 */
import { addOutlines, addTiles, fetchOutlines } from "./map/base.js";
import { config, S } from "./map/config.js";
import { connectFilters } from "./map/filters.js";
import { createLayers } from "./map/layers.js";
import { createLegend } from "./map/legend.js";
import { createPanel } from "./map/list.js";
import { createLoader } from "./map/loader.js";
import { createShare } from "./map/share.js";
import { accessiblePopups } from "./map/popups.js";
import { filterParams, stateFromUrl, writeUrl } from "./map/state.js";
import { connectTimeline } from "./map/timeline-data.js";

const L = window.L;
const mapElement = document.querySelector("[data-map]");
const form = document.getElementById("filters");

const state = stateFromUrl();

// The public map always asks for published incidents only, even for a signed-in researcher.
function apiParams(extra, options) {
  const params = filterParams(state, options);
  params.set("status", "published");
  for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
  return params;
}

// The map and its first request come first; the filters' form, the sharing links and the
// timeline are wired in a task after it (see the end of this module), so that neither
// task is long. Until then these are null.
let filters = null;
let share = null;
let timeline = null;

const phone = window.matchMedia("(max-width: 40rem)").matches;
if (phone) {
  // On a phone the map comes first; the filters fold away under it until asked for.
  form.closest("details").open = false;
  // The filters lie below the map: once applied (or cleared), the map they change is
  // brought back into view.
  const showMap = () => mapElement.closest(".map-area").scrollIntoView({ block: "start" });
  form.addEventListener("submit", showMap);
  form.addEventListener("reset", showMap);
}
// On a touch screen the page scrolls past the map: one finger scrolls the page, as it does
// everywhere else, and two fingers move and zoom the map (the hint on the map says so).
const touchPhone = phone && (navigator.maxTouchPoints > 0 || "ontouchstart" in window);

const map = L.map(mapElement, {
  minZoom: config.minZoom,
  maxZoom: config.maxZoom,
  preferCanvas: true,
  zoomSnap: 1,
  dragging: !touchPhone,
});
addTiles(map, config.tiles, config.maxZoom);
L.control.scale({ imperial: false }).addTo(map);

map.createPane("outlines");
map.getPane("outlines").style.zIndex = "350";
const outlineRenderer = L.canvas({ pane: "outlines" });
const layers = createLayers(map, state, {
  // A cell's incidents, newest first, a page at a time: the list API with its bounds.
  cellPage: (cell) =>
    `${config.api.list}?${apiParams({
      bbox: cell.bounds.join(","),
      ordering: "-date_start",
      page_size: "10",
    }).toString()}`,
});
accessiblePopups(map);

if (state.view) {
  map.setView([state.view.lat, state.view.lon], state.view.z);
} else {
  map.setView(config.center, config.zoom);
}

const legend = createLegend(map, state, layers);
const panel = createPanel(
  {
    list: document.querySelector("[data-incident-list]"),
    note: document.querySelector("[data-list-note]"),
    approximate: document.querySelector("[data-totals-approximate]"),
  },
  state,
  layers,
  map
);

let current = null; // the last response drawn
let drawCount = 0;
let redraws = 0;

function redraw() {
  if (!current) return;
  const shown = current;
  redraws += 1;
  const mine = redraws;
  layers.draw(shown);
  legend.draw(shown);
  panel.drawTotals(shown.totals, shown.approximate);
  mapElement.dataset.mode = shown.mode;
  // Leaflet paints its canvas in the next animation frame: the map is drawn after that
  // paint. The list beside it (up to 250 entries to build and lay out) follows in tasks
  // of its own (list.js builds it a chunk per task), so that the page is never held by
  // one long task doing both; once it is whole the map says "drawn".
  window.requestAnimationFrame(() => {
    if (window.performance && performance.mark) performance.mark("map-drawn");
    window.setTimeout(() => {
      if (mine !== redraws) return; // a newer answer is being drawn
      panel.drawList(shown).then((whole) => {
        if (!whole || mine !== redraws) return;
        drawCount += 1;
        mapElement.dataset.drawn = String(drawCount);
        mapElement.dispatchEvent(new CustomEvent("map:drawn"));
      });
    }, 0);
  });
}

const loader = createLoader({
  map,
  url: config.api.map,
  apiParams,
  element: mapElement,
  status: document.querySelector("[data-map-status]"),
  viewed: (bbox) => panel.updateDownloads(apiParams({ bbox })),
  show(data) {
    current = data;
    redraw();
  },
  labelOf(name) {
    const field = form.querySelector(`[name="${name}"]`);
    if (!field) return "";
    const legend = field.type === "checkbox" && field.closest("fieldset")?.querySelector("legend");
    const label = legend || (field.labels && field.labels[0]);
    return label ? label.textContent.trim() : "";
  },
  clearFilter(name) {
    // The refused value goes from the address too, in place: stepping back to it would fail.
    delete state.filters[name];
    writeUrl(state, false);
    if (filters) filters.show();
    if (share) share.update();
    loader.load();
    if (timeline) timeline.load();
  },
});

map.on("moveend", () => {
  const centre = map.getCenter();
  state.view = { lat: centre.lat, lon: centre.lng, z: Math.round(map.getZoom()) };
  writeUrl(state, false);
  if (share) share.update();
  loader.load();
});
// Shapes sized for the old zoom would be repainted at the new one only to be replaced by
// the next answer (or the cached one) a moment later: clear them instead.
map.on("zoomstart", () => layers.clear());

// The element the tests and benchmark read; also handy from the console.
mapElement.incidentMap = {
  map,
  state: () => state,
  byId: layers.byId,
  shapes: layers.count,
  cellLabels: layers.cellLabels,
  cells: layers.cells,
  areasDrawn: layers.areasDrawn,
  areaBounds: layers.areaBounds,
};

loader.load();
addOutlines(map, config.api.governorates, {
  pane: "outlines",
  renderer: outlineRenderer,
  style: { color: "#55606b", weight: 1.2, fillColor: "#efe9dc", fillOpacity: 0.35 },
}).then((outlines) => {
  // An incident located only to its governorate is drawn as that governorate's outline.
  if (!outlines) return;
  layers.useOutlines(outlines);
  if (current && current.mode === "incidents") {
    if (current.incidents.some((i) => i.location_precision === "governorate")) redraw();
  }
});
// An incident located only to its district is drawn as that district's outline; the
// districts are not drawn otherwise.
fetchOutlines(config.api.districts).then((outlines) => {
  if (!outlines) return;
  layers.useOutlines(outlines, "district");
  if (current && current.mode === "incidents") {
    if (current.incidents.some((i) => i.location_precision === "district")) redraw();
  }
});

// The rest in a task of its own, while the map's request is out.
await new Promise((resolve) => window.setTimeout(resolve, 0));

filters = connectFilters(form, state, {
  filtered() {
    share.update();
    loader.load();
    timeline.load();
  },
  coloured: redraw,
  measured: () => timeline.draw(),
});
filters.show();
share = createShare(state, {
  removed() {
    filters.show();
    writeUrl(state, true);
    share.update();
    loader.load();
    timeline.load();
  },
});

timeline = connectTimeline({
  svg: document.getElementById("timeline"),
  state,
  url: config.api.statistics,
  params: () => apiParams({}, { withoutDates: true }),
  strings: S,
  language: config.language,
  onSelect(from, to) {
    form.elements.date_from.value = from;
    form.elements.date_to.value = to;
    filters.apply();
  },
});

window.addEventListener("popstate", () => {
  Object.assign(state, stateFromUrl());
  filters.show();
  share.update();
  if (state.view) {
    const centre = map.getCenter();
    const moved =
      Math.abs(centre.lat - state.view.lat) > 1e-4 ||
      Math.abs(centre.lng - state.view.lon) > 1e-4 ||
      Math.round(map.getZoom()) !== state.view.z;
    if (moved) {
      map.setView([state.view.lat, state.view.lon], state.view.z);
      timeline.load();
      return; // moveend loads the view
    }
  }
  loader.load();
  timeline.load();
});

// The timeline waits for the first paint of the map, which matters more.
if (drawCount > 0) timeline.load();
else mapElement.addEventListener("map:drawn", timeline.load, { once: true });
