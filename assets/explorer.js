/* adamviz explorer: wiring only — builds one explorer's state and views on its Bokeh models, connects
 * them, and exposes window.adamviz. The bundle's entry (tests/build_bundle.py).
 *
 * Who may call whom (a call goes down this list, never up; news goes up as the state's events):
 *   explorer.js   wiring: makes the parts below and subscribes the views to the state
 *   views/        cards · population · valley · layers · controls · lecture · prose · loading · downloads ·
 *                 clip · address · theme: read the state, draw, ask it for changes through its public methods
 *   transport.js  the clock and the paint tracker
 *   state.js      settings, validation, apply, recompute; events (no DOM, no Bokeh)
 *   opening.js · closed_loops.js · many_parameters.js · population_workers.js · recordings.js · layer_table.js · trace_files.js · settings.js
 *   engine/       the numbers, bit for bit with adamviz.sim (no DOM)
 *   contract.js (Python's tables, generated) · format.js · registry.js · bokeh_internals.js (every BokehJS private name, listed and tested)
 *
 * Public API (window.adamviz, and window.adamviz.instances[k] when a page holds several): docs/browser.md.
 */
import * as bokeh from "./bokeh_internals.js";
import { embedLite } from "./embeds.js";
import { openExplorer } from "./opening.js";
import { Recordings } from "./recordings.js";
import { instances, shared } from "./registry.js";
import { ExplorerState } from "./state.js";
import { read as readTrace } from "./trace_files.js";
import { Clock, PaintTracker } from "./transport.js";
import { Address } from "./views/address.js";
import { ClipRecorder } from "./views/clip.js";
import { CardsView } from "./views/cards.js";
import { Controls } from "./views/controls.js";
import { exportPage, save } from "./views/downloads.js";
import { LayersView } from "./views/layers.js";
import { Lecture, listenToKeys } from "./views/lecture.js";
import { PageLayout } from "./views/layout.js";
import { Loading } from "./views/loading.js";
import { PopulationView } from "./views/population.js";
import { listenToProse, show as showProse } from "./views/prose.js";
import { Theme } from "./views/theme.js";
import { ValleyView } from "./views/valley.js";

/** A call that the state may refuse: it has said why, and the controls moved back. */
const quietly = (call) => {
  try {
    return call();
  } catch {
    return undefined;
  }
};

class Explorer {
  constructor(models, config) {
    this.models = models;
    this.config = config;
    this.onScreen = true; // off screen (scrolled away, hidden tab) the clock stops: no frames, no work
    const state = (this.state = new ExplorerState(config, new Recordings(config, models.cards.length), () => bokeh.bundleSource(models.root)));
    this.paints = new PaintTracker(models.figures, () => this.layout.activeFigures());
    this.clock = new Clock(() => state.params.speed, (steps, fraction) => state.advance(steps, fraction), () => state.gliding(), () => this.paints.queueFlush());
    const actions = { showCards: (k) => this.showCards(k).catch(() => {}), defaultWindow: config.defaults.window || 40, slidePicks: () => this.lecture.picks() };
    this.controls = new Controls(models, config, state, actions);
    this.cards = new CardsView(models, config, state);
    this.population = new PopulationView(models, config, state);
    this.valley = new ValleyView(models, config, state);
    this.layers = new LayersView(models, config, state, (k, changes) => this.showCards(k, changes));
    this.lecture = new Lecture(models, config, state, () => quietly(() => this.population.toggleEqualBetas()));
    this.loading = new Loading(models, config, state, (k, changes) => this.showCards(k, changes));
    this.layout = new PageLayout(models, state, this);
    this.theme = new Theme(models, config.theme, config.ink, () => [this.population.redraw(), this.layers.redraw()].some(Boolean) && this.paints.changed());
    this.address = new Address(models, config, state, { lecture: this.lecture, loading: this.loading });
    this.clip = new ClipRecorder(this); // the ⏺ Record toggle and record()
    const parts = [this, this.controls, this.cards, this.population, this.valley, this.layers, this.lecture, this.address];
    state.on((event) => bokeh.batchLayout(models.root, () => parts.forEach((part) => part.listen(event)))); // one layout an event
  }

