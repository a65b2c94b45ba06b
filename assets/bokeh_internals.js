/* adamviz's every use of BokehJS internals, in one module (and bokeh_internals.css, which styles
 * Bokeh's own widgets by their internal class names). Bokeh's public API has no way to find a model's
 * view, write into a Div without a relayout, skip its per-paint CSS lookups and position rewrites,
 * paint a plot once per frame instead of through its throttle, leave an unused overlay canvas alone,
 * or learn when a plot has repainted; the explorer needs each for speed or for knowing a frame is on
 * screen (docs/performance.md). Each internal is named in INTERNALS, and `missing()` returns those a
 * running BokehJS lacks: tests/test_browser_modules.py fails with their names after an upgrade. The
 * tests look inside BokehJS only through the helpers at the end. Pinned: bokeh >= 3.6, < 3.10.
 */

const index = () => globalThis.Bokeh && globalThis.Bokeh.index;

/** The view that renders `model` (the first, if a model is shown twice), or null. BokehJS finds it by
 * walking every view of the page (4 ms a control change here, asked for each control's value in
 * words), so each model's view is remembered while it lives. */
const knownViews = new WeakMap(); // (a cache of BokehJS's own facts, not state: keyed by model, dropped with it)
const knownView = (model) => {
  const known = model && knownViews.get(model);
  return known && !known.is_destroyed ? known : null;
};
function viewOf(model) {
  const known = knownView(model);
  if (known) return known;
  const views = index();
  const view = (views && model && views.find_one(model)) || null;
  if (view) knownViews.set(model, view);
  return view;
}

/** The views of `models` (null where one has none yet), from one walk over BokehJS's views: viewOf
 * asks `find_one`, which walks them all for every model that has no view — at opening, the closed
 * loop's and many-parameters view's nine figures and their controls cost 7 ms of such walks. */
function viewsOf(models) {
  const wanted = new Set(models.filter((model) => !knownView(model)));
  const views = index();
  if (wanted.size && views) {
    for (const view of views.all_views()) {
      if (!wanted.has(view.model)) continue;
      knownViews.set(view.model, view);
      wanted.delete(view.model);
    }
  }
  return models.map((model) => (wanted.has(model) ? null : knownView(model)));
}

/** Whether `path` ("a.b.c") leads from `root` to a function. */
const hasFunction = (root, path) => typeof path.split(".").reduce((o, key) => (o === null || o === undefined ? undefined : o[key]), root) === "function";
const plotHas = (path) => ({ plot }) => hasFunction(viewOf(plot), path);
/** Whether the shadow root of `model`'s view holds an element of CSS class `name` (bokeh_internals.css). */
const cssClass = (name, key) => (models) => Boolean(viewOf(models[key]).shadow_el.querySelector(`.${name}`));
const rendererHas = (path) => ({ plot }) => index().all_views().some((v) => v.parent === viewOf(plot) && hasFunction(v, path));

/** A glyph renderer's views of its glyph that the explorer's plots never draw (leanGlyphs). */
const IDLE_GLYPHS = ["selection_glyph", "nonselection_glyph", "muted_glyph", "decimated_glyph"];

/**
 * Every internal, with a check that takes {plot, div} — a figure's model and a Div's model — and
 * says whether this BokehJS still has it.
 */
