// Raccolto service worker (DESIGN.md "Offline"): served at /sw.js by app/pwa, scope /.
//
// - The shell (CSS, JS, icons, offline page) is precached under a version derived from
//   the files' contents; the route fills in the tokens below.
// - The volunteer's and charity's own pages are network-first: what was seen online
//   can be opened offline. Only GET 200 same-origin HTML is cached, and never an htmx
//   fragment (requests with HX-Request; the server also sends Vary: HX-Request).
// - Offline-capable actions (requests with X-Raccolto-Offline: 1) that cannot reach the
//   server are saved in IndexedDB (static/js/idb-outbox.js) and replayed later.
"use strict";

var VERSION = "__VERSION__";
var PRECACHE = /*__PRECACHE__*/[];
var CONFIG = /*__CONFIG__*/{};
var STATIC_CACHE = "raccolto-static-" + VERSION;
// Pages are not versioned: an app update must not throw away what a driver saw online.
// They are deleted on logout and when another account signs in on this phone.
var PAGES_CACHE = "raccolto-pages";
var SYNC_TAG = "raccolto-outbox";
// A page already cached is shown after this long without an answer (weak signal in a bay).
var NETWORK_TIMEOUT_MS = 6000;
var PREFETCH_FRESH_MS = 5 * 60 * 1000;
// Headers of a saved request that matter when it is sent again.
var KEEP_HEADERS = ["content-type", "accept", "hx-request", "hx-target", "hx-trigger", "hx-current-url"];

importScripts(CONFIG.outbox_script, CONFIG.handover_script);
var Outbox = self.RaccoltoOutbox;
var Handover = self.RaccoltoHandover;  // photos in the outbox, DDTs offline (service_worker/handover.js)
try {
  // Push listeners belong to the notifications work (service_worker/push.js). Until that
  // file exists /sw-push.js answers 404; this worker must install and run all the same.
  importScripts(CONFIG.push_script);
} catch (error) {
  console.info("Raccolto: no push listeners yet", error && error.message);
}

// ---------------------------------------------------------------------------------
// install: precache the shell. The new version waits (no skipWaiting here): pages ask
// it to take over only once it is installed, i.e. once every file is in the cache.
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    // Fresh copies (an HTTP-cached /offline could be stale), and without cookies: the shell is
    // the same for everyone, and a cookie-less request cannot race a login that is happening
    // at the same moment by answering with an older session cookie.
    return cache.addAll(PRECACHE.map(function (url) {
      return new Request(url, { cache: "no-cache", credentials: "omit" });
    }));
  }));
});

// activate: delete the shells of older versions, then control the open pages at once, so
// an action done on the very first visit can already be saved offline.
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("raccolto-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// fetch: route each same-origin request to its strategy; anything else goes to the network.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    // Only actions the page marked as offline-capable are saved; other posts (login,
    // profile, store forms) just fail offline, as they would without a worker.
    if (request.headers.get("X-Raccolto-Offline") === "1") event.respondWith(sendOrQueue(request));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    if (url.searchParams.has("v")) event.respondWith(cacheFirst(request));
    return;
  }
  if (request.headers.has("HX-Request")) {
    // An htmx fragment: never cached, never answered with a cached page.
    event.respondWith(fetch(request).catch(function () { return offlineFragment(); }));
    return;
  }
  if (isOwnPage(url)) {
    event.respondWith(networkFirst(event, request));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return offlinePage(); }));
  }
});

// sync: Background Sync fires when the browser sees the connection come back.
self.addEventListener("sync", function (event) {
  if (event.tag === SYNC_TAG) event.waitUntil(replay());
});

// message: requests from the pages (static/js/offline.js).
//   hello {user, prefetch[]}: a page of `user` opened (and is claimed); another account's pages are dropped,
//     then the listed pages are cached for offline use and the outbox is replayed.
//   replay: send what waits (the page saw `online`, or the person tapped "Invia ora").
//   logout: delete the cached pages (the outbox stays, per user); answers on the port.
//   skip-waiting: an installed (complete) new version may take over.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var reply = function (value) { if (event.ports && event.ports[0]) event.ports[0].postMessage(value); };
  var work;
  if (data.type === "hello") {
    // A page that loaded while this worker was still activating is not controlled yet.
    work = self.clients.claim().then(function () { return hello(data.user || ""); }).then(function () {
      return Promise.all([prefetch(data.prefetch || []), replay().catch(function () {})]);
    });
  } else if (data.type === "replay") {
    work = replay().catch(function () {});
  } else if (data.type === "logout") {
    work = Outbox.setMeta("user", "").then(clearPages);
  } else if (data.type === "skip-waiting") {
    work = self.skipWaiting();
  } else {
    return;
  }
  event.waitUntil(work.then(function () { reply({ ok: true }); },
                            function (error) { reply({ ok: false, error: String(error) }); }));
});

