/* adamviz drawing: puts one explorer's numbers into its Bokeh models — the cards' data sources, axis
 * ranges, cursors, readouts, widgets, messages and the screen-reader live region.
 *
 * It only draws: what to draw (settings, iteration, streams, traces) is handed in by explorer.js.
 */
import { controlsOf, writeSlot } from "./bokeh_internals.js";
import { escapeHtml, fmt } from "./format.js";
import { sliderPosition } from "./settings.js";

const LECTURE_PLOT_SHARE = 0.85; // plot heights in lecture mode, of the `height` setting
const POPULATION_LECTURE_SHARE = 0.75; // of that, for the many-parameters and closed-loop views' plots
const MAP_SHARE = 1.3; // the closed-loop view's map, of the `height` setting (outside lecture mode)
const MAX_POINTS = 600; // per drawn series: about one point per pixel of a card's width

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

/**
 * The lollipops of gradients g at x as two paths, each stroked once (a marker per gradient costs
 * BokehJS a save, a fill and a stroke each): stems (x, 0)→(x, g) and heads (x ∓ half, g), a stroke so
 * short its round caps make a dot. NaN between pieces lifts the pen.
 */
function lollipops(x, g, half) {
  const n = x.length;
  const out = { stem_x: new Float64Array(3 * n), stem_y: new Float64Array(3 * n), head_x: new Float64Array(3 * n), head_y: new Float64Array(3 * n) };
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    out.stem_x[k] = out.stem_x[k + 1] = x[i];
    out.stem_y[k] = 0;
    out.stem_y[k + 1] = out.head_y[k] = out.head_y[k + 1] = g[i];
    out.head_x[k] = x[i] - half;
    out.head_x[k + 1] = x[i] + half;
    out.stem_x[k + 2] = out.stem_y[k + 2] = out.head_x[k + 2] = out.head_y[k + 2] = NaN;
  }
  return out;
}

/** [lo, hi] over every finite value of `arrays` and `floor`, padded by 8% (a diverging run's inf and
 * NaN, gradient descent on Rosenbrock at η = 0.01, would take the axis with them). */
function span(arrays, floor) {
  let [lo, hi] = floor;
  for (const values of arrays) {
    for (const x of values) {
      if (x < lo && x > -Infinity) lo = x;
      if (x > hi && x < Infinity) hi = x;
    }
  }
  const pad = 0.08 * (hi - lo || 1);
  return [lo - pad, hi + pad];
}

/** The smallest of 1, 2, 5 × 10^k that is >= x (x > 0). */
function niceCeil(x) {
  const decade = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= x * (1 - 1e-12));
}

/**
 * A symmetric-log axis: linear within ±c, one decade per unit beyond — so values 10⁶ apart stay
 * readable on one axis. f(y) = y/c for |y| <= c, sign(y)·(1 + log10(|y|/c)) beyond.
 */
const symlog = (c) => (y) => (Math.abs(y) <= c ? y / c : Math.sign(y) * (1 + Math.log10(Math.abs(y) / c)));

/** Ticks for a symlog axis over [lo, hi] (in transformed units; figures.py's formatter labels them). */
function symlogTicks(lo, hi) {
  const ticks = [];
  const from = Math.floor(lo);
  const to = Math.ceil(hi);
  const step = to - from > 8 ? 2 : 1;
  for (let t = from; t <= to; t++) if (t % step === 0 || Math.abs(t) === 1) ticks.push(t);
  return ticks;
}

/** Largest finite |value| over arrays. */
function largest(arrays) {
  let top = 0;
  for (const values of arrays) for (const x of values) if (Math.abs(x) > top && Math.abs(x) < Infinity) top = Math.abs(x);
  return top;
}

