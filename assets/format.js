/* adamviz format: how numbers and user text become page text (every view writes through these). */

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** `text` as HTML text: the five characters that could open markup become entities. */
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

/** A compact number for readouts. */
export function fmt(x, digits = 3) {
  if (!Number.isFinite(x)) return x > 0 ? "∞" : x < 0 ? "−∞" : "NaN";
  if (x === 0) return "0";
  const magnitude = Math.abs(x);
  if (magnitude < 1e-3 || magnitude >= 1e5) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

/** A small square of `colour` before a name in a readout: the name itself stays in the page's ink
 * (a line's colour on the page's background is too faint for text). `colour` is the palette's. */
export const swatch = (colour) => `<span class="av-swatch" style="background:${colour}" aria-hidden="true"></span>`;
