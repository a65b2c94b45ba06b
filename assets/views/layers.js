/* adamviz Layers view: every recorded group of the loaded training run at a glance — r_t's p50 per group
 * and recorded step as a heatmap (log colours), the groups' lr_t above it on the same time axis, the
 * p10–p90 band of the row under the pointer below, frozen groups outlined. Clicking a row opens its
 * coordinates' cards at the same iteration. The numbers are layer_table.js's; this view draws them.
 */
import { imageArray, writeSlot } from "../bokeh_internals.js";
import { LAYER_RULES, PALETTE } from "../contract.js";
import { p50Grid, rateLines, summarize } from "../layer_table.js";
import { escapeHtml, fmt } from "../format.js";
import { logTicks, positiveExtent } from "./plot_data.js";

const ROW_PIXELS = 18; // each group's row (its name is 11 px type)
const MAX_NAMED_ROWS = 48; // beyond this, every k-th row is named (the rest still hover)
const NAME_CHARACTERS = 24; // a name longer than this keeps its end: "…1.attn.qkv.weight"
const NARROW = 640; // a window narrower than this (a phone) gets shorter names and margins
const FROZEN_DASH = [5, 3];

const narrow = () => (globalThis.innerWidth || NARROW) < NARROW;
const shortName = (name, most = narrow() ? 14 : NAME_CHARACTERS) => (name.length > most ? `…${name.slice(-(most - 1))}` : name);
const shapeOf = (shape) => shape.join("×");
const listed = (rows) => rows.map((row) => `${escapeHtml(row.name)} (${fmt(row.recent[1], 2)})`).join(", ");

class LayersView {
  /** `showCards(k, changes)`: the wiring's (explorer.js), resolved once page k's cards show. */
  constructor(models, config, state, showCards) {
    this.models = models.layers;
    this.root = models.root; // its theme class says which ink the outlines take
    this.text = config.layers.text;
    this.state = state;
    this.showCards = showCards;
    this.drawn = undefined; // the run last drawn (null: none loaded)
    this.rows = [];
    this.grid = null;
    this.pointed = null; // the row under the pointer, or null
    this.pointedStep = null;
  }

  get run() {
    return this.state.recordings.run;
  }

  /** One state event, when this view is on screen. */
  listen(event) {
    if (this.state.params.view !== "layers") return;
    if (event.type === "layout" || event.type === "frame") {
      if (this.drawn !== this.run) this.draw();
      this.moveCursor();
    }
  }

  /** The recorded step the iteration shows (the cards' record i is each group's i-th record). */
  cursorStep() {
    const steps = this.run.groups[0].steps;
    return steps[Math.min(this.state.iteration, steps.length - 1)];
  }

  moveCursor() {
    if (!this.grid) return;
    const step = this.cursorStep();
    for (const cursor of this.models.cursors) if (cursor.location !== step) cursor.location = step;
    if (this.pointed === null) writeSlot(this.models.readout, this.readout());
  }

