// Progressive enhancement only: every action works without this file.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  // htmx requests carry the CSRF token in a header (forms also carry it as a field).
  document.addEventListener("htmx:configRequest", function (event) {
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });
  // Announce htmx updates to screen readers: a swapped element may carry
  // data-announce="text to read out".
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.elt;
    var message = source && source.getAttribute ? source.getAttribute("data-announce") : null;
    var live = document.getElementById("announcer");
    if (message && live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = message; }, 50);
    }
  });
  // Warn two minutes before an idle session ends, with a button to stay signed in.
  // The server says how many seconds are left, so the device's own clock never matters.
  var secondsLeft = parseInt(document.body.getAttribute("data-session-seconds"), 10);
  var warning = document.getElementById("session-warning");
  if (!isNaN(secondsLeft) && warning) {
    window.setTimeout(function () {
      warning.hidden = false;
      var button = warning.querySelector("button");
      if (button) { button.focus(); }
    }, Math.max(secondsLeft - 120, 0) * 1000);
  }
})();