// ---------------------------------------------------------------------------------
// Strategies

function isOwnPage(url) {
  if ((CONFIG.exact_pages || []).indexOf(url.pathname) !== -1) return true;
  return CONFIG.page_prefixes.some(function (prefix) {
    return url.pathname === prefix || url.pathname.indexOf(prefix) === 0;
  });
}

// A response fit for the pages cache: a full HTML page, 200, ours, not a redirect.
function cacheablePage(response) {
  return response.status === 200 && response.ok && response.type === "basic" && !response.redirected &&
    (response.headers.get("Content-Type") || "").indexOf("text/html") === 0 &&
    (response.headers.get("Cache-Control") || "").indexOf("no-store") === -1;
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (v) { clearTimeout(timer); resolve(v); },
                 function (e) { clearTimeout(timer); reject(e); });
  });
}

function networkFirst(event, request) {
  var network = fetch(request).then(function (response) {
    if (!cacheablePage(response)) return response;
    var copy = response.clone();
    var text = response.clone().text();
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.put(request.url, copy);
    }).then(function () {
      // In the background: what this page loads later (the scan page's decoder) for offline use.
      event.waitUntil(text.then(prefetchAssets).catch(function () {}));
      return response;
    });
  });
  // Keep the worker alive until the fresh copy is stored, even if the cached one was shown.
  event.waitUntil(network.catch(function () {}));
  return caches.open(PAGES_CACHE).then(function (cache) {
    // Only full pages are ever stored, so the Vary: HX-Request of the stored copy can be ignored.
    return cache.match(request.url, { ignoreVary: true }).then(function (hit) {
      var crate = hit ? null : typedCrate(new URL(request.url));
      return crate ? cache.match(crate, { ignoreVary: true }) : hit;
    });
  }).then(function (cached) {
    var attempt = cached ? withTimeout(network, NETWORK_TIMEOUT_MS) : network;
    return attempt.catch(function (error) {
      if (cached) return cached;
      if (request.mode === "navigate") return offlinePage();
      throw error;
    });
  });
}

// A code typed in the crate lookup (/c/?codice=abcd-efgh-jkmn) is the crate page /c/ABCDEFGHJKMN:
// the server redirects, offline the worker finds it itself (app/services/people/tokens.py, in JS).
function typedCrate(url) {
  var typed = url.pathname === "/c/" && url.searchParams.get("codice");
  if (!typed) return null;
  var text = typed.trim();
  if (text.indexOf("/c/") !== -1) text = text.split("/c/").pop().split(/[?#]/)[0];
  var token = text.toUpperCase().replace(/[ \-_.]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0").replace(/U/g, "V");
  return /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{12}$/.test(token) ? new URL("/c/" + token, url).href : null;
}

function cacheFirst(request) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      if (hit) return hit;
      return fetch(request).then(function (response) {
        // Versioned URLs (?v=<content hash>) never change, so they are safe to keep.
        if (response.ok && response.type === "basic") cache.put(request, response.clone());
        return response;
      }, function (error) {
        // A page cached under an older version asks for older ?v= files: the current
        // copy of the same file is better than an unstyled page.
        return cache.match(request, { ignoreSearch: true }).then(function (any) {
          if (any) return any;
          throw error;
        });
      });
    });
  });
}

function offlinePage() {
  return caches.match(CONFIG.offline).then(function (page) {
    return page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
  });
}

