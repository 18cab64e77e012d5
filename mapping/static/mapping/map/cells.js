/*
 * The grid cells of a dense view: the count each cell's label shows (abbreviated, "1.2k";
 * "1.2 ألف" in Arabic), the cell's name for assistive technology, and its popup. The popup
 * lists the cell's incidents, newest first, a page at a time, from the incident list API
 * with the cell's bounds and the map's filters. A cell whose incidents all stand at one
 * point says so, instead of offering a zoom that could not separate them.
 */
import { S, config } from "./config.js";
import { node } from "./dom.js";
import { dateText, figures, incidentUrl, ltr, titleIsArabic, titleOf } from "./text.js";

// Latin digits in both languages, as the rest of the map writes figures.
const LOCALE = config.language === "ar" ? "ar-u-nu-latn" : config.language || "en";
const compact = new Intl.NumberFormat(LOCALE, { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat(LOCALE);

/** The short count on a cell: 950, 1.2k, 12k, 1.1M. */
export function countLabel(count) {
  return compact.format(count);
}

/** What a cell is, in words: "1,234 incidents in this area" or "... at one place". */
export function cellName(cell) {
  const text = cell.single_point ? S.cellOnePlace : S.cellCount;
  return text.replace("%(count)s", ltr(whole.format(cell.count)));
}

function listItem(incident) {
  const item = node("li");
  const link = node("a", "popup-cell-incident");
  link.href = incidentUrl(incident.id);
  const title = node("span", "popup-choose-title", titleOf(incident));
  if (titleIsArabic(incident)) title.lang = "ar";
  link.appendChild(title);
  const killed = incident.killed || {};
  const meta = `${dateText(incident)} · ${S.killed}: ${figures(
    killed.low,
    killed.best,
    killed.high,
    killed.high_open
  )}`;
  link.appendChild(node("span", "popup-choose-meta", meta));
  item.appendChild(link);
  return item;
}

/**
 * options: map, and firstPage(cell), the address of the first page of the cell's
 * incidents (the list API with the cell's bounds, the map's filters, newest first).
 */
export function cellPopup(cell, options) {
  const { map, firstPage } = options;
  const box = node("div", "popup popup-cell");
  box.dataset.cellCount = String(cell.count);
  box.appendChild(node("h3", null, cellName(cell)));
  const facts = node("dl");
  facts.appendChild(node("dt", null, S.killedRange));
  facts.appendChild(
    node(
      "dd",
      null,
      figures(cell.killed_low, cell.killed_best, cell.killed_high, cell.killed_high_open > 0)
    )
  );
  if (cell.killed_high_open > 0) {
    facts.appendChild(node("dt", null, S.openHighs));
    facts.appendChild(node("dd", "open-highs", cell.killed_high_open));
  }
  box.appendChild(facts);
  if (cell.single_point) {
    box.appendChild(node("p", "popup-note", S.onePlaceNote));
  } else if (map.getZoom() < map.getMaxZoom()) {
    const zoom = node("button", "popup-link", S.zoomInCell);
    zoom.type = "button";
    zoom.addEventListener("click", () => {
      const [minLon, minLat, maxLon, maxLat] = cell.bounds;
      map.fitBounds([
        [minLat, minLon],
        [maxLat, maxLon],
      ]);
    });
    box.appendChild(zoom);
  }
  box.appendChild(node("h4", "popup-cell-heading", S.cellNewest));
  const list = node("ul", "popup-cell-list");
  box.appendChild(list);
  const status = node("p", "popup-cell-status");
  status.setAttribute("role", "status");
  box.appendChild(status);
  const more = node("button", "popup-more", S.showMore);
  more.type = "button";
  more.hidden = true;
  box.appendChild(more);

  let next = firstPage(cell);
  let loading = null;
  function load() {
    if (!next || loading) return;
    const controller = new AbortController();
    loading = controller;
    more.hidden = true;
    status.textContent = S.loading;
    fetch(next, { signal: controller.signal, headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then((page) => {
        loading = null;
        for (const incident of page.results) list.appendChild(listItem(incident));
        next = page.next;
        status.textContent = list.children.length ? "" : S.noIncidents;
        more.hidden = !next;
      })
      .catch((error) => {
        loading = null;
        if (error.name === "AbortError") return;
        status.textContent = S.loadFailed;
        more.hidden = false;
      });
  }
  // A click inside the popup must not reach the map (which would close it).
  more.addEventListener("click", (event) => {
    event.stopPropagation();
    load();
  });
  load();
  return box;
}
