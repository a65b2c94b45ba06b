/* adamviz recordings: the loaded training runs (adamviz.record traces, gradient logs) as scenarios.
 *
 * Each recorded coordinate becomes a scenario named "<group>[<index>]": its card replays the recorded
 * gradients through the current controls (bold) and draws what the run itself had — m̂, √v̂ and step/η
 * — faded behind. The run's own settings (settingsOf) and its recorded lr_t (a scheduler's, scaled by
 * η over the run's η) make the two agree until a control moves. A
 * model only, no DOM: views/loading.js brings files in (the Load button, drops, the API's load()).
 */
import { EXTRA_SETTINGS, SETTINGS, TRACE_LIMITS } from "./contract.js";
import { escapeHtml, fmt } from "./format.js";
import { rejection } from "./settings.js";
import { read, readStored } from "./trace_files.js";

/** A recorded coordinate's scenario name: "<group>[<index>]". */
const scenarioName = (group, coordinate) => `${group.name}[${coordinate.index}]`;
/** The fewest records of any of `run`'s groups: how many steps its cards can show. */
const recordsOf = (run) => Math.min(...run.groups.map((g) => g.steps.length));

function base64Bytes(text) {
  const binary = globalThis.atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

class Recordings {
  /** `config`: the page's payload (its traces, limits and scenarios); `slots`: how many cards it has. */
  constructor(config, slots) {
    this.config = config;
    this.slots = slots;
    this.run = null; // the loaded run (the last file), whose coordinates the cards can show
    this.byName = {}; // scenario name -> {g, m_hat, sqrt_v_hat, step, per_lr, group, index, source}
    this.pages = []; // [{label, names, group}]: the loaded run's coordinates, as many as there are cards
  }

  /** How many steps `run`'s cards can show: its groups' fewest records. */
  length(run) {
    return recordsOf(run);
  }

  has(name) {
    return Object.hasOwn(this.byName, name);
  }

  /**
   * The page's own traces (config.traces: files' bytes, base64), read before the first frame: the
   * first one's coordinates are what "Cards show" offers; one with an alias (an on-board run and the
   * scenario of its name) also lends that scenario its coordinate `aliasOf` ("<group>[<index>]"). Returns the first run, or null.
   */
  embedded() {
    let first = null;
    for (const embedded of this.config.traces) {
      const run = readStored(embedded.name, base64Bytes(embedded.data), TRACE_LIMITS);
      if (!first) {
        first = run;
        this.adopt(run);
      } else this.addNames(run);
      if (embedded.alias) this.byName[embedded.alias] = this.byName[embedded.aliasOf];
    }
    return first;
  }

  /** `run`'s coordinates as scenarios (by name; the pages are the adopted run's). */
  addNames(run) {
    const lr = run.meta.lr || null;
    for (const group of run.groups) {
      for (const c of group.coordinates) {
        const per_lr = c.step && lr ? c.step.map((s) => s / lr) : null;
        // the run's own lr_t, as a share of the run's η (null where not recorded, or constant)
        const rateShare = group.lr && lr && group.lr.some((x) => x !== lr) ? group.lr.map((x) => x / lr) : null;
        const every = run.meta.every || 1; // records' spacing in steps (thinning included)
        const own = { every, settings: group.settings, runLr: lr };
        this.byName[scenarioName(group, c)] = { ...c, ...own, per_lr, rateShare, group: group.name, source: run.source, steps: group.steps, percentiles: group.percentiles, optimizer: run.meta.optimizer };
      }
    }
  }

  /** Make `run`'s coordinates scenarios, its groups' coordinates pages of as many as there are cards. */
  adopt(run) {
    this.run = run;
    this.pages = [];
    this.addNames(run);
    for (const group of run.groups) {
      const names = group.coordinates.map((c) => scenarioName(group, c));
      for (let first = 0; first < names.length; first += this.slots) {
        const shown = names.slice(first, first + this.slots);
        const of = names.length > this.slots ? ` (${first + 1}–${first + shown.length} of ${names.length})` : "";
        this.pages.push({ label: `${group.name}${of}`, names: shown, group: group.name });
      }
    }
  }

  /** The page (1, 2, ...) of group `name`'s first coordinates, or 0 when the run has none. */
  pageOf(name) {
    return this.pages.findIndex((page) => page.group === name) + 1;
  }

  /** The "Cards show" choices: the page's scenarios, then each page of the run's coordinates. */
  choices() {
    return [`Scenarios: ${this.config.scenarios.join(", ")}`, ...this.pages.map((p) => `${this.run.source}: ${p.label}`)];
  }

  /**
   * The settings that replay `run` as it ran (its optimizer and hyperparameters, its length), and a
   * note for each of the run's settings outside the page's ranges (replayed with the nearest value).
   */
  settingsOf(run) {
    const spec = SETTINGS;
    const out = { iterations: Math.max(spec.iterations.min, Math.min(spec.iterations.max, recordsOf(run))), window: 0 };
    const notes = [];
    if (!run.optimizer) return { settings: out, notes };
    const { lr, betas, eps, weight_decay: decay, momentum } = run.meta;
    const clamp = (name, value) => {
      const kept = Math.max(spec[name].min, Math.min(spec[name].max, value));
      if (kept !== value) notes.push(`${run.source}: the run's ${name} ${value} is outside the page's range [${spec[name].min}, ${spec[name].max}]; replayed with ${kept}`);
      return kept;
    };
    const settings = {
      ...out,
      optimizer: run.optimizer,
      lr: clamp("lr", lr),
      beta1: clamp("beta1", betas[0]),
      beta2: clamp("beta2", betas[1]),
      eps: clamp("eps", eps),
      weight_decay: clamp("weight_decay", decay),
      ...(run.optimizer === "momentum" ? { momentum: clamp("momentum", momentum) } : {}),
      compare: [],
    };
    // settings only some optimizers have, which the page does not set: replayed at torch's defaults
    for (const [key, { default: page }] of Object.entries(EXTRA_SETTINGS)) {
      if (Object.hasOwn(run.meta, key) && run.meta[key] !== page) notes.push(`${run.source}: the run's ${key} ${run.meta[key]} is not a page setting; replayed with ${page}`);
    }
    return { settings, notes };
  }

  /** lr_t/η for scenario `name`'s first `n` steps when its run recorded a schedule: the recorded lr_t as
   * a share of the run's η (so that at the run's own η the replay steps with the run's very lr_t), else null. */
  rateShare(name, n) {
    const r = this.has(name) ? this.byName[name].rateShare : null;
    return r ? r.subarray(0, n) : null;
  }

  /** Whether scenario `name` was recorded every k-th step (k > 1) with its moments: its gradients skip
   * the steps between, so no replay of them is the run — its cards show what the run recorded. */
  sparse(name) {
    return this.has(name) && this.byName[name].every > 1 && Boolean(this.byName[name].m_hat);
  }

  /**
   * A sparse scenario's first `n` records as a trace (what optimize() returns, full): the recorded m̂,
   * √v̂ and step; m and v un-corrected with the group's betas at each record's step; the scale
   * m̂/(√v̂ + ε); step/η with the run's η. θ is NaN (not drawn): the steps between records are unknown.
   */
  asTrace(name, n) {
    const r = this.byName[name];
    const [beta1, beta2] = r.settings.betas;
    const eps = r.settings.eps;
    const out = { g: r.g.slice(0, n), m_hat: r.m_hat.slice(0, n), sqrt_v_hat: r.sqrt_v_hat.slice(0, n), step: r.step.slice(0, n) };
    out.v_hat = out.sqrt_v_hat.map((s) => s * s);
    out.m = out.m_hat.map((x, i) => x * (1 - beta1 ** r.steps[i]));
    out.v = out.v_hat.map((x, i) => x * (1 - beta2 ** r.steps[i]));
    out.scale = out.m_hat.map((x, i) => x / (out.sqrt_v_hat[i] + eps));
    out.per_lr = out.step.map((x) => x / r.runLr); // step/η, η the run's: lr_t/η × the scale
    out.theta = new Float64Array(out.step.length).fill(NaN);
    return out;
  }

  /** The recorded r_t percentiles of the group whose coordinates `scenarios` (the cards') show: {group, source, percentiles} or null. */
  shownGroup(scenarios) {
    const name = scenarios.find((n) => this.has(n) && this.byName[n].percentiles);
    if (!name) return null;
    const { group, source, percentiles } = this.byName[name];
    return { group, source, percentiles };
  }

  /** The shortest recording among `names` (what iterations may not exceed while they show). */
  shortest(names) {
    const lengths = names.filter((n) => this.has(n)).map((n) => this.byName[n].g.length);
    return lengths.length ? Math.min(...lengths) : Infinity;
  }

  /** The message refusing `iterations` for cards showing `names`, or null when they recorded as many. */
  tooLong(iterations, names) {
    const recorded = this.shortest(names);
    return iterations > recorded ? rejection("iterations", iterations, `at most ${recorded}, the steps recorded for these cards`) : null;
  }

  /** `name`'s recording when it holds the run's own moments (a trace, not a bare log), else null. */
  withMoments(name) {
    return this.has(name) && this.byName[name].m_hat ? this.byName[name] : null;
  }

  /** A recorded scenario's card header: the coordinate named in words; the run's description only on
   * the first card showing its group (`first`), not once per card. */
  header(name, first = true) {
    const r = this.byName[name];
    const what = r.optimizer ? `recorded with torch.optim.${r.optimizer}` : "gradients as logged";
    const title = `<h2 class='av-card-title'>${escapeHtml(r.group)}, element ${r.index}</h2>`;
    const where = `Element ${r.index} of ${escapeHtml(r.group)} (counted along the flattened tensor)`;
    if (!first) return `${title}<p class='av-card-text'>${where}.</p>`;
    if (this.sparse(name)) {
      const spacing = `every ${r.every}th step`;
      return `${title}<p class='av-card-text'>${where}, from ${escapeHtml(r.source)}, ${what} at ${spacing}: the run's own m̂, √v̂ and steps. A replay would need every step's gradient, so the controls do not move these.</p>`;
    }
    return `${title}<p class='av-card-text'>${where}, from ${escapeHtml(r.source)}, ${what}. Bold: these gradients replayed under the controls; faded: what the run had.</p>`;
  }

  /** The readout's line for a recorded card at iteration i. */
  facts(name, i) {
    const r = this.byName[name];
    if (!r || !r.m_hat || i >= r.m_hat.length) return "";
    return `<div class="av-recorded">recorded at step ${r.steps[i]}: m̂ ${fmt(r.m_hat[i])} · √v̂ ${fmt(r.sqrt_v_hat[i])} · step ${fmt(r.step[i])}</div>`;
  }

  /** The recorded arrays of `name`, as plain arrays (null where the file has none). */
  recorded(name) {
    if (!this.has(name)) throw new Error(`no recorded scenario ${JSON.stringify(name)}; have ${Object.keys(this.byName).join(", ") || "none (load a file first)"}`);
    const r = this.byName[name];
    const plain = (a) => (a ? Array.from(a) : null);
    return { g: plain(r.g), m_hat: plain(r.m_hat), sqrt_v_hat: plain(r.sqrt_v_hat), step: plain(r.step) };
  }

  /**
   * Read `file` (a File or Blob with a name, or {name, bytes}) into a run, checked as Python's reader
   * checks it; a file that cannot be read throws, naming the problem.
   */
  async read(file) {
    const name = String(file && file.name !== undefined ? file.name : "file");
    const limit = TRACE_LIMITS.bytes;
    // a Blob (File) is read here; anything else is {name, bytes} (Blob has a bytes() method of its own)
    const blob = typeof globalThis.Blob === "function" && file instanceof globalThis.Blob;
    const size = blob ? file.size : file.bytes.length;
    if (size > limit) throw new Error(`${name}: is ${(size / 2 ** 20).toFixed(1)} MB; the limit is ${limit / 2 ** 20} MB`);
    const bytes = blob ? new Uint8Array(await file.arrayBuffer()) : Uint8Array.from(file.bytes);
    const run = await read(name, bytes, TRACE_LIMITS);
    const records = recordsOf(run);
    const least = SETTINGS.iterations.min;
    if (records < least) throw new Error(`${name}: has ${records} records; the page needs at least ${least}`);
    return run;
  }
}

export { Recordings };