/** The readout's formula for one optimizer at step i (its own terms: sgd has no √v̂, ...). */
function formula(optimizer, t, eps, i) {
  const scale = `<b class="av-scale">${fmt(t.scale[i])}</b>`;
  if (optimizer === "sgd") return `step/η = g = ${scale}`;
  if (optimizer === "momentum") return `step/η = b = μ·b + g = ${scale}`;
  const epsDominates = eps >= 0.1 * t.sqrt_v_hat[i];
  const epsSpan = `<span class="${epsDominates ? "av-eps av-eps-hot" : "av-eps"}">${fmt(eps, 2)}</span>`;
  if (optimizer === "rmsprop") return `g / (<span class="av-v">√v</span> + ε) = ${fmt(t.m_hat[i])} / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ${epsSpan}) = ${scale}`;
  return (
    `<span class="av-m">m̂</span> / (<span class="av-v">√v̂</span> + ε) = ` +
    `<span class="av-m">${fmt(t.m_hat[i])}</span> / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ${epsSpan}) = ${scale}`
  );
}

class CardsView {
  constructor(models, config) {
    this.models = models;
    this.config = config;
    this.axes = { step: null, theta: null }; // symlog thresholds, null while linear
    for (const card of models.cards) {
      card.linear = {
        step: { ticker: card.step_axis.ticker, formatter: card.step_axis.formatter },
        theta: { ticker: card.theta_axis.ticker, formatter: card.theta_axis.formatter },
      };
    }
  }

  /**
   * Give the cards their scenarios: card k shows `active[k]` (a lecture slide's scenario goes to the
   * first card); cards beyond hide.
   */
  assign(active, recordings) {
    this.models.cards.forEach((card, k) => {
      const name = k < active.length ? active[k] : null;
      if (name !== null && name !== card.shows) {
        writeSlot(card.header, Object.hasOwn(this.config.cardHeaders, name) ? this.config.cardHeaders[name] : recordings.header(name));
      }
      card.shows = name;
      if (card.layout.visible !== (name !== null)) card.layout.visible = name !== null;
    });
  }

  /** The figures of the cards on screen (what a paint must reach before set() resolves). */
  activeFigures() {
    return this.models.cards.filter((card) => card.shows !== null).flatMap((card) => card.figures);
  }

  /**
   * Draw `frame` = {params, iteration, x, streams, traces, compared, ghosts, active}. With
   * `settingsChanged`, also what only a setting change moves (ε line, ghosts, legends, hidden series).
   */
  render(frame, settingsChanged) {
    const { params, iteration, x, streams, traces, compared } = frame;
    const window = params.window;
    const lo = window > 0 ? Math.max(0, iteration - window + 1) : 0;
    this.glide(frame);
    const onStep = this.axes.step === null ? null : symlog(this.axes.step);
    const onTheta = this.axes.theta === null ? null : symlog(this.axes.theta);
    const shown = (values, f) => (f ? values.map(f) : values);
    // a head's stroke: 1e-4 of the x range each side (0.03–0.2 px on a 300–1920 px plot)
    const headHalf = 1e-4 * (window > 0 ? window : params.iterations);
    for (const card of this.models.cards) {
      if (card.shows === null) continue;
      const name = card.shows;
      const trace = traces[name];
      const gradient = decimate(x, { g: streams[name] }, lo, iteration);
      card.grad.data = lollipops(gradient.x, gradient.g, headHalf);
      const curves = { m_hat: trace.m_hat, sqrt_v_hat: trace.sqrt_v_hat, step: trace.per_lr, theta: trace.theta };
      const line = decimate(x, curves, lo, iteration);
      line.step = shown(line.step, onStep);
      line.theta = shown(line.theta, onTheta);
      card.line.data = line;
      const steps = { xs: [], ys: [], colour: [], dash: [] };
      const thetas = { xs: [], ys: [], colour: [], dash: [] };
      for (const optimizer of params.compare) {
        const other = compared[name][optimizer];
        const drawn = decimate(x, { step: other.per_lr, theta: other.theta }, lo, iteration);
        const { colour, dash } = this.config.optimizerStyle[optimizer];
        for (const [out, values] of [
          [steps, shown(drawn.step, onStep)],
          [thetas, shown(drawn.theta, onTheta)],
        ]) {
          out.xs.push(drawn.x);
          out.ys.push(values);
          out.colour.push(colour);
          out.dash.push(dash);
        }
      }
      if (steps.xs.length || card.others.data.xs.length) {
        card.others.data = steps;
        card.others_theta.data = thetas;
      }
      const recorded = frame.recordings.withMoments(name);
      if (settingsChanged || frame.ghosts || recorded) card.ghost.data = this.ghostData(frame, name, lo, onStep);
      if (settingsChanged) {
        card.eps.location = params.eps;
        writeSlot(card.legend, this.legend(params, Boolean(recorded)));
      }
      for (const cursor of card.cursors) cursor.location = iteration;
      writeSlot(card.readout, this.readout(frame, name));
    }
    this.showIteration(params, iteration);
  }

