/* What every page (base.html) does with its buttons: the Content-Security-Policy runs no
 * inline handler (onclick="…"), so behaviour is attached here, by data attribute.
 *
 * - <button data-print>: print the page. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
