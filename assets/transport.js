/* adamviz transport: the clock that advances the iteration while playing, and the paint tracker that
 * paints the figures once per display frame and knows when every figure shows the latest frame (what
 * set()'s Promise waits for).
 *
 * The only animation state is the iteration counter (explorer.js owns it); the clock turns elapsed
 * time into whole iterations at `speed` iterations per second.
 *
 * One frame while playing: the clock's tick moves the models (BokehJS then processes the new data
 * in microtasks and asks for paints), and the paint flush queued by the previous tick runs next in
 * the same animation frame and paints every figure that asked — so a frame's data is painted in that
 * frame, each figure once.
 */
import { fixFontSize, leanGlyphs, isGone, keepPositions, layerOverlays, modelOf, onRepaint, paintPlot, schedulePaints, viewsOf } from "./bokeh_internals.js";

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
const HIDDEN_PAGE_TIMEOUT_MS = 2000; // a hidden page never paints: give up waiting after this

class Clock {
  /**
   * `speed()` gives iterations per second; `advance(steps, fraction)` moves on and returns false to
   * stop (`fraction`: how far, in [0, 1), the clock is toward the next iteration). With `smooth()`
   * true, advance is called on every display frame, also with steps = 0, so a window can glide.
   * `queued()` is called on every tick after the next tick is requested: what it requests runs in
   * the next frame after that tick (the paint flush).
   */
  constructor(speed, advance, smooth = () => false, queued = () => {}) {
    this.speed = speed;
    this.advance = advance;
    this.smooth = smooth;
    this.queued = queued;
    this.running = false;
    this.frame = null;
    this.lastTime = null;
    this.carry = 0;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.lastTime = null;
    this.carry = 0;
    this.frame = requestAnimationFrame((time) => this.tick(time));
  }

  stop() {
    this.running = false;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  tick(time) {
    if (!this.running) return;
    this.frame = requestAnimationFrame((t) => this.tick(t));
    this.queued();
    if (this.lastTime !== null) {
      this.carry += ((time - this.lastTime) / 1000) * this.speed();
      const steps = Math.floor(this.carry);
      this.carry -= steps;
      if ((steps > 0 || this.smooth()) && !this.advance(steps, this.carry)) return this.stop();
    }
    this.lastTime = time;
  }
}

class PaintTracker {
  /**
   * `figures`: every figure of the explorer; `shown()`: those on screen now (the cards a lecture
   * slide hides share the x range, and would otherwise repaint on every frame, unseen).
   */
  constructor(figures, shown = () => figures) {
    this.figures = figures;
    this.shown = shown;
    this.hooked = new Map(); // figure -> its view, hooked
    this.paintedAt = new WeakMap(); // view -> when it last painted
    this.renderedAt = 0; // when the models last changed
    this.waiters = [];
    this.dirty = new Set(); // views that asked for a paint
    this.flushes = 0; // paint flushes requested and not yet run
  }

  /**
   * Paint the views that asked, in the next animation frame (the clock queues one after each tick
   * while playing) or, with `soon`, as soon as the current task and its microtasks are done (a
   * control change: painted before the next frame starts, which then only has to show it). A figure
   * off screen keeps its request until it is shown.
   */
  queueFlush(soon = false) {
    this.flushes++;
    const flush = () => {
      this.flushes--;
      const shown = new Set(this.shown());
      for (const view of [...this.dirty]) {
        if (isGone(view)) this.dirty.delete(view);
        else if (shown.has(modelOf(view))) {
          this.dirty.delete(view);
          paintPlot(view);
        }
      }
    };
    if (soon) setTimeout(flush, 0);
    else requestAnimationFrame(flush);
  }

  request(view) {
    this.dirty.add(view);
    if (this.flushes === 0) this.queueFlush(true);
  }

  /**
   * The views of the figures that have one, each hooked once (their base font size read once, see
   * bokeh_internals.js). A figure added to the page later (the many-parameters view) is hooked when
   * its view exists.
   */
  hook() {
    const fresh = [];
    const waiting = this.figures.filter((figure) => !this.hooked.has(figure));
    const views = viewsOf(waiting);
    for (const [k, figure] of waiting.entries()) {
      const view = views[k];
      if (!view) continue;
      this.paintedAt.set(view, 0);
      onRepaint(view, (time) => {
        this.paintedAt.set(view, time);
        this.check();
      });
      this.hooked.set(figure, view);
      fresh.push(view);
    }
    if (fresh.length) {
      fixFontSize(fresh);
      keepPositions(fresh);
      leanGlyphs(fresh);
      for (const view of fresh) {
        layerOverlays(view);
        schedulePaints(view, (v) => this.request(v));
      }
    }
    return this.figures.map((figure) => this.hooked.get(figure)).filter(Boolean);
  }

  changed() {
    this.renderedAt = performance.now();
    if (this.dirty.size && this.flushes === 0) this.queueFlush(true); // a figure shown again paints
  }

  /**
   * Resolves once each of `figures` (default: all; hidden cards never paint) has repainted after
   * `since`, or at the next frame if none must. A figure whose view is still being built is waited for.
   */
  async painted(since, figures = this.figures) {
    const started = performance.now();
    const allHooked = () => figures.every((figure) => this.hooked.has(figure));
    // (hooking looks for the views of figures not yet shown, a walk over every view of the page: only when needed)
    while (!allHooked()) {
      this.hook();
      if (allHooked() || performance.now() - started > HIDDEN_PAGE_TIMEOUT_MS) break;
      await nextPaint();
    }
    const views = figures.map((figure) => this.hooked.get(figure)).filter(Boolean);
    if (!views.length || this.renderedAt < since) return nextPaint();
    return new Promise((resolve) => {
      this.waiters.push({ since, resolve, views });
      setTimeout(() => this.check(true), HIDDEN_PAGE_TIMEOUT_MS);
      this.check();
    });
  }

  check(giveUp = false) {
    this.waiters = this.waiters.filter(({ since, resolve, views }) => {
      const done = giveUp || views.every((v) => this.paintedAt.get(v) >= since);
      if (done) resolve();
      return !done;
    });
  }
}

export { Clock, PaintTracker };
