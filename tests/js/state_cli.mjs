// Drives assets/state.js alone in Node (no DOM, no Bokeh) through a script of calls read from a JSON
// file, recording the events it emits; prints what happened as JSON for tests/test_state_node.py.
import fs from "node:fs";
import { ExplorerState } from "../../assets/state.js";
import { Recordings } from "../../assets/recordings.js";

const { config, calls } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const state = new ExplorerState(config, new Recordings(config, 3));
let events = [];
state.on((event) => events.push(event.type === "message" ? `message:${event.messages.length}` : event.type));
const plain = (value) => (ArrayBuffer.isView(value) ? Array.from(value) : value);
const results = [];
for (const [method, ...args] of calls) {
  events = [];
  let returned = null;
  let error = null;
  try {
    returned = plain(state[method](...args));
  } catch (thrown) {
    error = thrown.message;
  }
  results.push({ method, returned, error, events, snapshot: state.snapshot() });
}
process.stdout.write(JSON.stringify(results));
