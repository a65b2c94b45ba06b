"""Optimizers stepped over a whole gradient stream, matching ``torch.optim`` step for step.

Adam (Kingma & Ba, 2015), for t = 1, 2, ... from ``m_0 = v_0 = 0``::

    m_t     = beta1 * m_{t-1} + (1 - beta1) * g_t            first moment (a moving mean)
    v_t     = beta2 * v_{t-1} + (1 - beta2) * g_t**2         second moment (a moving mean square)
    m_hat_t = m_t / (1 - beta1**t)                           undo the pull toward the zero start
    sqrt_v_hat_t = sqrt(v_t) / sqrt(1 - beta2**t)
    scale_t = m_hat_t / (sqrt_v_hat_t + eps)                 eps outside the root, as torch does
    theta_t = theta_{t-1} - lr_t * scale_t                   lr_t = lr * f_t, f from the schedule

The others, as ``torch.optim`` computes them (``w`` = weight decay, ``mu`` = momentum)::

    sgd       theta -= lr * g                                    SGD(lr)
    momentum  b_t = mu * b_{t-1} + g_t; theta -= lr * b_t        SGD(lr, momentum=mu)
    rmsprop   v_t as above with beta2; theta -= lr * g / (sqrt(v_t) + eps)    RMSprop(lr, alpha=beta2)
    amsgrad   Adam with sqrt_v_hat from max(v_1..v_t)            Adam(..., amsgrad=True)
    adamw     theta *= 1 - lr * w, then the Adam step            AdamW(lr, betas, eps, w)

Every ``lr`` above is the step's own ``lr_t`` under a schedule (:mod:`.schedules`; constant by
default). For every optimizer but adamw, ``weight_decay`` couples into the gradient (``g + w * theta``) as in
torch; that makes each step depend on the last, so those runs take the step-by-step path. All other
runs are solved whole-array at once (see :mod:`.recurrence`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adaptive import ADAPTIVE, adaptive_settings, step_adaptive
from .precision import check_precision, step_in_precision
from .recurrence import bias_correction, exponential_moving_average, linear_recurrence
from .schedules import check_schedule, is_constant, learning_rates
from .streams import ITERATIONS_MAX
from .switch import sgd_rate, sgd_steps
from .trajectory import Trajectory
from .validation import check_int, check_non_negative, check_positive, check_range, rejection
from .wide import WIDE, simulate_wide

OPTIMIZERS: dict[str, str] = {
    "sgd": "torch.optim.SGD(lr)",
    "momentum": "torch.optim.SGD(lr, momentum)",
    "rmsprop": "torch.optim.RMSprop(lr, alpha=beta2, eps)",
    "adam": "torch.optim.Adam(lr, (beta1, beta2), eps, weight_decay)",
    "amsgrad": "torch.optim.Adam(lr, (beta1, beta2), eps, weight_decay, amsgrad=True)",
    "adamw": "torch.optim.AdamW(lr, (beta1, beta2), eps, weight_decay)",
    "radam": "torch.optim.RAdam(lr, (beta1, beta2), eps, weight_decay, decoupled_weight_decay)",
    "nadam": "torch.optim.NAdam(lr, (beta1, beta2), eps, weight_decay, decoupled_weight_decay=...)",
    "adamax": "torch.optim.Adamax(lr, (beta1, beta2), eps, weight_decay)",
    "adagrad": "torch.optim.Adagrad(lr, lr_decay, weight_decay, initial_accumulator_value, eps)",
    "adafactor": "torch.optim.Adafactor(lr, weight_decay=weight_decay), each parameter its own tensor",
}
"""Optimizer names and the torch.optim call each one equals."""

ADAM_FAMILY = frozenset({"adam", "amsgrad", "adamw"})
"""The optimizers with a bias-corrected first moment; ``bias_correction`` applies to these."""

SECOND_MOMENT = frozenset({"rmsprop", *ADAM_FAMILY, *ADAPTIVE})
"""The optimizers that keep v, a moving mean of g², and divide by √v (+ ε): the others have no √v̂."""


REQUIREMENTS = {
    "lr": "a number > 0",
    "beta1": "a number in [0, 1)",
    "beta2": "a number in [0, 1)",
    "eps": "a number > 0",
    "weight_decay": "a number >= 0",
    "momentum": "a number in [0, 1)",
    "theta0": "a number in [-1e+300, 1e+300]",
    "warmup": "an integer in [0, 1000000]",
    "min_lr": "a number in [0, 1]",
    "lr_decay": "a number >= 0",
    "initial_accumulator_value": "a number >= 0",
    "switch_at": "an integer in [0, 1000000]",
    "switch_lr": "a number >= 0",
}
"""What each numeric setting of :class:`Settings` must be, in the words of the ValueError refusing it
(the CLI's help reads them from here; tests/test_validation.py checks them against the checks)."""


@dataclass(frozen=True)
class Settings:
    """Validated hyperparameters (see :func:`simulate` for their meaning and ranges)."""

    optimizer: str = "adam"
    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.9
    bias_correction: bool = True
    theta0: float = 0.0
    schedule: str = "constant"
    warmup: int = 0
    min_lr: float = 0.0
    decoupled_weight_decay: bool = False
    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}")
        check_positive("lr", self.lr)
        check_range("beta1", self.beta1, 0.0, 1.0, high_open=True)
        check_range("beta2", self.beta2, 0.0, 1.0, high_open=True)
        check_positive("eps", self.eps)
        check_non_negative("weight_decay", self.weight_decay)
        check_range("momentum", self.momentum, 0.0, 1.0, high_open=True)
        check_range("theta0", self.theta0, -1e300, 1e300)
        if not isinstance(self.bias_correction, (bool, np.bool_)):
            raise ValueError(f"bias_correction must be True or False; got {self.bias_correction!r}")
        check_schedule(self.schedule, self.warmup, self.min_lr)
        if not isinstance(self.decoupled_weight_decay, (bool, np.bool_)):
            raise ValueError(
                f"decoupled_weight_decay must be True or False; got {self.decoupled_weight_decay!r}"
            )
        check_non_negative("lr_decay", self.lr_decay)
        check_non_negative("initial_accumulator_value", self.initial_accumulator_value)

    @property
    def scheduled(self) -> bool:
        """Whether the learning rate changes from step to step (a warmup or a decay)."""
        return not is_constant(self.schedule, self.warmup)

    def rates(self, iterations: int) -> np.ndarray:
        """``lr_t`` for t = 1..iterations (see :mod:`.schedules`)."""
        return learning_rates(self.lr, iterations, self.schedule, self.warmup, self.min_lr)


