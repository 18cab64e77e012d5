/*
 * The small map on an incident's page: the point, or the area an imprecise location stands
 * for (a dashed circle of the precision's radius), over the governorate outlines. Data
 * come from the json_script element "incident-point".
 */
(function () {
  "use strict";

  const L = window.L;
  const holder = document.querySelector("[data-incident-map]");
  const dataElement = document.getElementById("incident-point");
  if (!L || !holder || !dataElement) return;
  const point = JSON.parse(dataElement.textContent);
  const script = document.currentScript || document.querySelector("script[data-governorates]");

  const map = L.map(holder, { preferCanvas: true, scrollWheelZoom: false });
  const tiles = point.tiles[0];
  if (tiles) {
    L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: tiles.maxZoom || 18 }).addTo(
      map
    );
  }
  map.attributionControl.addAttribution("Natural Earth");
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

  const outlinesUrl = script && script.dataset.governorates;
  if (outlinesUrl) {
    fetch(outlinesUrl)
      .then((response) => (response.ok ? response.json() : null))
      .then((outlines) => {
        if (!outlines) return;
        L.geoJSON(outlines, {
          interactive: false,
          style: { color: "#55606b", weight: 1, fillColor: "#efe9dc", fillOpacity: 0.3 },
        })
          .addTo(map)
          .bringToBack();
        holder.dataset.ready = "true";
      })
      .catch(() => {});
  }
})();
