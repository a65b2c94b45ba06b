/* adamviz embeds: further explorers on a page that already holds one, each only its settings.
 *
 * A lite snippet (`adamviz export --snippet --lite`) carries only its settings; it queues them in
 * window.AdamVizLite. Once the page's first explorer is mounted, each queued one is built from a copy
 * of the first one's Bokeh document whose boot callback is handed the lite settings (bokeh_internals.js), and embedded with BokehJS's public `embed_items`. It shows at
 * most as many cards as the first explorer has.
 */
import { documentWithConfig } from "./bokeh_internals.js";
import { SETTINGS } from "./contract.js";
import { instances } from "./registry.js";

const TABLE_DEFAULTS = Object.fromEntries(Object.entries(SETTINGS).map(([name, spec]) => [name, spec.default]));

/** Build every queued lite snippet from the page's first explorer. */
export function embedLite() {
  const first = instances()[0];
  const queue = globalThis.AdamVizLite || [];
  if (!first || !globalThis.Bokeh || !globalThis.Bokeh.embed) return;
  while (queue.length) {
    const { holder, config } = queue.shift();
    const cards = first.models.cards.length;
    const scenarios = config.scenarios.slice(0, cards);
    // a lite snippet carries only the settings that differ from the table's defaults
    const defaults = { ...TABLE_DEFAULTS, ...config.defaults };
    const merged = { ...first.config, ...config, scenarios, defaults };
    const json = documentWithConfig(first.models.root, merged);
    holder.id = `${config.id}-lite-${Math.random().toString(36).slice(2, 10)}`;
    const docid = `${holder.id}-doc`;
    const root = json.roots[0];
    globalThis.Bokeh.embed.embed_items({ [docid]: json }, [{ docid, roots: { [root.id]: holder.id }, root_ids: [root.id] }]);
  }
}
