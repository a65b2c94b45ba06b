/* adamviz engine, adaptive: adamviz.sim.adaptive in the page — RAdam, NAdam, Adamax, Adagrad and Adafactor, as
 * torch.optim steps them, one step at a time in float64 (the same operations in the same order as
 * Python's AdaptiveStep; β^t correctly rounded here, by the C library's pow there: within an ulp).
 *
 *   radam    m = lerp(m, g, 1 - b1), v = b2 v + (1 - b2) g^2, m_hat = m / (1 - b1^t),
 *            rho = rho_inf - 2t b2^t / (1 - b2^t); rho > 5: m_hat sqrt(1 - b2^t) / (sqrt(v) + eps) * rect,
 *            else m_hat
 *   nadam    mu_t = b1 (1 - 0.96^(t psi) / 2), Pi_t = Pi_{t-1} mu_t (float32, as torch keeps it),
 *            d = sqrt(v / (1 - b2^t)) + eps: (1 - mu_t)/(1 - Pi_t) g/d + mu_{t+1}/(1 - Pi_t mu_{t+1}) m/d
 *   adamax   u = max(b2 u, |g| + eps), m_hat / u
 *   adagrad  s = s + g^2, g / (sqrt(s) + eps), lr_t / (1 + (t - 1) lr_decay)
 *   adafactor v = lerp(v, g^2, t^-0.8), u = g / sqrt(max(v, eps1^2)), direction = u / max(1, |u| / d),
 *            theta = theta (1 - lr_t w) - max(eps2, |theta|) min(lr_t, 1/sqrt(t)) direction
 *            (t^-0.8 and sqrt(t) correctly rounded on both sides: bit for bit)
 */
import { ADAFACTOR } from "../contract.js";
import { adafactorDecay } from "./exact.js";

const NADAM_MOMENTUM_DECAY = 0.004;
const RADAM_THRESHOLD = 5;

/** A stepper (optimizers.js's interface) for one of the five: step(i, g, gAt, out, outAt). */
export function adaptiveStepper(optimizer, settings, width, iterations, rates, powers) {
  const { beta1, beta2, eps, weight_decay: decay = 0, decoupled_weight_decay: decoupled = false, lr_decay: lrDecay = 0, initial_accumulator_value: initial = 0, theta0 = 0 } = settings;
  const state = {
    ...{ optimizer, beta1, beta2, eps, decay, decoupled, lrDecay, rates, width },
    power1: powers(beta1, iterations),
    power2: powers(beta2, iterations),
    rhoInf: 2 / (1 - beta2) - 1,
    product: 1,
    decayOfV: optimizer === "adafactor" ? adafactorDecay(iterations) : null,
    m: new Float64Array(width),
    v: new Float64Array(width).fill(optimizer === "adagrad" ? initial : 0),
    thetas: typeof theta0 === "number" ? new Float64Array(width).fill(theta0) : Float64Array.from(theta0),
  };
  return (i, g, gAt, out, outAt) => adaptiveRow(state, i, g, gAt, out, outAt);
}

