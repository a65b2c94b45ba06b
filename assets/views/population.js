/* adamviz many-parameters view: a population of parameters (adamviz.sim.population) stepped at once,
 * drawn as the r_t percentile bands over time and the spread scatter at the current iteration. The
 * numbers are the state's (many_parameters.js computes them in slices); this view only draws them.
 */
import { writeSlot } from "../bokeh_internals.js";
import { OPTIMIZER_STYLE, PALETTE, PERCENTILES, SECOND_MOMENT } from "../contract.js";
import { keptRow, percentilesInto } from "../engine/population.js";
import { factor, isConstant } from "../engine/schedules.js";
import { escapeHtml, fmt, swatch } from "../format.js";
import { scaleOf } from "../state.js";
import { lawCurve, logSpan, logTicks, positiveExtent, settleLogRange } from "./plot_data.js";

const MAX_POINTS = 600; // per band: about one point per pixel
const MAX_DOTS = 2500; // the scatter draws every k-th parameter beyond this (each dot costs every paint)
const SPREAD_FLOOR = 1e-3; // where a log axis shows γ̂ = 0 (β₁ = β₂ at t = 1)

/** numpy.percentile's linear method at q of the values (sorted in place): a plain number. */
function percentile(values, q) {
  const out = new Float64Array(3);
  percentilesInto(values, out, 0);
  return out[PERCENTILES.indexOf(q)];
}

class PopulationView {
  constructor(models, config, state) {
    this.models = models.population;
    this.root = models.root; // its theme class says which ink a recorded band takes
    this.live = models.live;
    this.config = config.population;
    this.defaults = config.defaults;
    this.state = state;
    this.savedBeta1 = null;
    this.models.law.data = lawCurve();
  }

  get result() {
    return this.state.many.result;
  }

  /** One state event, when this view is on screen. */
  listen(event) {
    if (this.state.params.view !== "population" || !this.result) return;
    if (event.type === "computed") this.fitRanges();
    else if (event.type === "frame") this.render(this.state.iteration, event.settingsChanged);
    else if (event.type === "settled") this.announce(this.state.iteration);
  }

  /** β₁ = β₂ and back (the E key and the button): the scatter tightens onto the curve. */
  toggleEqualBetas() {
    const { beta1, beta2 } = this.state.params;
    if (beta1 !== beta2) this.savedBeta1 = beta1;
    const back = this.savedBeta1 !== null && this.savedBeta1 !== beta2 ? this.savedBeta1 : this.defaults.beta1;
    this.state.update({ beta1: beta1 !== beta2 ? beta2 : back });
  }

  /** Axis ranges over the whole computation, so that they hold still while it plays. */
  fitRanges() {
    const { params, main, compared } = this.result;
    const m = this.models;
    let [lo, hi] = [Infinity, 0];
    for (const run of [main, ...Object.values(compared)]) {
      const [runLo, runHi] = positiveExtent(run.percentiles);
      [lo, hi] = [Math.min(lo, runLo), Math.max(hi, runHi)];
    }
    const recorded = this.state.recordings.shownGroup(this.state.scenarios);
    if (recorded) {
      const [recordedLo, recordedHi] = positiveExtent(recorded.percentiles);
      [lo, hi] = [Math.min(lo, recordedLo), Math.max(hi, recordedHi)];
    }
    const noise = Math.sqrt((1 - params.beta1) / (1 + params.beta1));
    [lo, hi] = [Math.min(lo, noise), Math.max(hi, noise)]; // the pure-noise line stays in view
    if (!(hi > 0)) [lo, hi] = [1e-3, 1];
    lo = Math.max(lo, hi * 1e-9);
    [m.x_range.start, m.x_range.end] = [0, Math.max(1, params.iterations - 1)];
    // (the axes stay while a nudged control's bands fit them: settleLogRange; the step axis is r's times η)
    settleLogRange(m.y_range, logSpan(lo / 1.5, hi * 1.5));
    [m.step_range.start, m.step_range.end] = [params.lr * m.y_range.start, params.lr * m.y_range.end];
    m.r_ticker.ticks = logTicks(m.y_range.start, m.y_range.end);
    m.step_ticker.ticks = logTicks(m.step_range.start, m.step_range.end);
    const estimated = this.estimatedAxis(params);
    let [xlo, xhi] = estimated ? main.extent.spreadHat : positiveExtent(this.result.parameters.spread);
    xlo = Math.max(xlo, SPREAD_FLOOR);
    if (!(xhi > xlo)) [xlo, xhi] = [SPREAD_FLOOR, 10];
    settleLogRange(m.spread_range, logSpan(xlo / 2, xhi * 2));
    let [ylo, yhi] = main.extent.perLr;
    ylo = Math.max(ylo, yhi * 1e-9);
    if (!(yhi > 0)) [ylo, yhi] = [1e-3, 1];
    settleLogRange(m.scale_range, logSpan(ylo / 1.5, yhi * 1.5));
    const labels = this.config.text;
    const label = estimated ? labels.spread_estimated : params.spread_axis === "estimated" ? labels.spread_none : labels.spread_true;
    if (m.spread_axis.axis_label !== label) m.spread_axis.axis_label = label;
  }

