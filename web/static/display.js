/* Room display: polls the display state, counts down locally, pages through the table list.
   Text goes in with textContent only (names are user data). */
(function () {
  "use strict";
  var body = document.body;
  var stateUrl = body.getAttribute("data-state-url");
  var perPage = parseInt(body.getAttribute("data-per-page"), 10) || 30;
  var pageSeconds = parseInt(body.getAttribute("data-page-seconds"), 10) || 10;
  var pollSeconds = parseInt(body.getAttribute("data-poll-seconds"), 10) || 5;
  var el = function (id) { return document.getElementById(id); };

  var rows = [];
  var page = 0;
  var bellAt = null;        // local ms timestamp of the next bell while running
  var frozen = null;        // seconds shown while paused
  var pollTimer = null;

  function fmt(seconds) {
    if (seconds === null || seconds === undefined) { return ""; }
    var total = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var text = "";
    if (frozen !== null) {
      text = fmt(frozen);
    } else if (bellAt !== null) {
      var left = (bellAt - Date.now()) / 1000;
      text = fmt(left);
      if (left <= 0) { bellAt = null; schedulePoll(300); }
    }
    if (el("countdown").textContent !== text) { el("countdown").textContent = text; }
  }

  function renderPage() {
    var pages = Math.max(1, Math.ceil(rows.length / perPage));
    if (page >= pages) { page = 0; }
    var list = el("tables");
    var fragment = document.createDocumentFragment();
    rows.slice(page * perPage, (page + 1) * perPage).forEach(function (row) {
      var li = document.createElement("li");
      var who = document.createElement("span"); who.className = "who";
      var name = document.createElement("span"); name.className = "name"; name.textContent = row.name;
      var company = document.createElement("span"); company.className = "company"; company.textContent = row.company;
      who.appendChild(name); who.appendChild(document.createTextNode(" ")); who.appendChild(company);
      var table = document.createElement("span"); table.className = "table"; table.textContent = "Table " + row.table;
      li.appendChild(who); li.appendChild(table);
      fragment.appendChild(li);
    });
    list.replaceChildren(fragment);
    el("page-info").textContent = pages > 1 ? "Page " + (page + 1) + " of " + pages : "";
  }

  function apply(state) {
    var clock = state.clock;
    body.className = "room-display phase-" + clock.phase;
    el("heading").textContent = state.heading;
    el("round-label").textContent = state.round_label;
    el("next").textContent = state.next ? "Next: round " + state.next.round + " at " + state.next.starts : "";
    el("finder-heading").textContent = state.round ? "Find your table \u00b7 round " + state.round : "";
    var empty = el("empty");
    if (empty) {
      empty.hidden = state.tables.length > 0;
      empty.textContent = !state.published ? "The schedule will appear here once it is published."
        : (state.round ? "No meetings in this round." : "");
    }
    var changed = JSON.stringify(state.tables) !== JSON.stringify(rows);
    rows = state.tables;
    if (changed) { page = 0; renderPage(); }
    var seconds = clock.seconds_to_next_bell;
    if (clock.paused) {
      frozen = seconds; bellAt = null;
    } else {
      frozen = null;
      bellAt = seconds === null ? null : Date.now() + seconds * 1000;
    }
    tick();
  }

  function poll() {
    pollTimer = null;
    fetch(stateUrl, { cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(apply)
      .catch(function () { /* keep counting down; the next poll tries again */ })
      .then(function () { schedulePoll(pollSeconds * 1000); });
  }

  function schedulePoll(ms) {
    if (pollTimer !== null) { clearTimeout(pollTimer); }
    pollTimer = setTimeout(poll, ms);
  }

  setInterval(tick, 250);
  setInterval(function () {
    if (rows.length > perPage) { page += 1; renderPage(); }
  }, pageSeconds * 1000);
  poll();
}());
