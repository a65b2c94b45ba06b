"""The result of stepping an optimizer over a gradient stream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COLUMNS = ("g", "m", "v", "m_hat", "v_hat", "sqrt_v_hat", "scale", "step", "theta")
"""Trajectory fields in CSV column order (after ``t``)."""


@dataclass(frozen=True)
class Trajectory:
    """Per-step arrays, row ``i`` holding step ``t = i + 1`` (all float64, shape of the gradients).

    Attributes:
        g: the gradient stream as given (before any coupled weight decay is added).
        m: first-moment state (Adam family: EMA of gradients; momentum: the velocity buffer;
            sgd and rmsprop: the gradient used by the step).
        v: second-moment state (EMA of squared gradients; 0 for sgd and momentum).
        m_hat: bias-corrected first moment ``m / (1 - beta1**t)`` (``m`` when correction is off).
        v_hat: the second moment in the denominator: ``v / (1 - beta2**t)``; for amsgrad the running
            maximum of ``v`` divided the same way.
        sqrt_v_hat: ``sqrt(v) / sqrt(1 - beta2**t)`` (amsgrad: of the running maximum), ε not included.
        scale: the step per unit learning rate, ``m_hat / (sqrt_v_hat + eps)`` for the Adam family
            and rmsprop, ``m`` for sgd and momentum. Decoupled weight decay is not included.
        step: ``theta_{t-1} - theta_t``, everything the parameter moved in step t.
        theta: the parameter after step t.
        lr: the learning rate each step used, ``lr_t`` (shape ``(iterations,)``; every value the
            same unless a schedule was given). Not one of :data:`COLUMNS`.
    """

    g: np.ndarray
    m: np.ndarray
    v: np.ndarray
    m_hat: np.ndarray
    v_hat: np.ndarray
    sqrt_v_hat: np.ndarray
    scale: np.ndarray
    step: np.ndarray
    theta: np.ndarray
    lr: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.g.shape[0])

    def as_dict(self) -> dict[str, np.ndarray]:
        """The per-step arrays by field name, in :data:`COLUMNS` order (``lr`` left out)."""
        return {name: getattr(self, name) for name in COLUMNS}
