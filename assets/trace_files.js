/* adamviz trace files, read in the page: the recorder's .npz (adamviz.record), a 1-D .npy, a one-column
 * .csv — the same checks and messages as adamviz/record/trace_file.py, so a file the CLI refuses the
 * page refuses the same way. Nothing is uploaded, nothing evaluated: the zip directory, the .npy
 * headers (matched by pattern, never run) and the JSON meta (JSON.parse) are read by hand, and a
 * member holding Python objects (a pickle) is refused.
 *
 *   AdamViz.traceFiles.read(name, bytes, limits) -> Promise<run>   (rejects with Error(message))
 *   run = {source, meta, optimizer, groups: [{name, shape, steps, percentiles, settings, lr, weight_decay,
 *          coordinates: [{index, g, m_hat, sqrt_v_hat, step}]}]}   (arrays: Float64Array; percentiles R×3
 *          flat; settings: the group's optimizer settings or the run's, null for a bare log; lr and
 *          weight_decay: per record, or null where not recorded)
 *
 * `limits` is contract.js's TRACE_LIMITS, the Python module's constants.
 */

import { checkMembers, fail, memberBytes, quoted, readJson, readNpy, thousands, zipSegments } from "./archive.js";
import { EXTRA_SETTINGS, RECORDED_OPTIMIZERS } from "./contract.js";

const MEMBER = /^(meta|g(0|[1-9]\d{0,3})_(steps|index|g|exp_avg|exp_avg_sq|step|percentiles|lr|weight_decay))$/;
const SCHEDULE_MEMBERS = ["lr", "weight_decay"]; // optional, per record: what the step used (a scheduler's)
const SETTING_KEYS = ["lr", "betas", "eps", "weight_decay", "momentum"];
const OPTIMIZER_NAMES = Object.keys(RECORDED_OPTIMIZERS); // what each holds: contract.js (Python's table)
const MOMENT_MEMBERS = ["exp_avg", "exp_avg_sq", "step"];

const dtypeName = (array) => ({ "<f8": "float64", "<f4": "float32", "<i8": "int64", "|u1": "uint8" })[array.descr] || array.descr;

function member(arrays, key, name, kinds, ndim) {
  const array = arrays[key];
  if (!array) fail(`${name}: ${key} missing`);
  if (!kinds.includes(array.kind) || !array.values) fail(`${name}: ${key} must hold ${kinds === "iu" ? "integers" : "numbers"}; got dtype ${dtypeName(array)}`);
  if (array.shape.length !== ndim) fail(`${name}: ${key} must be ${ndim}-D; got shape (${array.shape.join(", ")}${array.shape.length === 1 ? "," : ""})`);
  return array;
}

function finite(values, key, name, columns) {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const where = columns ? `record ${Math.floor(i / columns)}, coordinate ${i % columns}` : `record ${i}`;
      const shown = Number.isNaN(values[i]) ? "nan" : values[i] > 0 ? "inf" : "-inf";
      fail(`${name}: ${key} is not finite at ${where} (${shown})`);
    }
  }
}

function readMeta(arrays, name, limits) {
  if (!arrays.meta) fail(`${name}: not an adamviz trace (no meta member; record one with adamviz.record.Recorder)`);
  const raw = arrays.meta;
  if (raw.descr.replace(/^[|<>=]/, "") !== "u1" || raw.shape.length !== 1) fail(`${name}: meta must be UTF-8 JSON bytes (uint8, 1-D)`);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(raw.values));
  } catch {
    fail(`${name}: meta is not UTF-8 text`);
  }
  const meta = readJson(text, `${name}: meta`, limits);
  if (!meta || typeof meta !== "object" || Array.isArray(meta) || meta.format !== "adamviz-trace") {
    fail(`${name}: not an adamviz trace (format ${meta && typeof meta === "object" ? JSON.stringify(meta.format ?? null) : typeof meta}, expected 'adamviz-trace')`);
  }
  if (meta.version !== 1 && meta.version !== 2) fail(`${name}: trace version ${JSON.stringify(meta.version ?? null)}; this adamviz reads versions 1 and 2`);
  const groups = meta.groups;
  if (!Array.isArray(groups) || !groups.length || groups.length > 10000) fail(`${name}: meta must list the groups (1 to 10,000)`);
  groups.forEach((group, k) => {
    const ok =
      group && typeof group === "object" && typeof group.name === "string" && group.name.length > 0 && group.name.length <= 200 &&
      Array.isArray(group.shape) && group.shape.every((n) => Number.isInteger(n) && n >= 1 && n <= limits.safeInteger) &&
      group.shape.reduce((a, n) => a * BigInt(n), 1n) <= BigInt(limits.safeInteger);
    if (!ok) fail(`${name}: meta's group ${k} needs a name (1–200 characters) and a shape`);
  });
  const optimizer = meta.optimizer ?? null;
  if (optimizer !== null && !Object.hasOwn(RECORDED_OPTIMIZERS, optimizer)) fail(`${name}: optimizer must be one of ${OPTIMIZER_NAMES.join(", ")} or null; got ${JSON.stringify(optimizer)}`);
  if (optimizer !== null) checkSettings(meta, `${name}:`);
  groups.forEach((group, k) => {
    if (!Object.hasOwn(group, "settings")) return;
    const settings = group.settings;
    if (optimizer === null || !settings || typeof settings !== "object" || Array.isArray(settings)) fail(`${name}: meta's group ${k}: settings must be an object, with an optimizer`);
    checkSettings(settings, `${name}: meta's group ${k}:`);
  });
  if (meta.amsgrad !== undefined && typeof meta.amsgrad !== "boolean") fail(`${name}: amsgrad must be true or false; got ${JSON.stringify(meta.amsgrad)}`);
  return meta;
}

