"""Checks for problem-set tests that fail with a message a student can act on.

Each check raises :class:`CheckFailed` (an ``AssertionError``) saying what was expected,
what it got, and a hint; each returns None on success, so a test cell never ends in a
value nbgrader could mistake for partial credit.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Iterable

import torch

__all__ = ["CheckFailed", "check", "check_close", "check_shape", "check_number",
           "check_between", "check_choice", "check_choices"]


class CheckFailed(AssertionError):
    """A failed check; the message is written for the student."""


def _fail(what: str, expected: str, got: str, hint: str) -> None:
    msg = f"{what}: expected {expected}, got {got}."
    if hint:
        msg += f"\nHint: {hint}"
    raise CheckFailed(msg)


def _short(x) -> str:
    if isinstance(x, torch.Tensor):
        if x.numel() <= 6:
            return f"tensor({[round(v, 6) for v in x.detach().double().reshape(-1).tolist()]}"\
                   f", shape={tuple(x.shape)})"
        return f"a tensor of shape {tuple(x.shape)}"
    r = repr(x)
    return r if len(r) <= 80 else r[:77] + "..."


def check(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds (instead of a bare ``assert``)."""
    if not condition:
        raise CheckFailed(message)


def check_number(got, name: str, hint: str = "") -> None:
    """``got`` must be a finite real number (a float, an int or a 1-element tensor)."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not isinstance(got, Real) or not math.isfinite(got):
        _fail(name, "a finite number", _short(got), hint or f"assign a number to {name}")


def check_shape(got, shape, name: str, hint: str = "") -> None:
    """``got`` must be a tensor of the given shape."""
    if not isinstance(got, torch.Tensor):
        _fail(name, f"a torch.Tensor of shape {tuple(shape)}", type(got).__name__, hint)
    if tuple(got.shape) != tuple(shape):
        _fail(name, f"shape {tuple(shape)}", f"shape {tuple(got.shape)}", hint)


def check_close(got, expected, name: str, *, rtol: float = 1e-5, atol: float = 1e-8,
                hint: str = "") -> None:
    """``got`` must equal ``expected`` to ``|got - expected| <= atol + rtol * |expected|``.

    Works for numbers and tensors (shapes must match; dtypes may differ).
    """
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            _fail(name, f"a torch.Tensor of shape {tuple(expected.shape)}",
                  type(got).__name__, hint)
        if got.shape != expected.shape:
            _fail(name, f"shape {tuple(expected.shape)}", f"shape {tuple(got.shape)}", hint)
        g, e = got.detach().double().cpu(), expected.detach().double().cpu()
        if bool(torch.isnan(g).any()) and not bool(torch.isnan(e).any()):
            _fail(name, _short(expected), "NaN values", hint)
        bad = ~torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        if bool(bad.any()):
            i = int(bad.reshape(-1).nonzero()[0])
            _fail(name, f"{_short(expected)} (to rtol={rtol}, atol={atol})",
                  f"{_short(got)}; {int(bad.sum())} of {bad.numel()} entries differ, first at "
                  f"flat index {i}: {g.reshape(-1)[i].item():.6g} vs {e.reshape(-1)[i].item():.6g}",
                  hint)
        return
    check_number(got, name, hint)
    g = float(got.item() if isinstance(got, torch.Tensor) else got)
    if not abs(g - float(expected)) <= atol + rtol * abs(float(expected)):
        _fail(name, f"{float(expected):.6g} (to rtol={rtol}, atol={atol})", f"{g:.6g}", hint)


def check_between(got, low: float, high: float, name: str, hint: str = "") -> None:
    """``got`` must be a number with ``low <= got <= high``."""
    check_number(got, name, hint)
    g = float(got.item() if isinstance(got, torch.Tensor) else got)
    if not low <= g <= high:
        _fail(name, f"a value between {low:.6g} and {high:.6g}", f"{g:.6g}", hint)


def check_choice(answer, valid: Iterable[str], name: str) -> None:
    """Form check for a multiple-choice answer: one letter among ``valid``."""
    valid = sorted(valid)
    if not isinstance(answer, str) or answer.strip().upper() not in valid:
        _fail(name, f"one of {', '.join(repr(v) for v in valid)} (a string)", _short(answer),
              f'write e.g. {name} = "{valid[0]}"')


def check_choices(answer, valid: Iterable[str], name: str) -> None:
    """Form check for a multiple-select answer: a non-empty set of letters among ``valid``."""
    valid = sorted(valid)
    ok = isinstance(answer, (set, frozenset, list, tuple)) and len(answer) > 0 and all(
        isinstance(a, str) and a.strip().upper() in valid for a in answer)
    if not ok:
        _fail(name, f"a non-empty set of letters from {', '.join(valid)}", _short(answer),
              f'write e.g. {name} = {{"{valid[0]}", "{valid[-1]}"}}')
