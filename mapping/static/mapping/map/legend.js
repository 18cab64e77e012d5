/*
 * The legend in the map's corner: the colours and shapes of what is drawn (event types, or
 * perpetrators with the event types' shapes apart), the grid cells, what a dashed outline
 * means and what the sizes mean. Open by default on wide screens only. Marks are small
 * SVGs (shapes.js) whose colours are attributes, not styles.
 */
import { S } from "./config.js";
import { CELL_COLOUR, categoryOf, shapeOf } from "./colours.js";
import { node } from "./dom.js";
import { shapeIcon } from "./shapes.js";

const L = window.L;
const NEUTRAL = "#404040";

function entry(shape, colour, label, options) {
  const { dashed = false, className = null } = options || {};
  const item = node("li", className);
  item.appendChild(shapeIcon(shape, colour, { dashed }));
  item.appendChild(node("span", null, label));
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
      list.appendChild(entry("circle", CELL_COLOUR, S.cellLegend));
      list.appendChild(node("li", "legend-note", S.cellLabelLegend));
    } else {
      const seen = new Map();
      const shapes = new Map();
      for (const incident of response.incidents) {
        const [key, label, colour, shape] = categoryOf(incident, state.color);
        if (!seen.has(key)) seen.set(key, [label, colour, shape]);
        if (!shapes.has(incident.event_type)) {
          const [, typeLabel] = categoryOf(incident, "event_type");
          shapes.set(incident.event_type, [shapeOf(incident), typeLabel]);
        }
      }
      for (const [label, colour, shape] of seen.values()) {
        list.appendChild(entry(shape || "circle", colour, label, { className: "legend-colour" }));
      }
      if (state.color === "perpetrator") {
        // Colour says who; the shape still says what happened.
        for (const [shape, label] of shapes.values()) {
          list.appendChild(entry(shape, NEUTRAL, label, { className: "legend-shape" }));
        }
      }
      list.appendChild(entry("circle", NEUTRAL, S.preciseLocation, { className: "legend-shape" }));
      list.appendChild(
        entry("circle", NEUTRAL, layers.allAreas() ? S.areaLocation : S.areaOnHover, {
          dashed: true,
          className: "legend-shape",
        })
      );
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
