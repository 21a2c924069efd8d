// Raccolto: share buttons on public pages (no inline script: the CSP forbids it).
// The Web Share button appears only where the phone has navigator.share; the
// copy button only where the clipboard API is allowed (HTTPS or localhost).
(function () {
  "use strict";

  function reveal() {
    document.querySelectorAll(".share-native").forEach(function (button) {
      button.hidden = !navigator.share;
    });
    document.querySelectorAll(".share-copy").forEach(function (button) {
      button.hidden = !(navigator.clipboard && window.isSecureContext);
    });
  }

  function flash(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-done") || "✓";
    setTimeout(function () { button.textContent = label; }, 1800);
  }

  document.addEventListener("click", function (event) {
    var native = event.target.closest(".share-native");
    if (native) {
      navigator.share({
        title: native.getAttribute("data-share-title"),
        text: native.getAttribute("data-share-text"),
        url: native.getAttribute("data-share-url")
      }).catch(function () { /* the person closed the share sheet */ });
      return;
    }
    var copy = event.target.closest(".share-copy");
    if (copy) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy-url")).then(function () { flash(copy); });
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal);
  else reveal();
  // htmx may swap in new share buttons (history restore, boosted links).
  document.addEventListener("htmx:afterSettle", reveal);
})();
