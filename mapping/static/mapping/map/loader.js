/*
 * Loading what a view shows from /api/v1/map/.
 *
 * Each view is asked for exactly (bbox and zoom), so figures and mode are the server's.
 * Once drawn, a wider area around it (half a view on each side) is fetched in the
 * background at the same zoom; a later pan that stays inside it is drawn at once from
 * that answer (the view and its near surroundings), without waiting for the network.
 * Such a view's list and totals are counted here from the answer's incidents (exact) or
 * cells (approximate at the edges, and marked so). A wider answer whose mode differs from
 * the view's is not used. A view asked for while an earlier request is still out aborts
 * that request.
 *
 * A filter the API refuses (a stale or mistyped address) comes back as 400 naming the
 * parameter and why; the map says which filter it is and offers to clear it.
 */
import { S, config } from "./config.js";
import { node } from "./dom.js";
import { FILTERS } from "./state.js";

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

function contains(outer, inner) {
  return (
    outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3]
  );
}

function inView(box, latitude, longitude) {
  return latitude >= box[1] && latitude <= box[3] && longitude >= box[0] && longitude <= box[2];
}

// What is drawn of a cached wider answer: the view and this much of its size around it on
// each side, as far as the map's canvas paints (its padding), so that a drag shows the
// neighbours at once without every shape and label of the wider answer being built.
const DRAWN_MARGIN = 0.3;

function grown(box, margin) {
  const w = (box[2] - box[0]) * margin;
  const h = (box[3] - box[1]) * margin;
  return [box[0] - w, box[1] - h, box[2] + w, box[3] + h];
}

/** The part of a cached wider answer that a view shows, with totals counted here. */
function viewOf(data, box) {
  const around = grown(box, DRAWN_MARGIN);
  // An open high adds its best and is counted, as the API's totals do.
  const totals = {
    incidents: 0,
    killed_low: 0,
    killed_best: 0,
    killed_high: 0,
    killed_high_open: 0,
  };
  if (data.mode === "cells") {
    for (const cell of data.cells) {
      if (!inView(box, cell.latitude, cell.longitude)) continue;
      totals.incidents += cell.count;
      totals.killed_low += cell.killed_low;
      totals.killed_best += cell.killed_best;
      totals.killed_high += cell.killed_high;
      totals.killed_high_open += cell.killed_high_open || 0;
    }
    const cells = data.cells.filter((cell) => inView(around, cell.latitude, cell.longitude));
    return { ...data, cells, totals, approximate: true };
  }
  const visible = data.incidents.filter((i) => inView(box, i.latitude, i.longitude));
  for (const incident of visible) {
    totals.incidents += 1;
    totals.killed_low += incident.killed_low || 0;
    totals.killed_best += incident.killed_best || 0;
    totals.killed_high += incident.killed_high_open
      ? incident.killed_best || 0
      : incident.killed_high || 0;
    if (incident.killed_high_open) totals.killed_high_open += 1;
  }
  // The view and its surroundings are drawn, so a drag shows neighbours at once; the list
  // and totals hold the view only.
  const drawn = data.incidents.filter((i) => inView(around, i.latitude, i.longitude));
  return { ...data, incidents: drawn, listed: visible, totals, approximate: false };
}

/**
 * The map asks for the compact layout: each incident a row of what the map draws and lists
 * (see points.fields), made here into the objects the layers, list and popups read. The
 * popup's other facts are fetched when it is opened (popups.js).
 */
function expanded(data) {
  if (!data || !data.points) return data;
  const { fields, rows } = data.points;
  const incidents = rows.map((row) => {
    const incident = {};
    fields.forEach((field, at) => {
      incident[field] = row[at];
    });
    incident.precision_radius_m = config.precisionRadius[incident.location_precision] ?? null;
    // Confidences come as a list beside the perpetrators; the layers and list read a map.
    const confidences = incident.perpetrator_confidences || [];
    incident.perpetrator_confidence = Object.fromEntries(
      (incident.perpetrators || []).map((slug, at) => [slug, confidences[at]]),
    );
    delete incident.perpetrator_confidences;
    return incident;
  });
  return { ...data, points: undefined, incidents };
}

