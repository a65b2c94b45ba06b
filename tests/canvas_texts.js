// Runs before a page's own scripts (the layout suite's init script): records every text a canvas
// draws, so that the checks can see BokehJS's tick and axis labels, which are pixels, not DOM. Each
// canvas keeps the texts of its last paint (a paint starts by clearing the whole canvas). Web APIs
// only: nothing here names a BokehJS internal.
(() => {
  const drawn = new Map(); // canvas -> [{text, corners: [[x, y] x4] in canvas pixels}]
  const proto = CanvasRenderingContext2D.prototype;
  const { fillText, clearRect } = proto;
  proto.clearRect = function (x, y, w, h) {
    const t = this.getTransform();
    const [x0, y0] = [t.a * x + t.e, t.d * y + t.f];
    const [x1, y1] = [t.a * (x + w) + t.e, t.d * (y + h) + t.f];
    // BokehJS clears under a half-pixel translation: within a pixel of every edge is the whole canvas
    if (x0 <= 1 && y0 <= 1 && x1 >= this.canvas.width - 1 && y1 >= this.canvas.height - 1) drawn.set(this.canvas, []);
    return clearRect.call(this, x, y, w, h);
  };
  proto.fillText = function (text, x, y, ...rest) {
    const m = this.measureText(text);
    const t = this.getTransform();
    const local = [
      [x - m.actualBoundingBoxLeft, y - m.actualBoundingBoxAscent],
      [x + m.actualBoundingBoxRight, y - m.actualBoundingBoxAscent],
      [x + m.actualBoundingBoxRight, y + m.actualBoundingBoxDescent],
      [x - m.actualBoundingBoxLeft, y + m.actualBoundingBoxDescent],
    ];
    const corners = local.map(([u, v]) => [t.a * u + t.c * v + t.e, t.b * u + t.d * v + t.f]);
    if (String(text).trim()) {
      if (!drawn.has(this.canvas)) drawn.set(this.canvas, []);
      const size = /([\d.]+)px/.exec(this.font); // the font's CSS size (the context is scaled to CSS pixels)
      drawn.get(this.canvas).push({ text: String(text), corners, px: size ? Number(size[1]) : 0 });
    }
    return fillText.call(this, text, x, y, ...rest);
  };
  /** The texts each canvas on screen shows now: {text, box} with the box in page (CSS) pixels. */
  window.__canvasTexts = () => {
    const out = [];
    for (const [canvas, texts] of drawn) {
      if (!canvas.isConnected) continue;
      const rect = canvas.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0 || canvas.width === 0) continue;
      const scale = rect.width / canvas.width;
      for (const { text, corners, px } of texts) {
        const xs = corners.map(([u]) => u);
        const ys = corners.map(([, v]) => v);
        const box = { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
        const outside = box.left < -1 || box.top < -1 || box.right > canvas.width + 1 || box.bottom > canvas.height + 1;
        out.push({
          text,
          px,
          outside,
          box: {
            left: rect.left + box.left * scale,
            right: rect.left + box.right * scale,
            top: rect.top + box.top * scale,
            bottom: rect.top + box.bottom * scale,
          },
        });
      }
    }
    return out;
  };
})();
