// Raccolto documents: a "Print" button (<button data-print>) without inline script.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
