"""Hostile input, generated: hypothesis drives the page's set(), step() and URL parameters and the CLI's
flags with arbitrary JSON values and strings. Invariants: the page never shows NaN or `undefined`, never
throws an uncaught error, keeps state() unchanged after a rejection, and every rejection names the
setting and the value; the CLI never prints a traceback (exit 0 or 2, one line on stderr).

A bounded, fixed set of examples runs in CI (the `ci` profile draws the same ones every run);
``HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py`` draws 25 times as many, at random.
"""

from __future__ import annotations

import math
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adamviz.app.cli import main
from adamviz.app.settings import BROWSER_SETTINGS

from browser_helpers import open_explorer, state
from conftest import LONG_FUZZ

SCALE = 25 if LONG_FUZZ else 1

PAGE_EXAMPLES = settings(
    max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

NAMES = st.sampled_from(
    [*BROWSER_SETTINGS, "iteration", "toString", "constructor", "__proto__", "valueOf"]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["0x10", "1e400", "-0", " 3 ", "adam", "sgd,momentum", "sgd,sgd", "<script>x</script>"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
    max_leaves=4,
)

CALL = """async ([kind, arg]) => {
  const before = JSON.stringify(window.adamviz.state());
  try {
    if (kind === "set") await window.adamviz.set(arg);
    else if (kind === "step") window.adamviz.step(arg);
    else await window.adamviz.preset(arg);
    return {ok: true, before, after: JSON.stringify(window.adamviz.state())};
  } catch (error) {
    return {ok: false, message: String(error && error.message), before, after: JSON.stringify(window.adamviz.state())};
  }
}"""


def shown_text(page) -> str:
    return "\n".join(page.locator(".av-readout").all_inner_texts())


def assert_state_is_valid(current: dict) -> None:
    params = current["params"]
    assert isinstance(current["iteration"], int) and 0 <= current["iteration"] < params["iterations"]
    for name, value in params.items():
        if isinstance(value, float):
            assert math.isfinite(value), (name, value)


@pytest.fixture
def fuzz_page(page, static_url):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_explorer(page, static_url)
    page.fuzz_errors = errors
    return page


@PAGE_EXAMPLES
@given(changes=st.dictionaries(NAMES, VALUES, max_size=3) | VALUES)
def test_set_with_anything(fuzz_page, changes):
    page = fuzz_page
    result = page.evaluate(CALL, ["set", changes])
    if result["ok"]:
        assert_state_is_valid(state(page))
    else:
        assert result["after"] == result["before"]  # a rejection changes nothing
        message = result["message"]
        assert " must be " in message or message.startswith(("unknown setting", "set() takes")), message
        if isinstance(changes, dict) and changes:
            assert any(str(name) in message for name in changes) or "unknown setting" in message, message
    text = shown_text(page)
    assert "NaN" not in text and "undefined" not in text, text[:300]
    assert page.fuzz_errors == []


@PAGE_EXAMPLES
@given(kind=st.sampled_from(["step", "preset"]), arg=VALUES)
def test_step_and_preset_with_anything(fuzz_page, kind, arg):
    page = fuzz_page
    result = page.evaluate(CALL, [kind, arg])
    if result["ok"]:
        assert_state_is_valid(state(page))
    else:
        assert result["message"].startswith(f"{kind} must be"), result["message"]
        assert result["after"] == result["before"]
    text = shown_text(page)
    assert "NaN" not in text and "undefined" not in text, text[:300]
    assert page.fuzz_errors == []


@settings(max_examples=10 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(NAMES, SCALARS.map(str), max_size=4))
def test_url_parameters_with_anything(page, static_url, query):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_explorer(page, static_url, "?" + urllib.parse.urlencode(query))
    assert_state_is_valid(state(page))
    text = shown_text(page)
    assert "NaN" not in text and "undefined" not in text
    assert page.locator(".av-error script").count() == 0  # shown as text, never as markup
    assert errors == []


FLAGS = st.sampled_from(
    [
        "--seed",
        "--iterations",
        "--lr",
        "--beta1",
        "--beta2",
        "--eps",
        "--momentum",
        "--weight-decay",
        "--theta0",
        "--optimizer",
        "--stream",
        "--gradients",
        "--no-bias-correction",
        "--out",
    ]
)
WORDS = st.text(max_size=10) | st.sampled_from(
    ["-1e308", "nan", "inf", "1e-400", "0x10", "adam", "noisy", ","]
)


@settings(
    max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=st.lists(FLAGS | WORDS, max_size=6))
def test_the_cli_never_prints_a_traceback(tmp_path, monkeypatch, capsys, argv):
    monkeypatch.chdir(tmp_path)  # `--out NAME` writes here, `--gradients NAME` reads from here
    status = main(["simulate", *argv])
    _, err = capsys.readouterr()
    assert status in (0, 2), (argv, status)
    assert "Traceback" not in err
    assert status == 0 or err.count("\n") == 1, err
