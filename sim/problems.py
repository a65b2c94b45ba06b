"""Closed-loop problems: gradients that answer to θ, and :func:`descend`, which steps an optimizer over one.

Every stream in :mod:`.streams` ignores θ. Here the gradient is the slope of a loss at the current
θ, plus optional seeded noise, so each step changes the next gradient — the loop real training runs:

- ``bowl`` (1-D): ``f(θ) = ½·h·(θ − θ*)²``, gradient ``h·(θ − θ*)``. Noise off, gradient descent
  walks straight down; Adam's step is about ``η/√(γ̂² + 1)`` whatever the slope, so θ keeps crossing
  θ* and the mean gradient passes through 0 and grows back, in cycles.
- ``valley`` (2-D): ``f = ½·h·(u²/κ + w²)``, a quadratic κ times steeper across (w) than along (u);
  ``(u, w) = (x, y)``, or, ``rotated``, the axes turned 45°: ``u = (x + y)·√½``, ``w = (y − x)·√½``.
  The steep curvature ``h`` stays fixed as κ grows (the valley gets flatter along, not steeper across),
  so a learning rate that works across works for every κ: at η = 0.01, ``η·h = 1.8`` and gradient
  descent overshoots the floor on every step (a zig-zag that shrinks by 0.8 a step) while it crawls
  along at ``η·h/κ`` of the remaining distance per step.
- ``rosenbrock`` (2-D): ``f = (a − x)² + b·(y − x²)²``, a curved valley with its minimum at ``(a, a²)``.

Only +, −, ×, ÷ and √ appear, so ``assets/engine/problems.js`` computes the same numbers bit for bit.
Gradient noise is ``U(−noise, noise)`` per coordinate and step, drawn as one array of shape
``(iterations, dims)`` in row order from ``Generator(Philox(key=seed))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from .adaptive import ADAPTIVE, AdaptiveStep, adaptive_settings
from .optimizers import ADAM_FAMILY, Settings
from .recurrence import bias_correction
from .schedules import learning_rates
from .streams import ITERATIONS_MAX, rng_for
from .switch import sgd_rate, sgd_steps
from .trajectory import Trajectory
from .validation import check_int, check_range, rejection

SQRT_HALF = math.sqrt(0.5)
"""cos 45° = sin 45°, correctly rounded (so both languages turn the valley the same way)."""


def _bowl_gradient(theta: np.ndarray, curvature: float, optimum: float) -> np.ndarray:
    return curvature * (theta - optimum)


def _bowl_loss(theta: np.ndarray, curvature: float, optimum: float) -> np.ndarray:
    d = theta[..., 0] - optimum
    return 0.5 * curvature * d * d


def _valley_axes(theta: np.ndarray, rotated: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = theta[..., 0], theta[..., 1]
    if not rotated:
        return x, y
    return (x + y) * SQRT_HALF, (y - x) * SQRT_HALF


def _valley_gradient(theta: np.ndarray, curvature: float, condition: float, rotated: bool) -> np.ndarray:
    u, w = _valley_axes(theta, rotated)
    gu = curvature * u / condition
    gw = curvature * w
    if not rotated:
        return np.stack([gu, gw], axis=-1)
    return np.stack([(gu - gw) * SQRT_HALF, (gu + gw) * SQRT_HALF], axis=-1)


def _valley_loss(theta: np.ndarray, curvature: float, condition: float, rotated: bool) -> np.ndarray:
    u, w = _valley_axes(theta, rotated)
    return 0.5 * curvature * (u * u / condition + w * w)


def _rosenbrock_gradient(theta: np.ndarray, a: float, b: float) -> np.ndarray:
    x, y = theta[..., 0], theta[..., 1]
    r = y - x * x
    return np.stack([-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r], axis=-1)


def _rosenbrock_loss(theta: np.ndarray, a: float, b: float) -> np.ndarray:
    x, y = theta[..., 0], theta[..., 1]
    r = y - x * x
    return (a - x) * (a - x) + b * r * r


@dataclass(frozen=True)
class Problem:
    """A registered problem: its loss and gradient as functions of θ (last axis: the coordinates).

    Attributes:
        coordinates: the names of θ's coordinates (one card each).
        shape: the shape parameters with their defaults (``descend`` takes them as keywords).
        bounds: each shape parameter's allowed closed range.
        start: the default start point.
        minimum: where the loss is smallest, under the default shape.
        description: one line for people.
    """

    gradient: Callable[..., np.ndarray]
    loss: Callable[..., np.ndarray]
    coordinates: tuple[str, ...]
    shape: dict[str, float | bool]
    bounds: dict[str, tuple[float, float]]
    start: tuple[float, ...]
    description: str

    @property
    def dims(self) -> int:
        return len(self.coordinates)


PROBLEMS: dict[str, Problem] = {
    "bowl": Problem(
        _bowl_gradient,
        _bowl_loss,
        ("θ",),
        {"curvature": 1.0, "optimum": 0.0},
        {"curvature": (1e-3, 1e3), "optimum": (-10.0, 10.0)},
        (1.0,),
        "f(θ) = ½·h·(θ − θ*)²: a plain bowl; no noise unless asked",
    ),
    "valley": Problem(
        _valley_gradient,
        _valley_loss,
        ("x", "y"),
        {"curvature": 180.0, "condition": 100.0, "rotated": False},
        {"curvature": (1e-3, 1e3), "condition": (1.0, 1000.0)},
        (-2.0, 1.0),
        "f = ½·h·(u²/κ + w²): a narrow valley, κ times steeper across than along",
    ),
    "rosenbrock": Problem(
        _rosenbrock_gradient,
        _rosenbrock_loss,
        ("x", "y"),
        {"a": 1.0, "b": 100.0},
        {"a": (-10.0, 10.0), "b": (1e-3, 1e4)},
        (-1.5, 2.0),
        "f = (a − x)² + b·(y − x²)²: a curved valley with its floor at (a, a²)",
    ),
}
"""The closed-loop problems by name."""

START_LIMIT = 1e3
"""Start coordinates lie in [−START_LIMIT, START_LIMIT]."""

NOISE_MAX = 1e6
"""Gradient noise half-widths lie in [0, NOISE_MAX]."""

OPTIMIZER_SETTINGS = (
    *(field.name for field in fields(Settings) if field.name not in ("optimizer", "theta0")),
    "switch_at",
    "switch_lr",
)
"""The keywords of :func:`descend` that go to the optimizer (as in :func:`adamviz.sim.simulate`)."""


def problem_shape(name: str, **shape: float | bool) -> dict[str, float | bool]:
    """``PROBLEMS[name]``'s shape parameters: its defaults updated by ``shape``, each checked."""
    if name not in PROBLEMS:
        raise ValueError(rejection("problem", name, f"one of {', '.join(PROBLEMS)}"))
    problem = PROBLEMS[name]
    for key, value in shape.items():
        if key not in problem.shape:
            raise ValueError(f"{name} has no shape parameter {key!r}; it takes: {', '.join(problem.shape)}")
        if isinstance(problem.shape[key], bool):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(rejection(key, value, "True or False"))
        else:
            check_range(key, value, *problem.bounds[key])
    return {**problem.shape, **shape}


