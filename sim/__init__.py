"""adamviz.sim — seeded gradient streams and torch-exact optimizers in pure NumPy (no UI imports)."""

from .optimizers import ADAM_FAMILY, OPTIMIZERS, Settings, simulate
from .streams import ITERATIONS_MAX, SEED_MAX, STREAMS, stream, stream_shapes
from .trajectory import COLUMNS, Trajectory

__all__ = [
    "ADAM_FAMILY",
    "COLUMNS",
    "ITERATIONS_MAX",
    "OPTIMIZERS",
    "SEED_MAX",
    "STREAMS",
    "Settings",
    "Trajectory",
    "simulate",
    "stream",
    "stream_shapes",
]
