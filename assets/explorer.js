/* adamviz explorer: wires one explorer's parts together and exposes window.adamviz.
 *
 * State: the settings (`params`), the iteration and whether it plays; everything drawn is a pure
 * function of those over arrays the engine recomputes when a setting changes. Frames never reach a
 * server: the Python side marks every model syncable=False except one hidden input that carries the
 * settings (on change and on pause) for the served Export button. A served page and a static file
 * behave the same.
 *
 * Parts: settings.js (the table, validation, URL), engine.js (numbers), drawing.js (CardsView),
 * population.js (PopulationView, the many-parameters view), valley.js (ValleyView, the closed loops),
 * transport.js (Clock, PaintTracker), lecture.js (Lecture), prose.js (links and live numbers in the
 * text around it), bokeh_internals.js (under all of them).
 *
 * Public API (window.adamviz, and window.adamviz.instances[k] when a page holds several):
 *   state() -> {iteration, playing, params: {...}, scenarios: [...]}
 *   trace(name, optimizer = params.optimizer) -> {g, m_hat, sqrt_v_hat, scale, step, theta}
 *       (plain arrays under the current settings; g is the stream times 10^grad_scale)
 *   population() -> {n_params, gamma, magnitude, percentiles: {p10, p50, p90}} (the many-parameters
 *       view's population under the current settings; percentiles of r_t per iteration)
 *   path(optimizer = params.optimizer) -> {x, y, loss} (the closed loop under the current settings:
 *       θ after each iteration, and its loss; y is null for the one-dimensional bowl)
 *   load(file) -> Promise (a File, or {name, bytes}: a trace .npz, a 1-D .npy or a one-column .csv;
 *       its coordinates become the cards "<group>[<index>]", replayed under the run's own settings)
 *   recorded(name) -> {g, m_hat, sqrt_v_hat, step} (what the run recorded; null where a log has none)
 *   download("csv" | "png") -> Promise (the view's data as CSV, its figures as one PNG)
 *   set({...params, iteration}) -> Promise, resolved once the figures show it
 *   preset(name) -> Promise (a preset of config.presets, as its button or key applies it)
 *   play(), pause(), step(n = 1) (negative n steps back), reset()
 */
import * as bokeh from "./bokeh_internals.js";
import { save } from "./downloads.js";
import { CardsView } from "./drawing.js";
import { embedLite } from "./embeds.js";
import * as engine from "./engine/index.js";
import { Lecture, listenToKeys } from "./lecture.js";
import { PopulationView } from "./population.js";
import { listenToProse, show as showProse } from "./prose.js";
import { Recordings } from "./recordings.js";
import { instances, shared } from "./registry.js";
import * as settings from "./settings.js";
import { Clock, PaintTracker } from "./transport.js";
import { ValleyView } from "./valley.js";

