"""Training runs in Chromium (issue 12): a page that carries a trace opens on its coordinates, replays
them with parity to adamviz.sim and draws what the run had; a file loads from the button or a drop, in a
static page; every malformed file of tests/hostile_traces.py is refused with its message while the page
keeps what it had; the view's data downloads as CSV equal to adamviz.sim, its figures as a PNG."""

from __future__ import annotations

import base64
import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from adamviz.app.export import write_export
from adamviz.app.settings import ExplorerSettings
from adamviz.app.traces import on_board_path
from adamviz.record import load
from adamviz.sim import simulate

from browser_helpers import (
    STEP_SETTINGS,
    assert_page_trace,
    open_explorer,
    open_more,
    page_gradients,
    page_trace,
    set_params,
    state,
    step_settings,
)
from conftest import free_port, start_server
from error_bounds import assert_trace_matches, assert_within, bias_corrected_bounds, float32_adam_bounds
from hostile_traces import hostile_files, trace_bytes, valid_arrays

pytestmark = pytest.mark.browser

CSV_KEYS = ("m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")


@pytest.fixture(scope="module")
def trace_url(tmp_path_factory) -> str:
    """``adamviz export --trace mlp``: the on-board run, in one offline file."""
    out = tmp_path_factory.mktemp("trace") / "mlp.html"
    return write_export(out, ExplorerSettings(trace="mlp")).as_uri()


def replay(g: np.ndarray, params: dict):
    return simulate(g, optimizer=params["optimizer"], **{key: params[key] for key in STEP_SETTINGS})


def assert_replays(page, name: str, g: np.ndarray) -> None:
    """The page's card `name` is `g` stepped under the page's settings, as adamviz.sim steps it."""
    params = state(page)["params"]
    got = page_trace(page, name)
    g = g[: params["iterations"]]
    np.testing.assert_array_equal(got["g"], g)
    assert_trace_matches(got, g, what=name, **step_settings(params))


def test_a_page_with_a_trace_opens_on_it_and_replays_it(page, trace_url, screenshots):
    run = load(on_board_path())
    group = run.groups[0]
    names = [group.scenario(c) for c in group.coordinates]
    open_explorer(page, trace_url)
    opened = state(page)
    assert opened["scenarios"] == names[:4]
    params = opened["params"]
    assert (params["optimizer"], params["lr"], params["beta1"], params["beta2"], params["eps"]) == (
        "adam",
        0.001,
        0.9,
        0.999,
        1e-8,
    )
    assert params["iterations"] == 1000 and params["window"] == 0
    for c, name in zip(group.coordinates[:4], names, strict=False):
        recorded = page.evaluate("(n) => window.adamviz.recorded(n)", name)
        np.testing.assert_array_equal(recorded["g"], c.g)
        np.testing.assert_array_equal(recorded["step"], c.step)
        # m̂ = m / (1 − β₁^t): JavaScript's pow and C's may each be an ulp off β^t
        bound_m_hat, bound_sqrt_v_hat = bias_corrected_bounds(group.steps, c.m_hat, c.sqrt_v_hat, 0.9, 0.999)
        assert_within(recorded["m_hat"], c.m_hat, bound_m_hat, f"{name} recorded m_hat")
        assert_within(recorded["sqrt_v_hat"], c.sqrt_v_hat, bound_sqrt_v_hat, f"{name} recorded sqrt_v_hat")
        assert_replays(page, name, c.g)
        # at the run's own settings the float64 replay (adamviz.sim's, to 1e-12) is the float32 run,
        # within float32's rounding as it accumulates
        got = page_trace(page, name)
        bound_m_hat, bound_sqrt_v_hat = float32_adam_bounds(
            c.g, c.m_hat, c.sqrt_v_hat, group.steps, 0.9, 0.999
        )
        assert_within(got["m_hat"], c.m_hat, bound_m_hat + 1e-12 * np.abs(c.m_hat), f"{name} replayed m_hat")
        assert_within(
            got["sqrt_v_hat"],
            c.sqrt_v_hat,
            bound_sqrt_v_hat + 1e-12 * c.sqrt_v_hat,
            f"{name} replayed sqrt_v_hat",
        )
    page.evaluate("window.adamviz.set({iteration: 0})")  # it opened mid-run
    readout = page.locator("[data-scenario='0.weight[187]']").inner_text()
    assert "recorded at step 1: m̂ 0.00169" in readout
    page.evaluate("window.adamviz.set({iteration: 999})")
    page.screenshot(path=str(screenshots / "trace-mlp.png"), full_page=True)

    # what if β₂ had been 0.99: the replay moves, what was recorded does not
    set_params(page, beta2=0.99)
    assert_replays(page, names[1], group.coordinates[1].g)
    assert not np.allclose(
        page_trace(page, names[1])["sqrt_v_hat"], group.coordinates[1].sqrt_v_hat, rtol=1e-3
    )
    np.testing.assert_array_equal(
        page.evaluate("(n) => window.adamviz.recorded(n).g", names[1]), group.coordinates[1].g
    )

    # longer than recorded: refused, nothing lost
    message = page.evaluate("window.adamviz.set({iterations: 2000}).then(() => null, (e) => e.message)")
    assert message == "iterations must be at most 1000, the steps recorded for these cards; got 2000"
    assert state(page)["params"]["iterations"] == 1000

    # the next page of coordinates, then back to the page's own scenarios
    open_more(page)
    select = page.locator(".av-cards-show select")
    options = select.locator("option").all_inner_texts()
    assert options == [
        "Scenarios: consistent, noisy, reversal",
        "mlp_trace.npz: 0.weight (1–4 of 8)",
        "mlp_trace.npz: 0.weight (5–8 of 8)",
    ]
    page.evaluate("window.adamviz.set({iteration: 321})")
    select.select_option(index=2)
    page.wait_for_function("window.adamviz.state().scenarios[0] === '0.weight[790]'")
    assert state(page)["scenarios"] == names[4:]
    assert state(page)["iteration"] == 321  # paging keeps the iteration: never back to empty plots
    assert_replays(page, names[5], group.coordinates[5].g)
    select.select_option(index=0)
    page.wait_for_function("window.adamviz.state().scenarios[0] === 'consistent'")
    assert_page_trace(page, "noisy", state(page)["params"])