const INTERNALS = {
  "Bokeh.index.find_one": () => hasFunction(index(), "find_one"),
  "Bokeh.index.all_views": () => hasFunction(index(), "all_views"),
  "PlotView.repaint": plotHas("repaint"),
  "PlotView.throttled_paint": plotHas("throttled_paint"),
  "PlotView.paint": plotHas("paint"),
  "Plot.hold_render (PlotView.paint skips while it is set), HasProps.setv(…, {silent: true})": ({ plot }) => "hold_render" in plot.properties && hasFunction(plot, "setv"),
  "PlotView._invalidate_all": ({ plot }) => typeof viewOf(plot)._invalidate_all === "boolean",
  "PlotView._needs_layout": ({ plot }) => typeof viewOf(plot)._needs_layout === "boolean",
  "PlotView._range_manager.invalidate_dataranges": ({ plot }) => typeof viewOf(plot)._range_manager.invalidate_dataranges === "boolean",
  "PlotView.frame.x_ranges, y_ranges (Maps)": ({ plot }) => viewOf(plot).frame.x_ranges instanceof Map && viewOf(plot).frame.y_ranges instanceof Map,
  "CanvasView.overlays.prepare": plotHas("canvas_view.overlays.prepare"),
  "PlotView._paint_overlays": plotHas("_paint_overlays"),
  "PlotView.frame.bbox.args": ({ plot }) => (viewOf(plot).frame.bbox.args || []).length === 4,
  "RendererView.update_position": rendererHas("update_position"),
  "GlyphView.index_data, index (a getter), _index, _mask_data (read by mask_data)": ({ plot }) =>
    index()
      .all_views()
      .some((v) => v.parent === viewOf(plot) && v.glyph && hasFunction(v.glyph, "index_data") && hasFunction(v.glyph, "mask_data") && "_index" in v.glyph && "index" in v.glyph),
  "GlyphRendererView.{selection,nonselection,muted,decimated}_glyph: set_data, set_visuals, after_visuals, after_lazy_visuals, map_data": ({ plot }) =>
    index()
      .all_views()
      .some((v) => v.parent === viewOf(plot) && IDLE_GLYPHS.every((name) => ["set_data", "set_visuals", "after_visuals", "after_lazy_visuals", "map_data"].every((method) => hasFunction(v[name], method)))),
  "RendererView.position._update": rendererHas("position._update"),
  "PlotView.base_font_size": ({ plot }) => typeof (viewOf(plot) || {}).base_font_size === "number",
  "View.visuals[]._get_css_value (on a prototype), visual.obj.model": ({ plot }) => {
    const withVisuals = index().all_views().find((v) => v.visuals && [...v.visuals].length && v.parent === viewOf(plot));
    const visual = withVisuals && [...withVisuals.visuals][0];
    return Boolean(cssLookupPrototype(visual)) && visual.obj.model.document === plot.document;
  },
  "View.parent": ({ plot }) => index().all_views().some((v) => v.parent === viewOf(plot)),
  "LayoutDOMView.invalidate_layout (climbing View.parent to the root)": ({ plot }) =>
    hasFunction(viewOf(plot), "invalidate_layout") && hasFunction(viewOf(plot).parent, "invalidate_layout"),
  "DOMView.el": ({ div }) => (viewOf(div) || {}).el instanceof globalThis.Element,
  "DOMView.shadow_el": ({ div }) => (viewOf(div) || {}).shadow_el instanceof globalThis.ShadowRoot,
  "Document.to_json": ({ plot }) => hasFunction(plot.document, "to_json"),
  "HasProps.document": ({ plot }) => Boolean(plot.document) && plot.document === viewOf(plot).model.document,
  "PlotView.export(png).canvas": ({ plot }) => picture(plot) instanceof globalThis.HTMLCanvasElement,
  "PlotView._paint_primary (tests)": plotHas("_paint_primary"),
  "PlotView._invalidate_layout_if_needed": plotHas("_invalidate_layout_if_needed"),
  "CanvasView.overlays.canvas, pixel_ratio (tests)": ({ plot }) => viewOf(plot).canvas_view.overlays.canvas instanceof globalThis.HTMLCanvasElement,
  "GlyphRendererView.glyph.model (tests)": ({ plot }) => index().all_views().some((v) => v.parent === viewOf(plot) && v.glyph && v.glyph.model),
  "View.is_destroyed": ({ plot }) => viewOf(plot).is_destroyed === false,
  "View.model": ({ plot }) => viewOf(plot).model === plot,
  "Document.to_json form: CustomJS args as {type: map, entries}": ({ plot }) => documentJson(plot).roots.length > 0,
  "CSS .bk-btn, .bk-btn-primary (Button)": cssClass("bk-btn", "button"),
  "CSS .bk-btn-group (button groups)": cssClass("bk-btn-group", "group"),
  "ButtonGroupView: one .bk-btn per label, in order (hideButtons)": ({ group }) =>
    viewOf(group).shadow_el.querySelectorAll(".bk-btn").length === group.labels.length,
  "CSS .noUi-handle (Slider)": cssClass("noUi-handle", "slider"),
  "CSS .noUi-target, .noUi-connect (Slider)": (models) => cssClass("noUi-target", "slider")(models) && cssClass("noUi-connect", "slider")(models),
  "CSS .noUi-tooltip (Slider's value while dragged)": cssClass("noUi-tooltip", "slider"),
  "CSS .bk-btn-default, .bk-active (button groups)": (models) => cssClass("bk-btn-default", "group")(models) && cssClass("bk-active", "view")(models),
  "CSS .bk-input (TextInput, Select)": cssClass("bk-input", "input"),
  "CSS custom properties --default, --background-color, --border-color (widgets' :host)": ({ group, input }) =>
    [[group, "--default"], [input, "--background-color"], [input, "--border-color"]].every(
      ([model, name]) => globalThis.getComputedStyle(viewOf(model).el).getPropertyValue(name).trim() !== ""
    ),
  "Document.all_models; CustomJS.code, tags (the bundle a worker runs)": ({ plot }) => bundleSource(plot).length > 1000,
  "NDArray(init, shape)": ({ image }) => {
    const made = imageArray(image, new Float64Array(6), 2, 3);
    return made.dimension === 2 && made.shape.join() === "2,3" && made.length === 6;
  },
};

