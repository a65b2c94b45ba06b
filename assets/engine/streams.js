/* adamviz engine, streams: adamviz.sim.streams in the page — the same seeded gradients, bit for bit. */
import { uniform } from "./random.js";

/**
 * The registry of adamviz.sim.streams. Shape parameters have no defaults here: the page receives
 * them from adamviz.sim (`stream_shapes`), so the two sides cannot disagree.
 */
export const STREAMS = {
  consistent(n, seed, { mean, noise }) {
    const noiseDraws = uniform(seed, -noise, noise, n);
    return noiseDraws.map((u) => mean + u);
  },
  noisy(n, seed, { noise }) {
    return uniform(seed, -noise, noise, n);
  },
  reversal(n, seed, { amplitude, flip_every: flipEvery, noise }) {
    const noiseDraws = uniform(seed, -noise, noise, n);
    return noiseDraws.map((u, t) => (Math.floor(t / flipEvery) % 2 === 0 ? amplitude : -amplitude) + u);
  },
  sparse(n, seed, { probability, size }) {
    return uniform(seed, 0, 1, n).map((u) => (u < probability ? size : 0));
  },
  shrinking(n, seed, { size, drop_at: dropAt, factor, noise }) {
    const noiseDraws = uniform(seed, -noise, noise, n);
    const late = size / factor;
    return noiseDraws.map((u, t) => (t < dropAt ? size : late) * (1 + u));
  },
};

export function stream(name, n, seed, shape) {
  if (!Object.hasOwn(STREAMS, name)) throw new Error(`unknown stream ${JSON.stringify(name)}`);
  for (const [key, value] of Object.entries(shape)) {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${name}: shape parameter ${key} must be a finite number`);
  }
  return STREAMS[name](n, seed, shape);
}

/* Double-double arithmetic (Dekker 1971): a value hi + lo carried to ~106 bits. */
