// Raccolto: what the driver's run needs from the service worker (issue 14), loaded by sw.js
// with importScripts (served at /sw-handover.js).
//
// - Photos wait in the outbox with their operation: a multipart form (a photo) is kept as
//   a Blob, not as text (text() would corrupt the image bytes), and replayed once with a
//   fresh CSRF token in its form field. The server's op_id idempotency makes a replay that
//   overlaps a slow first send harmless.
// - The transport documents (DDT) of goods on board are network-first pages like the
//   driver's own (CONFIG.page_prefixes lists /documenti/ddt/), prefetched with the pickups.
"use strict";

self.RaccoltoHandover = {
  isMultipart: function (contentType) {
    return (contentType || "").toLowerCase().indexOf("multipart/form-data") === 0;
  },

  // The body to save in IndexedDB: a Blob for a multipart form, text otherwise.
  bodyOf: function (request) {
    return this.isMultipart(request.headers.get("content-type")) ? request.blob() : request.text();
  },

  // {headers, body} to send a saved request again. A multipart body is parsed back into
  // FormData so its csrf_token field can be replaced (the field wins over the header); the
  // browser then writes a new boundary, so the saved Content-Type must not be sent.
  replayRequest: function (item, csrf, headers) {
    var type = headers["content-type"] || "";
    if (!this.isMultipart(type) || !(item.body instanceof Blob)) return Promise.resolve(null);
    return new Response(item.body, { headers: { "Content-Type": type } }).formData().then(function (form) {
      if (form.has("csrf_token")) form.set("csrf_token", csrf);
      var copy = Object.assign({}, headers);
      delete copy["content-type"];
      return { headers: copy, body: form };
    });
  }
};
