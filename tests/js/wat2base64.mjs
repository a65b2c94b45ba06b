// Assemble a WebAssembly text file with wabt (a development dependency) and print the binary in
// base64: tests/build_bundle.py writes it into assets/engine/philox_wasm.js, and
// tests/test_browser_modules.py runs this again to check that file is fresh.
import { readFileSync } from "node:fs";
import wabtModule from "wabt";

const [path] = process.argv.slice(2);
const wabt = await wabtModule();
const parsed = wabt.parseWat(path, readFileSync(path, "utf8"));
parsed.validate();
const { buffer } = parsed.toBinary({ log: false, write_debug_names: false });
process.stdout.write(Buffer.from(buffer).toString("base64"));
