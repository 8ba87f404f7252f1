// The report dashboard's daily chart: reads the JSON data block the page carries (CSP allows
// no inline script) and draws it with uPlot. Without JavaScript the table below stays.
(function () {
  "use strict";

  function draw() {
    var block = document.getElementById("report-daily");
    var target = document.getElementById("report-chart");
    if (!block || !target || typeof uPlot === "undefined") return;
    var data = JSON.parse(block.textContent);
    var xs = data.days.map(function (_, i) { return i; });
    var style = getComputedStyle(document.documentElement);
    var text = style.getPropertyValue("--pico-color").trim() || "#333";

    function options(width) {
      return {
        width: width,
        height: Math.max(180, Math.min(300, Math.round(width * 0.45))),
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false } },
        axes: [
          {
            stroke: text,
            values: function (u, splits) {
              return splits.map(function (i) { return data.labels[i] || ""; });
            },
            space: 60,
          },
          { stroke: text, size: 40 },
        ],
        series: [
          { label: data.names.day, value: function (u, i) { return i == null ? "" : data.labels[i]; } },
          { label: data.names.created, stroke: "#1f77b4", width: 2, fill: "rgba(31,119,180,0.12)" },
          { label: data.names.resolved, stroke: "#2ca02c", width: 2 },
          { label: data.names.backlog, stroke: "#d62728", width: 2, dash: [6, 4] },
        ],
      };
    }

    var chart = new uPlot(
      options(target.clientWidth || 320),
      [xs, data.created, data.resolved, data.backlog],
      target
    );
    window.addEventListener("resize", function () {
      var o = options(target.clientWidth || 320);
      chart.setSize({ width: o.width, height: o.height });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
