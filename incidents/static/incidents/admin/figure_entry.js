/*
 * Guided entry of a claim's figure. Choosing a figure kind marks its rule beside the choice;
 * typing the figure as the source states it fills the minimum, maximum and "approximate"
 * from the incident admin's figure-preview view, which applies the same rule as the saved
 * form and the article-drafting tool (incidents.figurekinds), so no rule is written here.
 * Works for claim rows added on the page too (events are caught on the document).
 */
(function () {
  "use strict";

  const DELAY_MS = 150;
  const timers = new WeakMap();

  function related(select) {
    const prefix = select.id.slice(0, -"figure_kind".length);
    const get = (name) => document.getElementById(prefix + name);
    return {
      figure: get("figure"),
      to: get("figure_to"),
      min: get("killed_min"),
      max: get("killed_max"),
      approximate: get("approximate"),
    };
  }

  function selectOf(input) {
    const match = /^(.*)(figure|figure_to)$/.exec(input.id || "");
    return match ? document.getElementById(match[1] + "figure_kind") : null;
  }

  function markRule(select) {
    const field = select.closest(".figure-kind-field");
    if (!field) return;
    for (const rule of field.querySelectorAll("[data-rule]")) {
      rule.classList.toggle("is-selected", rule.dataset.rule === select.value);
    }
  }

  function setGuided(select) {
    const inputs = related(select);
    const guided = select.value !== "";
    const second = (select.dataset.takesSecond || "").split(" ").includes(select.value);
    for (const input of [inputs.min, inputs.max, inputs.approximate]) {
      if (!input) continue;
      // Filled from the kind's rule: typed values would be replaced on saving anyway.
      input.readOnly = guided;
      input.classList.toggle("figure-from-kind", guided);
      if (input.type === "checkbox") input.disabled = guided;
    }
    if (inputs.to) {
      inputs.to.disabled = guided && !second;
      if (inputs.to.disabled) inputs.to.value = "";
    }
  }

  function fill(select, values) {
    const inputs = related(select);
    if (inputs.min) inputs.min.value = values.killed_min === null ? "" : String(values.killed_min);
    if (inputs.max) inputs.max.value = values.killed_max === null ? "" : String(values.killed_max);
    if (inputs.approximate) inputs.approximate.checked = Boolean(values.approximate);
  }

  function preview(select) {
    if (!select.value) return;
    const inputs = related(select);
    const params = new URLSearchParams({ kind: select.value });
    if (inputs.figure && inputs.figure.value !== "") params.set("figure", inputs.figure.value);
    if (inputs.to && inputs.to.value !== "" && !inputs.to.disabled) {
      params.set("to", inputs.to.value);
    }
    fetch(`${select.dataset.preview}?${params.toString()}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((values) => {
        // Errors (no figure typed yet) leave the fields; saving names the field to fix.
        if (values && !values.errors) fill(select, values);
      })
      .catch(() => {});
  }

  function later(select) {
    clearTimeout(timers.get(select));
    timers.set(
      select,
      setTimeout(() => preview(select), DELAY_MS)
    );
  }

  function update(select) {
    markRule(select);
    setGuided(select);
    later(select);
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches && target.matches("select[data-figure-kind]")) update(target);
  });
  document.addEventListener("input", (event) => {
    const select = selectOf(event.target);
    if (select && select.value) later(select);
  });
  function start() {
    for (const select of document.querySelectorAll("select[data-figure-kind]")) {
      if (select.id.includes("__prefix__")) continue;
      markRule(select);
      setGuided(select);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
