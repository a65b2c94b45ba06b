/* adamviz many parameters: the many-parameters view's numbers — a population of parameters stepped at
 * once, r_t's percentiles per step — computed in slices so that the page keeps answering. No DOM.
 *
 * A computation of 10,000 parameters takes seconds; it runs between frames in slices of SLICE_MS, and
 * a newer computation abandons an older one at its next slice. Until a computation is done the
 * previous result stays (and stays drawn).
 */
import { LOG_GRID, POPULATION_SHAPE, SETTINGS } from "./contract.js";
import * as engine from "./engine/index.js";
import { recomputing } from "./settings.js";

const SLICE_MS = 12; // longest stretch of work between frames
// what the population's gradients depend on (Python's settings.ROLES)
const GRADIENT_SETTINGS = recomputing(SETTINGS, "gradients", "population");

/** A message-channel tick: a macrotask without setTimeout's 4 ms clamp, so slices follow frames closely. */
function nextTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Thrown inside an abandoned computation (a newer one replaced it). */
class Superseded extends Error {}

class ManyParameters {
  /**
   * `runSettings`: the settings a run depends on; `scaleOf(k)`: 10^k exactly; `done()`: called when a
   * computation in slices finished.
   */
  constructor(runSettings, scaleOf, done) {
    this.runSettings = runSettings;
    this.scaleOf = scaleOf;
    this.done = done;
    this.gradients = null; // {key, parameters, g}
    this.result = null; // {key, params, parameters, main, compared: {optimizer: run}}
    this.job = 0; // the newest computation's number; older ones stop at their next slice
    this.ready = Promise.resolve();
  }

  gradientKey(params) {
    return GRADIENT_SETTINGS.map((k) => params[k]).join("|");
  }

  runKey(params) {
    return [this.gradientKey(params), ...this.runSettings.map((k) => String(params[k]))].join("|");
  }

  /** Whether the result is `params`' (only what is drawn from it may differ: the axis, η). */
  current(params) {
    return Boolean(this.result) && this.result.key === this.runKey(params);
  }

  /** Start computing for `params` unless that is the result already; `ready` settles when done.
   * Returns whether a computation started. */
  update(params) {
    if (this.current(params)) {
      this.result.params = { ...params };
      return false;
    }
    const job = ++this.job;
    this.ready = this.inSlices(job, { ...params });
    return true;
  }

  async inSlices(job, params) {
    let started = performance.now();
    const generator = this.computation(params);
    try {
      for (let next = generator.next(); ; next = generator.next()) {
        if (next.done) {
          this.result = next.value;
          break;
        }
        if (performance.now() - started > SLICE_MS) {
          await nextTask();
          if (job !== this.job) throw new Superseded();
          started = performance.now();
        }
      }
    } catch (error) {
      if (error instanceof Superseded) return;
      throw error;
    }
    this.done();
  }

  /** Everything at once (the API asked while the view is elsewhere or a computation is under way). */
  computeNow(params) {
    this.job += 1; // abandon a computation in slices: this one replaces it
    this.result = engine.finish(this.computation({ ...params }));
    return this.result;
  }

  /** The browser API's population(): the parameters and the main optimizer's r_t percentiles. */
  snapshot(params) {
    const { percentiles } = this.result.main;
    const column = (k) => Array.from({ length: params.iterations }, (_, t) => percentiles[3 * t + k]);
    const { magnitude, spread } = this.result.parameters;
    const scale = params.grad_scale === 0 ? 1 : this.scaleOf(params.grad_scale);
    return {
      n_params: params.n_params,
      gamma: Array.from(spread),
      magnitude: Array.from(magnitude, (m) => m * scale),
      percentiles: { p10: column(0), p50: column(1), p90: column(2) },
    };
  }

  /**
   * One computation as a generator (it yields between blocks of rows): the gradients, unless those
   * of `params` are at hand, then a run per drawn optimizer; returns the result to draw.
   */
  *computation(params) {
    const key = this.gradientKey(params);
    if (!this.gradients || this.gradients.key !== key) {
      this.gradients = null;
      const { n_params: n, iterations, seed, grad_scale: k } = params;
      const drawn = yield* engine.populationSteps(n, iterations, seed, POPULATION_SHAPE, LOG_GRID);
      if (k !== 0) {
        const scale = this.scaleOf(k);
        for (let i = 0; i < drawn.g.length; i++) drawn.g[i] *= scale;
      }
      this.gradients = { key, ...drawn };
    }
    const { g, parameters } = this.gradients;
    const run = (optimizer, keep) => engine.populationRun(g, params.n_params, params.iterations, optimizer, params, keep);
    const main = yield* run(params.optimizer, true);
    const compared = {};
    for (const other of params.compare) compared[other] = yield* run(other, false);
    return { key: this.runKey(params), params, parameters, main, compared };
  }
}

export { ManyParameters };
