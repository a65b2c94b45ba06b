/* adamviz engine, many parameters: adamviz.sim.population in the page, and r_t's percentiles per step.
 *
 * The generators yield between blocks of rows (at most ROWS_WORK parameter-steps each) so that a page
 * can spread the work over frames.
 */
import { PERCENTILES } from "../contract.js";
import { adamRowsKernel } from "./adam_rows.js";
import { powers, stepper } from "./optimizers.js";
import { learningRates } from "./schedules.js";
import { uniforms } from "./random.js";

/** u in [0, 1) -> 10^k * grid[j], grid point floor(u * N) of the N = (high - low) * grid.length
 * points from 10^low up (adamviz.sim.population._log_uniform; `grid` is its LOG_GRID). */
function logUniform(u, low, high, grid) {
  const index = Math.floor(u * ((high - low) * grid.length));
  const decade = Number(`1e${low + Math.floor(index / grid.length)}`); // 10^k, correctly rounded
  return decade * grid[index % grid.length];
}

/**
 * adamviz.sim.population_parameters, bit for bit: per parameter its gradient's magnitude (RMS),
 * spread γ = σ/|μ|, the mean μ and half-width σ√3 of an active step, and whether it is sparse.
 */
export function populationParameters(nParams, seed, shape, grid) {
  const u = new Float64Array(4 * nParams);
  uniforms(seed)(u, 0, 4 * nParams);
  const out = {
    magnitude: new Float64Array(nParams),
    spread: new Float64Array(nParams),
    mean: new Float64Array(nParams),
    noise: new Float64Array(nParams),
    sparse: new Uint8Array(nParams),
  };
  const p = shape.sparse_probability;
  const sqrt3 = Math.sqrt(3);
  for (let i = 0; i < nParams; i++) {
    const s = logUniform(u[i], shape.magnitude_low, shape.magnitude_high, grid);
    const gamma = logUniform(u[nParams + i], shape.spread_low, shape.spread_high, grid);
    const root = Math.sqrt(gamma * gamma + 1);
    const mean = (u[2 * nParams + i] < 0.5 ? 1 : -1) * (s / root);
    const sparse = u[3 * nParams + i] < shape.sparse_fraction;
    out.mean[i] = mean;
    out.noise[i] = ((s * gamma) / root) * sqrt3;
    out.sparse[i] = sparse ? 1 : 0;
    out.magnitude[i] = sparse ? Math.sqrt(p) * s : s;
    out.spread[i] = sparse ? Math.sqrt((s * s) / (p * (mean * mean)) - 1) : gamma;
  }
  return out;
}

/** adamviz.sim.population(nParams, iterations, seed, **shape), bit for bit: {parameters, g} with
 * g a Float64Array of iterations rows of nParams gradients (row t holds step t + 1). */
export function population(nParams, iterations, seed, shape, grid) {
  return finish(populationSteps(nParams, iterations, seed, shape, grid));
}

/** `population` as a generator that yields between blocks of rows (see populationRun). */
export function* populationSteps(nParams, iterations, seed, shape, grid) {
  const parameters = populationParameters(nParams, seed, shape, grid);
  const g = new Float64Array(iterations * nParams);
  const draw = uniforms(seed, 4 * nParams);
  const p = shape.sparse_probability;
  const rowsPerYield = Math.max(1, Math.floor(ROWS_WORK / nParams / 4)); // drawing costs ~4 steps
  for (let t = 0; t < iterations; t++) {
    const row = t * nParams;
    draw(g, row, nParams);
    for (let i = 0; i < nParams; i++) {
      const u = g[row + i];
      const sparse = parameters.sparse[i] === 1;
      const w = (sparse ? u / p : u) * 2 - 1;
      g[row + i] = !sparse || u < p ? parameters.mean[i] + parameters.noise[i] * w : 0;
    }
    if ((t + 1) % rowsPerYield === 0) yield t + 1;
  }
  return { parameters, g };
}

