"""Check gradients numerically: central differences and the relative error.

The numerical gradient needs nothing but the function: nudge one entry of ``x`` up and
down by ``eps`` and look at how ``f`` changes. It is slow (two evaluations of ``f`` per
entry) and approximate, which is exactly what makes it a trustworthy referee for a
gradient computed by autograd or by hand.
"""
from __future__ import annotations

import itertools
from numbers import Real

import torch

from . import _validate

__all__ = ["check_gradient", "numerical_gradient", "relative_error"]


def _check_x(x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x={type(x).__name__} must be a torch.Tensor")
    if not x.is_floating_point():
        raise TypeError(f"x has dtype={x.dtype}; the numerical gradient needs a "
                        "floating-point tensor (float64 for accurate checks)")


def _check_f(f) -> None:
    if not callable(f):
        raise TypeError(f"f={type(f).__name__} must be callable: f(x) -> scalar")


def _scalar(out) -> torch.Tensor:
    """``f``'s result as a 0-d tensor; a clear error if it is not a scalar."""
    if isinstance(out, torch.Tensor):
        if out.dim() != 0:
            raise ValueError(f"f must return a scalar (a 0-d tensor or a number), "
                             f"but it returned a tensor of shape {tuple(out.shape)}")
        return out.detach()
    if isinstance(out, Real) and not isinstance(out, bool):
        return torch.tensor(float(out), dtype=torch.float64)
    raise TypeError(f"f must return a scalar (a 0-d tensor or a number), "
                    f"but it returned {type(out).__name__}")


def numerical_gradient(f, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """The gradient of a scalar function by central differences.

    For every entry ``x_i``: ``df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``,
    whose error is O(eps^2) plus the rounding error of ``f`` divided by ``eps``.
    ``f`` is evaluated in the dtype of ``x``. Use float64 for checks: with the default
    ``eps`` the :func:`relative_error` to the true gradient is typically 1e-10 to 1e-7.
    float32 gives only about 1e-3 accuracy, and only with a far larger ``eps`` (about
    1e-2): with ``eps=1e-6`` the nudge is a few float32 rounding steps and the result
    is noise.

    ``x`` is nudged in place, one entry at a time, and each entry is restored to its exact
    original value right after (also if ``f`` raises), without bumping autograd's version
    counter. So ``f`` may ignore its argument and read ``x`` directly, e.g. a model's
    weight: ``numerical_gradient(lambda W: loss(model), model.layer.weight)``.
    ``f`` runs under ``torch.no_grad()``.

    Args:
        f: a function of ``x`` returning a scalar (a 0-d tensor or a Python number).
        x: the point, a floating-point tensor of any shape.
        eps: the step (> 0).

    Returns:
        A tensor shaped like ``x``, with its dtype and device, holding the estimate of
        ``df/dx``.
    """
    _check_f(f)
    _check_x(x)
    _validate.real("eps", eps, positive=True)
    data = x.data               # writes through .data leave autograd's version counter alone
    grad = torch.empty_like(data)
    with torch.no_grad():
        _scalar(f(x))           # checks that f returns a scalar before nudging anything
        for idx in itertools.product(*(range(n) for n in x.shape)):  # () for a 0-d x
            old = data[idx].clone()
            try:
                data[idx] = old + eps
                f_plus = _scalar(f(x))
                data[idx] = old - eps
                f_minus = _scalar(f(x))
            finally:
                data[idx] = old                             # bit-exact restore
            grad[idx] = (f_plus - f_minus) / (2 * eps)      # stays a tensor: no host sync
    return grad


def relative_error(a, b, eps: float = 1e-12) -> float:
    """The largest elementwise relative error between two tensors, as a Python float.

    ``max_i |a_i - b_i| / max(|a_i| + |b_i|, eps)``, computed in float64: symmetric in
    ``a`` and ``b``, between 0 and 1 (1 when the entries have opposite signs), and the
    ``eps`` floor keeps two zeros from dividing 0 by 0. The relative error used in
    Stanford's CS231n notes for gradient checks. Rule of thumb in float64: below 1e-7
    agrees, above 1e-4 something is wrong (kinks such as ReLU at 0 excepted).

    Args:
        a, b: tensors (or numbers, or arrays) of the same shape; no broadcasting.
        eps: floor for the denominator (> 0).

    Returns:
        The maximum over entries (0.0 for empty tensors); NaN if any entry is NaN.
    """
    _validate.real("eps", eps, positive=True)
    try:
        a, b = torch.as_tensor(a), torch.as_tensor(b)
    except (TypeError, ValueError, RuntimeError) as e:
        raise TypeError(f"a and b must be tensors or numbers: {e}") from None
    if a.shape != b.shape:
        raise ValueError(f"a.shape={tuple(a.shape)} and b.shape={tuple(b.shape)} must be "
                         "equal (relative_error does not broadcast)")
    if a.numel() == 0:
        return 0.0
    a, b = a.detach().to(torch.float64), b.detach().to(a.device, torch.float64)
    err = (a - b).abs() / (a.abs() + b.abs()).clamp_min(eps)
    return err.max().item()                                 # the one host sync


def check_gradient(f, x: torch.Tensor, eps: float = 1e-6) -> float:
    """The relative error between autograd's gradient of ``f`` at ``x`` and the numerical one.

    Autograd differentiates ``f`` at a copy of ``x`` that requires grad, so ``f`` must
    compute its result from its argument; ``x`` itself is not modified. Use float64.

    Args:
        f: a function of ``x`` returning a 0-d tensor.
        x: the point, a floating-point tensor of any shape.
        eps: the central-difference step (> 0), see :func:`numerical_gradient`.

    Returns:
        :func:`relative_error` of the two gradients (about 1e-8 or less when they agree).
    """
    _check_f(f)
    _check_x(x)
    _validate.real("eps", eps, positive=True)
    point = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        out = f(point)
        _scalar(out)                                        # a clear error if not a scalar
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"f returned {type(out).__name__}; check_gradient needs a "
                            "0-d tensor computed from x, so that autograd can follow it")
        analytic = None
        if out.requires_grad:
            (analytic,) = torch.autograd.grad(out, point, allow_unused=True)
    if analytic is None:
        analytic = torch.zeros_like(point)                  # f does not depend on x
    numeric = numerical_gradient(f, x.detach().clone(), eps=eps)
    return relative_error(analytic, numeric)
