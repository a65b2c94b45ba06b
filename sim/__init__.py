"""adamviz.sim — seeded gradient streams and torch-exact optimizers in pure NumPy (no UI imports)."""

from .optimizers import ADAM_FAMILY, OPTIMIZERS, Settings, simulate
from .population import (
    PERCENTILES,
    PopulationParameters,
    population,
    population_parameters,
    population_shapes,
    rt_percentiles,
    update_rms_for_noise,
)
from .precision import PRECISIONS
from .problems import PROBLEMS, Problem, descend, problem_loss, problem_shape
from .schedules import SCHEDULES, learning_rates
from .streams import ITERATIONS_MAX, SEED_MAX, STREAMS, stream, stream_shapes
from .trajectory import COLUMNS, Trajectory

__all__ = [
    "ADAM_FAMILY",
    "COLUMNS",
    "ITERATIONS_MAX",
    "OPTIMIZERS",
    "PERCENTILES",
    "PRECISIONS",
    "PROBLEMS",
    "SCHEDULES",
    "SEED_MAX",
    "STREAMS",
    "PopulationParameters",
    "Problem",
    "Settings",
    "Trajectory",
    "descend",
    "learning_rates",
    "population",
    "population_parameters",
    "population_shapes",
    "problem_loss",
    "problem_shape",
    "rt_percentiles",
    "simulate",
    "stream",
    "stream_shapes",
    "update_rms_for_noise",
]