def _load_in_page(page, name: str, data: bytes):
    """``adamviz.load({name, bytes})``; returns the error message, or None when it loaded."""
    return page.evaluate(
        """([name, b64]) => {
            const bytes = name === "rows-1e7.csv"
                ? new TextEncoder().encode("0.5\\n".repeat(10000001))
                : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            return window.adamviz.load({ name, bytes }).then(() => null, (e) => e.message);
        }""",
        [name, "" if name == "rows-1e7.csv" else base64.b64encode(data).decode()],
    )


def test_every_hostile_file_is_refused_and_the_page_keeps_what_it_had(page, static_url):
    open_explorer(page, static_url)
    before = state(page)
    for case in hostile_files():
        message = _load_in_page(page, case.name, case.data)
        assert message is not None and message.startswith(case.name), (case.name, message)
        assert case.words in message, (case.name, message)
        shown = page.locator(".av-error").inner_text()
        assert case.words in shown, (case.name, shown)
        assert state(page) == before, case.name
    # a file's name and its group names are text wherever the page shows them, never markup
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    payload = "<img src=x onerror=alert(1)>"
    assert _load_in_page(page, f"{payload}.csv", b"1\n2\n") is not None  # 2 records: too few, named
    assert payload in page.locator(".av-error").inner_text()
    hostile_group = trace_bytes(
        valid_arrays(
            records=20, groups=[{"name": f"{payload}</h2><script>alert(2)</script>", "shape": [3, 4]}]
        )
    )
    assert _load_in_page(page, f"{payload}.npz", hostile_group) is None
    assert payload in page.locator(".av-card-title").first.inner_text()
    assert dialogs == [] and page.locator("img[src=x]").count() == 0
    # a run's setting outside the page's ranges: replayed with the nearest, and said
    assert _load_in_page(page, "tiny-lr.npz", trace_bytes(valid_arrays(records=15, lr=1e-6))) is None
    assert state(page)["params"]["lr"] == 1e-4
    assert (
        "tiny-lr.npz: the run's lr 0.000001 is outside the page's range [0.0001, 1]; replayed with 0.0001"
        in (page.locator(".av-error").inner_text())
    )
    # line ends of every platform, as Python reads them
    for name, end in (("windows.csv", b"\r\n"), ("mac.csv", b"\r")):
        data = end.join([b"gradient", *[str(0.5 - k / 10).encode() for k in range(12)], b""])
        assert _load_in_page(page, name, data) is None
        assert page.evaluate(f"window.adamviz.recorded('{name[:-4]}[0]').g") == [
            0.5 - k / 10 for k in range(12)
        ]
    # and it still works: a good trace loads after all of them
    assert _load_in_page(page, "good.npz", trace_bytes(valid_arrays(records=30))) is None
    assert state(page)["scenarios"] == ["layer.weight[0]", "layer.weight[5]"]