/** The names in INTERNALS that this page's BokehJS lacks (an empty list when all is well). `models`:
 * {plot, div, image, button, group, view, slider, input} — a figure, a Div, the loss map's image
 * source, a Button, a button group, one with an active button, a Slider and a text box of one explorer. */
function missing(models) {
  return Object.entries(INTERNALS)
    .filter(([, present]) => {
      try {
        return !present(models);
      } catch {
        return true;
      }
    })
    .map(([name]) => name);
}

/**
 * Put `html` into a Div's `.av-slot` element directly. Setting a Bokeh Div's `text` costs a
 * whole-document relayout, far too slow for every frame; the slot's size is fixed by
 * CSS, so writing into the DOM underneath Bokeh is safe. Falls back to `text` before the view exists.
 */
function writeSlot(div, html) {
  let slot = slots.get(div);
  if (!slot || !slot.isConnected) {
    const view = viewOf(div);
    slot = view && view.shadow_el && view.shadow_el.querySelector(".av-slot");
    if (slot) slots.set(div, slot);
  }
  if (slot) writeHtml(slot, html);
  else div.text = `<div class="av-slot">${html}</div>`;
}
const slots = new WeakMap(); // Div model -> its slot element (looking a view up walks every view)

const TAG = /(<[^>]*>)/;
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
/** The text an HTML parser makes of `text`: the named entities above and every numeric one (Python's
 * html.escape writes ' as &#x27;, escapeHtml as &#39;). */
const decode = (text) =>
  text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-f]+));/gi, (entity, name, decimal, hex) =>
    decimal ? String.fromCodePoint(Number(decimal)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : ENTITIES[name.toLowerCase()]
  );
const written = new WeakMap(); // element -> {html, shape, texts: its text nodes in order}

/**
 * Set `element`'s HTML to `html`. A readout changes every frame but only in its numbers: when the
 * markup around the text is what was written last time, only the text nodes change — no parsing,
 * no new elements to style (docs/performance.md has the figures).
 * `html` is the page's own markup, with user text escaped by escapeHtml (the five entities); only
 * this function writes into a slot.
 */
