"""The same mutated trace files (tests/trace_fuzz.py) through load(), the CLI and the page's reader: one
verdict for each, and a page written from an accepted one opens on it. A bounded run; ``python
tests/trace_fuzz.py --count 3000`` runs a long one."""

from __future__ import annotations

import pytest
from trace_fuzz import MUTATIONS, disagreements, mutants, node_verdicts, page_verdicts, python_verdict

from adamviz.app.cli import main
from adamviz.app.traces import trace_limits

from browser_helpers import open_explorer, state

FILES = mutants(seed=7, count=240)


def test_every_kind_of_mutation_is_in_the_run():
    assert {kind for _, kind, _ in FILES} == {*MUTATIONS, "npy"}


@pytest.fixture(scope="module")
def python(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    return [python_verdict(name, data, folder) for name, _, data in FILES]


def test_load_accepts_some_and_refuses_the_rest_in_one_line(python):
    accepted = sum(verdict["ok"] for verdict in python)
    assert 10 <= accepted <= len(FILES) - 100  # both kinds of verdict are exercised
    for (name, _, _), verdict in zip(FILES, python, strict=True):
        if not verdict["ok"]:
            message = verdict["message"]
            assert message[len(name) : len(name) + 1] in ": " and message.startswith(name), message
            assert "\n" not in message


def test_the_pages_reader_in_node_reads_1000_mutants_as_python_does(tmp_path):
    """The same reader without a browser, over more mutants (a chain of segments' among them)."""
    files = mutants(seed=11, count=1000)
    python = [python_verdict(name, data, tmp_path) for name, _, data in files]
    assert sum(verdict["ok"] for verdict in python) >= 100
    assert disagreements(files, python, node_verdicts(files, tmp_path)) == []


@pytest.mark.browser
def test_the_page_reads_every_mutant_as_python_does(page, static_url, python):
    open_explorer(page, static_url)
    page.evaluate("(limits) => { window.__limits = limits; }", trace_limits())
    assert disagreements(FILES, python, page_verdicts(page, FILES)) == []


def test_the_cli_refuses_with_one_line_and_never_a_traceback(tmp_path, capsys, python):
    # every refused mutant of the first 60, and no page written for it
    for (name, kind, data), verdict in list(zip(FILES, python, strict=True))[:60]:
        if verdict["ok"]:
            continue
        (tmp_path / name).write_bytes(data)
        out = tmp_path / "page.html"
        assert main(["export", str(out), "--trace", str(tmp_path / name)]) == 2, (name, kind)
        error = capsys.readouterr().err
        assert error == f"adamviz: error: {verdict['message']}\n", (name, kind)
        assert not out.exists()


@pytest.mark.browser
def test_a_page_written_from_an_accepted_mutant_opens_on_it(page, tmp_path, capsys, python):
    """export --trace never writes a page that refuses its own trace: three accepted mutants of three
    kinds, each exported and opened."""
    chosen, kinds = [], set()
    for (name, kind, data), verdict in zip(FILES, python, strict=True):
        if verdict["ok"] and kind not in kinds and len(verdict["g"][0][0]) >= 20:
            chosen.append((name, data, verdict))
            kinds.add(kind)
    assert len(chosen) >= 3
    for name, data, verdict in chosen[:3]:
        (tmp_path / name).write_bytes(data)
        out = tmp_path / f"{name}.html"
        assert main(["export", str(out), "--trace", str(tmp_path / name)]) == 0, capsys.readouterr().err
        open_explorer(page, out.as_uri())
        assert page.locator(".av-error").count() == 0 or page.locator(".av-error").inner_text() == ""
        shown = state(page)["scenarios"]
        group = "layer.weight[" if name.endswith(".npz") else f"{name[:-4]}["
        assert shown and all(scenario.startswith(group) for scenario in shown), (name, shown)
        first = shown[0]
        assert page.evaluate(f"window.adamviz.recorded({first!r}).g") == verdict["g"][0][0]
