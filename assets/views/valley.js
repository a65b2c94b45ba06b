/* adamviz closed-loop view: an optimizer stepped over a loss whose gradient answers to θ
 * (adamviz.sim.descend), for the main and every compared optimizer, each on its own path.
 *
 * 2-D problems (valley, rosenbrock): a map of the loss (filled contours, ten bands of equal width in
 * log loss) with each path up to the current iteration; a click moves the start. The bowl (1-D): the
 * loss per optimizer, |m̂| against |step|, and |step|/η against Adam's spread γ̂ over 1/√(γ̂² + 1),
 * dots coloured by iteration. Either way the coordinates' cards (cards.js) show the main optimizer's
 * gradients, m̂, √v̂ and steps, fed by the loop. The numbers are the state's (closed_loops.js).
 */
import { imageArray, writeSlot } from "../bokeh_internals.js";
import { SPREAD_FLOOR } from "../closed_loops.js";
import { OPTIMIZER_STYLE, PALETTE, SETTINGS } from "../contract.js";
import { problemLoss } from "../engine/index.js";
import { escapeHtml, fmt, swatch } from "../format.js";
import { frameSize, lawCurve, logSpan, settleLogRange } from "./plot_data.js";

const MAP_COLUMNS = 320; // the loss image's columns before the map is laid out (then: one per pixel)
const MAP_MAX_PIXELS = 2400; // per side: a 4K screen's map, not more
const BREAK_SAMPLE = 20000; // values sorted for the bands' breaks
const MAX_PATH_POINTS = 1500; // per path drawn (every k-th step beyond, and the current one)
const MAX_DOTS = 600; // per optimizer in the bowl's scatter panels (BokehJS paints each dot on its own: 1,000 a run, three runs, two panels took 9.6 ms of a control change)
const MAIN_COLOUR = PALETTE.theta; // the main optimizer's path: θ's purple, as on the cards

/** [smallest, largest] finite value of several arrays. */
function finiteExtent(arrays) {
  let [lo, hi] = [Infinity, -Infinity];
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  return [lo, hi];
}

/** [smallest positive, largest] finite value of several arrays. */
function positiveExtent(arrays) {
  let [lo, hi] = [Infinity, 0];
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = Math.abs(values[i]);
      if (v > 0 && Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
  }
  return [lo, hi];
}

/** The indices 0..last drawn: every k-th (at most `most`) and always `last`. */
function strided(last, most) {
  const stride = Math.max(1, Math.ceil((last + 1) / most));
  const out = [];
  for (let i = 0; i <= last; i += stride) out.push(i);
  if (out[out.length - 1] !== last) out.push(last);
  return out;
}

class ValleyView {
  constructor(models, config, state) {
    this.models = models.valley;
    this.live = models.live;
    this.config = config.valley;
    this.state = state;
    this.loops = state.loops;
    this.heatKey = null;
    this.models.curve.data = lawCurve();
  }

  get result() {
    return this.state.loop;
  }

  /** One state event, when this view is on screen. */
  listen(event) {
    const params = this.state.params;
    if (params.view !== "valley") return;
    if (event.type === "layout" && event.arrange) this.arrange(params);
    if (!this.result) return;
    if (event.type === "computed") {
      this.arrange(params);
      this.fitRanges();
    } else if (event.type === "frame") this.render(this.state.iteration, event.settingsChanged);
    else if (event.type === "settled") this.announce(this.state.iteration);
  }

  coordinates(params) {
    return this.loops.coordinates(params);
  }

  /** A click on the map: start there (rounded to 3 decimals, inside the start's range). */
  moveStart(x, y) {
    const { start_x: spec } = SETTINGS;
    const clamp = (v) => Math.min(spec.max, Math.max(spec.min, Math.round(v * 1000) / 1000));
    if (!Number.isFinite(x) || !Number.isFinite(y) || this.coordinates(this.state.params).length !== 2) return;
    this.state.update({ start_x: clamp(x), start_y: clamp(y) });
  }

