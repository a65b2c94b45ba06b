"""The Layers view in Chromium (issue 26): a loaded run's every group, in the model's order, as a map of
r_t's p50 that says on screen what summary() says of the run; the pointer reads a row's numbers off the
file; a click opens that group's cards at the same iteration; a file loaded in this view stays in it;
a page with no run says how to get one."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_layers import layered_arrays

from adamviz.app.export import write_export
from adamviz.app.settings import ExplorerSettings
from adamviz.app.traces import on_board_path
from adamviz.record import load, summary

from browser_helpers import open_explorer, set_params, state
from hostile_traces import trace_bytes

pytestmark = pytest.mark.browser

THREE_DIGITS = 5e-3
"""fmt() writes 3 significant digits: |x − shown| ≤ ½ · 10^(e−2) ≤ 5·10⁻³ |x|."""


@pytest.fixture(scope="module")
def layers_url(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("layers") / "layers.html"
    return write_export(out, ExplorerSettings(trace="transformer", view="layers")).as_uri()


def layers(page, expression: str):
    """`expression` evaluated with `view` bound to the first explorer's Layers view."""
    return page.evaluate(f"() => {{ const view = window.AdamViz.instances[0].layers; return {expression}; }}")


def map_box(page) -> dict:
    """Where the map's data area lies on the page (CSS pixels)."""
    return layers(
        page,
        "(() => { const v = window.AdamViz.bokeh.viewOf(view.models.heat_plot); const r = v.el.getBoundingClientRect();"
        " const f = v.frame.bbox; return {left: r.left + f.left, top: r.top + f.top, width: f.width, height: f.height}; })()",
    )


def point_at(page, row: int, fraction: float) -> tuple[float, float]:
    """The screen point over group `row`, `fraction` of the way along the steps; the mouse moved there."""
    box = map_box(page)
    groups = layers(page, "view.rows.length")
    x, y = box["left"] + box["width"] * fraction, box["top"] + box["height"] * (row + 0.5) / groups
    page.mouse.move(x, y)
    return x, y


def test_every_group_is_a_row_in_the_models_order_and_the_findings_are_summarys(page, layers_url):
    open_explorer(page, layers_url)
    run = load(on_board_path("transformer"))
    rows = summary(run)
    labels = layers(page, "[...view.models.group_axis.major_label_overrides.entries()]")
    assert [k for k, _ in labels] == list(range(len(rows)))
    names = [row.name for row in rows]
    assert [label.removesuffix(" ·frozen") for _, label in labels] == names
    assert names[:2] == ["tok_emb.weight", "pos_emb.weight"] and names[-2:] == ["ln_f.bias", "head.weight"]
    assert layers(page, "view.models.heat.data.dh[0]") == len(rows)
    findings = page.locator(".av-layers-findings .av-slot").inner_text()
    smallest = sorted(rows, key=lambda row: row.recent[1])[:3]
    largest = sorted(rows, key=lambda row: row.recent[1])[-3:][::-1]
    said = re.search(r"Smallest r_t p50 over the last 10%: (.*?); largest: (.*?\))\.", findings)
    assert [part.split(" (")[0] for part in said.group(1).split(", ")] == [row.name for row in smallest]
    assert [part.split(" (")[0] for part in said.group(2).split(", ")] == [row.name for row in largest]
    assert not any(row.frozen for row in rows)
    assert "No group is frozen by the denominator" in findings
    assert (
        f"{len(rows)} groups, {len(run.groups[0].steps)} records from step 1 to {run.groups[0].steps[-1]}"
        in findings
    )