function writeHtml(element, html) {
  const last = written.get(element);
  if (last && last.html === html) return;
  const parts = html.split(TAG);
  const shape = parts.map((part, k) => (k % 2 ? part : part === "" ? "" : "#")).join("");
  if (last && last.shape === shape) {
    const texts = parts.filter((part, k) => k % 2 === 0 && part !== "");
    texts.forEach((text, k) => {
      const value = decode(text);
      if (last.texts[k].data !== value) last.texts[k].data = value;
    });
    last.html = html;
    return;
  }
  element.innerHTML = html;
  const nodes = [];
  const walker = element.ownerDocument.createTreeWalker(element, 4 /* NodeFilter.SHOW_TEXT */);
  while (walker.nextNode()) nodes.push(walker.currentNode);
  const count = parts.filter((part, k) => k % 2 === 0 && part !== "").length;
  // markup the parser rearranged (a text node split or merged) is simply written whole every time
  if (nodes.length === count) written.set(element, { html, shape, texts: nodes });
  else written.delete(element);
}

/** The focusable controls inside a widget's view (slider handles, inputs, selects), for accessible names. */
function controlsOf(widget) {
  const view = viewOf(widget);
  return view && view.shadow_el ? [...view.shadow_el.querySelectorAll(".noUi-handle, input, select")] : [];
}

/** Hide the buttons at `hidden` (indices) of a button group's view, show the others. Bokeh's groups
 * have no per-button visibility; the view keeps its buttons until its labels change (we never change them). */
function hideButtons(group, hidden) {
  const view = viewOf(group);
  const buttons = view && view.shadow_el ? view.shadow_el.querySelectorAll(".bk-btn") : [];
  buttons.forEach((button, k) => {
    const display = hidden.includes(k) ? "none" : "";
    if (button.style.display !== display) button.style.display = display;
  });
}

/**
 * Call `listener(visible)` whenever the element rendering `model` enters or leaves the viewport
 * (an explorer scrolled out of a blog post, or its tab hidden). Returns false when it cannot watch.
 */
function onVisibility(model, listener) {
  const view = viewOf(model);
  if (!view || !view.el || typeof globalThis.IntersectionObserver !== "function") return false;
  let onScreen = true;
  const report = () => listener(onScreen && globalThis.document.visibilityState !== "hidden");
  new globalThis.IntersectionObserver((entries) => {
    onScreen = entries[entries.length - 1].isIntersecting;
    report();
  }).observe(view.el);
  globalThis.document.addEventListener("visibilitychange", report);
  return true;
}

/** `model`'s whole document, serialized as an embed takes it (defaults left out: smaller). */
function documentJson(model) {
  return model.document.to_json(false);
}

/** The element that renders `model` (null before its view exists). */
function elementOf(model) {
  const view = viewOf(model);
  return view && view.el instanceof globalThis.Element ? view.el : null;
}

/** A figure as it is on screen, drawn afresh onto a canvas of its own (what its save tool saves). */
function picture(plot) {
  return viewOf(plot).export("png", true).canvas;
}

/** Whether a DOM event happened inside the element that renders `model`. */
function eventWithin(model, event) {
  const view = viewOf(model);
  return Boolean(view && event.composedPath && event.composedPath().includes(view.el));
}

/**
 * Bokeh 3.9 lets CSS variables (--bk-line-color, ...) override every visual property, so each glyph,
 * axis and grid asks getComputedStyle for each property on every layout and paint — and while the
 * page is being built, each ask recomputes the page's styles: 320 ms of an inline export's opening
 * here. The explorer sets no such variables, so views of its documents skip the lookup: the method
 * is wrapped once on BokehJS's own VisualProperties prototype, and answers "" only for a visual whose
 * view's model belongs to a listed document (any other Bokeh plot on the host page keeps the CSS
 * behaviour). Called first thing when an explorer mounts, before its first state is drawn.
 */
