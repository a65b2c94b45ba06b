// The layout suite's checks, run in the page (tests/test_layout_browser.py): what a person would wince
// at. Returns {clipped, overlaps, entities, firstFigureTop}. Walks every shadow root.
() => {
  const elements = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      elements.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const shown = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const describe = (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${(el.textContent || "").trim().slice(0, 40)}"`;
  // 1. text cut off: an element that clips its overflow and holds more than it shows
  const clipped = [];
  for (const el of elements) {
    if (!el.firstChild || !shown(el)) continue;
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
    if (!hasText) continue;
    const style = getComputedStyle(el);
    const clips = ["hidden", "clip", "auto", "scroll"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (clips && el.scrollWidth > el.clientWidth + 1) clipped.push(describe(el));
  }
  // 2. labels on top of each other: the boxes of visible text runs (a text node's own rectangles)
  const runs = [];
  for (const el of elements) {
    if (["SCRIPT", "STYLE", "TEMPLATE", "OPTION"].includes(el.tagName)) continue;
    for (const node of el.childNodes) {
      if (node.nodeType !== 3 || !node.data.trim() || !shown(el)) continue;
      if (el.closest(".av-live, .av-help, math")) continue; // the off-screen announcer; the help overlays on purpose; MathML stacks accents
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const box of range.getClientRects()) if (box.width > 1 && box.height > 1) runs.push({ box, text: node.data.trim().slice(0, 30), el });
    }
  }
  // ... and the texts BokehJS paints on its canvases (tick and axis labels), which canvas_texts.js
  // records as they are drawn: a label drawn past its canvas's edge is cut off
  const canvasTexts = window.__canvasTexts ? window.__canvasTexts() : [];
  for (const { text, box, outside, px } of canvasTexts) {
    const rect = { ...box, width: box.right - box.left, height: box.bottom - box.top };
    if (rect.width > 1 && rect.height > 1) runs.push({ box: rect, text: text.slice(0, 30), el: null, px });
    if (outside) clipped.push(`canvas "${text}"`);
  }
  const overlaps = [];
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const [a, b] = [runs[i].box, runs[j].box];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      // glyphs of neighbouring lines touch by a pixel or two (line-height < glyph height): that is type, not a clash
      if (w > 2 && h > Math.min(a.height, b.height) * 0.3) overlaps.push(`"${runs[i].text}" × "${runs[j].text}"`);
    }
  }
  // 3. entities shown as text
  const entities = runs.filter((r) => /&#|&amp;|&lt;|&gt;|&quot;/.test(r.text)).map((r) => r.text);
  // 4. where the first figure starts
  const canvases = elements.filter((el) => el.tagName === "CANVAS" && shown(el));
  const firstFigureTop = canvases.length ? Math.min(...canvases.map((c) => c.getBoundingClientRect().top + scrollY)) : null;
  // 5. type sizes (a slide's least) and the canvases' heights (a slide's figure)
  const sizeOf = (r) => (r.el ? parseFloat(getComputedStyle(r.el).fontSize) : r.px);
  const small = runs.filter((r) => sizeOf(r) < 22).map((r) => `${r.text} (${sizeOf(r)}px)`);
  const canvasHeights = canvases.map((c) => c.getBoundingClientRect().height);
  return { clipped, overlaps: overlaps.slice(0, 20), entities, firstFigureTop, runs: runs.length, canvasTexts: canvasTexts.length, small: small.slice(0, 20), canvasHeights };
}
