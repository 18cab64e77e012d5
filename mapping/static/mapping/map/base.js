/*
 * What every map of the site stands on, the public map and an incident's small map alike:
 * the tiles of LEAFLET_CONFIG and the governorate outlines (Natural Earth) under the data.
 * Leaflet is the global L of django-leaflet's classic script, which runs first.
 */
const L = window.L;

/** tiles: LEAFLET_CONFIG's tile layers as the page passed them; the first is shown. */
export function addTiles(map, tiles, maxZoom) {
  const first = tiles[0];
  if (first) {
    L.tileLayer(first.url, {
      attribution: first.attribution,
      maxZoom: first.maxZoom || maxZoom,
    }).addTo(map);
  }
  map.attributionControl.addAttribution("Natural Earth");
}

/**
 * Fetches the governorate outlines (GeoJSON at url) and draws them on map with the given
 * GeoJSON options. Resolves to the layer, or to null when they could not be had: the map
 * is usable without them.
 */
export function addOutlines(map, url, options) {
  return fetchOutlines(url, options).then((layer) => (layer ? layer.addTo(map) : null));
}

/**
 * Fetches outlines (GeoJSON at url) into a GeoJSON layer that is not drawn: the map draws
 * one of them when asked (a district-level incident's district). Resolves to null when they
 * could not be had.
 */
export function fetchOutlines(url, options) {
  return fetch(url)
    .then((response) => (response.ok ? response.json() : null))
    .then((outlines) => {
      if (!outlines) return null;
      return L.geoJSON(outlines, { interactive: false, ...options });
    })
    .catch(() => null);
}
