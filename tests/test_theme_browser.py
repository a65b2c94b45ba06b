"""Dark mode, complete and following its host (issue "Made with care", deliverable 3): `--theme auto`
follows each host's own switch — MkDocs Material, Quarto, pydata-sphinx-theme, Furo, JupyterLab — and
`prefers-color-scheme`, repainting within a frame of the host's toggle; every widget follows too."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from adamviz.app.export import explorer_snippet
from adamviz.app.settings import ExplorerSettings

from browser_helpers import open_more

pytestmark = pytest.mark.browser

# (host, the element and how it says dark, how it says light)
HOSTS = {
    "mkdocs-material": (
        "document.body.setAttribute('data-md-color-scheme', 'slate')",
        "document.body.setAttribute('data-md-color-scheme', 'default')",
    ),
    "quarto": ("document.body.className = 'quarto-dark'", "document.body.className = 'quarto-light'"),
    "pydata-sphinx-theme": (
        "document.documentElement.dataset.theme = 'dark'",
        "document.documentElement.dataset.theme = 'light'",
    ),
    "furo": ("document.body.dataset.theme = 'dark'", "document.body.dataset.theme = 'light'"),
    "jupyterlab": (
        "document.body.dataset.jpThemeLight = 'false'",
        "document.body.dataset.jpThemeLight = 'true'",
    ),
}

LOOK = """() => { const e = window.AdamViz.instances[0]; const m = e.models;
  const find = (r) => { for (const el of r.querySelectorAll('*')) { if (el.classList.contains('bk-btn-default')) return el;
    if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; } } return null; };
  return {dark: m.root.css_classes.includes('av-theme-dark'), axis: m.cards[0].step_axis.axis_label_text_color,
          button: getComputedStyle(find(document)).backgroundColor}; }"""


@pytest.fixture(scope="module")
def host_page(tmp_path_factory) -> str:
    snippet = explorer_snippet(ExplorerSettings(theme="auto"), resources="inline")
    page = tmp_path_factory.mktemp("theme") / "host.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><main>{snippet}</main></body></html>"
    )
    return page.as_uri()


@pytest.mark.parametrize("host", list(HOSTS))
def test_auto_follows_the_host_switch_within_a_frame(page, host_page, host):
    dark, light = HOSTS[host]
    page.goto(host_page)
    page.wait_for_function("window.adamviz !== undefined")
    before = page.evaluate(LOOK)
    assert before["dark"] is False and before["button"] == "rgb(255, 255, 255)"
    # the switch flips, and after one animation frame the explorer is dark: classes, canvases, widgets
    after = page.evaluate(
        f"""() => new Promise((done) => {{ {dark};
            requestAnimationFrame(() => done(({LOOK})())); }})"""
    )
    assert after["dark"] is True and after["axis"] == "#c9d1d9" and after["button"] == "rgb(33, 38, 45)"
    back = page.evaluate(
        f"() => new Promise((done) => {{ {light}; requestAnimationFrame(() => done(({LOOK})())); }})"
    )
    assert back == before


def test_auto_follows_the_system_scheme(browser, host_page):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(host_page)
    page.wait_for_function("window.adamviz !== undefined")
    assert page.evaluate(LOOK)["dark"] is True
    page.emulate_media(color_scheme="light")
    page.wait_for_function("!window.AdamViz.instances[0].models.root.css_classes.includes('av-theme-dark')")
    context.close()


def test_a_dark_export_themes_every_widget(page, tmp_path):
    from adamviz.app.export import write_export

    url = write_export(tmp_path / "dark.html", ExplorerSettings(theme="dark")).as_uri()
    page.goto(url)
    page.wait_for_function("window.adamviz !== undefined")
    open_more(page)  # (the seed box and the menus live there)
    colours = page.evaluate(
        """() => { const out = {}; const walk = (r) => { for (const el of r.querySelectorAll('*')) {
             for (const cls of ['bk-btn-default', 'bk-input', 'noUi-target', 'noUi-handle', 'noUi-tooltip'])
               if (el.classList.contains(cls) && !(cls in out)) out[cls] = getComputedStyle(el).backgroundColor;
             if (el.shadowRoot) walk(el.shadowRoot); } }; walk(document); return out; }"""
    )
    # buttons, the seed box and menus, slider tracks, handles and the value shown while dragging: none is
    # left white on the dark page
    assert len(colours) == 5 and "rgb(255, 255, 255)" not in colours.values(), colours


@pytest.mark.parametrize(("theme", "scheme"), [("dark", "light"), ("auto", "dark"), ("light", "dark")])
def test_an_export_taller_than_its_page_is_its_colour_to_the_bottom(browser, tmp_path, theme, scheme):
    # below a page shorter than the window, the window shows the page's colour, not the browser's
    from adamviz.app.export import write_export
    from adamviz.app.palette import TEXT

    url = write_export(tmp_path / f"{theme}.html", ExplorerSettings(theme=theme)).as_uri()
    page = browser.new_page(viewport={"width": 1920, "height": 1600}, color_scheme=scheme)
    page.goto(url)
    page.wait_for_function("window.adamviz !== undefined")
    below = page.evaluate("document.body.getBoundingClientRect().bottom")
    assert below < 1500  # (the page ends above the window's bottom)
    bottom = page.screenshot(clip={"x": 960, "y": 1590, "width": 1, "height": 1})
    pixel = Image.open(BytesIO(bottom)).convert("RGB").getpixel((0, 0))
    shade = "dark" if theme == "dark" or (theme == "auto" and scheme == "dark") else "light"
    assert pixel == tuple(int(TEXT[shade]["page"][k : k + 2], 16) for k in (1, 3, 5))
    page.close()


BAND_FILL = "() => window.AdamViz.instances[0].models.population.bands.data.alpha[0]"


def test_the_many_parameters_band_thickens_on_a_dark_page(page, host_page):
    """The main optimizer's p10–p90 band is a wash of its colour: 22% over the light card, 40% over the
    dark one (at 22% it all but vanished there), following the host's switch within a frame."""
    page.goto(host_page)
    page.wait_for_function("window.adamviz !== undefined")
    page.evaluate("window.adamviz.set({view: 'population'})")
    assert page.evaluate(BAND_FILL) == 0.22
    dark, light = HOSTS["furo"]
    for flip, fill in ((dark, 0.4), (light, 0.22)):
        after = (
            f"() => new Promise((done) => {{ {flip}; requestAnimationFrame(() => done(({BAND_FILL})())); }})"
        )
        assert page.evaluate(after) == fill
