// Raccolto outbox: actions saved on the phone while offline, in IndexedDB.
// Shared by the pages (script tag) and the service worker (importScripts), so both
// read and write the same records the same way. Plain promises over IndexedDB.
//
// A record (keyed by op_id, the id the device made for the operation):
//   {op_id, user, kind, label, url, method, headers, body, op, state, code, message,
//    created_at, occurred_at, sent_at, tries}
// state: "waiting" (not yet accepted by the server), "sent", "refused" (with the
// server's message; stays until the person dismisses it). Nothing is deleted by the
// code except sent records older than a day.
(function (scope) {
  "use strict";

  var DB_NAME = "raccolto";
  var DB_VERSION = 1;
  var SENT_KEEP_MS = 24 * 3600 * 1000;
  var dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("outbox")) {
          var store = db.createObjectStore("outbox", { keyPath: "op_id" });
          store.createIndex("user", "user");
        }
        // Small facts shared by pages and worker: the signed-in user, "needs_login".
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta", { keyPath: "key" });
      };
      request.onsuccess = function () {
        var db = request.result;
        // Another tab upgrading the schema must not be blocked by this one.
        db.onversionchange = function () { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = function () { dbPromise = null; reject(request.error); };
    });
    return dbPromise;
  }

  // Run `work(store)` in one transaction; resolve with its request's result once committed.
  function withStore(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        var request = work(tx.objectStore(name));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function byCreated(a, b) { return (a.created_at || "").localeCompare(b.created_at || ""); }

  var Outbox = {
    states: { WAITING: "waiting", SENT: "sent", REFUSED: "refused" },

    put: function (item) {
      return withStore("outbox", "readwrite", function (s) { return s.put(item); });
    },
    get: function (opId) {
      return withStore("outbox", "readonly", function (s) { return s.get(opId); });
    },
    remove: function (opId) {
      return withStore("outbox", "readwrite", function (s) { return s.delete(opId); });
    },
    // Every record, oldest first (the order the person did things in).
    all: function () {
      return withStore("outbox", "readonly", function (s) { return s.getAll(); })
        .then(function (items) { return (items || []).sort(byCreated); });
    },
    forUser: function (user) {
      return Outbox.all().then(function (items) {
        return items.filter(function (i) { return i.user === user; });
      });
    },
    // {waiting, refused, sent, others}: `others` counts records of other accounts still waiting.
    counts: function (user) {
      return Outbox.all().then(function (items) {
        var c = { waiting: 0, refused: 0, sent: 0, others: 0 };
        items.forEach(function (i) {
          if (i.user !== user) { if (i.state === "waiting") c.others += 1; return; }
          if (c[i.state] !== undefined) c[i.state] += 1;
        });
        return c;
      });
    },
    // Forget sent records after a day; waiting and refused ones are never pruned.
    prune: function (now) {
      var limit = (now || Date.now()) - SENT_KEEP_MS;
      return Outbox.all().then(function (items) {
        var old = items.filter(function (i) {
          return i.state === "sent" && Date.parse(i.sent_at || i.created_at) < limit;
        });
        return Promise.all(old.map(function (i) { return Outbox.remove(i.op_id); }));
      });
    },
    getMeta: function (key) {
      return withStore("meta", "readonly", function (s) { return s.get(key); })
        .then(function (row) { return row ? row.value : undefined; });
    },
    setMeta: function (key, value) {
      return withStore("meta", "readwrite", function (s) { return s.put({ key: key, value: value }); });
    },

    // Build a record from a request's parts. `meta` comes from the page in the
    // X-Raccolto-Meta header: {op_id, kind, label, user, op}.
    record: function (parts, meta, fallbackUser) {
      meta = meta || {};
      var form = {};
      var type = (parts.headers["content-type"] || "").toLowerCase();
      if (type.indexOf("application/x-www-form-urlencoded") === 0) {
        new URLSearchParams(parts.body).forEach(function (v, k) { form[k] = v; });
      }
      var opId = meta.op_id || form.op_id || (meta.op && meta.op.op_id) || Outbox.newId();
      var now = new Date().toISOString();
      return {
        op_id: opId,
        user: meta.user || fallbackUser || "",
        kind: meta.kind || (meta.op && meta.op.kind) || "",
        label: meta.label || "",
        url: parts.url,
        method: parts.method || "POST",
        headers: parts.headers,
        body: parts.body,
        op: meta.op || null,
        state: "waiting",
        code: "",
        message: "",
        created_at: now,
        occurred_at: form.occurred_at || (meta.op && meta.op.occurred_at) || now,
        sent_at: null,
        tries: 0
      };
    },

    // Two records of the same operation (another op_id, same fields) still waiting.
    sameAction: function (a, b) {
      if (a.state !== "waiting" || a.user !== b.user || !a.op || !b.op) return false;
      var strip = function (op) {
        return JSON.stringify(Object.keys(op).sort().filter(function (k) {
          return k !== "op_id" && k !== "occurred_at";
        }).map(function (k) { return [k, op[k]]; }));
      };
      return strip(a.op) === strip(b.op);
    },

    // The people-facing message of an HTML error answer: its alert if any, else its text.
    // (A worker has no DOMParser, hence the regular expressions.)
    readableText: function (html) {
      var alert = html.match(/role="alert"[^>]*>([\s\S]*?)<\//);
      var text = (alert ? alert[1] : html.replace(/<(script|style|head)[\s\S]*?<\/\1>/g, ""))
        .replace(/<[^>]+>/g, " ").replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
      return text.slice(0, 300);
    },

    newId: function () {
      if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
      return "op-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
    },

    // The metadata header travels as percent-encoded JSON (headers are Latin-1 only).
    encodeMeta: function (meta) { return encodeURIComponent(JSON.stringify(meta)); },
    decodeMeta: function (value) {
      if (!value) return null;
      try { return JSON.parse(decodeURIComponent(value)); } catch (e) { return null; }
    }
  };

  scope.RaccoltoOutbox = Outbox;
})(self);
