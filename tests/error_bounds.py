"""Rounding-error bounds that the numeric tests take their tolerances from.

Two float64 evaluations of one formula in different orders (torch's loop, adamviz's whole-array
scan, the plain reference loop) each differ from exact arithmetic by a bounded amount, so they differ
from each other by at most the sum. ``U = 2**-53`` is float64's unit roundoff: one correctly rounded
operation (+, −, ×, ÷, √) is off by at most ``U`` relative.

**A moving average** ``a_t = d·a_{t−1} + w·x_t`` is ``Σ_k d^(t−k)·w·x_k``. However it is evaluated,
each term passes through a bounded number of roundings: a loop multiplies the term by ``d`` once per
later step (≤ 2t + 2 roundings at step t); the scan of :mod:`adamviz.sim.recurrence` adds one multiply and one
add per pass (2⌈log₂T⌉ + 2) and uses coefficients ``d^(2^k)`` built by squaring (≤ t roundings for
the terms of ``a_t``). So each evaluation is within ``(2t + 2⌈log₂T⌉ + 4)·U`` of the exact sum, *relative to the same
average of |x|* (``Σ_k d^(t−k)·w·|x_k|``) — not to ``|a_t|``, which may cancel to zero.

**Bias correction** ``1 − β^t``: where ``β^t ≥ ½`` every side calls the C library's ``pow`` (torch
and the reference loop through Python's ``**``, adamviz through ``math.pow``) and the results are
bit-equal (against exact arithmetic, or another library's ``pow``, see ``power_ulps``); after that adamviz builds the power by doubling (≤ ⌈log₂T⌉ + 1 ulp) and ``1 − β^t ≥ ½``,
so the two differ by at most ``(2⌈log₂T⌉ + 4)·U`` relative.

:func:`trajectory_bounds` propagates these to first order through every optimizer's step, the
running sum θ and, with coupled weight decay, the feedback of an error in θ into the next gradient.
"""

from __future__ import annotations

import math

import numpy as np

from adamviz.sim import Settings
from adamviz.sim.adaptive import ADAPTIVE
from adamviz.sim.recurrence import NEGLIGIBLE_DECAY

U = 2.0**-53

TINY = 2.0**-1074
"""The smallest subnormal double: a result below 2⁻¹⁰²² rounds to a multiple of it, so besides its
relative U each rounding may be off by up to TINY/2 — where squares of gradients under 1e-154 land
(hypothesis found g = 1.5e-159), U alone does not hold; each moment's three roundings a step add TINY
on both sides together (3·TINY, with room)."""
"""Unit roundoff of float64."""


def moving_average_rtol(t: int, iterations: int) -> float:
    """How far two evaluations of a moving average may differ at step t of T, relative to the average of |x|."""
    passes = math.ceil(math.log2(iterations)) if iterations > 1 else 0
    return 2 * (2 * t + 2 * passes + 4) * U


def correction_rtol(iterations: int) -> float:
    """How far two evaluations of ``1 − β^t`` (t ≤ T) may differ, relative (see the module docstring)."""
    passes = math.ceil(math.log2(iterations)) if iterations > 1 else 0
    return (2 * passes + 4) * U