/** lr, eps, weight_decay (numbers >= 0), betas ([β₁, β₂] in [0, 1)), momentum ([0, 1]) and, where present,
 * the settings only some optimizers have (EXTRA_SETTINGS): the run's or a group's. */
function checkSettings(settings, where) {
  const number = (key, value, low, high, highOpen = false) => {
    const ok = typeof value === "number" && Number.isFinite(value) && value >= low && (highOpen ? value < high : value <= high);
    if (!ok) fail(`${where} ${key} must be a number in [${low}, ${high === Infinity ? "inf" : high}${highOpen ? ")" : "]"}; got ${JSON.stringify(value ?? null)}`);
  };
  number("lr", settings.lr, 0, Infinity);
  number("eps", settings.eps, 0, Infinity);
  number("weight_decay", settings.weight_decay, 0, Infinity);
  if (!Array.isArray(settings.betas) || settings.betas.length !== 2) fail(`${where} betas must be [β₁, β₂]`);
  for (const beta of settings.betas) number("betas", beta, 0, 1, true);
  number("momentum", settings.momentum, 0, 1);
  for (const [key, { kind }] of Object.entries(EXTRA_SETTINGS)) {
    if (!Object.hasOwn(settings, key)) continue;
    if (kind === "bool" && typeof settings[key] !== "boolean") fail(`${where} ${key} must be true or false; got ${JSON.stringify(settings[key])}`);
    if (kind === "number") number(key, settings[key], 0, Infinity);
  }
}

