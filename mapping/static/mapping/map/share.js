/*
 * What the map page hands on, always with the current filters: the Atom feed of the view
 * (the visible link and the page's <link rel="alternate">), the code that embeds this view
 * in another site (a read-only text box and a button that copies it), and, on the embedded
 * map, the link back to the full view. It also shows the filters that have no field of
 * their own in the form (an episode, set by the episode pages' links) as chips the reader
 * can remove, so that no filter narrows the map unseen.
 */
import { S, config } from "./config.js";
import { filterParams } from "./state.js";

// Filters without a field in the form, and the names their values are shown by.
const CHIP_FILTERS = {
  episode: (value) => (config.episodes && config.episodes[value]) || value,
};

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (match, name) =>
    name in values ? String(values[name]) : match
  );
}

// Attribute values of the embed code: the code is text the reader pastes into their page.
function attribute(value) {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * on.removed(name) runs after the reader removed the chip of filter `name` (the state and
 * the URL already say so). Returns update(), to call whenever the filters or the view
 * changed.
 */
export function createShare(state, on) {
  const feedLink = document.querySelector("[data-feed-link]");
  const alternate = document.querySelector('link[rel="alternate"][data-feed]');
  const code = document.querySelector("[data-embed-code]");
  const copy = document.querySelector("[data-copy-embed]");
  const copyStatus = document.querySelector("[data-copy-status]");
  const fullView = document.querySelector("[data-full-view]");
  const chips = document.querySelector("[data-filter-chips]");

  function viewParams() {
    const params = filterParams(state);
    if (state.view) {
      params.set("lat", state.view.lat.toFixed(4));
      params.set("lon", state.view.lon.toFixed(4));
      params.set("z", String(state.view.z));
    }
    return params;
  }

  function withQuery(path, params) {
    const query = params.toString();
    return query ? `${path}?${query}` : path;
  }

  function drawChips() {
    if (!chips) return;
    chips.replaceChildren();
    for (const [name, nameOf] of Object.entries(CHIP_FILTERS)) {
      const value = state.filters[name];
      if (!value) continue;
      const label = fill(S.chips[name], { name: nameOf(value) });
      const chip = element("li", "filter-chip");
      chip.dataset.chip = name;
      chip.appendChild(element("span", "filter-chip-label", label));
      const remove = element("button", "filter-chip-remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", fill(S.removeFilter, { name: label }));
      remove.addEventListener("click", () => {
        delete state.filters[name];
        on.removed(name);
        // The chip is gone: keep the keyboard on the map's controls, not on the body.
        const next = chips.querySelector("button") || document.getElementById("filters");
        if (next && next.focus) next.focus();
      });
      chip.appendChild(remove);
      chips.appendChild(chip);
    }
    chips.hidden = chips.children.length === 0;
  }

  function update() {
    const feed = withQuery(config.feed, filterParams(state));
    if (feedLink) feedLink.href = feed;
    if (alternate) alternate.href = feed;
    if (code) {
      const src = window.location.origin + withQuery(config.embed, viewParams());
      code.value =
        `<iframe src="${attribute(src)}" title="${attribute(S.embedTitle)}" ` +
        'width="100%" height="520" loading="lazy"></iframe>';
    }
    if (fullView) fullView.href = withQuery(config.home, viewParams());
    drawChips();
  }

  if (copy && code) {
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code.value);
        copyStatus.textContent = S.copied;
      } catch {
        // No clipboard (an old browser, or permission refused): the code is selected in
        // its box, for the reader to copy themselves.
        code.focus();
        code.select();
        copyStatus.textContent = S.copyFailed;
      }
    });
  }

  update();
  return { update };
}
