/*
 * The panel beside the map: the list of the incidents in view (at most LIST_LIMIT, in the
 * server's order, most killed first), the totals of the view and the download links for
 * it. A list entry and its shape on the map highlight each other; choosing an entry opens
 * its popup.
 */
import { S, config } from "./config.js";
import { colourOf } from "./colours.js";
import { node, swatch } from "./dom.js";
import { isArea } from "./layers.js";
import { dateText, figures, incidentUrl, titleIsArabic, titleOf } from "./text.js";

const LIST_LIMIT = 250;

export function createPanel(elements, state, layers) {
  const { list: listElement, note: listNote, approximate: totalsNote } = elements;

  function listItem(incident) {
    const item = node("li", "incident-item");
    item.dataset.id = incident.id;
    const choose = node("button", "incident-choose");
    choose.type = "button";
    choose.appendChild(swatch(colourOf(incident, state.color), isArea(incident)));
    const title = node("span", "incident-title", titleOf(incident));
    if (titleIsArabic(incident)) title.lang = "ar";
    choose.appendChild(title);
    const meta = node(
      "span",
      "incident-meta",
      `${dateText(incident)} · ${S.killed}: ${figures(
        incident.killed_low,
        incident.killed_best,
        incident.killed_high,
        incident.killed_high_open
      )}`
    );
    choose.appendChild(meta);
    choose.addEventListener("mouseenter", () => layers.setHighlight(incident.id, true));
    choose.addEventListener("mouseleave", () => layers.setHighlight(incident.id, false));
    choose.addEventListener("focus", () => layers.setHighlight(incident.id, true));
    choose.addEventListener("blur", () => layers.setHighlight(incident.id, false));
    choose.addEventListener("click", () => layers.openIncident(incident.id));
    item.appendChild(choose);
    const link = node("a", "incident-link", incident.id);
    link.href = incidentUrl(incident.id);
    item.appendChild(link);
    return item;
  }

  /** Lists an answer's incidents: its "listed" ones (those in view) if it has them. */
  function drawList(response) {
    listElement.replaceChildren();
    listNote.textContent = "";
    if (response.mode === "cells") {
      listNote.textContent = S.zoomInToList;
      return;
    }
    const listed = response.listed || response.incidents;
    if (!listed.length) {
      listNote.textContent = S.noIncidents;
      return;
    }
    for (const incident of listed.slice(0, LIST_LIMIT)) {
      const item = listItem(incident);
      listElement.appendChild(item);
      const entry = layers.byId.get(incident.id);
      if (entry) entry.item = item;
    }
    const rest = listed.length - LIST_LIMIT;
    if (rest > 0) listNote.textContent = `+${rest} ${S.moreNotListed}`;
  }

  function drawTotals(totals, approximate) {
    const open = totals.killed_high_open || 0;
    const keys = ["incidents", "killed_low", "killed_best", "killed_high", "killed_high_open"];
    for (const key of keys) {
      const cell = document.querySelector(`[data-total="${key}"]`);
      if (!cell) continue;
      let text = String(totals[key] || 0);
      // Some incidents have no upper bound: their sum's high is a floor, not a ceiling.
      if (key === "killed_high" && open > 0) text = S.orMore.replace("%(n)s", text);
      cell.textContent = (approximate ? "≈ " : "") + text;
    }
    totalsNote.hidden = !approximate;
  }

  /** params: the API parameters of the view, which the CSV and GeoJSON links take. */
  function updateDownloads(params) {
    for (const link of document.querySelectorAll("[data-download]")) {
      const base = link.dataset.download === "csv" ? config.api.csv : config.api.geojson;
      link.href = `${base}?${params.toString()}`;
    }
  }

  return { drawList, drawTotals, updateDownloads };
}
