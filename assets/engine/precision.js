/* adamviz engine, precision: adamviz.sim.precision in the page — an optimizer stepped in float32,
 * bfloat16 or float16, rounding where torch rounds on the CPU: each operation computed in float32 and
 * rounded once to the format, Python scalars entering as float32 (f), an add's alpha in the format
 * itself in the half formats. The same operations in the same order as Python's step_in_precision, so
 * the two agree bit for bit (tests/test_engine_node.py); docstrings there say what each line is.
 */

import { ADAFACTOR, FORMAT_EPS } from "../contract.js";
import { writeStep } from "./adaptive.js";

const WORDS = new Float32Array(1);
const BITS = new Uint32Array(WORDS.buffer);

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

const SPLIT = 2 ** 42 + 1; // Veltkamp's splitter: y·SPLIT − (y·SPLIT − y) is y to 53 − 42 = 11 bits
const FIXED = 3 * 2 ** 27; // (y + FIXED) − FIXED: |y| < 2²⁷ to a multiple of 2⁻²⁴, ties to even
const HALF_NORMAL = 2 ** -14; // float16's smallest normal; below it its values are multiples of 2⁻²⁴
const HALF_MAX = 65504;

/** x rounded to float32, then to IEEE half: ties to even, subnormals kept, past 65504 ±infinity. Two
 * roundings of doubles each (Veltkamp's split to float16's 11 significant bits; a fixed point for the
 * subnormals), which give round-to-nearest-even here: tests/test_precision.py checks every tie of
 * float16 and its float32 neighbours against NumPy. */
export function toFloat16(x) {
  const y = Math.fround(x);
  if (Math.abs(y) < HALF_NORMAL) return y + FIXED - FIXED || y * 0; // (0 keeps y's sign)
  const split = y * SPLIT;
  const rounded = split - (split - y);
  if (Math.abs(rounded) <= HALF_MAX) return rounded;
  return y !== y ? NaN : y > 0 ? Infinity : -Infinity; // (65520 and above round to 2¹⁶: overflow)
}

export const ROUNDING = { float32: toFloat32, bfloat16: toBfloat16, float16: toFloat16 };

/**
 * torch's CPU elementwise operations on values held in one format (sim.precision.TorchOps): each
 * computed in float32 and rounded once to the format, scalars entering as float32 — an add's alpha,
 * in the half formats, rounded to the format and multiplied there first.
 */
function torchOps(precision) {
  const r = ROUNDING[precision];
  if (!r) throw new Error(`unknown precision ${JSON.stringify(precision)}`);
  const f = Math.fround;
  const half = precision !== "float32";
  return {
    r,
    add: (a, alpha, b) => (half ? r(a + r(r(alpha) * b)) : f(a + f(alpha) * b)),
    mul: (a, scalar) => r(a * f(scalar)),
    div: (a, scalar) => r(a / f(scalar)),
    addScalar: (a, scalar) => r(a + f(scalar)),
    times: (a, b) => r(a * b),
    lerp(start, end, weight) {
      const w = f(weight);
      const difference = f(end - start);
      return Math.abs(w) < 0.5 ? r(start + w * difference) : r(end + (w - 1) * difference);
    },
    addcmul: (a, b, c, value) => r(a + f(f(value) * b) * c),
    addcdiv: (a, b, c, value = 1) => r(a + f(f(f(value) * b) / c)),
    sqrt: (a) => r(Math.sqrt(a)),
    reciprocal: (a) => r(1 / a),
    rsqrt: (a) => r(1 / r(Math.sqrt(a))),
  };
}

/**
 * A stepper (optimizers.js's interface: step(i, g, gAt, out, outAt)) holding parameter, gradient and
 * state in `precision`, every optimizer as sim.precision's STEPS steps it. `power1`/`power2`: β₁ᵗ and
 * β₂ᵗ for t = 1..iterations; `decayOfV`: Adafactor's t^-0.8.
 */
export function precisionStepper(optimizer, settings, width, rates, power1, power2, decayOfV) {
  const { precision, theta0 = 0, weight_decay: decay = 0, initial_accumulator_value: initial = 0 } = settings;
  const ops = torchOps(precision);
  const starts = typeof theta0 === "number" ? new Float64Array(width).fill(theta0) : Float64Array.from(theta0);
  const decayed = optimizer === "adamw" || optimizer === "adafactor" || (Boolean(settings.decoupled_weight_decay) && (optimizer === "radam" || optimizer === "nadam"));
  const state = {
    ...{ optimizer, ops, settings, rates, width, power1, power2, decayOfV, decay, decayed },
    coupled: decay > 0 && !decayed,
    thetas: starts.map(ops.r),
    m: new Float64Array(width),
    v: new Float64Array(width).fill(optimizer === "adagrad" ? ops.r(initial) : 0),
    vMax: new Float64Array(width),
    product: 1, // NAdam's μ-product, a float32 tensor in torch
    formatEps: FORMAT_EPS[precision],
    // what a step reports besides θ — m, v, m̂, v̂, √v̂, the scale — written here, not into new arrays
    // for every parameter and step (allocating them was most of a float16 change's time)
    values: new Float64Array(6),
  };
  return (i, g, gAt, out, outAt) => precisionRow(state, i, g, gAt, out, outAt);
}

