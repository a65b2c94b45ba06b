// Reads trace files with assets/trace_files.js in Node, as the page's "Load gradients" does, and prints
// each one's verdict as JSON — {ok: true, g: every coordinate's gradients} or {ok: false, message} —
// for tests/trace_fuzz.py's node_verdicts (the same verdicts as its page_verdicts, without a browser).
import fs from "node:fs";
import { TRACE_LIMITS } from "../../assets/contract.js";
import { read } from "../../assets/trace_files.js";

const files = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = [];
for (const [name, encoded] of files) {
  try {
    const run = await read(name, new Uint8Array(Buffer.from(encoded, "base64")), TRACE_LIMITS);
    out.push({ ok: true, g: run.groups.map((g) => g.coordinates.map((c) => Array.from(c.g))) });
  } catch (error) {
    out.push({ ok: false, message: error.message });
  }
}
process.stdout.write(JSON.stringify(out));
