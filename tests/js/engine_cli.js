// Runs assets/engine.js alone (no page, no Bokeh) on the requests in a JSON file and prints the
// results as JSON: tests/test_engine_node.py compares them with adamviz.sim.
"use strict";
const fs = require("fs");
const path = require("path");
const engine = require(path.join(__dirname, "..", "..", "assets", "engine.js"));

const requests = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const answers = requests.map((request) => {
  if (request.kind === "stream") return Array.from(engine.stream(request.name, request.n, request.seed, request.shape));
  if (request.kind === "powers") return Array.from(engine.powers(request.beta, request.n));
  if (request.kind === "optimize") {
    const out = engine.optimize(Float64Array.from(request.g), request.optimizer, request.settings);
    return Object.fromEntries(Object.entries(out).map(([key, values]) => [key, Array.from(values)]));
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
  if (request.kind === "descend") {
    const { traces, loss } = engine.descend(request.problem, request.iterations, request.options);
    // JSON has no inf or NaN: they travel as strings
    const plain = (values) => Array.from(values, (x) => (Number.isFinite(x) ? x : String(x)));
    return { traces: traces.map((t) => Object.fromEntries(Object.entries(t).map(([key, values]) => [key, plain(values)]))), loss: plain(loss) };
  }
  throw new Error(`unknown request ${request.kind}`);
});
process.stdout.write(JSON.stringify(answers));
