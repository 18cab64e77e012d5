/*
 * The popups of the map: an incident's facts (date, place, casualty range, perpetrators,
 * grade, number of sources) with a link to its page; the incidents stacked at one point, each
 * a button to its own popup; and a grid cell's counts with a button that zooms to it. Built
 * from DOM nodes; data reach them through textContent only.
 *
 * A popup is a small dialog (accessiblePopups): it is named by its heading, takes the focus
 * when it opens or its content changes, so that a screen reader reads it out, closes with
 * Escape and gives the focus back to what opened it.
 */
import { S, config } from "./config.js";
import { node } from "./dom.js";
import {
  dateNode,
  figures,
  incidentUrl,
  ltr,
  perpetratorText,
  placeText,
  titleIsArabic,
  titleOf,
} from "./text.js";

function counted(text, count) {
  return text.replace("%(count)s", String(count));
}

function recordOf(incident) {
  return S.recordOf.replace("%(title)s", titleOf(incident)).replace("%(id)s", ltr(incident.id));
}

// A button that replaces the popup's content is gone from the page when its click reaches
// the map, which then cannot tell it came from the popup and closes it: the click stops here.
function onPress(button, action) {
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    action();
  });
}

const fetching = new Map(); // public id -> the promise of its details

/**
 * The place, grade and number of sources of an incident of the map, read from its
 * document (the map's answer holds only what the map draws) and kept on the incident.
 */
function details(incident) {
  if ("grade" in incident) return Promise.resolve(incident);
  if (!fetching.has(incident.id)) {
    const url = config.api.incident.replace("PUBLIC_ID", encodeURIComponent(incident.id));
    const promise = fetch(url, { headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then((document) => {
        incident.place_name = document.place_name;
        incident.grade = document.grade;
        incident.source_count = new Set((document.claims || []).map((c) => c.source.slug)).size;
        return incident;
      })
      .finally(() => fetching.delete(incident.id));
    fetching.set(incident.id, promise);
  }
  return fetching.get(incident.id);
}

/**
 * back: when the incident is one of a stack, returns to the stack's list.
 *
 * Until its details are read (see details()) the box says it is loading, then shows them.
 */
export function incidentPopup(incident, back) {
  if ("grade" in incident) return incidentFacts(incident, back);
  // The title is known at once: the heading that names the dialog (and takes the focus)
  // is there from the start and stays; the rest replaces the loading line, and the box
  // becomes a "popup" like any other.
  const box = node("div", "popup-waiting");
  box.appendChild(titleHeading(incident));
  const waiting = box.appendChild(node("p", "popup-loading", S.loading));
  box.setAttribute("aria-busy", "true");
  details(incident)
    .then(() => {
      const rest = [...incidentFacts(incident, back).childNodes].slice(1);
      box.removeAttribute("aria-busy");
      waiting.replaceWith(...rest);
      box.className = "popup";
    })
    .catch(() => {
      box.removeAttribute("aria-busy");
      waiting.textContent = S.detailsFailed;
    });
  return box;
}

function titleHeading(incident) {
  const heading = node("h2", "popup-title", titleOf(incident));
  if (titleIsArabic(incident)) heading.lang = "ar";
  return heading;
}

function incidentFacts(incident, back) {
  const box = node("div", "popup");
  box.appendChild(titleHeading(incident));
  const facts = node("dl");
  const rows = [
    [S.date, dateNode(incident)],
    [S.place, placeText(incident)],
    [
      S.killedRange,
      figures(
        incident.killed_low,
        incident.killed_best,
        incident.killed_high,
        incident.killed_high_open
      ),
    ],
    [S.perpetrators, perpetratorText(incident) || S.none],
    [S.grade, config.labels.grade[incident.grade] || incident.grade],
    [S.sources, incident.source_count],
  ];
  for (const [term, value] of rows) {
    facts.appendChild(node("dt", null, term));
    if (value instanceof Node) facts.appendChild(node("dd")).appendChild(value);
    else facts.appendChild(node("dd", null, value));
  }
  box.appendChild(facts);
  const link = node("a", "popup-link", S.openRecord);
  link.href = incidentUrl(incident.id);
  link.setAttribute("aria-label", recordOf(incident));
  box.appendChild(link);
  if (back) {
    const others = node("button", "popup-back", S.stackBack);
    others.type = "button";
    onPress(others, back);
    box.appendChild(others);
  }
  return box;
}

/** The incidents at one point; choose(id) opens one of them. */
export function stackPopup(incidents, choose) {
  // Each may be chosen next: their details are read now, so that its popup opens whole.
  for (const incident of incidents) details(incident).catch(() => {});
  const box = node("div", "popup popup-stack");
  box.appendChild(node("h2", "popup-title", counted(S.stacked, incidents.length)));
  const list = node("ul", "popup-stack-list");
  for (const incident of incidents) {
    const item = node("li");
    const button = node("button", "popup-choose");
    button.type = "button";
    button.dataset.id = incident.id;
    const title = node("span", "popup-choose-title", titleOf(incident));
    if (titleIsArabic(incident)) title.lang = "ar";
    button.appendChild(title);
    const meta = node("span", "popup-choose-meta");
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
    button.appendChild(meta);
    onPress(button, () => choose(incident.id));
    item.appendChild(button);
    const link = node("a", "popup-choose-link");
    link.appendChild(node("bdi", null, incident.id)).dir = "ltr";
    link.href = incidentUrl(incident.id);
    link.setAttribute("aria-label", recordOf(incident));
    item.appendChild(link);
    list.appendChild(item);
  }
  box.appendChild(list);
  return box;
}

/**
 * Makes every popup of map a labelled dialog that takes the focus, closes with Escape and
 * returns the focus to what had it (a list entry, the map) when it closes.
 */
export function accessiblePopups(map) {
  const known = new WeakSet();
  let opener = null;
  let serial = 0;

  function label(popup) {
    const element = popup.getElement();
    if (!element) return;
    element.setAttribute("role", "dialog");
    const heading = element.querySelector(".popup-title");
    if (heading) {
      if (!heading.id) {
        serial += 1;
        heading.id = `map-popup-title-${serial}`;
      }
      heading.tabIndex = -1;
      element.setAttribute("aria-labelledby", heading.id);
    }
    const close = element.querySelector(".leaflet-popup-close-button");
    if (close) {
      close.setAttribute("aria-label", S.closePopup);
      close.title = S.closePopup;
    }
    (heading || element).focus({ preventScroll: true });
  }

  map.on("popupopen", (event) => {
    const popup = event.popup;
    const element = popup.getElement();
    const active = document.activeElement;
    opener = active && active !== document.body && !element.contains(active) ? active : null;
    if (!known.has(popup)) {
      known.add(popup);
      // A stack's list replaced by one incident, and back: the new heading names the dialog.
      // Leaflet hides the popup while it changes it (nothing hidden can take the focus) and
      // shows it again before its update returns.
      popup.on("contentupdate", () => {
        queueMicrotask(() => {
          if (map.hasLayer(popup)) label(popup);
        });
      });
      element.addEventListener("keydown", (keyEvent) => {
        if (keyEvent.key !== "Escape") return;
        keyEvent.preventDefault();
        keyEvent.stopPropagation();
        map.closePopup(popup);
      });
    }
    label(popup);
  });

  map.on("popupclose", (event) => {
    const element = event.popup.getElement();
    const active = document.activeElement;
    const hadFocus = !active || active === document.body || (element && element.contains(active));
    if (!hadFocus) return;
    const back = opener && opener.isConnected ? opener : map.getContainer();
    opener = null;
    back.focus({ preventScroll: true });
  });
}
