/*
 * The filters form and the state: the form shows the state, and a change in the form
 * changes the state and the URL. Text and number fields apply on Enter or when they lose
 * focus (the change event); choices apply at once. The colour and metric choices only
 * repaint; every other change asks the server again.
 */
import { FILTERS, MULTI, writeUrl } from "./state.js";

function stateToForm(form, state) {
  for (const name of FILTERS) {
    const value = state.filters[name] || "";
    if (!form.elements[name] && !MULTI.has(name)) continue;
    if (MULTI.has(name)) {
      const chosen = new Set(value ? value.split(",") : []);
      for (const box of form.querySelectorAll(`input[name="${name}"]`)) {
        box.checked = chosen.has(box.value);
      }
    } else {
      form.elements[name].value = value;
    }
  }
  form.elements.color.value = state.color;
  form.elements.metric.value = state.metric;
}

function formToFilters(form, state) {
  const filters = {};
  for (const name of FILTERS) {
    let value;
    if (!form.elements[name] && !MULTI.has(name)) {
      // A filter with no field (episode) stays as the URL set it.
      value = state.filters[name] || "";
    } else if (MULTI.has(name)) {
      value = Array.from(form.querySelectorAll(`input[name="${name}"]:checked`))
        .map((box) => box.value)
        .join(",");
    } else {
      value = (form.elements[name].value || "").trim();
    }
    if (value) filters[name] = value;
  }
  if (filters.date_from && filters.date_to && filters.date_from > filters.date_to) {
    [filters.date_from, filters.date_to] = [filters.date_to, filters.date_from];
  }
  return filters;
}

/**
 * Listens to the form. on.filtered() runs after the filters changed, on.coloured() after
 * the colour choice, on.measured() after the metric choice; the URL is already written.
 * Returns show() (the state into the form) and apply() (the form into the state).
 */
export function connectFilters(form, state, on) {
  function show() {
    stateToForm(form, state);
  }

  function apply() {
    state.filters = formToFilters(form, state);
    state.color = form.elements.color.value === "perpetrator" ? "perpetrator" : "event_type";
    state.metric = form.elements.metric.value === "killed" ? "killed" : "incidents";
    show();
    writeUrl(state, true);
    on.filtered();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "color") {
      state.color = event.target.value === "perpetrator" ? "perpetrator" : "event_type";
      writeUrl(state, true);
      on.coloured();
      return;
    }
    if (event.target.name === "metric") {
      state.metric = event.target.value === "killed" ? "killed" : "incidents";
      writeUrl(state, true);
      on.measured();
      return;
    }
    apply();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    state.filters = {};
    show();
    writeUrl(state, true);
    on.filtered();
  });

  return { show, apply };
}