def test_the_pointer_reads_a_rows_numbers_off_the_file_and_a_click_opens_its_cards(page, layers_url):
    open_explorer(page, layers_url)
    set_params(page, iteration=37)
    run = load(on_board_path("transformer"))
    row = 5
    x, y = point_at(page, row, 0.6)
    readout = page.locator(".av-layers .av-readout-box .av-slot").inner_text()
    group = run.groups[row]
    said = re.match(
        rf"{re.escape(group.name)} \((\d+)×(\d+)\) at step (\d+): r_t p10 (\S+) · p50 (\S+) · p90 (\S+)",
        readout,
    )
    assert said, readout
    assert tuple(int(n) for n in said.groups()[:2]) == group.shape
    record = int(np.flatnonzero(group.steps == int(said.group(3)))[0])
    assert abs(record - 0.6 * len(group.steps)) <= 1  # the step under the pointer
    np.testing.assert_allclose(
        [float(v) for v in said.groups()[3:]], group.percentiles[record], rtol=THREE_DIGITS
    )
    band = layers(page, "view.models.band_median.data.y")
    np.testing.assert_array_equal(band, np.maximum(group.percentiles[:, 1], min(band)))  # its band shows
    page.mouse.click(x, y)
    page.wait_for_function("window.adamviz.state().params.view === 'cards'")
    now = state(page)
    assert now["iteration"] == 37
    assert (
        now["scenarios"] == [f"{group.name}[{c.index}]" for c in group.coordinates][: len(now["scenarios"])]
    )


def test_a_run_loaded_in_the_view_is_drawn_there_with_its_frozen_groups(page, layers_url):
    open_explorer(page, layers_url)
    data = trace_bytes(layered_arrays([1e-4, 0.05, 0.3], 40))
    page.evaluate("(bytes) => window.adamviz.load({name: 'frozen.npz', bytes})", list(data))
    page.wait_for_function("window.AdamViz.instances[0].layers.rows.length === 3")
    assert state(page)["params"]["view"] == "layers"
    labels = dict(layers(page, "[...view.models.group_axis.major_label_overrides.entries()]"))
    assert labels == {0: "layer0.weight ·frozen", 1: "layer1.weight", 2: "layer2.weight"}
    findings = page.locator(".av-layers-findings .av-slot").inner_text()
    assert "1 group(s): layer0.weight." in findings and "frozen.npz" in findings
    marks = layers(page, "view.models.marks.data")
    assert marks["y"] == [0] and marks["dash"] == [[5, 3]]  # the frozen row outlined, dashed


def test_with_no_run_the_view_says_how_to_load_one(page, tmp_path):
    url = write_export(tmp_path / "plain.html", ExplorerSettings(view="layers")).as_uri()
    open_explorer(page, url)
    assert "No training run is loaded" in page.locator(".av-layers-findings .av-slot").inner_text()
    set_params(page, view="cards", iteration=5)  # and the page lives on
    assert state(page)["iteration"] == 5


def test_a_run_recorded_every_twentieth_step_is_shown_not_replayed(page, layers_url):
    """The gradients between records are missing, so no replay is the run's: the cards draw what it
    recorded, whatever the controls, and say so."""
    open_explorer(page, layers_url)
    set_params(page, view="cards", iteration=50)
    run = load(on_board_path("transformer"))
    group = run.groups[0]
    name = state(page)["scenarios"][0]
    c = next(c for c in group.coordinates if name == f"{group.name}[{c.index}]")
    for changes in ({}, {"beta2": 0.9, "lr": 0.05}):
        set_params(page, **changes)
        got = page.evaluate("(n) => window.adamviz.trace(n)", name)
        np.testing.assert_array_equal(got["step"], c.step[: len(got["step"])])
        np.testing.assert_array_equal(got["m_hat"], c.m_hat[: len(got["m_hat"])])
    words = page.evaluate("(n) => window.AdamViz.instances[0].state.recordings.header(n)", name)
    assert "every 20th step" in words and "the controls do not move these" in words
    facts = page.locator(f'.av-readout[data-scenario="{name}"] .av-facts').first.inner_text()
    assert f"step = {js_fmt(c.step[50])}" in facts  # the recorded step, not step/η × the moved η
    assert "θ" not in facts  # no record holds θ


def js_fmt(x: float) -> str:
    """assets/format.js's fmt(x) for |x| < 1: 3 significant digits, exponent form under 1e-3."""
    x = float(x)
    assert abs(x) < 1
    if x == 0:
        return "0"
    if abs(x) < 1e-3:
        mantissa, exponent = f"{x:.2e}".split("e")
        return f"{mantissa}e{int(exponent)}"  # JavaScript's toExponential: no padded exponent
    return f"{x:.3g}"