def trajectory_bounds(
    g: np.ndarray,
    theta: np.ndarray,
    *,
    power_ulps: float = 0.0,
    rate_rtol: float = 0.0,
    rates: np.ndarray | None = None,
    **settings: object,
) -> dict[str, np.ndarray]:
    """Absolute bounds on how far two evaluations of ``simulate(g, ...)`` may differ, per element.

    ``theta`` is either evaluation's θ (its magnitudes enter the bounds). ``power_ulps``: how many
    ulps the two sides' ``β^t`` may differ by where both call a ``pow`` — 0 when both use the C
    library's (torch, the reference loop, adamviz), 1 against exact arithmetic (``pow`` is within an
    ulp), 2 between two different libraries' ``pow`` (the browser's and the C library's); an ulp of
    ``β^t`` is at most ``2U·β^t``, so ``1 − β^t`` moves by ``2U·β^t/(1 − β^t)`` relative per ulp. Returns arrays shaped like
    ``g`` for ``m, v, m_hat, sqrt_v_hat, scale, step, theta``. ``rate_rtol``: how far, relative,
    the two sides' learning rates ``lr_t`` may differ (0 when both take them from
    ``adamviz.sim.schedules``, as torch's LambdaLR does through ``torch_lambda``); ``rates``: the
    rates themselves where ``simulate`` was given them (a recorded run's), in place of the schedule's. First order in U: products of two
    error terms (≈ U², 1e-32 relative) are left out. ``settings`` are ``simulate``'s keywords, with its
    defaults (``adamviz.sim.Settings``).
    """
    switch_at, switch_lr = int(settings.pop("switch_at", 0)), settings.pop("switch_lr", 0.0)
    g = np.asarray(g, dtype=np.float64)
    if 0 < switch_at < len(g):
        return _switched_bounds(g, theta, switch_at, switch_lr, power_ulps, rate_rtol, rates, settings)
    s = Settings(**settings)
    if s.optimizer == "adafactor":
        from adamviz.sim import simulate

        traj = simulate(g, **{**settings, **({"lr": rates} if rates is not None else {})})
        return adafactor_bounds(g, traj, s.weight_decay, rate_rtol)
    if s.optimizer in ADAPTIVE:
        from adamviz.sim import simulate

        traj = simulate(g, **{**settings, **({"lr": rates} if rates is not None else {})})
        effective = traj.lr / (1 + np.arange(len(traj.lr)) * s.lr_decay)  # adagrad's lr_decay (0 elsewhere)
        decoupled = s.decoupled_weight_decay and s.weight_decay > 0
        shrink = 1 - traj.lr * s.weight_decay if decoupled else None
        coupled = 0.0 if s.decoupled_weight_decay else s.weight_decay
        return adaptive_bounds(
            g,
            traj,
            s.optimizer,
            effective,
            s.beta1,
            s.beta2,
            power_ulps,
            rate_rtol,
            shrink,
            coupled,
            s.eps,
            theta0=s.theta0,
        )
    optimizer, beta1, beta2, eps = s.optimizer, s.beta1, s.beta2, s.eps
    weight_decay, momentum, bias_correction, theta0 = s.weight_decay, s.momentum, s.bias_correction, s.theta0
    g = np.asarray(g, dtype=np.float64).reshape(len(g), -1)
    theta = np.asarray(theta, dtype=np.float64).reshape(g.shape)
    iterations = g.shape[0]
    cc = correction_rtol(iterations)
    adam_family = optimizer in ("adam", "amsgrad", "adamw")
    corrected = adam_family and bias_correction
    coupled = weight_decay if optimizer != "adamw" else 0.0
    rates = s.rates(iterations) if rates is None else np.asarray(rates, dtype=np.float64)

    out = {key: np.zeros_like(g) for key in ("m", "v", "m_hat", "sqrt_v_hat", "scale", "step", "theta")}
    zeros = np.zeros(g.shape[1])
    # The scan stops once decay**s < 2**-64 (NEGLIGIBLE_DECAY): what it drops is below that share of
    # the largest gradient (or its square) in the column.
    largest = np.max(np.abs(g), axis=0) + abs(coupled) * (np.max(np.abs(theta), axis=0) + abs(theta0))
    dropped_m, dropped_v = NEGLIGIBLE_DECAY * largest, NEGLIGIBLE_DECAY * largest**2
    m = v = v_max = zeros
    avg_abs = propagated_m = propagated_v = v_bound_max = zeros
    theta_scale = np.full(g.shape[1], abs(theta0))  # the average of |terms| θ is a sum of
    theta_error = propagated_theta = zeros
    previous = np.full(g.shape[1], float(theta0))
    for i in range(iterations):
        t = i + 1
        lr = rates[i]
        theta_decay = 1.0 - lr * weight_decay if optimizer == "adamw" else 1.0
        ma = moving_average_rtol(t, iterations)
        grad = g[i] + coupled * previous
        grad_error = coupled * theta_error + U * abs(grad)  # the coupled add rounds once
        if optimizer in ("sgd", "rmsprop"):
            m, m_error = grad, grad_error
        elif optimizer == "momentum":
            m = momentum * m + grad
            avg_abs = momentum * avg_abs + abs(grad)
            propagated_m = momentum * propagated_m + grad_error + TINY
            m_error = ma * avg_abs + propagated_m + dropped_m
        else:
            m = beta1 * m + (1 - beta1) * grad
            avg_abs = beta1 * avg_abs + (1 - beta1) * abs(grad)
            propagated_m = beta1 * propagated_m + (1 - beta1) * grad_error + 3 * TINY
            m_error = ma * avg_abs + propagated_m + dropped_m
        if optimizer in ("sgd", "momentum"):
            v_error = zeros
            m_hat, m_hat_error = m, m_error
            sqrt_v_hat = sqrt_v_hat_error = zeros
            scale, scale_error = m, m_error
        else:
            v = beta2 * v + (1 - beta2) * grad * grad
            propagated_v = beta2 * propagated_v + (1 - beta2) * 2 * abs(grad) * grad_error + 3 * TINY
            v_error = ma * v + propagated_v + dropped_v
            v_max, v_bound_max = np.maximum(v_max, v), np.maximum(v_bound_max, v_error)
            v_used, v_used_error = (v_max, v_bound_max) if optimizer == "amsgrad" else (v, v_error)
            bc1 = 1 - beta1**t if corrected else 1.0
            bc2 = 1 - beta2**t if corrected else 1.0
            c = cc + power_ulps * 2 * U * max(beta1**t / bc1, beta2**t / bc2) if corrected else 0.0
            m_hat = m / bc1
            m_hat_error = (m_error + c * abs(m)) / bc1 + U * abs(m_hat)
            sqrt_v_hat = np.sqrt(v_used / bc2)
            # sqrt(a + b) - sqrt(a) = b / (sqrt(a + b) + sqrt(a)) <= min(b / (2 sqrt(a)), sqrt(b))
            root = np.sqrt(v_used)
            with np.errstate(divide="ignore", invalid="ignore"):
                root_error = np.where(root > 0, v_used_error / (2 * root), np.inf)
            root_error = np.minimum(root_error, np.sqrt(v_used_error))
            sqrt_v_hat_error = sqrt_v_hat * (c / 2 + 3 * U) + root_error / np.sqrt(bc2)
            scale = m_hat / (sqrt_v_hat + eps)
            scale_error = (m_hat_error + abs(scale) * sqrt_v_hat_error) / (sqrt_v_hat + eps) + 3 * U * abs(
                scale
            )
        # θ_t = d·θ_{t−1} − lr·scale_t: rounding of the running sum, plus what flows in from the scale
        theta_scale = theta_decay * theta_scale + lr * abs(scale)
        # (+ the two sides' lr_t apart by rate_rtol: the page's cos may differ from C's by an ulp)
        propagated_theta = (
            theta_decay * propagated_theta + lr * scale_error + (4 * U + rate_rtol) * lr * abs(scale)
        )
        new_theta_error = ma * theta_scale + propagated_theta
        out["step"][i] = theta_error + new_theta_error  # step = θ_{t−1} − θ_t
        theta_error = new_theta_error
        previous = theta[i]
        for key, value in (
            ("m", m_error),
            ("v", v_error),
            ("m_hat", m_hat_error),
            ("sqrt_v_hat", sqrt_v_hat_error),
            ("scale", scale_error),
            ("theta", theta_error),
        ):
            out[key][i] = value
    return out


