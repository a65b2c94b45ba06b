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

  /** The first `n` raw 64-bit outputs of numpy.random.Philox(key=seed), as BigInts. */
  function philoxRaw(seed, n) {
    const key = [BigInt(seed) & MASK, BigInt(seed) >> 64n];
    const out = new Array(n);
    for (let block = 0; block * 4 < n; block++) {
      const words = philoxBlock([BigInt(block + 1), 0n, 0n, 0n], key);
      for (let j = 0; j < 4 && block * 4 + j < n; j++) out[block * 4 + j] = words[j];
    }
    return out;
  }

  /** numpy: Generator(Philox(key=seed)).uniform(low, high, n). */
  function uniform(seed, low, high, n) {
    const raw = philoxRaw(seed, n);
    const range = high - low;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = low + range * (Number(raw[i] >> 11n) * TWO_POW_MINUS_53);
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
  function optimize(g, optimizer, settings) {
    if (!OPTIMIZERS.includes(optimizer)) throw new Error(`unknown optimizer ${JSON.stringify(optimizer)}`);
    const { lr, beta1, beta2, eps, weight_decay: decay = 0, momentum = 0.9, bias_correction: correctOn = true, theta0 = 0 } = settings;
    const n = g.length;
    const out = {
      m_hat: new Float64Array(n),
      sqrt_v_hat: new Float64Array(n),
      scale: new Float64Array(n),
      step: new Float64Array(n),
      theta: new Float64Array(n),
    };
    const adamFamily = ADAM_FAMILY.includes(optimizer);
    const correct = adamFamily && correctOn;
    const power1 = correct ? powers(beta1, n) : null;
    const power2 = correct ? powers(beta2, n) : null;
    const coupled = optimizer === "adamw" ? 0 : decay;
    const shrink = optimizer === "adamw" ? 1 - lr * decay : 1;
    const denominator = optimizer !== "sgd" && optimizer !== "momentum";
    let m = 0;
    let v = 0;
    let vMax = 0;
    let theta = theta0;
    let moved = 0; // without decay, theta = theta0 - sum of steps, summed as adamviz.sim does
    for (let i = 0; i < n; i++) {
      const grad = coupled ? g[i] + coupled * theta : g[i];
      if (optimizer === "momentum") m = momentum * m + grad;
      else if (adamFamily) m = beta1 * m + (1 - beta1) * grad;
      else m = grad;
      let mHat = m;
      let sqrtVHat = 0;
      let scale = m;
      if (denominator) {
        v = beta2 * v + (1 - beta2) * (grad * grad);
        vMax = Math.max(vMax, v);
        const vUsed = optimizer === "amsgrad" ? vMax : v;
        mHat = correct ? m / (1 - power1[i]) : m;
        sqrtVHat = correct ? Math.sqrt(vUsed) / Math.sqrt(1 - power2[i]) : Math.sqrt(vUsed);
        scale = mHat / (sqrtVHat + eps);
      }
      const previous = theta;
      if (shrink !== 1) {
        theta = shrink * theta - lr * scale;
      } else if (coupled) {
        theta = theta - lr * scale;
      } else {
        moved += lr * scale;
        theta = theta0 - moved;
      }
      out.m_hat[i] = mHat;
      out.sqrt_v_hat[i] = sqrtVHat;
      out.scale[i] = scale;
      out.step[i] = shrink !== 1 ? previous - theta : lr * scale;
      out.theta[i] = theta;
    }
    return out;
  }

  AdamViz.engine = { philoxRaw, uniform, stream, powers, optimize, OPTIMIZERS, STREAMS: Object.keys(STREAMS) };
  if (typeof module !== "undefined" && module.exports) module.exports = AdamViz.engine;
})(globalThis);
