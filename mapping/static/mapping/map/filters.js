/*
 * The filters form and the state: the form shows the state, and a change in the form
 * changes the state and the URL. Text and number fields apply on Enter or when they lose
 * focus (the change event); choices apply at once. The colour and metric choices only
 * repaint; every other change asks the server again.
 *
 * A date field being typed in fires a change at every keystroke that leaves a valid date,
 * and the first digits of a year are one (year 0002): typed dates apply on Enter or when the
 * field loses focus, a date chosen in the calendar at once. A field is written only when the
 * state says something else, so what the user is typing is never replaced under them.
 */
import { FILTERS, MULTI, writeUrl } from "./state.js";

const DATES = new Set(["date_from", "date_to"]);

function setValue(field, value) {
  if (field.value !== value) field.value = value;
}

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
      setValue(form.elements[name], value);
    }
  }
  // The dashboard's form has neither choice.
  if (form.elements.color) setValue(form.elements.color, state.color);
  if (form.elements.metric) setValue(form.elements.metric, state.metric);
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
    } else if (form.elements[name].validity.badInput) {
      // A date typed halfway reads as empty: the filter stays as it was until it is whole.
      value = state.filters[name] || "";
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
    // A page without the colour or metric choice (the dashboard) keeps what the URL said.
    if (form.elements.color) {
      state.color = form.elements.color.value === "perpetrator" ? "perpetrator" : "event_type";
    }
    if (form.elements.metric) {
      state.metric = form.elements.metric.value === "killed" ? "killed" : "incidents";
    }
    show();
    writeUrl(state, true);
    on.filtered();
  }

  // The date fields typed in since they last applied.
  const typing = new Set();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    typing.clear();
    apply();
  });
  form.addEventListener("keydown", (event) => {
    if (DATES.has(event.target.name) && event.key !== "Enter" && event.key !== "Tab") {
      typing.add(event.target.name);
    }
  });
  form.addEventListener("focusout", (event) => {
    const name = event.target.name;
    if (!DATES.has(name) || !typing.has(name)) return;
    typing.delete(name);
    const field = form.elements[name];
    if (field.validity.badInput) return;
    if ((field.value || "") !== (state.filters[name] || "")) apply();
  });
  form.addEventListener("change", (event) => {
    if (typing.has(event.target.name)) return;
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