def _switched_bounds(g, theta, switch_at, switch_lr, power_ulps, rate_rtol, rates, settings) -> dict:
    """Adam, then SGD (adamviz.sim.switch): the optimizer's bounds up to the switch, then momentum
    SGD's from θ at the switch, whose error carries on (first order: a coupled decay only shrinks it);
    where the SGD rate comes from the rule, each side forms it from its own steps, so the rates may
    differ by the window's relative step error (+ 4U for the rule's own roundings)."""
    from adamviz.sim import simulate
    from adamviz.sim.switch import SWITCH_WINDOW

    lr = settings.get("lr", 0.01) if rates is None else rates
    traj = simulate(g, **{**settings, "lr": lr, "switch_at": switch_at, "switch_lr": switch_lr})
    theta = np.asarray(theta, dtype=np.float64).reshape(len(g), -1)
    head_settings = {k: v for k, v in settings.items() if k not in ("schedule", "warmup", "min_lr", "lr")}
    head = trajectory_bounds(
        g[:switch_at],
        theta[:switch_at],
        power_ulps=power_ulps,
        rate_rtol=rate_rtol,
        rates=traj.lr[:switch_at],
        **head_settings,
    )
    tail_rtol = rate_rtol
    if not switch_lr:
        window = slice(max(0, switch_at - SWITCH_WINDOW), switch_at)
        steps = np.abs(np.asarray(traj.step).reshape(len(g), -1)[window])
        tail_rtol += float(head["step"][window].sum() / max(steps.sum(), np.finfo(float).tiny)) + 4 * U
    tail_settings = {
        "optimizer": "momentum",
        "momentum": settings.get("momentum", 0.9),
        "weight_decay": settings.get("weight_decay", 0.0),
    }
    carried = head["theta"][-1]
    out = {}
    for column in range(theta.shape[1]):
        tail = trajectory_bounds(
            g.reshape(len(g), -1)[switch_at:, column],
            theta[switch_at:, column],
            rate_rtol=tail_rtol,
            rates=traj.lr[switch_at:],
            theta0=float(theta[switch_at - 1, column]),
            **tail_settings,
        )
        for key, value in tail.items():
            out.setdefault(key, []).append(value[:, 0] + (carried[column] if key == "theta" else 0.0))
    return {key: np.concatenate([head[key], np.stack(values, axis=1)]) for key, values in out.items()}


U32 = 2.0**-24
"""Unit roundoff of float32."""


def bias_corrected_bounds(
    steps: np.ndarray, m_hat: np.ndarray, sqrt_v_hat: np.ndarray, beta1: float, beta2: float
):
    """How far two float64 evaluations of ``m̂ = m/(1 − β₁^t)`` and ``√v̂ = √v/√(1 − β₂^t)`` from the same
    stored m and v may differ when each side takes ``β^t`` from its own ``pow`` (JavaScript's
    ``Math.pow`` and C's): each ``pow`` is within 1 ulp (≤ 2⁻⁵² relative) of ``β^t``, so the two differ
    by ≤ 2·2⁻⁵²·β^t; ``1 − β^t`` passes that on magnified by β^t/(1 − β^t) (9 at t = 1 for β₁ = 0.9,
    999 for β₂ = 0.999), plus each side's own rounding of the subtraction, the square root and the
    division (≤ 2⁻⁵³ each). Returned: per-element absolute bounds (first order, with 1% to spare)."""
    t = np.asarray(steps, dtype=float)
    rel = {}
    for name, beta in (("m_hat", beta1), ("sqrt_v_hat", beta2)):
        power = np.power(float(beta), t)
        magnified = 2 * 2.0**-52 * power / (1 - power)
        # 1 − β^t: both sides round it (2U); √ halves the error it takes in and rounds (2U); ÷ (2U)
        rel[name] = magnified + 4 * U if name == "m_hat" else magnified / 2 + 6 * U
    return 1.01 * rel["m_hat"] * np.abs(m_hat), 1.01 * rel["sqrt_v_hat"] * np.abs(sqrt_v_hat)


