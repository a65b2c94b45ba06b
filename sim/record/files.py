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
    permissions a plain ``open(path, "w")`` would give it. The temporary file is named
    ``.<name>.<pid>.<random>.tmp``: one left by a process that was killed is removed by the next
    write to ``path`` (:func:`remove_stale_temporaries`).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    handle, temporary = temporary_beside(path)
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


def temporary_beside(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, ``.<name>.<pid>.<random>.tmp``: (an open handle, its path).
    An OSError if the folder cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    return tempfile.mkstemp(dir=folder, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove the temporary files of writes to ``path`` whose process no longer runs (killed mid-write);
    returns them. Those of a live process (another writer at this moment) are left alone."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    removed = []
    for candidate in folder.glob(f".{path.name}.*.tmp"):
        pid = candidate.name[len(path.name) + 2 :].split(".", 1)[0]
        if not pid.isdigit() or _running(int(pid)):
            continue
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed.append(candidate)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it runs
    return True