/** About how many parameter-steps a generator below does between yields (a few ms of a page's time). */
export const ROWS_WORK = 100000;


/** numpy's virtual index (n − 1)·(q/100) of each q of PERCENTILES among n values, split into the
 * order statistic below it and the fraction γ of the way to the next. */
function ranks(n) {
  return PERCENTILES.map((q) => {
    const index = (n - 1) * (q / 100);
    const below = Math.min(Math.floor(index), n - 1);
    return { below, gamma: index - below };
  });
}

/** numpy's linear interpolation between the order statistics a (at the floor) and b (the next):
 * a + (b − a)·γ, or b − (b − a)·(1 − γ) when γ ≥ 1/2. */
function interpolate(a, b, gamma) {
  const difference = b - a;
  return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma;
}

/**
 * numpy.percentile(values, q) by its default ("linear") method, for each q of PERCENTILES, into
 * out[at ...]; `values` is reordered in place. The order statistics are found by selection, not a
 * full sort: the same values, in a third of the time.
 */
export function percentilesInto(values, out, at) {
  const n = values.length;
  const wanted = ranks(n);
  let from = 0;
  for (const { below } of wanted) {
    if (below >= from) select(values, below, from, n - 1);
    from = below + 1;
  }
  wanted.forEach(({ below, gamma }, k) => {
    const a = values[below];
    // the next order statistic: the smallest value after a (all there are >= a), up to the next selected one
    const end = k + 1 < wanted.length ? wanted[k + 1].below : n - 1;
    out[at + k] = interpolate(a, below + 1 <= n - 1 ? smallest(values, below + 1, end) : a, gamma);
  });
}

/** The smallest of values[from..to], to inclusive (values[from] itself where to < from). */
function smallest(values, from, to) {
  let least = values[from];
  for (let i = from + 1; i <= to; i++) if (values[i] < least) least = values[i];
  return least;
}

/**
 * percentilesInto for rows that change a little from one to the next (r_t over parameters, step
 * after step): `into(values, out, at)` gives the same numbers, found near the last row's. Each
 * percentile's two order statistics are looked for among the values within a bracket around the last
 * row's (±`width` of it): one pass counts the values below each bracket and gathers those inside,
 * and a selection among the few gathered finds them. Where one is not inside its bracket (a jump, the
 * first row, a bracket at 0 while the values leave it), that row is done by percentilesInto and the
 * bracket widened; a bracket holding over 1/16 of the values is narrowed. Every order statistic is
 * exact either way: only the time taken depends on the guess.
 */
