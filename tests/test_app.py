"""The Panel side without a browser: per-instance models, notebook display, settings checks."""

from __future__ import annotations

import subprocess
import sys

import panel as pn
import pytest

from adamviz.app.explorer import AdamExplorer
from adamviz.app.figures import build_explorer
from adamviz.app.settings import ExplorerSettings, browser_spec, checked_settings


def model_ids(explorer: AdamExplorer) -> set[str]:
    return {model.id for model in explorer._models.layout.references()}


def test_two_explorers_share_no_model():
    first, second = AdamExplorer(), AdamExplorer(seed=4)
    assert first.instance_id != second.instance_id
    assert model_ids(first).isdisjoint(model_ids(second))
    assert (first.settings.seed, second.settings.seed) == (0, 4)


def test_only_the_settings_report_syncs_to_a_server():
    built = build_explorer()
    syncing = [model for model in built.layout.references() if model.syncable]
    assert syncing == [built.report]


def test_notebook_display():
    pn.extension()
    bundle, _ = AdamExplorer(beta1=0.99)._repr_mimebundle_()
    assert "text/html" in bundle and "application/vnd.holoviews_exec.v0+json" in bundle


def test_current_settings_follow_the_page_report():
    explorer = AdamExplorer(scenarios=["noisy"], theme="dark")
    assert explorer.current_settings() is explorer.settings
    report = {
        **{"lr": 0.05, "beta1": 0.99, "beta2": 0.9, "eps": 1e-6, "iterations": 300, "seed": 7},
        **{"bias_correction": False, "speed": 30, "window": 0, "iteration": 42, "optimizer": "adamw"},
        **{"compare": ["sgd", "rmsprop"], "weight_decay": 0.25, "momentum": 0.5, "grad_scale": -3},
    }
    explorer._models.report.update(**report, reported=True)
    current = explorer.current_settings()
    assert (current.beta1, current.seed, current.iteration, current.bias_correction) == (0.99, 7, 42, False)
    assert (
        current.optimizer,
        current.compare,
        current.weight_decay,
        current.momentum,
        current.grad_scale,
    ) == (
        "adamw",
        ["sgd", "rmsprop"],
        0.25,
        0.5,
        -3,
    )
    assert current.scenarios == ["noisy"] and current.theme == "dark"
    page = explorer.export_file().getvalue().decode()
    assert page.startswith("<!DOCTYPE html>") and len(page) > 1_000_000  # inline BokehJS: works offline
    explorer._models.report.beta1 = 1.5
    with pytest.raises(ValueError, match=r"beta1 must be a number in \[0, 0.9999\]; got 1.5"):
        explorer.current_settings()


def test_browser_spec_matches_the_settings_bounds():
    spec = browser_spec()
    assert spec["beta1"] == {
        "kind": "number",
        "min": 0.0,
        "max": 0.9999,
        "integer": False,
        "default": 0.9,
        "label": "β₁ (memory of m̂)",
        "transform": "window",
        "step": 0.01,
        "recomputes": "optimizer",
        "preset": "reset",
        "cli": "--beta1",
    }
    assert spec["iterations"] | {"label": None} == {
        "kind": "number",
        "min": 10,
        "max": 10_000,
        "integer": True,
        "default": 200,
        "label": None,
        "transform": "log10int",
        "step": 0.01,
        "recomputes": "gradients",
        "preset": "reset",
        "cli": "--iterations",
    }
    assert spec["bias_correction"] == {
        "kind": "bool",
        "default": True,
        "label": "Bias correction (÷ 1 − βᵗ)",
        "recomputes": "optimizer",
        "preset": "reset",
        "cli": "--no-bias-correction",
    }
    for name, entry in spec.items():  # every setting is labelled, and its default is a value it accepts
        assert entry["label"], name
        checked_settings(**{name: entry["default"]})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lr": 0.0}, "lr must be a number in [0.0001, 1]; got 0.0"),
        ({"seed": -1}, "seed must be an integer in [0, 4294967295]; got -1"),
        ({"iterations": 20, "iteration": 20}, "iteration must be an integer in [0, 19]; got 20"),
        (
            {"scenarios": ["wavy"]},
            "scenarios must be among consistent, noisy, reversal, sparse, shrinking, bowl, mlp, transformer; got wavy",
        ),
    ],
)
def test_checked_settings_name_the_value_and_range(values, message):
    with pytest.raises(ValueError) as error:
        checked_settings(**values)
    assert str(error.value) == message


def test_importing_the_served_module_has_no_side_effects():
    code = "import adamviz.app.main, panel as pn; print(len(pn.state.cache), pn.state.curdoc is None)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "True"]


def test_settings_defaults_are_the_documented_ones():
    s = ExplorerSettings()
    assert (s.lr, s.beta1, s.beta2, s.eps, s.iterations, s.seed, s.window) == (
        0.01,
        0.9,
        0.999,
        1e-8,
        200,
        0,
        40,
    )


def test_notebook_keywords_take_the_new_settings():
    explorer = AdamExplorer(optimizer="rmsprop", compare=["adam", "sgd"], grad_scale=2, weight_decay=0.1)
    s = explorer.settings
    assert (s.optimizer, s.compare, s.grad_scale, s.weight_decay) == ("rmsprop", ["adam", "sgd"], 2, 0.1)
    with pytest.raises(ValueError, match="lion"):
        AdamExplorer(compare=["lion"])
    with pytest.raises(ValueError, match="grad_scale"):
        AdamExplorer(grad_scale=9)


def test_the_page_payload_is_the_declared_config():
    """What Python hands the page is what contract.js declares as Config (the modules are type-checked
    against it): the same keys, every one."""
    from bokeh.models import CustomJS

    from adamviz.app.contract import CONFIG

    built = build_explorer(ExplorerSettings(trace="mlp"))
    [boot] = [m for m in built.layout.references() if isinstance(m, CustomJS) and "adamviz-mount" in m.tags]
    assert boot.args["config"] is built.config
    assert set(built.config) == set(CONFIG)


def test_no_figure_selects_mutes_or_decimates():
    # the page leaves each glyph renderer's selected, unselected, muted and decimated copies of its
    # glyph idle (bokeh_internals.js leanGlyphs): right only while no figure has a tool (to
    # select with), a level-of-detail threshold (to decimate during interaction) or a muted renderer
    from bokeh.models import GlyphRenderer, Plot

    for view in ("cards", "population", "valley", "layers"):
        models = build_explorer(ExplorerSettings(view=view)).layout.references()
        plots = [m for m in models if isinstance(m, Plot)]
        assert len(plots) >= 2
        for plot in plots:
            assert plot.toolbar.tools == [] and plot.lod_threshold is None, plot
        assert not any(m.muted for m in models if isinstance(m, GlyphRenderer))
