/* adamviz engine, optimizers: adamviz.sim.optimizers in the page — each optimizer stepped in float64.
 *
 * The same updates as torch.optim (and adamviz.sim), evaluated step by step; tests pin them to NumPy
 * within derived rounding-error bounds (tests/error_bounds.py), far below 1e-12. The names and the
 * Adam family come from Python's table (contract.js).
 */
import { ADAM_FAMILY, ADAPTIVE, OPTIMIZERS } from "../contract.js";
import { adaptiveStepper } from "./adaptive.js";
import { switchedStepper } from "./switch.js";
import { learningRates } from "./schedules.js";
import { precisionStepper } from "./precision.js";
import { adafactorDecay, twoProduct } from "./exact.js";

/**
 * beta**t for t = 1..n, each correctly rounded (up to ties closer than 2**-40 ulp): a running
 * double-double product, whose error after t steps is ~t * 2**-104. The C library's pow that torch
 * and adamviz.sim use is correctly rounded in all but ~0.1% of these powers (within 1 ulp then);
 * V8's Math.pow is off by an ulp in ~10% — which, near beta = 0.9999, moves 1 - beta**t by 1e-12.
 */
export function powers(beta, n) {
  const out = new Float64Array(n);
  let hi = 1;
  let lo = 0;
  for (let t = 0; t < n; t++) {
    const [p, e] = twoProduct(hi, beta);
    const tail = e + lo * beta;
    hi = p + tail;
    lo = tail - (hi - p);
    out[t] = hi;
    if (hi === 0) break;
  }
  return out;
}


/**
 * `optimizer` over one gradient stream, as torch.optim steps it in float64 (adamviz.sim.simulate),
 * t = 1..n from m = v = 0 and theta = theta0. With w = weight_decay, every optimizer but adamw
 * steps on grad = g + w theta (coupled, as torch); adamw first shrinks theta by 1 - lr w.
 *   sgd       scale = grad
 *   momentum  b = mu b + grad;                              scale = b
 *   rmsprop   v = b2 v + (1 - b2) grad^2;                   scale = grad / (sqrt(v) + eps)
 *   adam      m = b1 m + (1 - b1) grad;  v as rmsprop;     m_hat = m / (1 - b1^t),
 *             sqrt_v_hat = sqrt(v) / sqrt(1 - b2^t)  (no division without bias correction);
 *             scale = m_hat / (sqrt_v_hat + eps)
 *   amsgrad   adam with sqrt_v_hat from max(v_1..v_t)
 *   step = theta_{t-1} - theta_t (lr_t * scale, plus the decoupled decay for adamw), where
 *   lr_t is lr under settings.schedule (engine/schedules.js; lr itself by default).
 * Returns {m_hat, sqrt_v_hat, scale, step, theta}; for sgd and momentum m_hat is the scale and
 * sqrt_v_hat is 0, as in adamviz.sim.
 */
export function optimize(g, optimizer, settings, full = false) {
  const n = g.length;
  const out = {
    ...(full ? { m: new Float64Array(n), v: new Float64Array(n), v_hat: new Float64Array(n) } : {}),
    m_hat: new Float64Array(n),
    sqrt_v_hat: new Float64Array(n),
    scale: new Float64Array(n),
    step: new Float64Array(n),
    theta: new Float64Array(n),
  };
  const step = stepper(optimizer, settings, 1, n);
  for (let i = 0; i < n; i++) step(i, g, i, out, i);
  return out;
}

/**
 * `optimize`'s arithmetic for `width` parameters stepped side by side (one state per parameter):
 * `step(i, g, gAt, out, outAt)` takes step t = i + 1 on the gradients g[gAt .. gAt + width) and
 * writes each parameter's m_hat, sqrt_v_hat, scale, step and theta to out[key][outAt ...].
 * Steps must come in order, i = 0, 1, ... < iterations. settings.theta0 is one start for all, or
 * an array of `width` starts; settings.rates, if given, the learning rate of each step (else they
 * come from lr and the schedule).
 */
