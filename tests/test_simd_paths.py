"""The numeric tests once more, with NumPy's AVX-512 kernels switched off, in a subprocess.

NumPy picks SIMD kernels per CPU at import time, and some of them (its AVX-512 ``power``, for one)
round differently from the C library. The suite runs as dispatched on this machine; this test runs
the numeric part again with ``NPY_DISABLE_CPU_FEATURES`` naming every AVX-512 target this CPU has,
so both code paths are exercised on an AVX-512 machine. On one without, the second run would take
the AVX2 path the suite has just taken, test for test: it is skipped there (76 s of a CI run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
NUMERIC_TESTS = [
    "test_torch_golden.py",
    "test_recurrence.py",
    "test_reference_loop.py",
    "test_closed_forms.py",
    "test_population.py",  # bit-identical to the page on either path (its slow claims: statistics, skipped)
    "test_descend.py",  # the closed loops: torch goldens and the page's arithmetic, on either path
    "test_schedules.py",  # lr_t by math.cos, never numpy's: the same rates on either path
    "test_switch.py",  # Adam, then SGD: the hand-over and the rule
    "test_engine_node.py",  # the page's engine against NumPy: bit-identical where it promises it
    "test_precision.py",  # float32/bfloat16/float16: torch's values bit for bit, and the page's
    # the recorder's stored moments, r_t percentiles and SGD shadow moments, and load's m̂, √v̂
    "test_record.py::test_moments_equal_torch_state",
    "test_record.py::test_percentiles_are_of_r_over_the_whole_tensor",
    "test_record.py::test_sgd_gets_adams_moments_from_the_recorder",
]

_FEATURES = """
try:
    from numpy._core import _multiarray_umath as umath
except ImportError:  # numpy < 2
    from numpy.core import _multiarray_umath as umath
print(" ".join(f for f in umath.__cpu_dispatch__
               if (f.startswith("AVX512") or f == "X86_V4") and umath.__cpu_features__.get(f)))
"""


def _avx512_targets(env: dict[str, str]) -> list[str]:
    """The AVX-512 dispatch targets NumPy would use under ``env``."""
    out = subprocess.run(
        [sys.executable, "-c", _FEATURES], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_numeric_tests_pass_with_avx512_kernels_off():
    env = {key: value for key, value in os.environ.items() if key != "NPY_DISABLE_CPU_FEATURES"}
    targets = _avx512_targets(env)
    if not targets:
        pytest.skip("this CPU has no AVX-512: NumPy's kernels here are the AVX2 ones the suite just ran")
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(targets)
    assert _avx512_targets(env) == [], "NumPy did not switch its AVX-512 kernels off"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-k",
            "not claim",
            *NUMERIC_TESTS,
        ],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout.splitlines()[-1]
