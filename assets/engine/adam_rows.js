/* adamviz engine, the many-parameters view's Adam rows on adam_rows.wat: population.js's adamRow and
 * keepOne two parameters at a time, the same numbers bit for bit (tests/test_population.py holds the
 * two to each other). Where a page cannot run the kernel — no WebAssembly, or none with 128-bit
 * vectors, or a Content-Security-Policy without 'wasm-unsafe-eval' — population.js steps in JavaScript.
 */
import { ADAM_ROWS_WASM } from "./adam_rows_wasm.js";
import { compileKernel } from "./kernels.js";

const PAGE = 65536; // a WebAssembly memory page, in bytes
let compiled; // adam_rows.wat compiled once made (null where this page cannot); each run has its own instance and memory

function adamRowsModule() {
  if (compiled === undefined) compiled = compileKernel(ADAM_ROWS_WASM);
  return compiled;
}

/**
 * `row(t, g)` as population.js's adamRow(state, t, g) gives it — r, and with `state.kept` |step|/η,
 * γ̂ and their extents — on a kernel of its own (it holds m and v); null where the kernel cannot run.
 */
export function adamRowsKernel(state) {
  const module = adamRowsModule();
  if (!module) return null;
  const { beta1, beta2, eps, lr, width, correct, power1, power2, rates, r, kept } = state;
  const pairs = (width + 1) >> 1;
  const w8 = 16 * pairs; // bytes of W = 2·pairs doubles (adam_rows.wat's layout)
  let row;
  let memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil((5 * w8 + 64) / PAGE) });
    row = /** @type {Function} */ (new WebAssembly.Instance(module, { kernel: { memory } }).exports.row);
  } catch {
    return null;
  }
  const { buffer } = memory;
  const gradients = new Float64Array(buffer, 0, width); // (the padding's stays 0)
  const rRow = new Float64Array(buffer, 3 * w8, width);
  const perLrRow = new Float32Array(buffer, 4 * w8, width);
  const spreadRow = new Float32Array(buffer, 4 * w8 + w8 / 2, width);
  const extents = new Float64Array(buffer, 5 * w8, 8);
  extents.set([Infinity, Infinity, 0, 0, Infinity, Infinity, 0, 0]); // keepValues' [Infinity, 0], per lane
  const [oneMinusBeta1, oneMinusBeta2] = [1 - beta1, 1 - beta2];
  return (t, g) => {
    const correction1 = correct ? 1 - power1[t] : 1; // (x / 1 is x: adamRow's uncorrected m̂ and √v̂)
    const root2 = correct ? Math.sqrt(1 - power2[t]) : 1;
    gradients.set(g.subarray(t * width, (t + 1) * width));
    row(pairs, beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps, lr, rates[t], correction1, root2, kept ? 1 : 0);
    r.set(rRow);
    if (!kept) return;
    kept.perLr.set(perLrRow, t * width);
    kept.spreadHat.set(spreadRow, t * width);
    const { perLr, spreadHat } = kept.extent;
    perLr[0] = Math.min(perLr[0], extents[0], extents[1]);
    perLr[1] = Math.max(perLr[1], extents[2], extents[3]);
    spreadHat[0] = Math.min(spreadHat[0], extents[4], extents[5]);
    spreadHat[1] = Math.max(spreadHat[1], extents[6], extents[7]);
  };
}
