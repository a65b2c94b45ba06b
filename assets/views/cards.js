/* adamviz cards: one card per scenario — its gradients as lollipops, m̂, √v̂, ε, step/η and θ over the
 * window, the cursors and the readout — and the plots' heights for every view.
 *
 * It only draws: what to draw is the state's (state.js), read when the state says it changed.
 */
import { writeSlot } from "../bokeh_internals.js";
import { MOMENTS_SHARE, OPTIMIZER_STYLE, PALETTE, SECOND_MOMENT } from "../contract.js";
import { ROUNDING } from "../engine/precision.js";
import { isConstant } from "../engine/schedules.js";
import { escapeHtml, fmt, swatch } from "../format.js";
import { decimate, envelope, frameSize, largest, lollipops, marksAt, niceCeil, settleRange, span, symlog, symlogTicks } from "./plot_data.js";

const LECTURE_VIEWPORT_SHARE = 0.55; // a slide's plots together, of the window's height (at least)
const LECTURE_VIEW_SHARE = 0.85; // the many-parameters and closed-loop views' plots on a slide, of a card's
const LECTURE_MIN_PANEL = 180; // px: the least a plot panel's frame gets on a slide
const TICK_AXIS_PX = 45; // px of the lower panel that its iteration axis takes, not its ticks
const LECTURE_AXIS_PX = 70; // px: the iteration axis under the lower panel at 22 px type
const MAP_SHARE = 1.3; // the closed-loop view's map, of the `height` setting (outside lecture mode)
const LOLLIPOP_PX = 3; // px an iteration needs for its own lollipop; below, a band per pixel column
const RECENT_LOLLIPOPS = 10; // over the band, the latest gradients stay lollipops
const THETA_MARKS = 8; // a compared optimizer's θ line: about this many circles across the window
const NO_BAND = { x: [], lower: [], upper: [] };
const NO_MARKS = { x: [], y: [], colour: [] };
const SCHEDULE_DASH = [2, 3]; // lr_t/η: dotted, in PALETTE.schedule
const SWITCH_DASH = [8, 4]; // where the optimizer hands over to SGD: dashed, the same grey

/** The readout's formula for one optimizer at step i (its own terms: sgd has no √v̂, ...). */
function formula(optimizer, t, eps, i, scheduled) {
  const scale = `<b class="av-scale">${fmt(t.scale[i])}</b>`;
  const per = scheduled ? "step/lr_t" : "step/η";
  if (optimizer === "sgd") return `${per} = g = ${scale}`;
  if (optimizer === "momentum") return `${per} = b = μ·b + g = ${scale}`;
  const epsDominates = eps >= 0.1 * t.sqrt_v_hat[i];
  const epsSpan = `<span class="${epsDominates ? "av-eps av-eps-hot" : "av-eps"}">${fmt(eps, 2)}</span>`;
  if (optimizer === "adafactor") return `clip(g / <span class="av-v">√v̂</span>) = clip(${fmt(t.m_hat[i])} / <span class="av-v">${fmt(t.sqrt_v_hat[i])}</span>) = ${scale}; ${per} = ${fmt(t.per_lr ? t.per_lr[i] : NaN)}`;
  if (optimizer === "adagrad") return `g / (<span class="av-v">√s</span> + ε) = ${fmt(t.m_hat[i])} / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ${epsSpan}) = ${scale}`;
  if (optimizer === "adamax") return `<span class="av-m">m̂</span> / <span class="av-v">u</span> = <span class="av-m">${fmt(t.m_hat[i])}</span> / <span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> = ${scale}`;
  if (optimizer === "radam" || optimizer === "nadam") return `${per} = ${scale}, from <span class="av-m">m̂</span> ${fmt(t.m_hat[i])} and <span class="av-v">√v̂</span> ${fmt(t.sqrt_v_hat[i])} (+ ${epsSpan})`;
  if (optimizer === "rmsprop") return `g / (<span class="av-v">√v</span> + ε) = ${fmt(t.m_hat[i])} / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ${epsSpan}) = ${scale}`;
  return (
    `<span class="av-m">m̂</span> / (<span class="av-v">√v̂</span> + ε) = ` +
    `<span class="av-m">${fmt(t.m_hat[i])}</span> / (<span class="av-v">${fmt(t.sqrt_v_hat[i])}</span> + ${epsSpan}) = ${scale}`
  );
}

