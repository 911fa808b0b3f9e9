"""Synthetic data sets, made in memory from a seed (nothing is downloaded)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from . import _validate

__all__ = ["Dataset", "spirals", "teacher_regression", "scaled_regression"]


@dataclass
class Dataset:
    """Inputs ``X`` (n, in_features) and targets ``y``; ``task`` is "classification"
    (``y`` holds class indices) or "regression" (``y`` is (n, out_features))."""

    X: torch.Tensor
    y: torch.Tensor
    task: str

    def __len__(self) -> int:
        return self.X.shape[0]

    @property
    def loss_fn(self):
        """The loss this task is trained with: cross-entropy for classification, mean
        squared error for regression (a function ``loss_fn(output, target)``)."""
        return F.cross_entropy if self.task == "classification" else F.mse_loss

    def to(self, device) -> "Dataset":
        """A copy on ``device``."""
        return Dataset(self.X.to(device), self.y.to(device), self.task)


def spirals(n: int = 512, classes: int = 2, noise: float = 0.1, turns: float = 1.5,
            seed: int = 0) -> Dataset:
    """Interleaved 2-D spirals, one arm per class: a small task that needs a nonlinear model.

    Args:
        n: number of points (split evenly over classes).
        classes: number of arms / classes (>= 2).
        noise: standard deviation of Gaussian noise added to each coordinate.
        turns: how many turns each arm makes.
        seed: random seed; the same seed gives the same data.

    Returns:
        A classification :class:`Dataset` with ``X`` of shape (n, 2), roughly unit scale.
    """
    _validate.integer("n", n, minimum=2)
    _validate.integer("classes", classes, minimum=2)
    _validate.real("noise", noise, nonnegative=True)
    _validate.real("turns", turns, positive=True)
    _validate.integer("seed", seed)
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    t = torch.rand(n, generator=g)                      # position along the arm, 0..1
    angle = 2 * math.pi * (turns * t + y / classes)
    radius = 0.1 + 0.9 * t
    X = torch.stack((radius * torch.cos(angle), radius * torch.sin(angle)), dim=1)
    X = X + noise * torch.randn(n, 2, generator=g)
    return Dataset(X, y, "classification")


def teacher_regression(n: int = 512, in_features: int = 8, out_features: int = 1,
                       noise: float = 0.1, seed: int = 0) -> Dataset:
    """Regression targets from a fixed random teacher ``y = tanh(X A) B + noise``.

    Args:
        n: number of samples.
        in_features, out_features: input and output sizes.
        noise: standard deviation of the target noise.
        seed: random seed.

    Returns:
        A regression :class:`Dataset`; ``X`` ~ N(0, I).
    """
    _validate.integer("n", n, minimum=1)
    _validate.integer("in_features", in_features, minimum=1)
    _validate.integer("out_features", out_features, minimum=1)
    _validate.real("noise", noise, nonnegative=True)
    _validate.integer("seed", seed)
    g = torch.Generator().manual_seed(seed)
    hidden = 2 * in_features
    X = torch.randn(n, in_features, generator=g)
    A = torch.randn(in_features, hidden, generator=g) / math.sqrt(in_features)
    B = torch.randn(hidden, out_features, generator=g) / math.sqrt(hidden)
    y = torch.tanh(X @ A) @ B + noise * torch.randn(n, out_features, generator=g)
    return Dataset(X, y, "regression")


def scaled_regression(n: int = 512, scales=(1.0, 10.0, 100.0), noise: float = 0.1,
                      seed: int = 0) -> Dataset:
    """Linear regression whose input features have very different scales.

    Feature ``i`` is ``scales[i] * N(0, 1)`` and the target is ``y = X w + noise`` with
    teacher weights ``w_i = u_i / scales[i]``, ``u ~ N(0, 1)``: every feature matters
    about equally, but a linear model's mean-squared-error loss has curvature about
    ``2 scales[i]^2`` along weight ``i`` (the Hessian is ``2 X^T X / n``), so the
    condition number is about ``(max scale / min scale)^2``. The badly scaled problem
    that per-parameter step sizes (RMSprop, Tieleman & Hinton 2012; Adam, Kingma & Ba
    2015) are made for; LeCun et al. (1998, "Efficient BackProp") advise rescaling
    such inputs instead.

    Args:
        n: number of samples (>= 1).
        scales: the standard deviation of each feature, positive numbers (at least one).
        noise: standard deviation of the target noise (>= 0); the best achievable mean
            squared error is about ``noise**2``.
        seed: random seed.

    Returns:
        A regression :class:`Dataset`: ``X`` (n, len(scales)), ``y`` (n, 1).
    """
    _validate.integer("n", n, minimum=1)
    if not isinstance(scales, (tuple, list)) or len(scales) == 0:
        raise ValueError(f"scales={scales!r} must be a non-empty tuple or list of positive numbers")
    for i, s in enumerate(scales):
        _validate.real(f"scales[{i}]", s, positive=True)
    _validate.real("noise", noise, nonnegative=True)
    _validate.integer("seed", seed)
    g = torch.Generator().manual_seed(seed)
    s = torch.tensor([float(v) for v in scales])                    # (d,)
    X = torch.randn(n, len(scales), generator=g) * s                # (n, d)
    w = torch.randn(len(scales), 1, generator=g) / s[:, None]       # (d, 1)
    y = X @ w + noise * torch.randn(n, 1, generator=g)              # (n, 1)
    return Dataset(X, y, "regression")