  /** Draw the loaded run (or say there is none). */
  draw() {
    const run = this.run;
    const m = this.models;
    this.drawn = run;
    this.pointed = null;
    this.grid = null;
    if (!run || !run.groups.some((g) => g.percentiles)) {
      const words = run ? this.text.no_percentiles.replace("{source}", run.source) : this.text.empty;
      writeSlot(m.findings, `<p class="av-view-text">${escapeHtml(words)}</p>`);
      writeSlot(m.readout, "");
      m.marks.data = { x: [], y: [], width: [], colour: [], dash: [] };
      m.rates.data = { xs: [], ys: [], dash: [] };
      m.band.data = m.band_median.data = { x: [], y: [] };
      return;
    }
    this.rows = summarize(run);
    const grid = (this.grid = p50Grid(run));
    const { steps, values } = grid;
    const groups = run.groups.length;
    const spacing = steps.length > 1 ? (steps[steps.length - 1] - steps[0]) / (steps.length - 1) : 1;
    const [x0, x1] = [steps[0] - spacing / 2, steps[steps.length - 1] + spacing / 2];
    [m.x_range.start, m.x_range.end] = [x0, x1];
    let [lo, hi] = positiveExtent(values);
    if (!(hi > 0)) [lo, hi] = [1e-3, 1];
    if (hi / lo < 10) [lo, hi] = [Math.sqrt(lo * hi) / Math.sqrt(10), Math.sqrt(lo * hi) * Math.sqrt(10)];
    const shown = values.map((v) => (Number.isNaN(v) ? v : Math.max(v, lo))); // 0 (nothing moved) in the darkest colour
    [m.mapper.low, m.mapper.high] = [lo, hi];
    m.bar_ticks.ticks = logTicks(lo, hi);
    m.heat.data = { image: [imageArray(m.heat, shown, groups, steps.length)], x: [x0], y: [-0.5], dw: [x1 - x0], dh: [groups] };
    [m.rows.start, m.rows.end] = [groups - 0.5, -0.5];
    const every = Math.ceil(groups / MAX_NAMED_ROWS);
    m.names.ticks = this.rows.map((_, k) => k).filter((k) => k % every === 0);
    // (a Map keyed by the tick itself: BokehJS looks the labels up by number)
    m.group_axis.major_label_overrides = new Map(this.rows.map((row, k) => [k, `${shortName(row.name)}${row.frozen ? " ·frozen" : ""}`]));
    const height = Math.min(900, Math.max(160, groups * ROW_PIXELS + 60));
    if (m.heat_plot.height !== height) m.heat_plot.height = height;
    const [left, right] = narrow() ? [96, 64] : [170, 90]; // the names' and the colour bar's room, on all three plots
    for (const plot of m.figures) if (plot.min_border_left !== left) [plot.min_border_left, plot.min_border_right] = [left, right];
    const lines = rateLines(run);
    let top = 0;
    for (const line of lines) for (const x of line.lr) top = Math.max(top, x);
    m.rates.data = { xs: lines.map((l) => Array.from(l.steps)), ys: lines.map((l) => Array.from(l.lr)), dash: lines.map((_, k) => (k ? [6, 3] : [])) };
    [m.rate_range.start, m.rate_range.end] = [0, top > 0 ? top * 1.08 : 1];
    this.lines = lines;
    this.showBand(this.defaultRow());
    this.mark();
    writeSlot(m.findings, this.findings());
    writeSlot(m.readout, this.readout());
  }

  /** The row the band shows when the pointer is elsewhere: the group with the smallest recent p50. */
  defaultRow() {
    let best = 0;
    this.rows.forEach((row, k) => {
      if (row.recent && (!this.rows[best].recent || row.recent[1] < this.rows[best].recent[1])) best = k;
    });
    return best;
  }

  /** Outline the frozen rows (dashed) and the row under the pointer (solid). */
  mark() {
    const dark = this.root.css_classes.includes("av-theme-dark");
    const ink = PALETTE[dark ? "ink_on_dark" : "ink"];
    const [x0, x1] = [this.models.x_range.start, this.models.x_range.end];
    const data = { x: [], y: [], width: [], colour: [], dash: [] };
    const add = (row, colour, dash) => {
      data.x.push((x0 + x1) / 2);
      data.y.push(row);
      data.width.push(x1 - x0);
      data.colour.push(colour);
      data.dash.push(dash);
    };
    this.rows.forEach((row, k) => row.frozen && add(k, ink, FROZEN_DASH));
    if (this.pointed !== null) add(this.pointed, PALETTE.sqrt_v_hat, []);
    this.models.marks.data = data;
  }

  /** Row k's r_t over the run: its p10–p90 band and p50 line. */
  showBand(k) {
    const m = this.models;
    const group = this.run.groups[k];
    this.banded = k;
    m.band_label.text = `${shortName(group.name)}: r_t p10–p90 (band), p50 (line)`;
    if (!group.percentiles) {
      m.band.data = m.band_median.data = { x: [], y: [] };
      return;
    }
    const p = group.percentiles;
    const steps = Array.from(group.steps);
    const p10 = steps.map((_, r) => p[3 * r]);
    const p50 = steps.map((_, r) => p[3 * r + 1]);
    const p90 = steps.map((_, r) => p[3 * r + 2]);
    let [lo, hi] = positiveExtent([...p10, ...p90]);
    if (!(hi > 0)) [lo, hi] = [1e-3, 1];
    const floor = lo / 1.5;
    const clamp = (x) => Math.max(x, floor); // a log axis cannot show 0
    m.band.data = { x: [...steps, ...steps.slice().reverse()], y: [...p10.map(clamp), ...p90.map(clamp).reverse()] };
    m.band_median.data = { x: steps, y: p50.map(clamp) };
    [m.band_range.start, m.band_range.end] = [floor, hi * 1.5];
  }

