"""Rebuild the page's script: ``assets/contract.js`` from Python's tables, then ``assets/adamviz.min.js``,
the ES modules of assets/ bundled and minified by esbuild (pinned in tests/js).

Run after editing any module in assets/ or a table contract.js is made from (``bash tests/run.sh``
installs esbuild)::

    python tests/build_bundle.py

tests/test_browser_modules.py fails while either file is stale.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from adamviz.app.browser_code import ENTRY, bundle_header, module_sources
from adamviz.app.contract import CONTRACT_FILE, contract_js

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
ESBUILD = ROOT / "tests" / "js" / "node_modules" / ".bin" / "esbuild"
OUT = ASSETS / "adamviz.min.js"


def bundle(sources: str) -> str:
    """The modules from ENTRY, bundled into one script (an IIFE) and minified for the browsers Bokeh 3
    supports; ``sources`` names what it was built from."""
    done = subprocess.run(
        [
            str(ESBUILD),
            str(ASSETS / ENTRY),
            "--bundle",
            "--format=iife",
            "--minify",
            "--target=es2020",
            "--log-level=warning",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{bundle_header(sources)}\n{done.stdout}"


def main() -> None:
    (ASSETS / CONTRACT_FILE).write_text(contract_js(), encoding="utf-8")
    OUT.write_text(bundle(module_sources()), encoding="utf-8")
    print(
        f"wrote {(ASSETS / CONTRACT_FILE).relative_to(ROOT)} and {OUT.relative_to(ROOT)} ({OUT.stat().st_size:,} bytes)"
    )


if __name__ == "__main__":
    main()
