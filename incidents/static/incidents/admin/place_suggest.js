/*
 * Place suggestions for the incident form. Typing in "place as reported" asks the admin's
 * place-suggest view for gazetteer matches (English and Arabic, with their governorate);
 * choosing one sets the point (the point picker follows), its precision, the place, the
 * governorate and the district. The list is built with DOM nodes and textContent only.
 */
(function () {
  "use strict";

  const DELAY_MS = 200;

  function setSelect(select, id, label) {
    if (!select) return;
    const value = id === null || id === undefined ? "" : String(id);
    if (value !== "" && !Array.from(select.options).some(function (o) { return o.value === value; })) {
      select.appendChild(new Option(label, value, false, false));
    }
    select.value = value;
    const jq = window.django && window.django.jQuery;
    if (jq) {
      jq(select).trigger("change");
    } else {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function setInput(input, value) {
    if (!input) return;
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function describe(match) {
    const parts = [match.kind];
    if (match.district && match.district.slug !== match.slug) parts.push(match.district.name);
    if (match.governorate && match.governorate.slug !== match.slug) {
      parts.push(match.governorate.name + (match.governorate.name_ar ? " · " + match.governorate.name_ar : ""));
    }
    parts.push(match.match + " " + Math.round(match.score));
    return parts.join(" — ");
  }

  function setUp(input) {
    const url = input.dataset.placeSuggest;
    const wrapper = element("div", "place-suggest");
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    const list = element("ul", "place-suggest-list");
    list.id = input.id + "_suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrapper.appendChild(list);
    input.setAttribute("aria-controls", list.id);

    let timer = null;
    let controller = null;
    let matches = [];
    let active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
    }

    function choose(match) {
      const form = input.form;
      const byName = function (name) { return form.querySelector("[name=" + name + "]"); };
      setInput(byName("latitude"), String(match.latitude));
      setInput(byName("longitude"), String(match.longitude));
      const precision = byName("location_precision");
      if (precision) { precision.value = match.coordinate_precision; precision.dispatchEvent(new Event("change", { bubbles: true })); }
      setSelect(byName("place"), match.id, match.label);
      setSelect(byName("governorate"), match.governorate ? match.governorate.id : null, match.governorate ? match.governorate.label : "");
      setSelect(byName("district"), match.district ? match.district.id : null, match.district ? match.district.label : "");
      close();
    }

    function render(data) {
      list.replaceChildren();
      matches = data.matches || [];
      if (!data.found) {
        list.appendChild(element("li", "ps-note", matches.length
          ? "No confident match. Nearest names:" : "No place of that name in the gazetteer."));
      }
      matches.forEach(function (match, index) {
        const item = element("li");
        item.setAttribute("role", "option");
        item.id = list.id + "_" + index;
        item.appendChild(element("span", "ps-name", match.name));
        if (match.name_ar) {
          const arabic = element("span", "ps-ar", match.name_ar);
          arabic.lang = "ar";
          arabic.dir = "rtl";
          item.appendChild(arabic);
        }
        item.appendChild(element("span", "ps-meta", describe(match)));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(match); });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(-1);
    }

    function lookUp() {
      const query = input.value.trim();
      if (query.length < 2) { close(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) render(data); else close(); })
        .catch(function (error) { if (error.name !== "AbortError") close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !matches.length) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, matches.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(matches[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function start() {
    document.querySelectorAll("input[data-place-suggest]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
