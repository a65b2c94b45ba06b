"""Reading a user's own gradient log: ``.csv`` (one numeric column, header optional) or ``.npy``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

NPY_MAGIC = b"\x93NUMPY"


def read_gradients(path: str | Path, limit: int | None = None) -> np.ndarray:
    """A 1-D float64 array of gradients from ``path`` — at most its first ``limit`` — ; a ValueError
    names the file (and line) and says exactly what is wrong.

    Only what is needed is read: a CSV line by line up to ``limit`` values, a ``.npy`` mapped from disk
    and sliced. ``.npy`` files are read with ``allow_pickle=False``: an object array is refused, never
    unpickled.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _read_npy(path, limit)
    if suffix == ".csv":
        return _read_csv(path, limit)
    raise ValueError(f"{path}: gradients file must end in .csv or .npy; got {suffix or 'no extension'!r}")


def _read_npy(path: Path, limit: int | None) -> np.ndarray:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(NPY_MAGIC))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror})") from None
    if magic != NPY_MAGIC:
        raise ValueError(f"{path}: not a .npy file (it does not start with NumPy's header)")
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{path}: not a readable .npy array ({error})") from None
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path}: expected one .npy array, got an archive")
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{path}: gradients must be numeric (int or float); got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{path}: gradients must be 1-D; got shape {array.shape}")
    return np.array(array[:limit], dtype=np.float64)


def _read_csv(path: Path, limit: int | None) -> np.ndarray:
    values: list[float] = []
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            seen_text = False
            for number, line in enumerate(handle, start=1):
                if limit is not None and len(values) >= limit:
                    break
                cell = line.strip()
                if not cell:
                    continue
                if len(cell) > 100:
                    raise ValueError(f"{path}:{number}: expected one number; got {cell[:40]!r}...")
                if "," in cell or ";" in cell or "\t" in cell:
                    raise ValueError(f"{path}:{number}: expected one column; got {cell[:40]!r}")
                first, seen_text = not seen_text, True
                try:
                    value = float(cell)
                except ValueError:
                    if first:
                        continue  # a header
                    raise ValueError(f"{path}:{number}: not a number: {cell[:40]!r}") from None
                if not math.isfinite(value):
                    raise ValueError(f"{path}:{number}: gradients must be finite; got {cell[:40]!r}")
                values.append(value)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: cannot read as UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror})") from None
    if not values:
        raise ValueError(f"{path}: no gradients found")
    return np.array(values, dtype=np.float64)
