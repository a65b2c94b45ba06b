/* adamviz downloads: what the explorer shows, saved from the page (nothing leaves the browser).
 *
 *   csv: the cards' numbers under the current settings — per card and drawn optimizer, the columns of
 *        `adamviz simulate` (t, g, m, v, m_hat, v_hat, sqrt_v_hat, scale, step, theta) after
 *        `scenario,optimizer`; in the many-parameters view, r_t's percentiles per iteration; in the
 *        closed-loop view, the cards' table and then each optimizer's path (x, y, loss).
 *   png: the figures on screen, composed into one picture where they stand on the page.
 */
import { elementOf, picture } from "../bokeh_internals.js";
import { COLUMNS } from "../contract.js";
import { optimize } from "../engine/index.js";
import { rejection } from "../settings.js";

/** A CSV cell: numbers at full precision (shortest round-trip), names quoted when they need it. */
function cell(value) {
  if (typeof value === "number") return String(value);
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function cardsTable(state) {
  const { params, active, streams } = state;
  const lines = [["scenario", "optimizer", "t", ...COLUMNS].join(",")];
  for (const name of active) {
    const g = streams[name];
    for (const optimizer of [params.optimizer, ...params.compare]) {
      // the closed loop's cards: each optimizer met its own gradients on its own path
      const own = params.view === "valley" || Object.hasOwn(state.config.loops, name);
      const input = own ? Float64Array.from(state.trace(name, optimizer).g) : g;
      const t = optimize(input, optimizer, params, true);
      for (let i = 0; i < input.length; i++) {
        const row = [cell(name), optimizer, i + 1, input[i], ...COLUMNS.slice(1).map((key) => t[key][i])];
        lines.push(row.join(","));
      }
    }
  }
  return lines;
}

/** The view's numbers as CSV text (see the header). */
function csv(state) {
  const { params } = state;
  if (params.view === "population") {
    const snapshot = state.population();
    const { p10, p50, p90 } = snapshot.percentiles;
    const lines = ["t,p10,p50,p90"];
    for (let i = 0; i < p50.length; i++) lines.push([i + 1, p10[i], p50[i], p90[i]].join(","));
    return lines.join("\n") + "\n";
  }
  const lines = cardsTable(state);
  if (params.view === "valley") {
    lines.push("", "optimizer,t,x,y,loss");
    for (const optimizer of [params.optimizer, ...params.compare]) {
      const path = state.path(optimizer);
      path.x.forEach((x, i) => lines.push([optimizer, i + 1, x, path.y ? path.y[i] : "", path.loss[i]].join(",")));
    }
  }
  return lines.join("\n") + "\n";
}

/** Whether a computed colour paints nothing. */
const transparent = (colour) => !colour || colour === "transparent" || /rgba\(.*,\s*0\)$/.test(colour);

/** The explorer's background colour (white where the page shows through). */
function background(explorer) {
  const root = elementOf(explorer.models.root);
  const colour = root ? globalThis.getComputedStyle(root).backgroundColor : "";
  return transparent(colour) ? "#ffffff" : colour;
}

/** The box (in the window's coordinates) around `elements` that are laid out. */
function boxAround(elements) {
  const boxes = elements.map((el) => el.getBoundingClientRect()).filter((box) => box.width > 0 && box.height > 0);
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  return { left, top, width: Math.max(...boxes.map((b) => b.right)) - left, height: Math.max(...boxes.map((b) => b.bottom)) - top };
}

/** The figures on screen, each drawn where it stands, on the page's background colour. */
async function png(explorer) {
  const figures = explorer.layout.activeFigures().filter((plot) => elementOf(plot));
  const region = boxAround(figures.map(elementOf));
  const ratio = globalThis.devicePixelRatio || 1;
  const canvas = globalThis.document.createElement("canvas");
  canvas.width = Math.ceil(region.width * ratio);
  canvas.height = Math.ceil(region.height * ratio);
  const context = canvas.getContext("2d");
  context.fillStyle = background(explorer);
  context.fillRect(0, 0, canvas.width, canvas.height);
  for (const plot of figures) {
    const box = elementOf(plot).getBoundingClientRect();
    context.drawImage(picture(plot), (box.left - region.left) * ratio, (box.top - region.top) * ratio, box.width * ratio, box.height * ratio);
  }
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function offer(blob, filename) {
  const link = globalThis.document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

/** Save `kind` ("csv" or "png") of what `explorer` (its state, its figures on screen) shows; resolves with the saved Blob. */
async function save(explorer, kind) {
  let blob;
  if (kind === "csv") blob = new Blob([csv(explorer.state)], { type: "text/csv" });
  else if (kind === "png") blob = await png(explorer);
  else throw new Error(rejection("download", kind, 'one of "csv", "png"'));
  offer(blob, `adamviz-${explorer.state.params.view}.${kind}`);
  return blob;
}

/**
 * A served page's Export button: post the settings to the server (`url`), which answers with the page
 * as one self-contained file; save it, or say the server's message.
 */
async function exportPage(url, state) {
  if (!url) return;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...state.params, iteration: state.iteration }),
    });
    if (!response.ok) throw new Error((await response.text()).slice(0, 500) || `export failed (${response.status})`);
    offer(await response.blob(), "adamviz.html");
  } catch (error) {
    state.tell([`Export: ${error.message}`]);
  }
}

export { background, boxAround, csv, exportPage, offer, save, transparent };
