/* adamviz trace files, read in the page: the recorder's .npz (adamviz.record), a 1-D .npy, a one-column
 * .csv — the same checks and messages as adamviz/record/trace_file.py, so a file the CLI refuses the
 * page refuses the same way. Nothing is uploaded, nothing evaluated: the zip directory, the .npy
 * headers (matched by pattern, never run) and the JSON meta (JSON.parse) are read by hand, and a
 * member holding Python objects (a pickle) is refused.
 *
 *   AdamViz.traceFiles.read(name, bytes, limits) -> Promise<run>   (rejects with Error(message))
 *   run = {source, meta, optimizer, groups: [{name, shape, steps, percentiles, coordinates:
 *          [{index, g, m_hat, sqrt_v_hat, step}]}]}   (arrays: Float64Array; percentiles R×3 flat)
 *
 * `limits` is contract.js's TRACE_LIMITS, the Python module's constants.
 */

const MEMBER = /^(meta|g(0|[1-9]\d{0,3})_(steps|index|g|exp_avg|exp_avg_sq|step|percentiles))$/;
const MOMENT_MEMBERS = ["exp_avg", "exp_avg_sq", "step"];
const OPTIMIZERS = { Adam: "adam", AdamW: "adamw", SGD: "sgd" };
const fail = (message) => {
  throw new Error(message);
};
const thousands = (n) => n.toLocaleString("en-US");
const quoted = (text) => `'${String(text).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

let crcTable = null;
function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The members of a zip archive: [{filename, method, crc, packed, size, offset}] from its central directory. */
function zipDirectory(bytes, name) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (why) => fail(`${name}: a damaged .npz archive (${why})`);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) damaged("File is not a zip file");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const members = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) damaged("Bad magic number for central directory");
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const member = {
      filename: new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      packed: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      offset: view.getUint32(at + 42, true),
    };
    // zip64: sizes and offset of 0xFFFFFFFF live in the extra field 0x0001, in this order
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 1) {
        let field = extra + 4;
        for (const key of ["size", "packed", "offset"]) {
          if (member[key] === 0xffffffff && field + 8 <= extra + 4 + length) {
            member[key] = Number(view.getBigUint64(field, true));
            field += 8;
          }
        }
      }
      extra += 4 + length;
    }
    members.push(member);
    at = extraEnd + commentLength;
  }
  return members;
}

/** A member's bytes checked against its CRC-32 — at once when stored, a Promise when deflated. */
function memberBytes(bytes, member, name) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = member.offset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) fail(`${name}: a damaged .npz archive (Bad magic number for file header)`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + member.packed > bytes.length) fail(`${name}: a damaged .npz archive (member ${quoted(member.filename)} is cut short)`);
  const packed = bytes.subarray(start, start + member.packed);
  const checked = (data) => {
    if (data.length !== member.size || crc32(data) !== member.crc) fail(`${name}: a damaged .npz archive (Bad CRC-32 for file ${quoted(member.filename)})`);
    return data;
  };
  if (member.method === 0) return checked(packed);
  if (member.method !== 8) fail(`${name}: a damaged .npz archive (That compression method is not supported)`);
  return inflate(packed).then(checked, (error) => fail(`${name}: a damaged .npz archive (Error -3 while decompressing data: ${error.message})`));
}

/** One .npy array: {kind, descr, shape, values: Float64Array}; `where` starts every message. */
function readNpy(data, where, limits) {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (data.length < 6 || magic.some((b, i) => data[i] !== b)) fail(`${where} is not a .npy array (it does not start with NumPy's header)`);
  const major = data[6];
  if (![1, 2, 3].includes(major)) fail(`${where}: unsupported .npy version ${major}.${data.length > 7 ? data[7] : "?"}`);
  const width = major === 1 ? 2 : 4;
  if (data.length < 8 + width) fail(`${where} is truncated`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerLength = width === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > limits.header) fail(`${where}: header is ${thousands(headerLength)} bytes; at most ${thousands(limits.header)} are read`);
  const begin = 8 + width;
  if (data.length < begin + headerLength) fail(`${where} is truncated`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(data.subarray(begin, begin + headerLength));
  if (/'descr'\s*:\s*'[|<>=]?O/.test(header) || /'descr'\s*:\s*\[/.test(header) && /'O'|\|O/.test(header)) {
    fail(`${where} holds Python objects (a pickle); adamviz never unpickles`);
  }
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shapeText || !/^\{.*\}\s*$/s.test(header)) fail(`${where} is not a readable .npy array (cannot parse its header)`);
  const shape = shapeText[1].split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (shape.some((s) => !/^\d+$/.test(s))) fail(`${where} is not a readable .npy array (cannot parse its header)`);
  const dims = shape.map(Number);
  const type = /^([|<>=]?)([a-zA-Z])(\d+)$/.exec(descr[1]);
  const kind = type ? type[2] : "?";
  const size = type ? Number(type[3]) : 0;
  const readers = { f: { 2: "half", 4: "getFloat32", 8: "getFloat64" }, i: { 1: "getInt8", 2: "getInt16", 4: "getInt32", 8: "getBigInt64" }, u: { 1: "getUint8", 2: "getUint16", 4: "getUint32", 8: "getBigUint64" } };
  const count = dims.reduce((a, b) => a * b, 1);
  const out = { kind, descr: descr[1], shape: dims, values: null };
  if (!readers[kind] || !readers[kind][size]) return out; // a dtype the caller refuses, naming it
  const start = begin + headerLength;
  if (data.length < start + count * size) fail(`${where} is truncated`);
  const little = type[1] !== ">";
  const values = new Float64Array(count);
  const reader = readers[kind][size];
  for (let i = 0; i < count; i++) {
    const at = start + i * size;
    if (reader === "half") values[i] = half(view.getUint16(at, little));
    else values[i] = Number(view[reader](at, little));
  }
  // C order is what the rest reads; a Fortran-ordered 2-D array is transposed into it
  if (order[1] === "True" && dims.length === 2) {
    const [rows, cols] = dims;
    const c = new Float64Array(count);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) c[r * cols + k] = values[k * rows + r];
    out.values = c;
  } else out.values = values;
  return out;
}

