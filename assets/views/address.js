/* adamviz address: every state is a link. The address bar follows the explorer (a debounced
 * replaceState: Back still leaves the page, as it should for a page, not a history of slider moves),
 * "Copy link" copies it, and opening the link restores the view — settings, view, iteration, compared
 * optimizers, the closed loop's start (opening.js reads it). A link names only what differs from the
 * page's own defaults, so it stays short and readable. An explorer pasted into someone else's page (a
 * snippet) leaves that page's address alone; its Copy link still works. Lecture mode writes its own
 * (slide and all: views/lecture.js).
 */
import { elementOf } from "../bokeh_internals.js";
import { SETTINGS } from "../contract.js";
import { sameValue } from "../settings.js";

const QUIET_MS = 250; // the address is written once the settings rest this long
const NOTE_MS = 2500; // how long the button says "copied"

/** The query of a link to `params` at `iteration`: settings that differ from `defaults`, then the
 * iteration; other keys of `search` (the host page's own) are kept. */
function linkQuery(params, defaults, iteration, search = "") {
  const query = new URLSearchParams(search);
  for (const name of ["mode", "slide", "iteration", ...Object.keys(SETTINGS)]) query.delete(name);
  for (const name of Object.keys(SETTINGS)) {
    if (!sameValue(params[name], defaults[name])) query.set(name, String(params[name])); // a list: names, comma-separated
  }
  query.set("iteration", String(iteration));
  return query.toString();
}

/** Put `?query` in the address bar in place of the current entry (the page's state and hash kept): the
 * one writer of the address, for the explorer and for lecture mode. False where the page may not. */
function replaceAddress(query) {
  const { history, location } = globalThis;
  if (!history || !location) return false;
  if (`?${query}` === location.search) return true;
  try {
    history.replaceState(history.state, "", `${location.pathname}?${query}${location.hash}`);
    return true;
  } catch {
    return false; // some embedding contexts forbid it; the page still works, Copy link still copies
  }
}

/** Copy `text` to the clipboard: the Clipboard API where the page may use it, else a selected textarea. */
async function copyText(text) {
  try {
    await globalThis.navigator.clipboard.writeText(text);
    return true;
  } catch {
    const doc = globalThis.document;
    const area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position:fixed;left:-9999px;top:0";
    doc.body.appendChild(area);
    area.select();
    let done;
    try {
      done = doc.execCommand("copy");
    } catch {
      done = false;
    }
    area.remove();
    return done;
  }
}

class Address {
  /** `parts`: {lecture, loading} — whether a lecture owns the address, which file was loaded. */
  constructor(models, config, state, parts) {
    Object.assign(this, { models, config, state, parts });
    this.timer = null;
    this.copied = null; // the timer putting the button's label back
  }

  /** Whether this explorer writes the address bar: a page of its own, not a snippet in someone's post. */
  ownsAddress() {
    const element = elementOf(this.models.root);
    return Boolean(globalThis.history && globalThis.location) && !(element && element.closest && element.closest(".adamviz-snippet"));
  }

  /** One state event: a change (or a pause) has settled; write the address once they rest. */
  listen(event) {
    if (event.type !== "report" || this.state.playing || this.parts.lecture.on || !this.ownsAddress()) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.write(), QUIET_MS);
  }

  /** The query of the link to what the explorer shows now (the page's own other keys kept). */
  query() {
    const location = globalThis.location;
    return linkQuery(this.state.params, this.config.defaults, this.state.iteration, location ? location.search : "");
  }

  /** The link to what the explorer shows now. */
  link() {
    const location = globalThis.location;
    const base = location ? `${location.origin === "null" ? "file://" : location.origin}${location.pathname}` : "";
    return `${base}?${this.query()}${location ? location.hash : ""}`;
  }

  write() {
    if (!this.parts.lecture.on) replaceAddress(this.query());
  }

  /** Copy the link; the button says so. A loaded file cannot travel in a URL: the page says that too. */
  async copy() {
    if (this.parts.lecture.on) this.parts.lecture.writeUrl();
    const url = this.parts.lecture.on ? globalThis.location.href : this.link();
    const copied = await copyText(url);
    const button = this.models.widgets.copy_link;
    const label = "Copy link";
    button.label = copied ? "✓ Link copied" : "Copy failed: see below";
    clearTimeout(this.copied);
    this.copied = setTimeout(() => (button.label = label), NOTE_MS);
    const notes = [];
    const file = this.parts.loading.loadedFile;
    if (file && this.state.active.some((name) => this.state.recordings.has(name))) {
      notes.push(`The link restores the settings and the view, not ${file}: a file cannot travel in a URL. Send the file with it, or export the page (it carries the file).`);
    }
    if (!copied) notes.push(`Copy this link: ${url}`);
    if (notes.length) this.state.tell(notes);
    return url;
  }
}

export { replaceAddress, Address, linkQuery };