function skipCssLookupsIn(model) {
  const first = index().all_views().find((view) => view.visuals && [...view.visuals].length);
  const prototype = first && model.document ? cssLookupPrototype([...first.visuals][0]) : null;
  if (!prototype) return;
  if (!prototype.adamvizDocuments) {
    const documents = new WeakSet(); // (on the prototype: every copy of the bundle on the page shares it)
    const lookup = prototype._get_css_value;
    prototype._get_css_value = function (name) {
      const document = this.obj && this.obj.model && this.obj.model.document;
      return document && documents.has(document) ? "" : lookup.call(this, name);
    };
    prototype.adamvizDocuments = documents;
  }
  prototype.adamvizDocuments.add(model.document);
  // each plot's base font size, read now (styles are clean) rather than on every text measurement
  fixFontSize(index().all_views().filter((view) => view.model.document === model.document && "base_font_size" in view));
}

/**
 * Let the explorer's figures paint. They come held (Plot.hold_render): BokehJS's first render of the
 * document would paint each once before the mount draws its first state into them and paints again.
 * Released silently — the change signal would schedule one more paint of each.
 */
function releasePaints(figures) {
  for (const figure of figures) figure.setv({ hold_render: false }, { silent: true });
}

/** The prototype of `visual` that defines BokehJS's CSS lookup (VisualProperties'), or null. */
function cssLookupPrototype(visual) {
  let prototype = visual ? Object.getPrototypeOf(visual) : null;
  while (prototype && !Object.hasOwn(prototype, "_get_css_value")) prototype = Object.getPrototypeOf(prototype);
  return prototype;
}

/** A plot's base font size, read once: BokehJS reads it from getComputedStyle on every measurement. */
function fixFontSize(plotViews) {
  for (const plot of plotViews) {
    if (Object.hasOwn(plot, "base_font_size")) continue;
    const fontSize = plot.base_font_size;
    Object.defineProperty(plot, "base_font_size", { get: () => fontSize, configurable: true });
  }
}

/**
 * Run `fn` with the page laid out once at its end instead of after each change it makes. BokehJS
 * lays out the whole root synchronously after every change of a layout's visibility or size
 * (LayoutDOMView.invalidate_layout climbs to the root, which computes at once): the controls shown
 * and hidden for one setting were as many full layouts — 300 ms of an inline export's opening.
 * Nested calls join the outer one.
 */
function batchLayout(model, fn) {
  let top = viewOf(model);
  if (!top || typeof top.invalidate_layout !== "function") return fn();
  while (top.parent && typeof top.parent.invalidate_layout === "function") top = top.parent;
  if (Object.hasOwn(top, "invalidate_layout")) return fn();
  let asked = false;
  top.invalidate_layout = () => {
    asked = true;
  };
  try {
    return fn();
  } finally {
    delete top.invalidate_layout;
    if (asked) top.invalidate_layout();
  }
}

/** Whether two models belong to one Bokeh document (one explorer; a pasted copy is another document). */
const sameDocument = (a, b) => Boolean(a && b && a.document) && a.document === b.document;

/**
 * Paint `plotView` when `schedule(plotView)` says, instead of through BokehJS's own throttle: that
 * throttle waits 1/60 s after a paint's start, then for an animation frame, so on a machine whose
 * frames take longer than 1/60 s a figure misses every other frame (six figures painted in
 * alternate frames; docs/performance.md). `schedule` must
 * eventually call `paintPlot(plotView)`.
 */
function schedulePaints(plotView, schedule) {
  plotView.throttled_paint = () => {
    schedule(plotView);
    return Promise.resolve();
  };
}

/**
 * Paint a plot whose renderers asked. BokehJS's repaint() first asks each axis and title whether
 * its size changed, and each measures its labels to answer; only a change of a
 * range, an axis or a title can change a size, and each of those invalidates the whole plot. So a
 * plot where only some renderers asked (new data, a cursor moved) is painted without asking.
 * A change of an axis or a title asks for a layout (`_needs_layout`), which repaint() does; of the
 * ranges, only the y-ranges can change a size — an x-axis's labels lie flat, its height set by its
 * font — so a plot whose every side panel is an axis is not asked while only its x-range moves (a
 * card's window gliding, every frame).
 * New data also has BokehJS refit the plot's auto ranges (DataRange1d) and ask the sizes again
 * before painting; a plot whose ranges are all fixed (Range1d, the cards') has none to refit.
 */
