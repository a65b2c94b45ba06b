"""adamviz.record — a PyTorch run's optimizer state, recorded and read back.

``Recorder(optimizer, path, every=1, sample=8, seed=0)`` needs torch (``pip install adamviz[torch]``);
``load(path)``, ``summary(run)`` (every layer's r_t at a glance) and ``replay(run, group, coordinate)``
(a recorded coordinate stepped again, at the run's own settings or others) need only NumPy. The file format is documented in :mod:`.trace_file`.
"""

from .replay import find, replay, replay_settings
from .summary import FROZEN_P90, GroupSummary, summary
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
    "FROZEN_P90",
    "MAX_FILE_BYTES",
    "MAX_RECORDS",
    "VERSION",
    "GroupSummary",
    "RecordedCoordinate",
    "RecordedGroup",
    "RecordedRun",
    "Recorder",
    "TraceError",
    "find",
    "load",
    "replay",
    "replay_settings",
    "summary",
]


def __getattr__(name: str):
    # torch is imported only when the recorder is asked for: load() works without it
    if name == "Recorder":
        from .recorder import Recorder

        return Recorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
