"""Layer normalisation from scratch: the forward pass, a module, and the backward by hand.

Layer normalisation (Ba, Kiros & Hinton 2016) rescales each sample over its last few
dimensions to zero mean and unit variance, then applies a learned per-feature scale and
shift::

    mu    = mean(x)                      over the normalised (trailing) dimensions
    sigma = sqrt(var(x) + eps)           biased variance (divide by N), eps inside the root
    x_hat = (x - mu) / sigma
    y     = weight * x_hat + bias

:func:`layer_norm` has the semantics of ``torch.nn.functional.layer_norm``,
:class:`LayerNorm` those of ``torch.nn.LayerNorm`` (same parameters and ``state_dict``
keys), and :func:`layer_norm_backward` writes out the gradient that autograd computes.
"""
from __future__ import annotations

from numbers import Integral

import torch
from torch import nn

from . import _validate

__all__ = ["LayerNorm", "layer_norm", "layer_norm_backward"]


def _as_shape(normalized_shape) -> tuple[int, ...]:
    """``normalized_shape`` as a tuple of ints: an int or a non-empty sequence of ints."""
    if isinstance(normalized_shape, (tuple, list, torch.Size)):
        shape = tuple(normalized_shape)
    else:
        shape = (normalized_shape,)
    bad = not shape or any(isinstance(n, bool) or not isinstance(n, Integral) or n < 0
                           for n in shape)
    if bad:
        raise TypeError(f"normalized_shape={normalized_shape!r} must be an int or a "
                        "non-empty tuple of ints >= 0 (the trailing dimensions of x)")
    return tuple(int(n) for n in shape)


def _tensor(name: str, value, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, torch.Tensor):
        allowed = "a torch.Tensor or None" if optional else "a torch.Tensor"
        raise TypeError(f"{name}={type(value).__name__} must be {allowed}")


def _check(x, normalized_shape, eps, **params) -> tuple[int, ...]:
    """Validate the arguments shared by the forward and the backward; return the shape."""
    _tensor("x", x)
    if not x.is_floating_point():
        raise TypeError(f"x has dtype={x.dtype}; layer normalisation needs a "
                        "floating-point tensor")
    shape = _as_shape(normalized_shape)
    if x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape):]) != shape:
        raise ValueError(f"normalized_shape={shape} does not match the trailing "
                         f"dimensions of x.shape={tuple(x.shape)}; x.shape must end "
                         f"with {shape}")
    for name, p in params.items():
        _tensor(name, p, optional=True)
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"{name}.shape={tuple(p.shape)} must equal "
                             f"normalized_shape={shape}")
    _validate.real("eps", eps, positive=True)
    return shape


