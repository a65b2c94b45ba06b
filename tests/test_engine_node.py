"""assets/engine.js on its own, in Node (no page, nothing drawn): streams bit-identical to NumPy's,
correctly rounded powers, and all six optimizers within the rounding-error bounds of tests/error_bounds.py."""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, STREAMS, simulate, stream, stream_shapes

from error_bounds import assert_within, trajectory_bounds

ENGINE_CLI = Path(__file__).parent / "js" / "engine_cli.js"


def run_engine(requests: list[dict], tmp_path: Path) -> list:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; `bash tests/run.sh` installs it")
    request_file = tmp_path / "requests.json"
    request_file.write_text(json.dumps(requests))
    done = subprocess.run(
        [node, str(ENGINE_CLI), str(request_file)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_streams_are_bit_identical(tmp_path):
    cases = [
        (name, n, seed) for name in STREAMS for n, seed in ((1, 0), (7, 1), (1000, 3), (10_000, 2**32 - 1))
    ]
    requests = [
        {"kind": "stream", "name": n, "n": k, "seed": s, "shape": stream_shapes(n)} for n, k, s in cases
    ]
    for (name, n, seed), got in zip(cases, run_engine(requests, tmp_path), strict=True):
        np.testing.assert_array_equal(
            np.array(got), stream(name, n, seed), err_msg=f"{name} n={n} seed={seed}"
        )


def test_streams_take_their_shape_from_python(tmp_path):
    """The engine has no defaults of its own: a shape passed in is the shape drawn."""
    shape = {"amplitude": 2.5, "flip_every": 7, "noise": 0.0}
    [got] = run_engine([{"kind": "stream", "name": "reversal", "n": 30, "seed": 4, "shape": shape}], tmp_path)
    np.testing.assert_array_equal(np.array(got), stream("reversal", 30, 4, **shape))


def test_powers_are_correctly_rounded(tmp_path):
    """Against exact rational arithmetic; and equal to the C library's pow (what torch uses) wherever
    that one is correctly rounded too."""
    betas = [0.9, 0.99, 0.999, 0.9999, 0.5, 0.123456789]
    n = 300
    answers = run_engine([{"kind": "powers", "beta": b, "n": n} for b in betas], tmp_path)
    for beta, got in zip(betas, answers, strict=True):
        exact, power = Fraction(beta), Fraction(1)
        for t in range(1, n + 1):
            power *= exact
            assert got[t - 1] == float(power), (beta, t)  # float(Fraction) rounds correctly
            if math.pow(beta, t) == float(power):
                assert got[t - 1] == math.pow(beta, t)


def random_settings(rng: random.Random) -> dict:
    """Settings drawn over every range the page allows, edges included."""
    return {
        "lr": 10 ** rng.uniform(-4, 0),
        "beta1": rng.choice([0.0, 0.5, 0.9, 0.99, 0.9999, rng.uniform(0, 0.9999)]),
        "beta2": rng.choice([0.0, 0.9, 0.999, 0.9999, rng.uniform(0, 0.9999)]),
        "eps": 10 ** rng.uniform(-12, 0),
        "weight_decay": rng.choice([0.0, 0.0, 1.0, 10 ** rng.uniform(-6, 0)]),
        "momentum": rng.choice([0.0, 0.9, 0.999, rng.uniform(0, 0.999)]),
        "bias_correction": rng.random() < 0.8,
    }


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_optimizers_match_numpy_within_rounding_bounds(optimizer, tmp_path):
    rng = random.Random(f"engine {optimizer}")
    cases = []
    for _ in range(20):
        name, n, seed = rng.choice(list(STREAMS)), rng.randint(10, 2000), rng.randint(0, 2**32 - 1)
        g = stream(name, n, seed) * 10.0 ** rng.randint(-6, 6)  # grad_scale
        cases.append((name, g, random_settings(rng)))
    requests = [
        {"kind": "optimize", "optimizer": optimizer, "g": g.tolist(), "settings": s} for _, g, s in cases
    ]
    for (name, g, settings), got in zip(cases, run_engine(requests, tmp_path), strict=True):
        expected = simulate(g, optimizer=optimizer, **settings)
        path_length = np.cumsum(np.abs(expected.step))
        coupled = settings["weight_decay"] > 0 and optimizer != "adamw"
        if not coupled:  # the engine's powers are correctly rounded, the C library's within an ulp
            bounds = trajectory_bounds(g, expected.theta, optimizer=optimizer, **settings, power_ulps=1)
        for key in ("m_hat", "sqrt_v_hat", "scale", "step", "theta"):
            values = np.abs(getattr(expected, key))
            reference = path_length if key == "theta" else np.maximum.accumulate(values)
            # With coupled weight decay each error in θ feeds the next gradient; where lr·w/√v̂ is
            # near 1 the first-order bound (which adds those errors by magnitude, blind to their
            # alternating sign) grows like 2ᵗ, and second-order terms are no longer negligible. There
            # the page's promise is checked: 1e-12 relative (to the largest value so far, since m̂
            # and the scale pass through 0; θ: to its path length).
            bound = 1e-12 * reference if coupled else bounds[key][:, 0]
            assert_within(
                got[key], getattr(expected, key), bound, what=f"{optimizer} {name} {key} {settings}"
            )
