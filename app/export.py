"""Static export: the explorer as one HTML file (or a paste-able snippet) that needs no Python server.

Everything the explorer does per frame and per control already runs in the page, and the page
regenerates every seeded stream itself, so the file holds no data arrays at all: only BokehJS
(inline by default, so it works offline and from ``file://``), the explorer's models and its script.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Literal

from bokeh.document import Document
from bokeh.embed import components, file_html
from bokeh.resources import CDN, INLINE

from .figures import build_explorer
from .settings import ExplorerSettings

Resources = Literal["inline", "cdn"]

PAGE_STYLE = (
    "<style>html,body{margin:0;padding:0;background:#f6f8fa}"
    "body.av-dark{background:#0d1117}.av-page{padding:8px 16px}</style>"
)


def explorer_document(settings: ExplorerSettings | None = None) -> Document:
    """A Bokeh Document holding one explorer."""
    settings = settings or ExplorerSettings()
    document = Document()
    document.add_root(build_explorer(settings).layout)
    document.title = settings.title
    return document


def explorer_html(settings: ExplorerSettings | None = None, resources: Resources = "inline") -> str:
    """A complete, self-contained HTML page (``resources="inline"``: no network access at all)."""
    settings = settings or ExplorerSettings()
    page = file_html(
        explorer_document(settings),
        INLINE if resources == "inline" else CDN,
        title=html.escape(settings.title),
        template=_TEMPLATE,
        template_variables={"body_class": f"av-{settings.theme}", "page_style": PAGE_STYLE},
    )
    return page


def explorer_snippet(settings: ExplorerSettings | None = None, resources: Resources = "cdn") -> str:
    """An HTML fragment for a blog post: paste it into a page; several fragments may share one page."""
    settings = settings or ExplorerSettings()
    script, div = components(explorer_document(settings).roots[0], wrap_script=True)
    bokeh_js = (INLINE if resources == "inline" else CDN).render_js()
    return f"<div class='adamviz-snippet'>\n{bokeh_js}\n{script}\n{div}\n</div>\n"


def write_export(
    path: str | Path,
    settings: ExplorerSettings | None = None,
    *,
    resources: Resources = "inline",
    snippet: bool = False,
) -> Path:
    """Write the page (or the snippet) to ``path`` and return it."""
    path = Path(path)
    text = explorer_snippet(settings, resources) if snippet else explorer_html(settings, resources)
    path.write_text(text, encoding="utf-8")
    return path


_TEMPLATE = """{% from macros import embed %}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
{{ page_style }}
{{ bokeh_css | indent(4) if bokeh_css }}
{{ bokeh_js | indent(4) if bokeh_js }}
</head>
<body class="{{ body_class }}">
<main class="av-page">
{% for doc in docs %}{{ embed(doc) if doc.elementid }}{% for root in doc.roots %}{{ embed(root) | indent(4) }}{% endfor %}{% endfor %}
</main>
{{ plot_script | indent(4) }}
</body>
</html>
"""
