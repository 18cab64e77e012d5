/*
 * The data table under each chart: the same numbers the chart draws, with column and row
 * headers, built with textContent only.
 */
import { node } from "../map/dom.js";

/**
 * Replaces the table's rows. head: the column headings; rows: arrays of cells, the first
 * of each a row heading; numeric: which columns hold numbers (aligned to the end).
 */
export function fillTable(table, head, rows) {
  for (const old of table.querySelectorAll("thead, tbody")) old.remove();
  const thead = node("thead");
  const headRow = node("tr");
  head.forEach((text, i) => {
    const th = node("th", i === 0 ? "" : "number", text);
    th.scope = "col";
    headRow.append(th);
  });
  thead.append(headRow);
  const tbody = node("tbody");
  for (const cells of rows) {
    const tr = node("tr");
    cells.forEach((text, i) => {
      const cell = i === 0 ? node("th", "", text) : node("td", "number", text);
      if (i === 0) cell.scope = "row";
      // The phone layout shows each cell with its column's heading.
      else cell.dataset.label = head[i];
      tr.append(cell);
    });
    tbody.append(tr);
  }
  table.append(thead, tbody);
}