function paintPlot(plotView) {
  if (!fixedRanges.has(plotView)) {
    const { x_ranges: xs, y_ranges: ys } = plotView.frame;
    fixedRanges.set(plotView, [...xs.values(), ...ys.values()].every((range) => range.type === "Range1d"));
    recordSizeChecks(plotView);
  }
  if (fixedRanges.get(plotView)) plotView._range_manager.invalidate_dataranges = false;
  if (plotView._needs_layout || (plotView._invalidate_all && !sizesHold(plotView))) plotView.repaint();
  else plotView.paint();
}

const fixedRanges = new WeakMap(); // plot view -> whether all its ranges are Range1d
const checkedAt = new WeakMap(); // plot view -> its y-ranges' ends when its sizes were last checked
const yEnds = (plotView) => [...plotView.frame.y_ranges.values()].map((range) => `${range.start} ${range.end}`).join();

/** Remember a plot's y-range ends whenever BokehJS checks its sizes (on whatever path). */
function recordSizeChecks(plotView) {
  const check = plotView._invalidate_layout_if_needed;
  plotView._invalidate_layout_if_needed = function (...args) {
    checkedAt.set(this, yEnds(this));
    return check.apply(this, args);
  };
}

/** Whether a plot's sizes still hold: only axes at its sides (no title), and the y-range ends of its last check. */
function sizesHold(plotView) {
  const model = plotView.model;
  const onlyAxes = [...model.left, ...model.right, ...model.above, ...model.below].every((panel) => panel.constructor.__name__.endsWith("Axis"));
  const untitled = !(model.title && model.title.text && model.title.text.trim());
  return onlyAxes && untitled && checkedAt.get(plotView) === yEnds(plotView);
}

/** Whether a view was taken down (its figure left the page). */
const isGone = (view) => view.is_destroyed;

/** The model a view renders. */
const modelOf = (view) => view.model;

/**
 * Every renderer of a plot rewrites its element's CSS position (a <style>'s text) on every paint,
 * even when unchanged; each rewrite invalidates the page's style, and the next canvas `font` set
 * then recomputes it, several times a frame. A glyph's element is empty (it draws on
 * the canvas), so it is not moved at all; the others are rewritten only when their CSS changes.
 */
function keepPositions(plotViews) {
  const ours = new Set(plotViews);
  for (const view of index().all_views()) {
    if (!ours.has(view.parent) || !view.position || typeof view.position._update !== "function") continue;
    const sheet = view.position;
    sheet._update = (css) => {
      if (sheet.el.textContent !== css) sheet.el.textContent = css;
    };
    if (view.model.constructor.__name__ === "GlyphRenderer") view.update_position = () => {};
  }
}

/**
 * What a glyph renderer does on every change that the explorer's plots never use (none has a tool,
 * a level-of-detail threshold or a muted renderer: app/plots.py, tests/test_app.py):
 * - it keeps four more views of its glyph, for selected, unselected, muted and decimated data, and
 *   hands each the new data and visuals, inheriting them from the drawn one: nothing is ever
 *   selected, muted or decimated, so those views are never drawn — they are left idle;
 * - it rebuilds a spatial index of the drawn glyph's data (for tools' hit tests, and to cull what lies
 *   outside the view before drawing it, searching the index): the index is built when something asks
 *   for it, and nothing is culled — the canvas clips what lies outside.
 * Together 3.7 ms of a β₁ change with five optimizers compared, ~2 ms of a closed-loop frame.
 */
