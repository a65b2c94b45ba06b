"""adamviz.sim.descend: closed loops against torch.optim + autograd, closed forms, the open-loop
simulator, clear errors, and the claims the lecture's two closed-loop slides make."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from adamviz.sim import OPTIMIZERS, PROBLEMS, descend, problem_loss, simulate
from adamviz.sim.streams import rng_for

GOLDEN = np.load(Path(__file__).parent / "data" / "descend_golden.npz", allow_pickle=False)
INDEX = json.loads(str(GOLDEN["index"]))
CASES = INDEX["cases"]


def path_length(theta: np.ndarray, start) -> float:
    """Σ|Δθ| over every step and coordinate: the scale the browser's parity is measured against too."""
    return float(np.abs(np.diff(theta, axis=0, prepend=np.asarray(start, float)[None])).sum())


def run(case: dict):
    return descend(
        case["problem"],
        case["iterations"],
        start=case["start"],
        seed=case["seed"],
        noise=case["noise"],
        optimizer=case["optimizer"],
        **case["settings"],
        **case["shape"],
    )


def test_golden_cases_cover_every_problem():
    assert {case["problem"] for case in CASES} == set(PROBLEMS)
    assert INDEX["torch"].startswith("2.13")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_matches_torch(case):
    """θ within 1e-12 of the path's length, m and v within 1e-12 of their largest value. torch sums
    the same terms in another order (addcdiv, autograd's chain rule), an ulp here and there; the loop
    feeds those back, and a start moved by one ulp moves these paths by at most 5e-14 of their length
    (test_engine_node): measured here, the largest difference is 7e-14 (the 3,000-step bowl)."""
    name = case["name"]
    coordinates = run(case)
    start = case["start"] or PROBLEMS[case["problem"]].start
    torch_theta = GOLDEN[f"{name}/theta"]
    theta = np.stack([t.theta for t in coordinates], axis=-1)
    np.testing.assert_allclose(theta, torch_theta, rtol=0, atol=1e-12 * path_length(torch_theta, start))
    for key in ("m", "v", "g"):
        if f"{name}/{key}" in GOLDEN:
            want = GOLDEN[f"{name}/{key}"]
            got = np.stack([getattr(t, key) for t in coordinates], axis=-1)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max(), err_msg=key)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_the_loop_is_simulate_on_its_own_gradients(problem, optimizer):
    """Given the gradients the loop produced, the optimizer part is the open-loop simulator: each
    coordinate's run equals simulate() on its own g (1e-12 of the path: the two sum θ's steps in the
    same order, but simulate's moving averages are a scan); and every g is ∇f at the previous θ plus
    the seeded noise, to the last bit."""
    settings = (
        {"lr": 0.001} if (problem, optimizer) in (("rosenbrock", "sgd"), ("rosenbrock", "momentum")) else {}
    )
    coordinates = descend(problem, 400, seed=5, noise=0.25, optimizer=optimizer, **settings)
    start = PROBLEMS[problem].start
    theta = np.stack([t.theta for t in coordinates], axis=-1)
    length = path_length(theta, start)
    for k, trajectory in enumerate(coordinates):
        alone = simulate(trajectory.g, optimizer=optimizer, theta0=start[k], **settings)
        np.testing.assert_allclose(trajectory.theta, alone.theta, rtol=0, atol=1e-12 * length)
    previous = np.vstack([start, theta[:-1]])
    noise = rng_for(5).uniform(-0.25, 0.25, (400, len(start)))
    expected = PROBLEMS[problem].gradient(previous, **PROBLEMS[problem].shape) + noise
    np.testing.assert_array_equal(np.stack([t.g for t in coordinates], axis=-1), expected)


def test_gradient_descent_on_the_bowl_is_a_geometric_sequence():
    """sgd on f = ½h(θ − θ*)²: θ_t − θ* = (1 − ηh)ᵗ(θ₀ − θ*). Each step rounds at most three times
    (h·d, η·that, θ − step), so after t steps θ is within 3t ulp of |θ₀ − θ*| + |θ*| of it."""
    h, optimum, start, lr = 2.5, 0.75, -3.0, 0.03
    (trajectory,) = descend("bowl", 300, start=[start], optimizer="sgd", lr=lr, curvature=h, optimum=optimum)
    t = np.arange(1, 301)
    exact = optimum + (1 - lr * h) ** t * (start - optimum)
    bound = 3 * t * np.spacing(abs(start - optimum) + abs(optimum))
    assert np.all(np.abs(trajectory.theta - exact) <= bound)


