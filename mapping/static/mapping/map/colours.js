/*
 * The colour of an incident, by event type or by perpetrator (the form's "colour by"
 * choice), its shape (always by event type: colour is never the only channel) and the
 * legend category it falls in. The palette is the server's mapping/palette.json, passed
 * in the page's configuration, where a test checks its contrast and its colours' distances
 * under simulated colour-vision deficiencies. One named perpetrator has its own colour;
 * several share one, none another.
 */
import { S, config } from "./config.js";

const P = config.palette;
const EVENT = P.event_types;
const FALLBACK = EVENT.other || Object.values(EVENT)[0];

export const CELL_COLOUR = P.cell;
export const HIGHLIGHT_COLOUR = P.highlight;

const actors = Object.keys(config.actors);

function eventStyle(eventType) {
  return EVENT[eventType] || FALLBACK;
}

/** colourBy: "event_type" or "perpetrator". */
export function colourOf(incident, colourBy) {
  if (colourBy === "perpetrator") {
    const named = incident.perpetrators || [];
    if (named.length === 0) return P.no_perpetrator;
    if (named.length > 1) return P.several_perpetrators;
    const index = actors.indexOf(named[0]);
    return P.perpetrators[(index < 0 ? actors.length : index) % P.perpetrators.length];
  }
  return eventStyle(incident.event_type).colour;
}

/** The marker's shape: circle, square, triangle, triangle-down, diamond or star. */
export function shapeOf(incident) {
  return eventStyle(incident.event_type).shape;
}

/** [key, label, colour, shape] of the legend entry the incident belongs to; shape is null
 * when colouring by perpetrator (the legend then lists the shapes apart). */
export function categoryOf(incident, colourBy) {
  if (colourBy === "perpetrator") {
    const named = incident.perpetrators || [];
    if (named.length === 0) return ["none", S.unknownPerpetrator, P.no_perpetrator, null];
    if (named.length > 1) return ["several", S.several, P.several_perpetrators, null];
    return [named[0], config.actors[named[0]] || named[0], colourOf(incident, colourBy), null];
  }
  return [
    incident.event_type,
    config.labels.event_type[incident.event_type] || incident.event_type,
    colourOf(incident, colourBy),
    shapeOf(incident),
  ];
}

/** The event types with their label, colour and shape, in the vocabulary's order. */
export function eventTypeKey() {
  return Object.keys(config.labels.event_type).map((key) => [
    key,
    config.labels.event_type[key],
    eventStyle(key).colour,
    eventStyle(key).shape,
  ]);
}
