"""The README's recipes for the tools bloggers write in: a tiny site built with each, an explorer
snippet in a Markdown page, opened in Chromium with the network cut off — the explorer is live and
the prose around it reads it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adamviz.app.cli import main

from browser_helpers import block_network

pytestmark = pytest.mark.browser

PROSE = 'The signs cancel in m̂: the scale is <b data-adamviz-show="scale"></b>.'


@pytest.fixture(scope="module")
def snippet(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("snippet") / "snippet.html"
    flags = ["--snippet", "--scenarios", "noisy", "--controls", "beta1,beta2", "--no-header"]
    assert main(["export", str(path), *flags]) == 0
    return path.read_text()


def build(command: list[str], folder: Path) -> None:
    done = subprocess.run([sys.executable, "-m", *command], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def mkdocs_site(folder: Path, snippet: str) -> Path:
    """MkDocs (Material): paste the snippet into the Markdown as it is — raw HTML passes through."""
    (folder / "docs").mkdir()
    (folder / "mkdocs.yml").write_text("site_name: A post\ntheme:\n  name: material\n  font: false\n")
    (folder / "docs" / "index.md").write_text(f"# Why Adam ignores noise\n\n{PROSE}\n\n{snippet}\n\nAfter.\n")
    build(["mkdocs", "build", "-q", "-d", "site"], folder)
    return folder / "site" / "index.html"


def sphinx_myst_site(folder: Path, snippet: str) -> Path:
    """Sphinx with MyST Markdown (what Jupyter Book 1 builds on): the snippet in a {raw} html block."""
    (folder / "conf.py").write_text('extensions = ["myst_parser"]\nproject = "post"\n')
    (folder / "index.md").write_text(
        f"# Why Adam ignores noise\n\n{PROSE}\n\n```{{raw}} html\n{snippet}\n```\n\nAfter.\n"
    )
    build(["sphinx", "-q", "-b", "html", ".", "_build"], folder)
    return folder / "_build" / "index.html"


def plain_html(folder: Path, snippet: str) -> Path:
    page = folder / "post.html"
    page.write_text(
        f"<!DOCTYPE html><html><body><h1>Why Adam ignores noise</h1><p>{PROSE}</p>{snippet}</body></html>"
    )
    return page


@pytest.mark.parametrize("recipe", [mkdocs_site, sphinx_myst_site, plain_html], ids=lambda r: r.__name__)
def test_the_recipe_builds_a_live_offline_page(page, tmp_path, snippet, recipe, screenshots):
    built = recipe(tmp_path, snippet)
    requests = block_network(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(built.as_uri())
    page.wait_for_function("window.adamviz !== undefined && window.adamviz.state().scenarios.length > 0")
    page.evaluate("window.adamviz.set({beta1: 0.99, iteration: 50})")
    page.wait_for_function("document.querySelector('b[data-adamviz-show]').textContent !== ''")
    assert page.evaluate("window.adamviz.state().params.beta1") == 0.99
    assert page.locator(".noUi-handle:visible").count() == 2
    page.screenshot(path=screenshots / f"recipe-{recipe.__name__}.png", full_page=True)
    assert requests == [] and errors == []


def test_a_notebook_rendered_to_static_html_stays_live(page, tmp_path):
    """`AdamExplorer(...)` in a notebook, executed and rendered by nbconvert: the explorer's controls
    work in the HTML file with no kernel and no network (pn.extension(inline=True) inlines the JS)."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import panel as pn\npn.extension(inline=True)"),
        nbformat.v4.new_code_cell(
            "from adamviz.app.explorer import AdamExplorer\nAdamExplorer(beta1=0.99, scenarios=['noisy'])"
        ),
    ]
    nbformat.write(notebook, tmp_path / "adam.ipynb")
    build(
        ["jupyter", "nbconvert", "--to", "html", "--execute", "adam.ipynb", "--output", "adam.html"], tmp_path
    )
    requests = block_network(page)
    page.goto((tmp_path / "adam.html").as_uri())
    page.wait_for_function("window.adamviz !== undefined && window.adamviz.state().scenarios.length > 0")
    assert page.evaluate("window.adamviz.state().params.beta1") == 0.99
    handle = page.locator(".av-beta2 .noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.adamviz.state().params.beta2 < 0.999")
    # the only requests are nbconvert's own page furniture (require.js, MathJax), not the explorer's
    assert all("cdnjs.cloudflare.com" in url for url in requests), requests