export function nearbyPercentiles(n) {
  // (a bracket's relative half-width stays above 2^-20: the gathering test's slack, 1e-7 of a
  // bracket, then stays a thousand times the rounding of x − middle, so nothing inside slips out)
  const NARROWEST = 2 ** -20;
  const wanted = ranks(n);
  const count = wanted.length;
  if (count !== 3) return percentilesInto; // (the gathering pass below is written out for three)
  const gathered = Array.from({ length: count }, () => new Float64Array(n));
  const sizes = new Int32Array(count);
  const belowBracket = new Int32Array(count);
  const low = new Float64Array(count);
  const high = new Float64Array(count);
  const width = new Float64Array(count).fill(1 / 64);
  const last = new Float64Array(count).fill(NaN); // the last row's order statistics a (NaN: none yet)
  const found = new Float64Array(2);
  const results = new Float64Array(count); // (written to out only once every percentile is found)

  /** Gather, for each percentile, the values inside its bracket (and count those below it); false
   * where a value is NaN. */
  function gather(values) {
    for (let k = 0; k < count; k++) {
      low[k] = last[k] - Math.abs(last[k]) * width[k];
      high[k] = last[k] + Math.abs(last[k]) * width[k];
    }
    sizes.fill(0);
    belowBracket.fill(0);
    let ordered = true; // no NaN (which is neither below, in nor above a bracket)
    // (PERCENTILES has three, written out so that the loop runs in registers; the counts add a
    // comparison's 0 or 1 rather than branch — V8 compiles `+(x < low)` without a branch but
    // `x < low ? 1 : 0` with one, 4.4 against 15 µs a row of 1,000 in Chromium — and a value is
    // tested against a bracket's ends only when it is near it: on a random row both branch on every
    // value, and a mispredicted branch costs more than the test)
    const [low0, low1, low2] = low;
    const [high0, high1, high2] = high;
    const [gathered0, gathered1, gathered2] = gathered;
    // |x − middle| <= reach holds for every x in [low, high] (reach a hair over half the width)
    const [middle0, middle1, middle2] = [0, 1, 2].map((k) => (low[k] + high[k]) / 2);
    const [reach0, reach1, reach2] = [0, 1, 2].map((k) => (high[k] - low[k]) * 0.5000001);
    let below0 = 0;
    let below1 = 0;
    let below2 = 0;
    let size0 = 0;
    let size1 = 0;
    let size2 = 0;
    for (let i = 0; i < n; i++) {
      const x = values[i];
      below0 += +(x < low0);
      below1 += +(x < low1);
      below2 += +(x < low2);
      if (Math.abs(x - middle0) <= reach0 && x >= low0 && x <= high0) gathered0[size0++] = x;
      if (Math.abs(x - middle1) <= reach1 && x >= low1 && x <= high1) gathered1[size1++] = x;
      if (Math.abs(x - middle2) <= reach2 && x >= low2 && x <= high2) gathered2[size2++] = x;
      if (x !== x) ordered = false;
    }
    belowBracket[0] = below0;
    belowBracket[1] = below1;
    belowBracket[2] = below2;
    sizes[0] = size0;
    sizes[1] = size1;
    sizes[2] = size2;
    return ordered;
  }

  /** The order statistics at rank (within the bracket) `rank` and the next, into found; false where
   * they are not both inside the bracket. */
  function within(k, rank) {
    const size = sizes[k];
    if (rank < 0 || rank + 1 >= size) return false;
    const values = gathered[k];
    select(values, rank, 0, size - 1);
    found[0] = values[rank];
    found[1] = smallest(values, rank + 1, size - 1);
    return true;
  }

  return function into(values, out, at) {
    if (n < 64 || Number.isNaN(last[0] + last[1] + last[2])) {
      percentilesInto(values, out, at);
      remember(values);
      return;
    }
    if (!gather(values)) {
      percentilesInto(values, out, at);
      return;
    }
    for (let k = 0; k < count; k++) {
      if (!within(k, wanted[k].below - belowBracket[k])) {
        width[k] = Math.min(width[k] * 4, 1);
        percentilesInto(values, out, at);
        remember(values);
        return;
      }
      if (sizes[k] > n / 16) width[k] = Math.max(width[k] / 2, NARROWEST);
      results[k] = interpolate(found[0], found[1], wanted[k].gamma);
      last[k] = found[0];
    }
    for (let k = 0; k < count; k++) out[at + k] = results[k];
  };

  /** After percentilesInto: its order statistics a are in place (values[below]). */
  function remember(values) {
    for (let k = 0; k < count; k++) last[k] = values[wanted[k].below];
  }
}

/**
 * Reorder values[lo..hi] so that values[k] holds the value it would hold sorted, everything before
 * it is <= and everything after it >= (Hoare's selection with a median-of-three pivot, after
 * Numerical Recipes' `select`).
 */
function select(values, k, lo, hi) {
  const swap = (i, j) => {
    const t = values[i];
    values[i] = values[j];
    values[j] = t;
  };
  let left = lo;
  let right = hi;
  for (;;) {
    if (right <= left + 1) {
      if (right === left + 1 && values[right] < values[left]) swap(left, right);
      return;
    }
    swap((left + right) >> 1, left + 1);
    if (values[left] > values[right]) swap(left, right);
    if (values[left + 1] > values[right]) swap(left + 1, right);
    if (values[left] > values[left + 1]) swap(left, left + 1);
    let i = left + 1;
    let j = right;
    const pivot = values[left + 1];
    for (;;) {
      do i++;
      while (values[i] < pivot);
      do j--;
      while (values[j] > pivot);
      if (j < i) break;
      swap(i, j);
    }
    values[left + 1] = values[j];
    values[j] = pivot;
    if (j >= k) right = j - 1;
    if (j <= k) left = i;
  }
}