def test_the_valley_turns_with_rotated():
    """Rotated 45°, the valley's loss at the rotated point equals the axis-aligned loss."""
    point = np.array([0.3, -1.7])
    turned = np.array([point[0] - point[1], point[0] + point[1]]) * math.sqrt(0.5)
    plain = problem_loss("valley", point, condition=50.0)
    assert problem_loss("valley", turned, condition=50.0, rotated=True) == pytest.approx(plain, rel=1e-15)


def test_loss_minimum_is_zero_where_the_problems_say():
    assert problem_loss("bowl", [0.0]) == 0.0
    assert problem_loss("valley", [0.0, 0.0]) == 0.0
    assert problem_loss("rosenbrock", [1.0, 1.0]) == 0.0
    assert problem_loss("rosenbrock", [2.0, 4.0], a=2.0) == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: descend("canyon", 10), "problem must be one of bowl, valley, rosenbrock; got 'canyon'"),
        (
            lambda: descend("valley", 10, start=[1.0]),
            "start must be 2 number(s) (one per coordinate); got [1.0]",
        ),
        (
            lambda: descend("bowl", 10, start=[1e9]),
            "start must be a number in [-1000, 1000]; got 1000000000.0",
        ),
        (lambda: descend("bowl", 10, noise=-1.0), "noise must be a number in [0, 1e+06]; got -1"),
        (
            lambda: descend("valley", 10, condition=5000.0),
            "condition must be a number in [1, 1000]; got 5000",
        ),
        (lambda: descend("valley", 10, rotated="yes"), "rotated must be True or False; got 'yes'"),
        (lambda: descend("bowl", 10, condition=2.0), "bowl has no shape parameter 'condition'"),
        (lambda: descend("bowl", 0), "iterations must be an integer in [1, 1000000]; got 0"),
        (lambda: descend("bowl", 10, optimizer="lion"), "optimizer must be one of"),
        (lambda: descend("bowl", 10, beta1=1.0), "beta1 must be a number in [0, 1)"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


def test_a_diverging_run_is_reported_as_its_arithmetic_gives_it():
    """Gradient descent at η = 0.01 on Rosenbrock from (−1.5, 2) overshoots further every step:
    θ overflows to inf and NaN without a warning or an exception."""
    with np.errstate(all="raise"):
        x, _ = descend("rosenbrock", 200, optimizer="sgd")
    assert not np.isfinite(x.theta[-1])
    assert np.isfinite(x.theta[0])


# ---- the lecture's claims (text.DECK, "A narrow valley" and "Near the bottom") -------------------


def valley_starts(count: int = 40) -> list[tuple[float, float]]:
    rng = np.random.default_rng(2026)
    return [(rng.uniform(-3.0, -1.0), rng.uniform(0.5, 1.5)) for _ in range(count)]


@pytest.mark.parametrize("condition", [100.0, 1000.0])
def test_claim_a_narrow_valley(condition):
    """'Adam's steps across and along are about η each while gradient descent's step across is tens of
    times its step along, and it zig-zags': over the first 20 steps from 40 starts, Adam's mean
    |step_y|/|step_x| lies in (0.8, 1.25) and every step lies in (0.8η, 1.5η) (the slide's readout at
    iteration 30: 0.96 and 0.91); gradient descent's ratio is at least
    κ/20 (κ·|y₀|/|x₀| on the first step, then shrinking with the zig-zag), and its y changes sign on at
    least 5 of the first 10 steps."""
    for start in valley_starts():
        adam_x, adam_y = descend("valley", 20, start=start, condition=condition)
        sgd_x, sgd_y = descend("valley", 20, start=start, condition=condition, optimizer="sgd")
        adam_ratio = np.abs(adam_y.step).mean() / np.abs(adam_x.step).mean()
        sgd_ratio = np.abs(sgd_y.step).mean() / np.abs(sgd_x.step).mean()
        assert 0.8 < adam_ratio < 1.25, (start, adam_ratio)
        adam_steps = np.abs(np.concatenate([adam_x.step, adam_y.step])) / 0.01
        assert adam_steps.min() > 0.8 and adam_steps.max() < 1.5, (start, adam_steps.min(), adam_steps.max())
        assert sgd_ratio > condition / 20, (start, sgd_ratio)
        before = np.r_[start[1], sgd_y.theta[:9]]
        crossings = np.count_nonzero(np.signbit(sgd_y.theta[:10]) != np.signbit(before))
        assert crossings >= 5, (start, crossings)


def test_claim_a_narrow_valley_along_the_floor():
    """The slide's κ = 1000, 400 steps: 'gradient descent covers only about half the way along; Adam over
    85%': from 40 starts, |x₄₀₀|/|x₀| > 0.45 for gradient descent and < 0.15 for Adam (at the slide's own
    start (−2, 1): 0.49 and 0.025)."""
    for start in [(-2.0, 1.0), *valley_starts()]:
        (adam_x, _), (sgd_x, _) = (
            descend("valley", 400, start=start, condition=1000.0, optimizer=name) for name in ("adam", "sgd")
        )
        assert abs(sgd_x.theta[-1] / start[0]) > 0.45, start
        assert abs(adam_x.theta[-1] / start[0]) < 0.15, start
    x, y = descend("valley", 31, start=(-2.0, 1.0), condition=1000.0)
    assert 0.9 < abs(x.step[30]) / 0.01 < 1.0 and 0.9 < abs(y.step[30]) / 0.01 < 1.0  # the slide's iteration


def test_claim_near_the_bottom():
    """On the noiseless bowl at β₁ = β₂ = 0.99, η = 0.01, 3,000 steps from 40 starts in [−5, 5]:
    Adam's θ crosses the optimum at least 100 times, gradient descent's never; every Adam step after
    the first lies on η/√(γ̂² + 1) up to ε: |step|/η·√(γ̂² + 1)·(1 + ε/√v̂) = 1 within 1e-9 (at β₁ = β₂,
    m̂²/v̂ = 1/(γ̂² + 1) is an identity; the rest is rounding, a few ulp of each term)."""
    rng = np.random.default_rng(7)
    starts = rng.uniform(0.2, 5.0, 40) * rng.choice([-1.0, 1.0], 40)
    (slide,) = descend("bowl", 3000, start=[1.0], beta1=0.99, beta2=0.99)  # the slide's: "580 times"
    assert np.count_nonzero(np.signbit(slide.theta[1:]) != np.signbit(slide.theta[:-1])) == 580
    for start in starts:
        (adam,) = descend("bowl", 3000, start=[start], beta1=0.99, beta2=0.99)
        (sgd,) = descend("bowl", 3000, start=[start], optimizer="sgd")
        crossings = lambda theta: np.count_nonzero(np.signbit(theta[1:]) != np.signbit(theta[:-1]))  # noqa: E731
        assert crossings(adam.theta) >= 100, start
        assert crossings(np.r_[start, sgd.theta]) == 0, start
        spread = np.sqrt(np.maximum(adam.v_hat - adam.m_hat**2, 0.0)) / np.abs(adam.m_hat)
        on_curve = np.abs(adam.step) / 0.01 * np.sqrt(spread**2 + 1) * (1 + 1e-8 / adam.sqrt_v_hat)
        np.testing.assert_allclose(on_curve[1:], 1.0, rtol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_claim_the_bowl_text(seed):
    """text.VALLEY["bowl"]: gradient descent's step fades near the bottom, Adam's does not — at the
    page's defaults (200 iterations) Adam's θ is far nearer 0 than SGD's — and given more iterations
    Adam's θ keeps crossing the bottom (noise 0 by default: the seed changes nothing, as it should)."""
    from adamviz.app.settings import ExplorerSettings

    d = ExplorerSettings()
    common = {"lr": d.lr, "seed": seed, "noise": d.noise}
    (adam,) = descend("bowl", d.iterations, optimizer="adam", **common)
    (sgd,) = descend("bowl", d.iterations, optimizer="sgd", **common)
    assert abs(adam.theta[-1]) < abs(sgd.theta[-1]) / 5
    (long_run,) = descend("bowl", 5 * d.iterations, optimizer="adam", **common)
    crossings = np.count_nonzero(np.sign(long_run.theta[1:]) != np.sign(long_run.theta[:-1]))
    assert crossings >= 3
