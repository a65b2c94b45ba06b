/* adamviz engine, switch: adamviz.sim.switch in the page — the optimizer for `switch_at` steps, then
 * SGD with momentum from a fresh buffer (b = mu b + g + w theta, theta -= lr' f_t b), with lr' the
 * switch_lr setting or the rule (1 - mu) mean|step| / (mean|g| f_{switch_at+1}) over the last
 * SWITCH_WINDOW steps and every parameter (lr where those gradients were 0 or f is 0).
 */
const SWITCH_WINDOW = 50;

/**
 * `main` (a stepper) for steps i < switchAt, then momentum SGD; the same interface. `factors`: the
 * schedule's f_t (lr_t / lr_1 where the rates were given), `base`: the learning rate they scale.
 */
export function switchedStepper(main, settings, width, switchAt, factors, base) {
  const { momentum = 0.9, weight_decay: decay = 0, switch_lr: given = 0 } = settings;
  const state = { main, base, momentum, decay, given, width, switchAt, factors, stepSum: 0, gradSum: 0, count: 0, rate: 0 };
  Object.assign(state, { thetas: new Float64Array(width), starts: new Float64Array(width), moved: new Float64Array(width), buffer: new Float64Array(width) });
  return (i, g, gAt, out, outAt) => switchedRow(state, i, g, gAt, out, outAt);
}

function switchedRow(state, i, g, gAt, out, outAt) {
  const { width, switchAt, momentum, decay, thetas, starts, moved, buffer } = state;
  if (i < switchAt) {
    state.main(i, g, gAt, out, outAt);
    for (let j = 0; j < width; j++) {
      thetas[j] = out.theta[outAt + j];
      if (i >= switchAt - SWITCH_WINDOW) {
        state.stepSum += Math.abs(out.step[outAt + j]);
        state.gradSum += Math.abs(g[gAt + j]);
        state.count += 1;
      }
    }
    return;
  }
  if (i === switchAt) {
    // the rule, on means as NumPy forms them (sums over the window, then divided by the count)
    const factor = state.factors[i];
    const meanGrad = state.gradSum / state.count;
    const meanStep = state.stepSum / state.count;
    state.rate = state.given > 0 ? state.given : meanGrad === 0 || factor === 0 ? state.base : ((1 - momentum) * meanStep) / (meanGrad * factor);
    starts.set(thetas);
  }
  const rate = state.rate * state.factors[i];
  for (let j = 0; j < width; j++) {
    let theta = thetas[j];
    const grad = decay ? g[gAt + j] + decay * theta : g[gAt + j];
    buffer[j] = momentum * buffer[j] + grad;
    const step = rate * buffer[j];
    if (decay) theta = theta - step;
    else {
      moved[j] += step;
      theta = starts[j] - moved[j];
    }
    thetas[j] = theta;
    out.m_hat[outAt + j] = buffer[j];
    out.sqrt_v_hat[outAt + j] = 0;
    out.scale[outAt + j] = buffer[j];
    out.step[outAt + j] = step;
    out.theta[outAt + j] = theta;
    if (out.m) {
      out.m[outAt + j] = buffer[j];
      out.v[outAt + j] = 0;
      out.v_hat[outAt + j] = 0;
    }
  }
}
