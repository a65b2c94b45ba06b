"""adamviz.record — a PyTorch run's optimizer state, recorded and read back.

``Recorder(optimizer, path, every=1, sample=8, seed=0)`` needs torch (``pip install adamviz[torch]``);
``load(path)`` needs only NumPy. The file format is documented in :mod:`.trace_file`.
"""

from .trace_file import (
    FORMAT,
    MAX_FILE_BYTES,
    MAX_RECORDS,
    VERSION,
    RecordedCoordinate,
    RecordedGroup,
    RecordedRun,
    TraceError,
    load,
)

__all__ = [
    "FORMAT",
    "MAX_FILE_BYTES",
    "MAX_RECORDS",
    "VERSION",
    "RecordedCoordinate",
    "RecordedGroup",
    "RecordedRun",
    "Recorder",
    "TraceError",
    "load",
]


def __getattr__(name: str):
    # torch is imported only when the recorder is asked for: load() works without it
    if name == "Recorder":
        from .recorder import Recorder

        return Recorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
