/* adamviz state: one explorer's settings, its iteration, and the histories computed from them.
 *
 * No DOM, no Bokeh (tests/test_state_node.py drives it in Node). Everything a view draws is a pure
 * function of (params, iteration, phase) over the arrays this module computes when a setting changes;
 * the only animation state is the iteration. Views read the public fields and never write them: they
 * ask for changes through update(), preset(), step(), play(), ... and hear about them through events.
 *
 * Events, each a {type, ...} object handed to every listener in the order they subscribed:
 *   layout   {view, arrange, assign}  the view shown, and whether the layout or the cards changed
 *   computed                          new histories (axes are fitted to the whole history)
 *   settings                          a change was applied (controls follow the settings)
 *   frame    {settingsChanged}        draw the current iteration
 *   glide                             only the smooth-scroll phase moved
 *   playing                           play or pause
 *   report                            the settings or the paused iteration changed (URL, a server)
 *   settled                           stopped on an iteration (screen readers)
 *   message  {messages}               something to tell the reader ([] clears it)
 *   refused                           a change was refused: controls move back
 */
import { PROBLEMS, SETTINGS, STREAM_SHAPES } from "./contract.js";
import { ClosedLoops } from "./closed_loops.js";
import * as engine from "./engine/index.js";
import { ManyParameters } from "./many_parameters.js";
import { recomputing, rejection, sameValue, validate } from "./settings.js";

const GRADIENT_SETTINGS = recomputing(SETTINGS, "gradients");
const OPTIMIZER_SETTINGS = recomputing(SETTINGS, "optimizer");
const LOOP_SETTINGS = recomputing(SETTINGS, "loop");
const LAYOUT_SETTINGS = recomputing(SETTINGS, "layout");
const TRACE_KEYS = ["m_hat", "sqrt_v_hat", "scale", "step", "theta"];
// 10^k for the gradient scale, as literals (correctly rounded, like Python's 10.0 ** k); `**` may not be
const POWERS_OF_TEN = { "-6": 1e-6, "-5": 1e-5, "-4": 1e-4, "-3": 1e-3, "-2": 1e-2, "-1": 1e-1, 0: 1, 1: 1e1, 2: 1e2, 3: 1e3, 4: 1e4, 5: 1e5, 6: 1e6 };

/** 10^k, exactly as Python's 10.0 ** k, for the gradient scale. */
const scaleOf = (k) => POWERS_OF_TEN[k];

class ExplorerState {
  /**
   * `config`: the page's payload (defaults, scenarios, loops, presets); `recordings`: the loaded runs (recordings.js), whose coordinates can be scenarios.
   * @param {import('./contract.js').Config} config
   */
  constructor(config, recordings, bundleSource = null) {
    this.config = config;
    this.recordings = recordings;
    this.params = { ...config.defaults };
    this.iteration = 0;
    this.playing = false;
    this.phase = 0; // smooth scroll: how far the window has glided toward the next iteration, [0, 1)
    this.scenarios = config.scenarios.slice(); // the cards' scenarios: the page's, or a page of a run's
    this.cardsPage = 0; // 0: the page's scenarios; k: page k of the loaded run's coordinates
    this.slideScenario = null; // in a lecture, the slide's one scenario
    this.shown = null; // the view on screen once one was shown: "cards", "population" or "valley"
    this.x = new Float64Array(0);
    this.streams = {}; // scenario -> its gradients
    this.traces = {}; // scenario -> the main optimizer's trace
    this.compared = {}; // scenario -> {optimizer -> trace}
    this.ghosts = null; // the previous setting's traces, drawn faded
    this.rateShare = new Float64Array(0); // lr_t/η for t = 1..iterations (all 1 without a schedule)
    this.active = []; // the scenarios on screen
    this.loops = new ClosedLoops(PROBLEMS);
    this.loop = null; // the closed-loop view's {params, order, runs}
    this.many = new ManyParameters(OPTIMIZER_SETTINGS, scaleOf, () => this.manyDone(), bundleSource);
    this.listeners = [];
  }

  on(listener) {
    this.listeners.push(listener);
  }