function readGroup(name, meta, arrays, k, spec, limits) {
  const steps = member(arrays, `g${k}_steps`, name, "iu", 1).values;
  const index = member(arrays, `g${k}_index`, name, "iu", 1).values;
  const g = member(arrays, `g${k}_g`, name, "iuf", 2);
  const records = steps.length;
  if (records === 0) fail(`${name}: g${k}_steps: no records`);
  if (records > limits.records) fail(`${name}: g${k} has ${thousands(records)} records; the page shows at most ${thousands(limits.records)}`);
  const increasing = `${name}: g${k}_steps must increase from 1 or more, up to 2**53`;
  if (steps.some((t) => t < 1 || t > limits.safeInteger)) fail(increasing);
  for (let i = 1; i < records; i++) if (steps[i] <= steps[i - 1]) fail(increasing);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (!index.length || index.some((i) => i < 0 || i >= size)) fail(`${name}: g${k}_index must name 1 or more entries of the ${thousands(size)}-entry tensor`);
  const shape = [records, index.length];
  const present = MOMENT_MEMBERS.filter((key) => arrays[`g${k}_${key}`]);
  if (present.length && present.length !== MOMENT_MEMBERS.length) {
    fail(`${name}: g${k}_${MOMENT_MEMBERS.find((key) => !present.includes(key))} missing (exp_avg, exp_avg_sq and step come together)`);
  }
  if (present.length && (meta.optimizer === null || meta.optimizer === undefined)) fail(`${name}: g${k} holds moments but meta names no optimizer`);
  const moments = Object.fromEntries(present.map((key) => [key, member(arrays, `g${k}_${key}`, name, "iuf", 2)]));
  for (const [key, array] of [["g", g], ...Object.entries(moments)]) {
    if (array.shape.join() !== shape.join()) fail(`${name}: g${k}_${key} has shape (${array.shape.join(", ")}); g${k}_steps and g${k}_index make it (${shape.join(", ")})`);
    finite(array.values, `g${k}_${key}`, name, shape[1]);
  }
  let percentiles = null;
  if (arrays[`g${k}_percentiles`]) {
    const p = member(arrays, `g${k}_percentiles`, name, "iuf", 2);
    if (p.shape.join() !== `${records},3`) fail(`${name}: g${k}_percentiles has shape (${p.shape.join(", ")}); expected (${records}, 3)`);
    finite(p.values, `g${k}_percentiles`, name, 3);
    percentiles = p.values;
  }
  const column = (values, j) => Float64Array.from({ length: records }, (_, i) => values[i * shape[1] + j]);
  const hasOptimizer = meta.optimizer !== null && meta.optimizer !== undefined;
  const source = spec.settings || meta;
  const keys = [...SETTING_KEYS, ...Object.keys(EXTRA_SETTINGS).filter((key) => Object.hasOwn(source, key))];
  const settings = hasOptimizer ? Object.fromEntries(keys.map((key) => [key, source[key]])) : null;
  const schedule = {};
  for (const key of SCHEDULE_MEMBERS) {
    if (!arrays[`g${k}_${key}`]) continue;
    if (!hasOptimizer) fail(`${name}: g${k}_${key} is recorded but meta names no optimizer`);
    const values = member(arrays, `g${k}_${key}`, name, "iuf", 1);
    if (values.shape[0] !== records) fail(`${name}: g${k}_${key} has shape (${values.shape[0]},); g${k}_steps makes it (${records},)`);
    finite(values.values, `g${k}_${key}`, name);
    if (values.values.some((v) => v < 0)) fail(`${name}: g${k}_${key} must be >= 0`);
    schedule[key] = Float64Array.from(values.values);
  }
  let correction1 = null;
  let correction2Sqrt = null;
  if (present.length) {
    // 1 − β^t as adamviz.record.load forms it (the pow of the C library there, Math.pow here)
    // (as RECORDED_OPTIMIZERS says: some correct neither moment; Adamax's u is its own root)
    const [beta1, beta2] = settings.betas;
    const { corrected } = RECORDED_OPTIMIZERS[meta.optimizer];
    correction1 = steps.map((t) => (corrected[0] ? 1 - Math.pow(beta1, t) : 1));
    correction2Sqrt = steps.map((t) => (corrected[1] ? Math.sqrt(1 - Math.pow(beta2, t)) : 1));
    if (moments.exp_avg_sq.values.some((v) => v < 0)) fail(`${name}: g${k}_exp_avg_sq must be >= 0`);
  }
  const coordinates = Array.from(index, (flat, j) => {
    const out = { index: flat, g: column(g.values, j), m_hat: null, sqrt_v_hat: null, step: null };
    if (present.length) {
      out.m_hat = column(moments.exp_avg.values, j).map((m, i) => m / correction1[i]);
      const root = RECORDED_OPTIMIZERS[meta.optimizer].root;
      out.sqrt_v_hat = column(moments.exp_avg_sq.values, j).map((v, i) => (root ? Math.sqrt(v) : v) / correction2Sqrt[i]);
      out.step = column(moments.step.values, j);
    }
    return out;
  });
  return { name: spec.name, shape: spec.shape.slice(), steps: Float64Array.from(steps), percentiles, coordinates, settings, lr: schedule.lr || null, weight_decay: schedule.weight_decay || null };
}

function optimizerOf(meta) {
  if (meta.optimizer === null || meta.optimizer === undefined) return null;
  if (meta.optimizer === "SGD") return meta.momentum ? "momentum" : "sgd";
  return meta.optimizer === "Adam" && meta.amsgrad ? "amsgrad" : RECORDED_OPTIMIZERS[meta.optimizer].replays;
}

function build(name, meta, arrays, limits) {
  const found = Object.keys(arrays).filter((key) => key !== "meta").map((key) => Number(key.slice(1).split("_")[0]));
  if (found.some((k) => k >= meta.groups.length)) fail(`${name}: arrays for group ${Math.max(...found)}, but meta names ${meta.groups.length} groups`);
  const groups = meta.groups.map((spec, k) => readGroup(name, meta, arrays, k, spec, limits));
  return { source: name, meta, optimizer: optimizerOf(meta), groups };
}

