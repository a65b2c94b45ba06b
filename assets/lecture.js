/* adamviz lecture mode and keyboard: a deck of slides, one scenario at a time, driven by keys.
 *
 * `?mode=lecture` (or a lecture export / `adamviz serve --lecture`) switches an explorer into presenter
 * layout. Every slide change, step and setting change is written to the URL (slide, iteration,
 * settings, seed), so a bookmark restores exactly what the hall saw. A Lecture works through the
 * explorer's public methods (step, toggle, set, apply, ...) and its `view`; it patches nothing.
 */
import { eventWithin, writeSlot } from "./bokeh_internals.js";
import { KEYS } from "./contract.js";
import { escapeHtml } from "./format.js";
import { instances } from "./registry.js";
import { toQuery } from "./settings.js";

const SLIDE_KEYS = ["PageDown", "PageUp", "n", "N", "p", "P"];

/** Keys must never fire while the user types into a field (seed box, a host page's form). */
function typingInto(event) {
  const target = event.composedPath ? event.composedPath()[0] : event.target;
  if (!target || !target.tagName) return false;
  const tag = target.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
  return tag === "input" && !["checkbox", "radio", "button", "range", "submit"].includes((target.type || "").toLowerCase());
}

class Lecture {
  constructor(explorer) {
    this.explorer = explorer;
    this.on = false;
    this.slide = 0;
    this.helpOpen = false;
  }

  get deck() {
    return this.explorer.config.deck;
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
    this.explorer.view.setLecture(on, this.explorer.params);
    this.explorer.showView(this.explorer.params.view); // the closed-loop view hides its cards in a lecture
    if (on) this.showSlide(this.slide, { keepState: true });
    else this.explorer.apply({}, { ghost: false }); // back to the page's scenarios
  }

  /** Go to slide `index`: its scenario, its settings on top of the defaults, its first iteration. */
  showSlide(index, { keepState = false } = {}) {
    const explorer = this.explorer;
    this.slide = Math.max(0, Math.min(this.deck.length - 1, index));
    const slide = this.deck[this.slide];
    explorer.view.setLecture(this.on, explorer.params);
    if (!keepState) {
      explorer.pause();
      explorer.ghosts = null;
      const keep = { smooth: explorer.params.smooth }; // the presenter's choice holds across slides
      explorer.apply({ ...explorer.config.defaults, ...keep, ...slide.settings, iteration: slide.iteration || 0 }, { ghost: false });
    } else {
      explorer.apply({}, { ghost: false }); // the slide's scenario may not have been computed yet
    }
    const sentences = slide.text.map((s) => `<p>${escapeHtml(s)}</p>`).join("");
    writeSlot(
      explorer.models.deck,
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
    const explorer = this.explorer;
    const extra = { mode: "lecture", slide: this.slide + 1, iteration: explorer.iteration };
    const query = toQuery(explorer.config.spec, explorer.params, globalThis.location.search, extra);
    try {
      globalThis.history.replaceState(null, "", `${globalThis.location.pathname}?${query}`);
    } catch {
      /* some embedding contexts forbid it; the state still works, it just is not bookmarkable */
    }
  }

  toggleHelp(show) {
    this.helpOpen = show === undefined ? !this.helpOpen : show;
    const rows = KEYS.map(([key, what]) => `<tr><th scope="row"><kbd>${escapeHtml(key)}</kbd></th><td>${escapeHtml(what)}</td></tr>`).join("");
    writeSlot(
      this.explorer.models.help,
      this.helpOpen
        ? `<div class="av-help" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts"><h2>Keys</h2><table>${rows}</table>` +
            "<p>Keys are ignored while a text field has focus.</p></div>"
        : ""
    );
  }

  /** One key press; returns true when it was ours. */
  onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInto(event)) return false;
    if (!this.on && SLIDE_KEYS.includes(event.key)) return false;
    const explorer = this.explorer;
    const big = event.shiftKey ? 10 : 1;
    const flipCorrection = () => explorer.set({ bias_correction: !explorer.params.bias_correction }).catch(() => {});
    const actions = {
      " ": () => explorer.toggle(),
      ArrowRight: () => explorer.step(big),
      ArrowLeft: () => explorer.step(-big),
      Home: () => explorer.step(-explorer.iteration),
      End: () => explorer.step(explorer.params.iterations - 1 - explorer.iteration),
      PageDown: () => this.next(1),
      PageUp: () => this.next(-1),
      n: () => this.next(1),
      N: () => this.next(1),
      p: () => this.next(-1),
      P: () => this.next(-1),
      r: () => explorer.reset(),
      R: () => explorer.reset(),
      e: () => explorer.population.toggleEqualBetas(),
      E: () => explorer.population.toggleEqualBetas(),
      b: flipCorrection,
      B: flipCorrection,
      f: fullscreen,
      F: fullscreen,
      "?": () => this.toggleHelp(),
      Escape: () => this.toggleHelp(false),
    };
    for (const preset of explorer.config.presets) actions[preset.key] = () => explorer.preset(preset.name).catch(() => {});
    const action = actions[event.key];
    if (!action) return false;
    action();
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