  /** The iteration slider (both views). */
  showIteration(params, iteration) {
    const slider = this.models.widgets.iteration;
    if (slider.end !== params.iterations - 1) slider.end = params.iterations - 1;
    if (slider.value !== iteration) slider.value = iteration;
  }

  /**
   * Place the window: the last `window` iterations up to `iteration`, moved on by `phase` (smooth
   * scroll, between two iterations) once it is full; or the whole history.
   */
  glide({ params, iteration, phase = 0 }) {
    const window = params.window;
    const { x_range: xRange } = this.models;
    const left = Math.max(0, iteration - window + 1 + phase);
    const [start, end] = window > 0 ? [left - 0.5, left + window - 0.5] : [-0.5, params.iterations - 0.5];
    if (xRange.start !== start || xRange.end !== end) [xRange.start, xRange.end] = [start, end];
  }

  /** The faded curves over the same window: what a recorded run had, or the previous setting's (or none). */
  ghostData({ ghosts, iteration, x, recordings }, name, lo, onStep) {
    const ghost = recordings.withMoments(name) || (ghosts && ghosts[name]);
    const end = ghost ? Math.min(iteration, ghost.m_hat.length - 1) : -1;
    if (end < lo) return { x: [], m_hat: [], sqrt_v_hat: [], step: [] };
    const drawn = decimate(x, { m_hat: ghost.m_hat, sqrt_v_hat: ghost.sqrt_v_hat, step: ghost.per_lr }, lo, end);
    if (onStep) drawn.step = drawn.step.map(onStep);
    return drawn;
  }

  /**
   * Fit every figure's y-range to the whole history of the cards on screen. The step and θ axes turn
   * symmetric-log when a compared optimizer's values exceed the main one's more than tenfold.
   */
  fitRanges({ streams, traces, compared, active, recordings }) {
    const { y_moments: moments, y_step: stepRange, y_theta: thetaRange } = this.models;
    // a recorded run's own curves count too, as far as the cards show them
    const recorded = active.filter((n) => recordings.withMoments(n)).map((n) => {
      const r = recordings.byName[n];
      const end = streams[n].length;
      return { m_hat: r.m_hat.subarray(0, end), sqrt_v_hat: r.sqrt_v_hat.subarray(0, end), per_lr: r.per_lr.subarray(0, end), theta: [] };
    });
    [moments.start, moments.end] = span([...active.flatMap((n) => [streams[n], traces[n].m_hat, traces[n].sqrt_v_hat]), ...recorded.flatMap((r) => [r.m_hat, r.sqrt_v_hat])], [0, 0]);
    const others = [...active.flatMap((n) => Object.values(compared[n])), ...recorded];
    // per axis: the smallest linear half-width c a symlog axis takes (step/η: ±1, Adam's scale)
    for (const [axis, key, range, floor, smallestC] of [
      ["step", "per_lr", stepRange, [-1, 1], 1],
      ["theta", "theta", thetaRange, [-1e-9, 1e-9], 1e-12],
    ]) {
      const main = active.map((n) => traces[n][key]);
      const all = [...main, ...others.map((t) => t[key])];
      const c = Math.max(largest(main), smallestC);
      const symlogged = largest(all) > 10 * c;
      this.axes[axis] = symlogged ? niceCeil(c) : null;
      const f = symlogged ? symlog(this.axes[axis]) : (y) => y;
      [range.start, range.end] = span(all.map((values) => values.map(f)), symlogged ? [-1, 1] : floor);
      this.setAxis(axis, symlogged ? symlogTicks(range.start, range.end) : null);
    }
  }

