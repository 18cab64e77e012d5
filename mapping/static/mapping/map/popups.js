/*
 * The popups of the map: an incident's facts (date, place, casualty range, perpetrators,
 * grade, number of sources) with a link to its page, and a grid cell's counts with a button
 * that zooms to it. Built from DOM nodes; data reach them through textContent only.
 */
import { S, config } from "./config.js";
import { node } from "./dom.js";
import { dateText, figures, incidentUrl, placeText, titleIsArabic, titleOf } from "./text.js";

export function incidentPopup(incident) {
  const box = node("div", "popup");
  const heading = node("h3", null, titleOf(incident));
  if (titleIsArabic(incident)) heading.lang = "ar";
  box.appendChild(heading);
  const facts = node("dl");
  const rows = [
    [S.date, dateText(incident)],
    [S.place, placeText(incident)],
    [S.killedRange, figures(incident.killed_low, incident.killed_best, incident.killed_high)],
    [
      S.perpetrators,
      (incident.perpetrators || []).map((slug) => config.actors[slug] || slug).join("; ") ||
        S.none,
    ],
    [S.grade, config.labels.grade[incident.grade] || incident.grade],
    [S.sources, incident.source_count],
  ];
  for (const [term, value] of rows) {
    facts.appendChild(node("dt", null, term));
    facts.appendChild(node("dd", null, value));
  }
  box.appendChild(facts);
  const link = node("a", "popup-link", S.openRecord);
  link.href = incidentUrl(incident.id);
  box.appendChild(link);
  return box;
}

export function cellPopup(cell, map) {
  const box = node("div", "popup");
  box.appendChild(node("h3", null, S.cell));
  const facts = node("dl");
  facts.appendChild(node("dt", null, S.incidents));
  facts.appendChild(node("dd", null, cell.count));
  facts.appendChild(node("dt", null, S.killedRange));
  facts.appendChild(node("dd", null, figures(cell.killed_low, cell.killed_best, cell.killed_high)));
  box.appendChild(facts);
  const zoom = node("button", "popup-link", S.zoomIn);
  zoom.type = "button";
  zoom.addEventListener("click", () => {
    const [minLon, minLat, maxLon, maxLat] = cell.bounds;
    map.fitBounds([
      [minLat, minLon],
      [maxLat, maxLon],
    ]);
  });
  box.appendChild(zoom);
  return box;
}
