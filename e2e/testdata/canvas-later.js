// The SDK started with no canvas on the page, and a canvas added later (addCanvas), for the
// pages canvas-later.html and canvas-noworker.html (sdk_canvas_test.go).
const extra = JSON.parse(new URLSearchParams(location.search).get("o") || "{}");
Reel.init(Object.assign({ key: "{{KEY}}", endpoint: "{{ENDPOINT}}", flushIntervalMs: 60000 }, extra));
window.loadedCanvasRecorder = () => performance.getEntriesByType("resource").some((e) => e.name.endsWith("/sdk/reel-canvas.js"));
window.addCanvas = () => {
  const c = document.createElement("canvas");
  c.id = "late";
  c.width = 80;
  c.height = 40;
  document.getElementById("out").append(c);
  const x = c.getContext("2d");
  x.fillStyle = "#1a7";
  x.fillRect(0, 0, 80, 40);
};