def float32_adam_bounds(
    g: np.ndarray, m_hat: np.ndarray, sqrt_v_hat: np.ndarray, steps: np.ndarray, beta1: float, beta2: float
):
    """How far torch's float32 Adam moments (recorded every step from 1, read back as m̂ and √v̂) may be from the
    same recurrences in float64 on the same (float32) gradients g, as bounds on m̂ and √v̂.

    torch steps ``m ← m + w₁·(g − m)`` (``lerp_``, w₁ = 1 − β₁) and ``v ← β₂·v + w₂·g²`` (``mul_``,
    ``addcmul_``), every operand and result in float32, each operation within ``U32 = 2⁻²⁴`` relative
    and the scalars w₁, β₂, w₂ themselves rounded to float32. One step's new error is at most
    ``U32·(3·w₁·|g − m| + |m_new|)`` for m and ``U32·(2·β₂·v + 3·w₂·g² + v_new)`` for v; an earlier
    error is carried on multiplied by β (the recurrence contracts it). Summed, the error of v after
    t steps can reach ~t·U32 relative while t < 1/(1 − β₂) — 6·10⁻⁵ of v at t = 1,000 — which is
    why a fixed tolerance of 10⁻⁵ of the gradient scale held on one run's data and is no bound.
    Then m̂ = m/(1 − β₁^t), and √v̂ moves by at most min(Δv̂/√v̂, √Δv̂). First order, 1% to spare; the
    float64 side's own rounding (~10⁻¹⁵ relative) is far inside."""
    t = np.asarray(steps, dtype=float)
    assert np.array_equal(t, np.arange(1, len(t) + 1)), "the recurrence is bounded from step 1, every step"
    correction1, correction2 = 1 - np.power(beta1, t), 1 - np.power(beta2, t)
    g = np.asarray(g, dtype=float)
    m, v = (
        np.asarray(m_hat, dtype=float) * correction1,
        np.asarray(sqrt_v_hat, dtype=float) ** 2 * correction2,
    )
    w1, w2 = 1 - beta1, 1 - beta2
    error_m, error_v = np.zeros_like(m), np.zeros_like(v)
    carried_m = carried_v = 0.0
    previous_m = previous_v = 0.0
    for k in range(len(g)):
        carried_m = beta1 * carried_m + U32 * (3 * w1 * abs(g[k] - previous_m) + abs(m[k]))
        carried_v = beta2 * carried_v + U32 * (2 * beta2 * previous_v + 3 * w2 * g[k] ** 2 + v[k])
        error_m[k], error_v[k] = carried_m, carried_v
        previous_m, previous_v = m[k], v[k]
    bound_m_hat = error_m / correction1
    error_v_hat, v_hat = error_v / correction2, v / correction2
    relative = np.divide(error_v_hat, np.sqrt(v_hat), out=np.full_like(v_hat, np.inf), where=v_hat > 0)
    bound_sqrt = np.minimum(relative, np.sqrt(error_v_hat))
    return 1.01 * bound_m_hat, 1.01 * bound_sqrt


def assert_within(actual: np.ndarray, expected: np.ndarray, bound: np.ndarray, what: str = "") -> None:
    """Elementwise ``|actual − expected| <= bound`` (or bit-equal, where a bound overflowed to
    inf or NaN on a diverging run), naming the worst element when it fails."""
    actual = np.asarray(actual, dtype=float).reshape(np.shape(bound))
    expected = np.asarray(expected, dtype=float).reshape(np.shape(bound))
    with np.errstate(invalid="ignore"):
        error = np.abs(actual - expected)
        ok = (error <= bound) | (actual == expected)
    worst = np.unravel_index(np.argmax(np.where(ok, -np.inf, error)), error.shape)
    assert np.all(ok), (
        f"{what}: |{actual[worst]!r} - {expected[worst]!r}| = {error[worst]:.3g} > bound {bound[worst]:.3g} at {worst}"
    )


TRACE_KEYS = ("m_hat", "sqrt_v_hat", "scale", "step", "theta")


def rate_rtol(settings: dict) -> float:
    """How far, relative, the page's lr_t may be from adamviz.sim's (adamviz.sim.schedules): both form
    every factor with the same correctly rounded operations but the cosine's cos — C's and V8's each
    within an ulp of the exact value, so ≤ 2 ulps (2·2⁻⁵²) apart, which c² doubles, on the
    (1 − min_lr)·c² share of f; 2U more for the roundings that share passes through on either side."""
    return 4 * 2.0**-52 + 2 * U if settings.get("schedule") == "cosine" else 0.0


