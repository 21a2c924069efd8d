// Raccolto: handover photos are resized and stripped of metadata on the phone before upload
// (issue 14). A photo from the camera is several MB and carries EXIF (GPS position, camera
// serial); drawing it on a canvas keeps only the pixels, and a JPEG of at most
// data-max-side pixels is a few hundred KB, which matters on a weak signal and in the
// offline outbox. The server checks, resizes and strips it again (never trusts the phone).
(function () {
  "use strict";

  function resized(file, maxSide) {
    // imageOrientation "from-image" applies the EXIF rotation before the EXIF is dropped.
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob); else reject(new Error("canvas export failed"));
        }, "image/jpeg", 0.85);
      });
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-photo-resize]")) return;
    var file = input.files && input.files[0];
    if (!file || input.dataset.resizedName === file.name + ":" + file.size) return;
    var form = input.form;
    var buttons = form ? form.querySelectorAll("button, input[type=submit]") : [];
    buttons.forEach(function (b) { b.disabled = true; });
    resized(file, Number(input.dataset.maxSide) || 1600).then(function (blob) {
      var clean = new File([blob], "foto.jpg", { type: "image/jpeg", lastModified: Date.now() });
      var list = new DataTransfer();
      list.items.add(clean);
      input.dataset.resizedName = clean.name + ":" + clean.size;
      input.files = list.files;
    }).catch(function () {
      // Not decodable here (an unusual format): send the original, the server decides.
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      if (form) form.dataset.photoReady = "1";
    });
  });
})();
