/* adamviz opening: what an explorer shows first — the page's initial settings, then a lecture's slide,
 * a preset, a training run the page carries, and the URL's own parameters on top (each refused value
 * named, and the default kept). No DOM: the query string is handed in.
 */
import { SETTINGS } from "./contract.js";
import { fromQuery } from "./settings.js";

/** Open `explorer` on its first state for the URL query `search`: {lecture, messages}. */
function openExplorer(explorer, search) {
  const { config, state } = explorer;
  const query = new URLSearchParams(search);
  const lecture = Boolean(config.lecture || query.get("mode") === "lecture");
  let start = { ...config.initial };
  const messages = [];
  if (lecture) {
    const opening = explorer.lecture.opening(query);
    start = { ...start, ...opening.settings };
    messages.push(...opening.messages);
  }
  if (query.has("preset")) {
    const { preset, error } = state.findPreset(query.get("preset"));
    if (preset) start = { ...start, ...preset.settings };
    else messages.push(`${error} — using none`);
  }
  try {
    const run = state.recordings.embedded();
    if (run) explorer.loading.showRun();
    if (run && config.traceFirst) {
      state.pickCards(1);
      const { settings: replay, notes } = state.recordings.settingsOf(run);
      start = { ...replay, ...start };
      messages.push(...notes);
    }
  } catch (error) {
    messages.push(error.message);
  }
  const fromUrl = fromQuery(SETTINGS, search, { ...config.defaults, ...start });
  const opening = { ...start, ...fromUrl.accepted };
  const shownCards = state.activeScenarios();
  const tooLong = state.recordings.tooLong(opening.iterations ?? state.params.iterations, shownCards);
  if (tooLong) {
    // recorded cards have only so many steps: a longer history from the URL is cut to them
    opening.iterations = state.recordings.shortest(shownCards);
    messages.push(`${tooLong} — using ${opening.iterations}`);
  }
  state.apply(opening);
  return { lecture, messages: [...messages, ...fromUrl.messages] };
}

export { openExplorer };