/**
 * What holding the card in `precision` did by iteration i, said only where its numbers show it: θ lost
 * to ±∞ or NaN (and why, when the denominator rounded to 0), ε rounded to 0, v rounded to 0. Outside
 * float64 the note's line is there even when it says nothing.
 */
function precisionNote(precision, optimizer, eps, heldEps, t, i) {
  if (precision === "float64") return "";
  const lost = t.theta.findIndex((x) => !Number.isFinite(x));
  const said = [];
  if (lost >= 0 && lost <= i) {
    const dividedByZero = SECOND_MOMENT.includes(optimizer) && t.sqrt_v_hat[lost] === 0 && heldEps === 0;
    said.push(dividedByZero ? `θ = ${fmt(t.theta[lost])} from iteration ${lost}: √v̂ + ε rounded to 0 in ${precision}, and the step divided by it.` : `θ left ${precision}'s range at iteration ${lost} (${fmt(t.theta[lost])}).`);
  } else if (SECOND_MOMENT.includes(optimizer) && heldEps === 0) {
    said.push(`ε = ${fmt(eps, 2)} is 0 in ${precision}: only √v̂ keeps the denominator above 0.`);
  }
  if (SECOND_MOMENT.includes(optimizer) && t.sqrt_v_hat[i] === 0 && t.m_hat[i] !== 0) {
    const moment = { adagrad: "s = s + g²", adamax: "u = max(β₂·u, |g| + ε)" }[optimizer] || "v = β₂·v + (1 − β₂)·g²";
    said.push(`${moment} rounds to 0 in ${precision}, so the denominator's root is 0.`);
  }
  // (empty, it still holds its line: a note coming and going with ε would move the figures below)
  return `<div class="av-precision-note">${said.join(" ")}</div>`;
}

/** Whether iteration i's step was SGD's, after the switch (switch_at). */
const switched = ({ switch_at: at, iterations }, i) => at > 0 && at < iterations && i >= at;

class CardsView {
  constructor(models, config, state) {
    this.models = models;
    this.config = config;
    this.state = state;
    this.axes = { step: null, theta: null }; // symlog thresholds, null while linear
    for (const card of models.cards) {
      card.linear = {
        step: { ticker: card.step_axis.ticker, formatter: card.step_axis.formatter },
        theta: { ticker: card.theta_axis.ticker, formatter: card.theta_axis.formatter },
      };
    }
  }

  /** One state event: what the cards show follows it (the many-parameters view has no cards). */
  listen(event) {
    const state = this.state;
    const onCards = state.params.view !== "population";
    if (event.type === "layout") {
      if (event.arrange) this.arrange(state.params);
      this.assign(state.active, state.recordings); // writes only what changed (a new problem: its texts)
    } else if (event.type === "computed" && onCards) this.fitRanges(state.frame());
    else if (event.type === "frame" && onCards) this.render(state.frame(), event.settingsChanged);
    else if (event.type === "glide" && onCards) this.glide(state.frame());
    else if (event.type === "settled" && state.params.view === "cards") this.announce(state.frame());
  }

  /**
   * Give the cards their scenarios: card k shows `active[k]` (a lecture slide's scenario goes to the
   * first card); cards beyond hide.
   */
  assign(active, recordings) {
    const groups = new Set(); // a recorded group's description goes on its first card only
    this.models.cards.forEach((card, k) => {
      const name = k < active.length ? active[k] : null;
      const group = name !== null && recordings.has(name) ? recordings.byName[name].group : null;
      const header = name === null ? null : this.header(name, recordings, !groups.has(group));
      if (group !== null) groups.add(group);
      if (name !== card.shows) card.scaleNote = ""; // fitMoments says how the new one's scale compares
      card.headerText = header;
      this.writeHeader(card);
      card.shows = name;
      if (card.layout.visible !== (name !== null)) card.layout.visible = name !== null;
    });
  }

