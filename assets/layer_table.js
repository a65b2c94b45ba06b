/* adamviz layer table: every recorded group of a loaded run, summarised as adamviz.record.summary()
 * does (the same rule, the same numbers: tests/test_state_node.py holds them equal), and the grid the
 * Layers view paints — r_t's p50 per group and recorded step. No DOM.
 */
import { LAYER_RULES } from "./contract.js";

const MAX_COLUMNS = 1200; // the heatmap's columns at most: about one per pixel of a wide screen

/** numpy.median of `values` (a copy is sorted): the middle one, or the mean of the two middle ones. */
function median(values) {
  const sorted = Float64Array.from(values).sort();
  const half = sorted.length >> 1;
  return sorted.length % 2 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}

/**
 * Each group's row, as adamviz.record.summary(run): {name, shape, records, lastStep, end, recent,
 * frozen} — `end` the (p10, p50, p90) of r_t at the last record, `recent` the median of each over the
 * last tenth of the records, `frozen` whether recent p90 < LAYER_RULES.frozenP90 (null: a gradient log).
 */
function summarize(run) {
  return run.groups.map((group) => {
    const records = group.steps.length;
    const row = { name: group.name, shape: group.shape, records, lastStep: group.steps[records - 1], end: null, recent: null, frozen: null };
    const p = group.percentiles;
    if (!p) return row;
    const tail = Math.max(1, Math.ceil(LAYER_RULES.recentFraction * records));
    row.end = [p[3 * records - 3], p[3 * records - 2], p[3 * records - 1]];
    row.recent = [0, 1, 2].map((q) => {
      const column = new Float64Array(tail);
      for (let r = 0; r < tail; r++) column[r] = p[3 * (records - tail + r) + q];
      return median(column);
    });
    row.frozen = row.recent[2] < LAYER_RULES.frozenP90;
    return row;
  });
}

/**
 * The heatmap's grid: `steps`, the recorded steps it shows (all of them, or every k-th beyond
 * MAX_COLUMNS), and `values`, groups × steps row-major — r_t's p50, NaN where a group has no record.
 */
function p50Grid(run) {
  const all = new Set();
  for (const group of run.groups) for (const step of group.steps) all.add(step);
  const union = [...all].sort((a, b) => a - b);
  const stride = Math.ceil(union.length / MAX_COLUMNS);
  const steps = union.filter((_, j) => j % stride === 0);
  const column = new Map(steps.map((step, j) => [step, j]));
  const values = new Float64Array(run.groups.length * steps.length).fill(NaN);
  run.groups.forEach((group, row) => {
    if (!group.percentiles) return;
    group.steps.forEach((step, r) => {
      const j = column.get(step);
      if (j !== undefined) values[row * steps.length + j] = group.percentiles[3 * r + 1];
    });
  });
  return { steps, values };
}

/** The distinct learning-rate schedules of `run`'s groups: [{steps, lr, groups: [names]}] (a group
 * without recorded rates steps with its settings' lr throughout). */
function rateLines(run) {
  const lines = [];
  for (const group of run.groups) {
    const constant = (group.settings && group.settings.lr) || run.meta.lr;
    const lr = group.lr || (constant ? Array.from(group.steps, () => constant) : null);
    if (!lr) continue;
    const same = lines.find((line) => line.lr.length === lr.length && line.lr.every((x, i) => x === lr[i]) && line.steps.every((s, i) => s === group.steps[i]));
    if (same) same.groups.push(group.name);
    else lines.push({ steps: group.steps, lr, groups: [group.name] });
  }
  return lines;
}

export { MAX_COLUMNS, median, p50Grid, rateLines, summarize };
