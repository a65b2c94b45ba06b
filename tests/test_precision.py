"""Half precision as torch holds it (adamviz.sim.precision): the roundings, torch's own runs in float32,
bfloat16 and float16 (tests/data/precision_golden.npz, tests/make_precision_golden.py), the page's
engine against NumPy bit for bit, and the lesson the page tells about ε in float16."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engine_node import run_engine

from adamviz.sim import OPTIMIZERS, simulate, stream
from adamviz.sim.precision import PRECISIONS, to_bfloat16, to_float16, to_float32

from error_bounds import assert_same_rounding, assert_within, float32_root_bounds

GOLDEN = np.load(Path(__file__).parent / "data" / "precision_golden.npz", allow_pickle=False)
INDEX = json.loads(str(GOLDEN["index"]))
CASES = INDEX["cases"]
HALF_FORMATS = ("bfloat16", "float16")
U32 = 2.0**-24  # float32's unit roundoff


def test_golden_covers_every_emulated_optimizer_in_every_format():
    covered = {(case["optimizer"], case["precision"]) for case in CASES}
    assert covered >= {(name, p) for name in OPTIMIZERS for p in PRECISIONS if p != "float64"}
    assert INDEX["torch"].startswith("2.13")


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["precision"] in HALF_FORMATS], ids=lambda c: c["name"]
)
def test_half_formats_equal_torch_bit_for_bit(case):
    """In bfloat16 and float16 torch's float32 arithmetic is always rounded again to the format, so
    emulating each operation's rounding reproduces every value torch held, NaN and ±inf included."""
    name = case["name"]
    run = simulate(
        GOLDEN[f"{name}/g"], optimizer=case["optimizer"], precision=case["precision"], **case["settings"]
    )
    np.testing.assert_array_equal(run.theta, GOLDEN[f"{name}/theta"], err_msg=f"{name} theta")
    if f"{name}/m" in GOLDEN:
        np.testing.assert_array_equal(run.m, GOLDEN[f"{name}/m"], err_msg=f"{name} m")
    if f"{name}/v" in GOLDEN:
        np.testing.assert_array_equal(run.v, GOLDEN[f"{name}/v"], err_msg=f"{name} v")


def float32_ulp(x: np.ndarray) -> np.ndarray:
    return np.spacing(np.abs(x).astype(np.float32)).astype(np.float64)


@pytest.mark.parametrize("case", [c for c in CASES if c["precision"] == "float32"], ids=lambda c: c["name"])
def test_float32_equals_torch_up_to_its_square_root(case):
    """torch's float32 square root on the CPU is within one ulp of √v but not always the nearest float32
    (about one in five differ here): θ within error_bounds.float32_root_bounds of torch's, derived from
    that. sgd, momentum, adamax and adafactor take no such root (adafactor's rsqrt is correctly rounded
    in torch's scalar loop): equal; without coupled decay, so are m and v, which no root feeds."""
    name, optimizer = case["name"], case["optimizer"]
    g, theta = GOLDEN[f"{name}/g"], GOLDEN[f"{name}/theta"]
    run = simulate(g, optimizer=optimizer, precision="float32", **case["settings"])
    if optimizer in ("sgd", "momentum", "adamax", "adafactor"):
        np.testing.assert_array_equal(run.theta, theta, err_msg=name)
        return
    coupled = case["settings"].get("weight_decay", 0) > 0 and not (
        optimizer == "adamw" or case["settings"].get("decoupled_weight_decay")
    )
    if not coupled and f"{name}/v" in GOLDEN:
        np.testing.assert_array_equal(run.v, GOLDEN[f"{name}/v"], err_msg=f"{name} v")
    assert_within(
        run.theta, theta, float32_root_bounds(g, run, optimizer, case["settings"]), what=f"{name} theta"
    )


def test_float32_does_differ_from_torch_somewhere():
    """The bound above is not idle: torch's root makes θ differ in some float32 Adam runs."""
    differing = 0
    for case in (c for c in CASES if c["precision"] == "float32" and c["optimizer"] == "adam"):
        run = simulate(GOLDEN[f"{case['name']}/g"], optimizer="adam", precision="float32", **case["settings"])
        differing += int(np.sum(run.theta != GOLDEN[f"{case['name']}/theta"]))
    assert differing > 0


