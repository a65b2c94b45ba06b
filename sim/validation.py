"""Argument checks that fail with one message style everywhere (Python, the CLI and the page):
``NAME must be KIND RANGE; got VALUE`` — e.g. ``beta1 must be a number in [0, 1); got 1.5``."""

from __future__ import annotations

import math
import numbers


def rejection(name: str, value: object, requirement: str) -> str:
    """The message for a rejected value: ``f"{name} must be {requirement}; got {value!r}"``."""
    return f"{name} must be {requirement}; got {value!r}"


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an int if it is an integer in [low, high]; else raise ValueError."""
    requirement = f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if not (isinstance(value, float) and value.is_integer()):
            raise ValueError(rejection(name, value, requirement))
        value = int(value)
    if not low <= value <= high:
        raise ValueError(rejection(name, value, requirement))
    return int(value)


def _as_float(name: str, value: object, requirement: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ValueError(rejection(name, value, requirement))
    return float(value)


def check_range(
    name: str, value: object, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float:
    """Return ``value`` as a float inside the interval; else raise ValueError naming the interval."""
    requirement = f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    number = _as_float(name, value, requirement)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        raise ValueError(rejection(name, number, requirement))
    return number


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and > 0."""
    number = _as_float(name, value, "a number > 0")
    if not number > 0:
        raise ValueError(rejection(name, number, "a number > 0"))
    return number


def check_non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and >= 0."""
    number = _as_float(name, value, "a number >= 0")
    if not number >= 0:
        raise ValueError(rejection(name, number, "a number >= 0"))
    return number
