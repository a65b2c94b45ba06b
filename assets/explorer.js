/* adamviz explorer: drives one explorer's Bokeh models from the browser, frame by frame.
 *
 * The only animation state is the iteration counter; every frame is a pure function of
 * (settings, iteration) over arrays recomputed by AdamViz.engine when a setting changes.
 * Frames never reach a server: the Python side marks every model this file touches
 * `syncable=False`, except one hidden input that carries the settings (on change and on pause) for
 * the served Export button. A served page and a static file behave the same.
 *
 * Public API (window.adamviz, and window.adamviz.instances[k] when a page holds several):
 *   state() -> {iteration, playing, params: {...}, scenarios: [...]}
 *   trace(name) -> {g, m_hat, sqrt_v_hat, scale, theta}   (plain arrays, current settings)
 *   set({...params, iteration}) -> Promise, resolved once the figures show it
 *   play(), pause(), step(n = 1)   (negative n steps back)
 */
(function (global) {
  "use strict";
  const AdamViz = (global.AdamViz = global.AdamViz || {});
  if (AdamViz.Explorer) return;

  const MAX_POINTS = 600; // per drawn series: about one point per pixel of a card's width
  const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
  const nextPaint = () =>
    new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));

  /** A compact, fixed-width-ish number for readouts. */
  function fmt(x, digits = 3) {
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return "0";
    const magnitude = Math.abs(x);
    if (magnitude < 1e-3 || magnitude >= 1e5) return x.toExponential(digits - 1);
    return x.toPrecision(digits);
  }

  /** Validate one setting against its spec: returns [value, null] or [null, message]. */
  function checkSetting(name, raw, spec) {
    const range = spec.kind === "bool" ? "true or false" : `${spec.integer ? "an integer" : "a number"} in [${spec.min}, ${spec.max}]`;
    if (spec.kind === "bool") {
      if (raw === true || raw === false) return [raw, null];
      const text = String(raw).toLowerCase();
      if (["1", "true", "on", "yes"].includes(text)) return [true, null];
      if (["0", "false", "off", "no"].includes(text)) return [false, null];
      return [null, `${name} must be ${range}; got ${JSON.stringify(String(raw))}`];
    }
    const value = typeof raw === "number" ? raw : String(raw).trim() === "" ? NaN : Number(raw);
    if (!Number.isFinite(value) || (spec.integer && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
      return [null, `${name} must be ${range}; got ${JSON.stringify(typeof raw === "number" ? raw : String(raw))}`];
    }
    return [value, null];
  }

  /** Min/max decimation: at most ~MAX_POINTS points per series, extremes kept in order. */
  function decimate(x, columns, lo, hi) {
    const count = hi - lo + 1;
    if (count <= MAX_POINTS) {
      const out = { x: x.slice(lo, hi + 1) };
      for (const [key, values] of Object.entries(columns)) out[key] = values.slice(lo, hi + 1);
      return out;
    }
    const buckets = Math.floor(MAX_POINTS / 2);
    const width = count / buckets;
    const out = { x: [] };
    for (const key of Object.keys(columns)) out[key] = [];
    for (let b = 0; b < buckets; b++) {
      const start = lo + Math.floor(b * width);
      const end = Math.min(hi, lo + Math.floor((b + 1) * width) - 1);
      out.x.push(x[start], x[end]);
      for (const [key, values] of Object.entries(columns)) {
        let iMin = start;
        let iMax = start;
        for (let i = start; i <= end; i++) {
          if (values[i] < values[iMin]) iMin = i;
          if (values[i] > values[iMax]) iMax = i;
        }
        const [first, second] = iMin <= iMax ? [iMin, iMax] : [iMax, iMin];
        out[key].push(values[first], values[second]);
      }
    }
    return out;
  }

  /**
   * Bokeh 3.9 lets CSS variables (--bk-line-color, ...) override every visual property, so each
   * glyph, axis and grid asks getComputedStyle for each property on every paint: a third of a frame's
   * time here. This explorer sets no such variables, so its own views skip the lookup (instance-level,
   * so any other Bokeh plot on the host page keeps the CSS behaviour).
   */
  function skipCssVisualLookups(index, plotViews) {
    const ours = new Set(plotViews);
    const belongs = (view) => {
      for (let v = view, depth = 0; v && depth < 6; v = v.parent, depth++) if (ours.has(v)) return true;
      return false;
    };
    const noCss = () => "";
    for (const plot of plotViews) {
      const fontSize = plot.base_font_size; // also read from getComputedStyle on every text measurement
      Object.defineProperty(plot, "base_font_size", { get: () => fontSize, configurable: true });
    }
    for (const view of index.all_views()) {
      if (!view.visuals || !belongs(view)) continue;
      for (const visual of view.visuals) visual._get_css_value = noCss;
    }
  }

  class Explorer {
    constructor(models, config) {
      this.models = models;
      this.config = config;
      this.spec = config.spec;
      this.params = { ...config.defaults };
      this.iteration = 0;
      this.playing = false;
      this.streams = {};
      this.traces = {};
      this.ghosts = null;
      this._frame = null;
      this._lastTime = null;
      this._carry = 0;
      this._renderedAt = 0;
      this.paintTimes = []; // when the first figure last repainted (for the fps benchmark)
      this._paintWaiters = [];
      this._hookedViews = null;
    }

    /* ---- public API -------------------------------------------------------------------- */

    state() {
      return {
        iteration: this.iteration,
        playing: this.playing,
        params: { ...this.params },
        scenarios: this.config.scenarios.slice(),
      };
    }

    trace(name) {
      if (!(name in this.traces)) throw new Error(`no scenario ${JSON.stringify(name)}; have ${this.config.scenarios.join(", ")}`);
      const trace = this.traces[name];
      return {
        g: Array.from(this.streams[name]),
        m_hat: Array.from(trace.m_hat),
        sqrt_v_hat: Array.from(trace.sqrt_v_hat),
        scale: Array.from(trace.scale),
        theta: Array.from(trace.theta),
      };
    }

    async set(changes) {
      const { accepted, errors } = this.validate(changes || {});
      if (errors.length) {
        this.showMessage(errors);
        throw new Error(errors.join("; "));
      }
      const since = performance.now();
      this.apply(accepted);
      await this.painted(since);
      return this.state();
    }

    play() {
      if (this.playing) return;
      if (this.iteration >= this.params.iterations - 1) this.iteration = 0;
      this.playing = true;
      this._lastTime = null;
      this._carry = 0;
      this._frame = requestAnimationFrame((time) => this._tick(time));
      this.renderTransport();
    }

    pause() {
      if (!this.playing) return;
      this.playing = false;
      if (this._frame !== null) cancelAnimationFrame(this._frame);
      this._frame = null;
      this.renderTransport();
      this.announce();
      this.report();
    }

    toggle() {
      this.playing ? this.pause() : this.play();
    }

    step(n = 1) {
      this.pause();
      this.goTo(this.iteration + Math.trunc(n));
      this.announce();
      this.report();
    }

    reset() {
      this.pause();
      this.goTo(0);
      this.announce();
      this.report();
    }

    /* ---- settings ---------------------------------------------------------------------- */

    validate(changes) {
      const accepted = {};
      const errors = [];
      const iterations = "iterations" in changes ? Number(changes.iterations) : this.params.iterations;
      for (const [name, raw] of Object.entries(changes)) {
        if (name === "iteration") continue;
        const spec = this.spec[name];
        if (!spec) {
          errors.push(`unknown setting ${JSON.stringify(name)}; known: ${Object.keys(this.spec).join(", ")}, iteration`);
          continue;
        }
        const [value, error] = checkSetting(name, raw, spec);
        if (error) errors.push(error);
        else accepted[name] = value;
      }
      if ("iteration" in changes) {
        const max = Number.isInteger(iterations) ? iterations - 1 : this.params.iterations - 1;
        const [value, error] = checkSetting("iteration", changes.iteration, { min: 0, max, integer: true });
        if (error) errors.push(error);
        else accepted.iteration = value;
      }
      return { accepted, errors };
    }

    apply(accepted) {
      const { iteration, ...params } = accepted;
      const changed = Object.keys(params).filter((k) => params[k] !== this.params[k]);
      const previous = this.params;
      this.params = { ...this.params, ...params };
      const streamChanged = changed.includes("seed") || changed.includes("iterations");
      const stepChanged = ["lr", "beta1", "beta2", "eps", "bias_correction"].some((k) => changed.includes(k));
      if (streamChanged || stepChanged || !Object.keys(this.traces).length) {
        if (stepChanged && Object.keys(this.traces).length) this.ghosts = this.traces;
        if (changed.includes("seed")) this.ghosts = null;
        this.recompute(streamChanged || !Object.keys(this.streams).length);
      }
      if (previous.iterations !== this.params.iterations || iteration !== undefined) {
        this.iteration = Math.min(iteration ?? this.iteration, this.params.iterations - 1);
      }
      this.syncWidgets();
      this.render(true);
      this.report();
    }

    /** Tell a server (if any) the settings and the paused iteration, e.g. for its Export button. */
    report() {
      const sink = this.models.sink;
      if (!sink || this.playing) return;
      const value = JSON.stringify({ ...this.params, iteration: this.iteration });
      if (sink.value !== value) sink.value = value;
    }

    recompute(newStreams) {
      const { iterations, seed } = this.params;
      if (newStreams) {
        for (const name of this.config.scenarios) {
          this.streams[name] = AdamViz.engine.stream(name, iterations, seed, this.config.shapes[name]);
        }
      }
      const traces = {};
      for (const name of this.config.scenarios) traces[name] = AdamViz.engine.adam(this.streams[name], this.params);
      this.traces = traces;
      this.x = Float64Array.from({ length: iterations }, (_, i) => i);
      this.fitRanges();
    }

    fitRanges() {
      const { y_moments, y_scale, y_theta } = this.models;
      const span = (arrays, floor) => {
        let lo = floor[0];
        let hi = floor[1];
        for (const values of arrays) for (const x of values) {
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
        const pad = 0.08 * (hi - lo || 1);
        return [lo - pad, hi + pad];
      };
      const names = this.config.scenarios;
      const moments = names.flatMap((n) => [this.streams[n], this.traces[n].m_hat, this.traces[n].sqrt_v_hat]);
      [y_moments.start, y_moments.end] = span(moments, [0, 0]);
      [y_scale.start, y_scale.end] = span(names.map((n) => this.traces[n].scale), [-1, 1]);
      [y_theta.start, y_theta.end] = span(names.map((n) => this.traces[n].theta), [-1e-9, 1e-9]);
    }

    onWidget(name, value) {
      const toParam = this.config.fromSlider[name];
      const param = toParam ? AdamViz.sliderValue(toParam, value) : value;
      if (name === "iteration") {
        if (value !== this.iteration) this.step(value - this.iteration);
        return;
      }
      if (name === "window_mode") {
        const window = value === 0 ? this.config.defaults.window || 40 : 0;
        if (window !== this.params.window) this.set({ window });
        return;
      }
      if (param === this.params[name]) return;
      this.set({ [name]: param }).catch(() => {});
    }

    /* ---- animation --------------------------------------------------------------------- */

    goTo(iteration) {
      this.iteration = Math.max(0, Math.min(this.params.iterations - 1, iteration));
      this.render(false);
    }

    _tick(time) {
      if (!this.playing) return;
      if (this._lastTime !== null) {
        this._carry += ((time - this._lastTime) / 1000) * this.params.speed;
        const steps = Math.floor(this._carry);
        if (steps > 0) {
          this._carry -= steps;
          const last = this.params.iterations - 1;
          this.iteration = Math.min(last, this.iteration + steps);
          this.render(false);
          if (this.iteration >= last) {
            this.pause();
            return;
          }
        }
      }
      this._lastTime = time;
      this._frame = requestAnimationFrame((t) => this._tick(t));
    }

    /* ---- paint tracking ---------------------------------------------------------------- */

    /** Bokeh's views of this explorer's figures, each wrapped to report when it has repainted. */
    plotViews() {
      if (this._hookedViews) return this._hookedViews;
      const index = global.Bokeh && global.Bokeh.index;
      const views = index ? this.models.figures.map((f) => index.find_one(f)).filter(Boolean) : [];
      if (views.length !== this.models.figures.length) return [];
      const explorer = this;
      skipCssVisualLookups(index, views);
      views.forEach((view, k) => {
        const repaint = view.repaint;
        view.repaint = function () {
          repaint.apply(this, arguments);
          view.adamvizPaintedAt = performance.now();
          if (k === 0) {
            explorer.paintTimes.push(view.adamvizPaintedAt);
            if (explorer.paintTimes.length > 1000) explorer.paintTimes.shift();
          }
          explorer._checkPaintWaiters();
        };
        view.adamvizPaintedAt = 0;
      });
      return (this._hookedViews = views);
    }

    /** Resolves once every figure has repainted after `since` (or at the next frame if none must). */
    painted(since) {
      const views = this.plotViews();
      if (!views.length || this._renderedAt < since) return nextPaint();
      return new Promise((resolve) => {
        this._paintWaiters.push({ since, resolve, views });
        setTimeout(() => this._checkPaintWaiters(true), 2000); // a hidden page never paints
        this._checkPaintWaiters();
      });
    }

    _checkPaintWaiters(giveUp = false) {
      this._paintWaiters = this._paintWaiters.filter(({ since, resolve, views }) => {
        const done = giveUp || views.every((v) => v.adamvizPaintedAt >= since);
        if (done) resolve();
        return !done;
      });
    }

    /* ---- drawing ----------------------------------------------------------------------- */

    render(settingsChanged) {
      const { params, iteration } = this;
      const window = params.window;
      const lo = window > 0 ? Math.max(0, iteration - window + 1) : 0;
      const { x_range } = this.models;
      const [start, end] = window > 0 ? [lo - 0.5, Math.max(lo + window, window) - 0.5] : [-0.5, params.iterations - 0.5];
      if (x_range.start !== start || x_range.end !== end) [x_range.start, x_range.end] = [start, end];
      for (const card of this.models.cards) {
        const name = card.name;
        const g = this.streams[name];
        const trace = this.traces[name];
        const gradient = decimate(this.x, { g }, lo, iteration);
        card.grad.data = { x: gradient.x, g: gradient.g };
        card.line.data = decimate(this.x, { m_hat: trace.m_hat, sqrt_v_hat: trace.sqrt_v_hat, scale: trace.scale, theta: trace.theta }, lo, iteration);
        if (settingsChanged || this.ghosts) card.ghost.data = this.ghostData(name, lo, iteration);
        if (settingsChanged) card.eps.location = params.eps;
        for (const cursor of card.cursors) cursor.location = iteration;
        this.writeHtml(card.readout, this.readout(name, iteration));
      }
      const slider = this.models.widgets.iteration;
      if (slider.end !== params.iterations - 1) slider.end = params.iterations - 1;
      if (slider.value !== iteration) slider.value = iteration;
      this._renderedAt = performance.now();
    }

    /**
     * Put `html` into a Div's `.av-slot` element directly. Setting a Bokeh Div's `text` costs a
     * whole-document relayout (~30 ms here), far too slow for every frame; the slot's size is
     * fixed by CSS, so writing into the DOM underneath Bokeh is safe. Falls back to `text`.
     */
    writeHtml(div, html) {
      const index = global.Bokeh && global.Bokeh.index;
      const view = index && index.find_one(div);
      const slot = view && view.shadow_el && view.shadow_el.querySelector(".av-slot");
      if (slot) {
        if (slot.innerHTML !== html) slot.innerHTML = html;
      } else {
        div.text = `<div class="av-slot">${html}</div>`;
      }
    }

    /** Give every control an accessible name (Bokeh's slider handles and checkbox have none). */
    labelControls() {
      const index = global.Bokeh && global.Bokeh.index;
      if (!index) return;
      for (const [name, label] of Object.entries(this.config.labels || {})) {
        const widget = this.models.widgets[name];
        const view = widget && index.find_one(widget);
        if (!view || !view.shadow_el) continue;
        for (const control of view.shadow_el.querySelectorAll(".noUi-handle, input")) {
          control.setAttribute("aria-label", label);
        }
      }
    }

    /** The previous setting's curves over the same window (empty when there is none). */
    ghostData(name, lo, iteration) {
      const ghost = this.ghosts && this.ghosts[name];
      const end = ghost ? Math.min(iteration, ghost.scale.length - 1) : -1;
      if (end < lo) return { x: [], m_hat: [], sqrt_v_hat: [], scale: [] };
      return decimate(this.x, { m_hat: ghost.m_hat, sqrt_v_hat: ghost.sqrt_v_hat, scale: ghost.scale }, lo, end);
    }

    readout(name, i) {
      const { eps, lr } = this.params;
      const g = this.streams[name][i];
      const t = this.traces[name];
      const epsDominates = eps >= 0.1 * t.sqrt_v_hat[i];
      return (
        `<div class="av-readout" data-scenario="${escapeHtml(name)}">` +
        `<div class="av-formula"><span class="av-m">m̂</span> / (<span class="av-v">√v̂</span> + ε) = ` +
        `<span class="av-m">${fmt(t.m_hat[i])}</span> / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ` +
        `<span class="${epsDominates ? "av-eps av-eps-hot" : "av-eps"}">${fmt(eps, 2)}</span>) = ` +
        `<b class="av-scale">${fmt(t.scale[i])}</b></div>` +
        `<div class="av-facts">iteration ${i} · g = ${fmt(g)} · step = η × scale = ${fmt(lr * t.scale[i])} · θ = ${fmt(t.theta[i])}</div>` +
        `</div>`
      );
    }

    renderTransport() {
      const play = this.models.widgets.play;
      const label = this.playing ? "❚❚ Pause" : "▶ Play";
      if (play.label !== label) play.label = label;
    }

    syncWidgets() {
      const w = this.models.widgets;
      for (const [name, transform] of Object.entries(this.config.fromSlider)) {
        const sliderValue = AdamViz.toSlider(transform, this.params[name]);
        if (w[name] && Math.abs(w[name].value - sliderValue) > 1e-9) w[name].value = sliderValue;
      }
      for (const name of ["seed", "speed"]) if (w[name] && w[name].value !== this.params[name]) w[name].value = this.params[name];
      if (w.bias_correction && w.bias_correction.active !== this.params.bias_correction) w.bias_correction.active = this.params.bias_correction;
      const mode = this.params.window > 0 ? 0 : 1;
      if (w.window_mode && w.window_mode.active !== mode) w.window_mode.active = mode;
      this.renderTransport();
    }

    showMessage(errors) {
      const div = this.models.message;
      if (!div) return;
      div.text = errors.length
        ? `<div class="av-error" role="alert">${errors.map((e) => `<div>${escapeHtml(e)}</div>`).join("")}</div>`
        : "";
      div.visible = errors.length > 0;
    }

    announce() {
      const live = this.models.live;
      if (!live || this.playing) return;
      const i = this.iteration;
      const parts = this.config.scenarios.map((name) => {
        const t = this.traces[name];
        return `${name}: g ${fmt(this.streams[name][i])}, m-hat ${fmt(t.m_hat[i])}, root v-hat ${fmt(t.sqrt_v_hat[i])}, scale ${fmt(t.scale[i])}`;
      });
      this.writeHtml(live, `Iteration ${i}. ${escapeHtml(parts.join("; "))}.`);
    }
  }

  /** Slider transforms: sliders hold a friendly coordinate, the state holds the parameter. */
  AdamViz.sliderValue = (transform, x) => {
    if (transform === "log10") return Number((10 ** x).toPrecision(6));
    if (transform === "window") return x <= 0 ? 0 : 1 - Number((10 ** -x).toPrecision(6));
    if (transform === "log10int") return Math.round(10 ** x);
    return x;
  };
  AdamViz.toSlider = (transform, value) => {
    if (transform === "log10" || transform === "log10int") return Math.log10(value);
    if (transform === "window") return value <= 0 ? 0 : -Math.log10(1 - value);
    return value;
  };

  /** URL query parameters with the API's names set the initial state; bad ones are reported. */
  function fromQuery(explorer, search) {
    const query = new URLSearchParams(search);
    const wanted = {};
    for (const [name, raw] of query.entries()) {
      if (name in explorer.spec || name === "iteration") wanted[name] = raw;
    }
    const { accepted, errors } = explorer.validate(wanted);
    const messages = errors.map((e) => `${e} — using the default`);
    return { accepted, messages };
  }

  AdamViz.instances = AdamViz.instances || [];
  AdamViz.Explorer = Explorer;
  AdamViz.escapeHtml = escapeHtml;

  /** Build an explorer on already-rendered Bokeh models and expose it as window.adamviz. */
  AdamViz.mount = function mount(models, config) {
    const existing = AdamViz.instance(config.id);
    if (existing) return existing;
    const explorer = new Explorer(models, config);
    const search = config.url && global.location ? global.location.search : "";
    const lecture = Boolean(config.lecture || new URLSearchParams(search).get("mode") === "lecture");
    let start = { ...config.initial };
    let lectureMessages = [];
    if (lecture && AdamViz.lectureStart) {
      const opening = AdamViz.lectureStart(explorer, new URLSearchParams(search));
      explorer.slide = opening.index;
      start = { ...start, ...opening.settings };
      lectureMessages = opening.messages;
    }
    const { accepted, messages } = fromQuery(explorer, search);
    explorer.apply({ ...start, ...accepted });
    explorer.showMessage([...lectureMessages, ...messages]);
    if (lecture && explorer.setLecture) explorer.setLecture(true);
    explorer.labelControls();
    explorer.plotViews();
    explorer.mountedAt = performance.now(); // for the load-to-interactive benchmark
    AdamViz.instances.push(explorer);
    const api = (e) => ({
      state: () => e.state(),
      trace: (name) => e.trace(name),
      set: (changes) => e.set(changes),
      play: () => e.play(),
      pause: () => e.pause(),
      step: (n = 1) => e.step(n),
      reset: () => e.reset(),
      id: e.config.id,
    });
    explorer.api = api(explorer);
    const first = AdamViz.instances[0].api;
    global.adamviz = Object.assign({}, first, { instances: AdamViz.instances.map((e) => e.api) });
    if (config.autoplay) explorer.play();
    explorer.report();
    return explorer;
  };

  AdamViz.instance = (id) => AdamViz.instances.find((e) => e.config.id === id);
})(typeof window !== "undefined" ? window : globalThis);