def assert_trace_matches(
    got: dict, g: np.ndarray, what: str = "", keys=TRACE_KEYS, **settings: object
) -> None:
    """A trace computed by the browser's engine (Node or a page) against ``simulate(g, **settings)``.

    The engine's ``β^t`` is correctly rounded, the C library's within an ulp: ``power_ulps=1`` in
    :func:`trajectory_bounds`. With coupled weight decay every error in θ feeds the next gradient and
    where ``lr·w/√v̂`` nears 1 the first-order bound (which adds those errors by magnitude, blind to
    their alternating signs) grows like 2ᵗ and stops being a bound; there the product's promise is
    checked instead: 1e-12 relative to the largest value so far (θ and the step: to θ's path length).
    """
    from adamviz.sim import simulate

    expected = simulate(g, **settings)
    precision = settings.pop("precision", "float64")
    if precision != "float64":  # the same roundings of the same operations (tests/test_precision.py)
        assert_same_rounding(got, expected, keys, what=f"{what} {precision} {settings}")
        return
    s = Settings(**{k: v for k, v in settings.items() if k not in ("switch_at", "switch_lr")})
    coupled = s.weight_decay > 0 and s.optimizer != "adamw"
    if not coupled:
        bounds = trajectory_bounds(g, expected.theta, power_ulps=1, rate_rtol=rate_rtol(settings), **settings)
    path_length = np.cumsum(np.abs(expected.step))
    for key in keys:
        if coupled:
            reference = (
                path_length
                if key in ("theta", "step")
                else np.maximum.accumulate(np.abs(getattr(expected, key)))
            )
            bound = 1e-12 * reference
        elif key == "v_hat":  # v̂ = (√v̂)², each side within its √v̂ bound b and a rounding of the square
            b, root = bounds["sqrt_v_hat"][:, 0], np.abs(expected.sqrt_v_hat)
            bound = 2 * root * b + b**2 + 4 * U * expected.v_hat
        else:
            bound = bounds[key][:, 0]
        assert_within(got[key], getattr(expected, key), bound, what=f"{what} {key} {settings}")


def float32_root_bounds(g: np.ndarray, run, optimizer: str, settings: dict) -> np.ndarray:
    """How far torch's float32 θ may be from adamviz.sim.precision's, per step, first order in 2⁻²⁴.

    The one difference: torch's float32 square root on the CPU is within an ulp of √v but not always
    the nearest float32. A root one ulp off (2⁻²³) moves the denominator d by ≤ 2⁻²² relative after
    its roundings, the step by ≤ 2⁻²¹ relative (radam and nadam: of each term's magnitude); each θ
    update then rounds on both sides (≤ 2 ulps of θ apart with a decoupled shrink). With coupled decay
    (g + w·θ) θ's difference Δθ feeds the gradient, w·Δθ plus the add's rounding, and on into m (an
    average of the gradient: β₁Δm + (1 − β₁)Δg) and v (β₂Δv + (1 − β₂)·2|g|Δg; adagrad's sum without
    decay), whose errors move the step by lr·Δm/((1 − β₁ᵗ)·d) and |step|·Δ√v̂/d, Δ√v̂ = Δv̂/(2√v̂)."""
    g = np.asarray(g, dtype=np.float64).reshape(len(g), -1)
    shape = g.shape
    field = {
        k: np.abs(np.asarray(getattr(run, k), dtype=np.float64).reshape(shape))
        for k in ("m", "v", "sqrt_v_hat", "step", "theta", "m_hat")
    }
    rates = np.asarray(run.lr, dtype=np.float64)
    beta1, beta2 = settings.get("beta1", 0.9), settings.get("beta2", 0.999)
    eps, decay = settings.get("eps", 1e-8), settings.get("weight_decay", 0.0)
    decoupled = optimizer in ("adamw", "adafactor") or settings.get("decoupled_weight_decay", False)
    coupled = decay if not decoupled else 0.0
    corrected = optimizer not in ("rmsprop", "adagrad") and settings.get("bias_correction", True)
    root_error, theta_error = 2.0**-22, np.zeros(shape[1])
    dm = dv = np.zeros(shape[1])
    tiny = np.finfo(float).tiny
    product = np.float32(1.0)
    bounds = np.zeros(shape)
    theta_before = np.full(shape[1], abs(settings.get("theta0", 0.0)))
    for i in range(shape[0]):
        t = i + 1
        lr = rates[i] / (1 + i * settings.get("lr_decay", 0.0)) if optimizer == "adagrad" else rates[i]
        grad = np.abs(g[i]) + coupled * theta_before
        dg = coupled * theta_error + 2.0**-23 * grad if coupled else np.zeros(shape[1])
        if optimizer in ("rmsprop", "adagrad"):
            dm = dg
        else:
            dm = beta1 * dm + (1 - beta1) * dg + 2.0**-23 * field["m"][i]
        if optimizer == "adagrad":
            dv = dv + 2 * grad * dg + 2.0**-23 * field["v"][i]
        else:
            dv = beta2 * dv + (1 - beta2) * 2 * grad * dg + 2.0**-22 * field["v"][i]
        bc1 = 1 - beta1**t if corrected else 1.0
        bc2 = 1 - beta2**t if corrected and optimizer != "adagrad" else 1.0
        d = field["sqrt_v_hat"][i] + eps
        with np.errstate(divide="ignore", invalid="ignore"):
            d_root = np.where(
                field["v"][i] > 0, dv / (2 * np.sqrt(np.maximum(field["v"][i], tiny) * bc2)), 0.0
            )
        d_root = d_root + root_error * field["sqrt_v_hat"][i]
        gross = field["step"][i]
        if optimizer == "nadam":
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * 0.004))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * 0.004))
            product = np.float32(product * np.float32(mu))
            now, ahead = (1 - mu) / (1 - float(product)), mu_next / (1 - float(product) * mu_next)
            gross = lr * (now * grad + ahead * field["m"][i]) / d
            d_step = lr * (now * dg + ahead * dm) / d + gross * (d_root / d + 2.0**-21)
        else:
            d_step = lr * dm / (bc1 * d) + gross * (d_root / d + 2.0**-21)
        shrink = abs(1 - rates[i] * decay) if decoupled and decay else 1.0
        theta_error = (
            shrink * theta_error + d_step + 3 * np.spacing(field["theta"][i].astype(np.float32)).astype(float)
        )
        bounds[i] = theta_error
        theta_before = field["theta"][i]
    return bounds


