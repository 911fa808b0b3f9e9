"""Weight initialisation that keeps signal variance steady through depth.

Xavier/Glorot (Glorot & Bengio 2010) picks ``Var(W) = gain^2 * 2 / (fan_in + fan_out)``,
a compromise between keeping activations (fan_in) and gradients (fan_out) at unit
variance. Kaiming/He (He et al. 2015) picks ``Var(W) = gain^2 / fan`` with the gain of the
nonlinearity (``sqrt(2)`` for ReLU, which zeroes half its inputs). A uniform
distribution ``U(-b, b)`` has variance ``b^2 / 3``, so its bound is ``sqrt(3) * std``.

The initialisers have the defaults, distributions and random streams of
``torch.nn.init``: with the same generator state they give the same numbers.
"""
from __future__ import annotations

import math

import torch

from . import _validate

__all__ = ["calculate_fan_in_and_fan_out", "calculate_gain", "xavier_std", "kaiming_std",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "NONLINEARITIES", "MODES"]

_GAINS = {
    "linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0,
    "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "leaky_relu": None, "selu": 0.75,
}
NONLINEARITIES = tuple(_GAINS)
MODES = ("fan_in", "fan_out")
_DEFAULT_SLOPE = 0.01  # leaky_relu's negative slope when none is given


def _weight(tensor) -> torch.Tensor:
    """Return ``tensor`` if it is a floating-point tensor with at least 2 dimensions."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor={type(tensor).__name__} must be a torch.Tensor")
    if tensor.dim() < 2:
        raise ValueError(
            f"tensor of shape {tuple(tensor.shape)} has {tensor.dim()} dimension(s); fan in "
            "and fan out need at least 2: (out_features, in_features, *kernel_size)")
    return tensor


def _generator(generator) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator={generator!r} must be a torch.Generator or None")


def _writable(tensor: torch.Tensor) -> None:
    if not tensor.is_floating_point():
        raise TypeError(f"tensor of dtype {tensor.dtype} must be floating point "
                        "to be initialised")


def calculate_fan_in_and_fan_out(tensor: torch.Tensor) -> tuple[int, int]:
    """Fan in and fan out of a weight tensor, with PyTorch's layout conventions.

    A weight has shape ``(out_features, in_features)`` or, for a convolution,
    ``(out_channels, in_channels, *kernel_size)``; each input connects to
    ``prod(kernel_size)`` outputs (the receptive field).

    Args:
        tensor: a tensor with at least 2 dimensions.

    Returns:
        ``(fan_in, fan_out) = (size(1) * receptive_field, size(0) * receptive_field)``.
    """
    shape = _weight(tensor).shape
    receptive_field = math.prod(shape[2:])  # 1 for a linear layer
    return shape[1] * receptive_field, shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain that keeps the variance of a nonlinearity's output steady.

    Values as ``torch.nn.init.calculate_gain``: 1 for linear, convolutions and sigmoid,
    5/3 for tanh, sqrt(2) for relu (He et al. 2015), sqrt(2 / (1 + slope^2)) for
    leaky_relu, 3/4 for selu.

    Args:
        nonlinearity: one of :data:`NONLINEARITIES`.
        param: the negative slope of leaky_relu (default 0.01); ignored otherwise.

    Returns:
        The gain, a float.
    """
    _validate.one_of("nonlinearity", nonlinearity, NONLINEARITIES)
    if nonlinearity != "leaky_relu":
        return _GAINS[nonlinearity]
    slope = _DEFAULT_SLOPE if param is None else _validate.real("param", param)
    return math.sqrt(2.0 / (1.0 + slope ** 2))


def xavier_std(fan_in: int, fan_out: int, gain: float = 1.0) -> float:
    """Standard deviation of Xavier/Glorot initialisation (Glorot & Bengio 2010).

    Args:
        fan_in, fan_out: the layer's fans (integers >= 1).
        gain: a factor for the nonlinearity (see :func:`calculate_gain`), >= 0.

    Returns:
        ``gain * sqrt(2 / (fan_in + fan_out))``.
    """
    fan_in = _validate.integer("fan_in", fan_in, minimum=1)
    fan_out = _validate.integer("fan_out", fan_out, minimum=1)
    gain = _validate.real("gain", gain, nonnegative=True)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def kaiming_std(fan: int, nonlinearity: str = "relu", a: float = 0) -> float:
    """Standard deviation of Kaiming/He initialisation (He et al. 2015).

    Args:
        fan: fan_in (keeps forward activations steady) or fan_out (keeps backward
            gradients steady), an integer >= 1.
        nonlinearity: one of :data:`NONLINEARITIES`.
        a: the negative slope, used only with ``nonlinearity="leaky_relu"``.

    Returns:
        ``calculate_gain(nonlinearity, a) / sqrt(fan)``.
    """
    fan = _validate.integer("fan", fan, minimum=1)
    a = _validate.real("a", a)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _xavier(tensor, gain, generator, uniform: bool) -> torch.Tensor:
    _weight(tensor)
    gain = _validate.real("gain", gain, nonnegative=True)
    _generator(generator)
    _writable(tensor)
    if tensor.numel() == 0:
        return tensor  # nothing to initialise
    std = xavier_std(*calculate_fan_in_and_fan_out(tensor), gain=gain)
    return _fill_(tensor, std, generator, uniform)