/** The first filter a 400 answer's body names, with its reasons, or null. */
function refusedFilter(body) {
  if (!body || typeof body !== "object") return null;
  for (const name of FILTERS) {
    if (!(name in body)) continue;
    const reasons = Array.isArray(body[name]) ? body[name] : [body[name]];
    return { name, reason: reasons.map(String).join(" ") };
  }
  return null;
}

class Refused extends Error {
  constructor(body) {
    super("HTTP 400");
    this.body = body;
  }
}

/**
 * options: map, url (of /api/v1/map/), apiParams(extra) (the filters as API parameters),
 * element (marked aria-busy while loading), status (the line saying so), viewed(bbox)
 * (a view is about to be shown), show(data) (draw this answer), labelOf(name) (a filter's
 * label in the form, if it has one) and clearFilter(name) (drop a filter the API refused,
 * and load again).
 * Returns load(), which loads the map's current view.
 */
export function createLoader(options) {
  const { map, url, apiParams, element, status, viewed, show, labelOf, clearFilter } = options;
  let inFlight = null;
  let prefetching = null;
  const cache = []; // {key, zoom, bbox: [w, s, e, n], data}

  function filtersKey() {
    return apiParams({}).toString();
  }

  function remember(entry) {
    cache.unshift(entry);
    cache.length = Math.min(cache.length, CACHE_SIZE);
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
    const params = apiParams({ bbox: bboxText(wide), zoom: String(zoom), layout: "compact" });
    fetch(`${url}?${params.toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then(expanded)
      .then((data) => {
        if (prefetching === controller) prefetching = null;
        if (data && data.mode === mode) remember({ key, zoom, bbox: wide, data });
      })
      .catch(() => {});
  }

  function load() {
    if (inFlight) inFlight.abort();
    const box = clampedBounds(map.getBounds());
    const bbox = bboxText(box);
    const zoom = Math.max(0, Math.min(20, Math.round(map.getZoom())));
    const key = filtersKey();
    viewed(bbox);
    const hit = cache.find(
      (entry) => entry.key === key && entry.zoom === zoom && contains(entry.bbox, box)
    );
    if (hit) {
      inFlight = null;
      show(hit.bbox.join() === box.join() ? hit.data : viewOf(hit.data, box));
      element.removeAttribute("aria-busy");
      status.textContent = "";
      return;
    }
    if (prefetching) prefetching.abort();
    const controller = new AbortController();
    inFlight = controller;
    const params = apiParams({ bbox, zoom: String(zoom), layout: "compact" });
    element.setAttribute("aria-busy", "true");
    status.textContent = S.loading;
    fetch(`${url}?${params.toString()}`, {
      signal: controller.signal,
      headers: { Accept: "application/json" },
    })
      .then((response) => {
        if (response.status === 400) {
          return response.json().then(
            (body) => Promise.reject(new Refused(body)),
            () => Promise.reject(new Refused(null))
          );
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then(expanded)
      .then((data) => {
        if (controller !== inFlight) return;
        inFlight = null;
        remember({ key, zoom, bbox: box, data });
        show(data);
        element.removeAttribute("aria-busy");
        status.textContent = "";
        window.setTimeout(() => {
          if (!inFlight) prefetchAround(zoom, box, data.mode);
        }, 150);
      })
      .catch((error) => {
        if (error.name === "AbortError" || controller !== inFlight) return;
        inFlight = null;
        element.removeAttribute("aria-busy");
        const refused = error instanceof Refused ? refusedFilter(error.body) : null;
        if (refused) showRefused(refused);
        else status.textContent = S.loadFailed;
      });
  }

  function showRefused({ name, reason }) {
    const label = labelOf(name);
    const named = label ? `${label} (${name})` : name;
    const message = S.filterRefused.replace("%(name)s", named).replace("%(reason)s", reason);
    const clear = node("button", "map-status-action", S.clearFilter);
    clear.type = "button";
    clear.dataset.clearFilter = name;
    clear.addEventListener("click", () => clearFilter(name));
    status.replaceChildren(node("span", null, message), " ", clear);
  }

  return { load };
}
