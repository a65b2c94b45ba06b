/* adamviz population workers: the many-parameters view's runs on two worker threads, so that the page
 * only draws. Each worker steps its block of the population's columns; the rows are cut into chunks,
 * and chunk c's percentiles are taken by worker c mod 2, which the other sends its part of those rows
 * (engine/population.js's columnRun and ChunkPercentiles: the one-thread run's numbers, to the bit).
 * A worker runs a copy of this bundle (ManyParameters starts it; here it serves); where a page may not
 * start one (a Content-Security-Policy without blob: workers), many_parameters.js computes in slices.
 *
 * Messages, page → worker: {type: "peer", port} (to the other worker, once), {type: "gradients", job,
 * g, width, iterations} (its block, kept until the next), {type: "run", job, settings, runs:
 * [{optimizer, keep}], rows, widths, block}, {type: "spare", perLr, spreadHat} (a replaced result's
 * arrays, to fill again). Worker → worker: {job, run, chunk, r}, and {spare: r} (a part taken, back
 * to fill again). Worker → page: {job, run, from, percentiles} per chunk it owns, then {job, run,
 * block, kept} (its block's extent, |step|/η and γ̂), or {job, error}. A message with a newer job
 * stops what a worker is doing. The arrays go round rather than to the garbage collector: at
 * 1,000 × 1,000 a β₁ change moved 16 MB of them, and major collections on the two cores slowed the
 * workers.
 */
import { ChunkPercentiles, blockOffsets, columnBlocks, columnRun, joinedExtent } from "./engine/index.js";

const BLOCKS = 2; // workers: the machines this is for have two cores
const SPARE_CHUNKS = 16; // chunk arrays a worker keeps to fill again, at most
const CHUNK_WORK = 100000; // parameter-steps a chunk (~1 ms of a worker's time with adam_rows.wat)

/** A message-channel tick: a macrotask without setTimeout's 4 ms clamp, on a page or in a worker. */
export function nextTask() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** A worker's failure (it could not start, or threw): the page computes on its own thread from then on. */
export class WorkerFailure extends Error {}

/** In a worker: step the blocks the page sends, chunk by chunk, until a newer job arrives. */
export function serveWorker(scope) {
  let latest = 0; // the newest job heard of
  let gradients = null;
  let peer = null; // the port to the other worker
  const fromPeer = new Map(); // "run/chunk" -> the other worker's part of a chunk this one owns (this job)
  let wake = () => {}; // ends the wait for the other worker's parts
  const spare = { chunks: [], perLr: null, spreadHat: null }; // arrays to fill again (columnRun)
  const keepSpare = (chunk) => {
    if (spare.chunks.length >= SPARE_CHUNKS) spare.chunks.shift();
    spare.chunks.push(chunk);
  };
  /** A message of job `job` (a newer one stops the current job: its parts are dropped). */
  const hear = (job) => {
    if (job <= latest) return;
    latest = job;
    fromPeer.clear();
    wake();
  };

  /** Run `k` of a job: step, send or keep each chunk, take the owned chunks' percentiles in order. */
  async function run(job, k, { optimizer, keep }, { settings, rows, widths, block }) {
    const { g, width, iterations } = gradients;
    const owners = widths.length;
    const percentiles = new ChunkPercentiles(widths);
    const mine = new Map(); // chunk -> this block's part, awaiting the other's
    let next = block; // the next chunk this worker owns
    const chunks = Math.ceil(iterations / rows);
    const takeReady = () => {
      for (; next < chunks; next += owners) {
        const other = owners === 1 ? null : fromPeer.get(`${k}/${next}`);
        if (!mine.has(next) || (owners > 1 && !other)) return;
        const parts = block === 0 ? [mine.get(next), other] : [other, mine.get(next)];
        const out = percentiles.of(owners === 1 ? [mine.get(next)] : parts);
        scope.postMessage({ job, run: k, from: next * rows, percentiles: out }, [out.buffer]);
        keepSpare(mine.get(next));
        if (other) peer.postMessage({ spare: other }, [other.buffer]);
        mine.delete(next);
        fromPeer.delete(`${k}/${next}`);
      }
    };
    const steps = columnRun(g, width, iterations, optimizer, settings, keep, rows, spare);
    for (let step = steps.next(), c = 0; ; step = steps.next(), c++) {
      if (step.done) {
        takeReady();
        while (next < chunks) {
          await new Promise((resolve) => (wake = () => resolve(null))); // (the other worker's part, or a newer job)
          if (latest !== job) return false;
          takeReady();
        }
        const { extent, perLr, spreadHat } = step.value;
        scope.postMessage({ job, run: k, block, kept: { extent, perLr, spreadHat } }, [perLr, spreadHat].filter(Boolean).map((a) => a.buffer));
        return true;
      }
      const { r } = step.value;
      if (c % owners === block) mine.set(c, r);
      else peer.postMessage({ job, run: k, chunk: c, r }, [r.buffer]);
      takeReady();
      await nextTask(); // (lets the other worker's parts and a newer job's message in)
      if (latest !== job) return false;
    }
  }

  scope.onmessage = async ({ data }) => {
    if (data.type === "peer") {
      peer = data.port;
      peer.onmessage = ({ data: part }) => {
        if (part.spare) return keepSpare(part.spare);
        if (part.job < latest) return; // a replaced job's
        hear(part.job); // (the other worker may have heard of a job before this one)
        fromPeer.set(`${part.run}/${part.chunk}`, part.r);
        wake();
      };
      return;
    }
    if (data.type === "spare") {
      [spare.perLr, spare.spreadHat] = [data.perLr, data.spreadHat];
      return;
    }
    if (data.job < latest) return;
    hear(data.job);
    if (data.type === "gradients") {
      gradients = data;
      return;
    }
    try {
      for (let k = 0; k < data.runs.length; k++) if (!(await run(data.job, k, data.runs[k], data))) return;
    } catch (error) {
      scope.postMessage({ job: data.job, error: String(error && error.message) });
    }
  };
}