const STREAM_SETTINGS = ["seed", "iterations", "grad_scale"];
const STEP_SETTINGS = ["optimizer", "compare", "lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "bias_correction"];
// 10^k for the gradient scale, as literals (correctly rounded, like Python's 10.0 ** k); `**` may not be
const POWERS_OF_TEN = { "-6": 1e-6, "-5": 1e-5, "-4": 1e-4, "-3": 1e-3, "-2": 1e-2, "-1": 1e-1, 0: 1, 1: 1e1, 2: 1e2, 3: 1e3, 4: 1e4, 5: 1e5, 6: 1e6 };
const LOOP_SETTINGS = ["problem", "condition", "rotated", "noise", "start_x", "start_y"];
const LAYOUT_SETTINGS = ["controls", "panels", "header", "height"];
const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const changedValue = (a, b) => (Array.isArray(a) && Array.isArray(b) ? !sameList(a, b) : a !== b);

class Explorer {
  constructor(models, config) {
    this.models = models;
    this.config = config;
    this.params = { ...config.defaults };
    this.iteration = 0;
    this.playing = false;
    this.onScreen = true; // off screen (scrolled away, hidden tab) the clock stops: no frames, no work
    this.streams = {};
    this.traces = {}; // scenario -> the main optimizer's trace
    this.compared = {}; // scenario -> {optimizer -> trace} for params.compare
    this.active = []; // the scenarios on screen (lecture mode: the slide's)
    this.scenarios = config.scenarios.slice(); // the cards' scenarios: the page's, or a loaded run's coordinates
    this.ghosts = null;
    this.x = new Float64Array(0);
    this.view = new CardsView(models, config);
    this.shownView = null; // "cards" or "population", once shown
    this.population = new PopulationView(this);
    this.valley = new ValleyView(this);
    this.phase = 0; // smooth scroll: how far the window has glided toward the next iteration, [0, 1)
    this.clock = new Clock(
      () => this.params.speed,
      (steps, fraction) => this.advance(steps, fraction),
      () => this.params.smooth && this.params.view !== "population" && this.params.window > 0,
      () => this.paints.queueFlush()
    );
    this.paints = new PaintTracker(models.figures, () => this.activeFigures());
    this.lecture = new Lecture(this);
    this.recordings = new Recordings(this);
  }

  /* ---- public API -------------------------------------------------------------------- */

  state() {
    return { iteration: this.iteration, playing: this.playing, params: { ...this.params }, scenarios: this.scenarios.slice() };
  }

  trace(name, optimizer = this.params.optimizer) {
    const shown = Object.hasOwn(this.traces, name); // a stream, the bowl, or a closed-loop coordinate
    const names = [...Object.keys(this.config.shapes), ...Object.keys(this.config.loops), ...Object.keys(this.recordings.byName)];
    if (!shown && !names.includes(name)) throw new Error(`no scenario ${JSON.stringify(name)}; have ${[...new Set([...names, ...Object.keys(this.traces)])].join(", ")}`);
    if (!engine.OPTIMIZERS.includes(optimizer)) throw new Error(settings.rejection("optimizer", optimizer, `one of ${engine.OPTIMIZERS.join(", ")}`));
    let known = optimizer === this.params.optimizer ? this.traces[name] : (this.compared[name] || {})[optimizer];
    if (!known && this.params.view === "valley" && shown) {
      const k = this.valley.coordinates(this.params).indexOf(name);
      known = this.valley.run(this.params, optimizer).traces[k];
    } else if (!known && Object.hasOwn(this.config.loops, name)) {
      known = this.loopRun(name, optimizer);
    }
    const g = known && known.g ? known.g : Object.hasOwn(this.streams, name) ? this.streams[name] : this.gradients(name);
    const trace = known || engine.optimize(g, optimizer, this.params);
    const out = { g: Array.from(g) };
    for (const key of ["m_hat", "sqrt_v_hat", "scale", "step", "theta"]) out[key] = Array.from(trace[key]);
    return out;
  }

  /** Apply preset `name` (config.presets): the optimizer settings back to their defaults, then its own. */
  preset(name) {
    const preset = this.config.presets.find((p) => p.name === name);
    if (!preset) {
      const message = settings.rejection("preset", name, `one of ${this.config.presets.map((p) => p.name).join(", ")}`);
      this.view.showMessage([message]);
      return Promise.reject(new Error(message));
    }
    const reset = Object.fromEntries(this.config.presetResets.map((k) => [k, this.config.defaults[k]]));
    return this.set({ ...reset, ...preset.settings, iteration: 0 });
  }

  async set(changes = {}) {
    const { accepted, errors } = settings.validate(this.config.spec, changes, this.params);
    const tooLong = this.recordings.tooLong(accepted.iterations, this.params.view === "cards" ? this.activeScenarios() : []);
    if (!errors.length && tooLong) errors.push(tooLong);
    if (errors.length) {
      this.view.showMessage(errors);
      this.view.syncWidgets(this.params); // a control that asked for the refused value moves back
      throw new Error(errors.join("; "));
    }
    const since = performance.now();
    if (this.models.message.visible) this.view.showMessage([]); // an earlier complaint is answered
    if (this.apply(accepted)) {
      if (this.params.view === "population") await this.population.ready;
      await this.paints.painted(since, this.activeFigures());
    }
    return this.state();
  }

  play() {
    if (this.playing) return;
    if (this.iteration >= this.params.iterations - 1) this.iteration = 0;
    this.playing = true;
    if (this.onScreen) this.clock.start();
    this.view.showPlaying(true);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.clock.stop();
    this.phase = 0; // paused: the window rests on a whole iteration
    if (this.shownView !== "population") this.view.glide(this.frame());
    this.view.showPlaying(false);
    this.settled();
  }

  /** The explorer came into view or left it: playing, it stops drawing and resumes where it was. */
  setOnScreen(visible) {
    if (visible === this.onScreen) return;
    this.onScreen = visible;
    if (!this.playing) return;
    if (visible) this.clock.start();
    else this.clock.stop();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  step(n = 1) {
    if (typeof n !== "number" || !Number.isFinite(n)) {
      const message = settings.rejection("step", n, "a finite number of iterations (negative steps back)");
      this.view.showMessage([message]);
      throw new Error(message);
    }
    this.pause();
    this.goTo(this.iteration + Math.trunc(n));
    this.settled();
  }

  reset() {
    this.pause();
    this.goTo(0);
    this.settled();
  }

  /**
   * A served page's Export button: post the settings to the server (config.exportUrl), which answers
   * with the page as one self-contained file; save it, or show the server's message.
   */
  async exportFile() {
    if (!this.config.exportUrl) return;
    try {
      const response = await fetch(this.config.exportUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...this.params, iteration: this.iteration }),
      });
      if (!response.ok) throw new Error((await response.text()).slice(0, 500) || `export failed (${response.status})`);
      const link = globalThis.document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = "adamviz.html";
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (error) {
      this.view.showMessage([`Export: ${error.message}`]);
    }
  }

  /* ---- settings ---------------------------------------------------------------------- */

  /**
   * Take validated settings (and maybe an iteration); recompute what they change; redraw.
   * Returns whether anything changed (and so will be painted).
   */
  apply(accepted, { ghost = true } = {}) {
    const { iteration, ...params } = accepted;
    const next = { ...this.params, ...params };
    if (next.problem !== this.params.problem && !("start_x" in params) && !("start_y" in params)) {
      // a new problem starts from its own start point unless the same change sets one
      const start = this.config.valley.problems[next.problem].start;
      [next.start_x, next.start_y] = [start[0], start.length > 1 ? start[1] : next.start_y];
    }
    // the main optimizer is always drawn: comparing it with itself adds nothing
    next.compare = next.compare.filter((name) => name !== next.optimizer);
    const changed = Object.keys(next).filter((k) => changedValue(next[k], this.params[k]));
    const previousIterations = this.params.iterations;
    this.params = next;
    if (next.view === "population") return this.applyPopulation(changed, iteration, previousIterations);
    const active = this.activeScenarios();
    const fresh = !Object.keys(this.traces).length || !sameList(active, this.active);
    const moved = iteration !== undefined && iteration !== this.iteration;
    if (!changed.length && !fresh && !moved) return false; // nothing to draw: set() resolves at once
    if (fresh || LAYOUT_SETTINGS.some((k) => changed.includes(k))) {
      this.view.arrange(this.params);
      if (next.view === "valley") this.valley.arrange(this.params);
    }
    this.showView(next.view);
    this.active = active;
    if (fresh) this.view.assign(active, this.recordings);
    const streamChanged = fresh || STREAM_SETTINGS.some((k) => changed.includes(k));
    const closedLoop = next.view === "valley" || active.some((name) => Object.hasOwn(this.config.loops, name));
    const stepChanged = STEP_SETTINGS.some((k) => changed.includes(k)) || (closedLoop && LOOP_SETTINGS.some((k) => changed.includes(k)));
    if (streamChanged || stepChanged) {
      // the previous setting stays behind, faded; a new seed is a different stream: no ghost
      if (stepChanged && !fresh) this.ghosts = this.traces;
      if (changed.includes("seed")) this.ghosts = null;
      this.recompute(streamChanged);
    }
    if (!ghost) this.ghosts = null;
    return this.applied(iteration, previousIterations);
  }

  /**
   * apply() for the many-parameters view: its computation runs in slices (population.js) and draws
   * when done; until then the previous one stays on screen. The cards recompute when shown again.
   */
  applyPopulation(changed, iteration, previousIterations) {
    const moved = iteration !== undefined && iteration !== this.iteration;
    const entering = this.shownView !== "population";
    if (!changed.length && !moved && !entering) return false;
    if (entering || LAYOUT_SETTINGS.some((k) => changed.includes(k))) this.view.arrange(this.params);
    this.showView("population");
    this.traces = {};
    this.ghosts = null;
    this.population.update(this.params);
    return this.applied(iteration, previousIterations);
  }

  /** The end of an apply(): the iteration kept in range (or set), the widgets moved, a frame drawn. */
  applied(iteration, previousIterations) {
    if (previousIterations !== this.params.iterations || iteration !== undefined) {
      this.iteration = Math.min(iteration ?? this.iteration, this.params.iterations - 1);
    }
    this.view.syncWidgets(this.params);
    this.view.showPlaying(this.playing);
    this.draw(true);
    this.report();
    return true;
  }

  /** A many-parameters computation finished: draw it. */
  populationReady() {
    if (this.params.view !== "population") return;
    this.iteration = Math.min(this.iteration, this.params.iterations - 1);
    this.draw(true);
  }

  /** Show the cards, the many-parameters view or the closed-loop view (whose coordinates are cards). */
  showView(view) {
    const { root, grid, population, valley } = this.models;
    const show = (model, visible) => {
      if (model.visible !== visible) model.visible = visible;
    };
    show(grid, this.cardsShown(view)); // also when a lecture starts or ends in the same view
    if (this.shownView === view) return;
    this.shownView = view;
    // the two views are built only when first shown: their views would cost every page load
    const join = (model, figures, offset) => {
      if (root.children.includes(model.layout)) return;
      const at = root.children.indexOf(grid) + offset;
      root.children = [...root.children.slice(0, at), model.layout, ...root.children.slice(at)];
      this.paints.painted(performance.now(), figures).then(() => this.view.labelControls());
    };
    if (view === "population") join(population, population.figures, 1);
    if (view === "valley") join(valley, this.valley.figures(), 0);
    show(population.layout, view === "population");
    show(valley.layout, view === "valley");
  }

  /** Whether the cards show: in their own view, and under the closed-loop view (except in a lecture,
   * where the slide needs the room). */
  cardsShown(view = this.params.view) {
    return view === "cards" || (view === "valley" && !this.lecture.on);
  }

  /** The figures on screen (what a paint must reach before set() resolves). */
  activeFigures() {
    if (this.params.view === "population") return this.models.population.figures;
    if (this.params.view !== "valley") return this.view.activeFigures();
    return [...(this.cardsShown() ? this.view.activeFigures() : []), ...this.valley.figures()];
  }

  /** 10^k, exactly as Python's 10.0 ** k, for the gradient scale. */
  gradientScale(k) {
    return POWERS_OF_TEN[k];
  }

  /** The scenarios on screen: config.scenarios, or in lecture mode the slide's one. */
  activeScenarios() {
    if (this.params.view === "valley") return this.valley.coordinates(this.params).slice();
    return this.lecture && this.lecture.on ? [this.lecture.deck[this.lecture.slide].scenario] : this.scenarios.slice();
  }

  /** Scenario `name`'s stream under the current settings: stream(name, iterations, seed) × 10^grad_scale. */
  gradients(name) {
    const { iterations, seed, grad_scale: k } = this.params;
    const g = this.recordings.has(name) ? this.recordings.byName[name].g.slice(0, iterations) : engine.stream(name, iterations, seed, this.config.shapes[name]);
    return k === 0 ? g : g.map((x) => x * this.gradientScale(k));
  }

  recompute(newStreams) {
    if (newStreams) this.x = Float64Array.from({ length: this.params.iterations }, (_, i) => i);
    const { optimizer, compare } = this.params;
    this.traces = {};
    this.compared = {};
    if (this.params.view === "valley") {
      // one closed loop per optimizer; each coordinate is a card, its gradients the main loop's
      const runs = this.valley.compute(this.params);
      this.streams = {};
      this.valley.coordinates(this.params).forEach((name, k) => {
        this.streams[name] = runs[optimizer].traces[k].g;
        this.traces[name] = runs[optimizer].traces[k];
        this.compared[name] = Object.fromEntries(compare.map((other) => [other, runs[other].traces[k]]));
      });
      this.view.fitRanges(this.frame());
      return;
    }
    const isLoop = (name) => Object.hasOwn(this.config.loops, name);
    if (newStreams) this.streams = Object.fromEntries(this.active.filter((n) => !isLoop(n)).map((n) => [n, this.gradients(n)]));
    // each trace also carries its step in units of η, what the lower panel draws
    const run = (name, other) => {
      if (isLoop(name)) return this.loopRun(name, other);
      const trace = engine.optimize(this.streams[name], other, this.params);
      trace.per_lr = trace.step.map((step) => step / this.params.lr);
      return trace;
    };
    for (const name of this.active) {
      this.traces[name] = run(name, optimizer);
      this.compared[name] = Object.fromEntries(compare.map((other) => [other, run(name, other)]));
      if (isLoop(name)) this.streams[name] = this.traces[name].g; // the gradients the main loop met
    }
    this.view.fitRanges(this.frame());
  }

  /**
   * Show the page's own scenarios (k = 0) or page k of the loaded run's coordinates, with `changes`
   * (the run's settings, when it was just loaded); the cards' view comes forward.
   */
  async showCards(k, changes = {}) {
    const previous = this.scenarios;
    const names = this.pickCards(k);
    const length = this.recordings.shortest(names);
    const fit = this.params.iterations > length ? { iterations: length } : {};
    try {
      const shown = await this.set({ ...fit, ...changes, view: this.params.view === "valley" ? "cards" : this.params.view, iteration: 0 });
      if (this.params.view === "population" && this.population.result) {
        // the many-parameters view draws the shown group's recorded band: redraw it for the new group
        this.population.fitRanges();
        this.draw(true);
      }
      return shown;
    } catch (error) {
      this.scenarios = previous;
      throw error;
    }
  }

  /** Give the cards the page's own scenarios (k = 0) or page k of the loaded run; returns their names. */
  pickCards(k) {
    this.scenarios = (k === 0 ? this.config.scenarios : this.recordings.pages[k - 1].names).slice();
    const select = this.models.widgets.cards_show;
    if (select.value !== select.options[k]) select.value = select.options[k];
    return this.scenarios;
  }

  /** Save the view's data as CSV, or its figures as one PNG (downloads.js). */
  download(kind) {
    return save(this, kind);
  }

  /** A closed-loop card (config.loops: the bowl from its own start, no noise) stepped by `optimizer`. */
  loopRun(name, optimizer) {
    const { problem, start } = this.config.loops[name];
    return this.valley.run({ ...this.params, problem, start_x: start[0], noise: 0 }, optimizer).traces[0];
  }

  /** A widget moved. Sliders echo every value the explorer gives them: those echoes change nothing. */
  onWidget(name, value) {
    if (name === "iteration") {
      if (value !== this.iteration) this.step(value - this.iteration);
      return;
    }
    if (name === "compare") {
      const names = value.map((index) => this.config.spec.compare.options[index]);
      if (changedValue(names, this.params.compare)) this.set({ compare: names }).catch(() => {});
      return;
    }
    if (name === "cards_show") {
      const k = this.models.widgets.cards_show.options.indexOf(value);
      if (k >= 0) this.showCards(k).catch(() => {});
      return;
    }
    if (name === "window_mode") {
      const window = value === 0 ? this.config.defaults.window || 40 : 0;
      if (window !== this.params.window) this.set({ window }).catch(() => {});
      return;
    }
    const spec = this.config.spec[name];
    if (spec.kind === "choice" && typeof value === "number") value = spec.options[value]; // a button group's index
    if (spec.transform) {
      const current = settings.sliderPosition(spec, this.params[name]);
      if (Math.abs(current - value) <= 1e-9) return; // the slider shows the current value
      value = settings.sliderValue(spec, value);
    }
    if (value !== this.params[name]) this.set({ [name]: value }).catch(() => {});
  }

  /* ---- frames ------------------------------------------------------------------------ */

  goTo(iteration) {
    this.iteration = Math.max(0, Math.min(this.params.iterations - 1, iteration));
    this.draw(false);
  }

  /** The clock moved `steps` iterations on; returns whether to keep playing. */
  advance(steps, fraction = 0) {
    const last = this.params.iterations - 1;
    this.phase = this.params.smooth && this.iteration + steps < last ? fraction : 0;
    if (steps === 0) {
      this.view.glide(this.frame()); // between iterations: only the window moves
      return true;
    }
    this.goTo(Math.min(last, this.iteration + steps));
    if (this.iteration < last) return true;
    this.pause();
    return false;
  }

  /** Everything the view draws from. */
  frame() {
    const { params, iteration, x, streams, traces, compared, ghosts, active, phase, recordings } = this;
    return { params, iteration, x, streams, traces, compared, ghosts, active, phase, recordings };
  }

  draw(settingsChanged) {
    if (this.params.view === "population") {
      this.population.render(this.iteration, settingsChanged);
      this.view.showIteration(this.params, this.iteration);
    }
    else this.view.render(this.frame(), settingsChanged);
    if (this.params.view === "valley") this.valley.render(this.iteration, settingsChanged);
    this.paints.changed();
    showProse(this); // live numbers in the text around the explorer
  }

  /** Stopped on an iteration: tell screen readers, a server (if any) and the lecture URL. */
  settled() {
    if (this.params.view === "population") this.population.announce(this.iteration);
    else if (this.params.view === "valley") this.valley.announce(this.iteration);
    else this.view.announce(this.frame());
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
      trace: (name, optimizer) => this.trace(name, optimizer),
      population: () => this.population.snapshot(),
      path: (optimizer) => this.valley.path(optimizer),
      recorded: (name) => this.recordings.recorded(name),
      load: (file) => this.recordings.load(file),
      download: (kind) => this.download(kind),
      preset: (name) => this.preset(name),
      set: (changes) => this.set(changes),
      play: () => this.play(),
      pause: () => this.pause(),
      step: (n = 1) => this.step(n),
      reset: () => this.reset(),
      id: this.config.id,
    };
  }
}

