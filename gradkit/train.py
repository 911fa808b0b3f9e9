"""A small, plain training loop that returns what happened as data."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

from . import _validate
from .data import Dataset
from ._foreach import _foreach_norm

__all__ = ["History", "train", "accuracy", "OPTIMIZERS"]

OPTIMIZERS = ("sgd", "momentum", "adam")


@dataclass
class History:
    """The loss and the total gradient norm at every step of a run.

    ``loss[t]`` is the mini-batch loss before update ``t``; ``grad_norm[t]`` the global
    2-norm of all parameter gradients at that step. Non-finite values mean the run blew up.
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)

    @property
    def steps(self) -> list[int]:
        return list(range(len(self.loss)))

    @property
    def diverged(self) -> bool:
        """True if the loss ever became NaN or infinite."""
        return any(not math.isfinite(v) for v in self.loss)

    @property
    def final_loss(self) -> float:
        """Mean loss over the last 10% of steps (at least one step)."""
        k = max(1, len(self.loss) // 10)
        return sum(self.loss[-k:]) / k

    def steps_to(self, target: float, window: int = 1) -> int | None:
        """The first step at which the mean loss of the last ``window`` steps is <=
        ``target`` (the step counted is the window's last one), or None if never.

        Mini-batch losses are noisy; a window keeps one lucky batch from counting as
        "reached". With ``window=1`` it is the first step whose loss is <= ``target``.
        """
        _validate.integer("window", window, minimum=1)
        for t in range(window - 1, len(self.loss)):
            if sum(self.loss[t - window + 1:t + 1]) / window <= target:
                return t
        return None


def _make_optimizer(optimizer, params, lr):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer) and not isinstance(optimizer, str):
        return optimizer(params, lr=lr)
    _validate.one_of("optimizer", optimizer, OPTIMIZERS)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if optimizer == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def train(model: nn.Module, data: Dataset, *, steps: int = 200, lr: float = 0.1,
          optimizer="sgd", batch_size: int | None = 64, seed: int = 0,
          clip_norm: float | None = None, warmup_steps: int = 0) -> History:
    """Train ``model`` on ``data`` and return its :class:`History`.

    Args:
        model: the network; it is trained in place.
        data: a :class:`~gradkit.data.Dataset`; cross-entropy loss for classification,
            mean squared error for regression.
        steps: number of parameter updates.
        lr: learning rate.
        optimizer: "sgd", "momentum" (SGD, momentum 0.9), "adam", a constructed
            ``torch.optim.Optimizer``, or a callable ``(params, lr=...) -> Optimizer``.
        batch_size: mini-batch size, or None for full-batch gradient descent.
        seed: seeds the mini-batch sampling (the model's init is the caller's).
        clip_norm: if given, clip the global gradient norm to this value each step.
        warmup_steps: linear learning-rate warm-up: update ``t`` (from 0) uses
            ``lr * min(1, (t + 1) / warmup_steps)`` (Goyal et al. 2017; Vaswani et al.
            2017 warm up the same way before decaying). 0 means a constant ``lr``.

    Returns:
        A :class:`History`. A run that blows up keeps going (cheaply) with NaNs, so
        there is no hidden host sync per step; check ``History.diverged``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model={type(model).__name__} must be a torch.nn.Module")
    if not isinstance(data, Dataset):
        raise TypeError(f"data={type(data).__name__} must be a gradkit.data.Dataset")
    _validate.integer("steps", steps, minimum=1)
    _validate.real("lr", lr, positive=True)
    if batch_size is not None:
        _validate.integer("batch_size", batch_size, minimum=1)
    _validate.integer("seed", seed)
    if clip_norm is not None:
        _validate.real("clip_norm", clip_norm, positive=True)
    _validate.integer("warmup_steps", warmup_steps, minimum=0)
    if not (isinstance(optimizer, torch.optim.Optimizer) or callable(optimizer)):
        _validate.one_of("optimizer", optimizer, OPTIMIZERS)

    device = next(model.parameters()).device
    X, y = data.X.to(device), data.y.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = _make_optimizer(optimizer, params, lr)
    base_lrs = [group["lr"] for group in opt.param_groups]
    loss_fn = data.loss_fn
    g = torch.Generator().manual_seed(seed)
    n = X.shape[0]
    losses, norms = [], []
    model.train()
    for t in range(steps):
        if warmup_steps:
            factor = min(1.0, (t + 1) / warmup_steps)
            for group, base in zip(opt.param_groups, base_lrs):
                group["lr"] = base * factor
        if batch_size is None or batch_size >= n:
            xb, yb = X, y
        else:
            idx = torch.randint(n, (batch_size,), generator=g).to(device)
            xb, yb = X[idx], y[idx]
        loss = loss_fn(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in params if p.grad is not None]
        total = torch.linalg.vector_norm(torch.stack(_foreach_norm(grads))) if grads \
            else torch.zeros((), device=device)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, clip_norm)
        opt.step()
        losses.append(loss.detach())
        norms.append(total.detach())
    for group, base in zip(opt.param_groups, base_lrs):
        group["lr"] = base                              # a caller's optimizer is left as given
    return History(loss=torch.stack(losses).tolist(), grad_norm=torch.stack(norms).tolist())


def accuracy(model: nn.Module, data: Dataset) -> float:
    """Fraction of ``data`` classified correctly, the whole set in one batch (NaN for a
    regression set, or for a model whose outputs are not finite: a blown-up run has no
    meaningful prediction)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model={type(model).__name__} must be a torch.nn.Module")
    if not isinstance(data, Dataset):
        raise TypeError(f"data={type(data).__name__} must be a gradkit.data.Dataset")
    if data.task != "classification":
        return float("nan")
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(data.X.to(device))                    # (n, classes)
    if not bool(torch.isfinite(out).all()):
        return float("nan")
    return float((out.argmax(1) == data.y.to(device)).double().mean())
