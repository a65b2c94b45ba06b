/* adamviz engine: the browser's copy of adamviz.sim, split as sim/ is. Pure functions, no DOM, no
 * Bokeh: tests/test_engine_node.py runs it alone in Node and compares it with NumPy. */
export { philoxRaw, uniform, uniforms } from "./random.js";
export { STREAMS, stream } from "./streams.js";
export { optimize, powers, stepper } from "./optimizers.js";
export { factor, isConstant, learningRates } from "./schedules.js";
export { ROUNDING } from "./precision.js";
export { PROBLEMS, descend, problemLoss } from "./problems.js";
export { adamRowsKernel } from "./adam_rows.js";
export { ChunkPercentiles, blockOffsets, columnBlocks, columnRun, joinedExtent, keptRow } from "./population.js";
export { ROWS_WORK, finish, nearbyPercentiles, percentilesInto, population, populationParameters, populationRun, populationSteps } from "./population.js";
export { OPTIMIZERS, PERCENTILES } from "../contract.js";
