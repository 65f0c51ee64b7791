/* speednet check-in kiosk. The page works without this script (plain form posts); with it:
 * - the scanner field posts to scan.json and shows the answer at once, then clears and keeps
 *   focus for the next scan (USB/Bluetooth scanners type the code and press Enter);
 * - a request that may have been lost is resent with the same nonce (never counted twice);
 * - camera scanning with the vendored jsQR decoder, offered only when a camera exists;
 * - live counts ([data-counts-url]) on the kiosk and on the event overview.
 * No innerHTML: every text from the server goes in with textContent. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function setCsrfToken(token) {
    if (!token) return;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) meta.setAttribute("content", token);
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = token;
    });
  }

  function newNonce() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* ------------------------------------------------------------------ live counts */

  function startCounts() {
    var boxes = document.querySelectorAll("[data-counts-url]");
    if (!boxes.length) return;
    function refresh() {
      boxes.forEach(function (box) {
        fetch(box.getAttribute("data-counts-url"), {
          credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store"
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (data) {
          if (!data) return;
          box.querySelectorAll("[data-count]").forEach(function (el) {
            var key = el.getAttribute("data-count");
            if (key in data) el.textContent = String(data[key]);
          });
          setCsrfToken(data.csrf_token);
        }).catch(function () { /* offline for a moment: the next poll tries again */ });
      });
    }
    refresh();
    window.setInterval(refresh, 10000);
  }

  /* ------------------------------------------------------------------ kiosk */

  function Kiosk(root) {
    this.root = root;
    this.scanUrl = root.getAttribute("data-scan-url");
    this.device = root.getAttribute("data-device") || "";
    this.form = document.getElementById("scan-form");
    this.input = document.getElementById("code");
    this.answer = document.getElementById("answer");
    this.statusRegion = document.getElementById("scan-status");
    this.alertRegion = document.getElementById("scan-alert");
    this.busy = false;
    this.queue = [];
  }

  Kiosk.prototype.start = function () {
    if (!this.form || !this.input || !this.scanUrl) return;
    var self = this;
    try { window.localStorage.setItem("speednet-kiosk", this.device); } catch (e) { /* private mode */ }
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var code = self.input.value.trim();
      self.input.value = "";
      self.input.focus();
      if (code) self.submit({ code: code });
    });
    // Keep the scanner field focused unless staff are using another control.
    document.addEventListener("click", function (event) {
      if (!event.target.closest("input, textarea, select, button, a, label, video")) self.focus();
    });
    window.addEventListener("focus", function () { self.focus(); });
    this.focus();
    new Camera(this).offer();
  };

  Kiosk.prototype.focus = function () {
    var active = document.activeElement;
    if (active && active !== document.body && active !== this.input &&
        active.matches("input, textarea, select")) return;
    this.input.focus();
  };

  Kiosk.prototype.submit = function (body) {
    body.nonce = newNonce();
    body.device = this.device;
    this.queue.push(body);
    this.next();
  };

  Kiosk.prototype.next = function () {
    if (this.busy || !this.queue.length) return;
    this.busy = true;
    var self = this;
    var body = this.queue.shift();
    this.showPending(body);
    this.send(body, 0).then(function (data) {
      self.show(data);
    }).catch(function (error) {
      self.show({ status: "error", message: error.message });
    }).then(function () {
      self.busy = false;
      self.next();
    });
  };

  Kiosk.prototype.send = function (body, attempt) {
    var self = this;
    return fetch(this.scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1 && response.status !== 400) {
        return response.json();
      }
      if (response.status === 400 && attempt < 1) {
        // The CSRF token expired (kiosk open all day): fetch the page's counts for a new one.
        return self.refreshToken().then(function () { return self.send(body, attempt + 1); });
      }
      if (response.status === 401 || response.redirected) {
        throw new Error("Signed out: reload the page and sign in again.");
      }
      if (response.status === 503) return self.resend(body, attempt);  // database reconnecting
      throw new Error("The server answered " + response.status + ". Scan again.");
    }, function () {
      // Network error: the request may or may not have arrived.
      return self.resend(body, attempt);
    });
  };

  // Resending the same nonce is safe: the server answers as the first time, never twice.
  Kiosk.prototype.resend = function (body, attempt) {
    var self = this;
    if (attempt >= 4) throw new Error("No connection to the server. Scan again when it is back.");
    return new Promise(function (resolve) {
      window.setTimeout(resolve, 500 * (attempt + 1));
    }).then(function () { return self.send(body, attempt + 1); });
  };

  Kiosk.prototype.refreshToken = function () {
    var counts = document.querySelector("[data-counts-url]");
    if (!counts) return Promise.resolve();
    return fetch(counts.getAttribute("data-counts-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) { setCsrfToken(data.csrf_token); });
  };

  Kiosk.prototype.showPending = function () {
    this.render("pending", "Checking…", null);
  };

  Kiosk.prototype.show = function (data) {
    var status = data.status || "error";
    var message = data.message || (status === "unknown" ? "Unknown code" : "Something went wrong");
    this.render(status, message, data);
    this.announce(status, data.announcement || message);
    if (data.status === "welcome" || data.status === "already") {
      var counts = document.querySelector('.kiosk [data-count="checked_in"]');
      if (counts && data.status === "welcome" && !data.replayed) {
        counts.textContent = String((parseInt(counts.textContent, 10) || 0) + 1);
      }
    }
    this.focus();
  };

  // Screen readers: a welcome goes to the polite status region, a refusal or an error to the
  // alert region. Emptied first and filled a moment later, so that two scans in a row with the
  // same answer ("Unknown code") are both read out.
  Kiosk.prototype.announce = function (status, text) {
    var ok = status === "welcome" || status === "already";
    var target = ok ? this.statusRegion : this.alertRegion;
    var other = ok ? this.alertRegion : this.statusRegion;
    if (!target) return;
    if (other) other.textContent = "";
    target.textContent = "";
    window.setTimeout(function () { target.textContent = text; }, 100);
  };

  Kiosk.prototype.render = function (status, message, data) {
    var answer = this.answer;
    answer.hidden = false;
    answer.className = "answer answer-" + status;
    while (answer.firstChild) answer.removeChild(answer.firstChild);
    var text = document.createElement("p");
    text.className = "answer-text";
    text.textContent = message;
    answer.appendChild(text);
    if (data && data.status === "welcome" && data.annul_url) {
      var actions = document.createElement("p");
      actions.className = "answer-actions";
      var form = document.createElement("form");
      form.className = "inline";
      form.method = "post";
      form.action = data.annul_url;
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf_token";
      token.value = csrfToken();
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "secondary";
      button.textContent = "Undo this check-in";
      form.appendChild(token);
      form.appendChild(button);
      actions.appendChild(form);
      answer.appendChild(actions);
    }
    if (data && data.actions && data.actions.length) {
      // Restore and check in (a withdrawn person), Leaving (someone already in).
      var more = document.createElement("p");
      more.className = "answer-actions";
      data.actions.forEach(function (action) { more.appendChild(actionForm(action)); });
      answer.appendChild(more);
    }
  };

  function actionForm(action) {
    var form = document.createElement("form");
    form.className = "inline";
    form.method = "post";
    form.action = action.url;
    var fields = { csrf_token: csrfToken() };
    if (action.nonce) fields.nonce = action.nonce;
    Object.keys(fields).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    var button = document.createElement("button");
    button.type = "submit";
    button.className = "secondary";
    button.textContent = action.label;
    form.appendChild(button);
    return form;
  }

  /* ------------------------------------------------------------------ camera */

  function Camera(kiosk) {
    this.kiosk = kiosk;
    this.box = document.getElementById("camera");
    this.video = document.getElementById("camera-video");
    this.canvas = document.getElementById("camera-canvas");
    this.startButton = document.getElementById("camera-start");
    this.stopButton = document.getElementById("camera-stop");
    this.status = document.getElementById("camera-status");
    this.stream = null;
    this.lastCode = "";
    this.lastAt = 0;
  }

  Camera.prototype.offer = function () {
    var self = this;
    if (!this.box || !this.startButton || typeof window.jsQR !== "function") return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices ||
        !navigator.mediaDevices.getUserMedia) return;
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var hasCamera = devices.some(function (d) { return d.kind === "videoinput"; });
      if (!hasCamera) return;
      self.startButton.hidden = false;
      self.startButton.addEventListener("click", function () { self.start(); });
      self.stopButton.addEventListener("click", function () { self.stop(); });
    }).catch(function () { /* no permission to list devices: no camera button */ });
  };

  Camera.prototype.start = function () {
    var self = this;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        self.stream = stream;
        self.video.srcObject = stream;
        self.box.hidden = false;
        self.startButton.hidden = true;
        self.status.textContent = "Hold a badge QR code in front of the camera.";
        return self.video.play();
      }).then(function () {
        self.tick();
      }).catch(function (error) {
        self.status.textContent = "";
        var text = "The camera cannot be used: " + (error.message || error.name);
        self.kiosk.render("error", text, null);
        self.kiosk.announce("error", text);
      });
  };

  Camera.prototype.stop = function () {
    if (this.stream) this.stream.getTracks().forEach(function (t) { t.stop(); });
    this.stream = null;
    this.box.hidden = true;
    this.startButton.hidden = false;
    this.kiosk.focus();
  };

  Camera.prototype.tick = function () {
    var self = this;
    if (!this.stream) return;
    var video = this.video;
    if (video.readyState === video.HAVE_ENOUGH_DATA && video.videoWidth) {
      var width = Math.min(video.videoWidth, 800);
      var height = Math.round(video.videoHeight * width / video.videoWidth);
      this.canvas.width = width;
      this.canvas.height = height;
      var context = this.canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, width, height);
      var image = context.getImageData(0, 0, width, height);
      var found = window.jsQR(image.data, width, height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        var code = found.data.trim();
        var now = Date.now();
        // The same badge stays in view for a while: scan it once, not thirty times a second.
        if (code && (code !== this.lastCode || now - this.lastAt > 4000)) {
          this.lastCode = code;
          this.lastAt = now;
          this.kiosk.submit({ code: code });
        }
      }
    }
    window.requestAnimationFrame(function () { self.tick(); });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("kiosk");
    if (root) new Kiosk(root).start();
    startCounts();
  });
})();