  emit(type, detail = {}) {
    for (const listener of this.listeners) listener({ type, ...detail });
  }

  /** {iteration, playing, params, scenarios}: a copy. */
  snapshot() {
    return { iteration: this.iteration, playing: this.playing, params: { ...this.params }, scenarios: this.scenarios.slice() };
  }

  /* ---- settings ---------------------------------------------------------------------- */

  /** Check `changes` ({...settings, iteration}): {accepted, errors}. */
  check(changes, scenarios = this.params.view === "cards" ? this.activeScenarios() : []) {
    const { accepted, errors } = validate(SETTINGS, changes, this.params);
    const tooLong = this.recordings.tooLong(accepted.iterations, scenarios);
    if (!errors.length && tooLong) errors.push(tooLong);
    return { accepted, errors };
  }

  /**
   * Apply `changes` if every one is valid, else change nothing and throw an Error naming each refused
   * value (also said as a message). Returns whether anything changed (and so will be drawn).
   * `ghost: false`: the previous setting's curves are not kept (a slide, a lecture switch).
   */
  update(changes = {}, { ghost = true } = {}) {
    const { accepted, errors } = this.check(changes);
    if (errors.length) this.refuse(errors);
    this.emit("message", { messages: [] }); // an earlier complaint is answered
    return this.apply(accepted, ghost);
  }

  /** Tell the reader something (a view's own message: a file that could not be read, ...). */
  tell(messages) {
    this.emit("message", { messages });
  }

  refuse(errors) {
    this.tell(errors);
    this.emit("refused");
    throw new Error(errors.join("; "));
  }

  /** Preset `name` of config.presets: {preset}, or {error} naming the presets there are. */
  findPreset(name) {
    const preset = this.config.presets.find((p) => p.name === name);
    return preset ? { preset } : { error: rejection("preset", name, `one of ${this.config.presets.map((p) => p.name).join(", ")}`) };
  }

  /** Preset `name` (config.presets): the settings presets reset back to their defaults, then its own. */
  preset(name) {
    const { preset, error } = this.findPreset(name);
    if (error) this.refuse([error]);
    const reset = Object.fromEntries(Object.keys(SETTINGS).filter((k) => SETTINGS[k].preset === "reset").map((k) => [k, this.config.defaults[k]]));
    return this.update({ ...reset, ...preset.settings, iteration: 0 });
  }

  /** Give the cards the page's scenarios (k = 0) or page k of the loaded run's coordinates (applied
   * with the next change; showCards applies it at once). */
  pickCards(k) {
    this.scenarios = (k === 0 ? this.config.scenarios : this.recordings.pages[k - 1].names).slice();
    this.cardsPage = k;
  }

  /** Show the page's scenarios (k = 0) or page k of the loaded run's coordinates, with `changes`. */
  showCards(k, changes = {}) {
    const [scenarios, cardsPage] = [this.scenarios, this.cardsPage];
    this.pickCards(k);
    const length = this.recordings.shortest(this.scenarios);
    const fit = this.params.iterations > length ? { iterations: length } : {};
    try {
      // paging keeps the iteration (within the new cards' length): the plots never fall back to empty
      const last = (changes.iterations ?? fit.iterations ?? this.params.iterations) - 1;
      // the many-parameters view draws the shown group's band; the others give way to the cards
      const view = changes.view ?? (this.params.view === "population" ? "population" : "cards");
      const changed = this.update({ ...fit, ...changes, view, iteration: Math.min(this.iteration, last) });
      if (changed || this.params.view !== "population") return changed;
      this.emit("computed"); // the many-parameters view draws the shown group's recorded band
      this.emit("frame", { settingsChanged: true });
      return true;
    } catch (error) {
      [this.scenarios, this.cardsPage] = [scenarios, cardsPage];
      throw error;
    }
  }

  /** The loaded run was replaced by a newer copy (adamviz serve --follow): compute the cards again from
   * it, on the same page of coordinates, with `changes`; the view, the iteration and the rest stay. */
  reload(changes = {}) {
    this.traces = {}; // (everything is computed afresh: a run's records may have been thinned)
    const page = this.cardsPage;
    const changed = this.showCards(Math.min(page, this.recordings.pages.length), { view: this.params.view, ...changes });
    if (!changed) this.emit("frame", { settingsChanged: true }); // (the Layers view draws the new run)
    return changed;
  }

