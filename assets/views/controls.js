/* adamviz controls: the explorer's widgets both ways — a widget moved asks the state for the change; a
 * change the state made moves the widgets. Also the message area and the controls the `controls`
 * setting shows.
 *
 * No echo reaches the state: Bokeh calls a widget's callback for every value set, the explorer's own
 * included, so each value written here is remembered per widget, and a callback bringing back exactly
 * that value is the echo of it and stops here.
 */
import { controlsOf, elementOf, hideButtons, viewsOf } from "../bokeh_internals.js";
import { PROBLEMS, SETTINGS } from "../contract.js";
import { escapeHtml } from "../format.js";
import { sameValue, sliderPosition, sliderValue, spokenValue } from "../settings.js";
import { joinPage } from "./layout.js";


class Controls {
  /** `models`: the explorer's models; `actions`: {showCards(k), defaultWindow, slidePicks()} from the
   * wiring (slidePicks: the controls a lecture slide names, or null when every control may show). */
  constructor(models, config, state, actions) {
    Object.assign(this, { models, config, state, actions });
    this.widgets = models.widgets;
    this.written = new Map(); // widget -> the value this view last gave it
    this.moreOpen = false; // "More settings": closed until asked
    // sliders with no view on the page yet (the closed loop's and many-parameters view's, until those
    // join it): finding a view walks every view of the page, so they are not looked for again on every
    // change, only once labelControls() runs (on opening, and once a view has joined and painted)
    this.unseen = new WeakSet();
  }

  /** One state event: the controls follow it. */
  listen(event) {
    if (event.type === "settings" || event.type === "refused") {
      this.follow(this.state.params);
      this.arrange(this.state.params); // a control shows only while it acts (μ: while momentum is drawn)
    } else if (event.type === "layout" && event.arrange) this.arrange(this.state.params);
    else if (event.type === "frame") this.showIteration();
    else if (event.type === "playing") this.showPlaying();
    else if (event.type === "message") this.showMessage(event.messages);
  }

  /** Give `widget` a value unless it holds it, and remember it (its callback will bring it back). */
  put(widget, attribute, value) {
    this.written.set(widget, value);
    if (!sameValue(widget[attribute], value)) widget[attribute] = value;
  }

  /** A widget moved (Python's callbacks call this with the setting's name and the widget's value). */
  onWidget(name, value) {
    const widget = this.widgets[name];
    if (this.written.has(widget) && sameValue(this.written.get(widget), value)) return; // our own value
    this.written.delete(widget);
    const ask = (changes) => this.state.update(changes);
    const quietly = (request) => {
      try {
        request();
      } catch {
        /* refused: the state said why, and the widget moved back */
      }
    };
    if (name === "iteration") return value === this.state.iteration || quietly(() => this.state.step(value - this.state.iteration));
    if (name === "cards_show") return this.actions.showCards(widget.options.indexOf(value));
    if (name === "window_mode") return quietly(() => ask({ window: value === 0 ? this.actions.defaultWindow : 0 }));
    const spec = SETTINGS[name];
    if (spec.kind === "choices") value = value.map((index) => spec.options[index]); // a button group's indices
    else if (spec.kind === "choice" && typeof value === "number") value = spec.options[value];
    else if (spec.transform) value = sliderValue(spec, value);
    quietly(() => ask({ [name]: value }));
  }

  /** Move every control to the settings (sliders through their transform). */
  follow(params) {
    const w = this.widgets;
    for (const [name, entry] of Object.entries(SETTINGS)) {
      const widget = w[name];
      if (!widget) continue;
      if (entry.kind === "bool") this.put(widget, "active", params[name]);
      else if (name === "compare") this.offerCompared(widget, params);
      else if (entry.kind === "choices") this.put(widget, "active", params[name].map((n) => entry.options.indexOf(n)));
      else if (entry.kind === "choice" && widget.labels !== undefined) this.put(widget, "active", entry.options.indexOf(params[name]));
      else if (entry.transform) this.put(widget, "value", sliderPosition(entry, params[name]));
      else this.put(widget, "value", typeof widget.value === "string" ? String(params[name]) : params[name]); // the seed box holds text
    }
    if (w.window_mode) this.put(w.window_mode, "active", params.window > 0 ? 0 : 1);
    for (const [name, entry] of Object.entries(SETTINGS)) {
      if (w[name] && entry.transform) this.speak(w[name], spokenValue(entry, params[name]));
    }
    if (w.speed) this.speak(w.speed, `${params.speed} iterations per second`);
    const cards = w.cards_show;
    if (cards && cards.options.length) this.put(cards, "value", cards.options[this.state.cardsPage]);
    this.showPlaying();
  }

  /** The compare buttons offer every optimizer but the main one (always drawn): its button is hidden
   * (relabelling the group would lay the whole page out again in the middle of a change). */
  offerCompared(widget, params) {
    const options = SETTINGS.compare.options;
    this.put(widget, "active", params.compare.map((name) => options.indexOf(name)));
    hideButtons(widget, [options.indexOf(params.optimizer)]);
  }

