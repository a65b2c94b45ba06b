"""The reference pages made from the tables, so that the docs cannot drift from the code:
``docs/settings.md`` (every setting: its URL, ``set()`` and CLI spelling, range, default, control, what it
recomputes and whether presets keep it) and the keyboard table of ``docs/lecture.md``.

``python -m adamviz.app.reference`` writes them; tests/test_docs.py fails while either differs.
"""

from __future__ import annotations

import re
from pathlib import Path

import param

from .settings import PAGE_FLAGS, SLIDERS, ExplorerSettings, browser_spec, requirement
from .text import KEYS

CONTROLS = {
    "log10": "log slider",
    "log10zero": "log slider whose left end is 0",
    "log10int": "log slider (integers)",
    "window": "slider on the averaging window 1/(1−β), showing β",
    "linear": "slider",
}
RECOMPUTES = {
    "gradients": "the gradients, then every optimizer",
    "population": "the many-parameters view's gradients",
    "optimizer": "every optimizer, over the same gradients",
    "loop": "the closed loop",
    "layout": "the page's layout",
    "nothing": "nothing (only what is drawn)",
}
KEYS_BEGIN, KEYS_END = "<!-- keys: made by adamviz.app.reference -->", "<!-- /keys -->"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _default(value: object) -> str:
    if isinstance(value, list):
        return "all" if value and len(value) > 3 else ", ".join(map(str, value)) or "none"
    if value is None:
        return "see meaning"
    return f"`{value}`"


def settings_markdown() -> str:
    """docs/settings.md."""
    spec = browser_spec()
    rows = []
    for name, entry in spec.items():
        control = (
            CONTROLS[SLIDERS[name].transform]
            if name in SLIDERS
            else {"bool": "checkbox"}.get(entry["kind"], "")
        )
        kept = "kept" if entry["preset"] == "keep" else "reset"
        doc = ExplorerSettings.param[name].doc or ""
        rows.append(
            f"| `{name}` | `{entry['cli'] or '—'}` | {requirement(entry)} | {_default(entry['default'])} | "
            f"{_cell(control) or '—'} | {RECOMPUTES[entry['recomputes']]} | {kept} | {_cell(doc)} |"
        )
    page_rows = []
    for name, flag in PAGE_FLAGS.items():
        parameter = ExplorerSettings.param[name]
        if isinstance(parameter, param.ListSelector):
            allowed = "a list among " + ", ".join(f"`{o}`" for o in parameter.objects)
        elif isinstance(parameter, param.Selector):
            allowed = "one of " + ", ".join(f"`{o}`" for o in parameter.objects)
        else:
            allowed = type(parameter).__name__.lower()
        page_rows.append(
            f"| `{flag}` | {allowed} | {_default(parameter.default)} | {_cell(parameter.doc or '')} |"
        )
    return "\n".join(
        [
            "# Settings",
            "",
            "<!-- made by `python -m adamviz.app.reference` from adamviz.app.settings: do not edit -->",
            "",
            "Every setting of the page's state. Its name is its URL query key (`?beta1=0.99`), its key in",
            "`window.adamviz.set({...})` and `state().params`, and its keyword of `AdamExplorer(...)` and",
            "`ExplorerSettings(...)`; its flag sets it in `adamviz export`. A value outside its range is refused",
            "everywhere with the same message (`beta1 must be a number in [0, 0.9999]; got 1.5`), and the page",
            "keeps what it had. *Recomputes* is what the page computes again when it changes; a preset puts the",
            "settings marked *reset* back to their defaults before applying its own.",
            "",
            "| setting | flag | allowed | default | control | recomputes | presets | meaning |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "`iteration` (from 0, below `iterations`) is a key of the URL, `set()` and `state()` too; the",
            "many-parameters view takes at most `n_params × iterations` ≤ 10⁷.",
            "",
            "## The page's own settings",
            "",
            "These belong to the page as it was built, not to its state: `adamviz export` flags and",
            "`AdamExplorer(...)` keywords only.",
            "",
            "| flag | allowed | default | meaning |",
            "| --- | --- | --- | --- |",
            *page_rows,
            "",
        ]
    )


def keys_markdown() -> str:
    """The keyboard table of docs/lecture.md (between its markers)."""
    rows = [f"| {_cell(key)} | {_cell(action)} |" for key, action in KEYS]
    return "\n".join([KEYS_BEGIN, "| key | action |", "| --- | --- |", *rows, KEYS_END])


def with_keys(lecture: str) -> str:
    """``lecture``'s text with its keyboard table made anew."""
    pattern = re.compile(re.escape(KEYS_BEGIN) + ".*?" + re.escape(KEYS_END), re.S)
    return pattern.sub(lambda _: keys_markdown(), lecture)


ROOT = Path(__file__).resolve().parents[1]
"""The checkout the docs live in (an editable install: this file is app/reference.py)."""


def main(root: Path = ROOT) -> None:
    (root / "docs" / "settings.md").write_text(settings_markdown(), encoding="utf-8")
    lecture = root / "docs" / "lecture.md"
    lecture.write_text(with_keys(lecture.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