function offlineFragment() {
  return new Response("", { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// Cache pages for offline use (the crate pages of claimed pickups, the page just opened
// before the worker controlled it), with the static files they use that are not cached.
function prefetch(urls) {
  var own = urls.map(function (u) { return new URL(u, self.location.href); }).filter(function (u) {
    return u.origin === self.location.origin && isOwnPage(u);
  });
  return caches.open(PAGES_CACHE).then(function (cache) {
    return Promise.all(own.map(function (url) {
      return cache.match(url.href, { ignoreVary: true }).then(function (hit) {
        // Every list page asks again: a copy of the last few minutes is fresh enough.
        if (hit && Date.now() - Date.parse(hit.headers.get("Date") || 0) < PREFETCH_FRESH_MS) return null;
        return fetch(url.href, { credentials: "same-origin" });
      }).then(function (response) {
        if (!response) return null;
        if (!cacheablePage(response)) return null;
        return response.clone().text().then(function (html) {
          return cache.put(url.href, response).then(function () { return prefetchAssets(html); });
        });
      }).catch(function () { return null; });
    }));
  });
}

// Any versioned static URL in an attribute: src, href, and data-* ones such as the scan
// page's data-jsqr (the QR decoder it loads on demand, needed offline most of all).
function prefetchAssets(html) {
  var found = html.match(/="(\/static\/[^"]+\?v=[^"]+)"/g) || [];
  var urls = found.map(function (attr) { return attr.slice(2, -1).replace(/&amp;/g, "&").split("#")[0]; });
  return caches.open(STATIC_CACHE).then(function (cache) {
    return Promise.all(urls.map(function (url) {
      return cache.match(url).then(function (hit) { return hit || cache.add(url).catch(function () {}); });
    }));
  });
}

function clearPages() {
  return caches.delete(PAGES_CACHE);
}

// Another account on this phone must never see the previous one's pages.
function hello(user) {
  if (!user) return Promise.resolve();
  return Outbox.getMeta("user").then(function (previous) {
    var drop = previous && previous !== user ? clearPages() : Promise.resolve();
    return drop.then(function () { return Outbox.setMeta("user", user); });
  });
}

function broadcast(message) {
  return self.clients.matchAll({ includeUncontrolled: true, type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage(message); });
  });
}

// ---------------------------------------------------------------------------------
// The outbox: save when the network fails, replay later.

function sendOrQueue(request) {
  var copy = request.clone();
  return fetch(request).then(function (response) {
    // A gateway that cannot reach the app did not apply anything either: save it.
    if (response.status === 502 || response.status === 503 || response.status === 504) return queue(copy);
    return response;
  }, function () { return queue(copy); });
}

function queue(request) {
  var headers = {};
  KEEP_HEADERS.forEach(function (name) {
    if (request.headers.has(name)) headers[name] = request.headers.get(name);
  });
  var meta = Outbox.decodeMeta(request.headers.get("X-Raccolto-Meta"));
  return Promise.all([Handover.bodyOf(request), Outbox.getMeta("user")]).then(function (values) {
    var item = Outbox.record({ url: request.url, method: request.method, headers: headers, body: values[0] },
                             meta, values[1]);
    return Outbox.all().then(function (items) {
      // One action saved once: the same op_id (a double tap), or the same operation still
      // waiting (a crate label that stayed in front of the camera) keeps the first record.
      var existing = items.filter(function (i) { return i.op_id === item.op_id || Outbox.sameAction(i, item); })[0];
      return existing ? existing : Outbox.put(item).then(function () { return item; });
    });
  }).then(function (item) {
    if (self.registration.sync) self.registration.sync.register(SYNC_TAG).catch(function () {});
    broadcast({ type: "outbox-changed" });
    return queuedResponse(item);
  });
}


function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

function queuedResponse(item) {
  return caches.match(CONFIG.queued).then(function (cached) {
    return cached ? cached.text() : '<p class="queued-note" role="status"><strong>__LABEL__</strong> ' +
      "Salvato sul telefono: verrà inviato appena torna la connessione.</p>";
  }).then(function (html) {
    return new Response(html.replace("__LABEL__", escapeHtml(item.label || "")), {
      status: 202,
      headers: { "Content-Type": "text/html; charset=utf-8", "X-Raccolto-Queued": item.op_id,
                 "Vary": "HX-Request", "Cache-Control": "no-store" }
    });
  });
}

// One replay at a time: overlapping triggers (sync, online, app start) share it. The
// server's op_id idempotency would make a second one harmless, but not cheaper.
var replaying = null;

function replay() {
  if (!replaying) {
    replaying = runReplay().then(function (r) { replaying = null; return r; },
                                 function (e) { replaying = null; throw e; });
  }
  return replaying;
}

function runReplay() {
  var summary = { sent: 0, refused: 0 };
  return Outbox.all().then(function (items) {
    var waiting = items.filter(function (i) { return i.state === "waiting"; });
    if (!waiting.length) return summary;
    // Who is signed in now, and a fresh CSRF token (the saved one may belong to an older session).
    return fetch(CONFIG.session, { credentials: "same-origin", cache: "no-store",
                                   headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 401) return needsLogin(true).then(function () { return summary; });
      if (!response.ok) throw new Error("session check answered " + response.status);
      return response.json().then(function (session) {
        return needsLogin(false).then(function () {
          return Outbox.setMeta("user", session.user);
        }).then(function () {
          // Only this account's actions: never sent under someone else's session.
          var mine = waiting.filter(function (i) { return i.user === session.user; });
          return sendInOrder(mine, session.csrf, summary);
        });
      });
    });
  }).then(function (result) {
    return Outbox.prune().then(function () {
      broadcast({ type: "outbox-replayed", sent: summary.sent, refused: summary.refused });
      return result;
    });
  });
}

