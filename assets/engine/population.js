/* adamviz engine, many parameters: adamviz.sim.population in the page, and r_t's percentiles per step.
 *
 * The generators yield between blocks of rows (at most ROWS_WORK parameter-steps each) so that a page
 * can spread the work over frames.
 */
import { PERCENTILES } from "../contract.js";
import { stepper } from "./optimizers.js";
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


/**
 * numpy.percentile(values, q) by its default ("linear") method, for each q of PERCENTILES, into
 * out[at ...]; `values` is reordered in place. The virtual index is (n − 1)·(q/100); between the two
 * order statistics a (at its floor) and b (the next) numpy interpolates as a + (b − a)·γ, or
 * b − (b − a)·(1 − γ) when γ ≥ 1/2. The order statistics are found by selection, not a full sort:
 * the same values, in a third of the time.
 */
export function percentilesInto(values, out, at) {
  const n = values.length;
  let from = 0;
  const below = new Array(PERCENTILES.length);
  for (let k = 0; k < PERCENTILES.length; k++) {
    const index = (n - 1) * (PERCENTILES[k] / 100);
    below[k] = Math.min(Math.floor(index), n - 1);
    if (below[k] >= from) select(values, below[k], from, n - 1);
    from = below[k] + 1;
  }
  for (let k = 0; k < PERCENTILES.length; k++) {
    const index = (n - 1) * (PERCENTILES[k] / 100);
    const gamma = index - below[k];
    const a = values[below[k]];
    // the next order statistic: the smallest value after a (all there are >= a), up to the next selected one
    const end = k + 1 < PERCENTILES.length ? below[k + 1] : n - 1;
    let b = a;
    if (below[k] + 1 <= n - 1) {
      b = values[below[k] + 1];
      for (let i = below[k] + 2; i <= end; i++) if (values[i] < b) b = values[i];
    }
    const difference = b - a;
    out[at + k] = gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma;
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

/**
 * The r_t diagnostic of `optimizer` over a population's gradients `g` (rows of `width`): per step
 * the PERCENTILES of r_t = |scale| over parameters (a Float64Array of iterations × 3). With
 * `keep`, also per step and parameter |step|/η and the estimated spread γ̂ = √(v̂ − m̂²)/|m̂|
 * (NaN where m̂ = 0 or there is no v̂) as Float32Arrays, for the scatter, and `extent`: the smallest
 * positive and the largest value of each. A generator: it yields between blocks of rows so that a
 * page can spread the work over frames; its return value is {percentiles, perLr, spreadHat, extent}.
 */
export function* populationRun(g, width, iterations, optimizer, settings, keep) {
  const step = stepper(optimizer, { ...settings, precision: "float64" }, width, iterations); // (cards only)
  const row = {
    m_hat: new Float64Array(width),
    sqrt_v_hat: new Float64Array(width),
    scale: new Float64Array(width),
    step: new Float64Array(width),
    theta: new Float64Array(width),
  };
  const r = new Float64Array(width);
  const percentiles = new Float64Array(iterations * PERCENTILES.length);
  const perLr = keep ? new Float32Array(iterations * width) : null;
  const spreadHat = keep ? new Float32Array(iterations * width) : null;
  const rowsPerYield = Math.max(1, Math.floor(ROWS_WORK / width));
  const { lr } = settings;
  const extent = { perLr: [Infinity, 0], spreadHat: [Infinity, 0] };
  const widen = (range, value) => {
    if (value > 0 && value < range[0]) range[0] = value;
    if (value > range[1]) range[1] = value;
  };
  for (let t = 0; t < iterations; t++) {
    step(t, g, t * width, row, 0);
    for (let j = 0; j < width; j++) r[j] = Math.abs(row.scale[j]);
    percentilesInto(r, percentiles, t * PERCENTILES.length);
    if (keep) {
      for (let j = 0; j < width; j++) {
        const mHat = row.m_hat[j];
        const vHat = row.sqrt_v_hat[j] * row.sqrt_v_hat[j];
        const stepPerLr = Math.abs(row.step[j]) / lr;
        const spread = mHat !== 0 && vHat > 0 ? Math.sqrt(Math.max(vHat - mHat * mHat, 0)) / Math.abs(mHat) : NaN;
        perLr[t * width + j] = stepPerLr;
        spreadHat[t * width + j] = spread;
        widen(extent.perLr, stepPerLr);
        widen(extent.spreadHat, spread);
      }
    }
    if ((t + 1) % rowsPerYield === 0) yield t + 1;
  }
  return { percentiles, perLr, spreadHat, extent };
}

/** Run a generator such as populationRun to its end at once; returns its return value. */
export function finish(generator) {
  for (;;) {
    const { value, done } = generator.next();
    if (done) return value;
  }
}
