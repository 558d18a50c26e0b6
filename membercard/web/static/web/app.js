/* Behaviour that would otherwise be inline (onchange=, onclick=, onsubmit=, javascript:
   links): the Content-Security-Policy runs no inline script, so markup asks for it with
   data- attributes and this file, loaded on every page, does it.
     data-autosubmit      on a select: send its form when the choice changes
     data-print           on a button: print the page
     data-confirm="text"  on a form: ask before sending it
     data-back            on a link: go back one page (its href is the fallback) */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print], a[data-back]");
    if (!target) { return; }
    if (target.hasAttribute("data-print")) {
      window.print();
    } else if (window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
})();