function bareRun(g, name) {
  const stem = name.replace(/\.[^.]*$/, "") || "gradients";
  const meta = { format: "adamviz-trace", version: 1, optimizer: null, groups: [{ name: stem, shape: [1] }] };
  const steps = Float64Array.from({ length: g.length }, (_, i) => i + 1);
  const group = { name: stem, shape: [1], steps, percentiles: null, settings: null, lr: null, weight_decay: null, coordinates: [{ index: 0, g: Float64Array.from(g), m_hat: null, sqrt_v_hat: null, step: null }] };
  return { source: name, meta, optimizer: null, groups: [group] };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(inf|infinity|nan)$/i;

/** A one-column CSV (a header line allowed), as adamviz/record/gradient_files.py reads it. */
function readCsv(bytes, name, limits) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    fail(`${name}: cannot read as UTF-8 text`);
  }
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n"); // Windows and old Mac line ends, as Python reads them
  const values = [];
  let seenText = false;
  // line by line without splitting the whole text: a file of 10⁷ lines stops at the limit
  let at = 0;
  for (let number = 1; at <= text.length && values.length <= limits.records; number++) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? text.length : end);
    at = end < 0 ? text.length + 1 : end + 1;
    const cell = line.trim();
    if (!cell) continue;
    const shown = quoted(cell.slice(0, 40));
    if (cell.length > 100) fail(`${name}:${number}: expected one number; got ${shown}...`);
    if (/[,;\t]/.test(cell)) fail(`${name}:${number}: expected one column; got ${shown}`);
    const first = !seenText;
    seenText = true;
    if (NON_FINITE.test(cell)) fail(`${name}:${number}: gradients must be finite; got ${shown}`);
    if (!NUMBER.test(cell)) {
      if (first) continue; // a header
      fail(`${name}:${number}: not a number: ${shown}`);
    }
    const value = Number(cell);
    if (!Number.isFinite(value)) fail(`${name}:${number}: gradients must be finite; got ${shown}`);
    values.push(value);
  }
  if (!values.length) fail(`${name}: no gradients found`);
  if (values.length > limits.records) fail(`${name}: has more than ${thousands(limits.records)} gradients; the page shows at most ${thousands(limits.records)}`);
  return bareRun(values, name);
}

const RECORD_MEMBERS = ["steps", "g", "exp_avg", "exp_avg_sq", "step", "percentiles", "lr", "weight_decay"];
const SEGMENT_MEMBER = new RegExp(`^(records|${RECORD_MEMBERS.join("|")})$`);
const TABLES = ["g", "exp_avg", "exp_avg_sq", "step", "percentiles"]; // a row per record (the others: a value)

/** Each segment's members, their names checked, then what the directories show (nothing unpacked yet). */
function npzSegments(bytes, name, limits) {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 3 || bytes[3] !== 4) fail(`${name}: not an .npz archive (it does not start with a zip header)`);
  const segments = zipSegments(bytes, name, limits);
  segments.forEach((members, j) => {
    const [pattern, whose] = j === 0 ? [MEMBER, ""] : [SEGMENT_MEMBER, `segment ${j + 1}'s `];
    const seen = new Set();
    for (const m of members) {
      const key = m.filename.replace(/\.npy$/, "");
      if (!m.filename.endsWith(".npy") || !pattern.test(key)) fail(`${name}: ${whose}member ${quoted(m.filename)} is not an array of an adamviz trace`);
      if (seen.has(key)) fail(`${name}: ${whose}member ${quoted(m.filename)} appears twice`);
      seen.add(key);
      m.key = key;
    }
  });
  checkMembers(segments.flat(), name, limits);
  return segments;
}

function readArrays(name, members, raw, j, limits) {
  const whose = j === 0 ? "" : `segment ${j + 1}'s `;
  const arrays = {};
  members.forEach((m, k) => {
    arrays[m.key] = readNpy(raw[k], `${name}: ${whose}member ${quoted(m.filename)}`, limits);
  });
  return arrays;
}

const dtypeOf = (array) => `${{ f: "float", i: "int", u: "uint" }[array.kind]}${Number(/(\d+)$/.exec(array.descr)[1]) * 8}`;

/** The first segment's arrays (`run` read from them) with each later segment's records appended (the
 * layout: adamviz/record/trace_writer.py); an Error naming the segment where one does not fit. */
