/* adamviz loading: a training run comes into an explorer — the Load button, a file dropped on it, the
 * API's load(file) — and "Cards show" pages through its coordinates. Nothing is uploaded: the file is
 * read in the page (trace_files.js) and becomes scenarios (recordings.js).
 */
import { SETTINGS } from "../contract.js";

class Loading {
  /** `showCards(k, changes)`: the wiring's, resolved once the cards show page k (explorer.js). */
  constructor(models, config, state, showCards) {
    Object.assign(this, { models, config, state, showCards });
    this.recordings = state.recordings;
    if (config.follow) this.follow(config.follow);
  }

  /**
   * A served trace as the run writes it (adamviz serve --follow): ask `url` every `every` seconds
   * whether it changed (the page has `version`); a new one replaces the run, keeping the view, the
   * iteration and the settings (a page showing the whole run grows with it); a missing or broken file
   * is said once, and the page keeps what it had. No DOM: fetch and timers only.
   */
  follow({ url, version, every }) {
    let have = version;
    let said = null;
    const ask = async () => {
      try {
        const answer = await globalThis.fetch(`${url}?have=${encodeURIComponent(have)}`, { cache: "no-store" });
        if (answer.status === 204 || !answer.ok) return;
        if ((answer.headers.get("Content-Type") || "").startsWith("application/json")) {
          const { error } = await answer.json();
          if (error !== said) this.state.tell([(said = error)]);
          return;
        }
        const next = answer.headers.get("X-Trace-Version") || "";
        const name = this.recordings.run ? this.recordings.run.source : "trace.npz";
        this.refresh(await this.recordings.read({ name, bytes: new Uint8Array(await answer.arrayBuffer()) }));
        have = next;
        if (said !== null) {
          said = null;
          this.state.tell([]); // the file is back: the complaint is answered
        }
      } catch {
        // the server is gone or the answer unreadable: ask again next time
      } finally {
        globalThis.setTimeout(ask, every * 1000);
      }
    };
    globalThis.setTimeout(ask, every * 1000);
  }

  /** `run`, a newer copy of the shown one, in its place: the same view, iteration and settings; a
   * page that showed every record shows every record still. */
  refresh(run) {
    const before = this.recordings.run;
    const whole = before && this.state.params.iterations === this.recordings.length(before);
    this.recordings.adopt(run);
    this.showRun();
    const iterations = Math.min(SETTINGS.iterations.max, this.recordings.length(run));
    return this.state.reload(whole ? { iterations } : {});
  }

  /**
   * Read `file` (a File or Blob with a name, or {name, bytes}), then show its first page with the
   * run's own settings. A file that cannot be read leaves everything as it was and says why.
   */
  async load(file) {
    let run;
    try {
      run = await this.recordings.read(file);
    } catch (error) {
      this.state.tell([error.message]);
      throw error;
    }
    this.loadedFile = run.source; // a link cannot carry it (views/address.js says so)
    this.adopt(run);
    const { settings, notes } = this.recordings.settingsOf(run);
    const stay = ["population", "layers"].includes(this.state.params.view); // these show the new run as well
    await this.showCards(1, stay ? { ...settings, view: this.state.params.view } : settings);
    if (notes.length) this.state.tell(notes); // replayed, but not quite as it ran
    return this.state.snapshot();
  }

  /** `run`'s coordinates become the cards' pages. */
  adopt(run) {
    this.recordings.adopt(run);
    this.showRun();
  }

  /** "Cards show" offers the run's pages; the header's note on faded curves says what they are. */
  showRun() {
    const select = this.models.widgets.cards_show;
    select.options = this.recordings.choices();
    select.visible = this.state.params.controls.includes("data");
    const header = this.models.header;
    const { legend, recorded } = this.config.notes;
    if (header.text.includes(legend)) header.text = header.text.replace(legend, recorded);
  }

  /** Open the browser's file chooser (the "Load gradients" button). */
  choose() {
    // in the document while it is open: some browsers drop the choice of a detached input
    const input = globalThis.document.createElement("input");
    input.type = "file";
    input.accept = ".npz,.npy,.csv";
    input.hidden = true;
    input.addEventListener("change", () => {
      input.remove();
      if (input.files && input.files[0]) this.load(input.files[0]).catch(() => {});
    });
    globalThis.document.body.appendChild(input);
    input.click();
  }

  /** A file dropped anywhere on the explorer loads like one chosen with the button. */
  watchDrops(element) {
    if (!element) return;
    // while a file is dragged over it, the explorer is outlined: it will take the file
    const over = (on) => element.classList.toggle("av-drop", on);
    element.addEventListener("dragover", (event) => {
      if (!event.dataTransfer || ![...event.dataTransfer.types].includes("Files")) return;
      event.preventDefault();
      over(true);
    });
    element.addEventListener("dragleave", (event) => {
      if (!element.contains(event.relatedTarget)) over(false);
    });
    element.addEventListener("drop", (event) => {
      over(false);
      const files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      event.preventDefault();
      this.load(files[0]).catch(() => {});
    });
  }
}

export { Loading };