def test_a_file_loads_from_the_button_and_from_a_drop(page, static_url, tmp_path):
    arrays = valid_arrays(records=40)
    (tmp_path / "run.npz").write_bytes(trace_bytes(arrays, deflate=True))  # deflated: the page inflates it
    open_explorer(page, static_url)
    note = page.locator(".av-legend-note")
    assert note.inner_text() == "Faded curves show the previous setting until the next change."
    with page.expect_file_chooser() as chooser:
        open_more(page)
        page.locator(".av-load button").click()
    chooser.value.set_files(str(tmp_path / "run.npz"))
    page.wait_for_function("window.adamviz.state().scenarios[0] === 'layer.weight[0]'")
    params = state(page)["params"]
    assert params["lr"] == 0.01 and params["iterations"] == 40 and params["optimizer"] == "adam"
    assert note.inner_text().startswith("Faded curves show what the recorded run had on its cards")
    assert_replays(page, "layer.weight[5]", arrays["g0_g"][:, 1].astype(float))

    values = [0.5, -0.25, 0.125] * 7
    text = "gradient\n" + "\n".join(map(str, values)) + "\n"
    outlined = page.evaluate(
        """(text) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], "log.csv", { type: "text/csv" }));
            const root = document.querySelector(".adamviz");
            root.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            const outlined = root.classList.contains("av-drop");
            root.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            return [outlined, root.classList.contains("av-drop")];
        }""",
        text,
    )
    assert outlined == [True, False]  # outlined while the file is over it, not after the drop
    page.wait_for_function("window.adamviz.state().scenarios[0] === 'log[0]'")
    assert state(page)["params"]["iterations"] == 21
    assert_replays(page, "log[0]", np.array(values))
    assert page.evaluate("window.adamviz.recorded('log[0]').m_hat") is None


def test_downloads_csv_equal_to_adamviz_sim_and_a_png(page, static_url):
    open_explorer(page, static_url)
    set_params(page, compare=["sgd"], iterations=50, beta1=0.8)
    with page.expect_download() as download:
        open_more(page)
        page.locator(".av-csv button").click()
    assert download.value.suggested_filename == "adamviz-cards.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    params = state(page)["params"]
    assert len(rows) == 3 * 2 * 50
    for scenario in ("consistent", "noisy", "reversal"):
        for optimizer in ("adam", "sgd"):
            table = [r for r in rows if r["scenario"] == scenario and r["optimizer"] == optimizer]
            assert [int(r["t"]) for r in table] == list(range(1, 51))
            column = {
                key: np.array([float(r[key]) for r in table])
                for key in table[0]
                if key not in ("scenario", "optimizer")
            }
            np.testing.assert_array_equal(column["g"], page_gradients(scenario, params))
            assert_trace_matches(
                column, column["g"], what=scenario, keys=CSV_KEYS, **step_settings(params, optimizer)
            )

    with page.expect_download() as download:
        page.evaluate("window.adamviz.download('png')")
    from PIL import Image

    picture = Image.open(download.value.path())
    width = page.locator(".av-cards").bounding_box()["width"]
    assert abs(picture.width - width) <= 40  # the three cards' figures side by side, at device pixel ratio 1
    colours = picture.convert("RGB").getcolors(maxcolors=1_000_000)
    assert len(colours) > 50  # lines, dots and text, not a blank canvas
    message = page.evaluate("window.adamviz.download('gif').then(() => null, (e) => e.message)")
    assert message == 'download must be one of "csv", "png"; got "gif"'


def test_the_mlp_scenario_is_a_card_among_the_streams(page, tmp_path):
    out = write_export(
        tmp_path / "mlp.html", ExplorerSettings(scenarios=["consistent", "mlp"], iterations=1000)
    )
    open_explorer(page, out.as_uri(), "?iterations=3000")  # longer than recorded: cut to it, and said
    assert state(page)["scenarios"] == ["consistent", "mlp"]
    assert state(page)["params"]["iterations"] == 1000
    assert (
        "iterations must be at most 1000, the steps recorded for these cards"
        in page.locator(".av-error").inner_text()
    )
    assert page.locator(".av-card-title").all_inner_texts()[:2] == [
        "Steady gradients",
        "A real network's weight",
    ]
    first = load(on_board_path()).groups[0].coordinates[0]
    assert_replays(page, "mlp", first.g)
    # the card's words, on the page's own numbers
    got = page_trace(page, "mlp")
    g = got["g"]
    assert 0.4 <= np.mean(np.sign(g[1:]) != np.sign(g[:-1])) < 0.5
    assert np.mean(np.abs(got["scale"][-500:])) < 0.2
    assert state(page)["params"]["optimizer"] == "adam"