function adaptiveRow(state, i, g, gAt, out, outAt) {
  if (state.optimizer === "adafactor") return adafactorRow(state, i, g, gAt, out, outAt);
  const { optimizer, beta1, beta2, eps, decay, decoupled, lrDecay, rates, width, m, v, thetas } = state;
  const t = i + 1;
  let lr = rates[i];
  const shrink = decay && decoupled ? 1 - lr * decay : 1;
  const coupled = decay && !decoupled ? decay : 0;
  const weight = 1 - beta1; // m = lerp(m, g, 1 - b1), torch's two-sided form
  const correction1 = 1 - state.power1[i];
  const correction2 = 1 - state.power2[i];
  let now = 0;
  let ahead = 0;
  let rect = 0;
  if (optimizer === "adagrad") lr = lr / (1 + (t - 1) * lrDecay);
  if (optimizer === "nadam") {
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * NADAM_MOMENTUM_DECAY));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * NADAM_MOMENTUM_DECAY));
    state.product = Math.fround(state.product * Math.fround(mu));
    now = (1 - mu) / (1 - state.product);
    ahead = muNext / (1 - state.product * muNext);
  }
  if (optimizer === "radam") {
    const rho = state.rhoInf - (2 * t * state.power2[i]) / correction2;
    const inf = state.rhoInf;
    rect = rho > RADAM_THRESHOLD ? (((rho - 4) * (rho - 2) * inf) / ((inf - 4) * (inf - 2) * rho)) ** 0.5 : 0;
  }
  for (let j = 0; j < width; j++) {
    const theta = thetas[j];
    const grad = coupled ? g[gAt + j] + coupled * theta : g[gAt + j];
    let mj, vj, mHat, vHat, sqrtVHat, direction;
    if (optimizer === "adagrad") {
      vj = v[j] + grad * grad;
      const root = Math.sqrt(vj);
      [mj, mHat, sqrtVHat, vHat] = [grad, grad, root, vj];
      direction = grad / (root + eps);
    } else {
      mj = lerp(m[j], grad, weight);
      mHat = mj / correction1;
      if (optimizer === "adamax") {
        vj = Math.max(beta2 * v[j], Math.abs(grad) + eps);
        vHat = sqrtVHat = vj;
        direction = mHat / vj;
      } else {
        vj = beta2 * v[j] + (1 - beta2) * (grad * grad);
        vHat = vj / correction2;
        if (optimizer === "radam") {
          sqrtVHat = Math.sqrt(vj) / Math.sqrt(correction2);
          direction = rect ? mHat * (correction2 ** 0.5 / (Math.sqrt(vj) + eps)) * rect : mHat;
        } else {
          sqrtVHat = Math.sqrt(vHat);
          const d = sqrtVHat + eps;
          direction = now * (grad / d) + ahead * (mj / d);
        }
      }
    }
    m[j] = mj;
    v[j] = vj;
    const next = shrink * theta - lr * direction;
    thetas[j] = next;
    writeStep(out, outAt + j, mj, vj, mHat, vHat, sqrtVHat, direction, theta, next);
  }
}

/** torch.lerp as its CPU kernel forms it (sim.adaptive.lerp): start + w·(end − start) for w < ½, else
 * end − (end − start)·(1 − w), so that w = 1 gives end exactly. */
function lerp(start, end, weight) {
  return weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}

/** One parameter's step into a stepper's `out` at `at` (m, v and v̂ only where the full table is asked for). */
export function writeStep(out, at, m, v, mHat, vHat, sqrtVHat, scale, before, after) {
  out.m_hat[at] = mHat;
  out.sqrt_v_hat[at] = sqrtVHat;
  out.scale[at] = scale;
  out.step[at] = before - after;
  out.theta[at] = after;
  if (out.m) {
    out.m[at] = m;
    out.v[at] = v;
    out.v_hat[at] = vHat;
  }
}

/** torch's _single_tensor_adafactor for one-element parameters, operation by operation (AdaptiveStep._adafactor). */
function adafactorRow(state, i, g, gAt, out, outAt) {
  const { decay, rates, width, v, thetas } = state;
  const lr = rates[i];
  const relative = Math.min(lr, 1 / Math.sqrt(i + 1));
  const weight = state.decayOfV[i];
  const floor = ADAFACTOR.eps1 * ADAFACTOR.eps1;
  for (let j = 0; j < width; j++) {
    const theta = thetas[j];
    const grad = g[gAt + j];
    const alpha = Math.max(ADAFACTOR.eps2, Math.sqrt(theta * theta)) * relative;
    const shrunk = decay ? theta * (1 - lr * decay) : theta;
    const square = grad * grad;
    const vj = lerp(v[j], square, weight);
    v[j] = vj;
    const root = Math.sqrt(Math.max(vj, floor));
    const update = (1 / root) * grad;
    const denominator = Math.max(1, Math.sqrt(update * update) / ADAFACTOR.d);
    const next = shrunk + (-alpha / denominator) * update;
    thetas[j] = next;
    writeStep(out, outAt + j, grad, vj, grad, vj, root, update / denominator, theta, next);
  }
}