function appended(name, arrays, run, segments, limits) {
  const groups = run.groups.length;
  const width = (key, k) => (key === "percentiles" ? 3 : TABLES.includes(key) ? run.groups[k].coordinates.length : 1);
  const kinds = RECORD_MEMBERS.filter((key) => arrays[`g0_${key}`]);
  const pieces = {}; // each group's member: its first segment's values, then the others'
  const rows = Array.from({ length: groups }, (_, k) => arrays[`g${k}_steps`].values.length);
  segments.forEach((segment, s) => {
    const where = `${name}: segment ${s + 2}`;
    const held = Object.keys(segment);
    if (held.slice().sort().join() !== ["records", ...kinds].sort().join()) fail(`${where} must hold records, ${kinds.join(", ")}; it holds ${held.join(", ") || "nothing"}`);
    const counts = segment.records;
    if (!"iu".includes(counts.kind) || counts.shape.length !== 1 || counts.shape[0] !== groups || counts.values.some((n) => n < 0 || n > limits.records)) {
      fail(`${where}: records must be ${groups} counts from 0 to ${thousands(limits.records)}, one per group`);
    }
    for (const key of kinds) {
      const values = segment[key];
      for (let k = 0; k < groups; k++) {
        const own = arrays[`g${k}_${key}`];
        if (!own) fail(`${where} appends ${key} to group ${k}, which has none`);
        if (dtypeOf(own) !== dtypeOf(values)) fail(`${where}: ${key} is ${dtypeOf(values)}; g${k}_${key} is ${dtypeOf(own)}`);
      }
      const sizes = Array.from(counts.values, (n, k) => n * width(key, k));
      const total = sizes.reduce((a, b) => a + b, 0);
      if (values.shape.length !== 1 || values.values.length !== total) {
        fail(`${where}: ${key} has shape (${values.shape.join(", ")}${values.shape.length === 1 ? "," : ""}); its records make it (${total},)`);
      }
      let at = 0;
      sizes.forEach((size, k) => {
        (pieces[`g${k}_${key}`] ||= [arrays[`g${k}_${key}`].values]).push(values.values.subarray(at, at + size));
        at += size;
      });
    }
    counts.values.forEach((n, k) => (rows[k] += n));
  });
  const merged = { ...arrays };
  for (const [key, parts] of Object.entries(pieces)) {
    const values = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const part of parts) {
      values.set(part, at);
      at += part.length;
    }
    const k = Number(key.slice(1).split("_")[0]);
    const rowKey = key.slice(key.indexOf("_") + 1);
    const shape = TABLES.includes(rowKey) ? [rows[k], width(rowKey, k)] : [rows[k]];
    merged[key] = { ...arrays[key], shape, values };
  }
  return merged;
}

async function readNpz(bytes, name, limits) {
  const segments = npzSegments(bytes, name, limits);
  const read = [];
  for (const [j, members] of segments.entries()) {
    const raw = [];
    for (const m of members) raw.push(await memberBytes(bytes, m, name));
    read.push(readArrays(name, members, raw, j, limits));
  }
  const meta = readMeta(read[0], name, limits);
  const run = build(name, meta, read[0], limits);
  return read.length === 1 ? run : build(name, meta, appended(name, read[0], run, read.slice(1), limits), limits);
}

/** A stored (uncompressed) .npz read at once: the trace a page carries (Python wrote it). */
function readStored(name, bytes, limits) {
  const segments = npzSegments(bytes, name, limits);
  if (segments.length !== 1 || segments[0].some((m) => m.method !== 0)) fail(`${name}: a page's own trace must be one stored archive`);
  const arrays = readArrays(name, segments[0], segments[0].map((m) => memberBytes(bytes, m, name)), 0, limits);
  return build(name, readMeta(arrays, name, limits), arrays, limits);
}

/** Read `bytes` (a Uint8Array) of the file `name`: a trace run, or an Error naming the file and the problem. */
async function read(name, bytes, limits) {
  const suffix = /\.[^./\\]*$/.exec(name);
  const extension = suffix ? suffix[0].toLowerCase() : "";
  if (![".npz", ".npy", ".csv"].includes(extension)) fail(`${name}: must end in .npz, .npy or .csv; got ${quoted(extension || "no extension")}`);
  if (bytes.length === 0) fail(`${name}: empty file`);
  if (bytes.length > limits.bytes) fail(`${name}: is ${(bytes.length / 2 ** 20).toFixed(1)} MB; the limit is ${limits.bytes / 2 ** 20} MB`);
  if (extension === ".npz") return readNpz(bytes, name, limits);
  if (extension === ".csv") return readCsv(bytes, name, limits);
  const array = readNpy(bytes, name, limits);
  if (!"iuf".includes(array.kind) || !array.values) fail(`${name}: gradients must hold numbers; got dtype ${dtypeName(array)}`);
  if (array.shape.length !== 1 || array.values.length === 0) fail(`${name}: gradients must be 1-D and not empty; got shape (${array.shape.join(", ")}${array.shape.length === 1 ? "," : ""})`);
  if (array.values.length > limits.records) fail(`${name}: has more than ${thousands(limits.records)} gradients; the page shows at most ${thousands(limits.records)}`);
  finite(array.values, "gradients", name, 0);
  return bareRun(array.values, name);
}

export { read, readStored };