function leanGlyphs(plotViews) {
  const ours = new Set(plotViews);
  for (const view of index().all_views()) {
    if (!ours.has(view.parent) || view.model.constructor.__name__ !== "GlyphRenderer") continue;
    const plot = view.parent.model;
    if (plot.toolbar.tools.length || plot.lod_threshold !== null || view.model.muted) continue;
    for (const glyph of IDLE_GLYPHS.map((name) => view[name])) {
      glyph.set_data = async () => {};
      glyph.set_visuals = () => {};
      glyph.after_visuals = () => {};
      glyph.after_lazy_visuals = async () => {};
      glyph.map_data = () => {};
    }
    const drawn = view.glyph;
    const buildIndex = drawn.index_data;
    let built = true; // (by the data it has now)
    drawn.index_data = () => {
      built = false;
    };
    Object.defineProperty(drawn, "index", {
      configurable: true,
      get() {
        if (!built) buildIndex.call(drawn);
        built = true;
        return drawn._index;
      },
    });
    drawn._mask_data = null; // (GlyphView.mask_data: every index, where a glyph defines no _mask_data)
  }
}

/**
 * A plot keeps a second canvas for tool overlays and "overlay"-level renderers; BokehJS repaints
 * only the canvas whose renderers asked (both when a range changes). The cards put what moves
 * (their glyphs and cursors) at that level, so while only data moves the axes, grid and labels
 * beneath stay painted; that canvas is clipped to the frame here, as BokehJS clips glyphs on the
 * first. A plot with no tools and nothing at that level (the other views' figures) leaves it as it
 * is, empty: a canvas less for the page to hand to its compositor on every frame.
 */
function layerOverlays(plotView) {
  const model = plotView.model;
  const all = [...model.renderers, ...model.center, ...model.left, ...model.right, ...model.above, ...model.below];
  if (model.toolbar.tools.length) return;
  if (all.some((renderer) => renderer.level === "overlay")) {
    const paintOverlays = plotView._paint_overlays;
    plotView._paint_overlays = function (ctx) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(...this.frame.bbox.args);
      ctx.clip();
      paintOverlays.call(this, ctx);
      ctx.restore();
    };
    return;
  }
  const layer = plotView.canvas_view.overlays;
  const context = layer.prepare();
  layer.finish();
  layer.prepare = () => context;
  layer.finish = () => {};
  plotView._paint_overlays = () => {};
}

/** Call `listener(performance.now())` after every paint of a plot's view. */
function onRepaint(plotView, listener) {
  const paint = plotView.paint;
  plotView.paint = function (...args) {
    paint.apply(this, args);
    listener(performance.now());
  };
}

/**
 * A 2-D image for an image glyph: BokehJS reads an image's rows and columns from an NDArray's
 * `shape`, and a nested array set from JavaScript is not converted (only Python's arrays are, on
 * their way in). `source` is a ColumnDataSource whose `image` column already holds one such array
 * (from Python); its class makes the new one from `values` (row-major) and [rows, columns].
 */
function imageArray(source, values, rows, columns) {
  const NDArray = source.data.image[0].constructor;
  return new NDArray(values, [rows, columns]);
}

const BOOT = "adamviz-mount"; // the tag of an explorer's boot callback (app/figures.py)

/** A plain value in Bokeh's serialized form (objects become {type: "map", entries}). */
function encode(value) {
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === "object") return { type: "map", entries: Object.entries(value).map(([k, v]) => [k, encode(v)]) };
  return value;
}

/** Hand the serialized boot callback (the CustomJS tagged BOOT) `config` instead of its own. */
function retarget(node, config) {
  if (Array.isArray(node)) return node.some((item) => retarget(item, config));
  if (node === null || typeof node !== "object") return false;
  const attributes = node.attributes;
  if (node.name === "CustomJS" && attributes && Array.isArray(attributes.tags) && attributes.tags.includes(BOOT)) {
    const entries = attributes.args.entries;
    entries[entries.findIndex(([name]) => name === "config")] = ["config", encode(config)];
    // the report's type (a DataModel) is defined in the first document only: a copy reports to no server
    const models = entries.find(([name]) => name === "models")[1].entries;
    const report = models.findIndex(([name]) => name === "report");
    if (report >= 0) models[report] = ["report", null];
    return true;
  }
  return Object.values(node).some((child) => retarget(child, config));
}

