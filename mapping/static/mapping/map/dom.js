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