function precisionRow(state, i, g, gAt, out, outAt) {
  const { optimizer, ops, rates, width, decay, decayed, coupled, thetas } = state;
  const lr = rates[i];
  if (optimizer === "nadam") {
    const t = i + 1;
    const beta1 = state.settings.beta1;
    state.mu = beta1 * (1 - 0.5 * 0.96 ** (t * 0.004));
    state.muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004));
    state.product = Math.fround(state.product * Math.fround(state.mu));
  }
  for (let j = 0; j < width; j++) {
    const previous = thetas[j];
    let theta = previous;
    const gj = ops.r(g[gAt + j]);
    const grad = coupled ? ops.add(gj, decay, theta) : gj;
    if (optimizer === "adafactor") {
      theta = adafactorStep(state, j, i, lr, grad, theta);
    } else {
      if (decayed && decay > 0) theta = ops.mul(theta, 1 - lr * decay);
      theta = STEPS[optimizer](state, j, i, lr, grad, theta);
    }
    thetas[j] = theta;
    const { values } = state;
    writeStep(out, outAt + j, values[0], values[1], values[2], values[3], values[4], values[5], previous, theta);
  }
}

/** A step's six reported values into state.values; returns θ. */
function report(state, m, v, mHat, vHat, sqrtVHat, scale, theta) {
  const { values } = state;
  values[0] = m;
  values[1] = v;
  values[2] = mHat;
  values[3] = vHat;
  values[4] = sqrtVHat;
  values[5] = scale;
  return theta;
}

/** sgd and momentum: b = b·μ + grad (b₁ = grad), θ += r(−lr)·b. */
function heavyBallStep(state, j, i, lr, grad, theta) {
  const { ops, m } = state;
  m[j] = state.optimizer === "sgd" || i === 0 ? grad : ops.r(ops.mul(m[j], state.settings.momentum) + grad);
  return report(state, m[j], 0, m[j], 0, 0, m[j], ops.add(theta, -lr, m[j]));
}

/** rmsprop, adam, amsgrad and adamw: θ += (−lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε). */
function adamLikeStep(state, j, i, lr, grad, theta) {
  const { ops, optimizer, m, v, vMax } = state;
  const { beta1, beta2, eps, bias_correction: correctOn = true } = state.settings;
  const corrected = correctOn && optimizer !== "rmsprop";
  m[j] = optimizer === "rmsprop" ? grad : ops.lerp(m[j], grad, 1 - beta1);
  v[j] = ops.addcmul(ops.mul(v[j], beta2), grad, grad, 1 - beta2);
  if (v[j] > vMax[j]) vMax[j] = v[j];
  const used = optimizer === "amsgrad" ? vMax[j] : v[j];
  const bc1 = corrected ? 1 - state.power1[i] : 1;
  const bc2 = corrected ? 1 - state.power2[i] : 1;
  const root = ops.sqrt(used);
  const sqrtVHat = corrected ? ops.div(root, Math.sqrt(bc2)) : root;
  const denominator = ops.addScalar(sqrtVHat, eps);
  const mHat = m[j] / bc1;
  return report(state, m[j], v[j], mHat, used / bc2, sqrtVHat, mHat / denominator, ops.addcdiv(theta, m[j], denominator, -lr / bc1));
}

