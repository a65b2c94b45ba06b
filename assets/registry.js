/* adamviz registry: the explorers on this page. Every explorer's boot callback carries a copy of the
 * bundle, so the list lives on one global, `AdamViz`, that all copies share. */

/** The page's one `AdamViz` object (made by the first copy of the bundle to run). */
export const shared = () => (globalThis.AdamViz = globalThis.AdamViz || {});

/** The explorers mounted on this page, in the order they were mounted. */
export function instances() {
  const page = shared();
  if (!page.instances) page.instances = [];
  return page.instances;
}