def problem_loss(name: str, theta: object, **shape: float | bool) -> np.ndarray:
    """The loss of ``PROBLEMS[name]`` at θ (shape (..., dims)), e.g. along a path from :func:`descend`."""
    values = problem_shape(name, **shape)
    return PROBLEMS[name].loss(np.asarray(theta, dtype=np.float64), **values)


def descend(
    problem: str,
    iterations: int,
    *,
    start: tuple[float, ...] | list[float] | None = None,
    seed: int = 0,
    noise: float = 0.0,
    optimizer: str = "adam",
    **settings: float | bool,
) -> tuple[Trajectory, ...]:
    """Step ``optimizer`` over ``PROBLEMS[problem]`` for ``iterations`` steps from ``start``.

    At step t the optimizer is fed ``g_t = ∇f(θ_{t−1}) + U(−noise, noise)`` (per coordinate) and
    moves θ exactly as :func:`adamviz.sim.simulate` would on that gradient (coupled weight decay
    adds ``w·θ_{t−1}``, adamw shrinks θ first) — so every Trajectory field means what it does there,
    with ``g`` the gradient the loop produced, and ``lr`` the step's own learning rate under
    ``schedule`` (constant by default).

    Args:
        start: the start point (one value per coordinate; the problem's default start if None).
        seed: the noise's Philox key (unused when ``noise`` is 0).
        noise: half-width of the uniform gradient noise, in [0, NOISE_MAX].
        optimizer: one of :data:`adamviz.sim.OPTIMIZERS`.
        **settings: the optimizer's settings (:data:`OPTIMIZER_SETTINGS`, as for ``simulate``) and
            the problem's shape parameters (``Problem.shape``).

    Returns:
        One :class:`Trajectory` per coordinate (``PROBLEMS[problem].coordinates``), each of length
        ``iterations``. Should θ overflow (gradient descent with too large a step), the values from
        then on are inf or NaN, as the same float arithmetic gives them.

    Raises:
        ValueError: naming the setting, its value and the allowed range.
    """
    shape_values = problem_shape(
        problem, **{k: v for k, v in settings.items() if k not in OPTIMIZER_SETTINGS}
    )
    p = PROBLEMS[problem]
    check_int("iterations", iterations, 1, ITERATIONS_MAX)
    check_range("noise", noise, 0.0, NOISE_MAX)
    options = {k: v for k, v in settings.items() if k in OPTIMIZER_SETTINGS}
    switch_at, switch_lr = int(options.pop("switch_at", 0)), float(options.pop("switch_lr", 0.0))
    check_int("switch_at", switch_at, 0, ITERATIONS_MAX)
    check_range("switch_lr", switch_lr, 0.0, math.inf)
    s = Settings(optimizer, **options)
    given = p.start if start is None else start
    try:
        theta0 = np.array(given, dtype=np.float64)
    except (TypeError, ValueError):
        theta0 = np.array([])
    if theta0.shape != (p.dims,):
        raise ValueError(rejection("start", given, f"{p.dims} number(s) (one per coordinate)"))
    for value in theta0:
        check_range("start", float(value), -START_LIMIT, START_LIMIT)
    rng = rng_for(seed)
    noise_draws = rng.uniform(-noise, noise, (iterations, p.dims)) if noise > 0 else None
    rates = s.rates(iterations)
    rates.flags.writeable = False
    switch = (switch_at, switch_lr) if 0 < switch_at < iterations else None
    with np.errstate(over="ignore", invalid="ignore"):
        rows = _loop(p, shape_values, s, rates, theta0, iterations, noise_draws, switch)
    rates = rows.pop("lr", rates)  # (after a switch to SGD: its rates from there on)
    rates.flags.writeable = False
    return tuple(
        Trajectory(**{name: array[:, k].copy() for name, array in rows.items()}, lr=rates)
        for k in range(p.dims)
    )