def test_float16_and_eps_the_lesson():
    """g = 1e-4: g² = 1e-8 is below float16's smallest subnormal (2⁻²⁴ ≈ 6e-8), so v rounds to 0, and
    ε = 1e-8 rounds to 0 as well: the denominator is 0 and θ = −inf at the first step — as torch. With
    ε = 1e-6 (a subnormal, but not 0) the steps stay finite: lr·m̂/ε, about a full unit per step."""
    assert to_float16(1e-4**2) == 0 and to_float16(1e-8) == 0 and to_float16(1e-6) > 0
    tiny = simulate(np.full(20, 1e-4), precision="float16", eps=1e-8)
    assert np.all(tiny.v == 0) and tiny.theta[0] == -np.inf
    np.testing.assert_array_equal(tiny.theta, GOLDEN["tiny_eps8/theta"][:, 0])
    raised = simulate(np.full(20, 1e-4), precision="float16", eps=1e-6)
    assert np.all(np.isfinite(raised.theta)) and np.all(raised.v == 0)
    np.testing.assert_array_equal(raised.theta, GOLDEN["tiny_eps6/theta"][:, 0])
    # each step is lr·m̂/ε (ε as float16 holds it) up to three float32 roundings and θ's own rounding,
    # to float32 then float16: half an ulp of each, which grows with |θ| (float16's: 2⁻⁷ at 16–32)
    quotient = 0.01 * raised.m_hat / to_float16(1e-6)
    theta_ulps = sum(
        np.spacing(np.abs(raised.theta).astype(f)).astype(float) for f in (np.float16, np.float32)
    )
    assert_within(raised.step, quotient, theta_ulps / 2 + 4 * U32 * np.abs(quotient), what="step = lr·m̂/ε")
    assert np.all(np.abs(quotient - 1) < 0.02)  # about one unit of θ per step: 10,000 times Adam's ~lr
    bfloat = simulate(np.full(20, 1e-4), precision="bfloat16", eps=1e-8)  # bfloat16 keeps float32's range
    assert np.all(np.isfinite(bfloat.theta)) and np.all(bfloat.v > 0)
    np.testing.assert_array_equal(bfloat.theta, GOLDEN["tiny_eps8_bf16/theta"][:, 0])


def test_float64_is_the_unrounded_path():
    g = stream("noisy", 300, 3)
    np.testing.assert_array_equal(simulate(g, precision="float64").theta, simulate(g).theta)


@given(st.floats(allow_nan=False, width=64))
def test_roundings_match_numpy_and_torch_formats(x):
    """float16 via float32, as torch converts a double; bfloat16 is float32's top half, ties to even."""
    with np.errstate(over="ignore"):
        single = np.float32(x)
        assert to_float32(x) == float(single)
        assert to_float16(x) == float(np.float16(single))
    bf = to_bfloat16(x)
    if np.isfinite(single):
        bits = int(np.array(single).view(np.uint32))
        low = bits & 0xFFFF
        kept = bits & 0xFFFF0000
        up = low > 0x8000 or (low == 0x8000 and (kept >> 16) & 1)
        want = np.array((kept + (0x10000 if up else 0)) & 0xFFFFFFFF, dtype=np.uint32).view(np.float32)
        assert bf == float(want)


def test_roundings_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.normal(0, 1, 5000) * np.exp(rng.normal(0, 20, 5000)),
            [0.0, -0.0, 65504.0, 65520.0, 2**-25, 2**-24, 1e-8],
        ]
    )
    for fmt, dtype, rounding in (
        ("bfloat16", torch.bfloat16, to_bfloat16),
        ("float16", torch.float16, to_float16),
        ("float32", torch.float32, to_float32),
    ):
        with np.errstate(over="ignore"):
            want = torch.tensor(x, dtype=torch.float64).to(dtype).double().numpy()
        np.testing.assert_array_equal(rounding(x), want, err_msg=fmt)


def test_refusals_name_the_value_and_what_is_allowed():
    with pytest.raises(
        ValueError, match=r"precision must be one of float64, float32, bfloat16, float16; got 'half'"
    ):
        simulate([1.0], precision="half")
    with pytest.raises(ValueError, match="precision bfloat16 does not switch optimizers; set switch_at to 0"):
        simulate(np.ones(10), precision="bfloat16", switch_at=5)
    simulate(np.ones(10), precision="bfloat16", switch_at=10)  # (a switch after the last step is no switch)


