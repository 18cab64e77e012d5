/*
 * Building the page from data: text from the database enters only through textContent, so
 * a title such as "<img onerror=...>" stays text. Popups, list and legend use these, never
 * HTML strings.
 */
export function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

/** The small colour mark of the list and legend; dashed for an area. */
export function swatch(colour, dashed) {
  const mark = node("span", dashed ? "swatch is-area" : "swatch");
  mark.style.borderColor = colour;
  mark.style.backgroundColor = dashed ? "transparent" : colour;
  return mark;
}

/**
 * Scrolls element into view inside the panel that scrolls it, never the page: on a phone
 * the list lies below the map, and scrolling the page to it would take the map, and the
 * popup just tapped open on it, out of view.
 */
export function revealInPanel(element) {
  let panel = element.parentElement;
  while (panel && panel !== document.body && panel !== document.documentElement) {
    const overflow = getComputedStyle(panel).overflowY;
    if ((overflow === "auto" || overflow === "scroll") && panel.scrollHeight > panel.clientHeight) {
      break;
    }
    panel = panel.parentElement;
  }
  if (!panel || panel === document.body || panel === document.documentElement) return;
  const inner = element.getBoundingClientRect();
  const outer = panel.getBoundingClientRect();
  if (inner.top < outer.top) panel.scrollTop -= outer.top - inner.top;
  else if (inner.bottom > outer.bottom) panel.scrollTop += inner.bottom - outer.bottom;
}
