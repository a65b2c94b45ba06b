/* adamviz theme: light or dark, and for `theme: "auto"` whichever the host page shows — live.
 *
 * The Divs and widgets follow the root's `av-theme-dark` class through CSS custom properties; the
 * canvases' ink (axes, grid, zero lines, labels) is model colour, switched here from the table Python
 * built (figures.py ink_models). `auto` reads the host's own switch where it has one — MkDocs
 * Material, Quarto, pydata-sphinx-theme, Furo, JupyterLab — else `prefers-color-scheme`, and follows
 * it: a MutationObserver hears the host's toggle, so the explorer repaints in the same frame.
 */

/**
 * Whether `doc` shows a dark page by its own switch: true, false, or null when it has none.
 * Each entry: a host's element, its attribute (or class) and what it says for dark and light.
 */
const HOST_SWITCHES = [
  { element: "body", attribute: "data-md-color-scheme", dark: ["slate"], light: ["default"] }, // MkDocs Material
  { element: "html", attribute: "data-theme", dark: ["dark"], light: ["light"] }, // pydata-sphinx-theme
  { element: "body", attribute: "data-theme", dark: ["dark"], light: ["light"] }, // Furo ("auto": the OS)
  { element: "body", attribute: "data-jp-theme-light", dark: ["false"], light: ["true"] }, // JupyterLab
];
const WATCHED = ["class", ...new Set(HOST_SWITCHES.map((s) => s.attribute))];

function hostSaysDark(doc) {
  if (doc.body && doc.body.classList.contains("quarto-dark")) return true; // Quarto
  if (doc.body && doc.body.classList.contains("quarto-light")) return false;
  for (const { element, attribute, dark, light } of HOST_SWITCHES) {
    const node = element === "html" ? doc.documentElement : doc.body;
    const value = node && node.getAttribute(attribute);
    if (dark.includes(value)) return true;
    if (light.includes(value)) return false;
  }
  return null;
}

class Theme {
  /** `theme`: "light", "dark" or "auto"; `ink`: each kind's {property: [light, dark]} (the payload's);
   * `redraw`: called when the theme flips, for what views draw from data (a band's fill). */
  constructor(models, theme, ink, redraw = () => {}) {
    this.models = models;
    this.theme = theme;
    this.ink = ink;
    this.redraw = redraw;
    this.dark = theme === "dark";
    this.applied = false;
  }

  /** Whether the explorer should be dark now. */
  wanted() {
    if (this.theme !== "auto") return this.theme === "dark";
    const doc = globalThis.document;
    const host = doc ? hostSaysDark(doc) : null;
    if (host !== null) return host;
    return Boolean(globalThis.matchMedia && globalThis.matchMedia("(prefers-color-scheme: dark)").matches);
  }

  /** Start: apply the theme and, for `auto`, follow the host and the OS from now on. */
  follow() {
    this.apply(this.wanted());
    if (this.theme !== "auto" || !globalThis.document) return;
    const update = () => this.apply(this.wanted());
    const doc = globalThis.document;
    const observer = new globalThis.MutationObserver(update);
    for (const node of [doc.documentElement, doc.body]) if (node) observer.observe(node, { attributes: true, attributeFilter: WATCHED });
    if (globalThis.matchMedia) globalThis.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", update);
  }

  /** Dark or light: the root's class (CSS does the rest) and the canvases' ink. */
  apply(dark) {
    const root = this.models.root;
    const classes = root.css_classes.filter((c) => !c.startsWith("av-theme-"));
    const wantedClasses = [...classes, dark ? "av-theme-dark" : "av-theme-light"];
    if (wantedClasses.join() !== root.css_classes.join()) root.css_classes = wantedClasses;
    if (dark === this.dark && this.applied) return;
    this.dark = dark;
    this.applied = true;
    for (const [kind, models] of Object.entries(this.models.ink)) {
      const colours = Object.entries(this.ink[kind]).map(([name, pair]) => [name, pair[dark ? 1 : 0]]);
      for (const model of models) {
        const changed = colours.filter(([name, colour]) => model[name] !== colour);
        if (changed.length) model.setv(Object.fromEntries(changed));
      }
    }
    this.redraw();
  }
}

export { Theme, hostSaysDark };