  /** The iteration slider (every view). */
  showIteration() {
    const slider = this.widgets.iteration;
    const end = this.state.params.iterations - 1;
    if (slider.end !== end) slider.end = end;
    this.put(slider, "value", this.state.iteration);
    if (!this.state.playing) this.speak(slider, `${this.state.iteration} of ${end}`);
  }

  /** Tell assistive technology a slider's value in words (noUiSlider would say its position). */
  speak(widget, text) {
    if (this.unseen.has(widget)) return;
    const handles = controlsOf(widget);
    if (handles.length === 0) this.unseen.add(widget);
    for (const handle of handles) if (handle.getAttribute("aria-valuetext") !== text) handle.setAttribute("aria-valuetext", text);
  }

  showPlaying() {
    const play = this.widgets.play;
    const label = this.state.playing ? "❚❚ Pause" : "▶ Play";
    if (play.label !== label) play.label = label;
  }

  showMessage(messages) {
    const div = this.models.message;
    if (!messages.length && !div.visible) return;
    div.text = messages.length ? `<div class="av-error" role="alert">${messages.map((e) => `<div>${escapeHtml(e)}</div>`).join("")}</div>` : "";
    div.visible = messages.length > 0;
  }

  /**
   * Show what the settings ask for: the `controls` (each name shows its widgets; a row shows while any
   * of its children does). In a lecture the slides choose the optimizers, the view, the population
   * and the problem, and a projector loads no files.
   */
  arrange({ controls }) {
    const show = (model, visible) => {
      if (model.visible !== visible) model.visible = visible;
    };
    const { groups, containers } = this.models.controls;
    const params = this.state.params;
    const drawn = [params.optimizer, ...params.compare];
    // what a control acts on: momentum μ only steps `momentum`; the window only the cards; the precision
    // only the cards view's streams; κ and the rotation only the valley; a start's y only a 2-D problem
    const valley = params.problem === "valley";
    const acts = { momentum: drawn.includes("momentum"), window: !["population", "layers"].includes(params.view), precision: params.view === "cards", condition: valley, rotated: valley, start_y: PROBLEMS[params.problem].coordinates.length === 2 };
    // a slide shows only the controls it names (and the transport); the rest are one key (C) away
    const picked = this.actions.slidePicks();
    const onSlide = (name) => picked === null || ["transport", "iteration"].includes(name) || picked.includes(name);
    for (const [name, models] of Object.entries(groups)) for (const model of models) show(model, controls.includes(name) && acts[name] !== false && onSlide(name));
    show(this.widgets.export, Boolean(this.config.exportUrl) && controls.includes("transport"));
    show(this.widgets.cards_show, this.widgets.cards_show.options.length > 1 && controls.includes("data"));
    const { more } = this.models.controls;
    // containers from the inside out, each shown while any of its children is; "More settings" shows
    // while it holds anything (not on a slide: there C shows the rest), so its toggle is decided just
    // before the first container that holds the toggle
    const toggle = this.widgets.more;
    let anything = null;
    for (const container of containers.filter((c) => c !== more)) {
      if (anything === null && container.children.includes(toggle)) {
        anything = more.children.some((child) => child.visible);
        show(toggle, anything && picked === null);
      }
      show(container, container.children.some((child) => child.visible));
    }
    const moreShown = (this.moreOpen || (picked !== null && picked.length > 0)) && Boolean(anything); // a slide's named controls show wherever they live
    if (moreShown) this.joinMore();
    show(more, moreShown);
    if (this.state.slideScenario !== null && picked !== null) {
      for (const model of [this.models.optimizers_row, this.models.data_row, this.widgets.view, this.models.population.controls, this.models.valley.controls]) show(model, false);
    }
  }

  /**
   * "More settings" joins the page, after the essentials, when first shown: until then its widgets
   * have no views (building them cost 15–18 ms of every opening). Once BokehJS has built them, they
   * get their accessible names and say their values.
   */
  joinMore() {
    const { more, essentials } = this.models.controls;
    if (!joinPage(this.models.root, more, essentials, 1)) return;
    const labelled = () => (elementOf(more) ? this.labelControls() : globalThis.requestAnimationFrame(labelled));
    globalThis.requestAnimationFrame(labelled);
  }

  /** Open or close "More settings" (its toggle's callback). */
  showMore(open) {
    this.moreOpen = open;
    this.arrange(this.state.params);
  }

  /** Give every control an accessible name (Bokeh's slider handles and checkbox have none). */
  labelControls() {
    const named = Object.entries(this.widgets);
    const views = viewsOf(named.map(([, widget]) => widget)); // (one walk; a widget without a view has no controls yet)
    // (views may have joined the page since; those still without one are not looked for while speaking)
    this.unseen = new WeakSet(named.filter((_, k) => !views[k]).map(([, widget]) => widget));
    for (const [k, [name, widget]] of named.entries()) {
      const label = (SETTINGS[name] || {}).label || (name === "iteration" ? this.config.iterationLabel : null);
      if (label && views[k]) for (const control of controlsOf(widget)) control.setAttribute("aria-label", label);
    }
    this.follow(this.state.params); // and their values in words
  }
}

export { Controls };
