// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // Selects marked data-autosubmit (the language choice) send their form on change; the button stays for
    // keyboard users without script.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // Move focus to the first error message after a refused form, so screen readers announce it.
    var alert = document.querySelector(".alert-error[role='alert']");
    if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
  });
})();
