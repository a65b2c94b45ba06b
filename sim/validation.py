"""Argument checks that fail with a message naming the parameter, its value and the allowed range."""

from __future__ import annotations

import math
import numbers


def check_int(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` as an int if it is an integer in [low, high]; else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer in [{low}, {high}]; got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}]; got {value}")
    return int(value)


def _as_float(name: str, value: object, allowed: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number {allowed}; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number {allowed}; got {number}")
    return number


def check_range(
    name: str, value: object, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float:
    """Return ``value`` as a float inside the interval; else raise ValueError naming the interval."""
    allowed = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    number = _as_float(name, value, allowed)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        raise ValueError(f"{name} must be {allowed}; got {number!r}")
    return number


def check_positive(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and > 0."""
    number = _as_float(name, value, "> 0")
    if not number > 0:
        raise ValueError(f"{name} must be > 0; got {number!r}")
    return number


def check_non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and >= 0."""
    number = _as_float(name, value, ">= 0")
    if not number >= 0:
        raise ValueError(f"{name} must be >= 0; got {number!r}")
    return number