function half(bits) {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

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

function readMeta(arrays, name) {
  if (!arrays.meta) fail(`${name}: not an adamviz trace (no meta member; record one with adamviz.record.Recorder)`);
  const raw = arrays.meta;
  if (raw.descr.replace(/^[|<>=]/, "") !== "u1" || raw.shape.length !== 1) fail(`${name}: meta must be UTF-8 JSON bytes (uint8, 1-D)`);
  let meta;
  try {
    meta = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(raw.values)));
  } catch (error) {
    fail(`${name}: meta is not valid JSON (${error.message})`);
  }
  if (!meta || typeof meta !== "object" || Array.isArray(meta) || meta.format !== "adamviz-trace") {
    fail(`${name}: not an adamviz trace (format ${meta && typeof meta === "object" ? JSON.stringify(meta.format ?? null) : typeof meta}, expected 'adamviz-trace')`);
  }
  if (meta.version !== 1) fail(`${name}: trace version ${JSON.stringify(meta.version ?? null)}; this adamviz reads version 1`);
  const groups = meta.groups;
  if (!Array.isArray(groups) || !groups.length || groups.length > 10000) fail(`${name}: meta must list the groups (1 to 10,000)`);
  groups.forEach((group, k) => {
    const ok =
      group && typeof group === "object" && typeof group.name === "string" && group.name.length > 0 && group.name.length <= 200 &&
      Array.isArray(group.shape) && group.shape.every((n) => Number.isInteger(n) && n >= 1);
    if (!ok) fail(`${name}: meta's group ${k} needs a name (1–200 characters) and a shape`);
  });
  const optimizer = meta.optimizer ?? null;
  if (optimizer !== null && !Object.hasOwn(OPTIMIZERS, optimizer)) fail(`${name}: optimizer must be one of Adam, AdamW, SGD or null; got ${JSON.stringify(optimizer)}`);
  if (optimizer !== null) {
    const number = (key, value, low, high, highOpen = false) => {
      const ok = typeof value === "number" && Number.isFinite(value) && value >= low && (highOpen ? value < high : value <= high);
      if (!ok) fail(`${name}: ${key} must be a number in [${low}, ${high === Infinity ? "inf" : high}${highOpen ? ")" : "]"}; got ${JSON.stringify(value ?? null)}`);
    };
    number("lr", meta.lr, 0, Infinity);
    number("eps", meta.eps, 0, Infinity);
    number("weight_decay", meta.weight_decay, 0, Infinity);
    if (!Array.isArray(meta.betas) || meta.betas.length !== 2) fail(`${name}: betas must be [β₁, β₂]`);
    for (const beta of meta.betas) number("betas", beta, 0, 1, true);
    number("momentum", meta.momentum, 0, 1);
  }
  return meta;
}

