/* adamviz engine, exact: error-free products (Dekker), for powers and roots correctly rounded in the
 * page whatever its Math.pow — so that the page and adamviz.sim, which form them the same way, agree. */

const SPLITTER = 134217729; // 2**27 + 1
function split(a) {
  const c = SPLITTER * a;
  const hi = c - (c - a);
  return [hi, a - hi];
}

/** a * b exactly, as [product rounded, its rounding error]. */
export function twoProduct(a, b) {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

/** p + e as a double-double [hi, lo]: hi = p + e rounded, lo what that rounding dropped. */
function renormalised(p, e) {
  const hi = p + e;
  return [hi, e - (hi - p)];
}

/**
 * t^-0.8 for t = 1..n (Adafactor's 1 - beta2_t), correctly rounded but within 2^-40 ulp of a tie: one
 * Newton step on y^5 t^4 = 1 from Math.pow's estimate, its residual in double-double — the same
 * operations as adamviz.sim.adaptive.adafactor_decay, so the same bits whatever either pow gives.
 */
export function adafactorDecay(n) {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t = k + 1;
    const y = t ** -0.8;
    const square = t * t;
    let [hi, lo] = twoProduct(y, y); // y²
    let [p, e] = twoProduct(hi, hi); // y⁴ = (y²)²
    [hi, lo] = renormalised(p, e + 2 * hi * lo);
    for (const factor of [y, square, square]) {
      // y⁵, y⁵·t², y⁵·t⁴
      [p, e] = twoProduct(hi, factor);
      [hi, lo] = renormalised(p, e + lo * factor);
    }
    const residual = (hi - 1) + lo;
    out[k] = y - (y * residual) / 5;
  }
  return out;
}