def test_served_with_a_trace(page, tmp_path):
    np.save(tmp_path / "log.npy", np.linspace(-1, 1, 30))
    port = free_port()
    server = start_server(
        [shutil.which("adamviz"), "serve", "--port", str(port), "--trace", str(tmp_path / "log.npy")], port
    )
    url = next(server)
    try:
        open_explorer(page, url)
        assert state(page)["scenarios"] == ["log[0]"]
        assert_replays(page, "log[0]", np.linspace(-1, 1, 30))
    finally:
        server.close()


def test_the_many_parameters_view_draws_the_recorded_band(page, trace_url):
    """The r_t percentile band of the group the cards show, over the synthetic population's."""
    group = load(on_board_path()).groups[0]
    open_explorer(page, trace_url)
    set_params(page, view="population", n_params=100, iteration=600)
    drawn = page.evaluate(
        """() => {
            const m = window.AdamViz.instances[0].models.population;
            return {ys: m.bands.data.ys.map((y) => Array.from(y)), medians: m.medians.data.ys.map((y) => Array.from(y)),
                    xs: m.medians.data.xs.map((x) => Array.from(x)), floor: m.y_range.start};
        }"""
    )
    assert len(drawn["medians"]) == 2  # the population's adam, then the run's own
    x = np.array(drawn["xs"][1], dtype=int)
    assert x[0] == 0 and x[-1] == 600
    np.testing.assert_array_equal(drawn["medians"][1], np.maximum(group.percentiles[x, 1], drawn["floor"]))
    readout = page.locator(".av-population-readout").inner_text()
    p50 = group.percentiles[600, 1]
    assert "0.weight (recorded)" in readout and f"p50 {p50:.3g}"[:8] in readout


def test_a_recorded_schedule_is_replayed_with_its_own_learning_rates(page, tmp_path):
    """A trace that recorded a scheduler's lr_t (and its group's own settings): the page replays each
    coordinate with those rates — as adamviz.record.replay does, within the derived bounds — scaled by
    η over the run's η when η moves; the cards draw lr_t/η and say lr_t."""
    from adamviz.record import replay as replayed

    from error_bounds import U, trajectory_bounds
    from hostile_traces import SETTINGS

    records = 40
    arrays = valid_arrays(records=records, groups=[{"name": "w", "shape": [3, 4], "settings": SETTINGS}])
    rates = 0.01 * np.minimum(1.0, np.arange(1, records + 1) / 10)  # a 10-step warmup
    arrays.update(g0_lr=rates, g0_weight_decay=np.zeros(records))
    path = tmp_path / "scheduled.npz"
    path.write_bytes(trace_bytes(arrays))
    run = load(path)
    out = write_export(tmp_path / "scheduled.html", ExplorerSettings(trace=str(path)))
    open_explorer(page, out.as_uri())
    for lr in (0.01, 0.03):  # the run's own η, then three times it: every lr_t scaled with it
        set_params(page, lr=lr)
        for coordinate in run.groups[0].coordinates:
            name = f"w[{coordinate.index}]"
            got = page_trace(page, name)
            want = replayed(run, "w", coordinate.index, lr=rates * (lr / 0.01))
            # each side rounds η/η_run and its product with lr_t its own way: ≤ 2U each, 4U apart
            scaled = rates * (lr / 0.01)
            bounds = trajectory_bounds(coordinate.g, want.theta, power_ulps=1, rates=scaled, rate_rtol=4 * U)
            for key in ("m_hat", "sqrt_v_hat", "scale", "step", "theta"):
                assert_within(got[key], getattr(want, key), bounds[key][:, 0], what=f"{name} {key} at η {lr}")
    set_params(page, iteration=5)
    assert "lr_t = 0.0180" in page.locator(".av-readout").first.inner_text()  # 3 × 0.01 × 6/10
    assert page.locator(".av-key-rate").count() == len(run.groups[0].coordinates)
