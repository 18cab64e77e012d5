/*
 * How the dashboard's figures read: interface strings filled in from data, months in the
 * page's language, ranges that say "or more" where a high is open (never a ceiling that no
 * source gave), and the names of records in the page's language.
 */
import { arabic, config } from "../map/config.js";
import { ltr } from "../map/text.js";

export const D = config.dashboardStrings;
const monthFormat = new Intl.DateTimeFormat(config.language, {
  year: "numeric",
  month: "short",
  timeZone: "UTC",
});

/** A translated template with %(name)s slots (and %% for a percent sign) filled in. */
export function fill(template, values) {
  return template
    .replace(/%\(([a-zA-Z]+)\)s/g, (_, name) => String(values[name] ?? ""))
    .replace(/%%/g, "%");
}

/** "Mar 2025" (or its Arabic), from "2025-03". */
export function monthName(month) {
  const [year, number] = month.split("-").map(Number);
  return monthFormat.format(new Date(Date.UTC(year, number - 1, 1)));
}

export function number(n) {
  return String(n);
}

/** A summed high: "N or more" when some of the incidents summed have no upper bound. */
export function high(value, open) {
  return open > 0 ? fill(D.orMore, { n: ltr(String(value)) }) : String(value);
}

/** The name of a series or place in the page's language; a code's label; "not recorded". */
export function nameOf(record, labels) {
  if (labels && record.key && labels[record.key]) return labels[record.key];
  if (arabic && record.name_ar) return record.name_ar;
  return record.name || record.key || D.none;
}

export function withinOf(place) {
  return (arabic && place.within_ar) || place.within || "";
}
