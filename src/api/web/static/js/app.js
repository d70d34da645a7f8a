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
    // Seat map: the seat pointed at or focused is described in words next to the map (its title says the
    // same on hover; keyboard users get no tooltip).
    var detail = document.getElementById("seat-detail");
    if (detail) {
      var describe = function (event) {
        var seat = event.target.closest ? event.target.closest(".seat-taken") : null;
        if (seat) { detail.textContent = seat.getAttribute("aria-label"); }
      };
      document.querySelectorAll(".seatmap").forEach(function (map) {
        map.addEventListener("focusin", describe);
        map.addEventListener("mouseover", describe);
      });
    }
  });
})();
