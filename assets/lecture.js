/* adamviz lecture mode and keyboard: a deck of slides, one scenario at a time, driven by keys.
 *
 * Loaded after explorer.js. `?mode=lecture` (or a lecture export / `adamviz serve --lecture`) switches
 * an explorer into presenter layout. Every slide change, step and setting change is written to the
 * URL (slide, iteration, settings, seed), so a bookmark restores exactly what the hall saw.
 */
(function (global) {
  "use strict";
  const AdamViz = global.AdamViz;
  if (!AdamViz || AdamViz.lectureInstalled) return;
  AdamViz.lectureInstalled = true;
  const Explorer = AdamViz.Explorer;
  const escapeHtml = AdamViz.escapeHtml;

  const KEYS = [
    ["Space", "play / pause"],
    ["← / →", "one step back / forward"],
    ["Shift + ← / →", "ten steps"],
    ["Home / End", "first / last iteration"],
    ["PageUp / PageDown, P / N", "previous / next slide"],
    ["R", "reset to iteration 0"],
    ["B", "bias correction on / off"],
    ["F", "full screen"],
    ["?", "this help (Esc closes)"],
  ];
  const URL_SETTINGS = ["lr", "beta1", "beta2", "eps", "iterations", "seed", "bias_correction", "speed", "window"];

  /** Keys must never fire while the user types into a field (seed box, a host page's form). */
  function typingInto(event) {
    const target = event.composedPath ? event.composedPath()[0] : event.target;
    if (!target || !target.tagName) return false;
    const tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    return tag === "input" && !["checkbox", "radio", "button", "range", "submit"].includes((target.type || "").toLowerCase());
  }

  Object.assign(Explorer.prototype, {
    /** Switch presenter layout on or off; in lecture mode only the slide's scenario is shown. */
    setLecture(on) {
      this.lecture = on;
      const root = this.models.root;
      const classes = root.css_classes.filter((c) => c !== "av-lecture");
      root.css_classes = on ? [...classes, "av-lecture"] : classes;
      if (this.models.lecture_bar) this.models.lecture_bar.visible = on;
      for (const axis of this.models.axes || []) {
        axis.major_label_text_font_size = on ? "16px" : "11px";
        axis.axis_label_text_font_size = on ? "18px" : "12px";
      }
      if (on) this.showSlide(this.slide || 0, { keepState: true });
      else for (const card of this.models.cards) card.layout.visible = true;
    },

    /** Go to slide `index`: its scenario, its settings on top of the defaults, its first iteration. */
    showSlide(index, { keepState = false } = {}) {
      const deck = this.config.deck;
      this.slide = Math.max(0, Math.min(deck.length - 1, index));
      const slide = deck[this.slide];
      for (const card of this.models.cards) card.layout.visible = card.name === slide.scenario;
      if (!keepState) {
        this.pause();
        this.apply({ ...this.config.defaults, ...slide.settings, iteration: slide.iteration || 0 });
        this.ghosts = null;
        this.render(true);
      }
      const sentences = slide.text.map((s) => `<p>${escapeHtml(s)}</p>`).join("");
      this.writeHtml(
        this.models.deck,
        `<section class="av-slide" aria-label="slide ${this.slide + 1} of ${deck.length}">` +
          `<div class="av-slide-count">Slide ${this.slide + 1} / ${deck.length} · press ? for keys</div>` +
          `<h2>${escapeHtml(slide.title)}</h2>${sentences}</section>`
      );
      this.writeUrl();
    },

    /** Lecture mode keeps the whole state in the address bar (never outside lecture mode). */
    writeUrl() {
      if (!this.lecture || !global.history || !global.location) return;
      const query = new URLSearchParams(global.location.search);
      query.set("mode", "lecture");
      query.set("slide", String(this.slide + 1));
      query.set("iteration", String(this.iteration));
      for (const name of URL_SETTINGS) query.set(name, String(this.params[name]));
      try {
        global.history.replaceState(null, "", `${global.location.pathname}?${query}`);
      } catch (error) {
        /* some embedding contexts forbid it; the state still works, it just is not bookmarkable */
      }
    },

    toggleHelp(show) {
      this.helpOpen = show === undefined ? !this.helpOpen : show;
      const rows = KEYS.map(([key, what]) => `<tr><th scope="row"><kbd>${escapeHtml(key)}</kbd></th><td>${escapeHtml(what)}</td></tr>`).join("");
      this.writeHtml(
        this.models.help,
        this.helpOpen
          ? `<div class="av-help" role="dialog" aria-modal="false" aria-label="Keyboard shortcuts"><h2>Keys</h2><table>${rows}</table>` +
              `<p>Keys are ignored while a text field has focus.</p></div>`
          : ""
      );
    },

    fullscreen() {
      const element = global.document && global.document.documentElement;
      if (!element) return;
      if (global.document.fullscreenElement) global.document.exitFullscreen();
      else if (element.requestFullscreen) element.requestFullscreen().catch(() => {});
    },

    /** One key press; returns true when it was ours. */
    onKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typingInto(event)) return false;
      const big = event.shiftKey ? 10 : 1;
      const last = this.params.iterations - 1;
      const actions = {
        " ": () => this.toggle(),
        ArrowRight: () => this.step(big),
        ArrowLeft: () => this.step(-big),
        Home: () => this.step(-this.iteration),
        End: () => this.step(last - this.iteration),
        PageDown: () => this.showSlide((this.slide || 0) + 1),
        PageUp: () => this.showSlide((this.slide || 0) - 1),
        n: () => this.showSlide((this.slide || 0) + 1),
        N: () => this.showSlide((this.slide || 0) + 1),
        p: () => this.showSlide((this.slide || 0) - 1),
        P: () => this.showSlide((this.slide || 0) - 1),
        r: () => this.reset(),
        R: () => this.reset(),
        b: () => this.set({ bias_correction: !this.params.bias_correction }).catch(() => {}),
        B: () => this.set({ bias_correction: !this.params.bias_correction }).catch(() => {}),
        f: () => this.fullscreen(),
        F: () => this.fullscreen(),
        "?": () => this.toggleHelp(),
        Escape: () => this.toggleHelp(false),
      };
      const action = actions[event.key];
      if (!action) return false;
      if (!this.lecture && ["PageDown", "PageUp", "n", "N", "p", "P"].includes(event.key)) return false;
      action();
      return true;
    },
  });

  /* After every pause, step and setting change the lecture URL follows. */
  const report = Explorer.prototype.report;
  Explorer.prototype.report = function () {
    report.call(this);
    this.writeUrl();
  };

  /** The explorer a key belongs to: the one holding focus, else the page's lecture explorer. */
  function target(event) {
    const path = event.composedPath ? event.composedPath() : [];
    for (const explorer of AdamViz.instances) {
      const view = global.Bokeh && global.Bokeh.index && global.Bokeh.index.find_one(explorer.models.root);
      if (view && path.includes(view.el)) return explorer;
    }
    return AdamViz.instances.find((e) => e.lecture);
  }

  global.document &&
    global.document.addEventListener("keydown", (event) => {
      const explorer = target(event);
      if (explorer && explorer.onKey(event)) event.preventDefault();
    });

  /** Settings from a lecture URL: the slide first, then explicit parameters on top of it. */
  AdamViz.lectureStart = function (explorer, query) {
    const slideNumber = Number(query.get("slide") || "1");
    const deck = explorer.config.deck;
    const index = Number.isInteger(slideNumber) && slideNumber >= 1 && slideNumber <= deck.length ? slideNumber - 1 : 0;
    const message = index + 1 === slideNumber || !query.has("slide") ? [] : [`slide must be an integer in [1, ${deck.length}]; got ${JSON.stringify(query.get("slide"))} — using 1`];
    return { index, settings: { ...deck[index].settings, iteration: deck[index].iteration || 0 }, messages: message };
  };
})(typeof window !== "undefined" ? window : globalThis);
