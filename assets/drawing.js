/* adamviz drawing: puts one explorer's numbers into its Bokeh models — the cards' data sources, axis
 * ranges, cursors, readouts, widgets, messages and the screen-reader live region.
 *
 * It only draws: what to draw (settings, iteration, streams, traces) is handed in by explorer.js.
 */
(function (global) {
  "use strict";
  const AdamViz = (global.AdamViz = global.AdamViz || {});
  if (AdamViz.CardsView) return;
  const { writeSlot, controlsOf } = AdamViz.bokeh;
  const { sliderPosition } = AdamViz.settings;

  const MAX_POINTS = 600; // per drawn series: about one point per pixel of a card's width
  const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

  /** A compact number for readouts. */
  function fmt(x, digits = 3) {
    if (!Number.isFinite(x)) return String(x);
    if (x === 0) return "0";
    const magnitude = Math.abs(x);
    if (magnitude < 1e-3 || magnitude >= 1e5) return x.toExponential(digits - 1);
    return x.toPrecision(digits);
  }

  /** Min/max decimation of x[lo..hi]: at most ~MAX_POINTS points per series, extremes kept in order. */
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

  /** [lo, hi] over every value of `arrays` and `floor`, padded by 8%. */
  function span(arrays, floor) {
    let [lo, hi] = floor;
    for (const values of arrays) {
      for (const x of values) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
    }
    const pad = 0.08 * (hi - lo || 1);
    return [lo - pad, hi + pad];
  }

  class CardsView {
    constructor(models, config) {
      this.models = models;
      this.config = config;
    }

    /**
     * Draw `frame` = {params, iteration, x, streams, traces, ghosts}. With `settingsChanged`, also
     * what only a setting change moves (ε line, ghosts).
     */
    render(frame, settingsChanged) {
      const { params, iteration, x, streams, traces } = frame;
      const window = params.window;
      const lo = window > 0 ? Math.max(0, iteration - window + 1) : 0;
      const { x_range: xRange } = this.models;
      const [start, end] = window > 0 ? [lo - 0.5, Math.max(lo + window, window) - 0.5] : [-0.5, params.iterations - 0.5];
      if (xRange.start !== start || xRange.end !== end) [xRange.start, xRange.end] = [start, end];
      for (const card of this.models.cards) {
        const trace = traces[card.name];
        const gradient = decimate(x, { g: streams[card.name] }, lo, iteration);
        card.grad.data = { x: gradient.x, g: gradient.g };
        const curves = { m_hat: trace.m_hat, sqrt_v_hat: trace.sqrt_v_hat, scale: trace.scale, theta: trace.theta };
        card.line.data = decimate(x, curves, lo, iteration);
        if (settingsChanged || frame.ghosts) card.ghost.data = this.ghostData(frame, card.name, lo);
        if (settingsChanged) card.eps.location = params.eps;
        for (const cursor of card.cursors) cursor.location = iteration;
        writeSlot(card.readout, this.readout(frame, card.name));
      }
      const slider = this.models.widgets.iteration;
      if (slider.end !== params.iterations - 1) slider.end = params.iterations - 1;
      if (slider.value !== iteration) slider.value = iteration;
    }

    /** The previous setting's curves over the same window (empty when there is none). */
    ghostData({ ghosts, iteration, x }, name, lo) {
      const ghost = ghosts && ghosts[name];
      const end = ghost ? Math.min(iteration, ghost.scale.length - 1) : -1;
      if (end < lo) return { x: [], m_hat: [], sqrt_v_hat: [], scale: [] };
      return decimate(x, { m_hat: ghost.m_hat, sqrt_v_hat: ghost.sqrt_v_hat, scale: ghost.scale }, lo, end);
    }

    /** Every figure's y-range fitted to the whole history of every card. */
    fitRanges(streams, traces) {
      const { y_moments: moments, y_scale: scale, y_theta: theta } = this.models;
      const names = Object.keys(traces);
      [moments.start, moments.end] = span(names.flatMap((n) => [streams[n], traces[n].m_hat, traces[n].sqrt_v_hat]), [0, 0]);
      [scale.start, scale.end] = span(names.map((n) => traces[n].scale), [-1, 1]);
      [theta.start, theta.end] = span(names.map((n) => traces[n].theta), [-1e-9, 1e-9]);
    }

    readout({ params, iteration: i, streams, traces }, name) {
      const { eps, lr } = params;
      const t = traces[name];
      const epsDominates = eps >= 0.1 * t.sqrt_v_hat[i];
      return (
        `<div class="av-readout" data-scenario="${escapeHtml(name)}">` +
        `<div class="av-formula"><span class="av-m">m̂</span> / (<span class="av-v">√v̂</span> + ε) = ` +
        `<span class="av-m">${fmt(t.m_hat[i])}</span> / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ` +
        `<span class="${epsDominates ? "av-eps av-eps-hot" : "av-eps"}">${fmt(eps, 2)}</span>) = ` +
        `<b class="av-scale">${fmt(t.scale[i])}</b></div>` +
        `<div class="av-facts">iteration ${i} · g = ${fmt(streams[name][i])} · step = η × scale = ${fmt(lr * t.scale[i])} · θ = ${fmt(t.theta[i])}</div>` +
        `</div>`
      );
    }

    /** What screen readers hear when the explorer stops on an iteration. */
    announce({ iteration: i, streams, traces }) {
      const parts = Object.keys(traces).map((name) => {
        const t = traces[name];
        return `${name}: g ${fmt(streams[name][i])}, m-hat ${fmt(t.m_hat[i])}, root v-hat ${fmt(t.sqrt_v_hat[i])}, scale ${fmt(t.scale[i])}`;
      });
      writeSlot(this.models.live, `Iteration ${i}. ${escapeHtml(parts.join("; "))}.`);
    }

    showPlaying(playing) {
      const play = this.models.widgets.play;
      const label = playing ? "❚❚ Pause" : "▶ Play";
      if (play.label !== label) play.label = label;
    }

    /** Move every control to the settings (sliders through their transform). */
    syncWidgets(params) {
      const w = this.models.widgets;
      for (const [name, entry] of Object.entries(this.config.spec)) {
        const widget = w[name];
        if (!widget) continue;
        if (entry.kind === "bool") {
          if (widget.active !== params[name]) widget.active = params[name];
        } else if (entry.transform) {
          const position = sliderPosition(entry.transform, params[name]);
          if (Math.abs(widget.value - position) > 1e-9) widget.value = position;
        } else if (widget.value !== params[name]) {
          widget.value = params[name];
        }
      }
      const mode = params.window > 0 ? 0 : 1;
      if (w.window_mode && w.window_mode.active !== mode) w.window_mode.active = mode;
    }

    showMessage(errors) {
      const div = this.models.message;
      div.text = errors.length ? `<div class="av-error" role="alert">${errors.map((e) => `<div>${escapeHtml(e)}</div>`).join("")}</div>` : "";
      div.visible = errors.length > 0;
    }

    /** Give every control an accessible name (Bokeh's slider handles and checkbox have none). */
    labelControls() {
      for (const [name, widget] of Object.entries(this.models.widgets)) {
        const label = (this.config.spec[name] || {}).label || (name === "iteration" ? this.config.iterationLabel : null);
        if (label) for (const control of controlsOf(widget)) control.setAttribute("aria-label", label);
      }
    }

    /** Presenter look: large axis type, only `scenario`'s card (all cards when null). */
    setLecture(on, scenario) {
      const root = this.models.root;
      const classes = root.css_classes.filter((c) => c !== "av-lecture");
      root.css_classes = on ? [...classes, "av-lecture"] : classes;
      this.models.lecture_bar.visible = on;
      for (const axis of this.models.axes) {
        axis.major_label_text_font_size = on ? "16px" : "11px";
        axis.axis_label_text_font_size = on ? "18px" : "12px";
      }
      for (const card of this.models.cards) card.layout.visible = !on || card.name === scenario;
    }
  }

  AdamViz.CardsView = CardsView;
  AdamViz.escapeHtml = escapeHtml;
})(globalThis);