  /** A lecture shows one slide's scenario with `changes` (and, with null, the page's scenarios again). */
  present(scenario, changes = {}) {
    this.slideScenario = scenario;
    const { accepted, errors } = this.check(changes);
    if (errors.length) this.refuse(errors);
    this.apply(accepted, false);
    this.emit("layout", { view: this.params.view, arrange: true, assign: false }); // the presenter's layout
  }

  /** Take validated settings (and maybe an iteration); recompute what they change; tell the views. */
  apply(accepted, ghost = true) {
    const { iteration, ...params } = accepted;
    const next = { ...this.params, ...params };
    if (next.problem !== this.params.problem && !("start_x" in params) && !("start_y" in params)) {
      Object.assign(next, this.loops.startOf(next.problem)); // a new problem starts from its own start
    }
    next.compare = next.compare.filter((name) => name !== next.optimizer); // the main one is always drawn
    const changed = Object.keys(next).filter((k) => !sameValue(next[k], this.params[k]));
    const previousIterations = this.params.iterations;
    this.params = next;
    const active = next.view === "population" ? [] : this.activeScenarios();
    const entering = this.shown !== next.view;
    const fresh = next.view !== "population" && (!Object.keys(this.traces).length || !sameValue(active, this.active));
    const moved = iteration !== undefined && iteration !== this.iteration;
    if (!changed.length && !fresh && !moved && !entering) return false; // nothing to draw
    const arrange = fresh || entering || LAYOUT_SETTINGS.some((k) => changed.includes(k));
    this.shown = next.view;
    this.active = active;
    this.emit("layout", { view: next.view, arrange, assign: fresh });
    if (next.view === "population") this.computeMany();
    else {
      const newGradients = fresh || GRADIENT_SETTINGS.some((k) => changed.includes(k));
      const closedLoop = next.view === "valley" || active.some((name) => Object.hasOwn(this.config.loops, name));
      const stepped = OPTIMIZER_SETTINGS.some((k) => changed.includes(k)) || (closedLoop && LOOP_SETTINGS.some((k) => changed.includes(k)));
      // the previous setting stays behind, faded; a new seed is a different stream: no ghost
      if (stepped && !fresh && ghost) this.ghosts = this.traces;
      if (changed.includes("seed") || !ghost) this.ghosts = null;
      if (newGradients || stepped) this.recompute(newGradients);
    }
    if (previousIterations !== next.iterations || iteration !== undefined) {
      this.iteration = Math.min(iteration ?? this.iteration, next.iterations - 1);
    }
    this.emit("settings");
    this.emit("frame", { settingsChanged: true });
    this.emit("report");
    return true;
  }

  /** The scenarios on screen: the closed loop's coordinates, a lecture slide's one, or the cards'. */
  activeScenarios() {
    if (this.params.view === "valley") return this.loops.coordinates(this.params).slice();
    return this.slideScenario !== null ? [this.slideScenario] : this.scenarios.slice();
  }

  /* ---- what is drawn ----------------------------------------------------------------- */

  /** Scenario `name`'s stream under the current settings: stream(name, iterations, seed) × 10^grad_scale. */
  gradients(name) {
    const { iterations, seed, grad_scale: k } = this.params;
    const g = this.recordings.has(name) ? this.recordings.byName[name].g.slice(0, iterations) : engine.stream(name, iterations, seed, STREAM_SHAPES[name]);
    return k === 0 ? g : g.map((x) => x * scaleOf(k));
  }

  /** lr_t/η for scenario `name`'s steps: a recorded run's own schedule (recordings.rateShare), else the
   * schedule setting's. */
  rateShareOf(name) {
    return this.recordings.rateShare(name, this.params.iterations) || this.rateShare;
  }

