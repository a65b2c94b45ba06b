"""Browser figures for ``python tests/benchmark.py --browser``: the explorer in Debian's Chromium.

Each figure is printed beside a baseline measured in the same page: the display's own frame rate,
and the time from an input to the end of the next frame when nothing has to be drawn.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright
from test_export import CDN_BUDGET, INLINE_BUDGET

from adamviz.app.export import write_export
from adamviz.app.settings import ExplorerSettings

from conftest import CHROMIUM_ARGS, free_port, start_server

READY = "() => window.adamviz !== undefined"

CONTROL_CHANGES = """async (count) => {
  const changes = [], floor = [];
  const nextFrameEnd = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  for (let i = 0; i < count; i++) {
    let t0 = performance.now();
    await nextFrameEnd();
    floor.push(performance.now() - t0);
    t0 = performance.now();
    await window.adamviz.set({beta1: i % 2 ? 0.9 : 0.95, eps: i % 3 ? 1e-8 : 1e-6});
    changes.push(performance.now() - t0);
  }
  return {changes, floor};
}"""

READY_AT = """
// The moment the explorer publishes window.adamviz (when it is interactive), kept in __adamvizReadyAt,
// and the end of the first frame after it (its figures painted and on screen) in __adamvizPaintedAt.
const frameEnd = (key) => requestAnimationFrame(() => setTimeout(() => { window[key] = performance.now(); }, 0));
Object.defineProperty(window, "adamviz", {
  configurable: true,
  set(value) {
    window.__adamvizReadyAt = performance.now();
    frameEnd("__adamvizPaintedAt");
    Object.defineProperty(window, "adamviz", { value, writable: true, configurable: true });
  },
});
// The floor page's own: BokehJS has rendered its document (embed_items has resolved), and the frame after.
let bokeh;
Object.defineProperty(window, "Bokeh", {
  configurable: true,
  get: () => bokeh,
  set(value) {
    bokeh = value;
    const embed = value.embed && value.embed.embed_items;
    if (embed && !embed.timed) {
      value.embed.embed_items = async (...args) => {
        const views = await embed(...args);
        window.__bokehReadyAt = performance.now();
        frameEnd("__bokehPaintedAt");
        return views;
      };
      value.embed.embed_items.timed = true;
    }
  },
});
"""

FRAME_RATE = """async (seconds) => {
  const explorer = window.AdamViz.instances[0];
  const p = [];  // when the first figure on screen repainted: hooked here, so the page carries no benchmark code
  explorer.paints.hook();
  window.AdamViz.bokeh.onRepaint(window.AdamViz.bokeh.viewOf(explorer.layout.activeFigures()[0]), (time) => p.push(time));
  let frames = 0, t0 = performance.now();
  await new Promise((resolve) => {
    const tick = (t) => { frames++; if (t - t0 < seconds * 1000) requestAnimationFrame(tick); else resolve(); };
    requestAnimationFrame(tick);
  });
  const display = frames / ((performance.now() - t0) / 1000);
  p.length = 0;
  window.adamviz.play();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  window.adamviz.pause();
  const fps = (p.length - 1) / ((p[p.length - 1] - p[0]) / 1000);
  return {display, fps, iteration: window.adamviz.state().iteration};
}"""


CDN = "https://cdn.bokeh.org"


def _caching_cdn(folder: Path):
    """A local stand-in for Bokeh's CDN serving this bokeh's own files with a year's Cache-Control;
    yields its base URL (CDN's replacement in a page), and stops when closed."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    import bokeh

    release = folder / "bokeh" / "release"
    release.mkdir(parents=True)
    static = Path(bokeh.__file__).parent / "server" / "static" / "js"
    for name in static.glob("bokeh*.min.js"):
        shutil.copy(name, release / name.name.replace(".min.js", f"-{bokeh.__version__}.min.js"))

    class Cached(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
            super().end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(Cached, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def load_times(page, url: str, prefix: str, loads: int = 5) -> tuple[float, float]:
    """Medians over ``loads`` loads of ``url``: navigation → interactive and → the end of its first
    frame, as READY_AT records them in ``{prefix}ReadyAt`` and ``{prefix}PaintedAt``."""
    ready, painted = [], []
    for _ in range(loads):
        page.goto(url)
        page.wait_for_function(f"window.{prefix}PaintedAt !== undefined")
        ready.append(page.evaluate(f"window.{prefix}ReadyAt"))
        painted.append(page.evaluate(f"window.{prefix}PaintedAt"))
    return statistics.median(ready), statistics.median(painted)


def bokeh_reference_pages(folder: Path) -> dict[str, Path]:
    """Pages of BokehJS alone (no adamviz code), to tell how much of an opening BokehJS spends on
    figures before the explorer's own part: six one-line default figures, and the explorer's own cards
    row (its six figures, their callbacks removed, painted as BokehJS paints any figure)."""
    from bokeh.embed import file_html
    from bokeh.models import Row
    from bokeh.plotting import figure
    from bokeh.resources import INLINE

    from adamviz.app.figures import build_explorer

    plain = []
    for _ in range(6):
        plot = figure(width=400, height=250, toolbar_location=None)
        plot.line([1, 2, 3], [1, 3, 2])
        plain.append(plot)
    cards = next(
        child for child in build_explorer(synced=False).layout.children if "av-cards" in child.css_classes
    )
    for plot in cards.select({"type": figure}):
        plot.update(js_property_callbacks={}, js_event_callbacks={}, hold_render=False)
    pages = {"six one-line figures": Row(children=plain), "the explorer's cards alone": cards}
    paths = {}
    for k, (name, root) in enumerate(pages.items()):
        paths[name] = folder / f"reference-{k}.html"
        paths[name].write_text(file_html(root, INLINE, name), encoding="utf-8")
    return paths


def main_thread_seconds(cdp) -> float:
    """The page's main-thread task time so far (CDP Performance.getMetrics TaskDuration)."""
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "TaskDuration")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


POPULATION_CHANGES = """async ([count, changes]) => {
  const times = [], floor = [];
  const nextFrameEnd = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  window.longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
  });
  observer.observe({type: "longtask"});
  for (let i = 0; i < count; i++) {
    let t0 = performance.now();
    await nextFrameEnd();
    floor.push(performance.now() - t0);
    t0 = performance.now();
    await window.adamviz.set(changes[i % changes.length]);
    times.push(performance.now() - t0);
  }
  await nextFrameEnd();
  observer.disconnect();
  return {times, floor, longest: Math.max(0, ...window.longTasks)};
}"""


def population_figures(page, figures) -> None:
    """The many-parameters view: a control change repainted, for a β change (the gradients kept) and a
    seed change (the gradients drawn again), and the longest main-thread task meanwhile."""
    print("== many-parameters view (view=population, 1,000 iterations)")
    beta = [{"beta1": 0.95}, {"beta1": 0.9}]
    seed = [{"seed": 1}, {"seed": 2}]
    targets = {  # issue 28: (β₁ change, seed change), p95
        1000: ("p95 <= 50 ms", "p95 <= 150 ms"),
        10_000: ("p95 <= 300 ms", "p95 <= 1 s"),
    }
    for n_params, count in ((1000, 40), (10_000, 6)):
        page.evaluate(
            "(c) => window.adamviz.set(c)",
            {"view": "population", "n_params": n_params, "iterations": 1000, "iteration": 999, "seed": 0},
        )
        for (label, changes), target in zip(
            (("beta1 change", beta), ("seed change (new gradients)", seed)), targets[n_params], strict=True
        ):
            result = page.evaluate(POPULATION_CHANGES, [count, changes])
            times, floor = result["times"], result["floor"]
            # the Long Tasks API reports tasks of 50 ms or more: none is not "0 ms"
            longest = f"{result['longest']:.0f} ms" if result["longest"] else "none >= 50 ms"
            print(
                f"{n_params:,} parameters x 1,000 iterations, {label} -> repainted: "
                f"p50 {statistics.median(times):6.0f} ms, p95 {percentile(times, 0.95):6.0f} ms"
                f"  (target {target}); "
                f"next-frame floor p95 {percentile(floor, 0.95):4.1f} ms; "
                f"longest main-thread task {longest} (target < 50 ms)"
            )
            figures.add(
                f"many parameters, {n_params:,} × 1,000: {label} → repainted, p95 (p50)",
                f"{percentile(times, 0.95):.0f} ms ({statistics.median(times):.0f} ms); longest task {longest.replace('>=', '≥')}",
                f"{target.replace('p95 <= ', '≤ ')}; no task ≥ 50 ms",
            )
    page.evaluate("window.adamviz.set({view: 'cards', n_params: 1000, iterations: 200, seed: 0})")


def valley_figures(page, figures) -> None:
    """The closed-loop view: a control change repainted with three optimizers compared, and the frame
    rate while it plays (the same transport as the cards)."""
    print("== closed-loop view (view=valley, 1,000 iterations, adam + sgd + momentum)")
    for problem in ("valley", "rosenbrock", "bowl"):
        page.evaluate(
            "(c) => window.adamviz.set(c)",
            {
                "view": "valley",
                "problem": problem,
                "iterations": 1000,
                "iteration": 999,
                "window": 40,
                "compare": ["sgd", "momentum"],
                "speed": 120,
            },
        )
        result = page.evaluate(CONTROL_CHANGES, 60)
        changes, floor = result["changes"], result["floor"]
        page.evaluate("window.adamviz.set({iteration: 0})")
        rates = page.evaluate(FRAME_RATE, 3)
        print(
            f"{problem:10s}: control change -> repainted p50 {statistics.median(changes):5.1f} ms, "
            f"p95 {percentile(changes, 0.95):5.1f} ms  (target p95 <= 16 ms or 1.2x the floor); next-frame floor p95 "
            f"{percentile(floor, 0.95):4.1f} ms; frames/s at top speed {rates['fps']:5.1f} "
            f"(display {rates['display']:5.1f})"
        )
        figures.add(
            f"closed loop ({problem}), two compared: control change → repainted p95 (floor); frames/s at top speed",
            f"{percentile(changes, 0.95):.0f} ms ({percentile(floor, 0.95):.0f} ms); {rates['fps']:.1f}",
            "≤ 16 ms or ≤ 1.2× the floor; ≥ 55",
        )
    page.evaluate("window.adamviz.set({view: 'cards', iterations: 200, compare: [], speed: 20})")


LOAD_TRACE = """async ([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  await window.adamviz.load({ name, bytes });
  return performance.now() - t0;
}"""


def trace_figures(page, folder: Path, figures) -> None:
    """Loading a training run in the page: read, checked, replayed and painted (adamviz.load) — the
    on-board trace, and 20 groups of 10,000 records × 8 coordinates (38 MB)."""
    import base64
    import json

    import numpy as np

    from adamviz.app.traces import on_board_path

    from hostile_traces import trace_bytes, valid_arrays

    big = valid_arrays(records=10_000, sample=8)
    arrays = {"meta": None}
    groups = 20
    for k in range(groups):
        arrays.update({key.replace("g0_", f"g{k}_"): value for key, value in big.items() if key != "meta"})
    meta = {"format": "adamviz-trace", "version": 1, "optimizer": "Adam", "lr": 0.01, "betas": [0.9, 0.999]}
    meta.update(eps=1e-8, weight_decay=0.0, momentum=0.0, amsgrad=False, every=1)
    meta["groups"] = [{"name": f"layer{k}.weight", "shape": [64, 64]} for k in range(groups)]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    files = {"mlp_trace.npz": on_board_path().read_bytes(), "big.npz": trace_bytes(arrays)}
    url = write_export(folder / "load.html", ExplorerSettings()).as_uri()
    for name, data in files.items():
        times = []
        for _ in range(3):
            page.goto(url)
            page.wait_for_function(READY)
            times.append(page.evaluate(LOAD_TRACE, [name, base64.b64encode(data).decode()]))
        print(
            f"Load gradients: {name} ({len(data) / 1e6:.1f} MB) read, checked, replayed and painted: "
            f"median {statistics.median(times):6.0f} ms (of 3)"
        )
        figures.add(
            f"Load gradients: {name} ({len(data) / 1e6:.1f} MB), read to painted",
            f"{statistics.median(times):.0f} ms",
        )


def follow_figures(page, folder: Path, figures) -> None:
    """``adamviz serve --trace F --follow``: a trace replaced on disk (atomically, as the recorder
    writes) until the open page shows it — 10 times, alternating a run of 12 and one of 15 records."""
    import os

    from hostile_traces import trace_bytes, valid_arrays

    path = folder / "follow.npz"
    runs = {n: trace_bytes(valid_arrays(records=n)) for n in (12, 15)}
    path.write_bytes(runs[12])
    port = free_port()
    adamviz = shutil.which("adamviz") or "adamviz"
    latencies = []
    for url in start_server([adamviz, "serve", "--port", str(port), "--trace", str(path), "--follow"], port):
        page.goto(url)
        page.wait_for_function(READY)
        page.wait_for_function("window.adamviz.state().params.iterations === 12", timeout=30_000)
        for k in range(10):
            n = 15 if k % 2 == 0 else 12
            staged = folder / f"staged-{k}.npz"
            staged.write_bytes(runs[n])
            start = time.perf_counter()
            os.replace(staged, path)
            page.wait_for_function(f"window.adamviz.state().params.iterations === {n}", timeout=30_000)
            latencies.append((time.perf_counter() - start) * 1000)
    print(
        f"serve --follow: a flush on disk -> the open page shows it: median {statistics.median(latencies):5.0f} ms, "
        f"worst {max(latencies):5.0f} ms of 10  (target <= 2 s)"
    )
    figures.add(
        "serve --follow: a flush on disk → shown in the open page, worst of 10 (median)",
        f"{max(latencies):.0f} ms ({statistics.median(latencies):.0f} ms)",
        "≤ 2,000 ms",
    )


def browser_figures(figures) -> None:
    """Every browser figure, printed as measured and added to ``figures`` (benchmark.Figures)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: `bash tests/run.sh` installs it")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(READY_AT)

        print("== explorer in Chromium (static file, 3 scenarios)")
        url = write_export(Path(folder) / "bench.html", ExplorerSettings(iterations=1000)).as_uri()
        page.goto(url)
        page.wait_for_function(READY)
        five_others = ["sgd", "momentum", "rmsprop", "amsgrad", "adamw"]
        for window, compare, label in (
            (40, [], "last 40"),
            (0, [], "whole history"),
            (40, five_others, "last 40, 5 optimizers compared"),
            (0, five_others, "whole history, 5 optimizers compared"),
        ):
            page.evaluate(
                "(c) => window.adamviz.set(c)", {"window": window, "iteration": 999, "compare": compare}
            )
            result = page.evaluate(CONTROL_CHANGES, 100)
            changes, floor = result["changes"], result["floor"]
            print(
                f"control change -> figures repainted, 3 x 1,000 iterations, {label}: "
                f"p50 {statistics.median(changes):5.1f} ms, p95 {percentile(changes, 0.95):5.1f} ms  (target p95 <= 16 ms); "
                f"next-frame floor p50 {statistics.median(floor):4.1f} ms, p95 {percentile(floor, 0.95):4.1f} ms; "
                f"p95 ratio {percentile(changes, 0.95) / percentile(floor, 0.95):4.2f}x the floor"
            )
            figures.add(
                f"control change → repainted, 3 × 1,000, {label}: p95 (next-frame floor p95; ratio)",
                f"{percentile(changes, 0.95):.0f} ms ({percentile(floor, 0.95):.0f} ms; {percentile(changes, 0.95) / percentile(floor, 0.95):.2f}×)",
                "≤ 16 ms or ≤ 1.2× the floor",
            )
        four_others = ["sgd", "momentum", "rmsprop", "amsgrad"]
        # issue 27: emulating float16 costs at most 1.5x. The changes toggle eps between 1e-8, which
        # float16 rounds to 0 (each readout then says so in a note), and 1e-6; the second row keeps
        # eps within float16 (1e-6/1e-5), so that no note comes or goes: the emulation alone
        finite_eps = CONTROL_CHANGES.replace("eps: i % 3 ? 1e-8 : 1e-6", "eps: i % 3 ? 1e-5 : 1e-6")
        assert finite_eps != CONTROL_CHANGES
        for script, label, target in (
            (CONTROL_CHANGES, "β₁ and ε (1e-8/1e-6) changes", "≤ 1.5× float64"),
            (finite_eps, "β₁ and ε (1e-6/1e-5, both held by float16) changes", "reference (no target)"),
        ):
            p95 = {}
            for precision in ("float64", "float16"):
                page.evaluate(
                    "(c) => window.adamviz.set(c)",
                    {"window": 40, "iteration": 999, "compare": four_others, "precision": precision},
                )
                changes = page.evaluate(script, 100)["changes"]
                p95[precision] = percentile(changes, 0.95)
                print(
                    f"control change -> figures repainted, 3 x 1,000 iterations, 4 optimizers compared, "
                    f"{precision}, {label}: p50 {statistics.median(changes):5.1f} ms, p95 {p95[precision]:5.1f} ms"
                )
            figures.add(
                f"control change → repainted, 3 × 1,000, 4 compared, {label}: float16 p95 (float64 p95; ratio)",
                f"{p95['float16']:.0f} ms ({p95['float64']:.0f} ms; {p95['float16'] / p95['float64']:.2f}×)",
                target,
            )
        page.evaluate("window.adamviz.set({precision: 'float64', compare: []})")
        for iterations, window in ((10_000, 40), (1000, 0)):
            page.evaluate(
                f"window.adamviz.set({{iterations: {iterations}, window: {window}, speed: 120, iteration: 0, compare: []}})"
            )
            rates = page.evaluate(FRAME_RATE, 3)
            label = f"{iterations:,} iterations, {'whole history' if window == 0 else f'last {window}'}"
            print(
                f"frames/s at top speed (120 it/s), {label}: {rates['fps']:5.1f}  (target 60); "
                f"display {rates['display']:5.1f} frames/s -> {rates['fps'] / rates['display']:4.2f} of the display rate"
            )
            figures.add(
                f"frames/s at top speed, 3 cards, {label} (display rate)",
                f"{rates['fps']:.1f} ({rates['display']:.0f})",
                "≥ 55" if window else "≥ 45",
            )

        page.goto(url)
        page.wait_for_function(READY)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.evaluate(
            "() => { const s = document.createElement('div'); s.style.height = '6000px'; document.body.append(s); }"
        )
        for where, scroll in (("on screen", 0), ("scrolled out of view", 100_000)):
            page.evaluate(f"window.scrollTo(0, {scroll})")
            page.evaluate("window.adamviz.set({iteration: 0, iterations: 10000, speed: 20, window: 40})")
            page.wait_for_timeout(300)
            task = main_thread_seconds(cdp)
            page.evaluate("window.adamviz.play()")
            page.wait_for_timeout(5000)
            busy = main_thread_seconds(cdp) - task
            page.evaluate("window.adamviz.pause()")
            print(
                f"main thread while playing at the default 20 it/s, 3 cards, last 40, {where}: "
                f"{busy / 5 * 100:4.1f}% busy, {busy / (5 * 60) * 1000:4.1f} ms per display frame (target <= 8 ms)"
            )
            figures.add(
                f"main thread while playing at 20 it/s, {where}",
                f"{busy / (5 * 60) * 1000:.1f} ms per display frame ({busy / 5 * 100:.0f}%)",
                "≤ 8 ms" if scroll == 0 else "≈ 0",
            )

        page.goto(url)  # back on screen, without the spacer, for the views below
        page.wait_for_function(READY)
        projector = browser.new_page(viewport={"width": 1920, "height": 1080})
        projector.goto(url + "?mode=lecture&iterations=10000&speed=120")
        projector.wait_for_function(READY)
        rates = projector.evaluate(FRAME_RATE, 3)
        projector.close()
        print(
            f"frames/s at top speed, lecture mode at 1920x1080 (one scenario shown), 10,000 iterations, last 40: {rates['fps']:5.1f}"
            f"  (target 60); {rates['fps'] / rates['display']:4.2f} of the display rate"
        )
        figures.add(
            "frames/s at top speed, lecture mode at 1920×1080 (display rate)",
            f"{rates['fps']:.1f} ({rates['display']:.0f})",
            "≥ 55",
        )

        population_figures(page, figures)
        valley_figures(page, figures)
        trace_figures(page, Path(folder), figures)
        follow_figures(page, Path(folder), figures)

        print("== exported files (load -> interactive, 5 loads each, median)")
        from bokeh.embed import file_html
        from bokeh.models import Div
        from bokeh.resources import INLINE

        # no network here: the cdn export's BokehJS comes from a local server that, as a CDN does, lets
        # the browser cache it (page.route would turn the cache off): "once BokehJS is cached"
        cdn = _caching_cdn(Path(folder) / "cdn")
        cdn_base = next(cdn)
        floor_page = Path(folder) / "floor.html"
        floor_page.write_text(file_html(Div(text="BokehJS only"), INLINE, "floor"))
        # each page is interactive when its code says so (the floor: BokehJS's document rendered; the
        # explorer: window.adamviz), and painted at the end of the frame after that (its figures on screen)
        floor_ms, floor_painted_ms = load_times(page, floor_page.as_uri(), "__bokeh")
        print(
            f"floor: BokehJS inline + one Div, rendered after {floor_ms:6.0f} ms, its first frame {floor_painted_ms:6.0f} ms"
        )
        # what BokehJS alone spends on figures: the explorer's part of an opening is what is left above these
        for name, reference in bokeh_reference_pages(Path(folder)).items():
            _, reference_ms = load_times(page, reference.as_uri(), "__bokeh")
            print(
                f"BokehJS alone, {name}: its first frame {reference_ms:6.0f} ms ({reference_ms / floor_painted_ms:4.2f}x the floor)"
            )
            figures.add(
                f"BokehJS alone, {name}: load → first frame painted (ratio to the floor)",
                f"{reference_ms:.0f} ms ({reference_ms / floor_painted_ms:.2f}×)",
                "reference (no target)",
            )
        for resources in ("inline", "cdn"):
            path = write_export(Path(folder) / f"{resources}.html", resources=resources)
            budget = INLINE_BUDGET if resources == "inline" else CDN_BUDGET  # test_export's, one place
            opened = path
            if resources == "cdn":  # (the same file, its BokehJS from the local server)
                opened = path.with_name("cdn-local.html")
                opened.write_text(path.read_text(encoding="utf-8").replace(CDN, cdn_base), encoding="utf-8")
            # once first: the cdn export's BokehJS is cached from here on
            load_times(page, opened.as_uri(), "__adamviz", 1)
            load_ms, painted_ms = load_times(page, opened.as_uri(), "__adamviz")
            print(
                f"{resources:6s}: {path.stat().st_size:>9,} bytes (budget {budget:,}); "
                f"load -> interactive {load_ms:6.0f} ms ({load_ms / floor_ms:4.2f}x the floor's {floor_ms:.0f}), "
                f"-> its first frame painted {painted_ms:6.0f} ms ({painted_ms / floor_painted_ms:4.2f}x the floor's "
                f"{floor_painted_ms:.0f}; target <= 500 ms and 2.5x)"
            )
            figures.add(
                f"{resources} export: size; load → interactive (BokehJS-only floor)",
                f"{path.stat().st_size:,} bytes; {load_ms:.0f} ms ({floor_ms:.0f} ms)",
                f"≤ {budget:,} bytes",
            )
            figures.add(
                f"{resources} export: load → first frame painted (the floor's: BokehJS + a Div; ratio)",
                f"{painted_ms:.0f} ms ({floor_painted_ms:.0f} ms; {painted_ms / floor_painted_ms:.2f}×)",
                "≤ 500 ms and ≤ 2.5× the floor",
            )
        # where a cdn export lives in use: a page on a web server (a blog post). Opened from file:// above,
        # Chromium uses no code cache for the cached BokehJS (a trace's v8.compile shows consumedCacheSize
        # only over HTTP), and compiles its functions afresh as they first run: 30-50 ms more here
        posted = Path(folder) / "cdn" / "post.html"
        posted.write_text((Path(folder) / "cdn-local.html").read_text(encoding="utf-8"), encoding="utf-8")
        load_times(page, f"{cdn_base}/post.html", "__adamviz", 1)
        _, posted_ms = load_times(page, f"{cdn_base}/post.html", "__adamviz")
        print(f"cdn export served over HTTP, BokehJS cached: its first frame painted {posted_ms:6.0f} ms")
        figures.add(
            "cdn export served over HTTP (a blog post), BokehJS cached: load → first frame painted (ratio)",
            f"{posted_ms:.0f} ms ({posted_ms / floor_painted_ms:.2f}×)",
            "reference (the row above is the target's)",
        )

        cdn.close()

        print("== served explorer (adamviz serve)")
        port = free_port()
        server = start_server([shutil.which("adamviz") or "adamviz", "serve", "--port", str(port)], port)
        served = next(server)
        frames: list[str] = []
        page.on(
            "websocket",
            lambda ws: (
                ws.on("framesent", lambda _: frames.append("s")),
                ws.on("framereceived", lambda _: frames.append("r")),
            ),
        )
        page.goto(served)
        page.wait_for_function(READY)
        page.wait_for_timeout(500)
        page.evaluate("window.adamviz.set({iterations: 2000, speed: 120})")  # reports its settings once
        page.wait_for_timeout(500)
        frames.clear()
        start = time.monotonic()
        page.evaluate("window.adamviz.play()")
        page.wait_for_timeout(5000)
        elapsed = time.monotonic() - start
        played = page.evaluate("window.adamviz.state().iteration")
        print(
            f"websocket frames (sent + received) while playing: {len(frames) / elapsed:.1f}/s over {elapsed:.1f} s "
            f"({played} iterations played)  (target 0)"
        )
        figures.add("websocket frames while playing (served)", f"{len(frames) / elapsed:.1f}/s", "0")
        server.close()
        browser.close()
