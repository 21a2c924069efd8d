// Raccolto: small behaviours without inline script (the CSP forbids it).
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#selector">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    source.select();
    var done = function () {
      button.dataset.label = button.dataset.label || button.textContent;
      button.textContent = "✓";
      setTimeout(function () { button.textContent = button.dataset.label; }, 1500);
    };
    if (navigator.clipboard) navigator.clipboard.writeText(source.value).then(done, done);
    else { document.execCommand("copy"); done(); }
  });

  // Forms that ask for confirmation: <form data-confirm="message">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);

  // A store or charity chosen in a POST form (templates/impact/_org_choice.html). With script the search
  // runs as one types, so its «Cerca» button stops being a submit button (it would otherwise be the form's
  // default button and Enter in any field would search instead of saving), and Enter in the search field
  // searches instead of submitting the form.
  function searchButtons(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("[data-search-submit]").forEach(function (b) { b.type = "button"; });
  }
  document.addEventListener("DOMContentLoaded", function () { searchButtons(document); });
  document.addEventListener("htmx:load", function (event) { searchButtons(event.target); });
  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("[data-org-search]");
    if (!field || event.key !== "Enter") return;
    event.preventDefault();
    field.dispatchEvent(new Event("search"));
  });
  // A tap on a match puts it in the form's select (adding the option when the bounded list lacks it).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-pick]");
    if (!button) return;
    var select = document.getElementById(button.getAttribute("data-pick-for"));
    if (!select) return;
    var value = button.getAttribute("data-pick");
    var option = Array.prototype.find.call(select.options, function (o) { return o.value === value; });
    if (!option) {
      option = new Option(button.getAttribute("data-pick-label"), value);
      var first = select.options.length && select.options[0].value === "" ? 1 : 0;
      select.add(option, first < select.options.length ? first : null);
    }
    select.value = value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    var box = button.closest(".suggestions-box");
    if (box) box.textContent = "";
    select.focus();
  });

  // htmx: let error responses (400/409/422) swap in, since they carry the messages people need.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
