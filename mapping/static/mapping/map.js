/*
 * The public map. It reads the API only: /api/v1/map/ for what to draw in the current view
 * (single incidents when few enough, else the server's grid of cells), /api/v1/statistics/
 * for the timeline, /api/v1/governorates.geojson for the outlines under the markers.
 *
 * The filters live in the page's URL, with the API's own parameter names, so a view can be
 * shared and the back button steps through filter changes (panning replaces the entry
 * instead of adding one). The public map always asks for published incidents only, even
 * for a signed-in researcher.
 *
 * Every text from the database goes into the page through textContent: popups, list and
 * legend are built from DOM nodes, never from HTML strings.
 *
 * When a response has been drawn the map sets data-drawn (a counter) on its element and a
 * performance mark "map-drawn", which the tests and bench/map_browser.py wait for.
 */
(function () {
  "use strict";

  const L = window.L;
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const S = config.strings;
  const FILTERS = [
    "date_from",
    "date_to",
    "event_type",
    "perpetrator",
    "governorate",
    "killed_min",
    "grade",
    "q",
    "episode", // set by links from episode pages; no field of its own
  ];
  const MULTI = new Set(["event_type", "perpetrator", "grade"]);
  const PRECISE = new Set(["exact", "neighbourhood"]);
  const PALETTE = [
    "#1f77b4",
    "#d95f02",
    "#7570b3",
    "#c2185b",
    "#4d8f1e",
    "#b8860b",
    "#8c564b",
    "#17a2b8",
    "#b2182b",
    "#5e3c99",
    "#00796b",
    "#616161",
  ];
  const SEVERAL_COLOUR = "#222222";
  const NONE_COLOUR = "#9e9e9e";
  const CELL_COLOUR = "#8a1c1c";
  const LIST_LIMIT = 250;

  const mapElement = document.querySelector("[data-map]");
  const form = document.getElementById("filters");
  const statusLine = document.querySelector("[data-map-status]");
  const listElement = document.querySelector("[data-incident-list]");
  const listNote = document.querySelector("[data-list-note]");
  const totalsNote = document.querySelector("[data-totals-approximate]");
  const arabic = config.language === "ar";

  // --- state and the URL ---------------------------------------------------------------------

  function emptyState() {
    return { filters: {}, color: "event_type", metric: "incidents", view: null };
  }

  function stateFromUrl() {
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

  function writeUrl(push) {
    const query = pageQuery(state);
    const url = window.location.pathname + (query ? "?" + query : "");
    if (url === window.location.pathname + window.location.search) return;
    if (push) window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
    const next = document.querySelector("[data-language-next]");
    if (next) next.value = url;
  }

  function apiParams(extra, options) {
    const params = new URLSearchParams();
    for (const name of FILTERS) {
      if (options && options.withoutDates && (name === "date_from" || name === "date_to")) {
        continue;
      }
      if (state.filters[name]) params.set(name, state.filters[name]);
    }
    params.set("status", "published");
    for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
    return params;
  }

  // --- the form ------------------------------------------------------------------------------

  function stateToForm() {
    for (const name of FILTERS) {
      const value = state.filters[name] || "";
      if (!form.elements[name] && !MULTI.has(name)) continue;
      if (MULTI.has(name)) {
        const chosen = new Set(value ? value.split(",") : []);
        for (const box of form.querySelectorAll(`input[name="${name}"]`)) {
          box.checked = chosen.has(box.value);
        }
      } else {
        form.elements[name].value = value;
      }
    }
    form.elements.color.value = state.color;
    form.elements.metric.value = state.metric;
  }

  function formToFilters() {
    const filters = {};
    for (const name of FILTERS) {
      let value;
      if (!form.elements[name] && !MULTI.has(name)) {
        value = state.filters[name] || "";
      } else if (MULTI.has(name)) {
        value = Array.from(form.querySelectorAll(`input[name="${name}"]:checked`))
          .map((box) => box.value)
          .join(",");
      } else {
        value = (form.elements[name].value || "").trim();
      }
      if (value) filters[name] = value;
    }
    if (filters.date_from && filters.date_to && filters.date_from > filters.date_to) {
      [filters.date_from, filters.date_to] = [filters.date_to, filters.date_from];
    }
    return filters;
  }

  function applyForm() {
    state.filters = formToFilters();
    state.color = form.elements.color.value === "perpetrator" ? "perpetrator" : "event_type";
    state.metric = form.elements.metric.value === "killed" ? "killed" : "incidents";
    stateToForm();
    writeUrl(true);
    loadView();
    loadTimeline();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    applyForm();
  });
  form.addEventListener("change", (event) => {
    // Text and number fields apply on Enter or when they lose focus (change); choices at once.
    if (event.target.name === "color") {
      state.color = event.target.value === "perpetrator" ? "perpetrator" : "event_type";
      writeUrl(true);
      redraw();
      return;
    }
    if (event.target.name === "metric") {
      state.metric = event.target.value === "killed" ? "killed" : "incidents";
      writeUrl(true);
      drawTimeline();
      return;
    }
    applyForm();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    state.filters = {};
    stateToForm();
    writeUrl(true);
    loadView();
    loadTimeline();
  });

  // --- the map -------------------------------------------------------------------------------

  let state = stateFromUrl();
  stateToForm();
  if (window.matchMedia("(max-width: 40rem)").matches) {
    // On a phone the map comes first; the filters fold away under it until asked for.
    form.closest("details").open = false;
  }

  const map = L.map(mapElement, {
    minZoom: config.minZoom,
    maxZoom: config.maxZoom,
    preferCanvas: true,
    zoomSnap: 1,
  });
  const tiles = config.tiles[0];
  if (tiles) {
    L.tileLayer(tiles.url, {
      attribution: tiles.attribution,
      maxZoom: tiles.maxZoom || config.maxZoom,
    }).addTo(map);
  }
  map.attributionControl.addAttribution("Natural Earth");
  L.control.scale({ imperial: false }).addTo(map);

  map.createPane("outlines");
  map.getPane("outlines").style.zIndex = "350";
  const outlineRenderer = L.canvas({ pane: "outlines" });
  const markerRenderer = L.canvas({ padding: 0.3 });
  const markers = L.layerGroup().addTo(map);

  if (state.view) {
    map.setView([state.view.lat, state.view.lon], state.view.z);
  } else {
    map.setView(config.center, config.zoom);
  }

  // --- colours and the legend ----------------------------------------------------------------

  const eventTypes = Object.keys(config.labels.event_type);
  const actors = Object.keys(config.actors);

  function colourOf(incident) {
    if (state.color === "perpetrator") {
      const named = incident.perpetrators || [];
      if (named.length === 0) return NONE_COLOUR;
      if (named.length > 1) return SEVERAL_COLOUR;
      const index = actors.indexOf(named[0]);
      return PALETTE[(index < 0 ? actors.length : index) % PALETTE.length];
    }
    const index = eventTypes.indexOf(incident.event_type);
    return PALETTE[(index < 0 ? eventTypes.length - 1 : index) % PALETTE.length];
  }

  function categoryOf(incident) {
    if (state.color === "perpetrator") {
      const named = incident.perpetrators || [];
      if (named.length === 0) return ["none", S.unknownPerpetrator, NONE_COLOUR];
      if (named.length > 1) return ["several", S.several, SEVERAL_COLOUR];
      return [named[0], config.actors[named[0]] || named[0], colourOf(incident)];
    }
    return [
      incident.event_type,
      config.labels.event_type[incident.event_type] || incident.event_type,
      colourOf(incident),
    ];
  }

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  }

  function swatch(colour, dashed) {
    const mark = node("span", dashed ? "swatch is-area" : "swatch");
    mark.style.borderColor = colour;
    mark.style.backgroundColor = dashed ? "transparent" : colour;
    return mark;
  }

  const legend = L.control({ position: "bottomright" });
  let legendBody = null;
  legend.onAdd = function () {
    const box = node("details", "map-legend");
    box.open = window.matchMedia("(min-width: 48rem)").matches;
    box.appendChild(node("summary", null, S.legend));
    legendBody = node("div", "map-legend-body");
    box.appendChild(legendBody);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);

  function drawLegend(response) {
    legendBody.replaceChildren();
    const list = node("ul");
    if (response.mode === "cells") {
      const item = node("li");
      item.appendChild(swatch(CELL_COLOUR, false));
      item.appendChild(document.createTextNode(S.cellLegend));
      list.appendChild(item);
    } else {
      const seen = new Map();
      for (const incident of response.incidents) {
        const [key, label, colour] = categoryOf(incident);
        if (!seen.has(key)) seen.set(key, [label, colour]);
      }
      for (const [label, colour] of seen.values()) {
        const item = node("li");
        item.appendChild(swatch(colour, false));
        item.appendChild(document.createTextNode(label));
        list.appendChild(item);
      }
      const precise = node("li", "legend-shape");
      precise.appendChild(swatch("#444", false));
      precise.appendChild(document.createTextNode(S.preciseLocation));
      const area = node("li", "legend-shape");
      area.appendChild(swatch("#444", true));
      area.appendChild(document.createTextNode(S.areaLocation));
      list.appendChild(precise);
      list.appendChild(area);
      list.appendChild(node("li", "legend-note", S.sizeLegend));
      if (response.incidents.some((incident) => enclosesView(radiusOf(incident)))) {
        list.appendChild(node("li", "legend-note", S.widerThanView));
      }
    }
    legendBody.appendChild(list);
  }

  // --- drawing -------------------------------------------------------------------------------

  let current = null; // the last response drawn
  const byId = new Map(); // public id -> {layer, item, incident}
  let drawCount = 0;

  function killedRadius(killed) {
    if (killed === null || killed === undefined) return 4;
    return Math.min(4 + 2.2 * Math.sqrt(killed), 34);
  }

  function metresPerPixel(lat, zoom) {
    return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / Math.pow(2, zoom + 8);
  }

  function radiusOf(incident) {
    const size = killedRadius(incident.killed_best);
    if (PRECISE.has(incident.location_precision) || !incident.precision_radius_m) return size;
    const area = incident.precision_radius_m / metresPerPixel(incident.latitude, map.getZoom());
    return Math.max(size, area);
  }

  // Dates and ranges read left to right in both languages: isolate them, or the Arabic
  // layout would show "100–100–101" as "101–100–100".
  function ltr(text) {
    return `\u2066${text}\u2069`;
  }

  function figures(low, best, high) {
    if (best === null || best === undefined) return S.killedUnknown;
    if (low === high) return String(best);
    return ltr(`${low}–${best}–${high}`);
  }

  function titleOf(incident) {
    return arabic && incident.title_ar ? incident.title_ar : incident.title;
  }

  function dateText(incident) {
    const range = ltr(
      incident.date_start === incident.date_end
        ? incident.date_start
        : `${incident.date_start} – ${incident.date_end}`
    );
    const precision = config.labels.date_precision[incident.date_precision];
    return precision ? `${range} (${precision})` : range;
  }

  function placeText(incident) {
    const precision = config.labels.location_precision[incident.location_precision];
    const place = incident.place_name || "—";
    return precision ? `${place} (${precision})` : place;
  }

  function incidentUrl(id) {
    return config.incidentUrl.replace("PUBLIC_ID", encodeURIComponent(id));
  }

  function popupFor(incident) {
    const box = node("div", "popup");
    const heading = node("h3", null, titleOf(incident));
    if (arabic && incident.title_ar) heading.lang = "ar";
    box.appendChild(heading);
    const facts = node("dl");
    const rows = [
      [S.date, dateText(incident)],
      [S.place, placeText(incident)],
      [S.killedRange, figures(incident.killed_low, incident.killed_best, incident.killed_high)],
      [
        S.perpetrators,
        (incident.perpetrators || []).map((slug) => config.actors[slug] || slug).join("; ") ||
          S.none,
      ],
      [S.grade, config.labels.grade[incident.grade] || incident.grade],
      [S.sources, incident.source_count],
    ];
    for (const [term, value] of rows) {
      facts.appendChild(node("dt", null, term));
      facts.appendChild(node("dd", null, value));
    }
    box.appendChild(facts);
    const link = node("a", "popup-link", S.openRecord);
    link.href = incidentUrl(incident.id);
    box.appendChild(link);
    return box;
  }

  function cellPopup(cell) {
    const box = node("div", "popup");
    box.appendChild(node("h3", null, S.cell));
    const facts = node("dl");
    facts.appendChild(node("dt", null, S.incidents));
    facts.appendChild(node("dd", null, cell.count));
    facts.appendChild(node("dt", null, S.killedRange));
    facts.appendChild(node("dd", null, figures(cell.killed_low, cell.killed_best, cell.killed_high)));
    box.appendChild(facts);
    const zoom = node("button", "popup-link", S.zoomIn);
    zoom.type = "button";
    zoom.addEventListener("click", () => {
      const [minLon, minLat, maxLon, maxLat] = cell.bounds;
      map.fitBounds([
        [minLat, minLon],
        [maxLat, maxLon],
      ]);
    });
    box.appendChild(zoom);
    return box;
  }

  // An area wider than this (pixels of radius) is drawn as its dashed outline only: a
  // translucent fill the size of the screen hides everything under it and costs the most
  // to paint.
  const OUTLINE_ONLY_RADIUS = 120;

  // An area whose radius exceeds the map's diagonal, around a point in view, encloses the
  // whole view: its ring could not be seen, and painting a circle thousands of pixels wide
  // is the slowest thing the map could do. It is listed, and the legend says why it is not
  // drawn.
  function enclosesView(radius) {
    const size = map.getSize();
    return radius > Math.hypot(size.x, size.y);
  }

  function styleFor(incident, highlighted) {
    const colour = colourOf(incident);
    const area = !PRECISE.has(incident.location_precision);
    const radius = radiusOf(incident);
    return {
      renderer: markerRenderer,
      radius,
      coreRadius: killedRadius(incident.killed_best),
      color: highlighted ? "#000000" : colour,
      weight: highlighted ? 3 : area ? 1.5 : 1,
      dashArray: area ? "4 3" : null,
      stroke: !(area && enclosesView(radius)),
      fill: !(area && radius > OUTLINE_ONLY_RADIUS),
      fillColor: colour,
      fillOpacity: area ? 0.18 : 0.65,
      opacity: 0.95,
    };
  }

  // A circle that answers the pointer on its outline and near its centre only, so that a
  // wide area does not take every hover and click inside it from the incidents it covers.
  const AreaMarker = L.CircleMarker.extend({
    _containsPoint(point) {
      const distance = point.distanceTo(this._point);
      const tolerance = this._clickTolerance() + 2;
      if (this._radius <= OUTLINE_ONLY_RADIUS) return distance <= this._radius + tolerance;
      return (
        distance <= this.options.coreRadius + tolerance ||
        Math.abs(distance - this._radius) <= tolerance
      );
    },
  });

  function setHighlight(id, on, options) {
    const entry = byId.get(id);
    if (!entry) return;
    entry.layer.setStyle(styleFor(entry.incident, on));
    if (on) entry.layer.bringToFront();
    if (entry.item) {
      entry.item.classList.toggle("is-highlighted", on);
      if (on && options && options.scroll) entry.item.scrollIntoView({ block: "nearest" });
    }
  }

  function drawIncidents(incidents) {
    // Largest first, so smaller circles lie on top and stay clickable.
    const ordered = incidents.slice().sort((a, b) => radiusOf(b) - radiusOf(a));
    for (const incident of ordered) {
      if (incident.latitude === null || incident.longitude === null) continue;
      const layer = new AreaMarker([incident.latitude, incident.longitude], styleFor(incident));
      layer.bindPopup(() => popupFor(incident), { maxWidth: 320 });
      layer.on("mouseover", () => setHighlight(incident.id, true, { scroll: true }));
      layer.on("mouseout", () => setHighlight(incident.id, false));
      layer.on("popupopen", () => setHighlight(incident.id, true, { scroll: true }));
      layer.on("popupclose", () => setHighlight(incident.id, false));
      markers.addLayer(layer);
      byId.set(incident.id, { layer, item: null, incident });
    }
  }

  function drawCells(cells) {
    const largest = Math.max(1, ...cells.map((cell) => cell.count));
    for (const cell of cells) {
      const radius = 5 + 22 * Math.sqrt(cell.count / largest);
      const layer = L.circleMarker([cell.latitude, cell.longitude], {
        renderer: markerRenderer,
        radius,
        color: CELL_COLOUR,
        weight: 1,
        fillColor: CELL_COLOUR,
        fillOpacity: 0.45,
      });
      layer.bindPopup(() => cellPopup(cell));
      layer.bindTooltip(node("span", null, `${cell.count} ${S.incidents}`), { direction: "top" });
      markers.addLayer(layer);
    }
  }

  function drawList(response) {
    listElement.replaceChildren();
    listNote.textContent = "";
    if (response.mode === "cells") {
      listNote.textContent = S.zoomInToList;
      return;
    }
    const listed = response.listed || response.incidents;
    if (!listed.length) {
      listNote.textContent = S.noIncidents;
      return;
    }
    for (const incident of listed.slice(0, LIST_LIMIT)) {
      const item = node("li", "incident-item");
      item.dataset.id = incident.id;
      const choose = node("button", "incident-choose");
      choose.type = "button";
      const mark = swatch(colourOf(incident), !PRECISE.has(incident.location_precision));
      choose.appendChild(mark);
      const title = node("span", "incident-title", titleOf(incident));
      if (arabic && incident.title_ar) title.lang = "ar";
      choose.appendChild(title);
      const meta = node(
        "span",
        "incident-meta",
        `${dateText(incident)} · ${S.killed}: ${figures(
          incident.killed_low,
          incident.killed_best,
          incident.killed_high
        )}`
      );
      choose.appendChild(meta);
      choose.addEventListener("mouseenter", () => setHighlight(incident.id, true));
      choose.addEventListener("mouseleave", () => setHighlight(incident.id, false));
      choose.addEventListener("focus", () => setHighlight(incident.id, true));
      choose.addEventListener("blur", () => setHighlight(incident.id, false));
      choose.addEventListener("click", () => {
        const entry = byId.get(incident.id);
        if (!entry) return;
        entry.layer.openPopup();
      });
      item.appendChild(choose);
      const link = node("a", "incident-link", incident.id);
      link.href = incidentUrl(incident.id);
      item.appendChild(link);
      listElement.appendChild(item);
      const entry = byId.get(incident.id);
      if (entry) entry.item = item;
    }
    const rest = listed.length - LIST_LIMIT;
    if (rest > 0) listNote.textContent = `+${rest} ${S.moreNotListed}`;
  }

  function drawTotals(totals, approximate) {
    for (const key of ["incidents", "killed_low", "killed_best", "killed_high"]) {
      const cell = document.querySelector(`[data-total="${key}"]`);
      if (cell) cell.textContent = (approximate ? "≈ " : "") + String(totals[key]);
    }
    totalsNote.hidden = !approximate;
  }

  function updateDownloads(bbox) {
    const params = apiParams(bbox ? { bbox } : {});
    for (const link of document.querySelectorAll("[data-download]")) {
      const base = link.dataset.download === "csv" ? config.api.csv : config.api.geojson;
      link.href = `${base}?${params.toString()}`;
    }
  }

  function redraw() {
    if (!current) return;
    map.closePopup();
    markers.clearLayers();
    byId.clear();
    if (current.mode === "cells") drawCells(current.cells);
    else drawIncidents(current.incidents);
    drawList(current);
    drawLegend(current);
    drawTotals(current.totals, current.approximate);
    mapElement.dataset.mode = current.mode;
    // Leaflet paints its canvas in the next animation frame; say "drawn" after that paint.
    window.requestAnimationFrame(() => {
      drawCount += 1;
      mapElement.dataset.drawn = String(drawCount);
      if (window.performance && performance.mark) performance.mark("map-drawn");
      mapElement.dispatchEvent(new CustomEvent("map:drawn"));
    });
  }

  // --- loading -------------------------------------------------------------------------------
  //
  // Each view is asked for exactly (bbox and zoom), so figures and mode are the server's.
  // Once drawn, a wider area around it (half a view on each side) is fetched in the
  // background at the same zoom; a later pan that stays inside it is drawn at once from
  // that answer, without waiting for the network. Such a view's list and totals are
  // counted here from the answer's incidents (exact) or cells (approximate at the edges,
  // and marked so). A wider answer whose mode differs from the view's is not used.

  let inFlight = null;
  let prefetching = null;
  const cache = []; // {key, zoom, bbox: [w, s, e, n], data}
  const CACHE_SIZE = 6;

  function clampedBounds(bounds) {
    const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
    return [
      clamp(bounds.getWest(), -180, 180),
      clamp(bounds.getSouth(), -90, 90),
      clamp(bounds.getEast(), -180, 180),
      clamp(bounds.getNorth(), -90, 90),
    ];
  }

  function bboxText(box) {
    return box.map((value) => value.toFixed(4)).join(",");
  }

  function filtersKey() {
    return apiParams({}).toString();
  }

  function contains(outer, inner) {
    return (
      outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3]
    );
  }

  function remember(entry) {
    cache.unshift(entry);
    cache.length = Math.min(cache.length, CACHE_SIZE);
  }

  function inView(box, latitude, longitude) {
    return latitude >= box[1] && latitude <= box[3] && longitude >= box[0] && longitude <= box[2];
  }

  /** The part of a cached wider answer that a view shows, with totals counted here. */
  function viewOf(data, box) {
    const totals = { incidents: 0, killed_low: 0, killed_best: 0, killed_high: 0 };
    if (data.mode === "cells") {
      for (const cell of data.cells) {
        if (!inView(box, cell.latitude, cell.longitude)) continue;
        totals.incidents += cell.count;
        totals.killed_low += cell.killed_low;
        totals.killed_best += cell.killed_best;
        totals.killed_high += cell.killed_high;
      }
      return { ...data, totals, approximate: true };
    }
    const visible = data.incidents.filter((i) => inView(box, i.latitude, i.longitude));
    for (const incident of visible) {
      totals.incidents += 1;
      totals.killed_low += incident.killed_low || 0;
      totals.killed_best += incident.killed_best || 0;
      totals.killed_high += incident.killed_high || 0;
    }
    // All of the wider answer is drawn, so panning further shows neighbours at once; the
    // list and totals hold the view only.
    return { ...data, listed: visible, totals, approximate: false };
  }

  function prefetchAround(zoom, box, mode) {
    if (prefetching) prefetching.abort();
    const w = box[2] - box[0];
    const h = box[3] - box[1];
    const wide = [
      Math.max(-180, box[0] - w / 2),
      Math.max(-90, box[1] - h / 2),
      Math.min(180, box[2] + w / 2),
      Math.min(90, box[3] + h / 2),
    ];
    const key = filtersKey();
    const controller = new AbortController();
    prefetching = controller;
    const params = apiParams({ bbox: bboxText(wide), zoom: String(zoom) });
    fetch(`${config.api.map}?${params.toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (prefetching === controller) prefetching = null;
        if (data && data.mode === mode) remember({ key, zoom, bbox: wide, data });
      })
      .catch(() => {});
  }

  function loadView() {
    if (inFlight) inFlight.abort();
    const box = clampedBounds(map.getBounds());
    const bbox = bboxText(box);
    const zoom = Math.max(0, Math.min(20, Math.round(map.getZoom())));
    const key = filtersKey();
    updateDownloads(bbox);
    const hit = cache.find(
      (entry) => entry.key === key && entry.zoom === zoom && contains(entry.bbox, box)
    );
    if (hit) {
      inFlight = null;
      current = hit.bbox.join() === box.join() ? hit.data : viewOf(hit.data, box);
      redraw();
      mapElement.removeAttribute("aria-busy");
      statusLine.textContent = "";
      return;
    }
    if (prefetching) prefetching.abort();
    const controller = new AbortController();
    inFlight = controller;
    const params = apiParams({ bbox, zoom: String(zoom) });
    mapElement.setAttribute("aria-busy", "true");
    statusLine.textContent = S.loading;
    fetch(`${config.api.map}?${params.toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then((data) => {
        if (controller !== inFlight) return;
        inFlight = null;
        remember({ key, zoom, bbox: box, data });
        current = data;
        redraw();
        mapElement.removeAttribute("aria-busy");
        statusLine.textContent = "";
        window.setTimeout(() => {
          if (!inFlight) prefetchAround(zoom, box, data.mode);
        }, 150);
      })
      .catch((error) => {
        if (error.name === "AbortError") return;
        mapElement.removeAttribute("aria-busy");
        statusLine.textContent = S.loadFailed;
      });
  }

  map.on("moveend", () => {
    const centre = map.getCenter();
    state.view = { lat: centre.lat, lon: centre.lng, z: Math.round(map.getZoom()) };
    writeUrl(false);
    loadView();
  });
  map.on("zoomstart", () => {
    // Shapes sized for the old zoom would be repainted at the new one only to be replaced
    // by the next answer (or the cached one) a moment later: clear them instead.
    map.closePopup();
    markers.clearLayers();
    byId.clear();
  });

  // --- the timeline --------------------------------------------------------------------------

  const timelineSvg = document.getElementById("timeline");
  let byDay = [];
  const timeline = window.IncidentTimeline.create(timelineSvg, {
    onSelect(from, to) {
      form.elements.date_from.value = from;
      form.elements.date_to.value = to;
      applyForm();
    },
  });

  function drawTimeline() {
    timeline.setData(byDay, state.metric);
    timeline.setSelection(state.filters.date_from, state.filters.date_to);
  }

  let timelineRequest = null;
  function loadTimeline() {
    if (timelineRequest) timelineRequest.abort();
    const controller = new AbortController();
    timelineRequest = controller;
    timeline.setSelection(state.filters.date_from, state.filters.date_to);
    fetch(`${config.api.statistics}?${apiParams({}, { withoutDates: true }).toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : { by_day: [] }))
      .then((data) => {
        if (controller !== timelineRequest) return;
        byDay = data.by_day || [];
        drawTimeline();
      })
      .catch(() => {});
  }

  window.addEventListener("popstate", () => {
    state = stateFromUrl();
    stateToForm();
    if (state.view) {
      const centre = map.getCenter();
      const moved =
        Math.abs(centre.lat - state.view.lat) > 1e-4 ||
        Math.abs(centre.lng - state.view.lon) > 1e-4 ||
        Math.round(map.getZoom()) !== state.view.z;
      if (moved) {
        map.setView([state.view.lat, state.view.lon], state.view.z);
        loadTimeline();
        return; // moveend loads the view
      }
    }
    loadView();
    loadTimeline();
  });

  // The element the tests and benchmark read; also handy from the console.
  mapElement.incidentMap = { map, state: () => state, byId, shapes: () => markers.getLayers().length };

  loadView();
  fetch(config.api.governorates)
    .then((response) => (response.ok ? response.json() : null))
    .then((outlines) => {
      if (!outlines) return;
      L.geoJSON(outlines, {
        pane: "outlines",
        renderer: outlineRenderer,
        interactive: false,
        style: {
          color: "#55606b",
          weight: 1.2,
          fillColor: "#efe9dc",
          fillOpacity: 0.35,
        },
      }).addTo(map);
    })
    .catch(() => {});
  // The timeline waits for the first paint of the map, which matters more.
  mapElement.addEventListener("map:drawn", loadTimeline, { once: true });
})();