  estimatedAxis(params) {
    return params.spread_axis === "estimated" && SECOND_MOMENT.includes(params.optimizer);
  }

  /** Draw the current iteration again (the theme flipped: a band's fill follows it); whether it drew. */
  redraw() {
    const shown = this.state.params.view === "population" && Boolean(this.result);
    if (shown) this.render(this.state.iteration, false);
    return shown;
  }

  /** Draw iteration i of the drawn computation (bands up to i, the scatter at i). */
  render(i, settingsChanged) {
    if (!this.result) return;
    const { params, main, compared } = this.result;
    const iteration = Math.min(i, params.iterations - 1);
    const m = this.models;
    // one patch (p10 to p90) and one p50 line per optimizer, the main one boldest
    const bands = { xs: [], ys: [], colour: [], alpha: [] };
    const medians = { xs: [], ys: [], colour: [], dash: [], width: [] };
    const style = OPTIMIZER_STYLE;
    const add = (percentiles, last, colour, alpha, dash, width) => {
      const band = this.bandData(percentiles, last, m.y_range.start);
      bands.xs.push([...band.x, ...band.x.slice().reverse()]);
      bands.ys.push([...band.p10, ...band.p90.slice().reverse()]);
      bands.colour.push(colour);
      bands.alpha.push(alpha);
      medians.xs.push(band.x);
      medians.ys.push(band.p50);
      medians.colour.push(colour);
      medians.dash.push(dash);
      medians.width.push(width);
    };
    // a band's fill: over a dark card a thin wash of colour all but vanishes, so it is laid on thicker
    const dark = this.root.css_classes.includes("av-theme-dark");
    for (const [name, run] of [[params.optimizer, main], ...Object.entries(compared)]) {
      const isMain = name === params.optimizer;
      const alpha = isMain ? (dark ? 0.4 : 0.22) : dark ? 0.2 : 0.1;
      add(run.percentiles, iteration, style[name].colour, alpha, style[name].dash, isMain ? 3 : 1.8);
    }
    // a loaded training run: the recorded band of the group the cards show, in ink (no optimizer's colour)
    const recorded = this.state.recordings.shownGroup(this.state.scenarios);
    if (recorded) add(recorded.percentiles, Math.min(iteration, recorded.percentiles.length / 3 - 1), PALETTE[dark ? "ink_on_dark" : "ink"], 0.16, [], 2.5);
    m.bands.data = bands;
    m.medians.data = medians;
    m.cursor.location = iteration;
    const beta1 = params.beta1;
    const noise = Math.sqrt((1 - beta1) / (1 + beta1));
    if (m.noise_rms.location !== noise) {
      m.noise_rms.location = noise;
      m.noise_label.y = noise;
    }
    m.scatter.data = this.scatterData(iteration);
    writeSlot(m.readout, this.readout(iteration));
    if (settingsChanged) writeSlot(m.legend, this.legend(params));
  }

  /** Percentile columns for t = 0..iteration, at most MAX_POINTS of them (every k-th and the last). */
  bandData(percentiles, iteration, floor) {
    const stride = Math.max(1, Math.ceil((iteration + 1) / MAX_POINTS));
    const out = { x: [], p10: [], p50: [], p90: [] };
    for (let t = 0; t <= iteration; t += stride) this.pushBand(out, percentiles, t, floor);
    if (iteration % stride !== 0) this.pushBand(out, percentiles, iteration, floor);
    return out;
  }

  pushBand(out, percentiles, t, floor) {
    out.x.push(t);
    // a log axis cannot show 0 (the sparse parameters before their first gradient): clamp to its floor
    out.p10.push(Math.max(percentiles[3 * t], floor));
    out.p50.push(Math.max(percentiles[3 * t + 1], floor));
    out.p90.push(Math.max(percentiles[3 * t + 2], floor));
  }

  scatterData(t) {
    const { params, main } = this.result;
    const { spread, magnitude } = this.result.parameters;
    const n = params.n_params;
    const estimated = this.estimatedAxis(params);
    const scale = params.grad_scale === 0 ? 1 : scaleOf(params.grad_scale);
    const out = { x: [], y: [], magnitude: [] };
    const every = Math.ceil(n / MAX_DOTS);
    const [perLr, spreadHat] = [keptRow(main, "perLr", t, n), keptRow(main, "spreadHat", t, n)];
    for (let j = 0; j < n; j += every) {
      const y = perLr[j];
      const x = estimated ? Math.max(spreadHat[j], SPREAD_FLOOR) : spread[j];
      if (!(y > 0) || !(x > 0)) continue; // not yet moved (a sparse parameter before its first gradient)
      out.x.push(x);
      out.y.push(y);
      out.magnitude.push(Math.log10(magnitude[j] * scale));
    }
    return out;
  }

