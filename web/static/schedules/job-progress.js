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

  /* A figure the solver has not reported (a revision has no bound) comes as "" and is hidden. */
  function figure(name, text) {
    var row = box.querySelector('[data-figure="' + name + '"]');
    if (row) { row.hidden = !text; }
    setText(name, text || "");
  }

  /* The server writes every figure as the page shows it (status.text); this only places them. */
  function show(status) {
    var p = status.progress || {}, t = status.text || {};
    setText("status", t.status);
    setText("phase", t.phase);
    if (bar) {
      bar.max = p.rounds_total || 1;
      bar.value = p.rounds_placed || 0;
      bar.textContent = t.rounds;
    }
    setText("rounds", t.rounds);
    figure("score", t.score);
    figure("percent", t.percent);
    setText("agendas", t.agendas);
    setText("moved", t.moved);
    setText("elapsed", t.elapsed);
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
