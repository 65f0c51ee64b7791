/* Live progress of a background job (speednet): schedule computation and event-day re-plan. The page works without this script
   (it offers a Refresh link and a <noscript> meta refresh); with it, the figures update in
   place every second from the job's JSON, and the page reloads once the job has finished so
   the server can show the result links. State lives on the server, so a reload is harmless. */
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("job-rounds");
  var failures = 0;
  var ANNOUNCE_MS = 1500;

  /* The page's live region (outside the figures, which update every second unannounced). */
  function announce(text) {
    var region = document.getElementById("job-announce");
    if (region) { region.textContent = text; }
  }

  function setText(name, text) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
  }

  /* A figure the solver has not reported (a revision has no bound) is hidden, not "0.0" or "—". */
  function figure(name, value, format) {
    var row = box.querySelector('[data-figure="' + name + '"]');
    var known = typeof value === "number" && isFinite(value);
    if (row) { row.hidden = !known; }
    setText(name, known ? format(value) : "");
  }

  function show(status) {
    var p = status.progress || {};
    setText("status", status.status + (status.cancel_requested && !status.finished ? " (stopping)" : ""));
    setText("phase", p.phase || "starting");
    var placed = p.rounds_placed || 0, total = p.rounds_total || 0;
    if (bar) {
      bar.max = total || 1;
      bar.value = placed;
      bar.textContent = placed + " of " + (total || "?");
    }
    setText("rounds", placed + " of " + (total || "?"));
    figure("score", p.score, function (v) { return v.toFixed(1); });
    figure("percent", p.percent_of_bound, function (v) { return v.toFixed(1) + "%"; });
    setText("elapsed", p.elapsed === undefined || p.elapsed === null ? "—" : p.elapsed.toFixed(1) + " s");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        show(status);
        if (status.finished) {
          /* The one thing read out: the job's end. The reload that shows the result links
             waits a moment so the announcement is heard first. */
          announce(status.status === "done" ? "Finished." : "Finished: " + status.status + ".");
          window.setTimeout(function () { window.location.reload(); }, ANNOUNCE_MS);
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        failures += 1;
        if (failures < 30) { window.setTimeout(poll, 2000); }
      });
  }

  window.setTimeout(poll, 500);
}());
