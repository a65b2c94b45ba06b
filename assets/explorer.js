/* adamviz explorer: wires one explorer's parts together and exposes window.adamviz.
 *
 * State: the settings (`params`), the iteration and whether it plays; everything drawn is a pure
 * function of those over arrays the engine recomputes when a setting changes. Frames never reach a
 * server: the Python side marks every model syncable=False except one hidden input that carries the
 * settings (on change and on pause) for the served Export button. A served page and a static file
 * behave the same.
 *
 * Parts: settings.js (the table, validation, URL), engine.js (numbers), drawing.js (CardsView),
 * transport.js (Clock, PaintTracker), lecture.js (Lecture), bokeh_internals.js (under all of them).
 *
 * Public API (window.adamviz, and window.adamviz.instances[k] when a page holds several):
 *   state() -> {iteration, playing, params: {...}, scenarios: [...]}
 *   trace(name) -> {g, m_hat, sqrt_v_hat, scale, theta}   (plain arrays, current settings)
 *   set({...params, iteration}) -> Promise, resolved once the figures show it
 *   play(), pause(), step(n = 1) (negative n steps back), reset()
 */
(function (global) {
  "use strict";
  const AdamViz = (global.AdamViz = global.AdamViz || {});
  if (AdamViz.Explorer) return;
  const settings = AdamViz.settings;
  const engine = AdamViz.engine;

  const STREAM_SETTINGS = ["seed", "iterations"];
  const STEP_SETTINGS = ["lr", "beta1", "beta2", "eps", "bias_correction"];

  class Explorer {
    constructor(models, config) {
      this.models = models;
      this.config = config;
      this.params = { ...config.defaults };
      this.iteration = 0;
      this.playing = false;
      this.streams = {};
      this.traces = {};
      this.ghosts = null;
      this.x = new Float64Array(0);
      this.view = new AdamViz.CardsView(models, config);
      this.clock = new AdamViz.Clock(() => this.params.speed, (steps) => this.advance(steps));
      this.paints = new AdamViz.PaintTracker(models.figures);
      this.lecture = new AdamViz.Lecture(this);
    }

    /* ---- public API -------------------------------------------------------------------- */

    state() {
      return { iteration: this.iteration, playing: this.playing, params: { ...this.params }, scenarios: this.config.scenarios.slice() };
    }

    trace(name) {
      if (!Object.hasOwn(this.traces, name)) throw new Error(`no scenario ${JSON.stringify(name)}; have ${this.config.scenarios.join(", ")}`);
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
      const { accepted, errors } = settings.validate(this.config.spec, changes || {}, this.params.iterations);
      if (errors.length) {
        this.view.showMessage(errors);
        throw new Error(errors.join("; "));
      }
      const since = performance.now();
      this.apply(accepted);
      await this.paints.painted(since);
      return this.state();
    }

    play() {
      if (this.playing) return;
      if (this.iteration >= this.params.iterations - 1) this.iteration = 0;
      this.playing = true;
      this.clock.start();
      this.view.showPlaying(true);
    }

    pause() {
      if (!this.playing) return;
      this.playing = false;
      this.clock.stop();
      this.view.showPlaying(false);
      this.settled();
    }

    toggle() {
      if (this.playing) this.pause();
      else this.play();
    }

    step(n = 1) {
      this.pause();
      this.goTo(this.iteration + Math.trunc(n));
      this.settled();
    }

    reset() {
      this.pause();
      this.goTo(0);
      this.settled();
    }

    /* ---- settings ---------------------------------------------------------------------- */

    /** Take validated settings (and maybe an iteration); recompute what they change; redraw. */
    apply(accepted, { ghost = true } = {}) {
      const { iteration, ...params } = accepted;
      const changed = Object.keys(params).filter((k) => params[k] !== this.params[k]);
      const previousIterations = this.params.iterations;
      this.params = { ...this.params, ...params };
      const fresh = !Object.keys(this.traces).length;
      const streamChanged = fresh || STREAM_SETTINGS.some((k) => changed.includes(k));
      const stepChanged = STEP_SETTINGS.some((k) => changed.includes(k));
      if (streamChanged || stepChanged) {
        // the previous setting stays behind, faded; a new seed is a different stream: no ghost
        if (stepChanged && !fresh) this.ghosts = this.traces;
        if (changed.includes("seed")) this.ghosts = null;
        this.recompute(streamChanged);
      }
      if (!ghost) this.ghosts = null;
      if (previousIterations !== this.params.iterations || iteration !== undefined) {
        this.iteration = Math.min(iteration ?? this.iteration, this.params.iterations - 1);
      }
      this.view.syncWidgets(this.params);
      this.view.showPlaying(this.playing);
      this.draw(true);
      this.report();
    }

    recompute(newStreams) {
      const { iterations, seed } = this.params;
      if (newStreams) {
        for (const name of this.config.scenarios) this.streams[name] = engine.stream(name, iterations, seed, this.config.shapes[name]);
        this.x = Float64Array.from({ length: iterations }, (_, i) => i);
      }
      const traces = {};
      for (const name of this.config.scenarios) traces[name] = engine.optimize(this.streams[name], "adam", this.params);
      this.traces = traces;
      this.view.fitRanges(this.streams, this.traces);
    }

    /** A widget moved. Sliders echo every value the explorer gives them: those echoes change nothing. */
    onWidget(name, value) {
      if (name === "iteration") {
        if (value !== this.iteration) this.step(value - this.iteration);
        return;
      }
      if (name === "window_mode") {
        const window = value === 0 ? this.config.defaults.window || 40 : 0;
        if (window !== this.params.window) this.set({ window }).catch(() => {});
        return;
      }
      const transform = this.config.spec[name].transform;
      if (transform) {
        const current = settings.sliderPosition(transform, this.params[name]);
        if (Math.abs(current - value) <= 1e-9) return; // the slider shows the current value
        value = settings.sliderValue(transform, value);
      }
      if (value !== this.params[name]) this.set({ [name]: value }).catch(() => {});
    }

    /* ---- frames ------------------------------------------------------------------------ */

    goTo(iteration) {
      this.iteration = Math.max(0, Math.min(this.params.iterations - 1, iteration));
      this.draw(false);
    }

    /** The clock moved `steps` iterations on; returns whether to keep playing. */
    advance(steps) {
      const last = this.params.iterations - 1;
      this.goTo(Math.min(last, this.iteration + steps));
      if (this.iteration < last) return true;
      this.pause();
      return false;
    }

    draw(settingsChanged) {
      const frame = { params: this.params, iteration: this.iteration, x: this.x, streams: this.streams, traces: this.traces, ghosts: this.ghosts };
      this.view.render(frame, settingsChanged);
      this.paints.changed();
    }

    /** Stopped on an iteration: tell screen readers, a server (if any) and the lecture URL. */
    settled() {
      this.view.announce({ iteration: this.iteration, streams: this.streams, traces: this.traces });
      this.report();
    }

    /** Tell a server (if any) the settings and the paused iteration, e.g. for its Export button. */
    report() {
      if (this.playing) return;
      const value = JSON.stringify({ ...this.params, iteration: this.iteration });
      if (this.models.sink.value !== value) this.models.sink.value = value;
      this.lecture.writeUrl();
    }

    api() {
      return {
        state: () => this.state(),
        trace: (name) => this.trace(name),
        set: (changes) => this.set(changes),
        play: () => this.play(),
        pause: () => this.pause(),
        step: (n = 1) => this.step(n),
        reset: () => this.reset(),
        id: this.config.id,
      };
    }
  }

  AdamViz.instances = AdamViz.instances || [];
  AdamViz.Explorer = Explorer;
  /** The explorer a model (a widget's cb_obj) belongs to: the one built in the same Bokeh document. */
  AdamViz.instanceOf = (model) => AdamViz.instances.find((e) => AdamViz.bokeh.sameDocument(e.models.root, model));

  /** Build an explorer on already-rendered Bokeh models and expose it as window.adamviz. */
  AdamViz.mount = function mount(models, config) {
    const existing = AdamViz.instances.find((e) => e.models.root === models.root);
    if (existing) return existing;
    // a snippet pasted twice brings the same id twice: the second copy gets an id of its own
    const taken = (id) => AdamViz.instances.some((e) => e.config.id === id);
    let id = config.id;
    for (let copy = 2; taken(id); copy++) id = `${config.id}-${copy}`;
    const explorer = new Explorer(models, { ...config, id });
    const search = global.location ? global.location.search : "";
    const query = new URLSearchParams(search);
    const lecture = Boolean(config.lecture || query.get("mode") === "lecture");
    let start = { ...config.initial };
    const messages = [];
    if (lecture) {
      const opening = explorer.lecture.opening(query);
      start = { ...start, ...opening.settings };
      messages.push(...opening.messages);
    }
    const fromUrl = settings.fromQuery(config.spec, search, config.defaults.iterations);
    explorer.apply({ ...start, ...fromUrl.accepted });
    explorer.view.showMessage([...messages, ...fromUrl.messages]);
    if (lecture) explorer.lecture.setOn(true);
    explorer.view.labelControls();
    explorer.paints.hook();
    AdamViz.instances.push(explorer);
    explorer.publicApi = explorer.api();
    global.adamviz = Object.assign({}, AdamViz.instances[0].publicApi, { instances: AdamViz.instances.map((e) => e.publicApi) });
    if (config.autoplay) explorer.play();
    explorer.report();
    return explorer;
  };
})(globalThis);