def test_engine_rounds_as_numpy(tmp_path):
    """The page's roundings (engine/precision.js: Math.fround, the bfloat16 bit trick, a float16 of its
    own — Chromium's Math.f16round is four times slower, Node 20 has none) against NumPy's: every tie
    between neighbouring float16 values (subnormals too) and the float32 values two ulps either side of
    it, both signs — where a rounding to nearest could go the wrong way — and overflow."""
    rng = np.random.default_rng(1)
    halves = np.arange(0, 0x7C00, dtype=np.uint16).view(np.float16).astype(np.float64)
    ties = ((halves[:-1] + halves[1:]) / 2).astype(np.float32)  # exactly halfway (float32 holds them)
    around = (ties.view(np.int32)[:, None] + np.arange(-2, 3, dtype=np.int32)).reshape(-1).view(np.float32)
    x = np.concatenate(
        [
            rng.normal(0, 1, 4000) * np.exp(rng.normal(0, 15, 4000)),
            around.astype(np.float64),
            -around.astype(np.float64),
            [0.0, -0.0, 65504.0, 65519.99, 65520.0, -65520.0, 65536.0, 2**-25, -(2**-25)],
            [2**-25 * 1.0000001, 2**-14, 2**-14 * (1 - 2**-12), 1e-8, 1e-6, 3.4e38, 3.5e38, -3.5e38, 5e-324],
        ]
    )
    [got] = run_engine([{"kind": "round", "values": x.tolist()}], tmp_path)
    for fmt, rounding in (("float32", to_float32), ("bfloat16", to_bfloat16), ("float16", to_float16)):
        with np.errstate(over="ignore"):
            want = rounding(x)
        np.testing.assert_array_equal(np.array(got[fmt], dtype=float), want, err_msg=fmt)
        np.testing.assert_array_equal(
            np.signbit(np.array(got[fmt], dtype=float)), np.signbit(want), err_msg=fmt
        )


def random_case(rng: random.Random) -> tuple[np.ndarray, dict]:
    name = rng.choice(["consistent", "noisy", "reversal"])
    g = stream(name, rng.randint(5, 400), rng.randint(0, 2**32 - 1)) * 10.0 ** rng.randint(-5, 2)
    settings = {
        "lr": 10 ** rng.uniform(-4, 0),
        "beta1": rng.choice([0.0, 0.3, 0.5, 0.9, 0.999]),
        "beta2": rng.choice([0.0, 0.9, 0.999, 0.9999]),
        "eps": 10 ** rng.uniform(-12, -1),
        "weight_decay": rng.choice([0.0, 0.0, 0.1, 10 ** rng.uniform(-5, 0)]),
        "momentum": rng.choice([0.0, 0.5, 0.9]),
        "bias_correction": rng.random() < 0.8,
        "theta0": rng.choice([0.0, 1.5, -3.0]),
    }
    return g, settings


@pytest.mark.parametrize("precision", ["float32", "bfloat16", "float16"])
def test_engine_steps_as_numpy_bit_for_bit(precision, tmp_path):
    """The page's stepper in each format: the same roundings of the same operations, so θ, √v̂ and the
    step, m and v are equal to NumPy's bit for bit; m̂ and the scale divide by 1 − β₁ᵗ, whose power is correctly rounded in
    the page and the C library's pow (within an ulp) in NumPy.
    Rates given per step, as a recorded run's: the page's cosine is pinned on its own (rate_rtol)."""
    rng = random.Random(f"precision {precision}")
    cases = []
    for k in range(36):
        g, settings = random_case(rng)
        optimizer = list(OPTIMIZERS)[k % len(OPTIMIZERS)]
        rates = np.full(len(g), settings["lr"]) * np.linspace(0.1, 1.0, len(g)) ** rng.choice([0, 1])
        cases.append((g, optimizer, settings, rates))
    requests = [
        {
            "kind": "optimize",
            "optimizer": optimizer,
            "g": g.tolist(),
            "settings": {**settings, "precision": precision, "rates": rates.tolist()},
            "full": True,
        }
        for g, optimizer, settings, rates in cases
    ]
    for (g, optimizer, settings, rates), got in zip(cases, run_engine(requests, tmp_path), strict=True):
        want = simulate(g, optimizer=optimizer, precision=precision, **{**settings, "lr": rates})
        got = {key: np.array(values, dtype=float) for key, values in got.items()}
        keys = ("theta", "step", "m", "v", "sqrt_v_hat", "m_hat", "scale", "v_hat")
        assert_same_rounding(got, want, keys, what=f"{optimizer} {precision} {settings}")
