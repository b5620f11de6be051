// Live progress of a batch: polls the job's status and moves the bar; reloads the page
// when the batch has finished, so the summary and downloads appear. Without JavaScript
// the page refreshes itself every two seconds instead.
(function () {
  "use strict";
  var box = document.getElementById("batch");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("batch-bar");
  var text = document.getElementById("batch-state");
  var progress = box.querySelector("[role=progressbar]");
  function tick() {
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        bar.style.width = s.percent + "%";
        progress.setAttribute("aria-valuenow", String(s.percent));
        if (s.state === "reading") {
          text.textContent = "Reading the file…";
        }
        if (s.state === "screening") {
          text.textContent = "Screening: " + s.done.toLocaleString("en-GB") + " of " +
            s.total.toLocaleString("en-GB") + " rows.";
        }
        if (s.state === "done" || s.state === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(tick, 400);
        }
      })
      .catch(function () { window.setTimeout(tick, 2000); });
  }
  tick();
})();
