// Runs the engine (assets/engine/) alone (no page, no Bokeh) on the requests in a JSON file and prints the
// results as JSON: tests/test_engine_node.py compares them with adamviz.sim.
import fs from "node:fs";
import * as engine from "../../assets/engine/index.js";

const requests = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// JSON has no inf or NaN: they travel as strings
const plain = (values) => Array.from(values, (x) => (Number.isFinite(x) ? x : String(x)));
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