def _loop(
    p: Problem,
    shape: dict[str, float | bool],
    s: Settings,
    rates: np.ndarray,
    theta0: np.ndarray,
    iterations: int,
    noise: np.ndarray | None,
    switch: tuple[int, float] | None = None,
) -> dict[str, np.ndarray]:
    """The closed loop, one step at a time, in the arithmetic (and its order) of assets/engine/optimizers.js's stepper."""
    names = ("g", "m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
    out = {name: np.empty((iterations, p.dims)) for name in names}
    if switch is not None:  # the optimizer up to the switch, then SGD with momentum (sim/switch.py)
        at, given = switch
        head = _loop(p, shape, s, rates[:at], theta0, at, noise, None)
        factors = learning_rates(1.0, iterations, s.schedule, s.warmup, s.min_lr)
        rate = sgd_rate(head["step"], head["g"], float(factors[at]), given, s.lr, s.momentum)

        def slope(i: int, theta: np.ndarray) -> np.ndarray:  # the closed loop: the gradient at θ
            g = p.gradient(theta, **shape)
            return g + noise[at + i] if noise is not None else g

        tail = sgd_steps(slope, rate * factors[at:], head["theta"][-1], s.momentum, s.weight_decay)
        joined = {name: np.concatenate([head[name], tail[name]]) for name in names}
        return {**joined, "lr": np.concatenate([rates[:at], rate * factors[at:]])}
    if s.optimizer in ADAPTIVE:  # radam, nadam, adamax, adagrad: their own step (sim/adaptive.py)
        state = AdaptiveStep(s.optimizer, rates, p.dims, **adaptive_settings(s))
        theta = theta0.copy()
        for i in range(iterations):
            g = p.gradient(theta, **shape)
            if noise is not None:
                g = g + noise[i]
            values = state.step(i, g, theta)
            theta = values[-1]
            for name, value in zip(names, (g, *values), strict=True):
                out[name][i] = value
        return out
    correct = s.optimizer in ADAM_FAMILY and s.bias_correction
    bc1 = bias_correction(s.beta1, iterations) if correct else None
    bc2 = bias_correction(s.beta2, iterations) if correct else None
    coupled = 0.0 if s.optimizer == "adamw" else s.weight_decay
    decoupled = s.weight_decay if s.optimizer == "adamw" else 0.0
    denominator = s.optimizer not in ("sgd", "momentum")
    m, v, v_max = np.zeros(p.dims), np.zeros(p.dims), np.zeros(p.dims)
    theta, moved = theta0.copy(), np.zeros(p.dims)
    for i in range(iterations):
        g = p.gradient(theta, **shape)
        if noise is not None:
            g = g + noise[i]
        grad = g + coupled * theta if coupled else g
        if s.optimizer == "momentum":
            m = s.momentum * m + grad
        elif s.optimizer in ADAM_FAMILY:
            m = s.beta1 * m + (1.0 - s.beta1) * grad
        else:
            m = grad
        m_hat, v_hat, sqrt_v_hat, scale = m, np.zeros(p.dims), np.zeros(p.dims), m
        if denominator:
            v = s.beta2 * v + (1.0 - s.beta2) * (grad * grad)
            v_max = np.maximum(v_max, v)
            used = v_max if s.optimizer == "amsgrad" else v
            m_hat = m / bc1[i] if correct else m
            v_hat = used / bc2[i] if correct else used
            sqrt_v_hat = np.sqrt(used) / math.sqrt(bc2[i]) if correct else np.sqrt(used)
            scale = m_hat / (sqrt_v_hat + s.eps)
        previous, lr = theta, rates[i]
        shrink = 1.0 - lr * decoupled
        if decoupled:  # (even where lr_t·w rounds away: 1 − lr_t·w may be 1 for a step, not for all)
            theta = shrink * theta - lr * scale
            step = previous - theta
        elif coupled:
            step = lr * scale
            theta = theta - step
        else:
            step = lr * scale
            moved = moved + step
            theta = theta0 - moved
        for name, value in zip(names, (g, m, v, m_hat, v_hat, sqrt_v_hat, scale, step, theta), strict=True):
            out[name][i] = value
    return out
