/*
 * What the map draws for an answer of /api/v1/map/: single incidents, or the server's grid
 * cells when a view holds too many. An incident with a precise location is a filled circle
 * sized by its best killed estimate; an imprecise one is drawn honestly as the area it
 * stands for (a dashed circle of the precision's radius, at least as large as the point
 * would be). Leaflet is the global L of django-leaflet's classic script, which runs first.
 */
import { CELL_COLOUR, colourOf } from "./colours.js";
import { node, revealInPanel } from "./dom.js";
import { S } from "./config.js";
import { cellPopup, incidentPopup, stackPopup } from "./popups.js";

const L = window.L;
const PRECISE = new Set(["exact", "neighbourhood"]);

// An area wider than this (pixels of radius) is drawn as its dashed outline only: a
// translucent fill the size of the screen hides everything under it and costs the most
// to paint.
const OUTLINE_ONLY_RADIUS = 120;

/** Whether the incident's location stands for an area rather than a point. */
export function isArea(incident) {
  return !PRECISE.has(incident.location_precision);
}

function killedRadius(killed) {
  if (killed === null || killed === undefined) return 4;
  return Math.min(4 + 2.2 * Math.sqrt(killed), 34);
}

function metresPerPixel(lat, zoom) {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / Math.pow(2, zoom + 8);
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

// Incidents at the same coordinates (a town's centre, a governorate's) would hide each
// other: they are a stack, and a click on it offers them all.
function pointKey(incident) {
  return `${incident.latitude},${incident.longitude}`;
}

/**
 * The layer of incidents and cells on map, coloured as state.color says. byId maps a public
 * id to {layer, item, incident}; the list fills in item, the entry in the list.
 * openIncident(id) opens an incident's popup; a click on a stack opens the list of it.
 */
export function createLayers(map, state) {
  const renderer = L.canvas({ padding: 0.3 });
  const markers = L.layerGroup().addTo(map);
  const byId = new Map();
  const stacks = new Map(); // pointKey -> the incidents there, in the answer's order
  // One popup serves incidents and stacks; shown is the incident it highlights.
  const popup = L.popup({ maxWidth: 320 });
  let shown = null;

  function radiusOf(incident) {
    const size = killedRadius(incident.killed_best);
    if (!isArea(incident) || !incident.precision_radius_m) return size;
    const area = incident.precision_radius_m / metresPerPixel(incident.latitude, map.getZoom());
    return Math.max(size, area);
  }

  // An area whose radius exceeds the map's diagonal, around a point in view, encloses the
  // whole view: its ring could not be seen, and painting a circle thousands of pixels wide
  // is the slowest thing the map could do. It is listed, and the legend says why it is not
  // drawn.
  function enclosesView(radius) {
    const size = map.getSize();
    return radius > Math.hypot(size.x, size.y);
  }

  function styleFor(incident, highlighted) {
    const colour = colourOf(incident, state.color);
    const area = isArea(incident);
    const radius = radiusOf(incident);
    return {
      renderer,
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

  function setHighlight(id, on, options) {
    const entry = byId.get(id);
    if (!entry) return;
    entry.layer.setStyle(styleFor(entry.incident, on));
    if (on) entry.layer.bringToFront();
    if (entry.item) {
      entry.item.classList.toggle("is-highlighted", on);
      if (on && options && options.scroll) revealInPanel(entry.item);
    }
  }

  function highlightShown(id) {
    if (shown && shown !== id) setHighlight(shown, false);
    shown = id;
    if (id) setHighlight(id, true, { scroll: true });
  }

  map.on("popupclose", (event) => {
    if (event.popup === popup) highlightShown(null);
  });

  function openAt(latlng, content) {
    popup.setLatLng(latlng).setContent(content);
    if (!map.hasLayer(popup)) popup.openOn(map);
  }

  function openStack(stack) {
    highlightShown(null);
    openAt([stack[0].latitude, stack[0].longitude], stackPopup(stack, openIncident));
  }

  function openIncident(id) {
    const entry = byId.get(id);
    if (!entry) return;
    const stack = stacks.get(pointKey(entry.incident)) || [];
    const back = stack.length > 1 ? () => openStack(stack) : null;
    openAt(entry.layer.getLatLng(), incidentPopup(entry.incident, back));
    highlightShown(id);
  }

  function drawIncidents(incidents) {
    for (const incident of incidents) {
      if (incident.latitude === null || incident.longitude === null) continue;
      const key = pointKey(incident);
      if (!stacks.has(key)) stacks.set(key, []);
      stacks.get(key).push(incident);
    }
    // Largest first, so smaller circles lie on top and stay clickable.
    const ordered = incidents.slice().sort((a, b) => radiusOf(b) - radiusOf(a));
    for (const incident of ordered) {
      if (incident.latitude === null || incident.longitude === null) continue;
      const layer = new AreaMarker([incident.latitude, incident.longitude], styleFor(incident));
      layer.on("click", () => {
        const stack = stacks.get(pointKey(incident));
        if (stack.length > 1) openStack(stack);
        else openIncident(incident.id);
      });
      layer.on("mouseover", () => setHighlight(incident.id, true, { scroll: true }));
      layer.on("mouseout", () => {
        if (shown !== incident.id) setHighlight(incident.id, false);
      });
      markers.addLayer(layer);
      byId.set(incident.id, { layer, item: null, incident });
    }
  }

  function drawCells(cells) {
    const largest = Math.max(1, ...cells.map((cell) => cell.count));
    for (const cell of cells) {
      const radius = 5 + 22 * Math.sqrt(cell.count / largest);
      const layer = L.circleMarker([cell.latitude, cell.longitude], {
        renderer,
        radius,
        color: CELL_COLOUR,
        weight: 1,
        fillColor: CELL_COLOUR,
        fillOpacity: 0.45,
      });
      layer.bindPopup(() => cellPopup(cell, map));
      layer.bindTooltip(node("span", null, `${cell.count} ${S.incidents}`), { direction: "top" });
      markers.addLayer(layer);
    }
  }

  function clear() {
    map.closePopup();
    markers.clearLayers();
    byId.clear();
    stacks.clear();
  }

  /** Draws an answer (mode "incidents" or "cells") in place of what was drawn. */
  function draw(response) {
    clear();
    if (response.mode === "cells") drawCells(response.cells);
    else drawIncidents(response.incidents);
  }

  return {
    byId,
    draw,
    clear,
    setHighlight,
    openIncident,
    /** Whether the incident is an area too wide to see in this view (the legend says so). */
    enclosesView: (incident) => enclosesView(radiusOf(incident)),
    count: () => markers.getLayers().length,
  };
}