def checked_gradients(gradients: object) -> np.ndarray:
    """The gradients as a float64 array of shape (iterations,) or (iterations, n_params)."""
    try:
        g = np.asarray(gradients, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"gradients must be numeric; {error}") from None
    if g.ndim not in (1, 2):
        raise ValueError(f"gradients must have shape (iterations,) or (iterations, n_params); got {g.shape}")
    if not 1 <= g.shape[0] <= ITERATIONS_MAX:
        raise ValueError(rejection("iterations", g.shape[0], f"an integer in [1, {ITERATIONS_MAX}]"))
    if g.ndim == 2 and g.shape[1] == 0:
        raise ValueError("gradients must have at least one parameter column; got 0")
    if not np.isfinite(np.sum(g)):  # cheap; a sum can overflow, so look closer before refusing
        bad = np.flatnonzero(~np.isfinite(g.reshape(g.shape[0], -1)).all(axis=1))
        if bad.size:
            raise ValueError(f"gradients must be finite; step t={bad[0] + 1} holds {g[bad[0]]!r}")
    g = g.copy()
    g.flags.writeable = False
    return g


def _denominator_outputs(
    s: Settings, m: np.ndarray, v: np.ndarray, bc1: np.ndarray | float, bc2: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(m_hat, v_hat, sqrt_v_hat, scale)`` from the moment states (``v`` already max-ed for amsgrad)."""
    if s.optimizer not in SECOND_MOMENT:
        zeros = np.zeros_like(m)
        return m, zeros, zeros, m
    corrected = s.optimizer in ADAM_FAMILY and s.bias_correction
    m_hat = m / bc1 if corrected else m
    v_hat = v / bc2 if corrected else v
    sqrt_v_hat = np.sqrt(v)
    if corrected:
        sqrt_v_hat /= np.sqrt(bc2)
    denominator = sqrt_v_hat + s.eps
    return m_hat, v_hat, sqrt_v_hat, np.divide(m_hat, denominator, out=denominator)


def _corrections(s: Settings, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-step bias corrections ``(1 - beta1**t, 1 - beta2**t)``, or ones where none applies."""
    if s.optimizer in ADAM_FAMILY and s.bias_correction:
        return bias_correction(s.beta1, iterations), bias_correction(s.beta2, iterations)
    ones = np.ones(iterations)
    return ones, ones


def _simulate_whole(g: np.ndarray, s: Settings, rates: np.ndarray) -> Trajectory:
    """All steps at once; valid when no gradient depends on theta (no coupled weight decay, and no
    decoupled decay under a schedule: its shrink 1 − lr_t·w changes every step).

    Works on rows ``(n_params, iterations)`` so that every scan runs along contiguous memory.
    """
    if g.ndim == 2 and g.shape[1] >= WIDE:  # many columns: time-major blocks (see .wide)
        bc1, bc2 = _corrections(s, g.shape[0])
        return Trajectory(g, **simulate_wide(g, s, bc1, bc2, rates), lr=rates)
    rows = np.ascontiguousarray(g.T) if g.ndim == 2 else g[np.newaxis, :]
    if s.optimizer == "sgd":
        m, v = rows, np.zeros_like(rows)
    elif s.optimizer == "momentum":
        m, v = linear_recurrence(s.momentum, rows), np.zeros_like(rows)
    elif s.optimizer == "rmsprop":
        m, v = rows, exponential_moving_average(rows * rows, s.beta2)
    else:
        m = exponential_moving_average(rows, s.beta1)
        v = exponential_moving_average(rows * rows, s.beta2, overwrite=True)
    v_denominator = np.maximum.accumulate(v, axis=-1) if s.optimizer == "amsgrad" else v
    bc1, bc2 = _corrections(s, rows.shape[-1])
    m_hat, v_hat, sqrt_v_hat, scale = _denominator_outputs(s, m, v_denominator, bc1, bc2)
    if s.optimizer == "adamw" and s.weight_decay > 0:
        theta = linear_recurrence(1.0 - s.lr * s.weight_decay, -s.lr * scale, s.theta0)
        previous = np.concatenate([np.full_like(theta[:, :1], s.theta0), theta[:, :-1]], axis=-1)
        step = previous - theta
    else:
        step = rates * scale
        theta = np.cumsum(step, axis=-1)
        np.subtract(s.theta0, theta, out=theta)

    def as_given(array: np.ndarray) -> np.ndarray:
        return array.T if g.ndim == 2 else array[0]

    return Trajectory(g, *map(as_given, (m, v, m_hat, v_hat, sqrt_v_hat, scale, step, theta)), lr=rates)


def _simulate_stepwise(g: np.ndarray, s: Settings, rates: np.ndarray) -> Trajectory:
    """One step at a time (vectorised over parameter columns), for coupled weight decay and for
    adamw's decoupled decay under a schedule."""
    columns = g.reshape(g.shape[0], -1)
    out = {
        name: np.empty_like(columns)
        for name in ("m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
    }
    bc1, bc2 = _corrections(s, g.shape[0])
    theta = np.full_like(columns[0], s.theta0)
    m, v, v_max = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    coupled = 0.0 if s.optimizer == "adamw" else s.weight_decay
    for i, gradient in enumerate(columns):
        grad = gradient + coupled * theta
        if s.optimizer in ("sgd", "rmsprop"):
            m = grad
        elif s.optimizer == "momentum":
            m = s.momentum * m + grad
        else:
            m = s.beta1 * m + (1.0 - s.beta1) * grad
        if s.optimizer not in ("sgd", "momentum"):
            v = s.beta2 * v + (1.0 - s.beta2) * grad * grad
        v_max = np.maximum(v_max, v)
        denominator_v = v_max if s.optimizer == "amsgrad" else v
        m_hat, v_hat, sqrt_v_hat, scale = _denominator_outputs(s, m, denominator_v, bc1[i], bc2[i])
        if s.optimizer == "adamw":
            new_theta = (1.0 - rates[i] * s.weight_decay) * theta - rates[i] * scale
            step, theta = theta - new_theta, new_theta
        else:
            step = rates[i] * scale
            theta = theta - step
        for name, value in zip(out, (m, v, m_hat, v_hat, sqrt_v_hat, scale, step, theta), strict=True):
            out[name][i] = value
    return Trajectory(g=g, **{name: array.reshape(g.shape) for name, array in out.items()}, lr=rates)


def simulate(
    gradients: object,
    *,
    optimizer: str = "adam",
    lr: float | np.ndarray = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.9,
    bias_correction: bool = True,
    theta0: float = 0.0,
    schedule: str = "constant",
    warmup: int = 0,
    min_lr: float = 0.0,
    decoupled_weight_decay: bool = False,
    lr_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    switch_at: int = 0,
    switch_lr: float = 0.0,
    precision: str = "float64",
) -> Trajectory:
    """Step ``optimizer`` over ``gradients`` (shape (T,) or (T, n_params)) from ``theta0``.

    Args:
        optimizer: one of :data:`OPTIMIZERS`.
        lr: learning rate, finite and > 0 — or one rate per step (>= 0 each), e.g. a recorded run's
            ``RecordedGroup.lr``, used as they are (then ``schedule`` stays constant).
        beta1, beta2: moving-average decay of the first and second moment, in [0, 1).
            rmsprop uses ``beta2`` as torch's ``alpha``.
        eps: added to ``sqrt_v_hat`` in the denominator, finite and > 0.
        weight_decay: >= 0; decoupled for adamw, added to the gradient for the others.
        momentum: the velocity decay of ``momentum``, in [0, 1).
        bias_correction: divide the Adam family's moments by ``1 - beta**t`` (torch always does).
        theta0: the parameter's starting value.
        schedule: how lr changes from step to step — ``constant``, ``cosine``, ``linear`` or ``step``
            (:data:`adamviz.sim.SCHEDULES`); step t uses ``lr_t = lr · f_t`` (``Trajectory.lr``).
        warmup: steps of linear warmup first (f_t = t/warmup), an integer >= 0.
        min_lr: where the decay ends, as a fraction of lr, in [0, 1].
        decoupled_weight_decay: radam and nadam decay θ as adamw does (torch's keyword).
        lr_decay, initial_accumulator_value: adagrad's (torch's keywords), each >= 0.
        switch_at: from step switch_at + 1 on, SGD with momentum (a fresh buffer) takes over from
            the optimizer (:mod:`.switch`); 0, the default, never switches.
        switch_lr: SGD's learning rate after the switch (> 0), or 0 for the rule that matches the
            optimizer's mean |step| over the last steps before it.
        precision: the format the parameter, its gradient and the optimizer's state are held in —
            ``float64`` (the default), or ``float32``, ``bfloat16``, ``float16`` rounded as torch rounds
            them on the CPU (:mod:`.precision`; every optimizer, but no switch).

    Raises:
        ValueError: naming the parameter, its value and the allowed range.
    """
    g = checked_gradients(gradients)
    check_int("switch_at", switch_at, 0, ITERATIONS_MAX)
    check_non_negative("switch_lr", switch_lr)
    check_precision(precision, optimizer, switch_at, g.shape[0])
    if 0 < switch_at < g.shape[0]:
        return _switched(
            g,
            switch_at,
            switch_lr,
            optimizer=optimizer,
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            bias_correction=bias_correction,
            theta0=theta0,
            schedule=schedule,
            warmup=warmup,
            min_lr=min_lr,
            decoupled_weight_decay=decoupled_weight_decay,
            lr_decay=lr_decay,
            initial_accumulator_value=initial_accumulator_value,
        )
    given = _given_rates(lr, g.shape[0], schedule, warmup) if np.ndim(lr) else None
    settings = Settings(
        optimizer,
        1.0 if given is not None else lr,  # (given: checked one by one; the steps take them)
        beta1,
        beta2,
        eps,
        weight_decay,
        momentum,
        bias_correction,
        theta0,
        schedule,
        warmup,
        min_lr,
        decoupled_weight_decay,
        lr_decay,
        initial_accumulator_value,
    )
    rates = given if given is not None else settings.rates(g.shape[0])
    rates.flags.writeable = False
    if precision != "float64":
        return _simulate_in_precision(g, settings, rates, precision)
    if settings.optimizer in ADAPTIVE:
        return _simulate_adaptive(g, settings, rates)
    varying = settings.scheduled or given is not None
    if settings.weight_decay > 0 and (settings.optimizer != "adamw" or varying):
        return _simulate_stepwise(g, settings, rates)
    return _simulate_whole(g, settings, rates)


def _switched(g: np.ndarray, switch_at: int, switch_lr: float, **settings) -> Trajectory:
    """The optimizer for ``switch_at`` steps, then SGD with momentum (see :mod:`.switch`)."""
    iterations = g.shape[0]
    lr = settings["lr"]
    if np.ndim(lr):  # one rate per step: the first part takes its share, the factor is lr_t / lr_1
        rates = _given_rates(lr, iterations, settings["schedule"], settings["warmup"])
        factors = rates / rates[0] if rates[0] > 0 else np.ones(iterations)
        base = float(rates[0])
    else:
        base = float(lr)
        rates = learning_rates(base, iterations, settings["schedule"], settings["warmup"], settings["min_lr"])
        factors = learning_rates(
            1.0, iterations, settings["schedule"], settings["warmup"], settings["min_lr"]
        )
    first = simulate(
        g[:switch_at], **{**settings, "lr": rates[:switch_at], "schedule": "constant", "warmup": 0}
    )
    momentum = settings["momentum"]
    rate = sgd_rate(first.step, g[:switch_at], float(factors[switch_at]), switch_lr, base, momentum)
    tail_rates = rate * factors[switch_at:]
    columns = g.reshape(iterations, -1)
    theta = np.asarray(first.theta).reshape(switch_at, -1)[-1]
    decay = settings["weight_decay"]
    later = columns[switch_at:]
    tail = sgd_steps(lambda i, _: later[i], tail_rates, theta.copy(), momentum, decay)
    head = first.as_dict()
    joined = {
        key: np.concatenate([np.asarray(head[key]).reshape(switch_at, -1), tail[key]]).reshape(g.shape)
        for key in tail
        if key != "g"
    }
    all_rates = np.concatenate([rates[:switch_at], tail_rates])
    all_rates.flags.writeable = False
    return Trajectory(g=g, **joined, lr=all_rates)


def _simulate_in_precision(g: np.ndarray, s: Settings, rates: np.ndarray, precision: str) -> Trajectory:
    """Every value held in ``precision`` and rounded as torch rounds it (see :mod:`.precision`)."""
    out = step_in_precision(g.reshape(g.shape[0], -1), precision, s, rates)
    return Trajectory(g=g, **{name: array.reshape(g.shape) for name, array in out.items()}, lr=rates)


def _simulate_adaptive(g: np.ndarray, s: Settings, rates: np.ndarray) -> Trajectory:
    """radam, nadam, adamax and adagrad (see :mod:`.adaptive`), one step at a time."""
    columns = g.reshape(g.shape[0], -1)
    out = step_adaptive(columns, s.optimizer, rates, theta0=s.theta0, **adaptive_settings(s))
    return Trajectory(g=g, **{name: array.reshape(g.shape) for name, array in out.items()}, lr=rates)


def _given_rates(lr: object, iterations: int, schedule: str, warmup: int) -> np.ndarray:
    """``lr`` given as one rate per step (a recorded run's lr_t): a float64 copy, checked."""
    try:
        rates = np.array(lr, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(rejection("lr", lr, "a number > 0, or one number >= 0 per step")) from None
    if rates.shape != (iterations,):
        raise ValueError(f"lr must be one number or one per step ({iterations}); got shape {rates.shape}")
    bad = np.flatnonzero(~(np.isfinite(rates) & (rates >= 0)))
    if bad.size:
        raise ValueError(
            f"lr must be finite and >= 0 at every step; step t={bad[0] + 1} holds {rates[bad[0]]!r}"
        )
    if not is_constant(schedule, warmup):
        raise ValueError(
            "lr given per step is the schedule itself: leave schedule and warmup at their defaults"
        )
    return rates