/** radam: m̂ = m/(1−β₁ᵗ); past ρ_t > 5, m̂·lr·(√(1−β₂ᵗ)·(1/(√v + ε)))·r_t, else m̂·lr; θ −= it. */
function radamStep(state, j, i, lr, grad, theta) {
  const { ops, m, v } = state;
  const { beta1, beta2, eps } = state.settings;
  const t = i + 1;
  m[j] = ops.lerp(m[j], grad, 1 - beta1);
  v[j] = ops.addcmul(ops.mul(v[j], beta2), grad, grad, 1 - beta2);
  const bc1 = 1 - state.power1[i];
  const bc2 = 1 - state.power2[i];
  const mHat = ops.div(m[j], bc1);
  const rhoInf = 2 / (1 - beta2) - 1;
  const rho = rhoInf - (2 * t * state.power2[i]) / bc2;
  const sqrtVHat = Math.sqrt(v[j]) / Math.sqrt(bc2);
  let step = ops.mul(mHat, lr);
  let direction = mHat;
  if (rho > 5) {
    const rect = (((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) ** 0.5;
    const adaptive = ops.mul(ops.reciprocal(ops.addScalar(ops.sqrt(v[j]), eps)), bc2 ** 0.5);
    step = ops.mul(ops.times(step, adaptive), rect);
    direction = mHat * adaptive * rect;
  }
  return report(state, m[j], v[j], mHat, v[j] / bc2, sqrtVHat, direction, ops.add(theta, -1, step));
}

/** nadam: d = √(v/(1−β₂ᵗ)) + ε; θ += c₁·g/d, then c₂·m/d (μ_t and Π_t as in float64). */
function nadamStep(state, j, i, lr, grad, theta) {
  const { ops, m, v, mu, muNext, product } = state;
  const { beta1, beta2, eps } = state.settings;
  m[j] = ops.lerp(m[j], grad, 1 - beta1);
  v[j] = ops.addcmul(ops.mul(v[j], beta2), grad, grad, 1 - beta2);
  const bc2 = 1 - state.power2[i];
  const sqrtVHat = ops.sqrt(ops.div(v[j], bc2));
  const d = ops.addScalar(sqrtVHat, eps);
  let next = ops.addcdiv(theta, grad, d, (-lr * (1 - mu)) / (1 - product));
  next = ops.addcdiv(next, m[j], d, (-lr * muNext) / (1 - product * muNext));
  const direction = ((1 - mu) / (1 - product)) * (grad / d) + (muNext / (1 - product * muNext)) * (m[j] / d);
  return report(state, m[j], v[j], m[j] / (1 - state.power1[i]), v[j] / bc2, sqrtVHat, direction, next);
}

/** adamax: u = max(u·β₂, |g| + ε); θ += (−lr/(1−β₁ᵗ))·m/u. */
function adamaxStep(state, j, i, lr, grad, theta) {
  const { ops, m, v } = state;
  const { beta1, beta2, eps } = state.settings;
  m[j] = ops.lerp(m[j], grad, 1 - beta1);
  v[j] = Math.max(ops.mul(v[j], beta2), ops.addScalar(Math.abs(grad), eps));
  const bc1 = 1 - state.power1[i];
  const mHat = m[j] / bc1;
  return report(state, m[j], v[j], mHat, v[j], v[j], mHat / v[j], ops.addcdiv(theta, m[j], v[j], -(lr / bc1)));
}

/** adagrad: s = s + g·g; θ += (−lr_t/(1 + (t−1)·lr_decay))·g/(√s + ε). */
function adagradStep(state, j, i, lr, grad, theta) {
  const { ops, v } = state;
  const { eps, lr_decay: lrDecay = 0 } = state.settings;
  v[j] = ops.addcmul(v[j], grad, grad, 1);
  const root = ops.sqrt(v[j]);
  const std = ops.addScalar(root, eps);
  return report(state, grad, v[j], grad, v[j], root, grad / std, ops.addcdiv(theta, grad, std, -(lr / (1 + i * lrDecay))));
}

/** adafactor: v = lerp(v, g·g, t^-0.8); u = rsqrt(max(v, ε₁²))·g (ε₁ the format's eps); α = max(ε₂,
 * |θ|)·ρ_t; θ shrunk by 1 − lr·w, then θ += (−α/max(1, |u|/d))·u. */
function adafactorStep(state, j, i, lr, grad, theta) {
  const { ops, v, decay } = state;
  const relative = Math.min(lr, 1 / Math.sqrt(i + 1));
  const alpha = Math.max(ADAFACTOR.eps2, Math.abs(theta)) * relative;
  let shrunk = theta;
  if (decay) shrunk = ops.mul(theta, 1 - lr * decay);
  v[j] = ops.lerp(v[j], ops.times(grad, grad), state.decayOfV[i]);
  const clamped = ops.r(Math.max(v[j], Math.fround(state.formatEps * state.formatEps)));
  const update = ops.times(ops.rsqrt(clamped), grad);
  const denominator = Math.max(1, Math.abs(update) / ADAFACTOR.d);
  return report(state, grad, v[j], grad, v[j], Math.sqrt(clamped), update / denominator, ops.add(shrunk, -alpha / denominator, update));
}

const STEPS = { sgd: heavyBallStep, momentum: heavyBallStep, rmsprop: adamLikeStep, adam: adamLikeStep, amsgrad: adamLikeStep, adamw: adamLikeStep, radam: radamStep, nadam: nadamStep, adamax: adamaxStep, adagrad: adagradStep };