  /** What the map shows, in sentences that hold for this run (computed from it, as summary() does). */
  findings() {
    const t = this.text;
    const rows = this.rows.filter((row) => row.recent);
    const records = this.run.groups[0].steps.length;
    const [first, last] = [this.grid.steps[0], this.grid.steps[this.grid.steps.length - 1]];
    const byP50 = rows.slice().sort((a, b) => a.recent[1] - b.recent[1]);
    const few = Math.min(3, Math.floor(byP50.length / 2));
    const frozen = rows.filter((row) => row.frozen);
    const threshold = `${LAYER_RULES.frozenP90 * 100}%`;
    const parts = [`<b>${escapeHtml(this.run.source)}</b>: ${rows.length} group${rows.length === 1 ? "" : "s"}, ${records} records from step ${first} to ${last}.`];
    if (few > 0) {
      parts.push(`Smallest r_t p50 over the last 10%: ${listed(byP50.slice(0, few))}; largest: ${listed(byP50.slice(-few).reverse())}.`);
    }
    parts.push(
      frozen.length
        ? `${t.frozen_some.replace("{count}", String(frozen.length)).replace("{threshold}", threshold)} ${frozen.map((row) => escapeHtml(row.name)).join(", ")}.`
        : t.frozen_none.replace("{threshold}", threshold),
    );
    return `<p class="av-view-text">${parts.join(" ")}</p>`;
  }

  /** The readout: the row under the pointer at its step, or the cursor's step and lr_t. */
  readout() {
    if (!this.grid) return "";
    if (this.pointed === null) {
      const step = this.cursorStep();
      const rates = this.lines.map((line) => {
        const r = Math.max(0, line.steps.indexOf(step));
        return fmt(line.lr[r]);
      });
      return `step ${step}: lr_t ${rates.join(" / ")} · ${escapeHtml(this.text.hint)}`;
    }
    const group = this.run.groups[this.pointed];
    const row = this.rows[this.pointed];
    const r = nearest(group.steps, this.pointedStep);
    const p = group.percentiles;
    const numbers = p ? `r_t p10 ${fmt(p[3 * r])} · p50 ${fmt(p[3 * r + 1])} · p90 ${fmt(p[3 * r + 2])}` : "no r_t recorded";
    const rate = group.lr ? ` · lr_t ${fmt(group.lr[r])}` : "";
    const state = row.frozen ? ` · ${escapeHtml(this.text.frozen_word)}` : "";
    return `<b>${escapeHtml(group.name)}</b> (${shapeOf(group.shape)}) at step ${group.steps[r]}: ${numbers}${rate}${state} · ${escapeHtml(this.text.click)}`;
  }

  /** The pointer moved over the map to (x, y) in data units (null: it left). */
  hover(x, y) {
    if (!this.grid) return;
    const row = y === null ? null : Math.round(y);
    const inside = row !== null && row >= 0 && row < this.rows.length;
    const pointed = inside ? row : null;
    const step = inside ? x : null;
    if (pointed === this.pointed && (pointed === null || nearest(this.run.groups[pointed].steps, step) === nearest(this.run.groups[pointed].steps, this.pointedStep))) return;
    const rowChanged = pointed !== this.pointed;
    [this.pointed, this.pointedStep] = [pointed, step];
    if (rowChanged) {
      this.mark();
      this.showBand(pointed === null ? this.defaultRow() : pointed);
    }
    writeSlot(this.models.readout, this.readout());
  }

  /** A click on the map at height y: the cards of that row's coordinates, at the same iteration. */
  open(y) {
    if (!this.grid) return undefined;
    const row = Math.round(y);
    if (!(row >= 0 && row < this.rows.length)) return undefined;
    const page = this.state.recordings.pageOf(this.run.groups[row].name);
    return page ? this.showCards(page, { view: "cards" }) : undefined;
  }

  /** The theme flipped: the outlines take its ink. */
  redraw() {
    if (this.state.params.view !== "layers" || !this.grid) return false;
    this.mark();
    return true;
  }
}

/** The index of the value in sorted `steps` nearest `x`. */
function nearest(steps, x) {
  let [lo, hi] = [0, steps.length - 1];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(steps[hi] - x) < Math.abs(x - steps[lo]) ? hi : lo;
}

export { LayersView };