  /** The map for 2-D problems, the three panels for the bowl; the view's text for the problem. */
  arrange(params) {
    const flat = this.coordinates(params).length === 1;
    const m = this.models;
    // (which of its controls show: views/controls.js, the one view that shows controls)
    if (m.map_figure.visible !== !flat) m.map_figure.visible = !flat;
    for (const plot of m.bowl_figures) if (plot.visible !== flat) plot.visible = flat;
    const title = `<h2 class="av-view-title">${escapeHtml(this.config.text.title)}</h2><p class="av-view-text">${escapeHtml(this.config.text.text[params.problem])}</p>`;
    writeSlot(m.header, title);
  }

  /** The figures on screen in this view (besides the cards). */
  figures() {
    const m = this.models;
    return [m.map_figure, ...m.bowl_figures].filter((plot) => plot.visible);
  }

  fitRanges() {
    const { params, runs } = this.result;
    if (this.coordinates(params).length === 1) this.fitBowl(params, runs);
    else this.fitMap(params, runs);
  }

  /** The map shows every path, the start and the minimum, with a margin; then the loss under it. */
  fitMap(params, runs) {
    const m = this.models;
    const start = this.loops.start(params);
    const minimum = this.loops.minimum(params);
    const limit = 2 * SETTINGS.start_x.max; // a diverging path leaves the map
    const clip = (values) => values.filter((v) => Math.abs(v) <= limit);
    let [x0, x1] = finiteExtent([[start[0], minimum[0]], ...Object.values(runs).map((r) => clip(r.traces[0].theta))]);
    let [y0, y1] = finiteExtent([[start[1], minimum[1]], ...Object.values(runs).map((r) => clip(r.traces[1].theta))]);
    const pad = (lo, hi, other) => {
      const width = Math.max(hi - lo, 0.25 * other, 0.5);
      return [lo - 0.08 * width, hi + 0.08 * width];
    };
    [[x0, x1], [y0, y1]] = [pad(x0, x1, y1 - y0), pad(y0, y1, x1 - x0)];
    [m.map_x.start, m.map_x.end, m.map_y.start, m.map_y.end] = [x0, x1, y0, y1];
    const size = frameSize(m.map_figure);
    const key = JSON.stringify([params.problem, this.loops.shape(params), x0, x1, y0, y1, size]);
    if (key !== this.heatKey) {
      this.heatKey = key;
      m.heat.data = this.heat(params, x0, x1, y0, y1, size);
    }
    m.marks.data = { x: [start[0], minimum[0]], y: [start[1], minimum[1]], marker: ["circle", "cross"], size: [14, 14] };
  }

  /** The map was laid out anew (its width changed): its contours follow, at one value per pixel. */
  resized() {
    if (this.state.params.view === "valley" && this.result && this.coordinates(this.state.params).length === 2) this.fitMap(this.state.params, this.result.runs);
  }

  /**
   * The loss over the map as filled contours at the map's own pixel resolution (`size`: its frame's
   * [width, height] in CSS pixels; smooth edges, no stair steps): ten bands, darkest where the loss is
   * least, each holding a tenth of the map (the breaks are deciles of log10 loss, from a sample), so
   * every band shows whatever the loss's range. The image's values: 0.5 … 9.5.
   */
  heat(params, x0, x1, y0, y1, [width, height]) {
    const shape = this.loops.shape(params);
    const columns = width > 1 ? Math.min(width, MAP_MAX_PIXELS) : MAP_COLUMNS;
    const rows = height > 1 ? Math.min(height, MAP_MAX_PIXELS) : Math.max(2, Math.round(columns * 0.62));
    const logLoss = new Float64Array(rows * columns);
    for (let r = 0; r < rows; r++) {
      const y = y0 + ((r + 0.5) / rows) * (y1 - y0);
      for (let c = 0; c < columns; c++) {
        const x = x0 + ((c + 0.5) / columns) * (x1 - x0);
        logLoss[r * columns + c] = Math.log10(problemLoss(params.problem, [x, y], shape) + 1e-300);
      }
    }
    const bands = this.config.bands;
    const stride = Math.max(1, Math.floor(logLoss.length / BREAK_SAMPLE));
    const sample = logLoss.filter((v, k) => k % stride === 0 && Number.isFinite(v)).sort();
    const breaks = Array.from({ length: bands - 1 }, (_, b) => sample[Math.floor(((b + 1) / bands) * sample.length)]);
    const image = new Float64Array(rows * columns);
    for (let k = 0; k < image.length; k++) {
      let band = 0;
      while (band < bands - 1 && logLoss[k] > breaks[band]) band++;
      image[k] = band + 0.5;
    }
    return { image: [imageArray(this.models.heat, image, rows, columns)], x: [x0], y: [y0], dw: [x1 - x0], dh: [y1 - y0] };
  }