  /** Card `name`'s title and words: a closed loop's coordinate's for its problem (`y@rosenbrock`,
   * `y@valley-rotated`) where it has its own, else the scenario's, else a recorded run's. */
  header(name, recordings, firstOfGroup = true) {
    const { view, problem, rotated } = this.state.params;
    const keys = view === "valley" ? [`${name}@${problem}${rotated && problem === "valley" ? "-rotated" : ""}`, `${name}@${problem}`, name] : [name];
    const key = keys.find((k) => Object.hasOwn(this.config.cardHeaders, k));
    return key ? this.config.cardHeaders[key] : recordings.header(name, firstOfGroup);
  }

  /**
   * The cards' moments ranges: one span for the scenario cards (their streams compare), each its own
   * for the closed loop's coordinates and a training run's (their sizes differ by orders of magnitude),
   * and then a line under each card saying how its scale compares with the others'.
   */
  fitMoments(active, momentsOf) {
    const own = this.state.params.view === "valley" || active.some((name) => this.state.recordings.has(name));
    const shared = own ? null : span(momentsOf(active), [0, 0]);
    const reach = [];
    active.forEach((name, k) => {
      const [lo, hi] = settleRange(this.models.cards[k].y_moments, shared || span(momentsOf([name]), [0, 0]));
      reach.push(Math.max(Math.abs(lo), Math.abs(hi)));
    });
    const most = Math.max(...reach);
    active.forEach((name, k) => {
      const card = this.models.cards[k];
      const ratio = most / reach[k];
      card.scaleNote = own && active.length > 1 && ratio > 2 ? `<p class="av-facts av-scale-note">Its own y-scale: values ${fmt(ratio, 2)}× smaller than on the largest card.</p>` : "";
      this.writeHeader(card);
    });
  }

  /** The one writer of a card's header: its title and words (assign), then the note on its scale
   * (fitMoments); written only when it changed. */
  writeHeader(card) {
    const text = card.headerText === null || card.headerText === undefined ? null : card.headerText + (card.scaleNote || "");
    if (text !== null && text !== card.headerWritten) writeSlot(card.header, text);
    card.headerWritten = text;
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
    const shownIterations = window > 0 ? window : params.iterations; // the x axis's span
    // a head's stroke: 1e-4 of the x range each side (0.03–0.2 px on a 300–1920 px plot)
    const headHalf = 1e-4 * shownIterations;
    const markEvery = niceCeil(Math.max(1, shownIterations / THETA_MARKS));
    const constant = isConstant(params);
    for (const card of this.models.cards) {
      if (card.shows === null) continue;
      const name = card.shows;
      const trace = traces[name];
      const [width] = frameSize(card.figures[0]); // 0 before its first layout: take a card's usual 600 px
      const banded = this.drawGradients(card, x, streams[name], lo, iteration, shownIterations / (width || 600), headHalf);
      const curves = { m_hat: trace.m_hat, sqrt_v_hat: trace.sqrt_v_hat, step: trace.per_lr, theta: trace.theta };
      const line = decimate(x, curves, lo, iteration);
      line.step = shown(line.step, onStep);
      line.theta = shown(line.theta, onTheta);
      card.line.data = line;
      const steps = { xs: [], ys: [], colour: [], dash: [] };
      const thetas = { xs: [], ys: [], colour: [], dash: [] };
      const marks = { x: [], y: [], colour: [] };
      for (const optimizer of params.compare) {
        const other = compared[name][optimizer];
        if (!other) continue; // a run recorded every k-th step replays nothing, compared or not
        const drawn = decimate(x, { step: other.per_lr, theta: other.theta }, lo, iteration);
        const { colour, dash } = OPTIMIZER_STYLE[optimizer];
        for (const [out, values] of [
          [steps, shown(drawn.step, onStep)],
          [thetas, shown(drawn.theta, onTheta)],
        ]) {
          out.xs.push(drawn.x);
          out.ys.push(values);
          out.colour.push(colour);
          out.dash.push(dash);
        }
        for (const i of marksAt(lo, iteration, markEvery)) {
          marks.x.push(x[i]);
          marks.y.push(onTheta ? onTheta(other.theta[i]) : other.theta[i]);
          marks.colour.push(colour);
        }
      }
      const rateShare = frame.rateShareOf(name);
      const scheduled = !constant || frame.recordings.rateShare(name, 1) !== null; // lr_t/η drawn beside step/η
      if (scheduled) {
        const drawn = decimate(x, { rate: rateShare }, lo, iteration);
        steps.xs.push(drawn.x);
        steps.ys.push(shown(drawn.rate, onStep));
        steps.colour.push(PALETTE.schedule);
        steps.dash.push(SCHEDULE_DASH);
      }
      const switchAt = params.switch_at;
      if (switchAt > 0 && switchAt < params.iterations && switchAt >= lo && switchAt <= iteration) {
        // the switch to SGD: a dashed rule across the step panel, between the last step and the first
        steps.xs.push([switchAt - 0.5, switchAt - 0.5]);
        steps.ys.push([this.models.y_step.start, this.models.y_step.end]);
        steps.colour.push(PALETTE.schedule);
        steps.dash.push(SWITCH_DASH);
      }
      if (steps.xs.length || card.others.data.xs.length) {
        card.others.data = steps;
        card.others_theta.data = thetas;
        card.others_theta_marks.data = marks.x.length ? marks : NO_MARKS;
      }
      const recorded = frame.recordings.withMoments(name);
      if (settingsChanged || frame.ghosts || recorded) {
        const ghost = this.ghostData(frame, name, lo, onStep);
        if (ghost.x.length || card.ghost.data.x.length) card.ghost.data = ghost; // (none, and none shown: nothing to send)
      }
      if (settingsChanged) card.eps.location = params.eps;
      if (settingsChanged || card.banded !== banded || card.scheduled !== scheduled) writeSlot(card.legend, this.legend(params, Boolean(recorded), banded, scheduled));
      card.banded = banded;
      card.scheduled = scheduled;
      for (const cursor of card.cursors) cursor.location = iteration;
      writeSlot(card.readout, this.readout(frame, name));
    }
  }

