"""Small models for the course: a configurable deep MLP.

The MLP is the laboratory animal of lessons 02-04 and 08: depth, activation,
initialisation, layer normalisation and residual connections are all knobs.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from . import _validate
from . import init as _init
from .layernorm import LayerNorm

__all__ = ["MLP", "MLPConfig", "ACTIVATIONS", "INITS"]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu")
INITS = ("default", "xavier", "kaiming")
_ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


@dataclass(frozen=True)
class MLPConfig:
    """Everything that defines an :class:`MLP`; checked on construction."""

    depth: int
    width: int
    in_features: int = 2
    out_features: int = 2
    activation: str = "tanh"
    init: str | float = "default"
    norm: str | None = None
    residual: bool = False

    def __post_init__(self):
        _validate.integer("depth", self.depth, minimum=1)
        _validate.integer("width", self.width, minimum=1)
        _validate.integer("in_features", self.in_features, minimum=1)
        _validate.integer("out_features", self.out_features, minimum=1)
        _validate.one_of("activation", self.activation, ACTIVATIONS)
        if isinstance(self.init, str):
            if self.init not in INITS:
                raise ValueError(
                    f"init={self.init!r} is not one of {', '.join(INITS)}, "
                    "or a positive number (a fixed standard deviation)")
        else:
            try:
                _validate.real("init", self.init, positive=True)
            except (TypeError, ValueError):
                raise ValueError(
                    f"init={self.init!r} is not one of {', '.join(INITS)}, "
                    "or a positive number (a fixed standard deviation)") from None
        if self.norm is not None:
            _validate.one_of("norm", self.norm, ("layer",))
        _validate.flag("residual", self.residual)


class MLP(nn.Module):
    """A fully connected network with ``depth`` linear layers.

    Layer ``l`` computes ``h_l = act(norm(W_l h_{l-1} + b_l))`` (norm only if
    ``norm="layer"``); the last layer is linear with no activation. With
    ``residual=True`` every hidden-to-hidden layer adds its input: ``h_l = h_{l-1} + ...``.

    Args:
        depth: number of linear layers (>= 1); ``depth - 1`` hidden layers of ``width`` units.
        width: hidden units per layer.
        in_features, out_features: input and output sizes.
        activation: one of relu, tanh, sigmoid, gelu.
        init: "default" (PyTorch's ``nn.Linear`` init), "xavier" (Glorot & Bengio 2010,
            normal, Var(W) = 2 / (fan_in + fan_out)), "kaiming" (He et al. 2015, normal,
            Var(W) = 2 / fan_in), or a positive float: W ~ N(0, init^2). Biases are zero
            except for "default".
        norm: None or "layer" (layer normalisation after each hidden linear layer;
            Ba et al. 2016).
        residual: add skip connections around hidden-to-hidden layers.

    Attributes:
        layers: the linear layers in forward order (an ``nn.ModuleList``).
        config: the :class:`MLPConfig` the model was built from.
    """

    def __init__(self, depth, width, in_features=2, out_features=2, activation="tanh",
                 init="default", norm=None, residual=False):
        super().__init__()
        self.config = MLPConfig(depth, width, in_features, out_features, activation,
                                init, norm, residual)
        sizes = [in_features] + [width] * (depth - 1) + [out_features]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        hidden = depth - 1
        self.norms = nn.ModuleList(
            LayerNorm(width) if norm == "layer" else nn.Identity() for _ in range(hidden))
        self.act = _ACTIVATION_MODULES[activation]()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """(Re)initialise every linear layer according to ``config.init``."""
        init = self.config.init
        for layer in self.layers:
            if init == "default":
                layer.reset_parameters()
                continue
            if init == "xavier":
                _init.xavier_normal_(layer.weight)
            elif init == "kaiming":
                _init.kaiming_normal_(layer.weight, nonlinearity="relu")
            else:
                with torch.no_grad():
                    layer.weight.normal_(0.0, float(init))
            with torch.no_grad():
                layer.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, in_features)
        h = x
        last = len(self.layers) - 1
        for l, layer in enumerate(self.layers):
            z = layer(h)  # (batch, width) or (batch, out_features)
            if l == last:
                return z
            a = self.act(self.norms[l](z))
            h = h + a if (self.config.residual and l > 0) else a
        return h  # unreachable: the loop returns at the last layer

    def extra_repr(self) -> str:
        c = self.config
        return (f"depth={c.depth}, width={c.width}, activation={c.activation!r}, "
                f"init={c.init!r}, norm={c.norm!r}, residual={c.residual}")
