// Raccolto: turn Web Push on or off for this device (loaded by the notification settings page only).
// The service worker (sw.js, registered by app.js) shows the pushes; this file only subscribes.
(function () {
  "use strict";

  var box = document.querySelector("[data-push]");
  if (!box) return;
  var status = box.querySelector("[data-push-status]");
  var onButton = box.querySelector("[data-push-subscribe]");
  var offButton = box.querySelector("[data-push-unsubscribe]");
  var iosHelp = document.querySelector("[data-push-ios]");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var keyMeta = document.querySelector('meta[name="vapid-public-key"]');
  var currentId = null;

  function say(name, text) {
    status.textContent = text || box.getAttribute("data-msg-" + name) || "";
  }

  function show(subscribed) {
    onButton.hidden = subscribed;
    offButton.hidden = !subscribed;
  }

  // iPadOS reports itself as a Mac; the touch points give it away.
  var ios = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  if (ios && iosHelp) {
    iosHelp.classList.add("is-relevant");
    iosHelp.open = true;  // on an iPhone the steps are the answer: show them unfolded
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    // Safari on iPhone exposes push only to the app opened from the home screen.
    say(ios && !standalone ? "ios" : "unsupported");
    return;
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(buffer, bytes) {
    var a = new Uint8Array(buffer);
    if (a.length !== bytes.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== bytes[i]) return false;
    return true;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrfMeta ? csrfMeta.content : ""},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || String(response.status));
          error.serverMessage = data.message;
          throw error;
        }
        return data;
      });
    });
  }

  function markCurrent() {
    var items = document.querySelectorAll("[data-device-id]");
    for (var i = 0; i < items.length; i++) {
      var mine = String(currentId) === items[i].getAttribute("data-device-id");
      var label = items[i].querySelector(".device-current");
      if (label) label.hidden = !mine;
    }
  }

  function refreshDevices() {
    if (!window.htmx) return Promise.resolve();
    return htmx.ajax("GET", box.getAttribute("data-devices-url"), {target: "#push-devices", swap: "innerHTML"})
      .then(markCurrent);
  }

  // The device list is swapped by htmx when a device is removed: mark this one again.
  document.addEventListener("htmx:afterSettle", markCurrent);

  // navigator.serviceWorker.ready never settles without a worker: give up after a while.
  function ready() {
    return Promise.race([navigator.serviceWorker.ready, new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error("no service worker")); }, 10000);
    })]);
  }

  function save(subscription) {
    return post(box.getAttribute("data-subscribe-url"), subscription.toJSON()).then(function (data) {
      currentId = data.id;
      show(true);
      say("on");
      return refreshDevices();
    });
  }

  function failed(error) {
    say("error", error && error.serverMessage);
  }

  if (Notification.permission === "denied") {
    say("denied");
    return;
  }

  ready().then(function (registration) {
    return registration.pushManager.getSubscription().then(function (subscription) {
      if (!subscription) {
        show(false);
        say(ios && !standalone ? "ios" : "off");
        return;
      }
      var key = subscription.options && subscription.options.applicationServerKey;
      if (key && keyMeta && !sameKey(key, keyBytes(keyMeta.content))) {
        // Bound to a key the server no longer signs with: it could never deliver again.
        return subscription.unsubscribe().then(function () { show(false); say("off"); });
      }
      // Tell the server again: it may have forgotten this device (a removal, a 410).
      return save(subscription);
    });
  }).catch(function () { say("nosw"); });

  onButton.addEventListener("click", function () {
    onButton.disabled = true;
    say("working");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        say(permission === "denied" ? "denied" : "off");
        return null;
      }
      return ready().then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(keyMeta.content)
        });
      }).then(save);
    }).catch(failed).then(function () { onButton.disabled = false; });
  });

  offButton.addEventListener("click", function () {
    offButton.disabled = true;
    say("working");
    ready().then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return null;
      return post(box.getAttribute("data-unsubscribe-url"), {endpoint: subscription.endpoint})
        .then(function () { return subscription.unsubscribe(); });
    }).then(function () {
      currentId = null;
      show(false);
      say("off");
      return refreshDevices();
    }).catch(failed).then(function () { offButton.disabled = false; });
  });
})();
