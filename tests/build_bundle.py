"""Rebuild ``assets/adamviz.min.js``, the browser modules minified by esbuild (pinned in tests/js).

Run after editing any module in assets/ (``bash tests/run.sh`` installs esbuild)::

    python tests/build_bundle.py

Until then pages carry the sources stripped by rjsmin instead (``explorer_script``), and
tests/test_browser_modules.py says the bundle is stale.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from adamviz.app.browser_code import bundle_header, module_sources

ROOT = Path(__file__).resolve().parent.parent
ESBUILD = ROOT / "tests" / "js" / "node_modules" / ".bin" / "esbuild"
OUT = ROOT / "assets" / "adamviz.min.js"


def bundle(sources: str) -> str:
    """``sources`` minified (identifiers, whitespace, syntax) for the browsers Bokeh 3 supports."""
    done = subprocess.run(
        [str(ESBUILD), "--minify", "--target=es2020", "--loader=js", "--log-level=warning"],
        input=sources,
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{bundle_header(sources)}\n{done.stdout}"


def main() -> None:
    OUT.write_text(bundle(module_sources()), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