  /** The optimizer settings that step scenario `name`: the controls', with a recorded run's lr_t (its
   * schedule, scaled by η) in place of the schedule setting where it recorded one. */
  stepSettings(name) {
    const recorded = this.recordings.rateShare(name, this.params.iterations);
    return recorded ? { ...this.params, rates: recorded.map((share) => this.params.lr * share) } : this.params;
  }

  /** A closed-loop card (config.loops: the bowl from its own start, no noise) stepped by `optimizer`. */
  loopRun(name, optimizer) {
    const { problem, start } = this.config.loops[name];
    return this.loops.run({ ...this.params, problem, start_x: start[0], noise: 0 }, optimizer).traces[0];
  }

  recompute(newGradients) {
    if (newGradients) this.x = Float64Array.from({ length: this.params.iterations }, (_, i) => i);
    const { optimizer, compare } = this.params;
    // lr_t/η per step, what the cards draw beside step/η under a schedule
    this.rateShare = engine.learningRates({ ...this.params, lr: 1 }, this.params.iterations);
    this.traces = {};
    this.compared = {};
    if (this.params.view === "valley") {
      // one closed loop per optimizer; each coordinate is a card, its gradients the main loop's
      this.loop = this.loops.compute(this.params);
      const { runs } = this.loop;
      this.streams = {};
      this.active.forEach((name, k) => {
        this.streams[name] = runs[optimizer].traces[k].g;
        this.traces[name] = runs[optimizer].traces[k];
        this.compared[name] = Object.fromEntries(compare.map((other) => [other, runs[other].traces[k]]));
      });
      this.emit("computed");
      return;
    }
    const isLoop = (name) => Object.hasOwn(this.config.loops, name);
    if (newGradients) this.streams = Object.fromEntries(this.active.filter((n) => !isLoop(n)).map((n) => [n, this.gradients(n)]));
    // each trace also carries its step in units of η, what the lower panel draws
    const run = (name, other) => {
      if (isLoop(name)) return this.loopRun(name, other);
      if (this.recordings.sparse(name)) return this.recordings.asTrace(name, this.params.iterations); // not replayable
      const trace = engine.optimize(this.streams[name], other, this.stepSettings(name));
      return { ...trace, per_lr: trace.step.map((step) => step / this.params.lr) };
    };
    for (const name of this.active) {
      this.traces[name] = run(name, optimizer);
      this.compared[name] = this.recordings.sparse(name) ? {} : Object.fromEntries(compare.map((other) => [other, run(name, other)]));
      if (isLoop(name)) this.streams[name] = this.traces[name].g; // the gradients the main loop met
    }
    this.emit("computed");
  }

  /** The many-parameters view: recompute in slices (the previous result stays drawn until then). */
  computeMany() {
    this.traces = {};
    this.ghosts = null;
    if (!this.many.update(this.params)) return this.emit("computed"); // same numbers: axes may move
    this.many.ready = this.many.ready.catch((error) => this.emit("message", { messages: [`Many parameters: ${error.message}`] }));
  }

  /** A many-parameters computation finished: draw it. */
  manyDone() {
    if (this.params.view !== "population") return;
    this.iteration = Math.min(this.iteration, this.params.iterations - 1);
    this.emit("computed");
    this.emit("frame", { settingsChanged: true });
  }

  /** The browser API's population() for the current settings (computed now if need be): the
   * parameters and the main optimizer's r_t percentiles. */
  population() {
    if (!this.many.current(this.params)) {
      this.many.computeNow(this.params);
      if (this.params.view === "population") this.emit("computed");
    }
    return this.many.snapshot(this.params);
  }

  /** The closed loop's path for `optimizer` under the current settings (state.loop while it shows). */
  path(optimizer = this.params.optimizer) {
    return this.loops.path(this.params, optimizer, this.params.view === "valley" ? this.loop : null);
  }