  /** How tightly the steps follow the law at step t: p10 and p90 of |step|/η · √(γ² + 1). */
  lawFit(t) {
    const { params, main } = this.result;
    const { spread } = this.result.parameters;
    const n = params.n_params;
    const estimated = this.estimatedAxis(params);
    const ratios = new Float64Array(n);
    const [perLr, spreadHat] = [keptRow(main, "perLr", t, n), keptRow(main, "spreadHat", t, n)];
    for (let j = 0; j < n; j++) {
      const gamma = estimated ? spreadHat[j] : spread[j];
      ratios[j] = perLr[j] * Math.sqrt(gamma * gamma + 1);
    }
    const finite = ratios.filter((x) => Number.isFinite(x));
    if (!finite.length) return null;
    return [percentile(finite, 10), percentile(finite, 90)];
  }

  readout(t) {
    const { params, main, compared } = this.result;
    const line = (name, run) => {
      const [p10, p50, p90] = [0, 1, 2].map((k) => run.percentiles[3 * t + k]);
      const colour = OPTIMIZER_STYLE[name].colour;
      return (
        `<div class="av-facts">${swatch(colour)}<b>${escapeHtml(name)}</b>: r p10 ${fmt(p10)} · <b>p50 ${fmt(p50)}</b> · p90 ${fmt(p90)}` +
        ` · effective step ${isConstant(params) ? "η" : "lr_t"}·r p50 = ${fmt(params.lr * factor(t + 1, params.iterations, params.schedule, params.warmup, params.min_lr) * p50)}</div>`
      );
    };
    const recorded = this.state.recordings.shownGroup(this.state.scenarios);
    let recordedLine = "";
    if (recorded && t < recorded.percentiles.length / 3) {
      const [p10, p50, p90] = [0, 1, 2].map((k) => recorded.percentiles[3 * t + k]);
      recordedLine = `<div class="av-facts"><b>${escapeHtml(recorded.group)}</b> (recorded): r p10 ${fmt(p10)} · <b>p50 ${fmt(p50)}</b> · p90 ${fmt(p90)}</div>`;
    }
    const fit = this.lawFit(t);
    const fitText = fit ? ` · steps ÷ 1/√(γ²+1): ${fmt(fit[0])} – ${fmt(fit[1])} (10th–90th percentile)` : "";
    const noise = Math.sqrt((1 - params.beta1) / (1 + params.beta1));
    return (
      `<div class="av-readout av-population-readout">` +
      `<div class="av-facts">iteration ${t} · ${params.n_params} parameters${this.dotsNote(params.n_params)}${escapeHtml(fitText)}` +
      ` · pure-noise RMS ${fmt(noise)}</div>` +
      line(params.optimizer, main) +
      Object.entries(compared)
        .map(([name, run]) => line(name, run))
        .join("") +
      recordedLine +
      `</div>`
    );
  }

  /** When the scatter shows every k-th parameter only, say so. */
  dotsNote(n) {
    const every = Math.ceil(n / MAX_DOTS);
    return every > 1 ? ` (the scatter shows one in ${every}: ${Math.ceil(n / every)} dots)` : "";
  }

  legend({ optimizer, compare }) {
    const style = OPTIMIZER_STYLE;
    const key = (name) =>
      `<svg width="26" height="10" aria-hidden="true"><rect x="0" y="0" width="26" height="10" fill="${style[name].colour}" fill-opacity="0.25"/>` +
      `<line x1="0" y1="5" x2="26" y2="5" stroke="${style[name].colour}" stroke-width="2.5" stroke-dasharray="${style[name].dash.join(" ")}"/></svg>`;
    const items = [optimizer, ...compare].map((name) => `<li>${key(name)}${escapeHtml(name)}: p10–p90 band, p50 line</li>`).join("");
    const recorded = this.state.recordings.shownGroup(this.state.scenarios);
    const mine = recorded ? `<li><b>${escapeHtml(recorded.group)}</b> (${escapeHtml(recorded.source)}): its recorded band and median, in ink</li>` : "";
    return `<ul class="av-legend" aria-label="legend">${items}${mine}<li>dashed: 1/√(γ²+1) (right), pure-noise RMS (left)</li></ul>`;
  }

  announce(t) {
    if (!this.result) return;
    const { params, main } = this.result;
    const [p10, p50, p90] = [0, 1, 2].map((k) => main.percentiles[3 * t + k]);
    writeSlot(this.live, `Iteration ${t}. ${escapeHtml(params.optimizer)}: r percentiles 10th ${fmt(p10)}, median ${fmt(p50)}, 90th ${fmt(p90)}.`);
  }
}

export { PopulationView };