def assert_same_rounding(got: dict, expected, keys, what: str = "") -> None:
    """An emulated format's trace (adamviz.sim.precision) against NumPy's: θ, the step, √v̂, m and v equal
    bit for bit; m̂ and the scale within 4 ulps (they divide by 1 − β₁ᵗ, whose power is correctly
    rounded in the page and within an ulp in NumPy); ±inf and NaN where NumPy has them."""
    for key in keys:
        actual, want = np.asarray(got[key], dtype=float), np.asarray(getattr(expected, key), dtype=float)
        if key in ("theta", "step", "sqrt_v_hat", "m", "v"):
            np.testing.assert_array_equal(actual, want, err_msg=f"{what} {key}")
            continue
        finite = np.isfinite(want)
        np.testing.assert_array_equal(actual[~finite], want[~finite], err_msg=f"{what} {key}")
        if finite.any():
            assert_within(actual[finite], want[finite], 4 * U * np.abs(want[finite]), what=f"{what} {key}")


def _direction_factor(optimizer: str, t: int, beta2: float, v: np.ndarray, root: np.ndarray, eps: float):
    """What radam's, adamax's or adagrad's direction multiplies m̂ (or g) by at step t — read off the
    trajectory as scale / m̂ where m̂ ≠ 0; this is it where m̂ = 0 (a β₁ below U rounds m to 0 on one
    side only)."""
    if optimizer == "adamax":
        return 1.0 / np.maximum(root, np.finfo(float).tiny)
    if optimizer == "radam" and beta2 < 1.0:
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho = rho_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)
        if rho > 5.0:
            rect = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            return rect * math.sqrt(1.0 - beta2**t) / (np.sqrt(v) + eps)
    return np.ones_like(root) if optimizer == "radam" else 1.0 / (root + eps)