function needsLogin(flag) {
  return Outbox.setMeta("needs_login", flag).then(function () {
    if (flag) broadcast({ type: "outbox-login" });
  });
}

// In the order they were done: a claim before the scans that follow it.
function sendInOrder(items, csrf, summary) {
  return items.reduce(function (chain, item) {
    return chain.then(function (stop) {
      if (stop) return true;
      return sendOne(item, csrf).then(function (outcome) {
        if (outcome.state === "login") return needsLogin(true).then(function () { return true; });
        if (outcome.state === "retry") return true;  // server trouble: keep the order, try later
        item.state = outcome.state;
        item.code = outcome.code || "";
        item.message = outcome.message || "";
        item.sent_at = new Date().toISOString();
        item.tries = (item.tries || 0) + 1;
        summary[outcome.state] += 1;
        return Outbox.put(item).then(function () { broadcast({ type: "outbox-changed" }); return false; });
      });
    });
  }, Promise.resolve(false)).then(function () { return summary; });
}

function toLogin(response) {
  return response.status === 401 ||
    (response.redirected && new URL(response.url).pathname === CONFIG.login);
}

// Send one record: through POST /api/ops when the page gave the operation dict (a JSON
// answer says applied, duplicate or refused with its reason), else the original form
// request again. A network failure rejects, which stops the replay until next time.
function sendOne(item, csrf) {
  if (!item.op) return sendForm(item, csrf);
  return fetch(CONFIG.api_ops, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify({ ops: [item.op], source: "offline" })
  }).then(function (response) {
    if (toLogin(response)) return { state: "login" };
    if (response.status === 404 || response.status === 405) return sendForm(item, csrf);  // no API here
    if (response.status >= 500) return { state: "retry" };
    return response.json().then(function (data) {
      var result = (data.results || [])[0] || {};
      var refused = result.status === "refused" ||
        (result.status === "duplicate" && result.original_status === "refused");
      if (refused) return { state: "refused", code: result.code, message: result.message };
      // A fact that contradicted the state is applied and flagged: the list says so.
      if (result.status === "applied" || result.status === "duplicate") {
        return { state: "sent", code: result.conflict ? "conflict" : "" };
      }
      return { state: "refused", code: data.code || "invalid", message: data.message || result.message || "" };
    }, function () { return { state: "retry" }; });
  });
}

function sendForm(item, csrf) {
  var headers = Object.assign({}, item.headers, { "X-CSRFToken": csrf, "X-Raccolto-Replay": "1" });
  var body = item.body;
  if ((headers["content-type"] || "").indexOf("application/x-www-form-urlencoded") === 0) {
    var form = new URLSearchParams(body);
    if (form.has("csrf_token")) form.set("csrf_token", csrf);  // the form field wins over the header
    body = form.toString();
  }
  return Handover.replayRequest(item, csrf, headers).then(function (multipart) {
    if (multipart) { headers = multipart.headers; body = multipart.body; }
    return fetch(item.url, { method: item.method, headers: headers, body: body, credentials: "same-origin" });
  }).then(function (response) {
    if (toLogin(response)) return { state: "login" };
    if (response.status >= 500) return { state: "retry" };
    if (response.ok) return { state: "sent" };
    return response.text().then(function (text) {
      return { state: "refused", code: String(response.status),
               message: response.headers.get("X-Raccolto-Message") || Outbox.readableText(text) };
    });
  });
}

