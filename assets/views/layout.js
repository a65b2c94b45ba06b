/* adamviz page layout: which view is on the page — the cards, the many-parameters view or the closed
 * loop over its coordinates' cards, or a run's layers — and which figures a paint must reach before a change shows.
 */

/** Put `model` into the page's `root` layout, `offset` places after `anchor` (0: before it), unless it is
 * there already; whether it joined now. What the first screen hides joins this way when first shown. */
function joinPage(root, model, anchor, offset) {
  if (root.children.includes(model)) return false;
  const at = root.children.indexOf(anchor) + offset;
  root.children = [...root.children.slice(0, at), model, ...root.children.slice(at)];
  return true;
}

class PageLayout {
  /** `parts`: the explorer's {paints, cards, valley, controls}. */
  constructor(models, state, parts) {
    Object.assign(this, { models, state, parts });
    this.shownView = null; // the view whose layout was last shown
  }

  /** Show the cards, the many-parameters view or the closed-loop view; the last two join the page
   * when first shown (their views would cost every page load). */
  show(view) {
    const { root, grid, population, valley, layers } = this.models;
    const show = (model, visible) => {
      if (model.visible !== visible) model.visible = visible;
    };
    show(grid, this.cardsShown(view)); // also when a lecture starts or ends in the same view
    if (this.shownView === view) return;
    this.shownView = view;
    const join = (model, figures, offset) => {
      if (joinPage(root, model.layout, grid, offset)) this.parts.paints.painted(performance.now(), figures).then(() => this.parts.controls.labelControls());
    };
    if (view === "population") join(population, population.figures, 1);
    if (view === "valley") join(valley, this.parts.valley.figures(), 0);
    if (view === "layers") join(layers, layers.figures, 1);
    show(population.layout, view === "population");
    show(valley.layout, view === "valley");
    show(layers.layout, view === "layers");
  }

  /** The cards show in their own view, and under the closed loop's (not in a lecture: the slide needs the room). */
  cardsShown(view = this.state.params.view) {
    return view === "cards" || (view === "valley" && this.state.slideScenario === null);
  }

  /** The figures on screen (what a paint must reach before set() resolves). */
  activeFigures() {
    const view = this.state.params.view;
    if (view === "population" || view === "layers") return this.models[view].figures;
    return [...(this.cardsShown(view) ? this.parts.cards.activeFigures() : []), ...(view === "valley" ? this.parts.valley.figures() : [])];
  }

}

export { PageLayout, joinPage };