const MEASURED = ["inner_width", "inner_height", "outer_width", "outer_height"];

/** Forget the sizes BokehJS measured (they serialize with the figures): a copy laid out at the same
 * width would otherwise never change `inner_width`, the change its boot callback waits for. */
function unmeasure(node) {
  if (Array.isArray(node)) for (const item of node) unmeasure(item);
  else if (node !== null && typeof node === "object") {
    if (node.attributes) for (const name of MEASURED) delete node.attributes[name];
    for (const child of Object.values(node)) unmeasure(child);
  }
}

/** A copy of `root`'s whole document, serialized for `embed_items`, whose boot callback mounts an
 * explorer with `config`. */
function documentWithConfig(root, config) {
  const json = documentJson(root);
  if (!retarget(json.roots, config)) throw new Error("adamviz: the first explorer's mount callback was not found");
  unmeasure(json.roots);
  return json;
}

/** This bundle's source, as the boot callback of `model`'s explorer carries it (without its last line,
 * the mount): what a worker runs (population_workers.js). */
function bundleSource(model) {
  for (const other of model.document.all_models) {
    if (other.constructor.__name__ === "CustomJS" && other.tags.includes(BOOT)) return other.code.slice(0, other.code.lastIndexOf("\n"));
  }
  throw new Error("adamviz: the explorer's boot callback was not found");
}

/* ---- for the tests: what BokehJS did, read without the tests naming its internals -------------- */

/** Count a plot's paints of its primary canvas, of its overlay canvas, and its size checks. */
function countPaints(plot) {
  const view = viewOf(plot);
  const counts = { primary: 0, overlays: 0, sizes: 0 };
  for (const [name, key] of [["_paint_primary", "primary"], ["_paint_overlays", "overlays"], ["_invalidate_layout_if_needed", "sizes"]]) {
    const original = view[name];
    view[name] = function (...args) {
      counts[key]++;
      return original.apply(this, args);
    };
  }
  return counts;
}

/** Whether a plot's overlay canvas holds ink outside its frame, and inside it. */
function overlayInk(plot) {
  const view = viewOf(plot);
  const { x, y, width, height } = view.frame.bbox;
  const layer = view.canvas_view.overlays;
  const ctx = layer.canvas.getContext("2d");
  const r = layer.pixel_ratio;
  const inked = (...box) => ctx.getImageData(...box).data.some((value, i) => i % 4 === 3 && value > 0);
  return {
    outside: inked(0, 0, Math.floor(x * r) - 1, layer.canvas.height),
    inside: inked(Math.ceil(x * r) + 1, Math.ceil(y * r) + 1, Math.floor(width * r) - 2, Math.floor(height * r) - 2),
  };
}

/** The glyphs a plot draws from `source`: [type, line_width, line_cap] each. */
function glyphsOf(plot, source) {
  const views = [...index().all_views()].filter((v) => v.parent === viewOf(plot) && v.glyph && v.model.data_source === source);
  return views.map((v) => [v.glyph.model.type, v.glyph.model.line_width.value, v.glyph.model.line_cap.value]);
}

/** The element writeSlot writes into, inside a Div's shadow root. */
const slotOf = (div) => viewOf(div).shadow_el.querySelector(".av-slot");

// the wiring and the views: writing, watching and painting
export { INTERNALS, missing, viewOf, viewsOf, elementOf, picture, writeSlot, controlsOf, hideButtons, onVisibility, documentWithConfig };
export { eventWithin, sameDocument, isGone, modelOf, skipCssLookupsIn, releasePaints, fixFontSize, batchLayout, keepPositions, leanGlyphs, layerOverlays };
export { schedulePaints, paintPlot, onRepaint, imageArray, bundleSource };
// the tests
export { countPaints, overlayInk, glyphsOf, slotOf };
