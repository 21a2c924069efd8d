// Raccolto offline: registers the service worker, marks offline-capable requests, shows
// the outbox badge and notices, asks for replays, and handles logout (DESIGN.md "Offline").
//
// Offline-capable forms carry `data-offline` (their templates also hold hidden op_id and
// occurred_at, refreshed by static/js/ops.js). Their requests get the header
// X-Raccolto-Offline: 1, which tells the service worker it may save them when the network
// fails, plus X-Raccolto-Meta: {op_id, kind, label, user, op}. `op` is the operation dict
// for POST /api/ops, built when the form says `data-op-kind` (fields: the form's inputs
// and its data-op-* attributes); the worker replays through /api/ops when it has it, and
// repeats the original form request otherwise. Strings come from the template (data-msg-*).
(function () {
  "use strict";

  var script = document.currentScript;
  var config = script ? script.dataset : {};
  var Outbox = window.RaccoltoOutbox;
  var supported = "serviceWorker" in navigator && !!Outbox;
  var SKIP_FIELDS = { csrf_token: 1, op_id: 1, occurred_at: 1, next: 1 };  // not operation fields
  var NUMERIC_FIELD = /(^|_)(id|c|kg|n)$/;

  function currentUser() {
    var meta = document.querySelector('meta[name="raccolto-user"]');
    return meta ? meta.content : "";
  }

  function worker() {
    return navigator.serviceWorker.ready.then(function (reg) { return reg.active; });
  }

  // Post a message to the active worker; resolve with its answer (or after `timeout` ms).
  function ask(message, timeout) {
    if (!supported) return Promise.resolve(null);
    return new Promise(function (resolve) {
      // The timer also covers a worker that never becomes ready (registration failed).
      var timer = setTimeout(function () { resolve(null); }, timeout || 5000);
      worker().then(function (active) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (event) { clearTimeout(timer); resolve(event.data); };
        active.postMessage(message, [channel.port2]);
      });
    });
  }

  // --- the operation metadata -------------------------------------------------------

  function snake(name) { return name.replace(/[A-Z]/g, function (c) { return "_" + c.toLowerCase(); }); }

  function typed(name, value) {
    return NUMERIC_FIELD.test(name) && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  }

  // The operation dict of a form (null unless it declares data-op-kind).
  function buildOp(form, entries) {
    var kind = form.getAttribute("data-op-kind");
    if (!kind) return null;
    var op = { op_id: entries.op_id, kind: kind, occurred_at: entries.occurred_at || new Date().toISOString() };
    Object.keys(form.dataset).forEach(function (key) {
      if (key.indexOf("op") !== 0 || key === "opKind" || key.length < 3) return;
      var name = snake(key.slice(2, 3).toLowerCase() + key.slice(3));
      op[name] = typed(name, form.dataset[key]);
    });
    Object.keys(entries).forEach(function (name) {
      if (!SKIP_FIELDS[name]) op[name] = typed(name, entries[name]);
    });
    return op;
  }

  function metaFor(form, entries, submitter) {
    var label = form.getAttribute("data-offline-label") ||
      (submitter && submitter.textContent.trim()) || form.getAttribute("aria-label") || "";
    if (entries.token) label += " · " + entries.token.toUpperCase();  // which crate, in the outbox list
    return { op_id: entries.op_id || "", kind: form.getAttribute("data-op-kind") || "",
             label: label.slice(0, 120), user: currentUser(), op: buildOp(form, entries) };
  }

  function entriesOf(formData) {
    var out = {};
    formData.forEach(function (value, name) { if (typeof value === "string") out[name] = value; });
    return out;
  }

  // htmx requests from offline-capable forms (or buttons inside them).
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt.closest("[data-offline]");
    if (!form) return;
    var data = event.detail.formData || null;
    var entries = data ? entriesOf(data) : Object.assign({}, event.detail.parameters);
    event.detail.headers["X-Raccolto-Offline"] = "1";
    event.detail.headers["X-Raccolto-Meta"] = Outbox.encodeMeta(metaFor(form, entries, event.detail.elt));
  });

  // The worker saved the action (202 + X-Raccolto-Queued): keep the page as it is (the scan
  // form must stay for the next crate) and show the worker's note next to the form.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!(xhr && xhr.status === 202 && xhr.getResponseHeader("X-Raccolto-Queued"))) return;
    event.detail.shouldSwap = false;
    var elt = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
    showQueued(elt.closest("form") || elt, xhr.responseText);
  });

  // Remember what each typed field held when its form was sent (see showQueued).
  function snapshot(form) {
    if (!form || !form.querySelectorAll) return;
    form.querySelectorAll("input, textarea").forEach(function (input) { input.dataset.sentValue = input.value; });
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    snapshot(elt && (elt.closest ? elt.closest("form") : null) || elt);
  });
  document.addEventListener("submit", function (event) { snapshot(event.target); }, true);

  // After a save: one note per form; typed fields emptied for the next entry; a form with
  // nothing to type (claim, deliver) is disabled, so a second tap cannot queue it twice.
  function showQueued(form, html) {
    var previous = form.nextElementSibling;
    if (previous && previous.hasAttribute("data-outbox-queued")) previous.remove();
    form.insertAdjacentHTML("afterend", html);  // the worker's own precached fragment
    var typed = form.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea");
    // Empty only what still holds the value that was sent: a code typed meanwhile stays.
    typed.forEach(function (input) {
      if (input.dataset.sentValue === undefined || input.value === input.dataset.sentValue) input.value = "";
    });
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = typed.length === 0; });
    refresh();
  }

  // Plain (non-htmx) offline-capable forms: sent with fetch so they can carry the headers.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // htmx and the confirmation prompt have already had their say (they run first).
    if (event.defaultPrevented || !supported || !form.matches("form[data-offline]")) return;
    if ((form.method || "").toLowerCase() !== "post") return;
    var submitter = event.submitter;
    event.preventDefault();
    // Let other submit listeners (ops.js refreshing op_id) finish before reading the fields.
    setTimeout(function () { submitWithFetch(form, submitter); }, 0);
  });

  function submitWithFetch(form, submitter) {
    var data = new FormData(form, submitter);
    var entries = entriesOf(data);
    var buttons = form.querySelectorAll("button, input[type=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {
      // A photo form is multipart (its file would not survive URL encoding).
      method: "POST", credentials: "same-origin",
      body: form.enctype === "multipart/form-data" ? data : new URLSearchParams(data),
      headers: { "X-Raccolto-Offline": "1", "X-Raccolto-Meta": Outbox.encodeMeta(metaFor(form, entries, submitter)) }
    }).then(function (response) {
      if (response.status === 202 && response.headers.get("X-Raccolto-Queued")) {
        return response.text().then(function (html) { showQueued(form, html); });
      }
      if (response.redirected) { window.location.assign(response.url); return null; }
      return response.text().then(function (html) { showPage(html, form); });
    }).catch(function () {
      // No worker to save it (first visit offline): the browser's own submit says why.
      buttons.forEach(function (b) { b.disabled = false; });
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  // An answer that is a whole page (a validation error, a refusal): show its main content.
  function showPage(html, form) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("main");
    var main = document.getElementById("main");
    if (!fresh || !main) { HTMLFormElement.prototype.submit.call(form); return; }
    main.innerHTML = fresh.innerHTML;
    if (doc.title) document.title = doc.title;
    if (window.htmx) window.htmx.process(main);
    main.focus();
  }

  // --- badge and notices ------------------------------------------------------------

  function refresh() {
    if (!Outbox) return Promise.resolve();
    var user = currentUser();
    return Promise.all([Outbox.counts(user), Outbox.getMeta("needs_login")]).then(function (values) {
      var counts = values[0];
      document.querySelectorAll("[data-outbox-count]").forEach(function (badge) {
        badge.textContent = counts.waiting > 99 ? "99+" : String(counts.waiting);
        badge.hidden = counts.waiting === 0;
      });
      document.querySelectorAll("[data-outbox-link]").forEach(function (link) {
        link.hidden = counts.waiting + counts.refused === 0;
      });
      var login = document.querySelector("[data-outbox-login]");
      if (login) login.hidden = !(values[1] && (counts.waiting > 0 || counts.others > 0));
      document.dispatchEvent(new CustomEvent("raccolto:outbox", { detail: counts }));
    }).catch(function () {});
  }

  function showConnection() {
    var bar = document.querySelector("[data-offline-bar]");
    if (bar) bar.hidden = navigator.onLine;
  }

  window.addEventListener("online", function () {
    showConnection();
    if (document.documentElement.hasAttribute("data-offline-page")) { window.location.reload(); return; }
    if (supported) ask({ type: "replay" }, 30000);
  });
  window.addEventListener("offline", showConnection);

  // A missed `online` event (a phone waking up, a flaky bay) must not strand the queue:
  // while this user's actions wait and the browser believes it is online, ask again.
  setInterval(function () {
    if (!supported || !navigator.onLine || document.hidden) return;
    Outbox.counts(currentUser()).then(function (counts) {
      if (counts.waiting > 0) ask({ type: "replay" }, 30000);
    }).catch(function () {});
  }, 10000);

  // --- logout: drop this account's cached pages; the outbox stays for its return -------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !supported || !config.logout) return;
    if (form.getAttribute("action") !== config.logout || form.dataset.loggingOut) return;
    event.preventDefault();
    Outbox.counts(currentUser()).then(function (counts) {
      if (counts.waiting > 0 && !window.confirm((config.msgLogout || "").replace("{n}", counts.waiting))) return;
      form.dataset.loggingOut = "1";
      return ask({ type: "logout" }, 3000).then(function () { HTMLFormElement.prototype.submit.call(form); });
    }).catch(function () { HTMLFormElement.prototype.submit.call(form); });
  });

  // --- start --------------------------------------------------------------------------

  function prefetchList(controlled) {
    // Listed by the server (<meta name="raccolto-prefetch">) or by a page element (data-prefetch).
    var urls = [];
    var meta = document.querySelector('meta[name="raccolto-prefetch"]');
    if (meta) urls = meta.content.split(/\s+/).filter(Boolean);
    document.querySelectorAll("[data-prefetch]").forEach(function (el) {
      urls = urls.concat(el.getAttribute("data-prefetch").split(/\s+/).filter(Boolean));
    });
    // The page now open was fetched before a worker controlled it: cache it too.
    if (!controlled) urls.push(window.location.href);
    // The outbox page must open offline, where it matters most.
    if (currentUser() && config.outbox) urls.push(config.outbox);
    return urls;
  }

  function start() {
    showConnection();
    refresh();
    if (!supported || !config.sw) return;
    var controlled = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener("message", function (event) {
      var type = event.data && event.data.type;
      if (type === "outbox-changed" || type === "outbox-login") refresh();
      if (type === "outbox-replayed") {
        refresh();
        // What the server now knows differs from this page: show the new state.
        if (event.data.sent + event.data.refused > 0 && /^\/(volontario|ente|c)\//.test(window.location.pathname)) {
          window.location.reload();
        }
      }
    });
    navigator.serviceWorker.register(config.sw, { scope: "/" }).then(function (reg) {
      // A new version takes over only once installed, i.e. with its whole shell cached.
      var adopt = function (w) { if (w && navigator.serviceWorker.controller) w.postMessage({ type: "skip-waiting" }); };
      adopt(reg.waiting);
      reg.addEventListener("updatefound", function () {
        var w = reg.installing;
        if (w) w.addEventListener("statechange", function () { if (w.state === "installed") adopt(w); });
      });
    }).catch(function () {});
    // App start: say who is here (if anyone), cache what the page lists, send what waits.
    ask({ type: "hello", user: currentUser(), prefetch: prefetchList(controlled) }, 30000).then(refresh);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.RaccoltoOffline = { refresh: refresh, ask: ask, currentUser: currentUser };
})();
