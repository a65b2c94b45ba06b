"""Reading a user's own gradient log: ``.csv`` (one numeric column, header optional) or ``.npy``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np


def read_gradients(path: str | Path) -> np.ndarray:
    """A 1-D float64 array of gradients from ``path``; ValueError says exactly what is wrong.

    ``.npy`` files are read with ``allow_pickle=False``: an object array is refused, never unpickled.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _read_npy(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise ValueError(f"{path}: gradients file must end in .csv or .npy; got {suffix or 'no extension'!r}")


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
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
    return array.astype(np.float64)


def _read_csv(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot read as UTF-8 text ({error})") from None
    values: list[float] = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.strip()
        if not cell:
            continue
        if "," in cell or ";" in cell or "\t" in cell:
            raise ValueError(f"{path}:{number}: expected one column; got {cell[:40]!r}")
        try:
            value = float(cell)
        except ValueError:
            if not values and number == _first_nonblank_line(text):
                continue  # a header
            raise ValueError(f"{path}:{number}: not a number: {cell[:40]!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{path}:{number}: gradients must be finite; got {cell[:40]!r}")
        values.append(value)
    if not values:
        raise ValueError(f"{path}: no gradients found")
    return np.array(values, dtype=np.float64)


def _first_nonblank_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return number
    return 0
