// Raccolto: scan crate labels with the phone's camera (only on the scan pages).
// BarcodeDetector where the browser has it; otherwise the vendored jsQR, loaded on demand.
// A label's QR holds PUBLIC_BASE_URL/c/<token>: the token goes into #scan-form, which is
// submitted like a typed code, so camera, keyboard and no-JavaScript all take one path.
(function () {
  "use strict";

  var root = document.querySelector("[data-scanner]");
  if (!root) return;
  var video = root.querySelector("[data-scanner-video]");
  var view = root.querySelector("[data-scanner-view]");
  var startButton = root.querySelector("[data-scanner-start]");
  var stopButton = root.querySelector("[data-scanner-stop]");
  var status = root.querySelector("[data-scanner-status]");
  var FROM_URL = /\/c\/([0-9A-Za-z-]{12,20})/;
  var INTERVAL = 200;  // ms between attempts: quick enough, gentle on the battery
  var SAME_LABEL_MS = 4000;  // a label still in view is not a second scan
  var stream = null, detector = null, canvas = null, running = false, timer = null;
  var last = { token: "", at: 0 };

  function say(key) { status.textContent = root.dataset[key] || ""; }

  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    startButton.hidden = true;  // typed codes still work (below)
    say("msgUnsupported");
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root.dataset.jsqr;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function prepareDecoder() {
    if (!("BarcodeDetector" in window)) return loadJsQR();
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) return loadJsQR();
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return null;
    }, loadJsQR);
  }

  function tokenOf(text) {
    var match = FROM_URL.exec(text);
    if (match) return match[1];
    var bare = text.replace(/[\s-]/g, "");
    return /^[0-9A-Za-z]{12}$/.test(bare) ? bare : null;
  }

  function found(text) {
    var token = tokenOf(text || "");
    var form = document.getElementById("scan-form");
    if (!token || !form || form.classList.contains("htmx-request")) return;
    var now = Date.now();
    if (token === last.token && now - last.at < SAME_LABEL_MS) return;
    last = { token: token, at: now };
    form.querySelector("input[name=token]").value = token;
    if (navigator.vibrate) navigator.vibrate(80);
    say("msgFound");
    if (form.requestSubmit) form.requestSubmit();
    else form.querySelector("button[type=submit]").click();
  }

  function decodeFrame() {
    if (detector) {
      return detector.detect(video).then(function (codes) {
        if (codes.length) found(codes[0].rawValue);
      });
    }
    // jsQR reads pixels: draw a frame scaled to at most 640 px wide (fast enough on a phone).
    var scale = Math.min(1, 640 / video.videoWidth);
    var width = Math.round(video.videoWidth * scale), height = Math.round(video.videoHeight * scale);
    canvas = canvas || document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var code = window.jsQR(context.getImageData(0, 0, width, height).data, width, height,
                           { inversionAttempts: "dontInvert" });
    if (code) found(code.data);
    return Promise.resolve();
  }

  function loop() {
    if (!running) return;
    var next = function () { timer = setTimeout(loop, INTERVAL); };
    if (video.readyState < 2 || !video.videoWidth) { next(); return; }
    decodeFrame().then(next, next);
  }

  function start() {
    say("msgStarting");
    prepareDecoder().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false });
    }).then(function (media) {
      stream = media;
      video.srcObject = media;
      view.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      running = true;
      return video.play();
    }).then(function () {
      say("msgReady");
      loop();
    }).catch(function (error) {
      stop();
      say(error && error.name === "NotAllowedError" ? "msgDenied" : "msgFailed");
    });
  }

  function stop() {
    running = false;
    clearTimeout(timer);
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    view.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  // The camera is off while the app is in the background (privacy and battery).
  document.addEventListener("visibilitychange", function () { if (document.hidden && running) stop(); });
  // A code typed while the previous one was being sent is kept: neither the swap of the
  // panel nor the offline queue (which empties the field once it saved the previous code)
  // may throw it away.
  var sending = null, keep = null;
  function codeInput() { return document.querySelector("#scan-form input[name=token]"); }
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "scan-form") sending = event.detail.parameters.token;
  });
  document.addEventListener("htmx:beforeSwap", function () {
    var input = codeInput();
    keep = input && input.value && input.value !== sending ? input.value : null;
  }, true);  // capture: before anything else empties the field
  document.addEventListener("htmx:beforeSwap", function () {
    var input = codeInput();
    if (keep && input && !input.value) input.value = keep;
  });

  // Typing codes one after another: the panel is swapped after each, keep the keyboard open.
  var typing = false;
  document.addEventListener("submit", function (event) {
    typing = event.target.id === "scan-form" && document.activeElement &&
      document.activeElement.name === "token";
  }, true);
  document.addEventListener("htmx:afterSettle", function () {
    var input = codeInput();
    if (keep && input && !input.value) input.value = keep;
    keep = null;
    // Only when the swap took the focus away: never steal it from a field the person moved to.
    var lost = !document.activeElement || document.activeElement === document.body;
    if (typing && input && lost) input.focus();
    typing = false;
    // Pickup or receipt confirmed: nothing left to scan, so the camera goes away.
    if (!input) { stop(); root.hidden = true; } else if (running) say("msgReady");
  });
})();
