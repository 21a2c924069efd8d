// Raccolto: every action form is an operation (DESIGN.md). At submit this stamps the device
// time into `occurred_at`, and gives each new submission of a form a new `op_id`: the first
// submission uses the id the page was rendered with, later ones (a form that stays on the
// page, e.g. after the offline queue answered for it) get a fresh UUID, so two actions are
// never mistaken for a replay of one. Without JavaScript the server's id and clock are used.
(function () {
  "use strict";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; fall back to a version 4 UUID by hand.
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function stamp(form) {
    if (!form || !form.querySelector) return;
    var opId = form.querySelector("input[name=op_id]");
    if (!opId) return;
    if (form.dataset.sentOpId === opId.value) opId.value = uuid();
    form.dataset.sentOpId = opId.value;
    var at = form.querySelector("input[name=occurred_at]");
    if (at) at.value = new Date().toISOString();
  }

  // Capture phase: runs before htmx and the offline queue read the form's fields.
  document.addEventListener("submit", function (event) { stamp(event.target); }, true);
})();