/** A run's |step|/η and γ̂ per step and parameter (Float32Arrays, with `keep`; else null) and their
 * extent, none yet: [smallest positive, largest] of each. `spare`: arrays of an earlier run that
 * nothing reads any more, {perLr, spreadHat}, used where their length fits (a run writes every entry). */
function keptValues(keep, iterations, width, spare = null) {
  const array = (old) => (old && old.length === iterations * width ? old : new Float32Array(iterations * width));
  return {
    perLr: keep ? array(spare && spare.perLr) : null,
    spreadHat: keep ? array(spare && spare.spreadHat) : null,
    extent: { perLr: [Infinity, 0], spreadHat: [Infinity, 0] },
  };
}

/**
 * The r_t diagnostic of `optimizer` over a population's gradients `g` (rows of `width`): per step
 * the PERCENTILES of r_t = |scale| over parameters (a Float64Array of iterations × 3). With
 * `keep`, also per step and parameter |step|/η and the estimated spread γ̂ = √(v̂ − m̂²)/|m̂|
 * (NaN where m̂ = 0 or there is no v̂) as Float32Arrays, for the scatter, and `extent`: the smallest
 * positive and the largest value of each. A generator: it yields between blocks of rows so that a
 * page can spread the work over frames; its return value is {percentiles, perLr, spreadHat, extent}.
 * `fast`: Adam's rows on adam_rows.wat where it runs (false: in JavaScript, which tests hold it to).
 */
export function* populationRun(g, width, iterations, optimizer, settings, keep, fast = true) {
  const r = new Float64Array(width);
  const percentilesOf = nearbyPercentiles(width);
  const percentiles = new Float64Array(iterations * PERCENTILES.length);
  const kept = keptValues(keep, iterations, width);
  const row = rowStepper(optimizer, settings, width, iterations, r, keep ? kept : null, fast);
  const rowsPerYield = Math.max(1, Math.floor(ROWS_WORK / width));
  for (let t = 0; t < iterations; t++) {
    row(t, g);
    percentilesOf(r, percentiles, t * PERCENTILES.length);
    if ((t + 1) % rowsPerYield === 0) yield t + 1;
  }
  return { percentiles, perLr: kept.perLr, spreadHat: kept.spreadHat, extent: kept.extent };
}

/**
 * populationRun split by columns, for threads. Each block of the population's columns is stepped on
 * its own (`columnRun`, a worker's share); the rows are cut into chunks, and chunk c's percentiles are
 * taken by block c mod B's owner once it has every block's part of those rows (`ChunkPercentiles`).
 * Every parameter steps alone and each row's percentiles are those of the same values, so the numbers
 * are populationRun's to the bit (tests/test_population.py); |step|/η and γ̂ stay in their blocks
 * (`keptRow` reads a step's row from either form).
 *
 * `columnRun`: `g` holds the block's gradients (iterations × width, row-major). Yields each chunk of
 * `rows` rows as {from, to, r} (r in an array of its own: a page hands it to another thread); returns
 * {extent, perLr, spreadHat} (the last two with `keep`, the whole block's). `spare`: arrays nothing
 * reads any more, reused where their length fits — {chunks: [Float64Array], perLr, spreadHat} (a
 * worker's, so that a control change does not leave megabytes to the garbage collector).
 */
