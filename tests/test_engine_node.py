"""assets/engine/ on its own, in Node (no page, nothing drawn): streams bit-identical to NumPy's,
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

from adamviz.sim import (
    ADAM_FAMILY,
    OPTIMIZERS,
    PROBLEMS,
    SCHEDULES,
    STREAMS,
    descend,
    learning_rates,
    problem_loss,
    simulate,
    stream,
    stream_shapes,
)

from error_bounds import assert_within, rate_rtol, trajectory_bounds

ENGINE_CLI = Path(__file__).parent / "js" / "engine_cli.mjs"


def run_node(script: Path, payload: object, tmp_path: Path) -> object:
    """What ``script`` (a module of tests/js) prints, as JSON, for ``payload`` handed to it in a file."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; `bash tests/run.sh` installs it")
    request_file = tmp_path / f"{script.stem}.json"
    request_file.write_text(json.dumps(payload))
    done = subprocess.run([node, str(script), str(request_file)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_engine(requests: list[dict], tmp_path: Path) -> list:
    return run_node(ENGINE_CLI, requests, tmp_path)


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


@pytest.mark.parametrize("fast", [True, False], ids=["webassembly", "javascript"])
def test_uniforms_are_numpys_from_any_draw_on(tmp_path, fast):
    """The engine's uniforms — whole blocks from philox.wat's kernel or all from random.js — equal
    Generator(Philox(key=seed, counter=c)).random(), read in pieces that split blocks and the kernel's
    batches, from draws that start mid-block, and with keys and counters past 2^32 (the carries
    between the 32-bit halves the JavaScript keeps)."""
    counts = [1, 2, 9_000, 3, 4, 10_001]
    cases = [(0, 0), (1, 3), (2**32 - 1, 4 * 5 + 2), (2**32 + 5, 4 * (2**32 - 3) + 1), (2**53 - 1, 4 * 2**40)]
    requests = [
        {"kind": "uniforms", "seed": seed, "start": start, "counts": counts, "fast": fast}
        for seed, start in cases
    ]
    for (seed, start), got in zip(cases, run_engine(requests, tmp_path), strict=True):
        blocks, skip = divmod(start, 4)
        # Philox's counter is where the last block was: the next one uses counter + 1
        generator = np.random.Generator(np.random.Philox(key=seed, counter=[blocks, 0, 0, 0]))
        expected = generator.random(skip + sum(counts))[skip:]
        np.testing.assert_array_equal(np.array(got), expected, err_msg=f"seed={seed} start={start}")


def _row_sequences() -> list[tuple[str, np.ndarray]]:
    """Rows as the many-parameters view meets them, one after another, and the turns that defeat a
    guess from the row before: drift, jumps, ties, zeros, negative values, NaN, the smallest rows."""
    rng = np.random.default_rng(7)
    base = np.abs(rng.standard_normal(1000)) * 10.0 ** rng.uniform(-6, 0, 1000)
    drift = np.array([base * (1 + 0.01 * t) + 1e-4 * t for t in range(40)])
    shuffled = np.array([rng.permutation(row) for row in drift])
    jumps = np.array([base * 10.0 ** rng.integers(-3, 4) for _ in range(40)])
    ties = np.array([np.round(base * 2 + 0.3 * (t % 3), 1) for t in range(30)])
    zeros = np.array([np.where(rng.random(1000) < min(0.05 * t, 1.0), base, 0.0) for t in range(30)])
    signed = np.array([rng.standard_normal(500) + 0.05 * t for t in range(30)])
    nan = drift[:12].copy()
    nan[5, 17] = np.nan
    small = [
        (f"n={n}", np.abs(rng.standard_normal((8, n))) + np.arange(8)[:, None]) for n in (1, 2, 63, 64, 65)
    ]
    named = [("drift", drift), ("shuffled", shuffled), ("jumps", jumps), ("ties", ties), ("zeros", zeros)]
    return [*named, ("signed", signed), ("nan", nan), *small]


def test_percentiles_near_the_last_rows_are_numpys(tmp_path):
    """nearbyPercentiles (order statistics looked for near the row before's) gives numpy.percentile's
    numbers exactly, row after row, whatever the rows do; where a row holds NaN, what percentilesInto
    gives."""
    cases = _row_sequences()
    requests = [{"kind": "percentiles", "rows": [[str(x) for x in row] for row in rows]} for _, rows in cases]
    for (name, rows), got in zip(cases, run_engine(requests, tmp_path), strict=True):
        got = np.array(got, dtype=float)
        selected, nearby = got[:, :3], got[:, 3:]
        np.testing.assert_array_equal(nearby, selected, err_msg=name)
        finite = ~np.isnan(rows).any(axis=1)
        expected = np.percentile(rows[finite], [10, 50, 90], axis=1).T
        np.testing.assert_array_equal(nearby[finite], expected, err_msg=name)


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
        **random_schedule(rng),
    }


def random_switch(rng: random.Random, settings: dict) -> dict:
    """Adam, then SGD, a quarter of the time (without weight decay: SGD at the rule's rate with a decay
    of up to 1 diverges, and torch's golden covers the decay): at any step, at a given rate or the rule's."""
    if rng.random() < 0.75 or settings["weight_decay"] > 0:
        return {}
    return {"switch_at": rng.randint(1, 300), "switch_lr": rng.choice([0.0, 10 ** rng.uniform(-4, -1)])}


def random_schedule(rng: random.Random) -> dict:
    """A schedule the page allows: constant half the time, else any, with or without a warmup."""
    if rng.random() < 0.5:
        return {}
    return {
        "schedule": rng.choice(list(SCHEDULES)),
        "warmup": rng.choice([0, 1, rng.randint(1, 300)]),
        "min_lr": rng.choice([0.0, 1.0, rng.random()]),
    }


def test_learning_rates_match_numpy(tmp_path):
    """lr_t for every schedule: the same bits as adamviz.sim's, but the cosine's, within rate_rtol."""
    rng = random.Random("rates")
    cases = [
        ({"lr": 10 ** rng.uniform(-4, 0), **random_schedule(rng)}, rng.randint(1, 3000)) for _ in range(60)
    ]
    cases += [({"lr": 0.01, "schedule": s, "warmup": 7, "min_lr": 0.1}, 200) for s in SCHEDULES]
    answers = run_engine([{"kind": "rates", "settings": s, "n": n} for s, n in cases], tmp_path)
    for (settings, n), got in zip(cases, answers, strict=True):
        want = learning_rates(iterations=n, **settings)
        if rate_rtol(settings) == 0:
            np.testing.assert_array_equal(got, want, err_msg=str(settings))
        else:
            assert_within(np.array(got), want, rate_rtol(settings) * want, what=f"rates {settings}")


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_optimizers_match_numpy_within_rounding_bounds(optimizer, tmp_path):
    rng = random.Random(f"engine {optimizer}")
    cases = []
    for _ in range(20):
        name, n, seed = rng.choice(list(STREAMS)), rng.randint(10, 2000), rng.randint(0, 2**32 - 1)
        g = stream(name, n, seed) * 10.0 ** rng.randint(-6, 6)  # grad_scale
        settings = random_settings(rng)
        cases.append((name, g, {**settings, **random_switch(random.Random(f"switch {seed}"), settings)}))
    requests = [
        {"kind": "optimize", "optimizer": optimizer, "g": g.tolist(), "settings": s} for _, g, s in cases
    ]
    for (name, g, settings), got in zip(cases, run_engine(requests, tmp_path), strict=True):
        expected = simulate(g, optimizer=optimizer, **settings)
        path_length = np.cumsum(np.abs(expected.step))
        coupled = settings["weight_decay"] > 0 and optimizer != "adamw"
        if not coupled:  # the engine's powers are correctly rounded, the C library's within an ulp
            bounds = trajectory_bounds(
                g,
                expected.theta,
                optimizer=optimizer,
                **settings,
                power_ulps=1,
                rate_rtol=rate_rtol(settings),
            )
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


def descend_request(problem: str, iterations: int, optimizer: str, **options) -> dict:
    """A `descend` request for the engine, with every shape and setting spelled out from Python."""
    shape = {**PROBLEMS[problem].shape, **options.pop("shape", {})}
    settings = {**DESCEND_SETTINGS, **options.pop("settings", {})}
    start = list(options.pop("start", PROBLEMS[problem].start))
    return {
        "kind": "descend",
        "problem": problem,
        "iterations": iterations,
        "options": {"start": start, "optimizer": optimizer, "settings": settings, "shape": shape, **options},
    }


DESCEND_SETTINGS = {
    "lr": 0.01,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "weight_decay": 0.0,
    "momentum": 0.9,
    "bias_correction": True,
}


def as_floats(values: list) -> np.ndarray:
    return np.array([float(x) for x in values])


def test_descend_matches_numpy(tmp_path):
    """The closed loops feed every step's θ back into the next gradient: the engine does the same
    arithmetic in the same order as adamviz.sim.descend. The one difference is 1 − βᵗ, whose βᵗ the
    engine rounds correctly and the C library's pow (which adamviz.sim shares with torch) misses by an
    ulp now and then; fed back through the loop, such an ulp moved these paths by at most 5e-14 of
    their length over 3,000 steps (a start moved by an ulp, every problem and optimizer). So every
    array is held to 1e-12 of its largest value (θ and step: of the path's length) — and where no
    βᵗ enters (sgd, momentum, rmsprop, no bias correction) and no cosine schedule (whose cos may
    differ by an ulp) to the last bit, inf and NaN of a diverging run included."""
    cases = [(problem, optimizer, {}) for problem in PROBLEMS for optimizer in OPTIMIZERS]
    cases += [
        ("valley", "adam", {"noise": 3.0, "seed": 11, "shape": {"rotated": True, "condition": 1000.0}}),
        ("bowl", "amsgrad", {"noise": 0.5, "seed": 2**32 - 1, "start": [-3.25]}),
        ("rosenbrock", "adamw", {"settings": {"weight_decay": 0.1, "beta1": 0.99}, "start": [0.5, -1.0]}),
        ("valley", "momentum", {"settings": {"weight_decay": 0.01, "momentum": 0.5}, "noise": 1.0}),
        ("bowl", "adam", {"settings": {"beta1": 0.99, "beta2": 0.99, "bias_correction": False}}),
        ("valley", "momentum", {"settings": {"schedule": "linear", "warmup": 100, "min_lr": 0.1}}),
        ("bowl", "rmsprop", {"settings": {"schedule": "step", "warmup": 10}}),
        ("rosenbrock", "adamw", {"settings": {"schedule": "cosine", "warmup": 50, "weight_decay": 0.1}}),
        ("valley", "sgd", {"settings": {"schedule": "cosine", "lr": 0.002}}),
        ("valley", "adam", {"settings": {"switch_at": 300}}),
        ("rosenbrock", "adagrad", {"settings": {"switch_at": 700, "switch_lr": 0.001, "schedule": "linear"}}),
    ]
    requests = [
        descend_request(problem, 1500, optimizer, **dict(options)) for problem, optimizer, options in cases
    ]
    answers = run_engine(requests, tmp_path)
    for (problem, optimizer, options), request, got in zip(cases, requests, answers, strict=True):
        o = request["options"]
        coordinates = descend(
            problem,
            1500,
            start=o["start"],
            seed=o.get("seed", 0),
            noise=o.get("noise", 0.0),
            optimizer=optimizer,
            **o["settings"],
            **o["shape"],
        )
        label = f"{problem} {optimizer} {options}"
        # (radam, nadam and adamax correct by β^t whatever bias_correction says; nadam's 0.96^(tψ) too)
        exact = optimizer in ("sgd", "momentum", "rmsprop", "adagrad") or (
            optimizer in ADAM_FAMILY and not o["settings"]["bias_correction"]
        )
        exact = exact and o["settings"].get("schedule") != "cosine"  # (no cos: the same bits)
        theta = np.stack([t.theta for t in coordinates], axis=-1)
        with np.errstate(over="ignore", invalid="ignore"):
            length = np.abs(np.diff(theta, axis=0, prepend=[o["start"]])).sum()
        for trajectory, trace in zip(coordinates, got["traces"], strict=True):
            for key, values in trace.items():
                want, message = getattr(trajectory, key), f"{label} {key}"
                if exact:
                    np.testing.assert_array_equal(as_floats(values), want, err_msg=message)
                else:
                    bound = 1e-12 * (length if key in ("theta", "step") else np.abs(want).max())
                    np.testing.assert_allclose(as_floats(values), want, rtol=0, atol=bound, err_msg=message)
        # the loss is the same function of θ on both sides, to the last bit
        got_theta = np.stack([as_floats(trace["theta"]) for trace in got["traces"]], axis=-1)
        with np.errstate(over="ignore", invalid="ignore"):
            got_loss = problem_loss(problem, got_theta, **o["shape"])
        np.testing.assert_array_equal(as_floats(got["loss"]), got_loss, err_msg=f"{label} loss")
