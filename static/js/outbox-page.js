// The outbox page (/coda): lists this account's saved actions from IndexedDB, grouped as
// waiting, refused (with the server's reason, until dismissed) and sent in the last day.
// The labels come from data-* attributes of the template, so they are translated.
(function () {
  "use strict";

  var Outbox = window.RaccoltoOutbox;
  var root = document.getElementById("outbox");
  var template = document.getElementById("outbox-item");
  if (!root || !template || !Outbox) return;
  var labels = root.dataset;
  var when = new Intl.DateTimeFormat(document.documentElement.lang || "it",
                                     { dateStyle: "short", timeStyle: "short" });

  function user() { return window.RaccoltoOffline ? window.RaccoltoOffline.currentUser() : ""; }

  function row(item) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.dataset.opId = item.op_id;
    node.dataset.state = item.state;
    node.querySelector('[data-field="label"]').textContent = item.label || item.kind || item.url;
    var state = node.querySelector('[data-field="state"]');
    state.textContent = labels["state" + item.state.charAt(0).toUpperCase() + item.state.slice(1)] || item.state;
    state.classList.add(item.state === "refused" ? "danger" : item.state === "waiting" ? "warn" : "ok");
    var date = new Date(item.occurred_at || item.created_at);
    node.querySelector('[data-field="when"]').textContent = labels.savedAt + " " + when.format(date);
    var message = node.querySelector('[data-field="message"]');
    var text = item.code === "conflict" ? labels.conflict : item.message;
    message.textContent = text || "";
    message.hidden = !text;
    // Only a refused action can be dismissed: waiting ones are never dropped from here.
    if (item.state !== "refused") node.querySelector("[data-outbox-dismiss]").parentNode.remove();
    return node;
  }

  function render() {
    var me = user();
    return Outbox.all().then(function (items) {
      ["waiting", "refused", "sent"].forEach(function (state) {
        var list = root.querySelector('[data-outbox-list="' + state + '"]');
        var mine = items.filter(function (i) { return i.user === me && i.state === state; });
        if (state === "sent") mine.reverse();  // newest first
        list.replaceChildren.apply(list, mine.map(row));
        root.querySelector('[data-outbox-empty="' + state + '"]').hidden = mine.length > 0;
        var total = root.querySelector('[data-outbox-total="' + state + '"]');
        if (total) total.textContent = String(mine.length);
      });
      var others = items.filter(function (i) { return i.user !== me && i.state === "waiting"; }).length;
      var note = root.querySelector("[data-outbox-others]");
      note.hidden = others === 0;
      note.textContent = labels.otherUsers.replace("{n}", others);
      root.dataset.ready = "1";
    });
  }

  root.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-outbox-dismiss]");
    if (dismiss) {
      var opId = dismiss.closest("[data-op-id]").dataset.opId;
      Outbox.get(opId).then(function (item) {
        // Re-checked: only a refused record of this account goes.
        if (item && item.state === "refused" && item.user === user()) return Outbox.remove(opId);
      }).then(render).then(function () { window.RaccoltoOffline.refresh(); });
      return;
    }
    if (event.target.closest("[data-outbox-send]") && window.RaccoltoOffline) {
      window.RaccoltoOffline.ask({ type: "replay" }, 30000).then(render);
    }
  });

  // The worker and offline.js announce every change of the outbox.
  document.addEventListener("raccolto:outbox", render);
  render();
})();
