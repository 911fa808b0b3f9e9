"""Small statistics the lessons report: geometric rates and spreads over seeds."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["GeometricFit", "geometric_fit", "spread"]


@dataclass(frozen=True)
class GeometricFit:
    """``values[k] ~ scale * rate**k``: a least-squares line through ``log(values)``."""

    rate: float    # multiplied in at each step of k
    scale: float   # fitted value at k = 0

    def __call__(self, k):
        return self.scale * self.rate ** torch.as_tensor(k, dtype=torch.float64)


def geometric_fit(values, positions=None) -> GeometricFit:
    """Fit ``values ~ scale * rate**position`` by least squares on the log scale.

    Args:
        values: positive numbers (a sequence or 1-D tensor), at least two.
        positions: where each value sits (default 0, 1, 2, ...).

    Returns:
        A :class:`GeometricFit`; ``rate < 1`` means geometric decay, ``> 1`` growth.
    """
    v = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
    if v.numel() < 2:
        raise ValueError(f"values has {v.numel()} entries; a fit needs at least 2")
    if not bool(torch.all(torch.isfinite(v) & (v > 0))):
        raise ValueError("values must all be positive and finite to fit on a log scale")
    k = (torch.arange(v.numel(), dtype=torch.float64) if positions is None
         else torch.as_tensor(positions, dtype=torch.float64).reshape(-1))
    if k.numel() != v.numel():
        raise ValueError(f"positions has {k.numel()} entries but values has {v.numel()}")
    y = torch.log(v)
    kc = k - k.mean()
    denom = float(torch.dot(kc, kc))
    if denom == 0.0:
        raise ValueError("positions must not all be equal")
    slope = float(torch.dot(kc, y - y.mean())) / denom
    intercept = float(y.mean()) - slope * float(k.mean())
    return GeometricFit(rate=math.exp(slope), scale=math.exp(intercept))


def spread(curves, low: float = 0.25, high: float = 0.75):
    """Median and a quantile band over runs (e.g. seeds).

    Args:
        curves: runs x points (a list of equal-length sequences or a 2-D tensor).
        low, high: the quantiles that bound the band.

    Returns:
        ``(median, low_band, high_band)`` as 1-D tensors; NaN entries are ignored.
    """
    c = torch.as_tensor(curves, dtype=torch.float64)
    if c.dim() != 2:
        raise ValueError(f"curves must be runs x points (2-D); got shape {tuple(c.shape)}")
    q = torch.tensor([0.5, low, high], dtype=torch.float64)
    out = torch.nanquantile(c, q, dim=0)
    return out[0], out[1], out[2]
