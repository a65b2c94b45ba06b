/* adamviz prose: the text around an explorer drives it and reads it, declaratively — no script needed.
 *
 *   <a href="#" data-adamviz-set="beta1=0.99&lr=0.05" data-adamviz-play>a long memory</a>
 *       click: set() with URL-style settings (validated like the URL), then play()
 *   data-adamviz-preset="adam-vs-sgd" · data-adamviz-step="10" · data-adamviz-pause · data-adamviz-reset
 *   <span data-adamviz-show="scale" data-adamviz-scenario="noisy" data-adamviz-digits="2"></span>
 *       a live number: iteration, g, m_hat, sqrt_v_hat, scale, step, theta (at the shown iteration,
 *       for the scenario named or the first shown), or any setting (beta1, lr, ...)
 *   data-adamviz-target="ID or index" on any of them picks the explorer (default: the first on the page).
 *
 * Values are written as text (textContent), never as markup. Rejected settings are named in the
 * explorer's message area, as a set() call's would be.
 */
import { fmt } from "../format.js";
import { instances } from "../registry.js";

const ACTIONS = ["set", "play", "pause", "step", "reset", "preset"].map((a) => `[data-adamviz-${a}]`).join(",");

/** The explorer an element names with data-adamviz-target (an id or an index), else the first. */
function explorerFor(element) {
  const explorers = instances();
  const wanted = element.closest("[data-adamviz-target]");
  if (!wanted) return explorers[0];
  const target = wanted.dataset.adamvizTarget;
  return explorers.find((e) => e.config.id === target) || explorers[Number.isInteger(Number(target)) ? Number(target) : -1];
}

/** What a prose element asks for, in order: settings (or a preset), then a transport action. */
async function act(element, { publicApi: explorer }) {
  const data = element.dataset;
  if (data.adamvizPreset !== undefined) await explorer.preset(data.adamvizPreset);
  if (data.adamvizSet !== undefined) {
    const wanted = Object.fromEntries(new URLSearchParams(data.adamvizSet));
    await explorer.set(wanted);
  }
  if (data.adamvizStep !== undefined) explorer.step(Number(data.adamvizStep || "1"));
  if (data.adamvizReset !== undefined) explorer.reset();
  if (data.adamvizPause !== undefined) explorer.pause();
  if (data.adamvizPlay !== undefined) explorer.play();
}

function onClick(event) {
  const element = event.target && event.target.closest ? event.target.closest(ACTIONS) : null;
  if (!element) return;
  const explorer = explorerFor(element);
  if (!explorer) return;
  event.preventDefault();
  act(element, explorer).catch(() => {}); // a rejection is already shown in the explorer
}

/** The text of one live number for `explorer` (its shown iteration). */
function valueOf(element, explorer) {
  const { adamvizShow: key, adamvizScenario: scenario, adamvizDigits: digits } = element.dataset;
  const places = Number.isInteger(Number(digits)) && Number(digits) > 0 ? Math.min(Number(digits), 12) : 3;
  const value = explorer.state.valueAt(key, scenario);
  if (value === undefined) return "?";
  const setting = key === "iteration" || Object.hasOwn(explorer.state.params, key); // shown as it is
  return setting ? String(value) : fmt(value, places);
}

/** Bring every live number that belongs to `explorer` up to date (called after each drawn frame). */
function show(explorer) {
  if (!globalThis.document) return;
  for (const element of globalThis.document.querySelectorAll("[data-adamviz-show]")) {
    if (explorerFor(element) !== explorer) continue;
    const text = valueOf(element, explorer);
    if (element.textContent !== text) element.textContent = text;
  }
}

/** Listen to clicks on prose links (once per page). */
const listenToProse = () => globalThis.document.addEventListener("click", onClick);

export { listenToProse, show };
