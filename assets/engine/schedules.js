/* adamviz engine, schedules: adamviz.sim.schedules in the page — the learning rate of every step.
 *
 * f_t for t = 1..T: a linear warmup t/W over W steps, then over the D = T - W steps left, with
 * e = t - W - 1 and p = e / max(D - 1, 1):
 *   constant 1 · linear min + (1 - min)(1 - p) · cosine min + (1 - min) cos^2(pi p / 2)
 *   step     max(min, 2^-floor(e / S)), S = ceil(D / 4)
 * The same operations in the same order as Python, so only Math.cos may differ from C's cos (by an
 * ulp of cos(pi p / 2)); tests/test_engine_node.py holds the rates to that.
 */

const STEP_PLATEAUS = 4;

/** f_t: step t's learning rate as a multiple of lr. */
export function factor(t, iterations, schedule, warmup, minLr) {
  if (t <= warmup) return t / warmup;
  if (schedule === "constant") return 1;
  const decaySteps = iterations - warmup;
  const done = t - warmup - 1;
  if (schedule === "step") {
    const plateau = Math.ceil(decaySteps / STEP_PLATEAUS);
    return Math.max(minLr, 0.5 ** Math.floor(done / plateau));
  }
  const progress = done / Math.max(decaySteps - 1, 1);
  if (schedule === "linear") return minLr + (1 - minLr) * (1 - progress);
  if (schedule !== "cosine") throw new Error(`unknown schedule ${JSON.stringify(schedule)}`);
  const halfCos = Math.cos((Math.PI * progress) / 2);
  return minLr + (1 - minLr) * (halfCos * halfCos);
}

/** Whether every step uses lr itself. */
export function isConstant({ schedule = "constant", warmup = 0 }) {
  return schedule === "constant" && warmup === 0;
}

/** lr_t = lr * f_t for t = 1..iterations (a Float64Array), from the settings' lr, schedule, warmup, min_lr. */
export function learningRates(settings, iterations) {
  const { lr, schedule = "constant", warmup = 0, min_lr: minLr = 0 } = settings;
  const rates = new Float64Array(iterations);
  if (isConstant(settings)) return rates.fill(lr);
  for (let i = 0; i < iterations; i++) rates[i] = lr * factor(i + 1, iterations, schedule, warmup, minLr);
  return rates;
}
