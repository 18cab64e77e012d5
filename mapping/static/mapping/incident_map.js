/*
 * The small map on an incident's page: the point, or the area an imprecise location stands
 * for (a dashed circle of the precision's radius), over the governorate outlines. Data
 * come from the json_script element "incident-point"; the outlines' address from the map
 * element's data-governorates. Leaflet is the global L of django-leaflet's classic script,
 * which runs before this module.
 */
import { addOutlines, addTiles } from "./map/base.js";

const L = window.L;

function start(holder, point) {
  const map = L.map(holder, { preferCanvas: true, scrollWheelZoom: false });
  addTiles(map, point.tiles, 18);
  const centre = [point.latitude, point.longitude];
  if (point.radius > 0) {
    // The view first: a circle can measure itself only on a map that has one.
    map.fitBounds(L.latLng(centre).toBounds(point.radius * 2), { maxZoom: 13, padding: [10, 10] });
    L.circle(centre, {
      radius: point.radius,
      color: "#8a1c1c",
      weight: 2,
      dashArray: "5 4",
      fillOpacity: 0.12,
    }).addTo(map);
  } else {
    L.circleMarker(centre, { radius: 7, color: "#8a1c1c", fillOpacity: 0.7 }).addTo(map);
    map.setView(centre, 13);
  }

  const outlinesUrl = holder.dataset.governorates;
  if (outlinesUrl) {
    addOutlines(map, outlinesUrl, {
      style: { color: "#55606b", weight: 1, fillColor: "#efe9dc", fillOpacity: 0.3 },
    }).then((outlines) => {
      if (!outlines) return;
      outlines.bringToBack();
      holder.dataset.ready = "true";
    });
  }
}

const holder = document.querySelector("[data-incident-map]");
const dataElement = document.getElementById("incident-point");
if (L && holder && dataElement) start(holder, JSON.parse(dataElement.textContent));
