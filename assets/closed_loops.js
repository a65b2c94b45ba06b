/* adamviz closed loops: the closed-loop view's numbers — each drawn optimizer stepped over a loss whose
 * gradient answers to θ (adamviz.sim.descend), for the settings the state holds. No DOM, no Bokeh.
 */
import { OPTIMIZERS, SECOND_MOMENT } from "./contract.js";
import { descend } from "./engine/index.js";
import { rejection } from "./settings.js";

const SPREAD_FLOOR = 1e-4; // where a log axis shows γ̂ = 0

/** Adam's spread per step, γ̂ = √(v̂ − m̂²)/|m̂| (0 where v̂ ≤ m̂²; floored for a log axis). */
function spreads(trace) {
  return trace.m_hat.map((m, i) => {
    const v = trace.sqrt_v_hat[i] * trace.sqrt_v_hat[i];
    return Math.max(Math.sqrt(Math.max(v - m * m, 0)) / Math.abs(m), SPREAD_FLOOR);
  });
}

class ClosedLoops {
  /** `problems`: Python's PROBLEMS table, {name: {coordinates, shape, start}}. */
  constructor(problems) {
    this.problems = problems;
  }

  /** The problem's coordinate names: the cards' scenarios in this view. */
  coordinates(params) {
    return this.problems[params.problem].coordinates;
  }

  /** The problem's shape: its table's, with the page's κ and rotation for the valley. */
  shape(params) {
    const shape = { ...this.problems[params.problem].shape };
    if (params.problem === "valley") Object.assign(shape, { condition: params.condition, rotated: params.rotated });
    return shape;
  }

  start(params) {
    return this.coordinates(params).length === 1 ? [params.start_x] : [params.start_x, params.start_y];
  }

  /** Where the loss is least (for the valley: its centre; for Rosenbrock: (a, a²)). */
  minimum(params) {
    if (params.problem !== "rosenbrock") return [0, 0];
    const { a } = this.shape(params);
    return [a, a * a];
  }

  /** A new problem's own start point (y = 0 for a 1-D problem, as Python's checked_settings has it). */
  startOf(problem) {
    const start = this.problems[problem].start;
    return { start_x: start[0], start_y: start.length > 1 ? start[1] : 0 };
  }

  /** One optimizer's closed loop: {traces (one per coordinate, with per_lr), loss, diverged}. */
  run(params, optimizer) {
    const { traces, loss } = descend(params.problem, params.iterations, {
      start: this.start(params),
      seed: params.seed,
      noise: params.noise,
      optimizer,
      settings: params,
      shape: this.shape(params),
    });
    for (const trace of traces) trace.per_lr = trace.step.map((step) => step / params.lr);
    return { traces, loss, diverged: loss.findIndex((f) => !Number.isFinite(f)) }; // -1: it did not
  }

  /** Every drawn optimizer's loop, the main one first: {params, order, runs}. */
  compute(params) {
    const order = [params.optimizer, ...params.compare];
    const runs = Object.fromEntries(order.map((name) => [name, this.run(params, name)]));
    // Adam's spread γ̂ per step, once per run: the bowl's law panel draws from it every frame
    for (const name of order) if (SECOND_MOMENT.includes(name)) for (const trace of runs[name].traces) trace.spread_hat = spreads(trace);
    return { params: { ...params }, order, runs };
  }

  /** The browser API's path(optimizer): {x, y, loss} after each iteration (y is null for the bowl);
   * `computed`: the loop already computed for `params`, if any. */
  path(params, optimizer, computed) {
    if (!OPTIMIZERS.includes(optimizer)) throw new Error(rejection("optimizer", optimizer, `one of ${OPTIMIZERS.join(", ")}`));
    const { traces, loss } = computed && computed.runs[optimizer] ? computed.runs[optimizer] : this.run(params, optimizer);
    return { x: Array.from(traces[0].theta), y: traces.length > 1 ? Array.from(traces[1].theta) : null, loss: Array.from(loss) };
  }
}

export { ClosedLoops, SPREAD_FLOOR };