  /** The bowl's panels: ranges over the whole run of every optimizer. */
  fitBowl(params, runs) {
    const m = this.models;
    const all = Object.values(runs);
    [m.loss_x.start, m.loss_x.end] = [0, Math.max(1, params.iterations - 1)];
    let [lo, hi] = positiveExtent(all.map((r) => r.loss));
    if (!(hi > 0)) [lo, hi] = [1e-12, 1];
    lo = Math.max(lo, hi * 1e-30);
    settleLogRange(m.loss_y, logSpan(lo / 2, hi * 2)); // (axes stay while a nudge's curves fit: plot_data.js)
    const [mlo0, mhi] = positiveExtent(all.map((r) => r.traces[0].m_hat));
    const [slo0, shi] = positiveExtent(all.map((r) => r.traces[0].step));
    const [mlo, slo] = [Math.max(mlo0, mhi * 1e-12), Math.max(slo0, shi * 1e-12)];
    settleLogRange(m.moment_x, mhi > 0 ? logSpan(mlo / 2, mhi * 2) : [1e-6, 1]);
    settleLogRange(m.moment_y, shi > 0 ? logSpan(slo / 2, shi * 2) : [1e-6, 1]);
    const adamLike = all.filter((r) => r.traces[0].spread_hat);
    const [glo0, ghi] = positiveExtent(adamLike.map((r) => r.traces[0].spread_hat));
    const [plo0, phi] = positiveExtent(adamLike.map((r) => r.traces[0].per_lr));
    const glo = Math.max(glo0, SPREAD_FLOOR);
    settleLogRange(m.law_x, ghi > glo ? logSpan(glo / 2, ghi * 2) : [1e-3, 1e3]);
    const plo = Math.max(plo0, phi * 1e-6);
    settleLogRange(m.law_y, phi > 0 ? logSpan(plo / 1.5, Math.max(phi, 1) * 1.5) : [1e-3, 2]);
    m.iteration_colours.high = m.iteration_bar_colours.high = Math.max(1, params.iterations - 1);
  }

  style(name, k) {
    const isMain = k === 0;
    const { colour, dash } = OPTIMIZER_STYLE[name];
    return { colour: isMain ? MAIN_COLOUR : colour, dash: isMain ? [] : dash, width: isMain ? 3 : 2 };
  }

  /** Draw iteration i: the paths (or the bowl's panels) up to it, and the readout. */
  render(i, settingsChanged) {
    if (!this.result) return;
    const { params, order } = this.result;
    const iteration = Math.min(i, params.iterations - 1);
    if (this.coordinates(params).length === 1) this.renderBowl(iteration);
    else this.renderMap(iteration);
    writeSlot(this.models.readout, this.readout(iteration));
    if (settingsChanged) writeSlot(this.models.legend, this.legend(params, order));
  }

  renderMap(iteration) {
    const { params, order, runs } = this.result;
    const start = this.loops.start(params);
    const paths = { xs: [], ys: [], colour: [], dash: [], width: [] };
    const heads = { x: [], y: [], colour: [] };
    // compared first, the main path on top
    for (const [k, name] of [...order.entries()].reverse()) {
      const [xs, ys] = runs[name].traces.map((t) => t.theta);
      const drawn = strided(iteration, MAX_PATH_POINTS);
      const style = this.style(name, k);
      paths.xs.push([start[0], ...drawn.map((j) => xs[j])]);
      paths.ys.push([start[1], ...drawn.map((j) => ys[j])]);
      for (const key of ["colour", "dash", "width"]) paths[key].push(style[key]);
      heads.x.push(xs[iteration]);
      heads.y.push(ys[iteration]);
      heads.colour.push(style.colour);
    }
    this.models.paths.data = paths;
    this.models.heads.data = heads;
  }