def layer_norm(x: torch.Tensor, normalized_shape, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """Layer normalisation over the trailing dimensions of ``x``.

    Ba, Kiros & Hinton 2016, "Layer Normalization". Same result as
    ``torch.nn.functional.layer_norm``, written with ``mean`` and ``var`` so that autograd
    differentiates through every step.

    Args:
        x: input of shape ``(*lead, *normalized_shape)``, floating point.
        normalized_shape: an int or a tuple of ints: the trailing dimensions to normalise.
        weight: optional scale of shape ``normalized_shape`` (gamma).
        bias: optional shift of shape ``normalized_shape`` (beta).
        eps: added to the variance inside the square root (> 0).

    Returns:
        A tensor shaped like ``x``: ``weight * (x - mean) / sqrt(var + eps) + bias``,
        mean and biased variance taken over the normalised dimensions.
    """
    shape = _check(x, normalized_shape, eps, weight=weight, bias=bias)
    dims = tuple(range(-len(shape), 0))                     # the normalised dimensions
    mean = x.mean(dim=dims, keepdim=True)                   # (*lead, 1, ..., 1)
    var = x.var(dim=dims, keepdim=True, correction=0)       # biased: divide by N, not N - 1
    y = (x - mean) / torch.sqrt(var + eps)                  # x_hat: (*lead, *normalized_shape)
    if weight is not None:
        y = y * weight                                      # broadcasts over *lead
    if bias is not None:
        y = y + bias
    return y


def layer_norm_backward(grad_out: torch.Tensor, x: torch.Tensor, normalized_shape,
                        weight: torch.Tensor | None = None, eps: float = 1e-5):
    """The gradient of :func:`layer_norm`, written out by hand.

    Ba, Kiros & Hinton 2016. For ``y = layer_norm(x, normalized_shape, weight, bias, eps)``
    and an upstream gradient ``grad_out = dL/dy``, returns what autograd would put in
    ``x.grad``, ``weight.grad`` and ``bias.grad``. The bias does not change any of them,
    so it is not an argument.

    Args:
        grad_out: ``dL/dy``, shaped like ``x``.
        x: the forward input, shape ``(*lead, *normalized_shape)``.
        normalized_shape: an int or a tuple of ints, as in the forward pass.
        weight: the scale used in the forward pass, or None (no affine transform).
        eps: the forward pass's eps (> 0).

    Returns:
        ``(grad_x, grad_weight, grad_bias)``: ``grad_x`` shaped like ``x``; the other two
        shaped like ``normalized_shape``, or both None when ``weight`` is None.
    """
    shape = _check(x, normalized_shape, eps, weight=weight)
    _tensor("grad_out", grad_out)
    if grad_out.shape != x.shape:
        raise ValueError(f"grad_out.shape={tuple(grad_out.shape)} must equal "
                         f"x.shape={tuple(x.shape)}")
    dims = tuple(range(-len(shape), 0))                     # the normalised dimensions
    lead = tuple(range(x.dim() - len(shape)))               # batch-like dimensions, maybe none

    # Recompute the forward quantities, one row (one sample) at a time in the notation:
    #   mu = mean(x), sigma = sqrt(var(x) + eps), x_hat = (x - mu) / sigma,
    #   y = weight * x_hat + bias.
    mean = x.mean(dim=dims, keepdim=True)                   # (*lead, 1, ..., 1)
    sigma = torch.sqrt(x.var(dim=dims, keepdim=True, correction=0) + eps)
    x_hat = (x - mean) / sigma                              # (*lead, *normalized_shape)

    # g = dL/dx_hat. Over the N entries of a row, d mu/dx_i = 1/N and (with eps inside
    # sigma) d sigma/dx_i = (x_i - mu) / (N sigma) = x_hat_i / N, so
    #   d x_hat_j / d x_i = (delta_ij - 1/N - x_hat_i x_hat_j / N) / sigma,
    # and summing g_j times that over j gives the closed form
    #   dL/dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sigma.
    # The two subtracted terms remove the components of g along the all-ones vector and
    # along x_hat: what the normalisation makes y blind to (shifts and rescalings of x).
    g = grad_out if weight is None else grad_out * weight
    grad_x = (g - g.mean(dim=dims, keepdim=True)
              - x_hat * (g * x_hat).mean(dim=dims, keepdim=True)) / sigma

    if weight is None:
        return grad_x, None, None
    # y = weight * x_hat + bias entrywise, and every leading index uses the same weight:
    # sum over the leading dimensions (no leading dimensions: nothing to sum).
    grad_weight = grad_out * x_hat
    grad_bias = grad_out
    if lead:
        grad_weight = grad_weight.sum(dim=lead)             # (*normalized_shape)
        grad_bias = grad_bias.sum(dim=lead)
    return grad_x, grad_weight, grad_bias


class LayerNorm(nn.Module):
    """Layer normalisation as a module; a drop-in for ``torch.nn.LayerNorm``.

    Ba, Kiros & Hinton 2016. Same arguments, defaults, parameters (``weight`` ones,
    ``bias`` zeros) and ``state_dict`` keys as ``torch.nn.LayerNorm``, so state dicts load
    in both directions; the forward pass is :func:`layer_norm`.

    Args:
        normalized_shape: an int or a tuple of ints: the trailing dimensions to normalise.
        eps: added to the variance inside the square root (> 0).
        elementwise_affine: learn ``weight`` (and ``bias``); if False both are None.
        bias: with ``elementwise_affine``, also learn ``bias``; if False it is None.
        device, dtype: where and in what precision to create the parameters.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        shape = _as_shape(normalized_shape)
        _validate.real("eps", eps, positive=True)
        for name, value in (("elementwise_affine", elementwise_affine), ("bias", bias)):
            if not isinstance(value, bool):
                raise TypeError(f"{name}={value!r} must be True or False")
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        make = dict(device=device, dtype=dtype)
        # Absent parameters are registered as None, like torch: same state_dict keys.
        weight = nn.Parameter(torch.empty(shape, **make)) if elementwise_affine else None
        shift = nn.Parameter(torch.empty(shape, **make)) if elementwise_affine and bias else None
        self.register_parameter("weight", weight)
        self.register_parameter("bias", shift)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Set ``weight`` to ones and ``bias`` to zeros (those that exist)."""
        with torch.no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:     # x: (*lead, *normalized_shape)
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
