"""Writing a file without ever leaving a broken one behind: the recorder's traces and the files the CLI
makes (no Bokeh or Panel here: ``adamviz simulate --out`` stays light)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: str | Path, text: str | bytes) -> Path:
    """Write ``text`` (or bytes) to a temporary file beside ``path``, then rename it into place.

    A failed write (a full disk, an interrupted process) leaves whatever stood at ``path`` intact, and
    two writers to one path each leave a whole file, never an interleaving. The new file gets the
    permissions a plain ``open(path, "w")`` would give it.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(
            handle, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})
        ) as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path
