/* adamviz clip: what the explorer shows, recorded as a video in the page (nothing leaves the browser).
 *
 * Each frame is composed on one canvas from the explorer as it stands: every figure's canvases where
 * they are, the cards' words (titles, readouts, legends) in their own font and colour, the legends'
 * keys and the swatches. The canvas's stream goes to the browser's MediaRecorder: WebM (VP9, else VP8),
 * or MP4 where the browser can only encode that. The ⏺ Record toggle records while you play (a frame a
 * display frame); `record({from, to, fps})` films iterations from..to, one a frame, and resolves with
 * the Blob. Its frames are the same every time; their timing is the browser's (MediaRecorder stamps a
 * frame when it arrives, so a busy machine stretches a frame or two), unlike `adamviz export clip.webm`.
 */
import { elementOf } from "../bokeh_internals.js";
import { background, boxAround, offer, transparent } from "./downloads.js";

const TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm", "video/mp4"];
const LARGEST = 3840; // px: a frame's widest side (the encoders' limit, and 4K's)

/** The first video type this browser's MediaRecorder encodes, or null. */
function recordingType() {
  const recorder = globalThis.MediaRecorder;
  return recorder ? TYPES.find((type) => recorder.isTypeSupported(type)) || null : null;
}

/** Paint a text node where it stands: a run on one line at once, a wrapped one word by word. */
function paintText(context, node, style) {
  const range = globalThis.document.createRange();
  range.selectNodeContents(node);
  const lines = range.getClientRects();
  if (lines.length === 0) return;
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  context.fillStyle = style.color;
  context.textBaseline = "middle";
  const runs = [];
  if (lines.length === 1) runs.push([node.data.replace(/\s+/g, " ").trim(), lines[0]]);
  else {
    for (const match of node.data.matchAll(/\S+/g)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      runs.push([match[0], range.getBoundingClientRect()]);
    }
  }
  for (const [text, box] of runs) context.fillText(text, box.left, box.top + box.height / 2);
}

/** Paint a legend key or swatch (lines, rectangles, circles) in its box. */
function paintSvg(context, svg, box) {
  const number = (el, name, fallback = 0) => Number(el.getAttribute(name) ?? fallback);
  for (const shape of svg.querySelectorAll("line, rect, circle")) {
    context.save();
    context.translate(box.left, box.top);
    context.beginPath();
    if (shape.tagName === "line") {
      context.moveTo(number(shape, "x1"), number(shape, "y1"));
      context.lineTo(number(shape, "x2"), number(shape, "y2"));
    } else if (shape.tagName === "rect") context.rect(number(shape, "x"), number(shape, "y"), number(shape, "width"), number(shape, "height"));
    else context.arc(number(shape, "cx"), number(shape, "cy"), number(shape, "r"), 0, 2 * Math.PI);
    const fill = shape.getAttribute("fill");
    if (fill && fill !== "none") {
      context.globalAlpha = number(shape, "fill-opacity", 1);
      context.fillStyle = fill;
      context.fill();
    }
    const stroke = shape.getAttribute("stroke");
    if (stroke && stroke !== "none") {
      context.globalAlpha = 1;
      context.strokeStyle = stroke;
      context.lineWidth = number(shape, "stroke-width", 1);
      const dash = (shape.getAttribute("stroke-dasharray") || "").split(/[\s,]+/).filter(Boolean).map(Number);
      context.setLineDash(dash);
      context.stroke();
    }
    context.restore();
  }
}

/** Paint `el`'s borders: solid, dashed or dotted lines along each side that has one (the legend's keys
 * are borders). */
function paintBorders(context, style, box) {
  const sides = { Top: [box.left, box.top, box.right, box.top], Bottom: [box.left, box.bottom, box.right, box.bottom], Left: [box.left, box.top, box.left, box.bottom], Right: [box.right, box.top, box.right, box.bottom] };
  for (const [side, [x0, y0, x1, y1]] of Object.entries(sides)) {
    const width = parseFloat(style[`border${side}Width`]);
    const kind = style[`border${side}Style`];
    const colour = style[`border${side}Color`];
    if (!(width > 0) || !["solid", "dashed", "dotted"].includes(kind) || transparent(colour)) continue;
    const inward = (["Top", "Left"].includes(side) ? 1 : -1) * (width / 2);
    const [dx, dy] = side === "Top" || side === "Bottom" ? [0, inward] : [inward, 0];
    context.save();
    context.strokeStyle = colour;
    context.lineWidth = width;
    context.setLineDash(kind === "dashed" ? [3 * width, 2 * width] : kind === "dotted" ? [width, width] : []);
    context.beginPath();
    context.moveTo(x0 + dx, y0 + dy);
    context.lineTo(x1 + dx, y1 + dy);
    context.stroke();
    context.restore();
  }
}

/** Paint `el` and what it holds (through shadow roots): backgrounds, canvases, text, legend keys;
 * not what `skip` holds. */
function paintElement(context, el, skip) {
  if (skip.has(el)) return;
  const style = globalThis.getComputedStyle(el);
  if (style.display === "none" || style.visibility === "hidden") return;
  const box = el.getBoundingClientRect();
  if (!transparent(style.backgroundColor) && box.width > 0) {
    context.fillStyle = style.backgroundColor;
    context.fillRect(box.left, box.top, box.width, box.height);
  }
  if (box.width > 0) paintBorders(context, style, box);
  if (el.tagName === "CANVAS") {
    if (box.width > 0 && el.width > 0) context.drawImage(el, box.left, box.top, box.width, box.height);
    return;
  }
  if (el.tagName.toLowerCase() === "svg") return paintSvg(context, el, box);
  if (["STYLE", "SCRIPT", "TEMPLATE"].includes(el.tagName)) return;
  for (const node of el.childNodes) if (node.nodeType === 3 && node.data.trim()) paintText(context, node, style);
  if (el.shadowRoot) for (const child of el.shadowRoot.children) paintElement(context, child, skip);
  for (const child of el.children) paintElement(context, child, skip);
}