  /** Linear ticks (Bokeh's own), or the symlog ticks, labelled by the symlog formatter. */
  setAxis(axis, symlogTickList) {
    const symlogged = symlogTickList !== null;
    const { ticker, formatter } = this.models.symlog[axis];
    if (symlogged) {
      ticker.ticks = symlogTickList;
      ticker.tags = [this.axes[axis]]; // the formatter reads the threshold c from here
    }
    const labels = this.config.labels;
    const title = axis === "step" ? (symlogged ? labels.stepSymlog : labels.step) : symlogged ? labels.thetaSymlog : "θ";
    for (const card of this.models.cards) {
      const model = axis === "step" ? card.step_axis : card.theta_axis;
      const wanted = symlogged ? { ticker, formatter } : card.linear[axis];
      if (model.ticker !== wanted.ticker) model.ticker = wanted.ticker;
      if (model.formatter !== wanted.formatter) model.formatter = wanted.formatter;
      if (model.axis_label !== title) model.axis_label = title;
    }
  }

  /** The key to what is drawn: the shown panels' items, then the compared optimizers' colours and dashes. */
  legend({ optimizer, compare, panels }, recorded = false) {
    const items = this.config.legendItems.filter(([panel]) => panels.includes(panel)).map(([, html]) => html);
    if (recorded) items.push(`<li class="av-legend-recorded">faded: as the run recorded them</li>`);
    return `<ul class="av-legend" aria-label="legend">${items.join("")}</ul>${this.compareLegend(optimizer, compare)}`;
  }

  compareLegend(optimizer, compare) {
    if (!compare.length) return "";
    const style = this.config.optimizerStyle;
    const key = (name) =>
      `<svg width="26" height="8" aria-hidden="true"><line x1="0" y1="4" x2="26" y2="4" stroke="${style[name].colour}" stroke-width="3" stroke-dasharray="${style[name].dash.join(" ")}"/></svg>`;
    const items = compare.map((name) => `<li>${key(name)}${escapeHtml(name)}: step/η, θ (thin)</li>`).join("");
    return `<ul class="av-legend av-compare-legend" aria-label="compared optimizers"><li><b>${escapeHtml(optimizer)}</b>: bold</li>${items}</ul>`;
  }

  readout({ params, iteration: i, streams, traces, compared, recordings }, name) {
    const { eps, lr, optimizer, compare } = params;
    const t = traces[name];
    const others = compare.map((other) => {
      const colour = this.config.optimizerStyle[other].colour;
      return ` · <span style="color:${colour}">${escapeHtml(other)} ${fmt(compared[name][other].per_lr[i])}</span>`;
    });
    const comparison = compare.length ? `<div class="av-compare-readout">step/η: <b>${escapeHtml(optimizer)} ${fmt(t.per_lr[i])}</b>${others.join("")}</div>` : "";
    return (
      `<div class="av-readout" data-scenario="${escapeHtml(name)}">` +
      `<div class="av-formula">${formula(optimizer, t, eps, i)}</div>${comparison}` +
      `<div class="av-facts">iteration ${i} · g = ${fmt(streams[name][i])} · step = ${fmt(lr * t.per_lr[i])} · θ = ${fmt(t.theta[i])}</div>` +
      recordings.facts(name, i) +
      `</div>`
    );
  }

