/* adamviz plot data: what the views hand Bokeh, made small — at most about one point per pixel, the
 * extremes kept — and the axes' transforms. Pure functions. */

const MAX_POINTS = 600; // per drawn series: about one point per pixel of a card's width

/** Min/max decimation of x[lo..hi]: at most ~MAX_POINTS points per series, extremes kept in order. */
export function decimate(x, columns, lo, hi) {
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
export function lollipops(x, g, half) {
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

/**
 * The gradients g of iterations lo..hi as a band: buckets of `size` iterations (aligned to multiples
 * of `size`, so they hold still while the cursor moves on), each drawn from its first iteration − ½
 * to its last + ½, from the least to the greatest g it holds — and the previous iteration's, so that
 * neighbouring buckets meet as a line through the gradients would (a one-iteration bucket is never a
 * band of no height). With `size` the iterations a pixel column spans, that is a min/max band per
 * pixel. A bucket without a finite g lifts the pen.
 */
export function envelope(x, g, lo, hi, size) {
  const out = { x: [], lower: [], upper: [] };
  for (let start = lo - (lo % size); start <= hi; start += size) {
    const [a, b] = [Math.max(lo, start), Math.min(hi, start + size - 1)];
    let [least, most] = [Infinity, -Infinity];
    for (let i = a > lo ? a - 1 : a; i <= b; i++) {
      if (g[i] < least) least = g[i];
      if (g[i] > most) most = g[i];
    }
    if (!(least <= most && Number.isFinite(least) && Number.isFinite(most))) [least, most] = [NaN, NaN];
    out.x.push(x[a] - 0.5, x[b] + 0.5);
    out.lower.push(least, least);
    out.upper.push(most, most);
  }
  return out;
}

/** Every `every`-th iteration in lo..hi (multiples of `every`): where a line's marks go, holding still as lo moves. */
export function marksAt(lo, hi, every) {
  const at = [];
  for (let i = Math.ceil(lo / every) * every; i <= hi; i += every) at.push(i);
  return at;
}

/** A figure's frame in CSS pixels, [0, 0] before it is first laid out (Bokeh throws on reading an unset size). */
export function frameSize(figure) {
  try {
    return [Math.round(figure.inner_width), Math.round(figure.inner_height)];
  } catch {
    return [0, 0];
  }
}

/** How finely an axis's ends snap: a fortieth of its length, rounded up to 1, 2 or 5 × 10^k. */
const SNAP_DIVISIONS = 40;

/**
 * [lo, hi] over every finite value of `arrays` and `floor` (a diverging run's inf and NaN, gradient
 * descent on Rosenbrock at η = 0.01, would take the axis with them), padded by 8% and widened to
 * the next multiples of a round step of about a fortieth of the span: a control nudged by a step
 * moves the curves, mostly not the axis (which repaints the plot's axes and labels, not only its
 * curves: docs/performance.md).
 */
export function span(arrays, floor) {
  let [lo, hi] = floor;
  for (const values of arrays) {
    for (const x of values) {
      if (x < lo && x > -Infinity) lo = x;
      if (x > hi && x < Infinity) hi = x;
    }
  }
  const pad = 0.08 * (hi - lo || 1);
  [lo, hi] = [lo - pad, hi + pad];
  const step = niceCeil((hi - lo) / SNAP_DIVISIONS);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/** How much longer than its data's span an axis may stay (settleRange) before it is fitted again. */
const LOOSEST = 1.2;

/** Set `range` to [lo, hi] unless it holds [lo, hi] and is at most LOOSEST times as long, by
 * `length(start, end)`, or `refit`. Returns [lo, hi]. */
function settle(range, [lo, hi], refit, length) {
  const holds = range.start <= lo && range.end >= hi && length(range.start, range.end) <= LOOSEST * length(lo, hi);
  if (refit || !holds) [range.start, range.end] = [lo, hi];
  return [lo, hi];
}

/**
 * Set `range` to `[lo, hi]` (a span) unless it already holds it and is at most LOOSEST times as
 * long, or `refit`: a control nudged back and forth then moves the curves and leaves the axis — and
 * the repaint of the plot's axes, ticks and labels — alone. Returns [lo, hi].
 */
export const settleRange = (range, span, refit = false) => settle(range, span, refit, (a, b) => b - a);

/** [lo, hi] (both > 0) widened to quarter decades, 10^(k/4): a log axis's span (see settleLogRange). */
export function logSpan(lo, hi) {
  return [10 ** (Math.floor(Math.log10(lo) * 4) / 4), 10 ** (Math.ceil(Math.log10(hi) * 4) / 4)];
}

/** settleRange for a log axis: it stays while it holds [lo, hi] and spans at most LOOSEST times as
 * many decades (a range reaching 0 or below never holds: its log-length is infinite or not a number). */
export const settleLogRange = (range, span, refit = false) => settle(range, span, refit, (a, b) => Math.log(b / a));

/** The smallest of 1, 2, 5 × 10^k that is >= x (x > 0). */
export function niceCeil(x) {
  const decade = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= x * (1 - 1e-12));
}

/**
 * A symmetric-log axis: linear within ±c, one decade per unit beyond — so values 10⁶ apart stay
 * readable on one axis. f(y) = y/c for |y| <= c, sign(y)·(1 + log10(|y|/c)) beyond.
 */
export const symlog = (c) => (y) => (Math.abs(y) <= c ? y / c : Math.sign(y) * (1 + Math.log10(Math.abs(y) / c)));

/** Ticks for a symlog axis over [lo, hi] (in transformed units; figures.py's formatter labels them). */
export function symlogTicks(lo, hi, most = 9) {
  const ticks = [];
  const from = Math.floor(lo);
  const to = Math.ceil(hi);
  // every `step`-th decade, so that at most `most` labels share the axis (they never overlap)
  const step = Math.max(1, Math.ceil((to - from) / Math.max(2, most - 1)));
  for (let t = from; t <= to; t++) if (t % step === 0 || (step === 1 && Math.abs(t) === 1)) ticks.push(t);
  return ticks;
}

/** Ticks for a log axis over [lo, hi]: 1, 2, 5 per decade over a short range, decades over a long one. */
export function logTicks(lo, hi) {
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const decades = last - first;
  const mantissas = decades <= 3 ? [1, 2, 5] : [1];
  const every = decades > 8 ? 2 : 1;
  const ticks = [];
  for (let d = first; d <= last; d += every) for (const m of mantissas) ticks.push(Number(`${m}e${d}`));
  return ticks.filter((t) => t >= lo && t <= hi);
}

/** [smallest positive, largest] of `values`, NaN left out (index loops: for-of over a typed array is slow). */
export function positiveExtent(values) {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value > 0 && value < lo) lo = value;
    if (value > hi) hi = value;
  }
  return [lo, hi];
}

/** Largest finite |value| over arrays. */
export function largest(arrays) {
  let top = 0;
  for (const values of arrays) for (const x of values) if (Math.abs(x) > top && Math.abs(x) < Infinity) top = Math.abs(x);
  return top;
}

/** The curve 1/√(γ² + 1) from γ = 1e-4 to 1e6, 8 points a decade: what a step at β₁ = β₂ follows. */
export function lawCurve() {
  const x = Array.from({ length: 81 }, (_, k) => 10 ** (-4 + k / 8));
  return { x, y: x.map((gamma) => 1 / Math.sqrt(gamma * gamma + 1)) };
}
