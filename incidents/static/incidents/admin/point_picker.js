/*
 * Point picker for the incident form: a Leaflet map under the latitude/longitude fields.
 * Clicking the map or dragging the marker writes the fields; typing in the fields moves
 * the marker. Configuration comes from data- attributes rendered from LEAFLET_CONFIG.
 * The governorate outlines are drawn under the marker, as on the public map (and from the
 * same module and address), so that the map still shows where Syria is when the tiles
 * cannot load. An ES module: Leaflet is the global L of django-leaflet's classic script,
 * which runs first.
 */
import { addOutlines } from "../../mapping/map/base.js";

function parsePoint(latInput, lonInput) {
  if (latInput.value.trim() === "" || lonInput.value.trim() === "") {
    return null;
  }
  const lat = Number(latInput.value);
  const lon = Number(lonInput.value);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return null;
  return window.L.latLng(lat, lon);
}

function setUp(holder) {
  const L = window.L;
  const latInput = document.getElementById(holder.dataset.latInput);
  const lonInput = document.getElementById(holder.dataset.lonInput);
  if (!L || !latInput || !lonInput) return;

  const center = holder.dataset.center.split(",").map(Number);
  const map = L.map(holder, { scrollWheelZoom: true }).setView(center, Number(holder.dataset.zoom));
  L.tileLayer(holder.dataset.tilesUrl, {
    attribution: holder.dataset.tilesAttribution,
    maxZoom: Number(holder.dataset.tilesMaxZoom || 18),
  }).addTo(map);
  if (holder.dataset.governorates) {
    map.attributionControl.addAttribution("Natural Earth");
    addOutlines(map, holder.dataset.governorates, {
      style: { color: "#55606b", weight: 1, fillColor: "#efe9dc", fillOpacity: 0.35 },
    }).then((outlines) => {
      if (!outlines) return;
      outlines.bringToBack();
      holder.dataset.outlines = "drawn";
    });
  }

  let marker = null;

  function writeFields(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    for (const input of [latInput, lonInput]) {
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function showMarker(latlng) {
    if (marker === null) {
      marker = L.marker(latlng, { draggable: true, autoPan: true, title: holder.dataset.markerTitle });
      marker.on("dragend", function () {
        writeFields(marker.getLatLng());
      });
      marker.addTo(map);
    } else {
      marker.setLatLng(latlng);
    }
  }

  map.on("click", function (event) {
    showMarker(event.latlng);
    writeFields(event.latlng);
  });

  function followFields() {
    const point = parsePoint(latInput, lonInput);
    if (point !== null) {
      showMarker(point);
      map.panTo(point);
    } else if (marker !== null && latInput.value.trim() === "" && lonInput.value.trim() === "") {
      marker.remove();
      marker = null;
    }
  }
  latInput.addEventListener("input", followFields);
  lonInput.addEventListener("input", followFields);

  const initial = parsePoint(latInput, lonInput);
  if (initial !== null) {
    showMarker(initial);
    map.setView(initial, Math.max(map.getZoom(), 11));
  }
  holder.pointPicker = { map: map, marker: function () { return marker; } };
}

// A module runs once the document is parsed: the holders are all there.
document.querySelectorAll("[data-point-picker]").forEach(setUp);
