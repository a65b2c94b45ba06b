/* The bytes of a trace file, read under one set of rules — adamviz/record/archive.py step for step, so a
 * file one accepts the other accepts (tests/test_trace_fuzz.py feeds both the same mutations). `rules` is
 * contract.js's TRACE_LIMITS, that module's constants.
 *
 *   zipSegments(bytes, name, rules)          each segment's central directory: [[{filename, method, flags, crc, packed, size, offset}]]
 *   checkMembers(members, name, rules)       no encryption, stored or deflated, the declared total within the limit
 *   memberBytes(bytes, member, name)         a member's bytes (a Promise when deflated), inflated with a running cap
 *   readNpy(data, where, rules)              {kind, descr, shape, values: Float64Array} (C order)
 *   readJson(text, where, rules)             JSON.parse after a scan bounding nesting and numbers' lengths
 */

const fail = (message) => {
  throw new Error(message);
};
const thousands = (n) => n.toLocaleString("en-US");
/** `text` in single quotes, \\ and ' escaped and control characters as \\xNN, cut at 80 (Python's _quoted). */
const quoted = (text) => {
  const cut = String(text).slice(0, 80);
  const escaped = Array.from(cut.replace(/\\/g, "\\\\").replace(/'/g, "\\'"), (c) => (c >= " " && c !== "\x7f" ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)).join("");
  return `'${escaped}${String(text).length > 80 ? "…" : ""}'`;
};
const utf8 = (bytes) => new TextDecoder("utf-8").decode(bytes); // invalid bytes → U+FFFD, as Python's "replace"

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

const END = 0x06054b50; // a zip archive's end record

/** The end record at `at`: [member count, directory offset], or null where there is none — its directory
 * must end where it begins, and only the last segment's may carry a comment. */
function endRecord(bytes, view, at, last) {
  if (at < 0 || at + 22 > bytes.length || view.getUint32(at, true) !== END) return null;
  const count = view.getUint16(at + 10, true);
  const size = view.getUint32(at + 12, true);
  const directory = view.getUint32(at + 16, true);
  const comment = view.getUint16(at + 20, true);
  if (directory + size !== at || at + 22 + comment > bytes.length || (comment && !last)) return null;
  return [count, directory];
}

/** The segments of a file, first to last, each the members of one zip archive: the last complete one
 * found by its end record (one cut short by a killed writer is passed over), those before it from it. */
function zipSegments(bytes, name, rules) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (why) => fail(`${name}: a damaged .npz archive (${why})`);
  let end = bytes.length - 22;
  while (end >= 0 && !(bytes[end] === 0x50 && endRecord(bytes, view, end, true))) end--;
  if (end < 0) damaged("no end of central directory");
  const segments = [];
  for (;;) {
    const [count, directory] = endRecord(bytes, view, end, !segments.length);
    const members = centralDirectory(bytes, view, directory, count, damaged);
    segments.push(members);
    const start = members.length ? members.reduce((low, m) => Math.min(low, m.offset), Infinity) : directory;
    if (start > directory) damaged("a segment's members lie after its directory");
    if (start === 0) break;
    if (segments.length === rules.segments) fail(`${name}: chains more than ${thousands(rules.segments)} segments`);
    end = start - 22;
    if (!endRecord(bytes, view, end, false)) damaged(`${thousands(start)} bytes before its first member are not a whole segment`);
  }
  return segments.reverse();
}

/** The `count` members of the central directory at `at`. */
function centralDirectory(bytes, view, at, count, damaged) {
  const members = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) damaged("bad central directory entry");
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const member = {
      filename: utf8(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      flags: view.getUint16(at + 8, true),
      crc: view.getUint32(at + 16, true),
      packed: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      offset: view.getUint32(at + 42, true),
    };
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const [kind, length] = extra + 4 <= bytes.length ? [view.getUint16(extra, true), view.getUint16(extra + 2, true)] : [0, 0];
      if (kind === 1) {
        // zip64: the sizes and offset given as 0xFFFFFFFF, in this order
        let field = extra + 4;
        for (const key of ["size", "packed", "offset"]) {
          if (member[key] === 0xffffffff && field + 8 <= extra + 4 + length && field + 8 <= bytes.length) {
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

function checkMembers(members, name, rules) {
  for (const member of members) {
    const shown = quoted(member.filename);
    if (member.flags & 1) fail(`${name}: member ${shown} is encrypted; a trace is never encrypted`);
    if (!Object.hasOwn(rules.methods, String(member.method))) {
      const called = rules.methodNames[String(member.method)] || `method ${member.method}`;
      fail(`${name}: member ${shown} is compressed with ${called}; a trace's members are stored or deflated`);
    }
  }
  const declared = members.reduce((sum, m) => sum + m.size, 0);
  if (declared > rules.bytes) fail(`${name}: unpacks to ${(declared / 2 ** 20).toFixed(1)} MB; the limit is ${rules.bytes / 2 ** 20} MB`);
}

function memberBytes(bytes, member, name) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shown = quoted(member.filename);
  const damaged = (why) => fail(`${name}: a damaged .npz archive (${why})`);
  const at = member.offset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== 0x04034b50) damaged(`bad local header for member ${shown}`);
  const nameLength = view.getUint16(at + 26, true);
  const localName = utf8(bytes.subarray(at + 30, at + 30 + nameLength));
  if (localName !== member.filename) damaged(`member ${shown} is named ${quoted(localName)} in its local header`);
  const start = at + 30 + nameLength + view.getUint16(at + 28, true);
  if (start + member.packed > bytes.length) damaged(`member ${shown} is cut short`);
  const packed = bytes.subarray(start, start + member.packed);
  const checked = (out) => {
    if (out.length > member.size && member.method !== 0) fail(`${name}: member ${shown} unpacks to more than the ${thousands(member.size)} bytes it declares`);
    if (out.length !== member.size || crc32(out) !== member.crc) damaged(`bad CRC-32 or size for member ${shown}`);
    return out;
  };
  if (member.method === 0) return checked(packed);
  return inflate(packed, member.size, damaged, shown).then(checked);
}

/** Raw deflate of `packed`, cancelled as soon as the output passes `cap` bytes (then `cap + 1` long). */
async function inflate(packed, cap, damaged, shown) {
  const reader = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const pieces = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(value);
      total += value.length;
      if (total > cap) {
        reader.cancel().catch(() => {});
        total = cap + 1;
        break;
      }
    }
  } catch (error) {
    damaged(`member ${shown} does not inflate: ${error.message}`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece.subarray(0, total - at), at);
    at += Math.min(piece.length, total - at);
  }
  return out;
}

const ENTRY = /[ \t\n\r]*'(descr|fortran_order|shape)'[ \t\n\r]*:[ \t\n\r]*('[^']*'|True|False|\([^()]*\))[ \t\n\r]*(,|$)/y;
const SHAPE = /^\([ \t\n\r]*(?:[0-9]+[ \t\n\r]*,[ \t\n\r]*)*(?:[0-9]+[ \t\n\r]*,?[ \t\n\r]*)?\)$/;
const DESCR = /^([<>|=]?)([a-zA-Z])([0-9]+)$/;
const blank = (text) => /^[ \t\n\r]*$/.test(text);

/** descr, fortran_order and shape of a .npy header: a dict of exactly these three (Python's _header). */
function header(text, where, rules) {
  const unreadable = () => fail(`${where} is not a readable .npy array (cannot parse its header)`);
  let end = text.length;
  while (end > 0 && " \t\r\n\0".includes(text[end - 1])) end--;
  const trimmed = text.slice(0, end);
  if (!trimmed.startsWith("{") || !trimmed.endsWith("}") || trimmed.length < 2) unreadable();
  const body = trimmed.slice(1, -1);
  const found = {};
  let at = 0;
  while (!blank(body.slice(at))) {
    ENTRY.lastIndex = at;
    const entry = ENTRY.exec(body);
    if (!entry || Object.hasOwn(found, entry[1])) unreadable();
    found[entry[1]] = entry[2];
    at = ENTRY.lastIndex;
    if (entry[3] !== ",") break;
  }
  if (!blank(body.slice(at)) || Object.keys(found).length !== 3) unreadable();
  const { descr, fortran_order: order, shape } = found;
  if (!descr.startsWith("'") || !["True", "False"].includes(order) || !SHAPE.test(shape)) unreadable();
  const digits = shape.match(/[0-9]+/g) || [];
  if (digits.some((n) => n.length > 16 || Number(n) > rules.safeInteger)) fail(`${where}: its shape has a dimension over 2**53`);
  return { descr: descr.slice(1, -1), fortran: order === "True", dims: digits.map(Number) };
}

function half(bits) {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const READERS = { f: { 2: "half", 4: "getFloat32", 8: "getFloat64" }, i: { 1: "getInt8", 2: "getInt16", 4: "getInt32", 8: "getBigInt64" }, u: { 1: "getUint8", 2: "getUint16", 4: "getUint32", 8: "getBigUint64" } };

function readNpy(data, where, rules) {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (data.length < 6 || magic.some((b, i) => data[i] !== b)) fail(`${where} is not a .npy array (it does not start with NumPy's header)`);
  const major = data.length > 6 ? data[6] : undefined;
  if (![1, 2, 3].includes(major)) fail(`${where}: unsupported .npy version ${major ?? "?"}.${data.length > 7 ? data[7] : "?"}`);
  const width = major === 1 ? 2 : 4;
  if (data.length < 8 + width) fail(`${where} is truncated`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const length = width === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (length > rules.header) fail(`${where}: header is ${thousands(length)} bytes; at most ${thousands(rules.header)} are read`);
  const begin = 8 + width;
  if (data.length < begin + length) fail(`${where} is truncated`);
  // Python decodes latin-1 (every byte one character); TextDecoder("latin1") would be windows-1252
  const raw = data.subarray(begin, begin + length);
  const text = major === 3 ? utf8(raw) : Array.from(raw, (b) => String.fromCharCode(b)).join("");
  const { descr, fortran, dims } = header(text, where, rules);
  const type = DESCR.exec(descr);
  if (descr.includes("O")) fail(`${where} holds Python objects (a pickle); adamviz never unpickles`);
  const kind = type ? type[2] : "?";
  const size = type ? Number(type[3]) : 0;
  if (!(rules.dtypes[kind] || []).includes(size)) fail(`${where}: dtype ${descr} is not read; a trace holds floats or integers of up to 64 bits`);
  const count = dims.reduce((a, b) => a * b, 1);
  const start = begin + length;
  if (data.length < start + count * size) fail(`${where} is truncated`);
  const little = type[1] !== ">";
  const values = new Float64Array(count);
  const reader = READERS[kind][size];
  const safe = BigInt(rules.safeInteger);
  for (let i = 0; i < count; i++) {
    const at = start + i * size;
    if (reader === "half") values[i] = half(view.getUint16(at, little));
    else if (size === 8 && kind !== "f") {
      const value = view[reader](at, little);
      if (value > safe || value < -safe) fail(`${where} holds an integer beyond 2**53`);
      values[i] = Number(value);
    } else values[i] = view[reader](at, little);
  }
  // C order is what the rest reads; a Fortran-ordered 2-D array is transposed into it
  let ordered = values;
  if (fortran && dims.length === 2) {
    const [rows, cols] = dims;
    ordered = new Float64Array(count);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) ordered[r * cols + k] = values[k * rows + r];
  }
  return { kind, descr, shape: dims, values: ordered };
}

const TOKENS = /"(?:[^"\\]|\\[\s\S])*"|[[\]{}]|[-+0-9.eE]+/g;

function readJson(text, where, rules) {
  let depth = 0;
  for (const [token] of text.matchAll(TOKENS)) {
    const first = token[0];
    if (first === "[" || first === "{") {
      depth += 1;
      if (depth > rules.metaDepth) fail(`${where} nests deeper than ${rules.metaDepth} levels`);
    } else if (first === "]" || first === "}") depth -= 1;
    else if (first !== '"' && token.length > rules.numberChars) fail(`${where} spells a number in more than ${rules.numberChars} characters`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(`${where} is not valid JSON (${error.message})`);
  }
}

export { crc32, zipSegments, checkMembers, memberBytes, readNpy, readJson, quoted, thousands, fail };
