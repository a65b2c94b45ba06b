"""assets/state.js alone in Node: the page's state — settings, validation, presets, the iteration and
the events views hear — with no DOM and no Bokeh (tests/js/state_cli.mjs runs a script of calls)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_engine_node import run_node

from adamviz.app.figures import build_explorer
from adamviz.app.settings import ExplorerSettings, checked_settings
from adamviz.sim import PROBLEMS, stream

from error_bounds import assert_trace_matches

STATE_CLI = Path(__file__).parent / "js" / "state_cli.mjs"


def run_state(calls: list, tmp_path: Path, **settings) -> list[dict]:
    """The results of ``calls`` ([method, *args] each) on a fresh state opened on ``settings`` (at
    iteration 0 unless they say otherwise: the counts below start there)."""
    config = build_explorer(ExplorerSettings(**{"iteration": 0, **settings})).config  # a page's payload
    script = {"config": config, "calls": [["apply", config["initial"]], *calls]}
    return run_node(STATE_CLI, script, tmp_path)[1:]  # the first call opens it


def test_a_change_is_checked_applied_and_announced_in_order(tmp_path):
    refused, accepted, trace = run_state(
        [["update", {"beta1": 1.5, "lr": 0.05}], ["update", {"beta1": 0.99}], ["trace", "noisy"]], tmp_path
    )
    assert refused["error"] == "beta1 must be a number in [0, 0.9999]; got 1.5"
    assert refused["events"] == ["message:1", "refused"]
    assert refused["snapshot"]["params"]["lr"] == 0.01  # nothing changed, the valid lr neither
    assert accepted["returned"] is True
    assert accepted["events"] == ["message:0", "layout", "computed", "settings", "frame", "report"]
    params = accepted["snapshot"]["params"]
    g = stream("noisy", params["iterations"], params["seed"])
    got = {key: np.array(values) for key, values in trace["returned"].items()}
    np.testing.assert_array_equal(got["g"], g)
    assert_trace_matches(got, g, beta1=0.99)


def test_an_unchanged_setting_draws_nothing(tmp_path):
    [again] = run_state([["update", {"beta1": 0.9}]], tmp_path)
    assert again["returned"] is False and again["events"] == ["message:0"]


def test_a_preset_resets_what_presets_reset_and_keeps_the_rest(tmp_path):
    _, preset = run_state(
        [
            ["update", {"seed": 7, "lr": 0.05, "window": 0, "controls": ["transport"]}],
            ["preset", "sign-descent"],
        ],
        tmp_path,
    )
    params = preset["snapshot"]["params"]
    assert (params["beta1"], params["beta2"]) == (0.0, 0.0)
    assert params["lr"] == 0.01  # reset to its default
    assert (params["seed"], params["window"], params["controls"]) == (7, 0, ["transport"])  # kept
    [unknown] = run_state([["preset", "lion"]], tmp_path)
    assert unknown["error"].startswith("preset must be one of sign-descent, ") and unknown["error"].endswith(
        'got "lion"'
    )


def test_playing_to_the_end_pauses_there(tmp_path):
    play, forward, at_end = run_state([["play"], ["advance", 5], ["advance", 500]], tmp_path)
    assert play["events"] == ["playing"] and play["snapshot"]["playing"]
    assert forward["returned"] is True and forward["snapshot"]["iteration"] == 5
    assert at_end["returned"] is False and at_end["snapshot"]["iteration"] == 199
    assert not at_end["snapshot"]["playing"] and at_end["events"][-3:] == ["glide", "settled", "report"]


def test_a_step_refuses_what_is_not_a_number(tmp_path):
    back, bad = run_state([["step", -3], ["step", "ten"]], tmp_path, iteration=10)
    assert back["snapshot"]["iteration"] == 7
    assert bad["error"] == 'step must be a finite number of iterations (negative steps back); got "ten"'
    assert bad["snapshot"]["iteration"] == 7


def test_a_new_problem_starts_from_its_own_start(tmp_path):
    rosenbrock, chosen = run_state(
        [
            ["update", {"view": "valley", "problem": "rosenbrock"}],
            ["update", {"problem": "valley", "start_x": 1}],
        ],
        tmp_path,
    )
    params = rosenbrock["snapshot"]["params"]
    assert [params["start_x"], params["start_y"]] == list(PROBLEMS["rosenbrock"].start)
    assert rosenbrock["snapshot"]["scenarios"] == ["consistent", "noisy", "reversal"]
    assert chosen["snapshot"]["params"]["start_x"] == 1  # the same change set one
    [bowl] = run_state(
        [["update", {"view": "valley", "start_y": 3, "problem": "bowl", "start_x": 0.5}]], tmp_path
    )
    assert (bowl["snapshot"]["params"]["start_x"], bowl["snapshot"]["params"]["start_y"]) == (0.5, 3)
    [bowl] = run_state(
        [["update", {"view": "valley", "start_y": 3}], ["update", {"problem": "bowl"}]], tmp_path
    )[1:]
    python = checked_settings(start_y=3, problem="bowl")  # the rule is Python's: y = 0 for the 1-D bowl
    assert (bowl["snapshot"]["params"]["start_x"], bowl["snapshot"]["params"]["start_y"]) == (
        python.start_x,
        python.start_y,
    )
