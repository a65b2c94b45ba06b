// Runs the engine (assets/engine/) alone (no page, no Bokeh) on the requests in a JSON file and prints the
// results as JSON: tests/test_engine_node.py compares them with adamviz.sim.
import fs from "node:fs";
import * as engine from "../../assets/engine/index.js";

// a state adamRowsKernel can start a kernel for (whether this Node runs adam_rows.wat at all)
const ADAM_PROBE = { beta1: 0.9, beta2: 0.999, eps: 1e-8, lr: 1, width: 1, correct: false, rates: [1], r: new Float64Array(1), kept: null };
const requests = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// JSON has no -0, NaN or infinities: they travel as strings, which NumPy reads back as floats
const plain = (values) => Array.from(values, (x) => (Object.is(x, -0) ? "-0" : Number.isFinite(x) ? x : String(x)));
const answers = requests.map((request) => {
  if (request.kind === "stream") return Array.from(engine.stream(request.name, request.n, request.seed, request.shape));
  if (request.kind === "uniforms") {
    // read in pieces of request.counts from draw request.start on, by the WebAssembly kernel or not
    const next = engine.uniforms(request.seed, request.start, request.fast);
    const out = new Float64Array(request.counts.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const count of request.counts) {
      next(out, at, count);
      at += count;
    }
    return Array.from(out);
  }
  if (request.kind === "percentiles") {
    // each row's percentiles by percentilesInto and, row after row, by one nearbyPercentiles
    const nearby = engine.nearbyPercentiles(request.rows[0].length);
    return request.rows.map((row) => {
      const out = new Float64Array(6);
      engine.percentilesInto(Float64Array.from(row, Number), out, 0);
      nearby(Float64Array.from(row, Number), out, 3);
      return plain(out);
    });
  }
  if (request.kind === "powers") return Array.from(engine.powers(request.beta, request.n));
  if (request.kind === "rates") return Array.from(engine.learningRates(request.settings, request.n));
  if (request.kind === "optimize") {
    const out = engine.optimize(Float64Array.from(request.g), request.optimizer, request.settings, request.full);
    return Object.fromEntries(Object.entries(out).map(([key, values]) => [key, plain(values)]));
  }
  if (request.kind === "round") {
    return Object.fromEntries(Object.entries(engine.ROUNDING).map(([name, round]) => [name, plain(request.values.map(round))]));
  }
  if (request.kind === "population") {
    const { parameters, g } = engine.population(request.n_params, request.iterations, request.seed, request.shape, request.grid);
    return { g: Array.from(g), ...Object.fromEntries(Object.entries(parameters).map(([key, values]) => [key, Array.from(values)])) };
  }
  if (request.kind === "population_run") {
    const { g } = engine.population(request.n_params, request.iterations, request.seed, request.shape, request.grid);
    const run = engine.finish(engine.populationRun(g, request.n_params, request.iterations, request.optimizer, request.settings, true));
    return { percentiles: Array.from(run.percentiles), per_lr: Array.from(run.perLr), spread_hat: Array.from(run.spreadHat) };
  }
  if (request.kind === "adam_kernel") {
    // populationRun with Adam's rows on adam_rows.wat and in JavaScript; -0 and NaN as bits, not values
    const { g } = engine.population(request.n_params, request.iterations, request.seed, request.shape, request.grid);
    const run = (fast) => engine.finish(engine.populationRun(g, request.n_params, request.iterations, "adam", request.settings, true, fast));
    const bits = (values) => Array.from(values, (x) => (Number.isNaN(x) ? "NaN" : Object.is(x, -0) ? "-0" : x));
    const out = (result) => ({ ...Object.fromEntries(["percentiles", "perLr", "spreadHat"].map((key) => [key, bits(result[key])])), extent: result.extent });
    return { kernel: out(run(true)), javascript: out(run(false)), kernelRuns: engine.adamRowsKernel({ ...ADAM_PROBE }) !== null };
  }
  if (request.kind === "column_run_spare") {
    // columnRun handed a finished run's arrays to fill again (as a worker does): the same numbers as
    // a run on fresh arrays, in the very arrays handed over
    const { n_params: n, iterations, rows } = request;
    const { g } = engine.population(n, iterations, request.seed, request.shape, request.grid);
    const drain = (run) => {
      const chunks = [];
      for (let next = run.next(); ; next = run.next()) {
        if (next.done) return { chunks, kept: next.value };
        chunks.push(next.value.r);
      }
    };
    const first = drain(engine.columnRun(g, n, iterations, "adam", request.settings, true, rows));
    const spare = { chunks: [...first.chunks], perLr: first.kept.perLr, spreadHat: first.kept.spreadHat };
    const settings = { ...request.settings, beta1: request.beta1 };
    const reused = drain(engine.columnRun(g, n, iterations, "adam", settings, true, rows, spare));
    const fresh = drain(engine.columnRun(g, n, iterations, "adam", settings, true, rows));
    const plainRun = ({ chunks, kept }) => ({ r: chunks.map(plain), perLr: plain(kept.perLr), spreadHat: plain(kept.spreadHat), extent: kept.extent });
    return {
      reused: plainRun(reused),
      fresh: plainRun(fresh),
      sameArrays: reused.kept.perLr === first.kept.perLr && reused.kept.spreadHat === first.kept.spreadHat && reused.chunks.every((c) => first.chunks.includes(c)),
      taken: spare.perLr === null && spare.spreadHat === null && spare.chunks.length === 0,
    };
  }
  if (request.kind === "column_run") {
    // populationRun beside the same run as the page's workers do it: blocks of columns stepped alone
    // (columnRun), chunk c's percentiles taken by block c mod B from every block's part of its rows
    const { n_params: n, iterations, widths, rows, keep } = request;
    const { g } = engine.population(n, iterations, request.seed, request.shape, request.grid);
    const whole = engine.finish(engine.populationRun(g, n, iterations, request.optimizer, request.settings, keep));
    const offsets = engine.blockOffsets(widths);
    const blocks = engine.finish(engine.columnBlocks(g, n, iterations, widths));
    const runs = widths.map((w, b) => engine.columnRun(blocks[b], w, iterations, request.optimizer, request.settings, keep, rows));
    const owners = widths.map(() => new engine.ChunkPercentiles(widths));
    const percentiles = new Float64Array(3 * iterations);
    const kept = [];
    for (let c = 0; ; c++) {
      const nexts = runs.map((run) => run.next());
      if (nexts[0].done) {
        nexts.forEach((next, b) => (kept[b] = next.value));
        break;
      }
      percentiles.set(owners[c % widths.length].of(nexts.map((next) => next.value.r)), 3 * nexts[0].value.from);
    }
    const split = { percentiles, extent: engine.joinedExtent(kept.map((k) => k.extent)) };
    split.blocks = kept.map((k, b) => ({ offset: offsets[b], width: widths[b], perLr: k.perLr, spreadHat: k.spreadHat }));
    const rowsOf = (run, key) => (keep ? Array.from({ length: iterations }, (_, t) => plain(engine.keptRow(run, key, t, n))).flat() : null);
    const out = (run) => ({ percentiles: plain(run.percentiles), per_lr: rowsOf(run, "perLr"), spread_hat: rowsOf(run, "spreadHat"), extent: run.extent });
    return { whole: out(whole), split: out(split) };
  }
  if (request.kind === "population_paths") {
    // populationRun beside a plain reference: the stepper's outputs read one by one
    const { n_params: n, iterations } = request;
    const { g } = engine.population(n, iterations, request.seed, request.shape, request.grid);
    const run = engine.finish(engine.populationRun(g, n, iterations, request.optimizer, request.settings, true));
    const step = engine.stepper(request.optimizer, { ...request.settings, precision: "float64" }, n, iterations);
    const out = Object.fromEntries(["m_hat", "sqrt_v_hat", "scale", "step", "theta"].map((k) => [k, new Float64Array(n)]));
    const percentiles = new Float64Array(3 * iterations);
    const perLr = [];
    const spreadHat = [];
    for (let t = 0; t < iterations; t++) {
      step(t, g, t * n, out, 0);
      engine.percentilesInto(out.scale.map(Math.abs), percentiles, 3 * t);
      for (let j = 0; j < n; j++) {
        const mHat = out.m_hat[j];
        const vHat = out.sqrt_v_hat[j] ** 2;
        perLr.push(Math.fround(Math.abs(out.step[j]) / request.settings.lr));
        spreadHat.push(Math.fround(mHat !== 0 && vHat > 0 ? Math.sqrt(Math.max(vHat - mHat * mHat, 0)) / Math.abs(mHat) : NaN));
      }
    }
    return {
      run: { percentiles: plain(run.percentiles), per_lr: plain(run.perLr), spread_hat: plain(run.spreadHat) },
      reference: { percentiles: plain(percentiles), per_lr: plain(perLr), spread_hat: plain(spreadHat) },
    };
  }
  if (request.kind === "yields") {
    // how many parameter-steps each generator does between two yields (what a page's slice holds)
    const gaps = (generator, width) => {
      const out = [];
      let last = 0;
      for (let next = generator.next(); ; next = generator.next()) {
        const at = next.done ? request.iterations : next.value;
        out.push((at - last) * width);
        last = at;
        if (next.done) return out;
      }
    };
    const steps = engine.populationSteps(request.n_params, request.iterations, request.seed, request.shape, request.grid);
    const drawing = gaps(steps, 4 * request.n_params); // drawing a row costs about four steps (engine.js)
    const { g } = engine.population(request.n_params, request.iterations, request.seed, request.shape, request.grid);
    const run = engine.populationRun(g, request.n_params, request.iterations, request.optimizer, request.settings, true);
    return { drawing, stepping: gaps(run, request.n_params), rowsWork: engine.ROWS_WORK };
  }
  if (request.kind === "descend") {
    const { traces, loss } = engine.descend(request.problem, request.iterations, request.options);
    return { traces: traces.map((t) => Object.fromEntries(Object.entries(t).map(([key, values]) => [key, plain(values)]))), loss: plain(loss) };
  }
  throw new Error(`unknown request ${request.kind}`);
});
process.stdout.write(JSON.stringify(answers));