class ClipRecorder {
  constructor(explorer) {
    this.explorer = explorer;
    this.live = null; // the ⏺ Record toggle's recording, while it runs
  }

  /** What a clip shows: the slide's words in a lecture, the view's figures and the cards on screen. */
  parts() {
    const { models, state, layout } = this.explorer;
    const view = state.params.view;
    const parts = [];
    if (models.lecture_bar.visible) parts.push(models.lecture_bar);
    if (view === "population") parts.push(models.population.layout);
    if (view === "valley") parts.push(models.valley.layout);
    if (layout.cardsShown(view)) parts.push(...models.cards.filter((card) => card.shows !== null).map((card) => card.layout));
    return parts.map(elementOf).filter(Boolean);
  }

  /** Draw one frame on `session`'s canvas and hand it to the recorder. */
  frame(session) {
    const { canvas, region, ratio } = session;
    const [left, top] = [region.left - globalThis.scrollX, region.top - globalThis.scrollY]; // where it is on screen now
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, -left * ratio, -top * ratio);
    context.fillStyle = session.background;
    context.fillRect(left, top, region.width, region.height);
    // a view's own controls are for hands, not for a clip
    const { population, valley } = this.explorer.models;
    const skip = new Set([population.controls, valley.controls].map(elementOf).filter(Boolean));
    for (const part of this.parts()) paintElement(context, part, skip);
    session.track.requestFrame();
  }

  /** Start recording what the explorer shows now (its size is the clip's). */
  begin() {
    const type = recordingType();
    if (type === null) throw new Error("this browser cannot record video (it has no MediaRecorder for WebM or MP4)");
    const parts = this.parts();
    if (parts.length === 0) throw new Error("nothing to record: no figure is on screen");
    const box = boxAround(parts);
    // in the page's coordinates: scrolling while recording moves the page, not the clip's frame
    const region = { ...box, left: box.left + globalThis.scrollX, top: box.top + globalThis.scrollY };
    const ratio = Math.min(globalThis.devicePixelRatio || 1, LARGEST / Math.max(region.width, region.height));
    const canvas = globalThis.document.createElement("canvas");
    // encoders want even sizes
    canvas.width = 2 * Math.round((region.width * ratio) / 2);
    canvas.height = 2 * Math.round((region.height * ratio) / 2);
    const stream = canvas.captureStream(0);
    const recorder = new globalThis.MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 4e6 });
    const chunks = [];
    recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
    const stopped = new Promise((resolve) => (recorder.onstop = () => resolve(new Blob(chunks, { type: type.split(";")[0] }))));
    recorder.start();
    return { canvas, region, ratio, background: background(this.explorer), recorder, stopped, track: stream.getVideoTracks()[0] };
  }

  /** Stop `session`; resolves with the video. */
  end(session) {
    session.recorder.stop();
    return session.stopped;
  }

  /** The ⏺ Record toggle: on, every display frame is recorded (press Play, or step); off, it is saved. */
  async toggle(on) {
    if (on && this.live === null) {
      try {
        const session = (this.live = this.begin());
        const tick = () => {
          if (this.live !== session) return;
          this.frame(session);
          globalThis.requestAnimationFrame(tick);
        };
        tick();
      } catch (error) {
        this.explorer.state.tell([error.message]);
        this.explorer.models.widgets.record.active = false;
      }
    } else if (!on && this.live !== null) {
      const session = this.live;
      this.live = null;
      const blob = await this.end(session);
      offer(blob, `adamviz-${this.explorer.state.params.view}.${blob.type === "video/mp4" ? "mp4" : "webm"}`);
    }
  }

  /**
   * Film iterations `from`..`to`, one a frame, `fps` frames a second of the video; resolves with the
   * Blob (nothing is saved). Rejects, changing nothing, on a range or rate out of bounds.
   */
  async record({ from = 0, to = this.explorer.state.params.iterations - 1, fps = 20 } = {}) {
    const last = this.explorer.state.params.iterations - 1;
    const integer = (value) => Number.isInteger(value);
    if (!integer(from) || from < 0 || from > last) throw new Error(`from must be an iteration in [0, ${last}]; got ${JSON.stringify(from)}`);
    if (!integer(to) || to <= from || to > last) throw new Error(`to must be an iteration in [${from + 1}, ${last}]; got ${JSON.stringify(to)}`);
    if (!integer(fps) || fps < 1 || fps > 60) throw new Error(`fps must be an integer in [1, 60]; got ${JSON.stringify(fps)}`);
    this.explorer.state.pause();
    await this.explorer.set({ iteration: from });
    const session = this.begin();
    const spacing = 1000 / fps;
    for (let iteration = from, next = performance.now(); iteration <= to; iteration++, next += spacing) {
      await this.explorer.set({ iteration }); // resolves once the figures have repainted
      this.frame(session);
      const wait = next + spacing - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return this.end(session);
  }
}

export { ClipRecorder, recordingType };