function readGroup(name, meta, arrays, k, spec, limits) {
  const steps = member(arrays, `g${k}_steps`, name, "iu", 1).values;
  const index = member(arrays, `g${k}_index`, name, "iu", 1).values;
  const g = member(arrays, `g${k}_g`, name, "iuf", 2);
  const records = steps.length;
  if (records === 0) fail(`${name}: g${k}_steps: no records`);
  if (records > limits.records) fail(`${name}: g${k} has ${thousands(records)} records; the page shows at most ${thousands(limits.records)}`);
  for (let i = 0; i < records; i++) if (steps[i] < 1 || (i > 0 && steps[i] <= steps[i - 1])) fail(`${name}: g${k}_steps must increase from 1 or more`);
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
  let correction1 = null;
  let correction2Sqrt = null;
  if (present.length) {
    // 1 − β^t as adamviz.record.load forms it (the pow of the C library there, Math.pow here)
    const [beta1, beta2] = meta.betas;
    correction1 = steps.map((t) => 1 - Math.pow(beta1, t));
    correction2Sqrt = steps.map((t) => Math.sqrt(1 - Math.pow(beta2, t)));
    if (moments.exp_avg_sq.values.some((v) => v < 0)) fail(`${name}: g${k}_exp_avg_sq must be >= 0`);
  }
  const coordinates = Array.from(index, (flat, j) => {
    const out = { index: flat, g: column(g.values, j), m_hat: null, sqrt_v_hat: null, step: null };
    if (present.length) {
      out.m_hat = column(moments.exp_avg.values, j).map((m, i) => m / correction1[i]);
      out.sqrt_v_hat = column(moments.exp_avg_sq.values, j).map((v, i) => Math.sqrt(v) / correction2Sqrt[i]);
      out.step = column(moments.step.values, j);
    }
    return out;
  });
  return { name: spec.name, shape: spec.shape.slice(), steps: Float64Array.from(steps), percentiles, coordinates };
}

function optimizerOf(meta) {
  if (meta.optimizer === null || meta.optimizer === undefined) return null;
  if (meta.optimizer === "SGD") return meta.momentum ? "momentum" : "sgd";
  return meta.optimizer === "Adam" && meta.amsgrad ? "amsgrad" : OPTIMIZERS[meta.optimizer];
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
  const group = { name: stem, shape: [1], steps, percentiles: null, coordinates: [{ index: 0, g: Float64Array.from(g), m_hat: null, sqrt_v_hat: null, step: null }] };
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

/** The archive's members, their names and total size checked (nothing unpacked yet). */
function npzMembers(bytes, name, limits) {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 3 || bytes[3] !== 4) fail(`${name}: not an .npz archive (it does not start with a zip header)`);
  const members = zipDirectory(bytes, name);
  const unpacked = members.reduce((sum, m) => sum + m.size, 0);
  if (unpacked > limits.bytes) fail(`${name}: unpacks to ${(unpacked / 2 ** 20).toFixed(1)} MB; the limit is ${limits.bytes / 2 ** 20} MB`);
  const seen = new Set();
  for (const m of members) {
    const key = m.filename.replace(/\.npy$/, "");
    if (!m.filename.endsWith(".npy") || !MEMBER.test(key)) fail(`${name}: member ${quoted(m.filename)} is not an array of an adamviz trace`);
    if (seen.has(key)) fail(`${name}: member ${quoted(m.filename)} appears twice`);
    seen.add(key);
    m.key = key;
  }
  return members;
}

function fromMembers(name, members, raw, limits) {
  const arrays = {};
  members.forEach((m, k) => {
    arrays[m.key] = readNpy(raw[k], `${name}: member ${quoted(m.filename)}`, limits);
  });
  return build(name, readMeta(arrays, name), arrays, limits);
}

async function readNpz(bytes, name, limits) {
  const members = npzMembers(bytes, name, limits);
  const raw = [];
  for (const m of members) raw.push(await memberBytes(bytes, m, name));
  return fromMembers(name, members, raw, limits);
}

/** A stored (uncompressed) .npz read at once: the trace a page carries (Python wrote it). */
function readStored(name, bytes, limits) {
  const members = npzMembers(bytes, name, limits);
  if (members.some((m) => m.method !== 0)) fail(`${name}: a page's own trace must be stored, not deflated`);
  return fromMembers(name, members, members.map((m) => memberBytes(bytes, m, name)), limits);
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

export { read, readStored, crc32 };
