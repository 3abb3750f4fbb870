// svbatch serve: live progress of a run over server-sent events. Pages work without it (reload).
(function () {
  "use strict";
  var run = document.getElementById("run");
  if (!run || !window.EventSource) return;
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (s) {
    if (s < 0) return "–";
    var m = Math.floor(s / 60), r = s % 60;
    return m > 0 ? m + "m" + (r < 10 ? "0" : "") + r + "s" : r + "s";
  };
  var es = new EventSource(run.getAttribute("data-events"));
  es.addEventListener("progress", function (e) {
    var p = JSON.parse(e.data);
    $("bar").value = p.percent;
    $("pct").textContent = p.percent + "%";
    $("done").textContent = p.done;
    $("total").textContent = p.total;
    $("rate").textContent = p.rate;
    $("eta").textContent = fmt(p.eta_s);
    $("ban").hidden = !(p.ban_s > 0);
    $("ban-s").textContent = p.ban_s;
    $("down").hidden = !p.down;
    $("down-since").textContent = p.down || "";
    $("stop-at").textContent = p.stop_at || "";
    $("stopping").hidden = !p.stopping;
  });
  // When the run has ended: 100% if it finished, and a link to the results (no automatic reload,
  // so that what the bar says stays on the screen until the user moves on).
  es.addEventListener("done", function (e) {
    es.close();
    var p = JSON.parse(e.data);
    if (p.state === "finished") {
      $("bar").value = 100;
      $("pct").textContent = "100%";
    }
    $("run-done").hidden = false;
    $("stop-form") && ($("stop-form").hidden = true);
  });
})();
