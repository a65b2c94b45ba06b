"""One table of valid and invalid settings: every invalid one names the parameter, value and range."""

from __future__ import annotations

import numpy as np
import pytest

from adamviz.sim import simulate

G = np.linspace(-1, 1, 20)

INVALID = [
    ({"beta1": 1.0}, "beta1 must be a number in [0, 1); got 1.0"),
    ({"beta1": -0.1}, "beta1 must be a number in [0, 1); got -0.1"),
    ({"beta2": 1.5}, "beta2 must be a number in [0, 1); got 1.5"),
    ({"beta2": float("nan")}, "beta2 must be a number in [0, 1); got nan"),
    ({"eps": 0.0}, "eps must be a number > 0; got 0.0"),
    ({"eps": -1e-8}, "eps must be a number > 0; got -1e-08"),
    ({"lr": 0.0}, "lr must be a number > 0; got 0.0"),
    ({"lr": float("inf")}, "lr must be a number > 0; got inf"),
    ({"lr": "0.1"}, "lr must be a number > 0; got '0.1'"),
    ({"weight_decay": -1.0}, "weight_decay must be a number >= 0; got -1.0"),
    ({"momentum": 1.0}, "momentum must be a number in [0, 1); got 1.0"),
    (
        {"optimizer": "lion"},
        "optimizer must be one of sgd, momentum, rmsprop, adam, amsgrad, adamw, radam, nadam, adamax, adagrad, adafactor; got 'lion'",
    ),
    ({"bias_correction": "yes"}, "bias_correction must be True or False; got 'yes'"),
]


@pytest.mark.parametrize(
    ("settings", "message"), INVALID, ids=[m.split(" ")[0] + str(i) for i, (_, m) in enumerate(INVALID)]
)
def test_invalid_setting_is_named(settings, message):
    with pytest.raises(ValueError) as error:
        simulate(G, **settings)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "settings",
    [
        {"beta1": 0.0, "beta2": 0.0},
        {"beta1": np.nextafter(1, 0), "beta2": np.nextafter(1, 0)},
        {"eps": 1e-300},
        {"lr": 1e-12},
        {"lr": 1e6},
        {"weight_decay": 0.0},
        {"momentum": 0.0},
    ],
)
def test_edge_of_range_is_valid(settings):
    assert np.all(np.isfinite(simulate(G, **settings).theta))


@pytest.mark.parametrize(
    ("gradients", "message"),
    [
        ([], "iterations must be an integer in [1, 1000000]; got 0"),
        ([1.0, float("nan"), 2.0], "gradients must be finite; step t=2 holds"),
        ([[1.0, 2.0], [float("inf"), 0.0]], "gradients must be finite; step t=2 holds"),
        (
            np.zeros((2, 2, 2)),
            "gradients must have shape (iterations,) or (iterations, n_params); got (2, 2, 2)",
        ),
        (["a", "b"], "gradients must be numeric"),
        (np.zeros(1_000_001), "iterations must be an integer in [1, 1000000]; got 1000001"),
    ],
)
def test_invalid_gradients_are_named(gradients, message):
    with pytest.raises(ValueError) as error:
        simulate(gradients)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("name", ["lr", "beta1", "beta2", "eps", "weight_decay", "momentum", "theta0"])
def test_the_requirements_table_says_what_the_checks_say(name):
    """REQUIREMENTS (which the CLI's help reads) is what refusing a value says: a NaN is refused by
    every check, in the words of its requirement."""
    from adamviz.sim.optimizers import REQUIREMENTS

    with pytest.raises(ValueError) as refused:
        simulate(G, **{name: float("nan")})
    assert str(refused.value) == f"{name} must be {REQUIREMENTS[name]}; got nan"
