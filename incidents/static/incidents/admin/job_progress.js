/*
 * A background job's progress, live: polls the job's small JSON view every second and
 * updates the state, the bar, rows done of total, the rate and the time left (texts come
 * translated from the server; set with textContent). When the job ends, or its worker is
 * found gone, the page reloads to show the report or the "Resume" button.
 */
(function () {
  "use strict";

  const INTERVAL_MS = 1000;

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text || "";
  }

  function start() {
    const box = document.getElementById("job-progress");
    if (!box || box.dataset.finished === "1") return;
    const url = box.dataset.url;
    let lastState = null;

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (status) {
          setText("job-state", status.state_label);
          setText("job-phase", status.phase_label);
          setText("job-counted", status.counted);
          setText("job-rate", status.rate_text);
          setText("job-left", status.left_text);
          const bar = document.getElementById("job-bar");
          if (bar && status.percent !== null) bar.value = status.percent;
          box.dataset.state = status.state;
          if (status.finished || (status.state === "stopped" && lastState !== null && lastState !== "stopped")) {
            window.location.reload();
            return;
          }
          lastState = status.state;
          window.setTimeout(poll, INTERVAL_MS);
        })
        .catch(function () {
          window.setTimeout(poll, INTERVAL_MS * 5);
        });
    }
    window.setTimeout(poll, INTERVAL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
