/*
 * The small map on an incident's page: the point, or the area an imprecise location stands
 * for, over the governorate outlines. An incident located only to its governorate or
 * district is drawn as that area's dashed outline (point.outline names where the outlines
 * are and which one); any other imprecise location as a dashed circle of the precision's
 * radius, which also stands in until the outline arrives or when it cannot be had. Data
 * come from the json_script element "incident-point"; the outlines' address from the map
 * element's data-governorates. Leaflet is the global L of django-leaflet's classic script,
 * which runs before this module. The holder's data-area says what is drawn ("circle",
 * "outline" or "point"), and data-area-bounds an outline's [[south, west], [north, east]].
 */
import { addOutlines, addTiles, fetchOutlines } from "./map/base.js";

const L = window.L;

function start(holder, point) {
  const map = L.map(holder, { preferCanvas: true, scrollWheelZoom: false });
  addTiles(map, point.tiles, 18);
  const centre = [point.latitude, point.longitude];
  const area = { color: "#8a1c1c", weight: 2, dashArray: "5 4", fillOpacity: 0.12 };
  let circle = null;
  if (point.radius > 0) {
    // The view first: a circle can measure itself only on a map that has one.
    map.fitBounds(L.latLng(centre).toBounds(point.radius * 2), { maxZoom: 13, padding: [10, 10] });
    circle = L.circle(centre, { radius: point.radius, ...area }).addTo(map);
    holder.dataset.area = "circle";
  } else {
    L.circleMarker(centre, { radius: 7, color: "#8a1c1c", fillOpacity: 0.7 }).addTo(map);
    map.setView(centre, 13);
    holder.dataset.area = "point";
  }

  const waits = [];
  if (point.outline) {
    waits.push(
      fetchOutlines(point.outline.url).then((outlines) => {
        if (!outlines) return;
        let shape = null;
        outlines.eachLayer((layer) => {
          if (layer.feature.properties.slug === point.outline.slug) shape = layer.getLatLngs();
        });
        if (!shape) return;
        const outline = L.polygon(shape, { ...area, interactive: false }).addTo(map);
        if (circle) circle.remove();
        const bounds = outline.getBounds();
        map.fitBounds(bounds, { padding: [10, 10] });
        holder.dataset.area = "outline";
        holder.dataset.areaBounds = JSON.stringify([
          [bounds.getSouth(), bounds.getWest()],
          [bounds.getNorth(), bounds.getEast()],
        ]);
      }),
    );
  }
  const outlinesUrl = holder.dataset.governorates;
  if (outlinesUrl) {
    waits.push(
      addOutlines(map, outlinesUrl, {
        style: { color: "#55606b", weight: 1, fillColor: "#efe9dc", fillOpacity: 0.3 },
      }).then((outlines) => {
        if (outlines) outlines.bringToBack();
      }),
    );
  }
  Promise.all(waits).then(() => {
    holder.dataset.ready = "true";
  });
}

const holder = document.querySelector("[data-incident-map]");
const dataElement = document.getElementById("incident-point");
if (L && holder && dataElement) start(holder, JSON.parse(dataElement.textContent));
