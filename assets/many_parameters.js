/* adamviz many parameters: the many-parameters view's numbers — a population of parameters stepped at
 * once, r_t's percentiles per step — computed so that the page keeps answering. No DOM.
 *
 * The gradients are drawn in slices of SLICE_MS between frames; the runs are stepped by two workers
 * (population_workers.js) while the page merges their rows, or, where a page may not start workers,
 * in slices too. A newer computation abandons an older one. Until a computation is done the previous
 * result stays (and stays drawn).
 */
import { LOG_GRID, POPULATION_SHAPE, SETTINGS } from "./contract.js";
import * as engine from "./engine/index.js";
import { PopulationWorkers, WorkerFailure, nextTask, workerStarter } from "./population_workers.js";
import { recomputing } from "./settings.js";

const SLICE_MS = 12; // longest stretch of work between frames
// what the population's gradients depend on (Python's settings.ROLES)
const GRADIENT_SETTINGS = recomputing(SETTINGS, "gradients", "population");

/** Thrown inside an abandoned computation (a newer one replaced it). */
class Superseded extends Error {}

class ManyParameters {
  /**
   * `runSettings`: the settings a run depends on; `scaleOf(k)`: 10^k exactly; `done()`: called when a
   * computation (on the workers or in slices) finished; `bundleSource()`: this bundle's source, which
   * the workers run (none: every computation in slices).
   */
  constructor(runSettings, scaleOf, done, bundleSource = null) {
    this.runSettings = runSettings;
    this.scaleOf = scaleOf;
    this.done = done;
    this.gradients = null; // {key, parameters, g}
    this.result = null; // {key, params, parameters, main, compared: {optimizer: run}}
    this.job = 0; // the newest computation's number; older ones stop at their next slice
    this.ready = Promise.resolve();
    this.startWorker = bundleSource ? workerStarter(bundleSource) : null;
    this.workers = undefined; // the PopulationWorkers once started; null: none (computing in slices)
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

  /** The workers, started on first use; null where there are none (the page may not start one, or
   * one failed): then this page computes in slices. */
  pool() {
    if (this.workers === undefined && this.startWorker) {
      try {
        this.workers = new PopulationWorkers(this.startWorker);
      } catch {
        this.workers = null;
      }
    }
    return this.workers || null;
  }

  /** Start computing for `params` unless that is the result already; `ready` settles when done.
   * Returns whether a computation started. */
  update(params) {
    if (this.current(params)) {
      this.result.params = { ...params };
      return false;
    }
    const job = ++this.job;
    this.ready = this.pool() ? this.threaded(job, { ...params }) : this.inSlices(job, { ...params });
    return true;
  }

  /** Run `generator` to its end in slices between frames; throws Superseded once a newer job started. */
  async sliced(job, generator) {
    let started = performance.now();
    for (let next = generator.next(); ; next = generator.next()) {
      if (next.done) return next.value;
      if (performance.now() - started > SLICE_MS) {
        await nextTask();
        if (job !== this.job) throw new Superseded();
        started = performance.now();
      }
    }
  }

  async inSlices(job, params) {
    try {
      this.result = await this.sliced(job, this.computation(params));
    } catch (error) {
      if (error instanceof Superseded) return;
      throw error;
    }
    this.done();
  }

  /** The gradients in slices here, the runs on the workers. */
  async threaded(job, params) {
    try {
      const { key, g, parameters } = await this.sliced(job, this.gradientsFor(params));
      const { n_params: n, iterations } = params;
      if (!this.workers.holds(key)) await this.sliced(job, this.workers.hold(job, key, g, n, iterations));
      const runs = [params.optimizer, ...params.compare].map((optimizer, k) => ({ optimizer, keep: k === 0 }));
      const results = await this.workers.run(job, n, iterations, params, runs);
      if (!results || job !== this.job) return;
      const compared = Object.fromEntries(params.compare.map((name, k) => [name, results[k + 1]]));
      const replaced = this.result;
      this.result = { key: this.runKey(params), params, parameters, main: results[0], compared };
      if (replaced && replaced.main.blocks) this.workers.spare(replaced.main.blocks); // (nothing else holds a result)
    } catch (error) {
      if (error instanceof Superseded) return;
      if (!(error instanceof WorkerFailure)) throw error;
      this.workers.stop();
      this.workers = null;
      return this.inSlices(job, params);
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

  /** The gradients of `params` as a generator (it yields between blocks of rows): drawn unless
   * those at hand are theirs; returns {key, parameters, g}. */
  *gradientsFor(params) {
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
    return this.gradients;
  }

  /**
   * One computation on this thread as a generator (it yields between blocks of rows): the
   * gradients, then a run per drawn optimizer; returns the result to draw.
   */
  *computation(params) {
    const { g, parameters } = yield* this.gradientsFor(params);
    const run = (optimizer, keep) => engine.populationRun(g, params.n_params, params.iterations, optimizer, params, keep);
    const main = yield* run(params.optimizer, true);
    const compared = {};
    for (const other of params.compare) compared[other] = yield* run(other, false);
    return { key: this.runKey(params), params, parameters, main, compared };
  }
}

export { ManyParameters };