/** The explorer a model (a widget's cb_obj) belongs to: the one built in the same Bokeh document. */
const instanceOf = (model) => instances().find((e) => bokeh.sameDocument(e.models.root, model));

/** Build an explorer on already-rendered Bokeh models and expose it as window.adamviz. */
function mount(models, config) {
  const existing = instances().find((e) => e.models.root === models.root);
  if (existing) return existing;
  // a snippet pasted twice brings the same id twice: the second copy gets an id of its own
  const taken = (id) => instances().some((e) => e.config.id === id);
  let id = config.id;
  for (let copy = 2; taken(id); copy++) id = `${config.id}-${copy}`;
  const explorer = new Explorer(models, { ...config, id });
  const search = globalThis.location ? globalThis.location.search : "";
  const query = new URLSearchParams(search);
  const lecture = Boolean(config.lecture || query.get("mode") === "lecture");
  let start = { ...config.initial };
  const messages = [];
  if (lecture) {
    const opening = explorer.lecture.opening(query);
    start = { ...start, ...opening.settings };
    messages.push(...opening.messages);
  }
  if (query.has("preset")) {
    const preset = config.presets.find((p) => p.name === query.get("preset"));
    if (preset) start = { ...start, ...preset.settings };
    else messages.push(`${settings.rejection("preset", query.get("preset"), `one of ${config.presets.map((p) => p.name).join(", ")}`)} — using none`);
  }
  try {
    const run = explorer.recordings.embedded();
    if (run && config.traceFirst) {
      explorer.pickCards(1);
      const { settings: replay, notes } = explorer.recordings.settingsOf(run);
      start = { ...replay, ...start };
      messages.push(...notes);
    }
  } catch (error) {
    messages.push(error.message);
  }
  const fromUrl = settings.fromQuery(config.spec, search, { ...config.defaults, ...start });
  const opening = { ...start, ...fromUrl.accepted };
  const tooLong = explorer.recordings.tooLong(opening.iterations ?? explorer.params.iterations, explorer.activeScenarios());
  if (tooLong) {
    // recorded cards have only so many steps: a longer history from the URL is cut to them
    opening.iterations = explorer.recordings.shortest(explorer.activeScenarios());
    messages.push(`${tooLong} — using ${opening.iterations}`);
  }
  explorer.apply(opening);
  explorer.recordings.watchDrops(bokeh.elementOf(models.root));
  explorer.view.showMessage([...messages, ...fromUrl.messages]);
  if (lecture) explorer.lecture.setOn(true);
  explorer.view.labelControls();
  explorer.paints.hook();
  bokeh.onVisibility(models.root, (visible) => explorer.setOnScreen(visible));
  instances().push(explorer);
  showProse(explorer); // its first frame was drawn before it was listed
  if (instances().length === 1) embedLite(); // lite snippets that came before it
  explorer.publicApi = explorer.api();
  globalThis.adamviz = Object.assign({}, instances()[0].publicApi, { instances: instances().map((e) => e.publicApi) });
  if (config.autoplay) explorer.play();
  explorer.report();
  return explorer;
}

// Every explorer's boot callback runs this bundle; the first copy on the page defines the shared
// entry points and listens to keys and prose clicks, once.
const page = shared();
if (!page.mount) {
  Object.assign(page, { mount, instanceOf, embedLite, bokeh });
  if (globalThis.document) {
    listenToKeys();
    listenToProse();
  }
}