export function stepper(optimizer, settings, width, iterations) {
  if (!OPTIMIZERS.includes(optimizer)) throw new Error(`unknown optimizer ${JSON.stringify(optimizer)}`);
  const { beta1, beta2, eps, weight_decay: decay = 0, momentum = 0.9, bias_correction: correctOn = true, theta0 = 0 } = settings;
  const rates = settings.rates || learningRates(settings, iterations);
  const switchAt = settings.switch_at || 0;
  const { precision = "float64" } = settings;
  if (precision !== "float64") {
    if (switchAt > 0 && switchAt < iterations) throw new Error(`precision ${precision} does not switch optimizers; set switch_at to 0`);
    const decayOfV = optimizer === "adafactor" ? adafactorDecay(iterations) : null;
    return precisionStepper(optimizer, settings, width, rates, powers(beta1, iterations), powers(beta2, iterations), decayOfV);
  }
  if (switchAt > 0 && switchAt < iterations) {
    // the optimizer for switch_at steps, then SGD with momentum (engine/switch.js)
    const factors = settings.rates ? rates.map((r) => (rates[0] > 0 ? r / rates[0] : 1)) : learningRates({ ...settings, lr: 1 }, iterations);
    const main = stepper(optimizer, { ...settings, rates, switch_at: 0 }, width, switchAt);
    return switchedStepper(main, settings, width, switchAt, factors, settings.rates ? rates[0] : settings.lr);
  }
  if (ADAPTIVE.includes(optimizer)) return adaptiveStepper(optimizer, settings, width, iterations, rates, powers);
  const adamFamily = ADAM_FAMILY.includes(optimizer);
  const correct = adamFamily && correctOn;
  const power1 = correct ? powers(beta1, iterations) : null;
  const power2 = correct ? powers(beta2, iterations) : null;
  const coupled = optimizer === "adamw" ? 0 : decay;
  const decoupled = optimizer === "adamw" ? decay : 0;
  const denominator = optimizer !== "sgd" && optimizer !== "momentum";
  const amsgrad = optimizer === "amsgrad";
  const heavyBall = optimizer === "momentum";
  const state = {
    ...{ optimizer, rates, beta1, beta2, eps, momentum, width, correct, power1, power2, coupled, decoupled },
    ...{ denominator, amsgrad, heavyBall, adamFamily },
    m: new Float64Array(width),
    v: new Float64Array(width),
    vMax: new Float64Array(width),
    starts: typeof theta0 === "number" ? new Float64Array(width).fill(theta0) : Float64Array.from(theta0),
    thetas: typeof theta0 === "number" ? new Float64Array(width).fill(theta0) : Float64Array.from(theta0),
    moved: new Float64Array(width), // without decay, theta = theta0 - sum of steps, as adamviz.sim sums it
  };
  return (i, g, gAt, out, outAt) => stepRow(state, i, g, gAt, out, outAt);
}

/** One step of a stepper (a plain function of its state: V8 optimizes it far better than a closure). */
function stepRow(state, i, g, gAt, out, outAt) {
  const { rates, beta1, beta2, eps, momentum, width, correct, power1, power2, coupled, decoupled } = state;
  const lr = rates[i];
  const shrink = 1 - lr * decoupled;
  const { denominator, amsgrad, heavyBall, adamFamily, m, v, vMax, starts, thetas, moved } = state;
  const correction1 = correct ? 1 - power1[i] : 1;
  const root2 = correct ? Math.sqrt(1 - power2[i]) : 1;
  const { m_hat: mHatOut, sqrt_v_hat: sqrtVHatOut, scale: scaleOut, step: stepOut, theta: thetaOut } = out;
  const { m: mOut, v: vOut, v_hat: vHatOut } = out; // optional: the full table (downloads)
  for (let j = 0; j < width; j++) {
    let theta = thetas[j];
    const grad = coupled ? g[gAt + j] + coupled * theta : g[gAt + j];
    let mj;
    if (heavyBall) mj = momentum * m[j] + grad;
    else if (adamFamily) mj = beta1 * m[j] + (1 - beta1) * grad;
    else mj = grad;
    m[j] = mj;
    let mHat = mj;
    let sqrtVHat = 0;
    let scale = mj;
    if (denominator) {
      const vj = beta2 * v[j] + (1 - beta2) * (grad * grad);
      v[j] = vj;
      if (amsgrad && vj > vMax[j]) vMax[j] = vj; // (only amsgrad reads it: an unpredictable branch otherwise, 10% of the loop)
      const vUsed = amsgrad ? vMax[j] : vj;
      mHat = correct ? mj / correction1 : mj;
      sqrtVHat = correct ? Math.sqrt(vUsed) / root2 : Math.sqrt(vUsed);
      scale = mHat / (sqrtVHat + eps);
    }
    const previous = theta;
    if (decoupled) {
      theta = shrink * theta - lr * scale;
    } else if (coupled) {
      theta = theta - lr * scale;
    } else {
      moved[j] += lr * scale;
      theta = starts[j] - moved[j];
    }
    thetas[j] = theta;
    mHatOut[outAt + j] = mHat;
    sqrtVHatOut[outAt + j] = sqrtVHat;
    scaleOut[outAt + j] = scale;
    stepOut[outAt + j] = decoupled ? previous - theta : lr * scale;
    thetaOut[outAt + j] = theta;
    if (mOut) {
      mOut[outAt + j] = mj;
      vOut[outAt + j] = denominator ? v[j] : 0;
      const vUsed = amsgrad ? vMax[j] : v[j];
      vHatOut[outAt + j] = !denominator ? 0 : correct ? vUsed / (1 - power2[i]) : vUsed;
    }
  }
}

/* ---- closed loops: adamviz.sim.problems ------------------------------------------------ */