/** A function that starts a worker running this bundle (`source()`: its text, read on first use). */
export function workerStarter(source) {
  let url = null;
  return () => {
    url = url || URL.createObjectURL(new Blob([source()], { type: "text/javascript" }));
    return new Worker(url);
  };
}

// where this bundle runs as a worker, it serves the page that started it
if (typeof globalThis.WorkerGlobalScope !== "undefined" && globalThis instanceof globalThis.WorkerGlobalScope) serveWorker(globalThis);

/** Columns 0..width split into BLOCKS blocks (fewer when there are fewer columns). */
function blockWidths(width) {
  const blocks = Math.max(1, Math.min(BLOCKS, width));
  return Array.from({ length: blocks }, (_, b) => Math.floor(width / blocks) + (b < width % blocks ? 1 : 0));
}

/** The page's side: two workers, the gradients they hold, the run under way. */
export class PopulationWorkers {
  /** `start()`: a new Worker running this bundle (it throws where the page may not start one). */
  constructor(start) {
    this.workers = Array.from({ length: BLOCKS }, () => start());
    const channel = new MessageChannel();
    this.workers.forEach((worker, b) => {
      const port = b === 0 ? channel.port1 : channel.port2;
      worker.postMessage({ type: "peer", port }, [port]);
      worker.onmessage = ({ data }) => this.receive(data);
      worker.onerror = (event) => this.fail(new WorkerFailure(event.message || "a worker failed"));
    });
    this.held = null; // the key of the gradients the workers hold
    this.pending = null; // the run under way: {job, runs: [{percentiles, blocks}], left, resolve, reject}
  }

  /** Whether the workers hold the gradients named `key`. */
  holds(key) {
    return this.held === key;
  }

  /** Cut gradients `g` (iterations × width, named `key`) into the workers' blocks of columns, as a
   * generator that yields between rows (the page runs it in slices), and hand each worker its own. */
  *hold(job, key, g, width, iterations) {
    this.held = null;
    const widths = blockWidths(width);
    const blocks = yield* columnBlocks(g, width, iterations, widths);
    blocks.forEach((block, b) => this.workers[b].postMessage({ type: "gradients", job, g: block, width: widths[b], iterations }, [block.buffer]));
    this.held = key;
  }

  /**
   * The runs ([{optimizer, keep}]) of `settings` over the gradients the workers hold (iterations ×
   * width), each as {percentiles, extent, blocks} (for keptRow). Resolves to null when a newer run
   * replaced this one.
   */
  run(job, width, iterations, settings, runs) {
    if (this.pending) this.pending.resolve(null);
    this.pending = null;
    const widths = blockWidths(width);
    const offsets = blockOffsets(widths);
    const rows = Math.max(1, Math.floor(CHUNK_WORK / width));
    return new Promise((resolve, reject) => {
      const results = runs.map(() => ({ percentiles: new Float64Array(3 * iterations), blocks: widths.map((w, b) => ({ offset: offsets[b], width: w })) }));
      this.pending = { job, results, left: runs.length * widths.length, resolve, reject };
      widths.forEach((_, block) => this.workers[block].postMessage({ type: "run", job, settings, runs, rows, widths, block }));
    });
  }

  receive(data) {
    const pending = this.pending;
    if (!pending || data.job !== pending.job) return; // a replaced run's
    if (data.error !== undefined) return this.fail(new WorkerFailure(data.error));
    const result = pending.results[data.run];
    if (data.percentiles) return result.percentiles.set(data.percentiles, 3 * data.from);
    Object.assign(result.blocks[data.block], data.kept);
    if (--pending.left > 0) return;
    this.pending = null;
    for (const run of pending.results) run.extent = joinedExtent(run.blocks.map((b) => b.extent));
    pending.resolve(pending.results);
  }

  /** A replaced result's blocks ({perLr, spreadHat} each): back to their workers to fill again. */
  spare(blocks) {
    blocks.forEach((block, b) => {
      const arrays = [block.perLr, block.spreadHat];
      if (b < this.workers.length && arrays.every(Boolean)) this.workers[b].postMessage({ type: "spare", perLr: arrays[0], spreadHat: arrays[1] }, arrays.map((a) => a.buffer));
    });
  }

  fail(error) {
    const pending = this.pending;
    this.pending = null;
    this.held = null;
    if (pending) pending.reject(error);
  }

  stop() {
    for (const worker of this.workers) worker.terminate();
  }
}
