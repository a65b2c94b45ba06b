/* adamviz engine: the browser's copy of adamviz.sim — seeded streams and the Adam step.
 *
 * Pure functions, no DOM, no Bokeh: tests/test_engine_node.py runs this file alone in Node and
 * compares it with NumPy. In a page it becomes `AdamViz.engine`; in Node, `module.exports`.
 *
 * Streams are bit-identical to NumPy: `Generator(Philox(key=seed)).uniform(low, high, n)` is
 * Philox4x64-10 (Salmon et al., 2011) with the counter incremented before each block of four
 * 64-bit words, each word turned into a double as (x >> 11) * 2**-53, and then low + (high - low) * u.
 * The optimizers are evaluated step by step in float64; tests pin them to NumPy within derived
 * rounding-error bounds (tests/error_bounds.py), far below 1e-12.
 */
(function (global) {
  "use strict";
  const AdamViz = (global.AdamViz = global.AdamViz || {});
  if (AdamViz.engine) return;

  const MASK = (1n << 64n) - 1n;
  const PHILOX_M0 = 0xd2e7470ee14c6c93n;
  const PHILOX_M1 = 0xca5a826395121157n;
  const PHILOX_W0 = 0x9e3779b97f4a7c15n;
  const PHILOX_W1 = 0xbb67ae8584caa73bn;
  const TWO_POW_MINUS_53 = 1 / 9007199254740992;

  /** Philox4x64 with 10 rounds: four 64-bit counter words and a two-word key -> four words. */
  function philoxBlock(counter, key) {
    let [c0, c1, c2, c3] = counter;
    let [k0, k1] = key;
    for (let round = 0; round < 10; round++) {
      if (round > 0) {
        k0 = (k0 + PHILOX_W0) & MASK;
        k1 = (k1 + PHILOX_W1) & MASK;
      }
      const p0 = PHILOX_M0 * c0;
      const p1 = PHILOX_M1 * c2;
      [c0, c1, c2, c3] = [(p1 >> 64n) ^ c1 ^ k0, p1 & MASK, (p0 >> 64n) ^ c3 ^ k1, p0 & MASK];
    }
    return [c0, c1, c2, c3];
  }

  /** The first `n` raw 64-bit outputs of numpy.random.Philox(key=seed), as BigInts: the readable
   * reference that tests hold the fast `uniforms` below to. */
  function philoxRaw(seed, n) {
    const key = [BigInt(seed) & MASK, BigInt(seed) >> 64n];
    const out = new Array(n);
    for (let block = 0; block * 4 < n; block++) {
      const words = philoxBlock([BigInt(block + 1), 0n, 0n, 0n], key);
      for (let j = 0; j < 4 && block * 4 + j < n; j++) out[block * 4 + j] = words[j];
    }
    return out;
  }

  /* The same Philox4x64-10 on 32-bit halves held in doubles (every intermediate an exact integer
   * below 2**53), far faster than BigInt: a 64-bit word is a (hi, lo) pair of uint32. */
  const TWO_32 = 4294967296;
  const half = (big, shift) => Number((big >> shift) & 0xffffffffn);
  const [M0H, M0L, M1H, M1L] = [half(PHILOX_M0, 32n), half(PHILOX_M0, 0n), half(PHILOX_M1, 32n), half(PHILOX_M1, 0n)];
  const [W0H, W0L, W1H, W1L] = [half(PHILOX_W0, 32n), half(PHILOX_W0, 0n), half(PHILOX_W1, 32n), half(PHILOX_W1, 0n)];

  /**
   * The 128-bit product (mh·2**32 + ml)·(xh·2**32 + xl) of two 64-bit words given as uint32 halves,
   * written to out[0..3] as uint32 words, most significant first. Each 32 x 32-bit partial product is
   * formed from two 16 x 32-bit ones (< 2**48, exact in a double); `>>> 0` takes an exact integer
   * modulo 2**32. Written out in full: a helper per partial product costs V8 a third more time.
   */
  function mul64(mh, ml, xh, xl, out) {
    let high = (ml >>> 16) * xl;
    let low = (ml & 0xffff) * xl;
    let carried = high & 0xffff;
    let sum = carried * 65536 + low;
    const w0 = sum >>> 0; // ml·xl = llHigh·2**32 + w0
    const llHigh = (high - carried) / 65536 + (sum - w0) / TWO_32;
    high = (ml >>> 16) * xh;
    low = (ml & 0xffff) * xh;
    carried = high & 0xffff;
    sum = carried * 65536 + low;
    const lhLow = sum >>> 0;
    const lhHigh = (high - carried) / 65536 + (sum - lhLow) / TWO_32;
    high = (mh >>> 16) * xl;
    low = (mh & 0xffff) * xl;
    carried = high & 0xffff;
    sum = carried * 65536 + low;
    const hlLow = sum >>> 0;
    const hlHigh = (high - carried) / 65536 + (sum - hlLow) / TWO_32;
    high = (mh >>> 16) * xh;
    low = (mh & 0xffff) * xh;
    carried = high & 0xffff;
    sum = carried * 65536 + low;
    const hhLow = sum >>> 0;
    const hhHigh = (high - carried) / 65536 + (sum - hhLow) / TWO_32;
    const word1 = llHigh + lhLow + hlLow; // < 3·2**32
    const w1 = word1 >>> 0;
    const word2 = lhHigh + hlHigh + hhLow + (word1 - w1) / TWO_32;
    const w2 = word2 >>> 0;
    out[0] = hhHigh + (word2 - w2) / TWO_32;
    out[1] = w2;
    out[2] = w1;
    out[3] = w0;
  }

  /**
   * A reader of Generator(Philox(key=seed)).uniform(0, 1, ...) from draw `start` on: each call
   * `next(out, offset, count)` writes the next `count` uniforms in [0, 1) into out[offset...].
   * Philox is counter-based, so starting anywhere costs nothing.
   */
  function uniforms(seed, start = 0) {
    const key0h = Math.floor(seed / TWO_32) >>> 0;
    const key0l = seed >>> 0;
    const block = new Float64Array(8); // the current block's four words, each as (hi, lo)
    const product = new Float64Array(4);
    let counter = Math.floor(start / 4); // blocks done; the next block uses counter + 1
    let used = 4;
    const fill = () => {
      counter += 1;
      // destructuring would allocate in this hot loop: plain variables only
      let c0h = Math.floor(counter / TWO_32);
      let c0l = counter >>> 0;
      let c1h = 0;
      let c1l = 0;
      let c2h = 0;
      let c2l = 0;
      let c3h = 0;
      let c3l = 0;
      let k0h = key0h;
      let k0l = key0l;
      let k1h = 0;
      let k1l = 0;
      for (let round = 0; round < 10; round++) {
        if (round > 0) {
          k0l += W0L;
          k0h = (k0h + W0H + (k0l >= TWO_32 ? 1 : 0)) >>> 0;
          k0l >>>= 0;
          k1l += W1L;
          k1h = (k1h + W1H + (k1l >= TWO_32 ? 1 : 0)) >>> 0;
          k1l >>>= 0;
        }
        mul64(M0H, M0L, c0h, c0l, product);
        const p0hh = product[0];
        const p0hl = product[1];
        const p0lh = product[2];
        const p0ll = product[3];
        mul64(M1H, M1L, c2h, c2l, product);
        c0h = (product[0] ^ c1h ^ k0h) >>> 0;
        c0l = (product[1] ^ c1l ^ k0l) >>> 0;
        c1h = product[2];
        c1l = product[3];
        c2h = (p0hh ^ c3h ^ k1h) >>> 0;
        c2l = (p0hl ^ c3l ^ k1l) >>> 0;
        c3h = p0lh;
        c3l = p0ll;
      }
      block[0] = c0h;
      block[1] = c0l;
      block[2] = c1h;
      block[3] = c1l;
      block[4] = c2h;
      block[5] = c2l;
      block[6] = c3h;
      block[7] = c3l;
      used = 0;
    };
    if (start % 4) {
      fill();
      used = start % 4;
    }
    return function next(out, offset, count) {
      for (let i = 0; i < count; i++) {
        if (used === 4) fill();
        // (x >> 11) * 2**-53 for x = hi * 2**32 + lo
        out[offset + i] = (block[2 * used] * 2097152 + (block[2 * used + 1] >>> 11)) * TWO_POW_MINUS_53;
        used += 1;
      }
    };
  }

  /** numpy: Generator(Philox(key=seed)).uniform(low, high, n). */
  function uniform(seed, low, high, n) {
    const out = new Float64Array(n);
    uniforms(seed)(out, 0, n);
    const range = high - low;
    for (let i = 0; i < n; i++) out[i] = low + range * out[i];
    return out;
  }

  /**
   * The registry of adamviz.sim.streams. Shape parameters have no defaults here: the page receives
   * them from adamviz.sim (`stream_shapes`), so the two sides cannot disagree.
   */
  const STREAMS = {
    consistent(n, seed, { mean, noise }) {
      const noiseDraws = uniform(seed, -noise, noise, n);
      return noiseDraws.map((u) => mean + u);
    },
    noisy(n, seed, { noise }) {
      return uniform(seed, -noise, noise, n);
    },
    reversal(n, seed, { amplitude, flip_every: flipEvery, noise }) {
      const noiseDraws = uniform(seed, -noise, noise, n);
      return noiseDraws.map((u, t) => (Math.floor(t / flipEvery) % 2 === 0 ? amplitude : -amplitude) + u);
    },
    sparse(n, seed, { probability, size }) {
      return uniform(seed, 0, 1, n).map((u) => (u < probability ? size : 0));
    },
    shrinking(n, seed, { size, drop_at: dropAt, factor, noise }) {
      const noiseDraws = uniform(seed, -noise, noise, n);
      const late = size / factor;
      return noiseDraws.map((u, t) => (t < dropAt ? size : late) * (1 + u));
    },
  };

  function stream(name, n, seed, shape) {
    if (!Object.hasOwn(STREAMS, name)) throw new Error(`unknown stream ${JSON.stringify(name)}`);
    for (const [key, value] of Object.entries(shape)) {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${name}: shape parameter ${key} must be a finite number`);
    }
    return STREAMS[name](n, seed, shape);
  }

  /* Double-double arithmetic (Dekker 1971): a value hi + lo carried to ~106 bits. */
  const SPLITTER = 134217729; // 2**27 + 1
  function split(a) {
    const c = SPLITTER * a;
    const hi = c - (c - a);
    return [hi, a - hi];
  }
  /** a * b exactly, as [product rounded, its rounding error]. */
  function twoProduct(a, b) {
    const p = a * b;
    const [ah, al] = split(a);
    const [bh, bl] = split(b);
    return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
  }

  /**
   * beta**t for t = 1..n, each correctly rounded (up to ties closer than 2**-40 ulp): a running
   * double-double product, whose error after t steps is ~t * 2**-104. The C library's pow that torch
   * and adamviz.sim use is correctly rounded in all but ~0.1% of these powers (within 1 ulp then);
   * V8's Math.pow is off by an ulp in ~10% — which, near beta = 0.9999, moves 1 - beta**t by 1e-12.
   */
  function powers(beta, n) {
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

  const OPTIMIZERS = ["sgd", "momentum", "rmsprop", "adam", "amsgrad", "adamw"];
  const ADAM_FAMILY = ["adam", "amsgrad", "adamw"];

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
   *   step = theta_{t-1} - theta_t (lr * scale, plus the decoupled decay for adamw).
   * Returns {m_hat, sqrt_v_hat, scale, step, theta}; for sgd and momentum m_hat is the scale and
   * sqrt_v_hat is 0, as in adamviz.sim.
   */
  function optimize(g, optimizer, settings, full = false) {
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
   * an array of `width` starts.
   */
  function stepper(optimizer, settings, width, iterations) {
    if (!OPTIMIZERS.includes(optimizer)) throw new Error(`unknown optimizer ${JSON.stringify(optimizer)}`);
    const { lr, beta1, beta2, eps, weight_decay: decay = 0, momentum = 0.9, bias_correction: correctOn = true, theta0 = 0 } = settings;
    const adamFamily = ADAM_FAMILY.includes(optimizer);
    const correct = adamFamily && correctOn;
    const power1 = correct ? powers(beta1, iterations) : null;
    const power2 = correct ? powers(beta2, iterations) : null;
    const coupled = optimizer === "adamw" ? 0 : decay;
    const shrink = optimizer === "adamw" ? 1 - lr * decay : 1;
    const denominator = optimizer !== "sgd" && optimizer !== "momentum";
    const amsgrad = optimizer === "amsgrad";
    const heavyBall = optimizer === "momentum";
    const state = {
      ...{ optimizer, lr, beta1, beta2, eps, momentum, width, correct, power1, power2, coupled, shrink },
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
    const { lr, beta1, beta2, eps, momentum, width, correct, power1, power2, coupled, shrink } = state;
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
        if (vj > vMax[j]) vMax[j] = vj;
        const vUsed = amsgrad ? vMax[j] : vj;
        mHat = correct ? mj / correction1 : mj;
        sqrtVHat = correct ? Math.sqrt(vUsed) / root2 : Math.sqrt(vUsed);
        scale = mHat / (sqrtVHat + eps);
      }
      const previous = theta;
      if (shrink !== 1) {
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
      stepOut[outAt + j] = shrink !== 1 ? previous - theta : lr * scale;
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

  const SQRT_HALF = Math.sqrt(0.5); // cos 45° = sin 45°, correctly rounded as in Python

  /** (x, y) in the valley's own axes: along (u) and across (w); turned 45° when rotated. */
  function valleyAxes(x, y, rotated) {
    return rotated ? [(x + y) * SQRT_HALF, (y - x) * SQRT_HALF] : [x, y];
  }

  /**
   * adamviz.sim.PROBLEMS, the same expressions in the same order (so the same bits): each takes θ as
   * an array of coordinates and the shape (from Python's table; no defaults here).
   */
  const PROBLEMS = {
    bowl: {
      gradient: ([theta], { curvature, optimum }) => [curvature * (theta - optimum)],
      loss([theta], { curvature, optimum }) {
        const d = theta - optimum;
        return 0.5 * curvature * d * d;
      },
    },
    valley: {
      gradient([x, y], { curvature, condition, rotated }) {
        const [u, w] = valleyAxes(x, y, rotated);
        const gu = (curvature * u) / condition;
        const gw = curvature * w;
        return rotated ? [(gu - gw) * SQRT_HALF, (gu + gw) * SQRT_HALF] : [gu, gw];
      },
      loss([x, y], { curvature, condition, rotated }) {
        const [u, w] = valleyAxes(x, y, rotated);
        return 0.5 * curvature * ((u * u) / condition + w * w);
      },
    },
    rosenbrock: {
      gradient([x, y], { a, b }) {
        const r = y - x * x;
        return [-2 * (a - x) - 4 * b * x * r, 2 * b * r];
      },
      loss([x, y], { a, b }) {
        const r = y - x * x;
        return (a - x) * (a - x) + b * r * r;
      },
    },
  };

  /**
   * adamviz.sim.descend, bit for bit: `optimizer` stepped over PROBLEMS[name] from `start` (one value
   * per coordinate), fed g_t = grad f(theta_{t-1}) + U(-noise, noise) per coordinate (drawn in
   * (step, coordinate) order from `seed`). Returns one trace per coordinate ({g, m_hat, sqrt_v_hat,
   * scale, step, theta}, as optimize()) and the loss after each step.
   */
  function descend(name, iterations, { start, seed = 0, noise = 0, optimizer, settings, shape }) {
    if (!Object.hasOwn(PROBLEMS, name)) throw new Error(`unknown problem ${JSON.stringify(name)}`);
    const problem = PROBLEMS[name];
    const dims = start.length;
    const draws = noise > 0 ? uniform(seed, -noise, noise, iterations * dims) : null;
    const keys = ["g", "m_hat", "sqrt_v_hat", "scale", "step", "theta"];
    const rows = Object.fromEntries(keys.map((key) => [key, new Float64Array(iterations * dims)]));
    const loss = new Float64Array(iterations);
    const step = stepper(optimizer, { ...settings, theta0: start }, dims, iterations);
    let theta = Array.from(start);
    for (let i = 0; i < iterations; i++) {
      const g = problem.gradient(theta, shape);
      for (let j = 0; j < dims; j++) rows.g[i * dims + j] = draws ? g[j] + draws[i * dims + j] : g[j];
      step(i, rows.g, i * dims, rows, i * dims);
      theta = Array.from(rows.theta.subarray(i * dims, (i + 1) * dims));
      loss[i] = problem.loss(theta, shape);
    }
    const traces = Array.from({ length: dims }, (_, j) =>
      Object.fromEntries(keys.map((key) => [key, rows[key].filter((_, k) => k % dims === j)]))
    );
    return { traces, loss };
  }

  /* ---- many parameters at once: adamviz.sim.population ---------------------------------- */

  /** u in [0, 1) -> 10^k * grid[j], grid point floor(u * N) of the N = (high - low) * grid.length
   * points from 10^low up (adamviz.sim.population._log_uniform; `grid` is its LOG_GRID). */
  function logUniform(u, low, high, grid) {
    const index = Math.floor(u * ((high - low) * grid.length));
    const decade = Number(`1e${low + Math.floor(index / grid.length)}`); // 10^k, correctly rounded
    return decade * grid[index % grid.length];
  }

  /**
   * adamviz.sim.population_parameters, bit for bit: per parameter its gradient's magnitude (RMS),
   * spread γ = σ/|μ|, the mean μ and half-width σ√3 of an active step, and whether it is sparse.
   */
  function populationParameters(nParams, seed, shape, grid) {
    const u = new Float64Array(4 * nParams);
    uniforms(seed)(u, 0, 4 * nParams);
    const out = {
      magnitude: new Float64Array(nParams),
      spread: new Float64Array(nParams),
      mean: new Float64Array(nParams),
      noise: new Float64Array(nParams),
      sparse: new Uint8Array(nParams),
    };
    const p = shape.sparse_probability;
    const sqrt3 = Math.sqrt(3);
    for (let i = 0; i < nParams; i++) {
      const s = logUniform(u[i], shape.magnitude_low, shape.magnitude_high, grid);
      const gamma = logUniform(u[nParams + i], shape.spread_low, shape.spread_high, grid);
      const root = Math.sqrt(gamma * gamma + 1);
      const mean = (u[2 * nParams + i] < 0.5 ? 1 : -1) * (s / root);
      const sparse = u[3 * nParams + i] < shape.sparse_fraction;
      out.mean[i] = mean;
      out.noise[i] = ((s * gamma) / root) * sqrt3;
      out.sparse[i] = sparse ? 1 : 0;
      out.magnitude[i] = sparse ? Math.sqrt(p) * s : s;
      out.spread[i] = sparse ? Math.sqrt((s * s) / (p * (mean * mean)) - 1) : gamma;
    }
    return out;
  }

  /** adamviz.sim.population(nParams, iterations, seed, **shape), bit for bit: {parameters, g} with
   * g a Float64Array of iterations rows of nParams gradients (row t holds step t + 1). */
  function population(nParams, iterations, seed, shape, grid) {
    return finish(populationSteps(nParams, iterations, seed, shape, grid));
  }

  /** `population` as a generator that yields between blocks of rows (see populationRun). */
  function* populationSteps(nParams, iterations, seed, shape, grid) {
    const parameters = populationParameters(nParams, seed, shape, grid);
    const g = new Float64Array(iterations * nParams);
    const draw = uniforms(seed, 4 * nParams);
    const p = shape.sparse_probability;
    const rowsPerYield = Math.max(1, Math.floor(ROWS_WORK / nParams / 4)); // drawing costs ~4 steps
    for (let t = 0; t < iterations; t++) {
      const row = t * nParams;
      draw(g, row, nParams);
      for (let i = 0; i < nParams; i++) {
        const u = g[row + i];
        const sparse = parameters.sparse[i] === 1;
        const w = (sparse ? u / p : u) * 2 - 1;
        g[row + i] = !sparse || u < p ? parameters.mean[i] + parameters.noise[i] * w : 0;
      }
      if ((t + 1) % rowsPerYield === 0) yield t + 1;
    }
    return { parameters, g };
  }

  /** About how many parameter-steps a generator below does between yields (~5 ms in Chromium). */
  const ROWS_WORK = 100000;

  const PERCENTILES = [10, 50, 90];

  /**
   * numpy.percentile(values, q) by its default ("linear") method, for each q of PERCENTILES, into
   * out[at ...]; `values` is reordered in place. The virtual index is (n − 1)·(q/100); between the two
   * order statistics a (at its floor) and b (the next) numpy interpolates as a + (b − a)·γ, or
   * b − (b − a)·(1 − γ) when γ ≥ 1/2. The order statistics are found by selection, not a full sort:
   * the same values, in a third of the time.
   */
  function percentilesInto(values, out, at) {
    const n = values.length;
    let from = 0;
    const below = new Array(PERCENTILES.length);
    for (let k = 0; k < PERCENTILES.length; k++) {
      const index = (n - 1) * (PERCENTILES[k] / 100);
      below[k] = Math.min(Math.floor(index), n - 1);
      if (below[k] >= from) select(values, below[k], from, n - 1);
      from = below[k] + 1;
    }
    for (let k = 0; k < PERCENTILES.length; k++) {
      const index = (n - 1) * (PERCENTILES[k] / 100);
      const gamma = index - below[k];
      const a = values[below[k]];
      // the next order statistic: the smallest value after a (all there are >= a), up to the next selected one
      const end = k + 1 < PERCENTILES.length ? below[k + 1] : n - 1;
      let b = a;
      if (below[k] + 1 <= n - 1) {
        b = values[below[k] + 1];
        for (let i = below[k] + 2; i <= end; i++) if (values[i] < b) b = values[i];
      }
      const difference = b - a;
      out[at + k] = gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma;
    }
  }

  /**
   * Reorder values[lo..hi] so that values[k] holds the value it would hold sorted, everything before
   * it is <= and everything after it >= (Hoare's selection with a median-of-three pivot, after
   * Numerical Recipes' `select`).
   */
  function select(values, k, lo, hi) {
    const swap = (i, j) => {
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    };
    let left = lo;
    let right = hi;
    for (;;) {
      if (right <= left + 1) {
        if (right === left + 1 && values[right] < values[left]) swap(left, right);
        return;
      }
      swap((left + right) >> 1, left + 1);
      if (values[left] > values[right]) swap(left, right);
      if (values[left + 1] > values[right]) swap(left + 1, right);
      if (values[left] > values[left + 1]) swap(left, left + 1);
      let i = left + 1;
      let j = right;
      const pivot = values[left + 1];
      for (;;) {
        do i++;
        while (values[i] < pivot);
        do j--;
        while (values[j] > pivot);
        if (j < i) break;
        swap(i, j);
      }
      values[left + 1] = values[j];
      values[j] = pivot;
      if (j >= k) right = j - 1;
      if (j <= k) left = i;
    }
  }

  /**
   * The r_t diagnostic of `optimizer` over a population's gradients `g` (rows of `width`): per step
   * the PERCENTILES of r_t = |scale| over parameters (a Float64Array of iterations × 3). With
   * `keep`, also per step and parameter |step|/η and the estimated spread γ̂ = √(v̂ − m̂²)/|m̂|
   * (NaN where m̂ = 0 or there is no v̂) as Float32Arrays, for the scatter, and `extent`: the smallest
   * positive and the largest value of each. A generator: it yields between blocks of rows so that a
   * page can spread the work over frames; its return value is {percentiles, perLr, spreadHat, extent}.
   */
  function* populationRun(g, width, iterations, optimizer, settings, keep) {
    const step = stepper(optimizer, settings, width, iterations);
    const row = {
      m_hat: new Float64Array(width),
      sqrt_v_hat: new Float64Array(width),
      scale: new Float64Array(width),
      step: new Float64Array(width),
      theta: new Float64Array(width),
    };
    const r = new Float64Array(width);
    const percentiles = new Float64Array(iterations * PERCENTILES.length);
    const perLr = keep ? new Float32Array(iterations * width) : null;
    const spreadHat = keep ? new Float32Array(iterations * width) : null;
    const rowsPerYield = Math.max(1, Math.floor(ROWS_WORK / width));
    const { lr } = settings;
    const extent = { perLr: [Infinity, 0], spreadHat: [Infinity, 0] };
    const widen = (range, value) => {
      if (value > 0 && value < range[0]) range[0] = value;
      if (value > range[1]) range[1] = value;
    };
    for (let t = 0; t < iterations; t++) {
      step(t, g, t * width, row, 0);
      for (let j = 0; j < width; j++) r[j] = Math.abs(row.scale[j]);
      percentilesInto(r, percentiles, t * PERCENTILES.length);
      if (keep) {
        for (let j = 0; j < width; j++) {
          const mHat = row.m_hat[j];
          const vHat = row.sqrt_v_hat[j] * row.sqrt_v_hat[j];
          const stepPerLr = Math.abs(row.step[j]) / lr;
          const spread = mHat !== 0 && vHat > 0 ? Math.sqrt(Math.max(vHat - mHat * mHat, 0)) / Math.abs(mHat) : NaN;
          perLr[t * width + j] = stepPerLr;
          spreadHat[t * width + j] = spread;
          widen(extent.perLr, stepPerLr);
          widen(extent.spreadHat, spread);
        }
      }
      if ((t + 1) % rowsPerYield === 0) yield t + 1;
    }
    return { percentiles, perLr, spreadHat, extent };
  }

  /** Run a generator such as populationRun to its end at once; returns its return value. */
  function finish(generator) {
    for (;;) {
      const { value, done } = generator.next();
      if (done) return value;
    }
  }

  AdamViz.engine = {
    philoxRaw,
    uniforms,
    uniform,
    stream,
    powers,
    optimize,
    stepper,
    descend,
    problemLoss: (name, theta, shape) => PROBLEMS[name].loss(theta, shape),
    PROBLEMS: Object.keys(PROBLEMS),
    populationParameters,
    population,
    populationSteps,
    percentilesInto,
    populationRun,
    finish,
    PERCENTILES,
    ROWS_WORK,
    OPTIMIZERS,
    STREAMS: Object.keys(STREAMS),
  };
  if (typeof module !== "undefined" && module.exports) module.exports = AdamViz.engine;
})(globalThis);
