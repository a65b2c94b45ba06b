"""The README and docs/ are a promise: every command and code block in them runs here.

- ``python`` blocks run, each in a fresh interpreter, in one scratch folder per page, in the page's order
  (a later command may read what an earlier block wrote);
- ``bash`` blocks run command by command in that folder and must exit 0. Four kinds are run the way
  they can be in a test: `pip install` is what tests/run.sh has just done (and `bash tests/run.sh` is
  the very command running this test); `adamviz serve` / `panel serve` start on a free port and must
  answer; a benchmark or load command (hours of a loaded machine, not CI's) must parse its flags;
- ``html`` blocks (prose around an embed) go into a page with an exported snippet in Chromium: every
  link that drives the explorer is clicked, and every live number must show one.
``text`` blocks are pictures (a module map), and ``markdown`` blocks are tested by building a site
with them (tests/test_site_recipes.py). The generated reference (docs/settings.md, the keys in
docs/lecture.md) must be what adamviz.app.reference makes.
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adamviz.app.reference import keys_markdown, settings_markdown, with_keys

from browser_helpers import open_explorer
from conftest import free_port, start_server

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)(`{3,})(\w*)\s*$")
BENCHMARKS = {"tests/benchmark.py": "benchmark", "tests/load.py": "load"}


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """The fenced code blocks of a Markdown file: (language, code, line), nested fences kept inside."""
    found, open_fence = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if open_fence is None and match:
            open_fence = (match.group(1), match.group(2), match.group(3), number, [])
        elif open_fence is not None and match and match.group(2) == open_fence[1] and not match.group(3):
            indent, _, language, start, body = open_fence
            found.append((language, "\n".join(b[len(indent) :] for b in body), start))
            open_fence = None
        elif open_fence is not None:
            open_fence[4].append(line)
    assert open_fence is None, f"{path.name}: a code block opened at line {open_fence[3]} never closes"
    return found


def page_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first = blocks(ROOT / "README.md")[0]
    assert first[1].splitlines() == ["pip install -e . && adamviz serve --show", "bash tests/run.sh"]
    for link in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (ROOT / link).exists(), link


def test_every_block_has_a_known_kind():
    for path in PAGES:
        for language, _, line in blocks(path):
            assert language in {"python", "bash", "html", "text", "markdown"}, (
                f"{page_id(path)}:{line} {language!r}"
            )


def test_the_reference_is_made_from_the_tables():
    fix = "run `python -m adamviz.app.reference`"
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings_markdown(), fix
    lecture = (ROOT / "docs" / "lecture.md").read_text(encoding="utf-8")
    assert keys_markdown() in lecture and with_keys(lecture) == lecture, fix


def run_command(command: str, folder: Path, where: str) -> None:
    words = shlex.split(command)
    if words[:2] == ["pip", "install"] or words == ["bash", "tests/run.sh"]:
        return  # what tests/run.sh did before running this test, and that command itself
    if len(words) > 1 and words[0] == "python" and words[1] in BENCHMARKS:
        module = importlib.import_module(BENCHMARKS[words[1]])  # tests/ is on the path, as for conftest
        module.build_parser().parse_args(words[2:])  # exits 2 on a flag it does not know
        return
    if words[:2] in (["adamviz", "serve"], ["panel", "serve"]):
        port = free_port()
        program = [shutil.which(words[0]) or words[0], *[w for w in words[1:] if w != "--show"]]
        for _ in start_server([*program, "--port", str(port)], port):
            pass  # it answered; start_server stops it
        return
    done = subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{where}: `{command}` exited {done.returncode}: {done.stderr[-2000:]}"


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_command_and_python_block_runs(path, tmp_path):
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # commands name tests/... as from the checkout
    for language, code, line in blocks(path):
        where = f"{page_id(path)}:{line}"
        if language == "python":
            script = tmp_path / f"block_{line}.py"
            script.write_text(code, encoding="utf-8")
            done = subprocess.run(
                [sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, f"{where}: {done.stderr[-3000:]}"
        elif language == "bash":
            for command in code.replace("\\\n", " ").splitlines():
                command = command.split("  #")[0].strip()
                if command and not command.startswith("#"):
                    for part in command.split(" && "):
                        run_command(part, tmp_path, where)


@pytest.mark.browser
def test_every_html_block_drives_an_explorer(page, tmp_path):
    snippet = tmp_path / "snippet.html"
    run_command(f"adamviz export {snippet} --snippet", tmp_path, "test")
    html_blocks = [
        (path, code, line) for path in PAGES for language, code, line in blocks(path) if language == "html"
    ]
    assert html_blocks
    for path, code, line in html_blocks:
        errors: list[str] = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        post = tmp_path / f"post_{line}.html"
        post.write_text(
            f"<!DOCTYPE html><html><body>{code}{snippet.read_text()}</body></html>", encoding="utf-8"
        )
        open_explorer(page, post.as_uri())
        for link in page.locator("[data-adamviz-set], [data-adamviz-preset], [data-adamviz-step]").all():
            link.click()
        page.wait_for_timeout(500)
        page.evaluate("window.adamviz.pause()")
        shown = page.locator("[data-adamviz-show]").all_inner_texts()
        assert shown and all(text not in ("", "?") for text in shown), f"{page_id(path)}:{line} {shown}"
        assert errors == [], f"{page_id(path)}:{line} {errors}"


def test_the_performance_table_is_written_by_the_benchmark():
    """docs/performance.md's last table is what `tests/benchmark.py --docs` wrote: its command, the
    machine, then one row per figure with its target — not typed by hand."""
    from benchmark import DOCS_BEGIN, DOCS_END

    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    block = text[text.index(DOCS_BEGIN) + len(DOCS_BEGIN) : text.index(DOCS_END)]
    assert re.match(
        r"\n`python tests/benchmark\.py [a-z -]*--docs` wrote this table \(\d{4}-\d\d-\d\d \d\d:\d\d\):",
        block,
    )
    assert "Measured on " in block and "| figure | measured | target |" in block
    rows = [line for line in block.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) >= 5 and all(line.count(" | ") == 2 for line in rows)