def _kaiming(tensor, a, mode, nonlinearity, generator, uniform: bool) -> torch.Tensor:
    _weight(tensor)
    a = _validate.real("a", a)
    _validate.one_of("mode", mode, MODES)
    _validate.one_of("nonlinearity", nonlinearity, NONLINEARITIES)
    _generator(generator)
    _writable(tensor)
    if tensor.numel() == 0:
        return tensor  # nothing to initialise
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = kaiming_std(fan_in if mode == "fan_in" else fan_out, nonlinearity, a)
    return _fill_(tensor, std, generator, uniform)


def _fill_(tensor, std: float, generator, uniform: bool) -> torch.Tensor:
    """Draw ``tensor`` in place from U(-sqrt(3) std, sqrt(3) std) or N(0, std^2)."""
    with torch.no_grad():
        if uniform:
            bound = math.sqrt(3.0) * std
            return tensor.uniform_(-bound, bound, generator=generator)
        return tensor.normal_(0.0, std, generator=generator)


def xavier_uniform_(tensor: torch.Tensor, gain: float = 1.0,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from U(-b, b), ``b = gain * sqrt(6 / (fan_in + fan_out))``.

    Xavier/Glorot initialisation (Glorot & Bengio 2010), as ``torch.nn.init``.

    Args:
        tensor: the weight, at least 2 dimensions (see :func:`calculate_fan_in_and_fan_out`).
        gain: a factor for the nonlinearity (see :func:`calculate_gain`), >= 0.
        generator: the random generator to draw from (default: the global one).

    Returns:
        ``tensor``.
    """
    return _xavier(tensor, gain, generator, uniform=True)


def xavier_normal_(tensor: torch.Tensor, gain: float = 1.0,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    Xavier/Glorot initialisation (Glorot & Bengio 2010), as ``torch.nn.init``.

    Args:
        tensor: the weight, at least 2 dimensions (see :func:`calculate_fan_in_and_fan_out`).
        gain: a factor for the nonlinearity (see :func:`calculate_gain`), >= 0.
        generator: the random generator to draw from (default: the global one).

    Returns:
        ``tensor``.
    """
    return _xavier(tensor, gain, generator, uniform=False)


def kaiming_uniform_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from U(-b, b), ``b = gain * sqrt(3 / fan)``.

    Kaiming/He initialisation (He et al. 2015), as ``torch.nn.init``; with the
    defaults (leaky_relu, a=0) the gain is sqrt(2), that of ReLU.

    Args:
        tensor: the weight, at least 2 dimensions (see :func:`calculate_fan_in_and_fan_out`).
        a: the negative slope, used only with ``nonlinearity="leaky_relu"``.
        mode: "fan_in" (steady activations forward) or "fan_out" (steady gradients backward).
        nonlinearity: one of :data:`NONLINEARITIES` (see :func:`calculate_gain`).
        generator: the random generator to draw from (default: the global one).

    Returns:
        ``tensor``.
    """
    return _kaiming(tensor, a, mode, nonlinearity, generator, uniform=True)


def kaiming_normal_(tensor: torch.Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``tensor`` in place from N(0, std^2), ``std = gain / sqrt(fan)``.

    Kaiming/He initialisation (He et al. 2015), as ``torch.nn.init``; with the
    defaults (leaky_relu, a=0) the gain is sqrt(2), that of ReLU.

    Args:
        tensor: the weight, at least 2 dimensions (see :func:`calculate_fan_in_and_fan_out`).
        a: the negative slope, used only with ``nonlinearity="leaky_relu"``.
        mode: "fan_in" (steady activations forward) or "fan_out" (steady gradients backward).
        nonlinearity: one of :data:`NONLINEARITIES` (see :func:`calculate_gain`).
        generator: the random generator to draw from (default: the global one).

    Returns:
        ``tensor``.
    """
    return _kaiming(tensor, a, mode, nonlinearity, generator, uniform=False)
