/* adamviz engine, precision: adamviz.sim.precision in the page — an optimizer stepped in float32,
 * bfloat16 or float16, rounding where torch rounds on the CPU: each operation computed in float32 and
 * rounded once to the format, Python scalars entering as float32 (f), an add's alpha in the format
 * itself in the half formats. The same operations in the same order as Python's step_in_precision, so
 * the two agree bit for bit (tests/test_engine_node.py); docstrings there say what each line is.
 */

import { EMULATED } from "../contract.js";

const WORDS = new Float32Array(1);
const BITS = new Uint32Array(WORDS.buffer);
const HALF_TINY = 2 ** -25; // half of float16's smallest subnormal: at or below it, a value rounds to 0
const HALF_OVERFLOW = 65520; // 65504 + half an ulp: from here on, float16 rounds to infinity

/** x rounded to float32 (ties to even). */
export const toFloat32 = Math.fround;

/** x rounded to float32, then to bfloat16: the top 16 bits, ties to even (c10::BFloat16). */
export function toBfloat16(x) {
  WORDS[0] = x;
  if (Number.isNaN(WORDS[0])) return NaN;
  const bits = BITS[0];
  BITS[0] = ((bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000) >>> 0;
  return WORDS[0];
}

const MAGIC = 2 ** 52; // (q + 2⁵²) − 2⁵² rounds 0 ≤ q < 2⁵¹ to an integer, ties to even
const UNIT = Float64Array.from({ length: 30 }, (_, k) => 2 ** (k - 24)); // float16's ulp at exponent k − 14
const PER_UNIT = UNIT.map((unit) => 1 / unit);

/** x rounded to float32, then to IEEE half: ties to even, subnormals kept, past 65504 ±infinity. */
export function toFloat16(x) {
  const y = Math.fround(x);
  const a = Math.abs(y);
  if (!(a > HALF_TINY)) return a <= HALF_TINY ? (y < 0 || Object.is(y, -0) ? -0 : 0) : NaN;
  if (a >= HALF_OVERFLOW) return y < 0 ? -Infinity : Infinity;
  WORDS[0] = a;
  const k = Math.max(((BITS[0] >>> 23) & 0xff) - 127, -14) + 14; // float16's normal exponents start at -14
  const units = a * PER_UNIT[k] + MAGIC - MAGIC; // exact scaling by a power of two, then one rounding
  return y < 0 ? -units * UNIT[k] : units * UNIT[k];
}

export const ROUNDING = { float32: toFloat32, bfloat16: toBfloat16, float16: toFloat16 };

/**
 * A stepper (optimizers.js's interface: step(i, g, gAt, out, outAt)) holding parameter, gradient and
 * state in `precision`. `power1`/`power2`: β₁ᵗ and β₂ᵗ for t = 1..iterations.
 */
export function precisionStepper(optimizer, settings, width, rates, power1, power2) {
  const { precision, beta1, beta2, eps, weight_decay: decay = 0, momentum = 0.9, bias_correction: correctOn = true, theta0 = 0 } = settings;
  if (!EMULATED.includes(optimizer)) throw new Error(`precision ${precision} steps ${EMULATED.join(", ")}; ${optimizer} steps in float64 only`);
  const round = ROUNDING[precision];
  if (!round) throw new Error(`unknown precision ${JSON.stringify(precision)}`);
  const starts = typeof theta0 === "number" ? new Float64Array(width).fill(theta0) : Float64Array.from(theta0);
  const state = {
    ...{ optimizer, round, half: precision !== "float32", beta1, beta2, eps, decay, momentum, rates, width, power1, power2 },
    correct: correctOn && ["adam", "amsgrad", "adamw"].includes(optimizer),
    lerpWeight: Math.fround(1 - beta1),
    squareWeight: Math.fround(1 - beta2),
    thetas: starts.map(round),
    m: new Float64Array(width),
    v: new Float64Array(width),
    vMax: new Float64Array(width),
  };
  return (i, g, gAt, out, outAt) => precisionRow(state, i, g, gAt, out, outAt);
}

/** a.add(b, alpha=alpha) as torch computes it: one fma in float32, α·b rounded first in the half formats. */
function add(state, a, alpha, b) {
  const r = state.round;
  return state.half ? r(a + r(r(alpha) * b)) : Math.fround(a + Math.fround(alpha) * b);
}

function precisionRow(state, i, g, gAt, out, outAt) {
  const { optimizer, round: r, beta2, eps, decay, momentum, rates, width, correct, lerpWeight, squareWeight, m, v, vMax, thetas } = state;
  const f = Math.fround;
  const t = i + 1;
  const lr = rates[i];
  const coupled = optimizer !== "adamw" && decay > 0;
  const bc1 = correct ? 1 - state.power1[i] : 1;
  const bc2 = correct ? 1 - state.power2[i] : 1;
  const rootBc2 = f(Math.sqrt(bc2));
  const stepSize = f(-lr / bc1);
  const { m_hat: mHatOut, sqrt_v_hat: sqrtVHatOut, scale: scaleOut, step: stepOut, theta: thetaOut } = out;
  const { m: mOut, v: vOut, v_hat: vHatOut } = out; // optional: the full table (downloads)
  for (let j = 0; j < width; j++) {
    const previous = thetas[j];
    let theta = previous;
    const gj = r(g[gAt + j]);
    const grad = coupled ? add(state, gj, decay, theta) : gj;
    if (optimizer === "adamw" && decay > 0) theta = r(theta * f(1 - lr * decay));
    let mHat;
    let vHat = 0;
    let sqrtVHat = 0;
    let scale;
    if (optimizer === "sgd" || optimizer === "momentum") {
      m[j] = optimizer === "sgd" || t === 1 ? grad : r(r(m[j] * f(momentum)) + grad);
      theta = add(state, theta, -lr, m[j]);
      mHat = m[j];
      scale = m[j];
    } else {
      if (optimizer === "rmsprop") m[j] = grad;
      else if (lerpWeight < 0.5) m[j] = r(m[j] + lerpWeight * f(grad - m[j]));
      else m[j] = r(grad + (lerpWeight - 1) * f(grad - m[j]));
      v[j] = r(r(v[j] * f(beta2)) + f(squareWeight * grad) * grad);
      if (v[j] > vMax[j]) vMax[j] = v[j];
      const vUsed = optimizer === "amsgrad" ? vMax[j] : v[j];
      const root = r(Math.sqrt(vUsed));
      sqrtVHat = correct ? r(root / rootBc2) : root;
      const denominator = r(sqrtVHat + f(eps));
      theta = r(theta + f(f(stepSize * m[j]) / denominator));
      mHat = m[j] / bc1;
      vHat = vUsed / bc2;
      scale = mHat / denominator;
    }
    thetas[j] = theta;
    mHatOut[outAt + j] = mHat;
    sqrtVHatOut[outAt + j] = sqrtVHat;
    scaleOut[outAt + j] = scale;
    stepOut[outAt + j] = previous - theta;
    thetaOut[outAt + j] = theta;
    if (mOut) {
      mOut[outAt + j] = m[j];
      vOut[outAt + j] = v[j];
      vHatOut[outAt + j] = vHat;
    }
  }
}
