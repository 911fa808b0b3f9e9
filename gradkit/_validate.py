"""Argument checks shared by gradkit's public functions.

Every check raises before any work is done, with a message that names the argument,
the value it got and what is allowed.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Iterable

__all__: list[str] = []


def one_of(name: str, value, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``; raise ValueError otherwise."""
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def integer(name: str, value, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, requiring an integer (not bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name}={value!r} must be an integer")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def real(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """Return ``value`` as a finite float, optionally > 0 or >= 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise TypeError(f"{name}={value!r} must be a finite real number")
    if positive and not value > 0:
        raise ValueError(f"{name}={value!r} must be > 0")
    if nonnegative and not value >= 0:
        raise ValueError(f"{name}={value!r} must be >= 0")
    return float(value)


def flag(name: str, value) -> bool:
    """Return ``value`` if it is True or False; raise TypeError otherwise."""
    if not isinstance(value, bool):
        raise TypeError(f"{name}={value!r} must be True or False")
    return value
