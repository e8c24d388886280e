/* つなぐ 多機関協働 — the dashboard's one script.  The pages work without it; it adds:
 *  - live refresh: an element with data-live="URL" is replaced every data-every seconds by the
 *    same element of a fresh fetch of URL (same origin, the session cookie), while the tab is
 *    visible;
 *  - the case event form shows only the fields of the type chosen. */
"use strict";

(function () {
  function refresh(el) {
    var url = el.getAttribute("data-live");
    var status = document.getElementById("live-status");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected || r.status === 401 || r.status === 303) {
          window.location.href = "/login";
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (text) {
        if (text === null) {
          if (status) status.textContent = status.getAttribute("data-failed") || "!";
          return;
        }
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById(el.id);
        if (fresh) {
          el.replaceWith(fresh);
          el = fresh;
        }
        if (status) {
          var now = new Date();
          var pad = function (n) { return (n < 10 ? "0" : "") + n; };
          status.textContent = (status.getAttribute("data-label") || "") + " " +
            pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
        }
      })
      .catch(function () {
        if (status) status.textContent = status.getAttribute("data-failed") || "!";
      });
  }

  function startLive() {
    var els = document.querySelectorAll("[data-live]");
    Array.prototype.forEach.call(els, function (el) {
      var every = parseInt(el.getAttribute("data-every") || "15", 10) * 1000;
      setInterval(function () {
        if (document.visibilityState === "visible") {
          refresh(document.getElementById(el.id) || el);
        }
      }, every);
    });
  }

  function caseEventForm() {
    var form = document.getElementById("case-event");
    if (!form) return;
    var type = form.querySelector("select[name=type]");
    function show() {
      Array.prototype.forEach.call(form.querySelectorAll("[data-for]"), function (part) {
        var types = part.getAttribute("data-for").split(" ");
        var on = types.indexOf(type.value) >= 0;
        part.hidden = !on;
        Array.prototype.forEach.call(part.querySelectorAll("input, select"), function (i) {
          i.disabled = !on;
        });
      });
    }
    type.addEventListener("change", show);
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    startLive();
    caseEventForm();
  });
})();
