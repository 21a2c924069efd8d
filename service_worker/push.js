// Raccolto: the service worker's push listeners, loaded by sw.js with importScripts (served at /sw-push.js).
// The payload is JSON written by app/services/notify/push.py: {id, title, body, url, tag, urgent, timestamp, icon, badge}.

// push: show the notification, even when no page of Raccolto is open.
self.addEventListener("push", function (event) {
  var data = {};
  if (event.data) {
    try {
      data = event.data.json();
    } catch (error) {
      data = {body: event.data.text()};  // not JSON: show the text as it came
    }
  }
  var options = {
    body: data.body || "",
    icon: data.icon,
    badge: data.badge,
    tag: data.tag || undefined,
    // A newer message with the same tag (the same donation) replaces the old one, and still rings.
    renotify: Boolean(data.tag),
    requireInteraction: Boolean(data.urgent),
    timestamp: data.timestamp || Date.now(),
    data: {url: data.url || "/", id: data.id}
  };
  event.waitUntil(self.registration.showNotification(data.title || "Raccolto", options));
});

// notificationclick: focus a window already showing the page, else reuse one of ours, else open one.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  // Only pages of this site: a payload never sends anyone elsewhere.
  if (target.origin !== self.location.origin) target = new URL("/", self.location.origin);
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (windows) {
    var i;
    for (i = 0; i < windows.length; i++) {
      if (windows[i].url === target.href && "focus" in windows[i]) return windows[i].focus();
    }
    for (i = 0; i < windows.length; i++) {
      var client = windows[i];
      if (new URL(client.url).origin === self.location.origin && "navigate" in client && "focus" in client) {
        return client.focus().then(function (focused) {
          return (focused || client).navigate(target.href);
        }).catch(function () {
          return self.clients.openWindow(target.href);  // navigate() refuses uncontrolled windows
        });
      }
    }
    return self.clients.openWindow(target.href);
  }));
});