export function* columnRun(g, width, iterations, optimizer, settings, keep, rows, spare = null) {
  const r = new Float64Array(width);
  const kept = keptValues(keep, iterations, width, spare);
  if (keep && spare) [spare.perLr, spare.spreadHat] = [null, null]; // (this run's now)
  const row = rowStepper(optimizer, settings, width, iterations, r, keep ? kept : null);
  const chunks = spare ? spare.chunks : [];
  for (let from = 0; from < iterations; from += rows) {
    const to = Math.min(iterations, from + rows);
    const length = (to - from) * width;
    const k = chunks.findIndex((c) => c.length === length);
    const chunk = { from, to, r: k >= 0 ? chunks.splice(k, 1)[0] : new Float64Array(length) };
    for (let t = from; t < to; t++) {
      row(t, g);
      chunk.r.set(r, (t - from) * width);
    }
    yield chunk;
  }
  return kept;
}

/** Where each block of `widths` columns starts. */
export function blockOffsets(widths) {
  return widths.map((_, b) => widths.slice(0, b).reduce((a, w) => a + w, 0));
}

/** The percentiles of the chunks one block owns (each chunk's rows put together from every block's
 * part), in order: later rows look for theirs near the earlier ones' (nearbyPercentiles). */
export class ChunkPercentiles {
  /** `widths`: each block's columns, in column order. */
  constructor(widths) {
    this.widths = widths;
    this.offsets = blockOffsets(widths);
    this.row = new Float64Array(widths.reduce((a, w) => a + w, 0));
    this.percentilesOf = nearbyPercentiles(this.row.length);
  }

  /** `parts[b]`: block b's r for the same rows (rows × widths[b]); returns their percentiles (rows × 3). */
  of(parts) {
    const rows = parts[0].length / this.widths[0];
    const out = new Float64Array(rows * PERCENTILES.length);
    for (let t = 0; t < rows; t++) {
      for (let b = 0; b < parts.length; b++) {
        const w = this.widths[b];
        this.row.set(parts[b].subarray(t * w, (t + 1) * w), this.offsets[b]);
      }
      this.percentilesOf(this.row, out, t * PERCENTILES.length);
    }
    return out;
  }
}

/** The blocks' extents (columnRun's) as one, as populationRun finds it over all columns. */
export function joinedExtent(extents) {
  const { extent } = keptValues(false);
  for (const block of extents) {
    for (const key of ["perLr", "spreadHat"]) {
      extent[key][0] = Math.min(extent[key][0], block[key][0]);
      extent[key][1] = Math.max(extent[key][1], block[key][1]);
    }
  }
  return extent;
}

/** Step t's row (`width` values) of a run's kept `key` ("perLr" or "spreadHat"): populationRun's
 * whole array, or a run's `blocks` [{offset, width, perLr, spreadHat}] (columnRun's, put together). */
export function keptRow(run, key, t, width) {
  if (run[key]) return run[key].subarray(t * width, (t + 1) * width);
  const row = new Float32Array(width);
  for (const block of run.blocks) row.set(block[key].subarray(t * block.width, (t + 1) * block.width), block.offset);
  return row;
}

/** The rows of `g` (rows of `total`) cut into blocks of `widths` columns, each an array of its own;
 * a generator that yields between blocks of rows (as populationSteps). */
export function* columnBlocks(g, total, iterations, widths) {
  const blocks = widths.map((w) => new Float64Array(iterations * w));
  const rowsPerYield = Math.max(1, Math.floor(ROWS_WORK / total) * 4); // (a copy costs less than a step)
  for (let t = 0; t < iterations; t++) {
    for (let b = 0, start = t * total; b < widths.length; start += widths[b], b++) blocks[b].set(g.subarray(start, start + widths[b]), t * widths[b]);
    if ((t + 1) % rowsPerYield === 0) yield t + 1;
  }
  return blocks;
}

/**
 * `row(t, g)`: step t of `optimizer` over row t of g, writing r_t = |scale| per parameter into `r`
 * and, with `kept`, |step|/η and γ̂ into kept.perLr and kept.spreadHat at row t (widening
 * kept.extent). Adam and AdamW without weight decay (the view's usual case) take a loop of their
 * own that forms only these — the same operations as the stepper's, so the same numbers — on
 * adam_rows.wat where it runs (`fast`); every other optimizer and setting steps the stepper and
 * reads its outputs.
 */
