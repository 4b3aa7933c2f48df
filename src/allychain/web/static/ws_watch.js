// The workspace's Watch page: the selected series with the detected changes marked (plotly.js, served
// offline from /vendor/plotly.min.js). The data come in <script type="application/json" id="watch-series">.
"use strict";
(function () {
  const holder = document.getElementById("watch-series");
  const div = document.getElementById("watch-chart");
  if (!holder || !div) return;
  const s = JSON.parse(holder.textContent);
  if (!window.Plotly) { div.textContent = "Charts are unavailable (plotly.js not served)."; return; }
  const colour = { high: "#b2182b", medium: "#ef8a62", low: "#67a9cf" };
  const line = { x: s.points.map((p) => p.date), y: s.points.map((p) => p.value), type: "scatter",
                 mode: "lines+markers", name: s.series, connectgaps: false, marker: { size: 4 },
                 line: { color: "#14365d" } };
  const marks = { x: s.marks.map((m) => m.date), y: s.marks.map((m) => m.value), type: "scatter", mode: "markers",
                  name: "detected changes", text: s.marks.map((m) => m.label), hoverinfo: "x+y+text",
                  marker: { size: 14, symbol: "x", color: s.marks.map((m) => colour[m.severity] || "#333") } };
  window.Plotly.newPlot(div, [line, marks], {
    margin: { l: 70, r: 20, t: 30, b: 50 }, font: { size: 12 }, hovermode: "closest",
    yaxis: { title: s.unit || "" }, title: { text: s.series, font: { size: 13 } }, showlegend: true,
  }, { displaylogo: false, responsive: true });
})();
