/*
 * What the map draws for an answer of /api/v1/map/: single incidents, or the server's grid
 * cells when a view holds too many.
 *
 * An incident is a marker sized by its best killed estimate, coloured as the form says and
 * shaped by its event type (colour is never the only channel). One located only to an area
 * has a dashed outline, and its area is drawn honestly, as the area it stands for: the
 * outline of its governorate or district when that is all that is known, else a dashed
 * circle of its precision's radius. Areas overlap into an unreadable tangle once there are many, so they
 * are all drawn only while few are in view (AREAS_ALWAYS); otherwise an incident's area is
 * drawn while it is hovered or selected. Areas never take the pointer from the markers.
 *
 * A cell is a circle sized by its count and labelled with it (abbreviated); a click lists
 * its incidents (see cells.js).
 *
 * Everything is painted on one canvas; an answer replaces the shapes drawn, and cell
 * labels are reused from one answer to the next instead of being rebuilt. Leaflet is the
 * global L of django-leaflet's classic script, which runs first.
 */
import { CELL_COLOUR, HIGHLIGHT_COLOUR, colourOf, shapeOf } from "./colours.js";
import { node, revealInPanel } from "./dom.js";
import { cellName, cellPopup, countLabel } from "./cells.js";
import { incidentPopup, stackPopup } from "./popups.js";
import { traceShape } from "./shapes.js";

const L = window.L;
const PRECISE = new Set(["exact", "neighbourhood"]);

// Up to this many areas in an answer, all are drawn; above it, only the one hovered or
// selected.
export const AREAS_ALWAYS = 12;

/** Whether the incident's location stands for an area rather than a point. */
export function isArea(incident) {
  return !PRECISE.has(incident.location_precision);
}

function killedRadius(killed) {
  if (killed === null || killed === undefined) return 5;
  return Math.min(5 + 2.2 * Math.sqrt(killed), 34);
}

function metresPerPixel(lat, zoom) {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / Math.pow(2, zoom + 8);
}