  /** What screen readers hear when the explorer stops on an iteration. */
  announce({ iteration: i, streams, traces, params }) {
    const parts = Object.keys(traces).map((name) => {
      const t = traces[name];
      return `${name}: g ${fmt(streams[name][i])}, m-hat ${fmt(t.m_hat[i])}, root v-hat ${fmt(t.sqrt_v_hat[i])}, scale ${fmt(t.scale[i])}`;
    });
    writeSlot(this.models.live, `Iteration ${i}. ${escapeHtml(parts.join("; "))}. Optimizer: ${escapeHtml(params.optimizer)}.`);
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
      } else if (entry.kind === "choices") {
        const active = params[name].map((n) => entry.options.indexOf(n));
        if (widget.active.join() !== active.join()) widget.active = active;
      } else if (entry.kind === "choice" && widget.labels !== undefined) {
        const active = entry.options.indexOf(params[name]); // a button group
        if (widget.active !== active) widget.active = active;
      } else if (entry.transform) {
        const position = sliderPosition(entry, params[name]);
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

  /** Presenter look: large type, the lecture bar (which cards show is `assign`'s business). */
  setLecture(on, params) {
    const root = this.models.root;
    const classes = root.css_classes.filter((c) => c !== "av-lecture");
    root.css_classes = on ? [...classes, "av-lecture"] : classes;
    this.models.lecture_bar.visible = on;
    for (const axis of this.models.axes) {
      axis.major_label_text_font_size = on ? "16px" : "11px";
      axis.axis_label_text_font_size = on ? "18px" : "12px";
    }
    this.lectureOn = on;
    this.arrange(params);
  }

  /**
   * Show what the settings ask for: the `controls` (each name shows its widgets; a row shows while
   * any of its children does), the `header`, each card's `panels` at `height` pixels together
   * (85% in lecture mode, where the slide needs the room and slides and keys 1–4 choose optimizers).
   */
  arrange({ controls, panels, header, height }) {
    const show = (model, visible) => {
      if (model.visible !== visible) model.visible = visible;
    };
    const { groups, containers } = this.models.controls;
    for (const [name, models] of Object.entries(groups)) for (const model of models) show(model, controls.includes(name));
    show(this.models.widgets.export, Boolean(this.config.exportUrl) && controls.includes("transport"));
    for (const container of containers) show(container, container.children.some((child) => child.visible));
    if (this.lectureOn) {
      show(this.models.optimizers_row, false);
      show(this.models.data_row, false); // a projector loads no files
      show(this.models.widgets.view, false); // the slides choose the view
      show(this.models.population.controls, false); // and its population; E still toggles β₁ = β₂
      show(this.models.valley.controls, false); // and the problem; a click on the map still moves the start
    }
    show(this.models.header, header);
    const moments = panels.includes("moments");
    const lower = panels.includes("step") || panels.includes("theta");
    const total = Math.round(height * (this.lectureOn ? LECTURE_PLOT_SHARE : 1));
    const upper = moments && lower ? Math.round(total * 0.55) : total;
    for (const card of this.models.cards) {
      const [top, bottom] = card.figures;
      show(top, moments);
      show(bottom, lower);
      show(card.moments_xaxis, !lower); // the lower panel carries the iteration axis when it is there
      const lowerHeight = moments ? total - upper : total;
      if (moments && top.height !== upper) top.height = upper;
      if (lower && bottom.height !== lowerHeight) bottom.height = lowerHeight;
      for (const drawn of card.drawn.step) show(drawn, panels.includes("step"));
      for (const drawn of card.drawn.theta) show(drawn, panels.includes("theta"));
    }
    // the many-parameters view carries a readout line per optimizer: in lecture mode its plots give way
    const populationHeight = this.lectureOn ? Math.round(total * POPULATION_LECTURE_SHARE) : total;
    for (const plot of this.models.population.figures) if (plot.height !== populationHeight) plot.height = populationHeight;
    // the closed-loop view: the map taller than a card's plots, the bowl's panels as tall; in lecture mode
    // they give way to the slide like the population's (and its cards stay hidden)
    const { map_figure: map, bowl_figures: bowlPanels } = this.models.valley;
    const mapHeight = this.lectureOn ? populationHeight : Math.round(total * MAP_SHARE);
    if (map.height !== mapHeight) map.height = mapHeight;
    for (const plot of bowlPanels) if (plot.height !== populationHeight) plot.height = populationHeight;
  }
}

/** The curve 1/√(γ² + 1) from γ = 1e-4 to 1e6, 8 points a decade: what a step at β₁ = β₂ follows. */
function lawCurve() {
  const x = Array.from({ length: 81 }, (_, k) => 10 ** (-4 + k / 8));
  return { x, y: x.map((gamma) => 1 / Math.sqrt(gamma * gamma + 1)) };
}

export { CardsView, lawCurve };
