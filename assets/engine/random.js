/* adamviz engine, random numbers: numpy.random.Generator(numpy.random.Philox(key=seed)), bit for bit.
 *
 * Philox4x64-10 (Salmon et al., 2011) with the counter incremented before each block of four 64-bit
 * words, each word turned into a double as (x >> 11) * 2**-53, and then low + (high - low) * u.
 * Pure functions, no DOM: tests/test_engine_node.py runs them in Node against NumPy. Whole blocks are
 * made by the WebAssembly kernel of philox.wat where the page may run it, else here.
 */
import { compileKernel } from "./kernels.js";
import { PHILOX_WASM } from "./philox_wasm.js";

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
export function philoxRaw(seed, n) {
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
/** @type {(big: bigint, shift: bigint) => number} */
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

const KERNEL_BLOCKS = 2048; // blocks a call of philox.wat's fill() makes at most (its memory: 64 KiB)
let kernel; // philox.wat's instance once made (null where WebAssembly is refused); it keeps no state

/** philox.wat's `fill` and the doubles it writes, made on first use; null where the page cannot run
 * WebAssembly (an old browser, a Content-Security-Policy without 'wasm-unsafe-eval'). */
function philoxKernel() {
  if (kernel === undefined) {
    const module = compileKernel(PHILOX_WASM);
    kernel = null;
    if (module) {
      try {
        const { exports } = new WebAssembly.Instance(module);
        const memory = /** @type {WebAssembly.Memory} */ (exports.memory);
        kernel = { fill: /** @type {Function} */ (exports.fill), doubles: new Float64Array(memory.buffer, 0, 4 * KERNEL_BLOCKS) };
      } catch {
        // (a module that would not start: the blocks are made in JavaScript)
      }
    }
  }
  return kernel;
}

/**
 * A reader of Generator(Philox(key=seed)).uniform(0, 1, ...) from draw `start` on: each call
 * `next(out, offset, count)` writes the next `count` uniforms in [0, 1) into out[offset...].
 * Philox is counter-based, so starting anywhere costs nothing. `fast`: whole blocks from philox.wat
 * where it runs (false: all from the JavaScript below, which tests hold it to).
 */
export function uniforms(seed, start = 0, fast = true) {
  const wasm = fast ? philoxKernel() : null;
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
      if (used === 4) {
        if (wasm && count - i >= 4) {
          // whole blocks from the kernel at once; the loop then goes on from the draw after them
          const blocks = Math.min(KERNEL_BLOCKS, Math.floor((count - i) / 4));
          wasm.fill(key0h, key0l, Math.floor(counter / TWO_32), counter >>> 0, blocks);
          out.set(wasm.doubles.subarray(0, 4 * blocks), offset + i);
          counter += blocks;
          i += 4 * blocks - 1;
          continue;
        }
        fill();
      }
      // (x >> 11) * 2**-53 for x = hi * 2**32 + lo
      out[offset + i] = (block[2 * used] * 2097152 + (block[2 * used + 1] >>> 11)) * TWO_POW_MINUS_53;
      used += 1;
    }
  };
}

/** numpy: Generator(Philox(key=seed)).uniform(low, high, n). */
export function uniform(seed, low, high, n) {
  const out = new Float64Array(n);
  uniforms(seed)(out, 0, n);
  const range = high - low;
  for (let i = 0; i < n; i++) out[i] = low + range * out[i];
  return out;
}
