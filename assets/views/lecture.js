/* adamviz lecture mode and keyboard: a deck of slides, one scenario at a time, driven by keys.
 *
 * `?mode=lecture` (or a lecture export / `adamviz serve --lecture`) switches an explorer into presenter
 * layout. Every slide change, step and setting change is written to the URL (slide, iteration,
 * settings, seed), so a bookmark restores exactly what the hall saw. A Lecture works through the
 * state's public methods (present, update, step, ...) and hears its events; it patches nothing.
 */
import { eventWithin, writeSlot } from "../bokeh_internals.js";
import { KEYS, SETTINGS } from "../contract.js";
import { escapeHtml } from "../format.js";
import { instances } from "../registry.js";
import { toQuery } from "../settings.js";
import { replaceAddress } from "./address.js";

const SLIDE_KEYS = ["PageDown", "PageUp", "n", "N", "p", "P", "c", "C"];
// the settings a slide shows a control for when it names them: what the hall may want to move (the
// optimizers, view, problem and run length a slide sets are its scene, not a control)
const SLIDE_CONTROLS = ["lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "schedule", "warmup", "min_lr", "switch_at", "switch_lr", "grad_scale", "bias_correction"];
const LECTURE_TEXT = "22px"; // the least a projector's back row reads: every text on a slide
const RESIZE_QUIET_MS = 150;

/** The element a key went to, inside shadow roots too. */
const targetOf = (event) => (event.composedPath ? event.composedPath()[0] : event.target);

/** Keys must never fire while the user types into a field (seed box, a host page's form). */
function typingInto(event) {
  const target = targetOf(event);
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
  return tag === "input" && !["checkbox", "radio", "button", "range", "submit"].includes((target.type || "").toLowerCase());
}

const SLIDER_KEYS = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"];
const PRESS_KEYS = [" ", "Enter"];

/** A focused control keeps the keys it acts on: a slider's handle its arrows, Home/End and
 * PageUp/PageDown (else ← would move β₂ and the iteration at once); a button or checkbox its Space. */
function keptByControl(event) {
  const target = targetOf(event);
  if (!target || !target.getAttribute) return false;
  const role = target.getAttribute("role");
  const tag = (target.tagName || "").toLowerCase();
  if (role === "slider" || (tag === "input" && target.type === "range")) return SLIDER_KEYS.includes(event.key);
  if (tag === "button" || tag === "input" || tag === "label" || role === "button") return PRESS_KEYS.includes(event.key);
  return false;
}

class Lecture {
  /** `equalBetas()`: the many-parameters view's β₁ = β₂ toggle (the E key). */
  constructor(models, config, state, equalBetas) {
    Object.assign(this, { models, config, state, equalBetas });
    this.on = false;
    this.slide = 0;
    this.helpOpen = false;
    this.allControls = false; // C shows every control on a slide
    this.resizing = null;
  }

  get deck() {
    return this.config.deck;
  }

  /** One state event: in a lecture the URL follows the state (while paused). */
  listen(event) {
    if (event.type === "report" && !this.state.playing) this.writeUrl();
  }

  /** Where a lecture URL starts: its slide's settings, then explicit parameters on top (explorer.js). */
  opening(query) {
    const slideNumber = Number(query.get("slide") || "1");
    const valid = Number.isInteger(slideNumber) && slideNumber >= 1 && slideNumber <= this.deck.length;
    this.slide = valid ? slideNumber - 1 : 0;
    const messages =
      valid || !query.has("slide") ? [] : [`slide must be an integer in [1, ${this.deck.length}]; got ${JSON.stringify(query.get("slide"))} — using 1`];
    const slide = this.deck[this.slide];
    // a lecture glides between iterations unless its URL says otherwise (explicit parameters win later)
    return { settings: { smooth: true, ...slide.settings, iteration: slide.iteration || 0 }, messages };
  }

  /** Switch presenter layout on or off; in lecture mode only the slide's scenario is shown. */
  setOn(on) {
    this.on = on;
    const root = this.models.root;
    const classes = root.css_classes.filter((c) => c !== "av-lecture");
    root.css_classes = on ? [...classes, "av-lecture"] : classes;
    this.models.lecture_bar.visible = on;
    for (const button of this.models.slide_buttons) button.visible = on;
    // every text the canvases paint (ticks, axis labels, titles, labels, colour bars): the slide's size
    for (const [sizes, models] of this.models.canvas_texts) {
      const wanted = Object.fromEntries(Object.entries(sizes).map(([key, size]) => [key, on ? LECTURE_TEXT : size]));
      for (const model of models) model.setv(wanted);
    }
    if (on && !this.resizing && globalThis.addEventListener) {
      // the plots take a share of the window: lay the slide out again when it changes (full screen, F)
      let timer = null;
      this.resizing = () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.on && this.state.present(this.state.slideScenario), RESIZE_QUIET_MS);
      };
      globalThis.addEventListener("resize", this.resizing);
    }
    if (on) this.showSlide(this.slide, { keepState: true });
    else this.state.present(null); // back to the page's scenarios
  }

  /** The controls the slide names (its `controls`, else its settings' widgets), or null: outside a
   * lecture, or after C. */
  picks() {
    if (!this.on || this.allControls) return null;
    const slide = this.deck[this.slide];
    return (slide.controls || Object.keys(slide.settings)).filter((name) => SLIDE_CONTROLS.includes(name));
  }

  /** C: every control on the slide, or only those it names. */
  toggleControls() {
    this.allControls = !this.allControls;
    this.state.present(this.state.slideScenario); // lays the slide out again
  }

  /** Go to slide `index`: its scenario, its settings on top of the defaults, its first iteration. */
  showSlide(index, { keepState = false } = {}) {
    const state = this.state;
    this.slide = Math.max(0, Math.min(this.deck.length - 1, index));
    const slide = this.deck[this.slide];
    if (keepState) state.present(slide.scenario); // the state came from the URL
    else {
      state.pause();
      const keep = { smooth: state.params.smooth }; // the presenter's choice holds across slides
      state.present(slide.scenario, { ...this.config.defaults, ...keep, ...slide.settings, iteration: slide.iteration || 0 });
    }
    const sentences = slide.text.map((s) => `<p>${escapeHtml(s)}</p>`).join("");
    writeSlot(
      this.models.deck,
      `<section class="av-slide" aria-label="slide ${this.slide + 1} of ${this.deck.length}">` +
        `<div class="av-slide-count">Slide ${this.slide + 1} / ${this.deck.length} · press ? for keys</div>` +
        `<h2>${escapeHtml(slide.title)}</h2>${sentences}</section>`
    );
    this.writeUrl();
  }

  next(by) {
    this.showSlide(this.slide + by);
  }

  /** Lecture mode keeps the whole state in the address bar (never outside lecture mode). */
  writeUrl() {
    if (!this.on || !globalThis.history || !globalThis.location) return;
    const extra = { mode: "lecture", slide: this.slide + 1, iteration: this.state.iteration };
    replaceAddress(toQuery(SETTINGS, this.state.params, globalThis.location.search, extra));
  }

  toggleHelp(show) {
    this.helpOpen = show === undefined ? !this.helpOpen : show;
    const rows = KEYS.map(([key, what]) => `<tr><th scope="row"><kbd>${escapeHtml(key)}</kbd></th><td>${escapeHtml(what)}</td></tr>`).join("");
    writeSlot(
      this.models.help,
      this.helpOpen
        ? `<div class="av-help" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts"><h2>Keys</h2><table>${rows}</table>` +
            "<p>Keys are ignored while a text field has focus.</p></div>"
        : ""
    );
  }

  /** One key press; returns true when it was ours. */
  onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInto(event) || keptByControl(event)) return false;
    if (!this.on && SLIDE_KEYS.includes(event.key)) return false;
    const state = this.state;
    const big = event.shiftKey ? 10 : 1;
    const flipCorrection = () => state.update({ bias_correction: !state.params.bias_correction });
    const actions = {
      " ": () => state.toggle(),
      ArrowRight: () => state.step(big),
      ArrowLeft: () => state.step(-big),
      Home: () => state.step(-state.iteration),
      End: () => state.step(state.params.iterations - 1 - state.iteration),
      PageDown: () => this.next(1),
      PageUp: () => this.next(-1),
      n: () => this.next(1),
      N: () => this.next(1),
      p: () => this.next(-1),
      P: () => this.next(-1),
      r: () => state.reset(),
      R: () => state.reset(),
      e: () => this.equalBetas(),
      E: () => this.equalBetas(),
      b: flipCorrection,
      B: flipCorrection,
      f: fullscreen,
      F: fullscreen,
      c: () => this.toggleControls(),
      C: () => this.toggleControls(),
      "?": () => this.toggleHelp(),
      Escape: () => this.toggleHelp(false),
    };
    for (const preset of this.config.presets) actions[preset.key] = () => state.preset(preset.name);
    const action = actions[event.key];
    if (!action) return false;
    try {
      action();
    } catch {
      /* refused: the state said why */
    }
    return true;
  }
}

function fullscreen() {
  const element = globalThis.document.documentElement;
  if (globalThis.document.fullscreenElement) globalThis.document.exitFullscreen();
  else if (element.requestFullscreen) element.requestFullscreen().catch(() => {});
}

/** The explorer a key belongs to: the one holding focus, else the page's lecture explorer. */
function target(event) {
  const explorers = instances();
  return explorers.find((e) => eventWithin(e.models.root, event)) || explorers.find((e) => e.lecture.on);
}

/** Listen to the page's keys (once per page: every explorer's keys go through one listener). */
function listenToKeys() {
  globalThis.document.addEventListener("keydown", (event) => {
    const explorer = target(event);
    if (explorer && explorer.lecture.onKey(event)) event.preventDefault();
  });
}

export { Lecture, listenToKeys };
