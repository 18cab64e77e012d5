/*
 * The panel beside the map: the list of the incidents in view (at most LIST_LIMIT, in the
 * server's order, most killed first), the totals of the view and the download links for
 * it. A list entry and its shape on the map highlight each other; choosing an entry opens
 * its popup. When the view is drawn as cells, the list names the largest of them (their
 * district and governorate, with counts), so that it stays a text alternative of the map.
 */
import { S, arabic, config } from "./config.js";
import { colourOf } from "./colours.js";
import { node, swatch } from "./dom.js";
import { isArea } from "./layers.js";
import {
  dateNode,
  figures,
  incidentUrl,
  ltr,
  perpetratorText,
  titleIsArabic,
  titleOf,
} from "./text.js";

const LIST_LIMIT = 250;
const CELLS_LISTED = 10;
// Entries built in one task: the first ones at once, the rest in later tasks, so that a
// full list (LIST_LIMIT entries, each a dozen nodes with their listeners) never holds the
// page in one long task after the map is painted.
const LIST_CHUNK = 50;

function fill(text, values) {
  return Object.entries(values).reduce(
    (result, [key, value]) => result.replace(`%(${key})s`, value),
    text
  );
}

export function createPanel(elements, state, layers, map) {
  const { list: listElement, note: listNote, approximate: totalsNote } = elements;

  function listItem(incident) {
    const item = node("li", "incident-item");
    item.dataset.id = incident.id;
    const choose = node("button", "incident-choose");
    choose.type = "button";
    choose.appendChild(swatch(colourOf(incident, state.color), isArea(incident)));
    // What the button does, for a screen reader: the entry then reads as a whole sentence.
    choose.appendChild(node("span", "visually-hidden", S.showOnMap));
    const title = node("span", "incident-title", titleOf(incident));
    if (titleIsArabic(incident)) title.lang = "ar";
    choose.appendChild(title);
    const meta = node("span", "incident-meta");
    meta.appendChild(dateNode(incident));
    meta.appendChild(
      document.createTextNode(
        ` · ${S.killed}: ${figures(
          incident.killed_low,
          incident.killed_best,
          incident.killed_high,
          incident.killed_high_open
        )}`
      )
    );
    choose.appendChild(meta);
    const held = perpetratorText(incident);
    if (held) {
      choose.appendChild(node("span", "incident-perpetrators", held));
    }
    choose.addEventListener("mouseenter", () => layers.setHighlight(incident.id, true));
    choose.addEventListener("mouseleave", () => layers.setHighlight(incident.id, false));
    choose.addEventListener("focus", () => layers.setHighlight(incident.id, true));
    choose.addEventListener("blur", () => layers.setHighlight(incident.id, false));
    choose.addEventListener("click", () => layers.openIncident(incident.id));
    item.appendChild(choose);
    const link = node("a", "incident-link");
    link.appendChild(node("bdi", null, incident.id)).dir = "ltr";
    link.href = incidentUrl(incident.id);
    link.setAttribute(
      "aria-label",
      fill(S.recordOf, { title: titleOf(incident), id: ltr(incident.id) })
    );
    item.appendChild(link);
    return item;
  }

  // The cells in view, largest first, each named by its district and governorate where
  // the answer names it; a button zooms to it.
  function cellItem(cell) {
    const item = node("li", "incident-item cell-item");
    const choose = node("button", "incident-choose");
    choose.type = "button";
    // A cell the answer does not name (not among its largest) is placed by its centre.
    const point = ltr(`${cell.latitude.toFixed(2)}, ${cell.longitude.toFixed(2)}`);
    const where =
      (arabic ? cell.area_ar : cell.area) || cell.area || fill(S.areaAround, { point });
    const title = node("span", "incident-title", where);
    choose.appendChild(title);
    const count = fill(S.cellListCount, { count: ltr(String(cell.count)) });
    const killed = figures(
      cell.killed_low,
      cell.killed_best,
      cell.killed_high,
      cell.killed_high_open > 0
    );
    choose.appendChild(node("span", "incident-meta", `${count} · ${S.killed}: ${killed}`));
    choose.appendChild(node("span", "visually-hidden", S.zoomIn));
    choose.addEventListener("click", () => {
      if (!map) return;
      const [minLon, minLat, maxLon, maxLat] = cell.bounds;
      map.fitBounds([
        [minLat, minLon],
        [maxLat, maxLon],
      ]);
    });
    item.appendChild(choose);
    return item;
  }

  function drawCellList(cells) {
    const bounds = map ? map.getBounds() : null;
    const inView = cells.filter(
      (cell) => !bounds || bounds.contains([cell.latitude, cell.longitude])
    );
    const largest = inView.slice().sort((a, b) => b.count - a.count);
    for (const cell of largest.slice(0, CELLS_LISTED)) listElement.appendChild(cellItem(cell));
    listElement.setAttribute("aria-label", S.cellListLabel);
    listNote.textContent = inView.length ? S.zoomInToList : S.noIncidents;
  }

  let listing = 0; // which drawList call is building the list; an older one stops

  function appendItems(incidents) {
    const items = document.createDocumentFragment();
    for (const incident of incidents) {
      const item = listItem(incident);
      items.appendChild(item);
      const entry = layers.byId.get(incident.id);
      if (entry) entry.item = item;
    }
    listElement.appendChild(items);
  }

  /**
   * Lists an answer's incidents: its "listed" ones (those in view) if it has them. The
   * first LIST_CHUNK entries are built at once, the others a chunk per task after it.
   * Resolves to true once the whole list is built, to false if a later call replaced it.
   */
  function drawList(response) {
    listing += 1;
    const mine = listing;
    listElement.replaceChildren();
    listNote.textContent = "";
    if (response.mode === "cells") {
      drawCellList(response.cells || []);
      return Promise.resolve(true);
    }
    listElement.setAttribute("aria-label", S.incidentListLabel);
    const listed = response.listed || response.incidents;
    if (!listed.length) {
      listNote.textContent = S.noIncidents;
      return Promise.resolve(true);
    }
    const shown = listed.slice(0, LIST_LIMIT);
    const rest = listed.length - LIST_LIMIT;
    if (rest > 0) listNote.textContent = `+${rest} ${S.moreNotListed}`;
    appendItems(shown.slice(0, LIST_CHUNK));
    if (shown.length <= LIST_CHUNK) return Promise.resolve(true);
    return new Promise((resolve) => {
      let from = LIST_CHUNK;
      const next = () => {
        if (mine !== listing) {
          resolve(false);
          return;
        }
        if (from >= shown.length) {
          resolve(true);
          return;
        }
        appendItems(shown.slice(from, from + LIST_CHUNK));
        from += LIST_CHUNK;
        window.setTimeout(next, 0);
      };
      window.setTimeout(next, 0);
    });
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
