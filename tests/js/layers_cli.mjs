// Reads trace files with assets/trace_files.js and summarises them with assets/layer_table.js, in Node
// (no DOM, no Bokeh); prints each file's {optimizer, rows, grid, lines, coordinates} as JSON for
// tests/test_layers.py and tests/test_record.py.
import fs from "node:fs";
import { TRACE_LIMITS } from "../../assets/contract.js";
import { p50Grid, rateLines, summarize } from "../../assets/layer_table.js";
import { read } from "../../assets/trace_files.js";

const paths = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const nan = (x) => (Number.isNaN(x) ? null : x); // JSON has no NaN
const out = [];
for (const path of paths) {
  const run = await read(path.split("/").pop(), new Uint8Array(fs.readFileSync(path)), TRACE_LIMITS);
  const grid = p50Grid(run);
  const coordinates = run.groups.map((group) =>
    group.coordinates.map((c) => ({ index: c.index, m_hat: c.m_hat && Array.from(c.m_hat), sqrt_v_hat: c.sqrt_v_hat && Array.from(c.sqrt_v_hat) })),
  );
  out.push({
    optimizer: run.optimizer,
    settings: run.groups.map((group) => group.settings),
    coordinates,
    rows: summarize(run),
    grid: { steps: grid.steps, values: Array.from(grid.values, nan) },
    lines: rateLines(run).map((line) => ({ steps: Array.from(line.steps), lr: Array.from(line.lr), groups: line.groups })),
  });
}
process.stdout.write(JSON.stringify(out));
