"""Gradient clipping: by global norm, by value, and by each tensor's own norm.

Clipping by norm (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training
recurrent neural networks") rescales the gradient ``g`` to ``g * min(1, c / ||g||)``:
its length is capped at ``c`` and its direction is kept. Done globally, over every
parameter's gradient seen as one long vector, the update still points where the full
gradient points. Done per tensor, each parameter's gradient is capped on its own, which
changes the direction of the full gradient whenever the tensors' norms differ.

The functions match ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` and never
branch in Python on a tensor value: the scale factor is a tensor, computed with a clamp,
so clipping costs no host sync (except ``error_if_nonfinite=True``, which has to look).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Iterable

import torch

from . import _validate
from ._foreach import _foreach_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm_per_tensor_", "clip_hit_rate"]

_EPS = 1e-6  # added to the norm before dividing, as torch does


def _grads(parameters) -> list[torch.Tensor]:
    """The existing gradients of ``parameters`` (a tensor or an iterable of tensors)."""
    if isinstance(parameters, torch.Tensor):
        params = [parameters]
    elif isinstance(parameters, torch.nn.Module):
        raise TypeError(f"parameters={type(parameters).__name__} is a module; "
                        "pass model.parameters() instead")
    else:
        try:
            params = list(parameters)
        except TypeError:
            raise TypeError(f"parameters={parameters!r} must be a tensor or an iterable "
                            "of tensors") from None
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"parameters[{i}]={p!r} is a {type(p).__name__}, "
                            "must be a torch.Tensor")
    return [p.grad for p in params if p.grad is not None]


def _norm_type(norm_type) -> float:
    """Return ``norm_type`` as a float if it is a positive number or inf."""
    if (isinstance(norm_type, bool) or not isinstance(norm_type, Real)
            or math.isnan(norm_type) or not norm_type > 0):
        raise ValueError(f"norm_type={norm_type!r} must be a positive number or inf "
                         "(e.g. 1, 2.0, float('inf'))")
    return float(norm_type)


def _norms(grads: list[torch.Tensor], norm_type: float) -> list[torch.Tensor]:
    """The ``norm_type``-norm of each gradient, each a 0-d tensor."""
    if norm_type == 2.0:
        return _foreach_norm(grads)
    return [torch.linalg.vector_norm(g, norm_type) for g in grads]


def _scale_(grads: list[torch.Tensor], scale: torch.Tensor) -> None:
    """Multiply every gradient in place by ``scale`` (0-d, or one entry per gradient)."""
    if scale.dim() == 0:
        by_device: dict[torch.device, list[torch.Tensor]] = {}
        for g in grads:
            by_device.setdefault(g.device, []).append(g)
        for device, group in by_device.items():
            torch._foreach_mul_(group, scale.to(device))
    else:
        for g, s in zip(grads, scale.unbind()):
            g.mul_(s.to(g.device))


def clip_grad_norm_(parameters: torch.Tensor | Iterable[torch.Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> torch.Tensor:
    """Rescale gradients in place so that their total norm is at most ``max_norm``.

    The total norm is that of all gradients concatenated into one vector; every
    gradient is multiplied by ``min(1, max_norm / (total + 1e-6))``, so the direction
    of the full gradient is kept (Pascanu, Mikolov & Bengio 2013). Same semantics as
    ``torch.nn.utils.clip_grad_norm_``.

    Args:
        parameters: a tensor or an iterable of tensors; those whose ``.grad`` is None
            are skipped.
        max_norm: the largest total norm allowed, a finite number >= 0.
        norm_type: the p of the p-norm, a positive number or ``float('inf')``.
        error_if_nonfinite: raise RuntimeError if the total norm is nan or inf (this
            check reads the norm, one host sync); otherwise scale by it regardless.

    Returns:
        The total norm before clipping, a 0-d tensor (``tensor(0.)`` if no gradients).
    """
    grads = _grads(parameters)
    max_norm = _validate.real("max_norm", max_norm, nonnegative=True)
    norm_type = _norm_type(norm_type)
    if not isinstance(error_if_nonfinite, bool):
        raise TypeError(f"error_if_nonfinite={error_if_nonfinite!r} must be True or False")
    if not grads:
        return torch.tensor(0.0)
    with torch.no_grad():
        norms = _norms(grads, norm_type)
        first = grads[0].device
        total = torch.linalg.vector_norm(torch.stack([n.to(first) for n in norms]),
                                         norm_type)
        if error_if_nonfinite and not torch.isfinite(total).item():
            raise RuntimeError(
                f"the total norm of order {norm_type} of the gradients of `parameters` "
                f"is {total.item()}, so they cannot be clipped; set "
                "error_if_nonfinite=False to scale them by the non-finite norm anyway")
        scale = (max_norm / (total + _EPS)).clamp(max=1.0)
        _scale_(grads, scale)
    return total


def clip_grad_norm_per_tensor_(parameters: torch.Tensor | Iterable[torch.Tensor],
                               max_norm: float, norm_type: float = 2.0) -> torch.Tensor:
    """Rescale each gradient in place so that its own norm is at most ``max_norm``.

    Each gradient ``g_i`` is multiplied by ``min(1, max_norm / (||g_i|| + 1e-6))``.
    Unlike :func:`clip_grad_norm_` (Pascanu, Mikolov & Bengio 2013), this changes the
    direction of the full gradient whenever the tensors' norms differ: large gradients
    shrink, small ones do not.

    Args:
        parameters: a tensor or an iterable of tensors; those whose ``.grad`` is None
            are skipped.
        max_norm: the largest norm allowed for each gradient, a finite number >= 0.
        norm_type: the p of the p-norm, a positive number or ``float('inf')``.

    Returns:
        The norm of each gradient before clipping, a 1-D tensor in parameter order
        (skipped parameters left out; empty if there are no gradients).
    """
    grads = _grads(parameters)
    max_norm = _validate.real("max_norm", max_norm, nonnegative=True)
    norm_type = _norm_type(norm_type)
    if not grads:
        return torch.zeros(0)
    with torch.no_grad():
        first = grads[0].device
        norms = torch.stack([n.to(first) for n in _norms(grads, norm_type)])  # (tensors,)
        scale = (max_norm / (norms + _EPS)).clamp(max=1.0)
        _scale_(grads, scale)
    return norms


def clip_grad_value_(parameters: torch.Tensor | Iterable[torch.Tensor],
                     clip_value: float) -> None:
    """Clamp every gradient element in place to ``[-clip_value, clip_value]``.

    Same semantics as ``torch.nn.utils.clip_grad_value_``. Clipping by value also
    changes the gradient's direction; Pascanu et al. (2013) clip by norm instead.

    Args:
        parameters: a tensor or an iterable of tensors; those whose ``.grad`` is None
            are skipped.
        clip_value: the largest absolute value allowed, a finite number >= 0.

    Returns:
        None.
    """
    grads = _grads(parameters)
    clip_value = _validate.real("clip_value", clip_value, nonnegative=True)
    with torch.no_grad():
        for g in grads:
            g.clamp_(min=-clip_value, max=clip_value)


def clip_hit_rate(grad_norms, max_norm: float, window: int | None = None):
    """The fraction of steps whose gradient norm exceeds ``max_norm``: where clipping acted.

    Read from recorded norms before clipping (e.g. ``History.grad_norm`` or
    ``Trajectory.grad_norms``). Pascanu et al. (2013) choose the threshold from such
    statistics; the hit rate says how often a threshold changes the update. A NaN or
    infinite norm counts as a hit (it exceeds any threshold).

    Args:
        grad_norms: the gradient norm of each step, a 1-D sequence or tensor (non-empty).
        max_norm: the clipping threshold, a finite number >= 0.
        window: None for one rate over all steps; or a number of steps >= 1, for one rate
            per consecutive window (the last window may be shorter).

    Returns:
        A float, or with ``window`` a 1-D float64 tensor, one rate per window.
    """
    try:
        norms = torch.as_tensor(grad_norms, dtype=torch.float64).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"grad_norms={type(grad_norms).__name__} must be a 1-D sequence "
                        "of numbers") from None
    if norms.dim() != 1 or norms.numel() == 0:
        raise ValueError(f"grad_norms has shape {tuple(norms.shape)}; expected a non-empty "
                         "1-D sequence (one norm per step)")
    max_norm = _validate.real("max_norm", max_norm, nonnegative=True)
    if window is not None:
        window = _validate.integer("window", window, minimum=1)
    hit = (~(norms <= max_norm)).double()                   # (steps,), NaN counts as a hit
    if window is None:
        return hit.mean().item()
    return torch.stack([chunk.mean() for chunk in hit.split(window)])   # (windows,)