  renderBowl(iteration) {
    const { order, runs } = this.result;
    const m = this.models;
    const losses = { xs: [], ys: [], colour: [], dash: [], width: [] };
    const moments = { x: [], y: [], t: [], marker: [] };
    const law = { x: [], y: [], t: [], marker: [] };
    const floor = m.loss_y.start;
    const drawn = strided(iteration, MAX_DOTS);
    for (const [k, name] of [...order.entries()].reverse()) {
      const { traces, loss } = runs[name];
      const trace = traces[0];
      const style = this.style(name, k);
      losses.xs.push(drawn);
      losses.ys.push(drawn.map((j) => Math.max(loss[j], floor)));
      for (const key of ["colour", "dash", "width"]) losses[key].push(style[key]);
      const marker = this.config.markers[k % this.config.markers.length];
      const spreads = trace.spread_hat || null;
      for (const j of drawn) {
        moments.x.push(Math.abs(trace.m_hat[j]));
        moments.y.push(Math.abs(trace.step[j]));
        moments.t.push(j);
        moments.marker.push(marker);
        if (spreads) {
          law.x.push(spreads[j]);
          law.y.push(Math.abs(trace.per_lr[j]));
          law.t.push(j);
          law.marker.push(marker);
        }
      }
    }
    m.losses.data = losses;
    m.moments.data = moments;
    m.law_dots.data = law;
    m.loss_cursor.location = iteration;
  }

  /** Per optimizer: the loss, where it is, its last step per coordinate; for the bowl, its crossings. */
  readout(i) {
    const { params, order, runs } = this.result;
    const names = this.coordinates(params);
    const lines = order.map((name, k) => {
      const { traces, loss } = runs[name];
      const colour = this.style(name, k).colour;
      const where = traces.map((t, c) => `${escapeHtml(names[c])} = ${fmt(t.theta[i])}`).join(", ");
      const steps = traces.map((t, c) => `${escapeHtml(names[c])} ${fmt(Math.abs(t.step[i]) / params.lr)}`).join(", ");
      let extra = "";
      if (names.length === 1) {
        const theta = traces[0].theta;
        let crossings = Math.sign(theta[0]) !== Math.sign(params.start_x) && theta[0] !== 0 ? 1 : 0;
        for (let j = 1; j <= i; j++) if (Math.sign(theta[j]) !== Math.sign(theta[j - 1]) && theta[j] !== 0) crossings++;
        extra = ` · crossed the bottom ${crossings} time${crossings === 1 ? "" : "s"}`;
      }
      const at = runs[name].diverged;
      const diverged = at >= 0 && i >= at ? ` · diverged at iteration ${at} (η too large for this curvature)` : "";
      return `<div class="av-facts">${swatch(colour)}<b>${escapeHtml(name)}</b>: loss ${fmt(loss[i])} · ${where} · |step|/η: ${steps}${extra}${diverged}</div>`;
    });
    return `<div class="av-readout av-valley-readout"><div class="av-facts">iteration ${i}</div>${lines.join("")}</div>`;
  }

  legend(params, order) {
    const flat = this.coordinates(params).length === 1;
    const items = order.map((name, k) => {
      const { colour, dash, width } = this.style(name, k);
      const key = `<svg width="26" height="10" aria-hidden="true"><line x1="0" y1="5" x2="26" y2="5" stroke="${colour}" stroke-width="${width}" stroke-dasharray="${dash.join(" ")}"/></svg>`;
      const marker = flat ? ` (${escapeHtml(this.config.markers[k % this.config.markers.length].replace("_", " "))} dots)` : "";
      return `<li>${key}${escapeHtml(name)}${k === 0 ? " (main)" : ""}${marker}</li>`;
    });
    const marks = flat ? `<li>dashed: ${escapeHtml(this.config.text.law_label)}</li>` : `<li>ring: ${escapeHtml(this.config.text.start)} · cross: ${escapeHtml(this.config.text.minimum)}</li>`;
    return `<ul class="av-legend" aria-label="legend">${items.join("")}${marks}</ul>`;
  }

  announce(i) {
    if (!this.result) return;
    const { params, runs } = this.result;
    const { traces, loss } = runs[params.optimizer];
    const names = this.coordinates(params);
    const where = traces.map((t, c) => `${names[c]} ${fmt(t.theta[i])}`).join(", ");
    writeSlot(this.live, `Iteration ${i}. ${escapeHtml(params.optimizer)}: loss ${fmt(loss[i])}, ${escapeHtml(where)}.`);
  }
}

export { ValleyView };
