// Live progress of a solve: asks the page's own JSON about once a second and updates the figures; when the
// solve is done it opens the plan. Without script the page shows the state it was loaded with and a link to
// reload it.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-progress-url]");
    if (!box) { return; }
    var url = box.getAttribute("data-progress-url");
    var bar = document.getElementById("job-bar");
    var share = document.getElementById("job-share");
    var done = document.getElementById("job-done");
    var stop = document.getElementById("job-stop");
    var timer = null;

    function show(state) {
      box.querySelectorAll("[data-field]").forEach(function (el) {
        var key = el.getAttribute("data-field");
        var value = state[key];
        if (value === null || value === undefined || value === "") { el.textContent = "—"; return; }
        if (el.getAttribute("data-format") === "percent") { value = (value * 100).toFixed(1) + "%"; }
        el.textContent = String(value);
      });
      bar.value = state.share;
      bar.textContent = Math.round(state.share * 100) + "%";
      share.textContent = Math.round(state.share * 100) + "%";
      if (state.done) {
        if (stop) { stop.hidden = true; }
        done.hidden = false;
        if (state.plan_url && (state.status === "succeeded" || state.status === "stopped")) {
          window.location.assign(state.plan_url);
        }
      }
    }

    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (!state) { return; }
          show(state);
          if (!state.done) { timer = window.setTimeout(poll, 1000); }
        })
        .catch(function () { timer = window.setTimeout(poll, 3000); });
    }
    if (done.hidden) { timer = window.setTimeout(poll, 500); }
    window.addEventListener("pagehide", function () { if (timer) { window.clearTimeout(timer); } });
  });
})();
