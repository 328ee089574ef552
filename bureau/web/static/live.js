// Live updates: ask for the page again every few seconds and swap in what changed.
(function () {
  "use strict";
  var main = document.getElementById("live");
  var status = document.getElementById("live-status");
  if (!main || !window.fetch || !window.DOMParser) { return; }
  var every = parseInt(main.getAttribute("data-refresh-ms"), 10) || 2000;
  var busy = false;
  // What the server sent last: the page itself may differ (a <details> opened).
  var last = main.innerHTML;
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
        if (fresh && fresh.innerHTML !== last) {
          var open = Array.prototype.map.call(main.querySelectorAll("details"), function (d) {
            return d.open;
          });
          last = fresh.innerHTML;
          main.innerHTML = last;
          Array.prototype.forEach.call(main.querySelectorAll("details"), function (d, i) {
            if (open[i]) { d.open = true; }
          });
          if (status) { status.textContent = "Updated " + new Date().toLocaleTimeString(); }
        }
      })
      .catch(function () { if (status) { status.textContent = "Offline; retrying"; } })
      .then(function () { busy = false; });
  }
  window.setInterval(refresh, every);
})();
