/*
 * The legend in the map's corner: the colours of what is drawn (event types or
 * perpetrators, or the grid cells), the two shapes (a point, a dashed area) and what the
 * sizes mean. Open by default on wide screens only.
 */
import { S } from "./config.js";
import { CELL_COLOUR, categoryOf } from "./colours.js";
import { node, swatch } from "./dom.js";

const L = window.L;

function entry(colour, dashed, label, className) {
  const item = node("li", className);
  item.appendChild(swatch(colour, dashed));
  item.appendChild(document.createTextNode(label));
  return item;
}

export function createLegend(map, state, layers) {
  const legend = L.control({ position: "bottomright" });
  let body = null;
  legend.onAdd = function () {
    const box = node("details", "map-legend");
    box.open = window.matchMedia("(min-width: 48rem)").matches;
    box.appendChild(node("summary", null, S.legend));
    body = node("div", "map-legend-body");
    box.appendChild(body);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);

  /** Shows the legend of a drawn answer of /api/v1/map/. */
  function draw(response) {
    body.replaceChildren();
    const list = node("ul");
    if (response.mode === "cells") {
      list.appendChild(entry(CELL_COLOUR, false, S.cellLegend));
    } else {
      const seen = new Map();
      for (const incident of response.incidents) {
        const [key, label, colour] = categoryOf(incident, state.color);
        if (!seen.has(key)) seen.set(key, [label, colour]);
      }
      for (const [label, colour] of seen.values()) {
        list.appendChild(entry(colour, false, label));
      }
      list.appendChild(entry("#444", false, S.preciseLocation, "legend-shape"));
      list.appendChild(entry("#444", true, S.areaLocation, "legend-shape"));
      list.appendChild(node("li", "legend-note", S.sizeLegend));
      list.appendChild(node("li", "legend-note", S.rangeLegend));
      if (response.incidents.some(layers.enclosesView)) {
        list.appendChild(node("li", "legend-note", S.widerThanView));
      }
    }
    body.appendChild(list);
  }

  return { draw };
}
