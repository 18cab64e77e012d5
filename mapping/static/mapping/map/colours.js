/*
 * The colour of an incident, by event type or by perpetrator (the form's "colour by"
 * choice), and the legend category it falls in. One named perpetrator has its own colour;
 * several share one, none another.
 */
import { S, config } from "./config.js";

const PALETTE = [
  "#1f77b4",
  "#d95f02",
  "#7570b3",
  "#c2185b",
  "#4d8f1e",
  "#b8860b",
  "#8c564b",
  "#17a2b8",
  "#b2182b",
  "#5e3c99",
  "#00796b",
  "#616161",
];
const SEVERAL_COLOUR = "#222222";
const NONE_COLOUR = "#9e9e9e";
export const CELL_COLOUR = "#8a1c1c";

const eventTypes = Object.keys(config.labels.event_type);
const actors = Object.keys(config.actors);

/** colourBy: "event_type" or "perpetrator". */
export function colourOf(incident, colourBy) {
  if (colourBy === "perpetrator") {
    const named = incident.perpetrators || [];
    if (named.length === 0) return NONE_COLOUR;
    if (named.length > 1) return SEVERAL_COLOUR;
    const index = actors.indexOf(named[0]);
    return PALETTE[(index < 0 ? actors.length : index) % PALETTE.length];
  }
  const index = eventTypes.indexOf(incident.event_type);
  return PALETTE[(index < 0 ? eventTypes.length - 1 : index) % PALETTE.length];
}

/** [key, label, colour] of the legend entry the incident belongs to. */
export function categoryOf(incident, colourBy) {
  if (colourBy === "perpetrator") {
    const named = incident.perpetrators || [];
    if (named.length === 0) return ["none", S.unknownPerpetrator, NONE_COLOUR];
    if (named.length > 1) return ["several", S.several, SEVERAL_COLOUR];
    return [named[0], config.actors[named[0]] || named[0], colourOf(incident, colourBy)];
  }
  return [
    incident.event_type,
    config.labels.event_type[incident.event_type] || incident.event_type,
    colourOf(incident, colourBy),
  ];
}
