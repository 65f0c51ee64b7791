/* Personal page: keeps "now and next" current by polling /me/<token>/now.json, and says when
   the agenda changed after the page was loaded. Only a new round is read out to screen readers
   (#now-next-announce); the box itself is redrawn silently. Text goes in with textContent only (names
   are user data). Mirrors web/public/templates/public/_now_next.html. */
(function () {
  "use strict";
  var POLL_MS = 30000;

  function slotText(slot) {
    if (!slot.partner_name) { return "No meeting this round"; }
    var text = slot.partner_name;
    if (slot.partner_company) { text += " (" + slot.partner_company + ")"; }
    return text + " at table " + slot.table;
  }

  function slotBlock(className, label, slot) {
    var div = document.createElement("div");
    div.className = className;
    var dt = document.createElement("dt");
    dt.textContent = label;
    var dd = document.createElement("dd");
    dd.textContent = slotText(slot);
    div.appendChild(dt);
    div.appendChild(dd);
    return div;
  }

  function render(box, data) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (!data) { return; }
    var section = document.createElement("section");
    section.className = "now-next";
    section.setAttribute("aria-labelledby", "now-next-heading");
    var h2 = document.createElement("h2");
    h2.id = "now-next-heading";
    h2.textContent = data.phase === "paused" ? "Session paused" : "Now and next";
    var dl = document.createElement("dl");
    if (data.now) {
      dl.appendChild(slotBlock("now", "Now · round " + data.now.round + " until " + data.now.ends, data.now));
    }
    if (data.next) {
      dl.appendChild(slotBlock("next", "Next · round " + data.next.round + " at " + data.next.starts, data.next));
    }
    section.appendChild(h2);
    section.appendChild(dl);
    box.appendChild(section);
  }

  function start() {
    var box = document.getElementById("now-next-live");
    if (!box || !window.fetch) { return; }
    var url = box.getAttribute("data-now-url");
    var loadedChange = box.getAttribute("data-changed-at") || "";
    var stale = document.getElementById("agenda-stale");
    var announcer = document.getElementById("now-next-announce");
    var shownRound = box.getAttribute("data-now-round") || "";

    /* Read out a round change only (the box is redrawn silently on every poll). */
    function announceRound(data) {
      var now = data && data.now;
      var round = now ? String(now.round) : "";
      if (round === shownRound) { return; }
      shownRound = round;
      if (announcer && now) { announcer.textContent = "Now: round " + now.round + ". " + slotText(now) + "."; }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          render(box, data.now_next);
          announceRound(data.now_next);
          if (stale && (data.agenda_changed_at || "") !== loadedChange) { stale.hidden = false; }
        })
        .catch(function () { /* offline for a moment: keep what is shown, try again later */ })
        .then(function () { window.setTimeout(poll, POLL_MS); });
    }
    window.setTimeout(poll, POLL_MS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