  /** The wiring's own part of each event: the view's layout, the clock, paints, prose, a server. */
  listen(event) {
    if (event.type === "layout") this.layout.show(event.view);
    else if (event.type === "playing") this.runClock();
    else if (event.type === "frame" || event.type === "glide") {
      this.paints.changed();
      if (event.type === "frame") showProse(this); // live numbers in the text around the explorer
    } else if (event.type === "report" && !this.state.playing) this.report();
  }

  runClock() {
    if (this.state.playing && this.onScreen) this.clock.start();
    else this.clock.stop();
  }

  /** The explorer came into view or left it: playing, it stops drawing and resumes where it was. */
  setOnScreen(visible) {
    this.onScreen = visible;
    this.runClock();
  }

  /** Resolves once `change()` (a state change) is on screen; rejects, changing nothing, when refused. */
  async shown(change) {
    const since = performance.now();
    if (change()) {
      if (this.state.params.view === "population") await this.state.many.ready;
      await this.paints.painted(since, this.layout.activeFigures());
    }
    return this.state.snapshot();
  }

  set(changes) {
    return this.shown(() => this.state.update(changes));
  }
  preset(name) {
    return this.shown(() => this.state.preset(name));
  }
  showCards(k, changes = {}) {
    return this.shown(() => this.state.showCards(k, changes));
  }

  /** The settings and the paused iteration, for a server's Export button (and the page's URL in a lecture). */
  report() {
    if (this.models.report) this.models.report.setv({ ...this.state.params, iteration: this.state.iteration, reported: true });
  }

  /* ---- what the page's buttons call (app/figures.py) ------------------------------------- */

  onWidget(name, value) {
    this.controls.onWidget(name, value);
  }
  toggle() {
    this.state.toggle();
  }
  step(n) {
    this.state.step(n);
  }
  reset() {
    this.state.reset();
  }
  download(kind) {
    return save(this, kind);
  }
  exportFile() {
    return exportPage(this.config.exportUrl, this.state);
  }

  api() {
    const state = this.state;
    return {
      state: () => state.snapshot(),
      trace: (name, optimizer) => state.trace(name, optimizer),
      population: () => state.population(),
      path: (optimizer) => state.path(optimizer),
      recorded: (name) => state.recordings.recorded(name),
      load: (file) => this.loading.load(file),
      download: (kind) => this.download(kind),
      preset: (name) => this.preset(name),
      set: (changes) => this.set(changes),
      play: () => state.play(),
      pause: () => state.pause(),
      step: (n = 1) => state.step(n),
      reset: () => state.reset(),
      link: () => this.address.link(),
      record: (options) => this.clip.record(options),
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
  let id = config.id; // a snippet pasted twice brings the same id twice: the second copy gets one of its own
  for (let copy = 2; instances().some((e) => e.config.id === id); copy++) id = `${config.id}-${copy}`;
  bokeh.skipCssLookupsIn(models.root); // before anything of this explorer is drawn
  bokeh.releasePaints(models.figures);
  return bokeh.batchLayout(models.root, () => build(models, { ...config, id })); // laid out once, at the end
}

function build(models, config) {
  const explorer = new Explorer(models, config);
  const { lecture, messages } = openExplorer(explorer, globalThis.location ? globalThis.location.search : "");
  explorer.theme.follow();
  explorer.loading.watchDrops(bokeh.elementOf(models.root));
  explorer.state.tell(messages);
  if (lecture) explorer.lecture.setOn(true);
  explorer.controls.labelControls();
  explorer.paints.hook();
  bokeh.onVisibility(models.root, (visible) => explorer.setOnScreen(visible));
  instances().push(explorer);
  showProse(explorer); // its first frame was drawn before it was listed
  if (instances().length === 1) embedLite(); // lite snippets that came before it
  explorer.publicApi = explorer.api();
  globalThis.adamviz = Object.assign({}, instances()[0].publicApi, { instances: instances().map((e) => e.publicApi) });
  if (config.autoplay) explorer.state.play();
  explorer.report();
  return explorer;
}

// Every explorer's boot callback runs this bundle; the first copy on the page defines the shared
// entry points and listens to keys and prose clicks, once.
const page = shared();
if (!page.mount) {
  Object.assign(page, { mount, instanceOf, embedLite, bokeh, traceFiles: { read: readTrace } });
  if (globalThis.document) [listenToKeys, listenToProse].forEach((listen) => listen());
}
