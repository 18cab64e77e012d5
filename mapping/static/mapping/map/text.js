/*
 * How an incident reads in popups and the list: its title in the page's language, dates and
 * places with their precision, the reconciled casualty range, the address of its page.
 */
import { S, arabic, config } from "./config.js";

// Dates and ranges read left to right in both languages: isolate them, or the Arabic
// layout would show "100–100–101" as "101–100–100".
export function ltr(text) {
  return `\u2066${text}\u2069`;
}

// "7 or more": the number isolated, the words in the page's own direction.
function orMore(n) {
  return S.orMore.replace("%(n)s", ltr(String(n)));
}

/**
 * An incident's range, or a sum of ranges. open: the high is open ("at least 7", no source
 * gives a ceiling): for an incident (high null) "7 or more", with its best where it is
 * above the low; for a sum (high counting open incidents at their best, see the API) the
 * high reads as a floor, "10–12–15 or more". Never a ceiling that no source gave.
 */
export function figures(low, best, high, open) {
  if (best === null || best === undefined) return S.killedUnknown;
  if (open) {
    if (high === null || high === undefined) {
      const floor = orMore(low);
      return best === low ? floor : `${floor} (${S.bestIs.replace("%(n)s", ltr(String(best)))})`;
    }
    return `${ltr(`${low}–${best}–`)}${orMore(high)}`;
  }
  if (low === high) return String(best);
  return ltr(`${low}–${best}–${high}`);
}

export function titleOf(incident) {
  return arabic && incident.title_ar ? incident.title_ar : incident.title;
}

/** Whether titleOf gives the Arabic title (the element then carries lang="ar"). */
export function titleIsArabic(incident) {
  return Boolean(arabic && incident.title_ar);
}

export function dateText(incident) {
  const range = ltr(
    incident.date_start === incident.date_end
      ? incident.date_start
      : `${incident.date_start} – ${incident.date_end}`
  );
  const precision = config.labels.date_precision[incident.date_precision];
  return precision ? `${range} (${precision})` : range;
}

export function placeText(incident) {
  const precision = config.labels.location_precision[incident.location_precision];
  const place = incident.place_name || "—";
  return precision ? `${place} (${precision})` : place;
}

export function incidentUrl(id) {
  return config.incidentUrl.replace("PUBLIC_ID", encodeURIComponent(id));
}