  /**
   * The gradients g[lo..hi] as lollipops while each iteration has LOLLIPOP_PX; past that
   * (`perPixel` iterations to a pixel column), a band per column from its least to its greatest g,
   * with the latest RECENT_LOLLIPOPS still lollipops on top.
   */
  drawGradients(card, x, g, lo, hi, perPixel, headHalf) {
    const banded = perPixel > 1 / LOLLIPOP_PX;
    const drawn = card.gradientsDrawn; // a setting change leaves the gradients as they were: not sent again
    if (drawn && drawn.x === x && drawn.g === g && drawn.lo === lo && drawn.hi === hi && drawn.perPixel === perPixel && drawn.headHalf === headHalf) return banded;
    card.gradientsDrawn = { x, g, lo, hi, perPixel, headHalf };
    const from = banded ? Math.max(lo, hi - RECENT_LOLLIPOPS + 1) : lo;
    const shown = decimate(x, { g }, from, hi);
    card.grad.data = lollipops(shown.x, shown.g, headHalf);
    if (banded) card.grad_band.data = envelope(x, g, lo, hi, Math.max(1, Math.round(perPixel)));
    else if (card.grad_band.data.x.length) card.grad_band.data = NO_BAND;
    return banded;
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
    const { y_step: stepRange, y_theta: thetaRange } = this.models;
    // a recorded run's own curves count too, as far as the cards show them
    const recorded = active.filter((n) => recordings.withMoments(n)).map((n) => {
      const r = recordings.byName[n];
      const end = streams[n].length;
      return { name: n, m_hat: r.m_hat.subarray(0, end), sqrt_v_hat: r.sqrt_v_hat.subarray(0, end), per_lr: r.per_lr.subarray(0, end), theta: [] };
    });
    const momentsOf = (names) => [...names.flatMap((n) => [streams[n], traces[n].m_hat, traces[n].sqrt_v_hat]), ...recorded.filter((r) => names.includes(r.name)).flatMap((r) => [r.m_hat, r.sqrt_v_hat])];
    this.fitMoments(active, momentsOf);
    const others = [...active.flatMap((n) => Object.values(compared[n])), ...recorded];
    // per axis: the smallest linear half-width c a symlog axis takes (step/η: ±1, Adam's scale)
    for (const [axis, key, range, floor, smallestC] of [
      ["step", "per_lr", stepRange, [-1, 1], 1],
      ["theta", "theta", thetaRange, [-1e-9, 1e-9], 1e-12],
    ]) {
      const main = active.map((n) => traces[n][key]);
      const all = [...main, ...others.map((t) => t[key])];
      const c = Math.max(largest(main), smallestC);
      const mainLost = !main.some((values) => values.some(Number.isFinite)); // (a half format's θ = ±∞ from step 1)
      const symlogged = !mainLost && largest(all) > 10 * c;
      const before = this.axes[axis];
      this.axes[axis] = symlogged ? niceCeil(c) : null;
      const f = symlogged ? symlog(this.axes[axis]) : (y) => y;
      // (a change of scale, linear or symlog or another c, changes what the range's numbers mean)
      settleRange(range, span(all.map((values) => values.map(f)), symlogged ? [-1, 1] : floor), before !== this.axes[axis]);
      this.setAxis(axis, symlogged ? symlogTicks(range.start, range.end, this.tickRoom()) : null);
    }
  }

