/* adamviz engine, closed loops: adamviz.sim.problems in the page — losses whose gradient answers to θ. */
import { stepper } from "./optimizers.js";
import { uniform } from "./random.js";

const SQRT_HALF = Math.sqrt(0.5); // cos 45° = sin 45°, correctly rounded as in Python

/** (x, y) in the valley's own axes: along (u) and across (w); turned 45° when rotated. */
function valleyAxes(x, y, rotated) {
  return rotated ? [(x + y) * SQRT_HALF, (y - x) * SQRT_HALF] : [x, y];
}

/**
 * adamviz.sim.PROBLEMS, the same expressions in the same order (so the same bits): each takes θ as
 * an array of coordinates and the shape (from Python's table; no defaults here).
 */
export const PROBLEMS = {
  bowl: {
    gradient: ([theta], { curvature, optimum }) => [curvature * (theta - optimum)],
    loss([theta], { curvature, optimum }) {
      const d = theta - optimum;
      return 0.5 * curvature * d * d;
    },
  },
  valley: {
    gradient([x, y], { curvature, condition, rotated }) {
      const [u, w] = valleyAxes(x, y, rotated);
      const gu = (curvature * u) / condition;
      const gw = curvature * w;
      return rotated ? [(gu - gw) * SQRT_HALF, (gu + gw) * SQRT_HALF] : [gu, gw];
    },
    loss([x, y], { curvature, condition, rotated }) {
      const [u, w] = valleyAxes(x, y, rotated);
      return 0.5 * curvature * ((u * u) / condition + w * w);
    },
  },
  rosenbrock: {
    gradient([x, y], { a, b }) {
      const r = y - x * x;
      return [-2 * (a - x) - 4 * b * x * r, 2 * b * r];
    },
    loss([x, y], { a, b }) {
      const r = y - x * x;
      return (a - x) * (a - x) + b * r * r;
    },
  },
};

/**
 * adamviz.sim.descend, bit for bit: `optimizer` stepped over PROBLEMS[name] from `start` (one value
 * per coordinate), fed g_t = grad f(theta_{t-1}) + U(-noise, noise) per coordinate (drawn in
 * (step, coordinate) order from `seed`). Returns one trace per coordinate ({g, m_hat, sqrt_v_hat,
 * scale, step, theta}, as optimize()) and the loss after each step.
 */
export function descend(name, iterations, { start, seed = 0, noise = 0, optimizer, settings, shape }) {
  if (!Object.hasOwn(PROBLEMS, name)) throw new Error(`unknown problem ${JSON.stringify(name)}`);
  const problem = PROBLEMS[name];
  const dims = start.length;
  const draws = noise > 0 ? uniform(seed, -noise, noise, iterations * dims) : null;
  const keys = ["g", "m_hat", "sqrt_v_hat", "scale", "step", "theta"];
  const rows = Object.fromEntries(keys.map((key) => [key, new Float64Array(iterations * dims)]));
  const loss = new Float64Array(iterations);
  const step = stepper(optimizer, { ...settings, theta0: start, precision: "float64" }, dims, iterations); // (cards only)
  const theta = Array.from(start); // (a plain array, updated in place: the problems destructure it)
  for (let i = 0; i < iterations; i++) {
    const g = problem.gradient(theta, shape);
    for (let j = 0; j < dims; j++) rows.g[i * dims + j] = draws ? g[j] + draws[i * dims + j] : g[j];
    step(i, rows.g, i * dims, rows, i * dims);
    for (let j = 0; j < dims; j++) theta[j] = rows.theta[i * dims + j];
    loss[i] = problem.loss(theta, shape);
  }
  // each coordinate's own trace out of the rows (a plain loop: a typed array's filter with a callback
  // took a third of the time)
  const column = (values, j) => {
    const out = new Float64Array(iterations);
    for (let i = 0; i < iterations; i++) out[i] = values[i * dims + j];
    return out;
  };
  const traces = Array.from({ length: dims }, (_, j) => Object.fromEntries(keys.map((key) => [key, column(rows[key], j)])));
  return { traces, loss };
}

/* ---- many parameters at once: adamviz.sim.population ---------------------------------- */

/** The loss of problem `name` at θ. */
export const problemLoss = (name, theta, shape) => PROBLEMS[name].loss(theta, shape);
