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

// A line may break after a dash or a hyphen: a range cut there ("100–" at the end of one
// line, "100–101" on the next) reads as a negative number. Word joiners hold it together.
const JOINED = "\u2060–\u2060";

function range(...parts) {
  return parts.join(JOINED);
}

/**
 * A date, a date range or an id as an element of its own: read left to right (an Arabic
 * sentence around it keeps its order) and never broken at a hyphen, as a line may be.
 */
export function unbrokenNode(text) {
  const element = document.createElement("bdi");
  element.dir = "ltr";
  element.className = "unbroken";
  element.textContent = text;
  return element;
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
    return `${ltr(range(low, best, ""))}\u2060${orMore(high)}`;
  }
  if (low === high) return ltr(String(best));
  return ltr(range(low, best, high));
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

/** dateText as DOM: the dates unbroken, the precision after them in the page's language. */
export function dateNode(incident) {
  const holder = document.createElement("span");
  holder.appendChild(
    unbrokenNode(
      incident.date_start === incident.date_end
        ? incident.date_start
        : `${incident.date_start} – ${incident.date_end}`
    )
  );
  const precision = config.labels.date_precision[incident.date_precision];
  if (precision) holder.appendChild(document.createTextNode(` (${precision})`));
  return holder;
}

export function placeText(incident) {
  const precision = config.labels.location_precision[incident.location_precision];
  const place = incident.place_name || "—";
  return precision ? `${place} (${precision})` : place;
}

/**
 * The incident's perpetrators as [{actor, confidence}]: from the points of /api/v1/map/
 * (perpetrators and perpetrator_confidence) or from an incident's API document, whose
 * perpetrators are objects that carry their confidence.
 */
export function attributionsOf(incident) {
  const confidences = incident.perpetrator_confidence || {};
  return (incident.perpetrators || []).map((entry) =>
    typeof entry === "string"
      ? { actor: entry, confidence: confidences[entry] || "" }
      : { actor: entry.actor, confidence: entry.confidence || "" }
  );
}

/** "Name (alleged); Other (confirmed)": how surely each is held responsible, always said. */
export function perpetratorText(incident) {
  return attributionsOf(incident)
    .map(({ actor, confidence }) => {
      const name = config.actors[actor] || actor;
      const label = config.labels.confidence[confidence];
      return label ? `${name} (${label})` : name;
    })
    .join("; ");
}

export function incidentUrl(id) {
  return config.incidentUrl.replace("PUBLIC_ID", encodeURIComponent(id));
}