  /** How many tick labels the lower panel's axis holds without two touching (a label's height and a gap each). */
  tickRoom() {
    const bottom = this.models.cards[0].figures[1];
    const size = parseFloat(this.models.cards[0].step_axis.major_label_text_font_size) || 11;
    return Math.max(3, Math.floor((bottom.height - TICK_AXIS_PX) / (2.2 * size)));
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

  /** The key to what is drawn: the shown panels' items (and the band, where the gradients are one), then the
   * compared optimizers' colours and dashes. */
  legend(params, recorded = false, banded = false, scheduled = !isConstant(params)) {
    const { optimizer, compare, panels } = params;
    // under a schedule the step panel's items say so (step/η is lr_t/η × the scale) and key lr_t/η
    const keyed = (panel) => (panel === "step@schedule" ? scheduled && panels.includes("step") : panels.includes(panel) && !(panel === "step" && scheduled));
    const items = this.config.legendItems.filter(([panel]) => keyed(panel)).map(([, html]) => html);
    if (params.switch_at > 0 && params.switch_at < params.iterations && panels.includes("step")) items.push(`<li><span class="av-key av-key-switch"></span>switch to SGD (μ ${params.momentum}): then step/η = lr′/η × b</li>`);
    if (banded && panels.includes("moments")) items.push(`<li class="av-legend-band">band: range of g per pixel</li>`);
    if (recorded) items.push(`<li class="av-legend-recorded">faded: as the run recorded them</li>`);
    // one list: the compared optimizers' keys follow the panels' on the same lines (a slide has no room to spare)
    return `<ul class="av-legend" aria-label="legend">${items.join("")}${this.compareLegend(optimizer, compare)}</ul>`;
  }

  compareLegend(optimizer, compare) {
    if (!compare.length) return "";
    const style = OPTIMIZER_STYLE;
    const key = (name) =>
      `<svg width="26" height="8" aria-hidden="true"><line x1="0" y1="4" x2="26" y2="4" stroke="${style[name].colour}" stroke-width="3" stroke-dasharray="${style[name].dash.join(" ")}"/></svg>`;
    const circle = (name) => `<svg width="10" height="10" aria-hidden="true"><circle cx="5" cy="5" r="3.5" fill="none" stroke="${style[name].colour}" stroke-width="1.5"/></svg>`;
    const items = compare.map((name) => `<li class="av-compare-legend">${key(name)}${escapeHtml(name)}: step/η, θ ${circle(name)}</li>`).join("");
    return `<li class="av-compare-legend"><b>${escapeHtml(optimizer)}</b>: bold</li>${items}`;
  }

  readout({ params, iteration: i, streams, traces, compared, recordings, rateShareOf }, name) {
    const rateShare = rateShareOf(name);
    const scheduled = !isConstant(params) || recordings.rateShare(name, 1) !== null;
    const { eps, lr, optimizer, compare, precision = "float64" } = params;
    const heldEps = precision === "float64" ? eps : ROUNDING[precision](eps); // ε as the format holds it
    const t = traces[name];
    const others = compare.filter((other) => compared[name][other]).map((other) => {
      const colour = OPTIMIZER_STYLE[other].colour;
      return ` · ${swatch(colour)}${escapeHtml(other)} ${fmt(compared[name][other].per_lr[i])}`;
    });
    const comparison = others.length ? `<div class="av-compare-readout">step/η: <b>${escapeHtml(optimizer)} ${fmt(t.per_lr[i])}</b>${others.join("")}</div>` : "";
    return (
      `<div class="av-readout" data-scenario="${escapeHtml(name)}">` +
      `<div class="av-formula">${switched(params, i) ? `step/lr′ = b = μ·b + g = <b class="av-scale">${fmt(t.scale[i])}</b>` : formula(optimizer, t, heldEps, i, scheduled)}</div>${comparison}` +
      `<div class="av-facts">iteration ${i}${precision === "float64" ? "" : ` · ${precision}`} · g = ${fmt(streams[name][i])}${scheduled ? ` · lr_t = ${fmt(lr * rateShare[i])}` : ""} · step = ${fmt(recordings.sparse(name) ? t.step[i] : lr * t.per_lr[i])}${Number.isNaN(t.theta[i]) ? "" : ` · θ = ${fmt(t.theta[i])}`}</div>` +
      precisionNote(precision, optimizer, eps, heldEps, t, i) +
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

  /**
   * Each card's `panels` at `height` pixels together (in lecture mode, 55% of the window's height and at
   * least 180 px a panel: a projector's slide is its figure), the header, and the other views' plots in
   * proportion.
   */
  arrange({ panels, header, height }) {
    const lecture = this.state.slideScenario !== null;
    const show = (model, visible) => {
      if (model.visible !== visible) model.visible = visible;
    };
    show(this.models.header, header && !lecture); // a slide carries its own title and words
    const moments = panels.includes("moments");
    const lower = panels.includes("step") || panels.includes("theta");
    const viewport = globalThis.innerHeight || 900;
    const total = lecture ? Math.max(2 * LECTURE_MIN_PANEL + LECTURE_AXIS_PX, Math.ceil(LECTURE_VIEWPORT_SHARE * viewport)) : height;
    // on a slide the lower panel also carries the iteration axis's large ticks and label: the two frames match
    const upper = moments && lower ? Math.round(lecture ? (total - LECTURE_AXIS_PX) / 2 : total * MOMENTS_SHARE) : total;
    for (const card of this.models.cards) {
      const [top, bottom] = card.figures;
      show(top, moments);
      show(bottom, lower);
      show(card.header, !lecture); // the slide is the card's title
      show(card.moments_xaxis, !lower); // the lower panel carries the iteration axis when it is there
      const lowerHeight = moments ? total - upper : total;
      if (moments && top.height !== upper) top.height = upper;
      if (lower && bottom.height !== lowerHeight) bottom.height = lowerHeight;
      for (const drawn of card.drawn.step) show(drawn, panels.includes("step"));
      for (const drawn of card.drawn.theta) show(drawn, panels.includes("theta"));
    }
    // the many-parameters view carries a readout line per optimizer: in lecture mode its plots give way
    // (on a slide their headers and readouts take more room than a card's: their plots give a little back)
    const populationHeight = lecture ? Math.round(total * LECTURE_VIEW_SHARE) : total;
    for (const plot of this.models.population.figures) if (plot.height !== populationHeight) plot.height = populationHeight;
    // the closed-loop view: the map taller than a card's plots, the bowl's panels as tall; in lecture mode
    // they give way to the slide like the population's (and its cards stay hidden)
    const { map_figure: map, bowl_figures: bowlPanels } = this.models.valley;
    const mapHeight = lecture ? populationHeight : Math.round(total * MAP_SHARE);
    if (map.height !== mapHeight) map.height = mapHeight;
    for (const plot of bowlPanels) if (plot.height !== populationHeight) plot.height = populationHeight;
  }
}

export { CardsView };
