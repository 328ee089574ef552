// Live updates: ask for the page again every few seconds and swap in what changed.
(function () {
  "use strict";
  var main = document.getElementById("live");
  var status = document.getElementById("live-status");
  if (!main || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(main.getAttribute("data-refresh-ms"), 10) || 2000;
  var busy = false;
  function refresh() {
    var editing = document.activeElement && main.contains(document.activeElement) &&
      /^(SELECT|INPUT|TEXTAREA|BUTTON)$/.test(document.activeElement.tagName);
    if (busy || document.hidden || editing) { return; }
    busy = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (fresh && fresh.innerHTML !== main.innerHTML) {
          main.innerHTML = fresh.innerHTML;
          if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
        }
      })
      .catch(function () { if (status) { status.textContent = "Offline; retrying"; } })
      .then(function () { busy = false; });
  }
  window.setInterval(refresh, every);
})();