// A marker of one of the shapes of shapes.js, painted on the canvas renderer. It answers
// the pointer within its radius, as a circle does.
const ShapeMarker = L.CircleMarker.extend({
  _updatePath() {
    const renderer = this._renderer;
    if (this.options.shape === "circle" || !renderer._ctx) {
      renderer._updateCircle(this);
      return;
    }
    if (!renderer._drawing || this._empty()) return;
    const p = this._point;
    traceShape(renderer._ctx, this.options.shape, p.x, p.y, Math.max(this._radius, 1));
    renderer._fillStroke(renderer._ctx, this);
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
 * options.cellPage(cell): the address of the first page of a cell's incidents.
 */
export function createLayers(map, state, options) {
  const renderer = L.canvas({ padding: 0.3 });
  const areas = L.layerGroup().addTo(map);
  const markers = L.layerGroup().addTo(map);
  const labels = L.layerGroup().addTo(map);
  const byId = new Map();
  const stacks = new Map(); // pointKey -> the incidents there, in the answer's order
  const areaOf = new Map(); // public id -> its area's layer, while drawn
  const spareLabels = []; // cell labels of an earlier answer, to reuse
  // "governorate" and "district" -> (slug -> its outline's rings (lat, lng))
  const outlines = { governorate: new Map(), district: new Map() };
  let allAreas = false; // whether every area of the answer is drawn
  // One popup serves incidents, stacks and cells; shown is the incident it highlights.
  const popup = L.popup({ maxWidth: 320 });
  let shown = null;

  function markerStyle(incident, highlighted) {
    const colour = colourOf(incident, state.color);
    const area = isArea(incident);
    return {
      renderer,
      radius: killedRadius(incident.killed_best),
      shape: shapeOf(incident),
      color: highlighted ? HIGHLIGHT_COLOUR : colour,
      weight: highlighted ? 3 : area ? 2 : 1.5,
      dashArray: area && !highlighted ? "3 2" : null,
      fillColor: colour,
      fillOpacity: area ? 0.35 : 0.8,
      opacity: 1,
    };
  }

  function areaRadius(incident) {
    if (!incident.precision_radius_m) return 0;
    return incident.precision_radius_m / metresPerPixel(incident.latitude, map.getZoom());
  }

  // An area whose radius exceeds the map's diagonal, around a point in view, encloses the
  // whole view: its ring could not be seen, and painting a circle thousands of pixels wide
  // is the slowest thing the map could do. It is listed, and the legend says why it is not
  // drawn.
  function enclosesView(radius) {
    const size = map.getSize();
    return radius > Math.hypot(size.x, size.y);
  }

  function areaStyle(incident, highlighted) {
    const colour = colourOf(incident, state.color);
    return {
      renderer,
      interactive: false,
      color: highlighted ? HIGHLIGHT_COLOUR : colour,
      weight: highlighted ? 2.5 : 1.5,
      dashArray: "5 4",
      fill: true,
      fillColor: colour,
      fillOpacity: highlighted ? 0.12 : 0.06,
      opacity: 1,
    };
  }

  // The outline an incident located only to a governorate or district stands for, if known.
  function outlineOf(incident) {
    const kind = incident.location_precision;
    return (outlines[kind] && outlines[kind].get(incident[kind])) || null;
  }

  function areaLayer(incident, highlighted) {
    const rings = outlineOf(incident);
    if (rings) return L.polygon(rings, areaStyle(incident, highlighted));
    const radius = areaRadius(incident);
    if (radius <= killedRadius(incident.killed_best) || enclosesView(radius)) return null;
    return L.circleMarker([incident.latitude, incident.longitude], {
      ...areaStyle(incident, highlighted),
      radius,
    });
  }

  function showArea(incident, highlighted) {
    hideArea(incident.id);
    if (!isArea(incident)) return;
    const layer = areaLayer(incident, highlighted);
    if (!layer) return;
    layer.areaKind = layer instanceof L.Polygon ? "outline" : "circle";
    areas.addLayer(layer);
    areaOf.set(incident.id, layer);
  }

  function hideArea(id) {
    const layer = areaOf.get(id);
    if (layer) {
      areas.removeLayer(layer);
      areaOf.delete(id);
    }
  }

  function setHighlight(id, on, highlightOptions) {
    const entry = byId.get(id);
    if (!entry) return;
    entry.layer.setStyle(markerStyle(entry.incident, on));
    if (on) entry.layer.bringToFront();
    if (on || allAreas) showArea(entry.incident, on);
    else hideArea(id);
    if (entry.item) {
      entry.item.classList.toggle("is-highlighted", on);
      if (on && highlightOptions && highlightOptions.scroll) revealInPanel(entry.item);
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
    const located = incidents.filter((i) => i.latitude !== null && i.longitude !== null);
    for (const incident of located) {
      const key = pointKey(incident);
      if (!stacks.has(key)) stacks.set(key, []);
      stacks.get(key).push(incident);
    }
    allAreas = located.filter(isArea).length <= AREAS_ALWAYS;
    // Largest first, so smaller markers lie on top and stay clickable.
    const ordered = located.sort((a, b) => (b.killed_best || 0) - (a.killed_best || 0));
    for (const incident of ordered) {
      const layer = new ShapeMarker(
        [incident.latitude, incident.longitude],
        markerStyle(incident, false)
      );
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
      if (allAreas) showArea(incident, false);
    }
  }

  function cellLabel(cell, radius) {
    let marker = spareLabels.pop();
    const text = countLabel(cell.count);
    const size = radius >= 16 ? "is-large" : radius >= 10 ? "is-medium" : "is-small";
    if (!marker) {
      const element = node("span", "cell-count");
      element.setAttribute("aria-hidden", "true");
      marker = L.marker([cell.latitude, cell.longitude], {
        icon: L.divIcon({ className: "cell-label", html: element, iconSize: null }),
        interactive: false,
        keyboard: false,
      });
      marker.countElement = element;
    } else {
      marker.setLatLng([cell.latitude, cell.longitude]);
    }
    marker.countElement.textContent = text;
    marker.countElement.className = `cell-count ${size}`;
    return marker;
  }

  function drawCells(cells) {
    const largest = Math.max(1, ...cells.map((cell) => cell.count));
    const drawn = [];
    for (const cell of cells) {
      const radius = 8 + 22 * Math.sqrt(cell.count / largest);
      const layer = L.circleMarker([cell.latitude, cell.longitude], {
        renderer,
        radius,
        color: CELL_COLOUR,
        weight: cell.single_point ? 3 : 1.5,
        fillColor: CELL_COLOUR,
        fillOpacity: 0.3,
      });
      layer.on("click", () => {
        highlightShown(null);
        const content = cellPopup(cell, { map, firstPage: options.cellPage });
        openAt([cell.latitude, cell.longitude], content);
      });
      layer.bindTooltip(() => node("span", null, cellName(cell)), { direction: "top" });
      layer.cell = cell;
      markers.addLayer(layer);
      drawn.push(cellLabel(cell, radius));
    }
    for (const label of drawn) labels.addLayer(label);
  }

  function clear() {
    map.closePopup();
    areas.clearLayers();
    markers.clearLayers();
    // Labels are kept aside for the next answer's cells: their elements are reused.
    labels.eachLayer((label) => spareLabels.push(label));
    labels.clearLayers();
    byId.clear();
    stacks.clear();
    areaOf.clear();
  }

  /** Draws an answer (mode "incidents" or "cells") in place of what was drawn. */
  function draw(response) {
    clear();
    if (response.mode === "cells") drawCells(response.cells);
    else drawIncidents(response.incidents);
  }

  /**
   * outlineLayer: the governorates' (kind "governorate") or districts' (kind "district")
   * GeoJSON layer, with the slug in each feature's properties.
   */
  function useOutlines(outlineLayer, kind = "governorate") {
    const found = new Map();
    outlineLayer.eachLayer((layer) => {
      const slug = layer.feature && layer.feature.properties && layer.feature.properties.slug;
      if (slug) found.set(slug, layer.getLatLngs());
    });
    outlines[kind] = found;
  }

  return {
    byId,
    draw,
    clear,
    setHighlight,
    openIncident,
    useOutlines,
    /** Whether the incident is an area too wide to see in this view (the legend says so). */
    enclosesView: (incident) =>
      isArea(incident) && !outlineOf(incident) && enclosesView(areaRadius(incident)),
    /** Whether every area of the answer drawn is shown, or only the hovered one. */
    allAreas: () => allAreas,
    count: () => markers.getLayers().length,
    /** The cells' labels' text, for tests and the benchmark. */
    cellLabels: () => labels.getLayers().map((label) => label.countElement.textContent),
    /** The cells drawn, each with its point in the map's container, for tests. */
    cells: () =>
      markers
        .getLayers()
        .filter((layer) => layer.cell)
        .map((layer) => {
          const point = map.latLngToContainerPoint(layer.getLatLng());
          return { ...layer.cell, x: point.x, y: point.y };
        }),
    /** The areas drawn: [public id, "outline" or "circle"], for tests. */
    areasDrawn: () => [...areaOf.entries()].map(([id, layer]) => [id, layer.areaKind]),
    /** The bounds of an incident's area while drawn, [[south, west], [north, east]]. */
    areaBounds: (id) => {
      const layer = areaOf.get(id);
      if (!layer || !layer.getBounds) return null;
      const bounds = layer.getBounds();
      return [
        [bounds.getSouth(), bounds.getWest()],
        [bounds.getNorth(), bounds.getEast()],
      ];
    },
  };
}
