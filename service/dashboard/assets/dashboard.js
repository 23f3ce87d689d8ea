// Draws the overview's charts from the figures the server rendered into
// <script type="application/json" id="chart-data"> (amounts already in major
// units of one currency per chart). Everything else on the dashboard works
// without JavaScript.
"use strict";

(function () {
  const palette = ["#4c9a6a", "#e0b03c", "#e07b39", "#c8463d", "#7d2e68", "#3b4a7a"];

  function fail(canvas, text) {
    const p = document.createElement("p");
    p.className = "chart-error";
    p.textContent = text;
    canvas.replaceWith(p);
  }

  function agingChart(canvas, c) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: c.labels,
        datasets: c.buckets.map((b, i) => ({
          label: b.label, data: b.values, backgroundColor: palette[i % palette.length], stack: "aging",
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: c.code } } },
        plugins: { title: { display: true, text: "Aged receivables, " + c.code } },
      },
    });
  }

  function dsoChart(canvas, data) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.currencies.map((c, i) => ({
          label: c.code, data: c.dso, borderColor: palette[(i + 5) % palette.length], tension: 0.2,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: "days" } } },
        plugins: { title: { display: true, text: "Days sales outstanding (countback)" } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("chart-data");
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const canvases = document.querySelectorAll("canvas[data-chart]");
    if (typeof Chart === "undefined") {
      canvases.forEach((c) => fail(c, "Charts are unavailable: this collectionsd was built " +
        "without its chart library (run deploy/install.sh, then rebuild)."));
      return;
    }
    canvases.forEach((canvas) => {
      const kind = canvas.dataset.chart;
      if (kind === "aging") {
        const c = data.currencies.find((x) => x.code === canvas.dataset.currency);
        if (c) agingChart(canvas, Object.assign({ labels: data.labels }, c));
      } else if (kind === "dso") {
        dsoChart(canvas, data);
      }
      canvas.dataset.drawn = "true";
    });
  });
})();
