// cocreate's own script: small progressive enhancements, nothing the pages need to work.
(function () {
  "use strict";

  // Show UTC times in the reader's own time zone.
  function localiseTimes(root) {
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) return;
      el.textContent = date.toLocaleString(undefined, {
        dateStyle: "medium", timeStyle: "short"
      });
      el.title = el.getAttribute("datetime");
    });
  }

  // Ask before destructive actions; the message comes from the server-rendered template.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // htmx swaps in an error fragment with a 4xx status; show it instead of ignoring it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && event.detail.serverResponse) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("DOMContentLoaded", function () { localiseTimes(document); });
  document.addEventListener("htmx:afterSwap", function (event) { localiseTimes(event.target); });
})();

// Comments carry their form's idempotency key as a header too, so that a flaky phone's
// retry of the same post is stored once (the server accepts either).
document.addEventListener("htmx:configRequest", function (event) {
  var source = event.detail.elt;
  var form = source && source.closest ? source.closest("form") : null;
  var key = form && form.querySelector("input[name=idempotency_key]");
  if (key) event.detail.headers["Idempotency-Key"] = key.value;
});