function rowStepper(optimizer, settings, width, iterations, r, kept, fast = true) {
  const { lr, weight_decay: decay = 0, switch_at: switchAt = 0, bias_correction: correctOn = true } = settings;
  const plainAdam = (optimizer === "adam" || optimizer === "adamw") && decay === 0 && !(switchAt > 0 && switchAt < iterations);
  if (plainAdam) {
    const correct = Boolean(correctOn);
    const state = {
      ...{ beta1: settings.beta1, beta2: settings.beta2, eps: settings.eps, lr, width, correct, r, kept },
      rates: settings.rates || learningRates(settings, iterations),
      power1: correct ? powers(settings.beta1, iterations) : null,
      power2: correct ? powers(settings.beta2, iterations) : null,
      m: new Float64Array(width),
      v: new Float64Array(width),
    };
    return (fast && adamRowsKernel(state)) || ((t, g) => adamRow(state, t, g));
  }
  const step = stepper(optimizer, { ...settings, precision: "float64" }, width, iterations); // (cards only)
  const out = {
    m_hat: new Float64Array(width),
    sqrt_v_hat: new Float64Array(width),
    scale: new Float64Array(width),
    step: new Float64Array(width),
    theta: new Float64Array(width),
  };
  return (t, g) => {
    step(t, g, t * width, out, 0);
    for (let j = 0; j < width; j++) {
      r[j] = Math.abs(out.scale[j]);
      if (kept) keepOne(kept, t * width + j, out.m_hat[j], out.sqrt_v_hat[j], out.step[j], lr);
    }
  };
}

/** One parameter's |step|/η and γ̂ = √(v̂ − m̂²)/|m̂| (NaN where m̂ = 0 or there is no v̂) into kept at `at`. */
function keepOne(kept, at, mHat, sqrtVHat, step, lr) {
  const vHat = sqrtVHat * sqrtVHat;
  const stepPerLr = Math.abs(step) / lr;
  const spread = mHat !== 0 && vHat > 0 ? Math.sqrt(Math.max(vHat - mHat * mHat, 0)) / Math.abs(mHat) : NaN;
  kept.perLr[at] = stepPerLr;
  kept.spreadHat[at] = spread;
  const { perLr, spreadHat } = kept.extent;
  if (stepPerLr > 0 && stepPerLr < perLr[0]) perLr[0] = stepPerLr;
  if (stepPerLr > perLr[1]) perLr[1] = stepPerLr;
  if (spread > 0 && spread < spreadHat[0]) spreadHat[0] = spread;
  if (spread > spreadHat[1]) spreadHat[1] = spread;
}

/** One row of Adam (AdamW) without weight decay: optimizers.js's stepRow, its operations in its
 * order, forming only what the view reads (a plain function of its state, as stepRow is). */
function adamRow(state, t, g) {
  const { beta1, beta2, eps, lr, width, correct, power1, power2, m, v, r, kept } = state;
  const rate = state.rates[t];
  const correction1 = correct ? 1 - power1[t] : 1;
  const root2 = correct ? Math.sqrt(1 - power2[t]) : 1;
  const gAt = t * width;
  for (let j = 0; j < width; j++) {
    const grad = g[gAt + j];
    const mj = beta1 * m[j] + (1 - beta1) * grad;
    m[j] = mj;
    const vj = beta2 * v[j] + (1 - beta2) * (grad * grad);
    v[j] = vj;
    const mHat = correct ? mj / correction1 : mj;
    const sqrtVHat = correct ? Math.sqrt(vj) / root2 : Math.sqrt(vj);
    const scale = mHat / (sqrtVHat + eps);
    r[j] = Math.abs(scale);
    if (kept) keepOne(kept, gAt + j, mHat, sqrtVHat, rate * scale, lr);
  }
}

/** Run a generator such as populationRun to its end at once; returns its return value. */
export function finish(generator) {
  for (;;) {
    const { value, done } = generator.next();
    if (done) return value;
  }
}