def adafactor_bounds(
    g: np.ndarray, traj, weight_decay: float, rate_rtol: float = 0.0
) -> dict[str, np.ndarray]:
    """How far torch's Adafactor (one-element tensors) may be from adamviz.sim's, per step, first order.

    The two differ in t^−0.8 (torch's C ``pow`` of the double nearest −0.8 against t^(−4/5) correctly
    rounded: the exponents differ by 4.4e-17, i.e. ≤ 4.4e-17·ln t relative, plus pow's own ≤ 0.52 ulp —
    together ≤ (0.52 + 0.2·ln t)·2U), in 1/√t (pow against sqrt: ≤ 1 ulp), and in roundings that may
    fall differently (a fused multiply-add in torch's kernels, say): ≤ 1U per operation. v = lerp(v, g²,
    c): its relative error e_v carries on by (1 − c) and gains |Δc|·|g² − v|/v and 3U; the update
    g/√v then errs by e_v/2 + 3U relative (clipping is 1-Lipschitz, relative); α = max(ε₂, |θ|)·ρ by
    ρ's 2U, 1U, and |Δθ|·ρ where |θ| > ε₂ — θ's own error fed back; the step α·direction by the sum, and
    θ's update by one rounding of θ (two with the decay); where v or the direction is subnormal, TINY
    (not relative) is added."""
    g = np.asarray(g, dtype=np.float64).reshape(len(g), -1)
    shape = g.shape
    v = np.asarray(traj.v, dtype=np.float64).reshape(shape)
    direction = np.abs(np.asarray(traj.scale, dtype=np.float64).reshape(shape))
    theta = np.asarray(traj.theta, dtype=np.float64).reshape(shape)
    step = np.abs(np.asarray(traj.step, dtype=np.float64).reshape(shape))
    rates = np.asarray(traj.lr, dtype=np.float64)
    eps2 = 1e-3
    out = {k: np.zeros(shape) for k in ("m", "v", "m_hat", "sqrt_v_hat", "scale", "step", "theta")}
    e_v = np.zeros(shape[1])
    theta_error = np.zeros(shape[1])
    previous_v = np.zeros(shape[1])
    previous_theta = np.full(
        shape[1], float(traj.theta.reshape(shape)[0, 0] + traj.step.reshape(shape)[0, 0])
    )
    tiny = np.finfo(float).tiny
    for i in range(shape[0]):
        t = i + 1
        c = t**-0.8
        dc = (0.52 + 0.2 * math.log(t)) * 2 * U * c
        with np.errstate(divide="ignore", invalid="ignore"):
            gained = np.where(v[i] > 0, dc * np.abs(g[i] ** 2 - previous_v) / np.maximum(v[i], tiny), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):  # (a subnormal v: TINY is not relative)
            subnormal = np.where(v[i] > 0, 3 * TINY / np.maximum(v[i], TINY), 0.0)
        e_v = (1 - c) * e_v + gained + 3 * U + subnormal
        e_direction = e_v / 2 + 3 * U
        relative = min(rates[i], 1 / math.sqrt(t))
        fed = np.where(
            np.abs(previous_theta) > eps2,
            relative * theta_error / np.maximum(np.abs(previous_theta), tiny),
            0.0,
        )
        e_alpha = 3 * U + rate_rtol + fed
        shrink = abs(1 - rates[i] * weight_decay)
        theta_error = (
            shrink * theta_error + step[i] * (e_alpha + e_direction + 2 * U) + 3 * U * np.abs(theta[i])
        )
        out["v"][i] = e_v * v[i]
        out["sqrt_v_hat"][i] = (e_v / 2 + U) * np.sqrt(v[i])
        out["scale"][i] = e_direction * direction[i]
        out["theta"][i] = theta_error
        out["step"][i] = theta_error + (out["theta"][i - 1] if i else 0.0)
        previous_v, previous_theta = v[i], theta[i]
    return out


