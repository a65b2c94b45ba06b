/* adamviz settings: the one table of settings, as Python's ExplorerSettings sends it (`browser_spec`),
 * and everything read from it — validation with one message style, slider transforms, URL query.
 *
 * No DOM, no Bokeh. A spec entry is {kind, default, label} plus, by kind: "number": min, max, integer,
 * and for a slider transform, step (zero_at for log10zero); "choice" (one name) and "choices" (a list
 * of distinct names; in a URL, comma-separated): options; "bool": nothing. A setting's URL key and
 * set() key are its name.
 */

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_WORDS = ["1", "true", "on", "yes"];
const FALSE_WORDS = ["0", "false", "off", "no"];

/** How a rejected value is shown: numbers and true/false as they are, strings quoted, anything else
 * as JSON (cut at 80 characters). */
function shown(raw) {
  if (typeof raw === "number" || typeof raw === "boolean" || raw === undefined) return String(raw);
  let text;
  try {
    text = JSON.stringify(raw);
  } catch {
    text = undefined;
  }
  if (text === undefined) text = JSON.stringify(Object.prototype.toString.call(raw));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The one message for a rejected value (Python's adamviz.sim.validation.rejection says the same). */
function rejection(name, raw, requirement) {
  return `${name} must be ${requirement}; got ${shown(raw)}`;
}

function requirement(spec) {
  if (spec.kind === "bool") return "true or false";
  if (spec.kind === "choice") return `one of ${spec.options.join(", ")}`;
  if (spec.kind === "choices") return `a list of distinct names among ${spec.options.join(", ")}`;
  return `${spec.integer ? "an integer" : "a number"} in [${spec.min}, ${spec.max}]`;
}

/** One setting against its spec: [value, null] or [null, message]. */
function check(name, raw, spec) {
  if (spec.kind === "bool") {
    if (raw === true || raw === false) return [raw, null];
    const word = typeof raw === "string" ? raw.trim().toLowerCase() : null;
    if (TRUE_WORDS.includes(word)) return [true, null];
    if (FALSE_WORDS.includes(word)) return [false, null];
    return [null, rejection(name, raw, requirement(spec))];
  }
  if (spec.kind === "choice") {
    return typeof raw === "string" && spec.options.includes(raw) ? [raw, null] : [null, rejection(name, raw, requirement(spec))];
  }
  if (spec.kind === "choices") {
    const names = typeof raw === "string" ? raw.split(",").map((n) => n.trim()).filter((n) => n !== "") : raw;
    const valid =
      Array.isArray(names) && names.every((n) => typeof n === "string" && spec.options.includes(n)) && new Set(names).size === names.length;
    if (!valid) return [null, rejection(name, raw, requirement(spec))];
    return [spec.options.filter((n) => names.includes(n)), null];
  }
  // numbers, or strings written as decimal numbers (a URL's "0x10" or "Infinity" is not one)
  const value = typeof raw === "number" ? raw : typeof raw === "string" && DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
  const valid =
    Number.isFinite(value) && (!spec.integer || Number.isInteger(value)) && value >= spec.min && value <= spec.max;
  return valid ? [value, null] : [null, rejection(name, raw, requirement(spec))];
}

/**
 * Check a set of changes against the table: {accepted, errors}. `iteration` is checked against the
 * iterations the changes leave (0 .. iterations − 1), and n_params × iterations against the
 * many-parameters view's budget; `current` holds the settings the changes apply to.
 */
function validate(spec, changes, current) {
  const accepted = {};
  const errors = [];
  if (changes === null || typeof changes !== "object" || Array.isArray(changes)) {
    return { accepted, errors: [`set() takes an object of settings, e.g. set({beta1: 0.99}); got ${shown(changes)}`] };
  }
  for (const [name, raw] of Object.entries(changes)) {
    if (name === "iteration") continue;
    if (!Object.hasOwn(spec, name)) {
      errors.push(`unknown setting ${shown(name)}; known: ${Object.keys(spec).join(", ")}, iteration`);
      continue;
    }
    const [value, error] = check(name, raw, spec[name]);
    if (error) errors.push(error);
    else accepted[name] = value;
  }
  if (Object.hasOwn(changes, "iteration")) {
    const iterations = accepted.iterations ?? current.iterations;
    const [value, error] = check("iteration", changes.iteration, { kind: "number", min: 0, max: iterations - 1, integer: true });
    if (error) errors.push(error);
    else accepted.iteration = value;
  }
  const [nParams, iterations] = [accepted.n_params ?? current.n_params, accepted.iterations ?? current.iterations];
  if (spec.n_params && nParams * iterations > spec.n_params.budget && ("n_params" in accepted || "iterations" in accepted)) {
    errors.push(`n_params × iterations must be at most ${spec.n_params.budget}; got ${nParams} × ${iterations} = ${nParams * iterations}`);
    delete accepted.n_params;
    delete accepted.iterations;
  }
  const after = { ...current, ...accepted };
  const refusal = precisionRefusal(after.precision, after.switch_at, after.iterations);
  if (refusal && ["precision", "switch_at", "iterations"].some((name) => name in accepted)) {
    errors.push(refusal);
    for (const name of ["precision", "switch_at", "iterations"]) delete accepted[name];
  }
  return { accepted, errors };
}

/** Why a run cannot be held in `precision`, or null (adamviz.sim.precision.precision_refusal). */
function precisionRefusal(precision = "float64", switchAt = 0, iterations = 0) {
  if (precision !== "float64" && switchAt > 0 && switchAt < iterations) return `precision ${precision} does not switch optimizers; set switch_at to 0`;
  return null;
}

/**
 * Slider transforms: a slider holds a friendly coordinate x, the state holds the value.
 * log10: 10^x; log10zero: 10^x (rounded for an integer setting), and 0 at x <= spec.zero_at (a log
 * slider with an explicit 0);
 * log10int: round(10^x); window: β = 1 − 10^−x (the averaging window 1/(1−β) on a log scale,
 * x = 0 meaning β = 0); linear: x. Values read off a slider are rounded to 6 significant digits (a
 * slider's position is no more precise); values set through set() or the URL are kept exactly.
 */
const TRANSFORMS = {
  log10: { value: (x) => Number((10 ** x).toPrecision(6)), position: (v) => Math.log10(v) },
  log10zero: {
    value: (x, spec) => (x <= spec.zero_at + 1e-9 ? 0 : spec.integer ? Math.round(10 ** x) : Number((10 ** x).toPrecision(6))),
    position: (v, spec) => (v <= 0 ? spec.zero_at : Math.max(spec.zero_at, Math.log10(v))),
  },
  log10int: { value: (x) => Math.round(10 ** x), position: (v) => Math.log10(v) },
  window: {
    value: (x) => (x <= 0 ? 0 : 1 - Number((10 ** -x).toPrecision(6))),
    position: (v) => (v <= 0 ? 0 : -Math.log10(1 - v)),
  },
  linear: { value: (x) => x, position: (v) => v },
};
/** The value a slider at position x stands for (`spec`: the setting's table entry). */
const sliderValue = (spec, x) => TRANSFORMS[spec.transform].value(x, spec);
/** Where a slider showing `value` sits. */
const sliderPosition = (spec, value) => TRANSFORMS[spec.transform].position(value, spec);

/**
 * What a screen reader says for a slider: the setting's value in its own units, never the slider's
 * position ("0.01", "0.999 (≈1000 steps)", "0 (off)", "×1e3", "200").
 */
function spokenValue(spec, value) {
  const plain = (v) => String(Number(Number(v).toPrecision(6)));
  if (spec.transform === "log10zero" && value <= 0) return `0 (${spec.zero_means || "off"})`;
  if (spec.transform === "window") return value <= 0 ? "0 (no averaging)" : `${plain(value)} (≈${Math.round(1 / (1 - value))} steps)`;
  if (spec.transform === "linear" && spec.integer && spec.min < 0) return value === 0 ? "×1" : `×1e${value}`;
  return plain(value);
}

/** Whether two settings' values are the same: lists (compare, controls, ...) item by item. */
const sameValue = (a, b) => (Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b);

/** URL query parameters named like settings (plus `iteration`): {accepted, messages}. */
function fromQuery(spec, search, current) {
  const query = new URLSearchParams(search);
  const wanted = {};
  for (const [name, raw] of query.entries()) {
    if (Object.hasOwn(spec, name) || name === "iteration") wanted[name] = raw;
  }
  const { accepted, errors } = validate(spec, wanted, current);
  return { accepted, messages: errors.map((e) => `${e} — using the default`) };
}

/** `search` with every setting of `params` (and the extra entries) written into it. */
function toQuery(spec, params, search, extra) {
  const query = new URLSearchParams(search);
  for (const [name, value] of Object.entries(extra)) query.set(name, String(value));
  for (const name of Object.keys(spec)) query.set(name, String(params[name]));
  return query.toString();
}

/** The settings of `spec` whose change recomputes `role` (Python's settings.ROLES: gradients,
 * population, optimizer, loop, layout or nothing). */
const recomputing = (spec, ...roles) => Object.keys(spec).filter((name) => roles.includes(spec[name].recomputes));

export { rejection, check, validate, recomputing, sameValue, sliderValue, sliderPosition, spokenValue, fromQuery, toQuery };
