"""Static export: the explorer as one HTML file (or a paste-able snippet) that needs no Python server.

Everything the explorer does per frame and per control already runs in the page, and the page
regenerates every seeded stream itself, so the file holds no data arrays at all: only BokehJS
(inline by default, so it works offline and from ``file://``), the explorer's models and its script.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Literal

from bokeh.core.templates import get_env
from bokeh.document import Document
from bokeh.embed import components, file_html
from bokeh.resources import CDN, INLINE
from bokeh.resources import Resources as BokehResources

from adamviz.record import RecordedRun
from adamviz.record.files import write_atomically

from . import text
from .figures import build_explorer, settings_config
from .palette import TEXT
from .settings import ExplorerSettings, browser_spec

Resources = Literal["inline", "cdn", "server"]
"""Where BokehJS comes from: inline (offline), the Bokeh CDN, or ``adamviz serve``'s own
``BOKEHJS_ROUTE`` (a served page: cached by every visitor's browser after the first)."""

BOKEHJS_ROUTE = "/bokehjs/"

# (the page's colour on body alone: the root then has none, and the body's paints the whole window,
# below a short page too)
PAGE_STYLE = (
    f"<style>html,body{{margin:0;padding:0}}body{{background:{TEXT['light']['page']}}}"
    f"body.av-dark{{background:{TEXT['dark']['page']}}}"
    f"@media (prefers-color-scheme: dark){{body.av-auto{{background:{TEXT['dark']['page']}}}}}"
    ".av-page{padding:8px 16px}</style>"
)


def explorer_document(
    settings: ExplorerSettings | None = None,
    *,
    export_url: str | None = None,
    runs: dict[str, RecordedRun] | None = None,
    follow: dict | None = None,
) -> Document:
    """A Bokeh Document holding one explorer, for a standalone page (no Bokeh server syncs it).
    ``runs``: traces already read, by the name ``settings.trace`` gives (read from disk otherwise);
    ``follow``: where and how often a served page asks for its trace again as it grows, and the
    version it has (``serve --follow``)."""
    settings = settings or ExplorerSettings()
    document = Document()
    explorer = build_explorer(settings, export_url=export_url, synced=False, runs=runs, follow=follow)
    document.add_root(explorer.layout)
    document.title = settings.title
    return document


BOKEH_BUNDLES = ("bokeh", "bokeh-widgets")


def bokeh_scripts(resources: Resources) -> tuple[list[str], list[str]]:
    """BokehJS's two bundles as ``(cdn_urls, inline_sources)`` — and nothing else.

    Once Panel is imported it adds its own module shim (a server-relative URL) to every Bokeh
    resource list; that file would be missing next to an exported page, so the export picks
    Bokeh's bundles out by name instead of trusting the resource list.
    """
    files = BokehResources(mode="cdn", components=list(BOKEH_BUNDLES)).js_files
    urls = [url for url in files if url.startswith("https://cdn.bokeh.org/")]
    sources = (
        []
        if resources == "cdn"
        else [
            code
            for code in BokehResources(mode="inline", components=list(BOKEH_BUNDLES)).js_raw
            if code.startswith("/* BEGIN bokeh")
        ]
    )
    if len(urls) != len(BOKEH_BUNDLES) or len(sources) not in (0, len(BOKEH_BUNDLES)):
        raise RuntimeError(f"unexpected BokehJS resources: {urls}, {len(sources)} inline bundles")
    return urls, sources


def _script_tags(resources: Resources) -> str:
    urls, sources = bokeh_scripts("cdn" if resources == "server" else resources)
    if resources == "server":  # the bundles' file names, under the server's route for them
        return "\n".join(f'<script src="{BOKEHJS_ROUTE}{bundle_file(url)}"></script>' for url in urls)
    if resources == "cdn":
        return "\n".join(f'<script src="{url}"></script>' for url in urls)
    return "\n".join(f"<script>{code}</script>" for code in sources)


def bundle_file(cdn_url: str) -> str:
    """``bokeh-widgets.min.js`` for ``https://cdn.bokeh.org/.../bokeh-widgets-3.9.2.min.js``: the
    name of the same bundle in the installed package's ``server/static/js``."""
    return re.sub(r"-\d+\.\d+\.\d+(?=\.min\.js$)", "", cdn_url.rsplit("/", 1)[1])


def explorer_html(
    settings: ExplorerSettings | None = None,
    resources: Resources = "inline",
    *,
    export_url: str | None = None,
    image: str | None = None,
    runs: dict[str, RecordedRun] | None = None,
    follow: dict | None = None,
) -> str:
    """A complete HTML page (``resources="inline"``: self-contained, no network access at all).
    ``export_url``: where the page's Export button posts its settings (a served page only);
    ``image``: the link-card picture's URL (``og:image``), if there is one."""
    settings = settings or ExplorerSettings()
    page = file_html(
        explorer_document(settings, export_url=export_url, runs=runs, follow=follow),
        INLINE if resources == "inline" else CDN,  # ignored by the template: see bokeh_scripts
        title=settings.title,  # escaped by the template (`| e`): a title is text, never markup
        template=get_env().from_string(_TEMPLATE),
        template_variables={
            "body_class": f"av-{settings.theme}",
            "page_style": PAGE_STYLE,
            "bokehjs_tags": _script_tags(resources),
            "description": text.DESCRIPTION,
            "image": image,
        },
    )
    return page


BUNDLE_PRESENT = ("window.Bokeh", "window.Bokeh && window.Bokeh.Widgets")
"""JS tests for BokehJS's two bundles (core, widgets) already on the page."""

_CDN_LOADER = """(function () {
  const bundles = %(bundles)s;
  const run = function () { %(embed)s };
  const next = function (i) {
    if (i === bundles.length) return run();
    if (bundles[i][0]()) return next(i + 1);
    let tag = document.querySelector('script[data-adamviz-bundle="' + bundles[i][1] + '"]');
    if (!tag) {
      tag = document.createElement("script");
      tag.src = bundles[i][1];
      tag.dataset.adamvizBundle = bundles[i][1];
      document.head.appendChild(tag);
    }
    tag.addEventListener("load", function () { next(i + 1); });
  };
  next(0);
})();"""


_RELOCATE = """(function () {
  // The same snippet may be pasted twice into one post: give this copy's element an id of its own,
  // so that each copy renders into its own place (the script runs right after its element).
  const holder = document.currentScript.previousElementSibling;
  const target = holder.id + "-" + Math.random().toString(36).slice(2, 10);
  holder.id = target;
  %(code)s
})();"""


def _relocatable(embed_js: str, div: str) -> str:
    """Bokeh's embed code with its target element's id replaced by the variable ``target``."""
    element_id = re.search(r'id="([^"]+)"', div).group(1)
    quoted = json.dumps(element_id)
    if embed_js.count(quoted) != 1:
        raise RuntimeError(
            f"unexpected Bokeh embed code: element id {quoted} found {embed_js.count(quoted)} times"
        )
    return embed_js.replace(quoted, "target")


GLOBALS = ("Bokeh", "AdamViz", "AdamVizLite", "adamviz")
"""The window properties a snippet reads and writes."""

_UNCLOBBER = (
    "<script>(function () { for (const name of "
    + json.dumps(list(GLOBALS))
    + ") if (name in window && !Object.prototype.hasOwnProperty.call(window, name)) window[name] = undefined; })();"
    "</script>"
)
"""Run first in every full snippet: a host page's element with one of GLOBALS as its id (or, for a
form, an image, a link…, its name) shows up as that window property (named access): BokehJS would take
an <a id="Bokeh"> for itself already loaded, and `window.AdamVizLite || []` would be an image. A window
property of our own, even undefined, hides the element from then on (DOM clobbering). A lite snippet
takes window.AdamVizLite only when it is an array."""

_LITE = """<!-- adamviz explorer (lite): shows up once a full adamviz snippet on the same page has loaded -->
<div class='adamviz-snippet adamviz-lite'><div></div><script>(function () {
  // Built from the page's first explorer (its BokehJS, its code, its models), with these settings.
  const holder = document.currentScript.previousElementSibling;
  const queue = window.AdamVizLite;
  (Array.isArray(queue) ? queue : (window.AdamVizLite = [])).push({holder: holder, config: %(config)s});
  if (window.AdamViz && window.AdamViz.embedLite) window.AdamViz.embedLite();
})();</script></div>
"""


def lite_snippet(settings: ExplorerSettings | None = None) -> str:
    """A further explorer for a page that already holds a full snippet: only its settings.

    The page's first explorer lends it BokehJS, the code and a copy of its models; it shows at most as
    many cards as the first one has.
    """
    settings = settings or ExplorerSettings()
    config = settings_config(settings, f"adamviz-{uuid.uuid4().hex[:10]}")
    # only what differs from the settings table (the page fills in the rest from it), and no ink: the
    # first explorer's is the same table
    spec = browser_spec()
    config["defaults"] = {k: v for k, v in config["defaults"].items() if v != spec[k]["default"]}
    del config["ink"]
    # as JSON inside a script element: "</" must not close it
    return _LITE % {"config": json.dumps(config, ensure_ascii=False).replace("</", "<\\/")}


def explorer_snippet(settings: ExplorerSettings | None = None, resources: Resources = "cdn") -> str:
    """An HTML fragment for a blog post: paste it into a page; several fragments may share one page.

    BokehJS is loaded only if the page does not have it yet: a second copy would replace
    ``window.Bokeh`` under the first explorer. With ``cdn`` resources a small loader fetches the two
    bundles once (snippets share the request) and embeds the explorer when they have run; ``inline``
    bundles sit in inert ``text/plain`` tags and run only when missing.
    """
    settings = settings or ExplorerSettings()
    layout = explorer_document(settings).roots[0]
    urls, sources = bokeh_scripts(resources)
    embed_js, div = components(layout, wrap_script=False)
    embed_js = _relocatable(embed_js, div)
    if resources == "cdn":
        bundles = ", ".join(
            f"[() => {present}, {json.dumps(url)}]" for present, url in zip(BUNDLE_PRESENT, urls, strict=True)
        )
        loader = _CDN_LOADER % {"bundles": f"[{bundles}]", "embed": embed_js}
        body = f"{div}\n<script>{_RELOCATE % {'code': loader}}</script>"
    else:
        guards = [
            f"<script type='text/plain'>{code}</script>"
            "<script>(function (holder) { if (!("
            + present
            + ")) { const s = document.createElement('script');"
            " s.text = holder.textContent; document.head.appendChild(s); } holder.remove(); })"
            "(document.currentScript.previousElementSibling);</script>"
            for present, code in zip(BUNDLE_PRESENT, sources, strict=True)
        ]
        body = "\n".join(guards) + f"\n{div}\n<script>{_RELOCATE % {'code': embed_js}}</script>"
    return (
        "<!-- adamviz explorer: paste anywhere in a page; several may share one page -->\n"
        f"<div class='adamviz-snippet'>\n{_UNCLOBBER}\n{body}\n</div>\n"
    )


def write_export(
    path: str | Path,
    settings: ExplorerSettings | None = None,
    *,
    resources: Resources = "inline",
    snippet: bool = False,
    image: str | None = None,
    lite: bool = False,
) -> Path:
    """Write the page (or the snippet, or a lite snippet) to ``path`` (atomically: see
    :func:`write_atomically`)."""
    if lite:
        text = lite_snippet(settings)
    elif snippet:
        text = explorer_snippet(settings, resources)
    else:
        text = explorer_html(settings, resources, image=image)
    return write_atomically(path, text)


_TEMPLATE = """{% from macros import embed %}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title | e }}</title>
<meta name="description" content="{{ description | e }}">
<meta property="og:type" content="website">
<meta property="og:title" content="{{ title | e }}">
<meta property="og:description" content="{{ description | e }}">
{% if image %}<meta property="og:image" content="{{ image | e }}">
<meta name="twitter:card" content="summary_large_image">{% else %}<meta name="twitter:card" content="summary">{% endif %}

{{ page_style }}
{{ bokehjs_tags }}
</head>
<body class="{{ body_class }}">
<main class="av-page">
{% for doc in docs %}{{ embed(doc) if doc.elementid }}{% for root in doc.roots %}{{ embed(root) | indent(4) }}{% endfor %}{% endfor %}
</main>
{{ plot_script | indent(4) }}
</body>
</html>
"""