def adaptive_bounds(
    g: np.ndarray,
    traj,
    optimizer: str,
    rates: np.ndarray,
    beta1: float,
    beta2: float,
    power_ulps: float = 0.0,
    rate_rtol: float = 0.0,
    shrink: np.ndarray | None = None,
    coupled: float = 0.0,
    eps: float = 0.0,
    theta0: float = 0.0,
) -> dict[str, np.ndarray]:
    """How far two float64 evaluations of radam, nadam, adamax or adagrad (adamviz.sim.adaptive) may
    differ per step, first order in U, from one side's trajectory ``traj`` (no coupled weight decay).

    The moments are moving averages (a running max for adamax's u, a running sum for adagrad's s):
    each within ``moving_average_rtol(t, T)`` of the exact value — relative to the average of |g| for
    m (which may cancel), to itself for v, u and s (sums and maxima of positive terms). The direction
    divides them: a relative error e of v (u, s) moves √v by e/2, and the direction — m̂ or g times
    coefficients formed from floats on both sides (their ``β^t`` within ``power_ulps`` ulps: each moves
    a coefficient by ≤ 2U·β^t/(1 − β^t), at most 2U·β/(1 − β) … taken as 4U·(1 + 1/(1 − β₁) +
    1/(1 − β₂))·power_ulps) over that root — by m's error over the denominator plus (e/2 + 10U) of
    each of its terms (the divisions, the root, ε's add, the coefficients' products and NAdam's sum).
    θ adds lr_t·direction in order: its error is the directions' errors times lr_t, the rates' own
    (``rate_rtol``), and the running sum's rounding, ``moving_average_rtol`` of the sum of |steps|;
    a decoupled decay (``shrink``: 1 − lr_t·w per step) multiplies θ's error so far and rounds once; a
    coupled one (``coupled`` = w) feeds θ's error back into the next gradient, w·Δθ (+ one rounding),
    which the moments carry on as they carry the gradient: m's error by its average, v's (2|g|·Δg)
    by its own, u's (a maximum: 1-Lipschitz) by its running maximum, s's by its sum."""
    g = np.asarray(g, dtype=np.float64).reshape(len(g), -1)
    iterations = g.shape[0]
    shaped = {
        k: np.abs(np.asarray(getattr(traj, k), dtype=np.float64).reshape(g.shape))
        for k in ("m", "v", "m_hat", "sqrt_v_hat", "scale")
    }
    scale, m_hat, root = shaped["scale"], shaped["m_hat"], shaped["sqrt_v_hat"]
    theta = np.abs(np.asarray(traj.theta, dtype=np.float64).reshape(g.shape))
    tiny = TINY  # (the smallest subnormal: a subnormal m̂ or v divides as it is)
    powers = 4 * U * (1 + 1 / (1 - beta1) + 1 / max(1 - beta2, U)) * power_ulps
    out = {k: np.zeros_like(g) for k in ("m", "v", "m_hat", "sqrt_v_hat", "scale", "step", "theta")}
    avg_abs = np.zeros(g.shape[1])
    theta_error = path = np.zeros(g.shape[1])
    fed = fed_m = fed_v = np.zeros(g.shape[1])  # what θ's errors fed into g, m and v (coupled decay)
    theta_before = np.full(g.shape[1], abs(theta0))  # (the first step's coupled decay meets θ₀)
    # torch's lerp takes the weight fl(1 − β₁), whose own 1 − w is β₁ within U (absolute: all of β₁
    # when β₁ < U): each step's m then moves by up to U·|g − m_{t−1}|, carried on by β₁ as m is
    coefficient = m_before = tiny_m = tiny_v = np.zeros(g.shape[1])
    for i in range(iterations):
        t = i + 1
        ma = moving_average_rtol(t, iterations) + powers
        grad = np.abs(g[i]) + coupled * theta_before
        coefficient = beta1 * coefficient + U * (grad + m_before)
        # (subnormal m and v: each rounding may be off by TINY/2 absolute, carried on as they carry g)
        tiny_m = beta1 * tiny_m + 3 * TINY
        tiny_v = (tiny_v if optimizer == "adagrad" else beta2 * tiny_v) + 3 * TINY
        m_before = shaped["m"][i]
        avg_abs = beta1 * avg_abs + (1 - beta1) * grad
        correction1 = 1 - beta1**t if optimizer != "adagrad" else 1.0
        if coupled:
            fed = coupled * theta_error + U * grad
            if optimizer == "adagrad":
                fed_v = fed_v + 2 * grad * fed
            elif optimizer == "adamax":
                fed_m, fed_v = beta1 * fed_m + (1 - beta1) * fed, np.maximum(beta2 * fed_v, fed)
            else:
                fed_m = beta1 * fed_m + (1 - beta1) * fed
                fed_v = beta2 * fed_v + (1 - beta2) * 2 * grad * fed
        with np.errstate(divide="ignore", invalid="ignore"):
            ma = ma + np.where(shaped["v"][i] > 0, (fed_v + tiny_v) / np.maximum(shaped["v"][i], TINY), 0.0)
        m_error = fed + TINY if optimizer == "adagrad" else ma * avg_abs + fed_m + coefficient + tiny_m
        with np.errstate(divide="ignore", invalid="ignore"):
            if (
                optimizer == "nadam"
            ):  # the m/d term's coefficient μ_{t+1}/(1 − Π_{t+1}) ≤ μ_{t+1}/(1 − β₁^(t+1))
                mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004))
                gain = mu_next / (1 - beta1 ** (t + 1)) / (root[i] + eps)
                terms = grad / (root[i] + eps) + gain * (avg_abs + m_error)
                # the g/d term's coefficient (1 − μ_t)/(1 − Π_t) ≤ 1/(1 − β₁ᵗ) carries the gradient's
                # own error too (θ's fed back through a coupled decay)
                gain_now = fed / (1 - beta1**t) / (root[i] + eps)
            else:  # the direction is m̂ (or g) times a factor: an error in m̂ moves it by that factor
                factor = _direction_factor(optimizer, t, beta2, shaped["v"][i], root[i], eps)
                gain = np.where(m_hat[i] > 0, scale[i] / np.maximum(m_hat[i], tiny), factor) / correction1
                terms = scale[i]
        direction_error = gain * m_error + terms * (ma / 2 + 10 * U) + 2 * TINY
        if optimizer == "nadam":
            direction_error = direction_error + gain_now
        out["m"][i] = m_error
        out["v"][i] = ma * shaped["v"][i]
        out["m_hat"][i] = m_error / correction1 + (2 * U + powers) * m_hat[i] + TINY
        out["sqrt_v_hat"][i] = root[i] * (ma / 2 + 3 * U)
        out["scale"][i] = direction_error
        path = path + rates[i] * scale[i]
        if shrink is not None:  # θ·(1 − lr_t·w) first: one more rounding of |θ|, and the old error shrinks
            theta_error = shrink[i] * theta_error + 3 * U * theta[i]
        # θ − lr·direction rounds once on each side: ≤ U·|θ_t| each (not of the step: θ₀ may be far larger)
        theta_error = (
            theta_error + rates[i] * (direction_error + (2 * U + rate_rtol) * scale[i]) + 2 * U * theta[i]
        )
        out["theta"][i] = theta_error + moving_average_rtol(t, iterations) * path
        theta_before = theta[i]
        out["step"][i] = out["theta"][i] + (out["theta"][i - 1] if i else 0.0)
    # a diverging run (β₂ = 0 over a vanishing v: gains of 1/ε a step) overflows the first-order sum:
    # inf·0 makes NaN there, which is as unbounded as the inf it came from
    return {key: np.nan_to_num(value, nan=np.inf) for key, value in out.items()}
