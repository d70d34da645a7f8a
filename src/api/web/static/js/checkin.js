/* The departure day's check-in page (docs/departure-day.md): works offline once loaded.
 *
 * Each tap changes the page at once and is queued in localStorage with a fresh client id and the tablet's
 * time. The queue is sent (form POST with the page's CSRF token, answer in JSON) when the browser is online:
 * at load, on the `online` event, after each tap and every 15 seconds. A mark leaves the queue only when the
 * server has confirmed it; a mark sent twice (answer lost) carries the same client id and is stored once. */
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root || !root.dataset.syncUrl) { return; }
  var KEY = root.dataset.queueKey;
  var URL_ = root.dataset.syncUrl;
  var WORDS = JSON.parse(root.dataset.words);
  var SAY = JSON.parse(root.dataset.statusWords);
  var GONE = { no_show: true, offloaded: true };
  var TAKEN = { checked_in: true, boarded: true };
  var statusLine = document.getElementById("sync-status");
  var csrfField = root.querySelector("input[name=csrf_token]");
  var sending = false;
  var problem = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) { localStorage.setItem(KEY, JSON.stringify(queue)); }

  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function rowOf(caseId) { return root.querySelector('tr[data-case="' + CSS.escape(caseId) + '"]'); }

  function show(mark, pending) {
    var row = rowOf(mark.case_id);
    if (!row) { return; }
    row.dataset.status = mark.status;
    row.dataset.pending = pending ? "1" : "0";
    var badge = row.querySelector(".mark");
    badge.className = "mark mark-" + mark.status;
    badge.textContent = WORDS[mark.status];
    row.querySelector(".mark-reason").textContent = mark.reason || "";
  }

  function setText(name, value) {
    var el = root.querySelector('[data-count="' + name + '"]');
    if (el) { el.textContent = String(value); }
  }

  /* The counts of the planned passengers, the seats no-shows freed, and which standby households still fit. */
  function recount() {
    var counts = { expected: 0, checked_in: 0, boarded: 0, no_show: 0, offloaded: 0 };
    var freed = 0;
    var taken = 0;
    root.querySelectorAll("tr[data-case]").forEach(function (row) {
      var status = row.dataset.status;
      if (row.dataset.planned === "1") {
        counts[status] += 1;
        if (GONE[status] && row.dataset.lap !== "1") { freed += 1; }
      } else if (TAKEN[status]) {
        taken += 1;
      }
    });
    Object.keys(counts).forEach(function (k) { setText(k, counts[k]); });
    setText("freed", freed);
    setText("free", freed - taken);
    root.querySelectorAll("tbody.standby").forEach(function (group) {
      var inGroup = Array.prototype.some.call(group.querySelectorAll("tr[data-case]"), function (r) {
        return TAKEN[r.dataset.status];
      });
      var closed = !inGroup && Number(group.dataset.seats) > freed - taken;
      group.dataset.closed = closed ? "1" : "0";
      group.querySelectorAll("button").forEach(function (b) { b.disabled = closed; });
      var note = group.querySelector(".standby-note");
      if (note) { note.hidden = !closed; }
    });
  }

  function describe() {
    var n = load().length;
    var state = "saved";
    var text = SAY.saved;
    if (problem) {
      state = "error";
      text = problem;
    } else if (n > 0) {
      state = "waiting";
      var offline = !navigator.onLine;
      text = (n === 1 ? SAY[offline ? "one_offline" : "one_online"] : SAY[offline ? "many_offline" : "many_online"])
        .replace("{n}", String(n));
    }
    statusLine.dataset.state = state;
    statusLine.textContent = text;
    var replan = document.getElementById("replan-button");
    if (replan) { replan.disabled = n > 0; }
  }

  function refused(n, detail) {
    return SAY.refused.replace("{n}", String(n)).replace("{detail}", detail || "");
  }

  function confirmed(ids) {
    save(load().filter(function (m) { return !ids[m.client_id]; }));
    root.querySelectorAll('tr[data-pending="1"]').forEach(function (row) {
      var waiting = load().some(function (m) { return m.case_id === row.dataset.case; });
      if (!waiting) { row.dataset.pending = "0"; }
    });
  }

  function flush() {
    var queue = load();
    if (sending || queue.length === 0 || !navigator.onLine) { describe(); return; }
    sending = true;
    var batch = queue.slice(0, 500);
    var body = new URLSearchParams();
    body.set("csrf_token", csrfField.value);
    body.set("marks", JSON.stringify(batch));
    describe();
    fetch(URL_, { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
                  headers: { Accept: "application/json" } })
      .then(function (r) {
        var json = (r.headers.get("content-type") || "").indexOf("application/json") === 0;
        if (r.ok && json) {
          return r.json().then(function () {
            var ids = {};
            batch.forEach(function (m) { ids[m.client_id] = true; });
            confirmed(ids);
            problem = null;
          });
        }
        if (json && r.status === 422) {
          return r.json().then(function (answer) { problem = refused(batch.length, answer.detail); });
        }
        if (r.status >= 500) { return null; }  /* the server is busy or down: stay queued, try again later */
        problem = SAY.signin.replace("{n}", String(load().length));  /* signed out, or the token changed */
        return null;
      })
      .catch(function () { /* the connection dropped: the marks stay queued for the next try */ })
      .then(function () {
        sending = false;
        describe();
        if (!problem && load().length > 0 && navigator.onLine && load().length < queue.length) { flush(); }
      });
  }

  function tap(event) {
    var form = event.target;
    var button = event.submitter;
    if (!form.classList.contains("mark-form") || !button || button.name !== "status") { return; }
    event.preventDefault();
    var reasonInput = form.querySelector("input[name=reason]");
    var reason = reasonInput ? reasonInput.value.trim() : "";
    if (button.value === "offloaded" && !reason) {
      reasonInput.setAttribute("aria-invalid", "true");
      reasonInput.placeholder = SAY.reason;
      reasonInput.focus();
      return;
    }
    if (reasonInput) { reasonInput.removeAttribute("aria-invalid"); }
    var queue = load();
    var now = new Date().toISOString();
    form.querySelectorAll("input[name=case_id]").forEach(function (input) {
      var mark = { client_id: newId(), case_id: input.value, status: button.value,
                   reason: button.value === "offloaded" ? reason : "", marked_at: now };
      queue.push(mark);
      show(mark, true);
    });
    save(queue);
    recount();
    flush();
  }

  load().forEach(function (m) { show(m, true); });  /* marks queued before a reload */
  recount();
  root.addEventListener("submit", tap);
  window.addEventListener("online", flush);
  window.addEventListener("offline", describe);
  window.setInterval(flush, 15000);
  flush();
}());