  /** Full arrays {g, m_hat, sqrt_v_hat, scale, step, theta} for scenario `name` and `optimizer`. */
  trace(name, optimizer = this.params.optimizer) {
    const shown = Object.hasOwn(this.traces, name); // a stream, the bowl, or a closed-loop coordinate
    const names = [...Object.keys(STREAM_SHAPES), ...Object.keys(this.config.loops), ...Object.keys(this.recordings.byName)];
    if (!shown && !names.includes(name)) throw new Error(`no scenario ${JSON.stringify(name)}; have ${[...new Set([...names, ...Object.keys(this.traces)])].join(", ")}`);
    if (!engine.OPTIMIZERS.includes(optimizer)) throw new Error(rejection("optimizer", optimizer, `one of ${engine.OPTIMIZERS.join(", ")}`));
    let known = optimizer === this.params.optimizer ? this.traces[name] : (this.compared[name] || {})[optimizer];
    if (!known && this.params.view === "valley" && shown) {
      known = this.loops.run(this.params, optimizer).traces[this.active.indexOf(name)];
    } else if (!known && Object.hasOwn(this.config.loops, name)) {
      known = this.loopRun(name, optimizer);
    }
    const g = known && known.g ? known.g : Object.hasOwn(this.streams, name) ? this.streams[name] : this.gradients(name);
    // (a run recorded every k-th step is not replayable: what it recorded, whichever optimizer)
    const sparse = () => (this.recordings.sparse(name) ? this.recordings.asTrace(name, this.params.iterations) : null);
    const trace = known || sparse() || engine.optimize(g, optimizer, this.stepSettings(name));
    const out = { g: Array.from(g) };
    for (const key of TRACE_KEYS) out[key] = Array.from(trace[key]);
    return out;
  }

  /* ---- transport --------------------------------------------------------------------- */

  play() {
    if (this.playing) return;
    if (this.iteration >= this.params.iterations - 1) this.iteration = 0;
    this.playing = true;
    this.emit("playing");
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.phase = 0; // paused: the window rests on a whole iteration
    this.emit("playing");
    this.emit("glide");
    this.settled();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  /** Move `n` iterations (negative: back), paused. */
  step(n = 1) {
    if (typeof n !== "number" || !Number.isFinite(n)) this.refuse([rejection("step", n, "a finite number of iterations (negative steps back)")]);
    this.pause();
    this.goTo(this.iteration + Math.trunc(n));
    this.settled();
  }

  reset() {
    this.pause();
    this.goTo(0);
    this.settled();
  }

  goTo(iteration) {
    this.iteration = Math.max(0, Math.min(this.params.iterations - 1, iteration));
    this.emit("frame", { settingsChanged: false });
  }

  /** The clock moved `steps` iterations on (`fraction` toward the next); returns whether to keep playing. */
  advance(steps, fraction = 0) {
    const last = this.params.iterations - 1;
    this.phase = this.params.smooth && this.iteration + steps < last ? fraction : 0;
    if (steps === 0) {
      this.emit("glide"); // between iterations: only the window moves
      return true;
    }
    this.goTo(Math.min(last, this.iteration + steps));
    if (this.iteration < last) return true;
    this.pause();
    return false;
  }

  /** Whether the clock should call advance() on every display frame (smooth scroll). */
  gliding() {
    return this.params.smooth && this.params.view !== "population" && this.params.window > 0;
  }

  /** Stopped on an iteration: screen readers hear it, the URL and a server learn it. */
  settled() {
    this.emit("settled");
    this.emit("report");
  }

  /** Scenario `name`'s value of `key` (g, m_hat, sqrt_v_hat, scale, step, theta) at the iteration
   * shown, or a setting's value; undefined when there is none. */
  valueAt(key, name) {
    if (key === "iteration") return this.iteration;
    if (Object.hasOwn(this.params, key)) return this.params[key];
    const scenario = name && Object.hasOwn(this.traces, name) ? name : this.active[0];
    const trace = this.traces[scenario];
    if (!trace || !["g", ...TRACE_KEYS].includes(key)) return undefined;
    return key === "g" ? this.streams[scenario][this.iteration] : trace[key][this.iteration];
  }

  /** Everything the cards draw from. */
  frame() {
    const { params, iteration, x, streams, traces, compared, ghosts, active, phase, recordings } = this;
    return { params, iteration, x, streams, traces, compared, ghosts, active, phase, recordings, rateShareOf: (name) => this.rateShareOf(name) };
  }
}

export { ExplorerState, scaleOf };
