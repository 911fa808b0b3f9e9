"""One forward and backward pass, with every tracked layer's output and its gradient kept.

Where :class:`~gradkit.monitor.GradientMonitor` records summaries during training,
:func:`probe` looks once, in full: the outputs ``z_l`` of the tracked layers (for a linear
layer, the pre-activation ``z_l = W_l h_{l-1} + b_l``), the backward signal
``delta_l = dL/dz_l`` and the weight gradients, for lessons that plot them layer by layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .monitor import tracked_layers

__all__ = ["Probe", "probe"]


@dataclass
class Probe:
    """What one forward/backward pass saw, first tracked layer first.

    Attributes:
        layer_names: names of the tracked layers.
        z: each layer's output (detached), e.g. ``(batch, width)``.
        delta: ``dL/dz_l`` for each layer, same shapes as ``z``.
        grad_W: ``dL/dW_l`` for each layer (detached).
        loss: the loss value.
    """

    layer_names: list[str]
    z: list[torch.Tensor]
    delta: list[torch.Tensor]
    grad_W: list[torch.Tensor]
    loss: float

    def z_std(self) -> torch.Tensor:
        """Standard deviation of each layer's output (population std, over all entries)."""
        return torch.stack([z.std(unbiased=False) for z in self.z])

    def delta_norm(self) -> torch.Tensor:
        """``||dL/dz_l||`` for each layer: the backward signal."""
        return torch.stack([d.norm() for d in self.delta])

    def delta_std(self) -> torch.Tensor:
        """Standard deviation of ``dL/dz_l`` for each layer."""
        return torch.stack([d.std(unbiased=False) for d in self.delta])

    def grad_W_norm(self) -> torch.Tensor:
        """``||dL/dW_l||`` for each layer."""
        return torch.stack([g.norm() for g in self.grad_W])


def probe(model: nn.Module, data, loss_fn=None) -> Probe:
    """Run ``model`` once on ``data`` and keep each tracked layer's output and gradients.

    The model's ``.grad`` fields are left as they were (gradients are taken with
    ``torch.autograd.grad``). Tracked layers: see :func:`~gradkit.monitor.tracked_layers`;
    each must return a single tensor.

    Args:
        model: the network.
        data: a :class:`~gradkit.data.Dataset`; the whole set is one batch.
        loss_fn: ``loss_fn(output, target)``; default cross-entropy for classification
            data, mean squared error for regression data.

    Returns:
        A :class:`Probe`.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model={type(model).__name__} must be a torch.nn.Module")
    if not all(hasattr(data, a) for a in ("X", "y", "task")):
        raise TypeError(f"data={type(data).__name__} must be a gradkit.data.Dataset")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn={loss_fn!r} must be callable")
    layers = tracked_layers(model)
    if not layers:
        raise ValueError(f"model={type(model).__name__} has no layers to probe")
    if loss_fn is None:
        loss_fn = data.loss_fn
    outputs: list[torch.Tensor | None] = [None] * len(layers)

    def keeper(l):
        def hook(module, inputs, output):
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"layer {layers[l][0]!r} returned {type(output).__name__}; "
                                "probe needs layers that return one tensor")
            outputs[l] = output
        return hook

    handles = [m.register_forward_hook(keeper(l)) for l, (_, m) in enumerate(layers)]
    try:
        device = layers[0][1].weight.device
        with torch.enable_grad():
            loss = loss_fn(model(data.X.to(device)), data.y.to(device))
            unused = [layers[l][0] for l, z in enumerate(outputs) if z is None]
            if unused:
                raise ValueError(f"layers {unused} were not called in the forward pass")
            weights = [m.weight for _, m in layers]
            grads = torch.autograd.grad(loss, [*outputs, *weights], allow_unused=True)
    finally:
        for h in handles:
            h.remove()
    L = len(layers)
    delta = [g if g is not None else torch.zeros_like(z) for g, z in zip(grads[:L], outputs)]
    grad_W = [g if g is not None else torch.zeros_like(W) for g, W in zip(grads[L:], weights)]
    return Probe(layer_names=[n for n, _ in layers], z=[z.detach() for z in outputs],
                 delta=[d.detach() for d in delta], grad_W=[g.detach() for g in grad_W],
                 loss=loss.item())
