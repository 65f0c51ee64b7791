/* Room display: polls the display state, counts down locally, pages through the table list
   as many rows at a time as the screen holds, and (with ?bell=1, once enabled by a click)
   rings at the end of each round. Text goes in with textContent only (names are user data). */
(function () {
  "use strict";
  var body = document.body;
  var stateUrl = body.getAttribute("data-state-url");
  var pageSeconds = parseInt(body.getAttribute("data-page-seconds"), 10) || 10;
  var pollSeconds = parseInt(body.getAttribute("data-poll-seconds"), 10) || 5;
  var el = function (id) { return document.getElementById(id); };

  var rows = [];
  var page = 0;
  var bellAt = null;        // local ms timestamp of the next bell while running
  var bellPhase = null;     // the phase that ends at bellAt
  var frozen = null;        // seconds shown while paused
  var pollTimer = null;

  function fmt(seconds) {
    if (seconds === null || seconds === undefined) { return ""; }
    var total = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  /* ------------------------------------------------------------------ bell */

  // Web Audio needs a click before it may sound (autoplay rules), so the bell starts off and
  // the screen offers a button; the struck-bell tone is synthesised (no sound file to load).
  var sound = { button: el("sound"), context: null, on: false };

  function setSound(on) {
    sound.on = on;
    if (!sound.button) { return; }
    sound.button.textContent = on ? "Sound on \u00b7 click to mute" : "Click to enable sound";
    sound.button.setAttribute("aria-pressed", on ? "true" : "false");
    body.setAttribute("data-sound", on ? "on" : "off");
  }

  function offerSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!sound.button || !Context) { return; }
    sound.button.hidden = false;
    setSound(false);
    sound.button.addEventListener("click", function () {
      if (sound.on) { setSound(false); return; }
      if (!sound.context) { sound.context = new Context(); }
      sound.context.resume().then(function () { setSound(true); ring(0.25); });
    });
  }

  function strike(context, start, volume) {
    [[523.25, 1], [1046.5, 0.5], [1568, 0.25]].forEach(function (partial) {
      var osc = context.createOscillator();
      var gain = context.createGain();
      osc.type = "sine";
      osc.frequency.value = partial[0];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(volume * partial[1], start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 2.2);
      osc.connect(gain);
      gain.connect(context.destination);
      osc.start(start);
      osc.stop(start + 2.3);
    });
  }

  function ring(volume) {
    if (!sound.on || !sound.context) { return; }
    var now = sound.context.currentTime;
    var v = volume || 0.6;
    strike(sound.context, now, v);
    strike(sound.context, now + 0.6, v);
    body.setAttribute("data-rang", String((parseInt(body.getAttribute("data-rang"), 10) || 0) + 1));
  }

  /* ------------------------------------------------------------------ countdown */

  var startsLabel = "";     // "Starts Thu 12 Jun, 14:00" while the start is hours away

  function tick() {
    var text = "";
    if (startsLabel) {
      text = startsLabel;
    } else if (frozen !== null) {
      text = fmt(frozen);
    } else if (bellAt !== null) {
      var left = (bellAt - Date.now()) / 1000;
      text = fmt(left);
      if (left <= 0) {
        if (bellPhase === "in_round") { ring(); }
        bellAt = null; bellPhase = null;
        schedulePoll(300);
      }
    }
    if (el("countdown").textContent !== text) { el("countdown").textContent = text; }
  }

  /* ------------------------------------------------------------------ table list */

  function rowElement(row) {
    var li = document.createElement("li");
    if (row["break"] || row.waiting) { li.className = row.waiting ? "on-break waiting" : "on-break"; }
    var who = document.createElement("span"); who.className = "who";
    var name = document.createElement("span"); name.className = "name"; name.dir = "auto"; name.textContent = row.name;
    var company = document.createElement("span"); company.className = "company"; company.dir = "auto"; company.textContent = row.company;
    who.appendChild(name); who.appendChild(document.createTextNode(" ")); who.appendChild(company);
    var table = document.createElement("span"); table.className = "table";
    if (row["break"] || row.waiting) {
      table.textContent = row.table;
    } else {
      var word = document.createElement("span"); word.className = "table-word"; word.textContent = "Table";
      table.appendChild(word); table.appendChild(document.createTextNode(" " + row.table));
    }
    li.appendChild(who); li.appendChild(table);
    return li;
  }

  // Pages hold as many rows as the screen shows: the rows are laid out from a page's first
  // one, and the page ends before the first row that falls outside the list's box (past its
  // last column or its bottom). Long names may take two lines, so no fixed count would do.
  var starts = [0];

  function fill(from) {
    var list = el("tables");
    var fragment = document.createDocumentFragment();
    rows.slice(from).forEach(function (row) { fragment.appendChild(rowElement(row)); });
    list.replaceChildren(fragment);
    var box = list.getBoundingClientRect();
    var items = list.children;
    for (var i = 0; i < items.length; i += 1) {
      var rect = items[i].getBoundingClientRect();
      if (rect.right > box.right + 1 || rect.bottom > box.bottom + 1 || rect.left < box.left - 1) {
        return Math.max(1, i);
      }
    }
    return items.length;
  }

  function paginate() {
    starts = [0];
    var from = 0;
    while (rows.length && from < rows.length) {
      from += fill(from);
      if (from < rows.length) { starts.push(from); }
    }
  }

  function renderPage() {
    if (page >= starts.length) { page = 0; }
    var from = starts[page] || 0;
    var count = fill(from);
    var list = el("tables");
    while (list.children.length > count) { list.removeChild(list.lastChild); }
    var pages = starts.length;
    el("page-info").textContent = pages > 1 ? "Page " + (page + 1) + " of " + pages : "";
    body.setAttribute("data-pages", String(pages));
  }

  function relayout() {
    paginate();
    renderPage();
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
        : (!state.names_shown ? (state.notice || "")
          : (state.round ? "No meetings in this round." : ""));
    }
    var changed = JSON.stringify(state.tables) !== JSON.stringify(rows);
    rows = state.tables;
    if (changed) { page = 0; relayout(); }
    var seconds = clock.seconds_to_next_bell;
    startsLabel = state.starts || "";
    if (clock.paused) {
      frozen = seconds; bellAt = null; bellPhase = null;
    } else {
      frozen = null;
      bellAt = seconds === null ? null : Date.now() + seconds * 1000;
      bellPhase = seconds === null ? null : clock.phase;
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

  offerSound();
  setInterval(tick, 250);
  setInterval(function () {
    if (starts.length > 1) { page += 1; renderPage(); }
  }, pageSeconds * 1000);
  window.addEventListener("resize", function () { page = 0; relayout(); });
  poll();
}());
