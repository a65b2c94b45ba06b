/* adamviz embeds: further explorers on a page that already holds one, at ~1 KB each.
 *
 * A lite snippet (`adamviz export --snippet --lite`) carries only its settings; it queues them in
 * window.AdamVizLite. Once the page's first explorer is mounted, each queued one is built from a copy
 * of the first one's Bokeh document (`Document.to_json`, see bokeh_internals.js) whose mount
 * callback is handed the lite settings, and embedded with BokehJS's public `embed_items`. It shows at
 * most as many cards as the first explorer has.
 */
import { documentJson } from "./bokeh_internals.js";
import { instances } from "./registry.js";


/** A plain value in Bokeh's serialized form (objects become {type: "map", entries}). */
function encode(value) {
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === "object") {
    return { type: "map", entries: Object.entries(value).map(([k, v]) => [k, encode(v)]) };
  }
  return value;
}

/** Hand the copied document's mount callback the lite explorer's config instead of the first's. */
function retarget(node, config) {
  if (Array.isArray(node)) return node.some((item) => retarget(item, config));
  if (node === null || typeof node !== "object") return false;
  const attributes = node.attributes;
  if (node.name === "CustomJS" && attributes && typeof attributes.code === "string" && attributes.code.includes("AdamViz.mount(")) {
    const entries = attributes.args.entries;
    const slot = entries.findIndex(([name]) => name === "config");
    entries[slot] = ["config", encode(config)];
    return true;
  }
  return Object.values(node).some((child) => retarget(child, config));
}

/** Build every queued lite snippet from the page's first explorer. */
export function embedLite() {
  const first = instances()[0];
  const queue = globalThis.AdamVizLite || [];
  if (!first || !globalThis.Bokeh || !globalThis.Bokeh.embed) return;
  while (queue.length) {
    const { holder, config } = queue.shift();
    const cards = first.models.cards.length;
    const scenarios = config.scenarios.slice(0, cards);
    const merged = { ...first.config, ...config, scenarios, defaults: { ...first.config.defaults, ...config.defaults } };
    const json = documentJson(first.models.root);
    if (!retarget(json.roots, merged)) throw new Error("adamviz: the first explorer's mount callback was not found");
    holder.id = `${config.id}-lite-${Math.random().toString(36).slice(2, 10)}`;
    const docid = `${holder.id}-doc`;
    const root = json.roots[0];
    globalThis.Bokeh.embed.embed_items({ [docid]: json }, [{ docid, roots: { [root.id]: holder.id }, root_ids: [root.id] }]);
  }
}
