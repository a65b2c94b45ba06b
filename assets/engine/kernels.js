/* adamviz engine, the WebAssembly kernels (philox.wat, adam_rows.wat) as this page can run them:
 * tests/build_bundle.py checks each in as base64 (its *_wasm.js). */

/** The compiled module of a kernel from its base64, or null where the page cannot compile it (an old
 * browser, no 128-bit vectors, a Content-Security-Policy without 'wasm-unsafe-eval'): the caller then
 * computes the same numbers in JavaScript. */
export function compileKernel(base64) {
  try {
    return new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
