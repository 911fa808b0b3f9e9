"""Sinusoidal positional encoding: each position a unique pattern of sines and cosines.

A self-attention layer treats its input as a set: permute the tokens and its outputs
are permuted the same way. Adding a position-dependent vector to every token embedding
is what tells a Transformer where each token sits.
"""
from __future__ import annotations

import torch

from . import _validate

__all__ = ["sinusoidal_encoding"]


def sinusoidal_encoding(max_len: int, d_model: int, base: float = 10000.0, *,
                        dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The fixed sinusoidal position table of the original Transformer.

    ``PE[pos, 2i] = sin(pos / base**(2i / d_model))`` and
    ``PE[pos, 2i+1] = cos(pos / base**(2i / d_model))`` (Vaswani et al. 2017,
    "Attention Is All You Need", section 3.5). Column pair ``(2i, 2i+1)`` is one
    frequency; wavelengths grow geometrically from ``2*pi`` to about ``2*pi*base``.

    An odd ``d_model`` is allowed: the same formula fills every column that exists,
    so the last column, ``d_model - 1`` (even), is the sine of a frequency whose
    cosine partner would be column ``d_model``, which is dropped.

    Args:
        max_len: number of positions (rows), >= 1; positions are 0 .. max_len - 1.
        d_model: encoding width (columns), >= 1.
        base: the wavelength scale, > 0 (10000 in the paper).
        dtype: floating dtype of the result; computed in float64, then cast.

    Returns:
        Tensor of shape (max_len, d_model), every entry in [-1, 1].
    """
    _validate.integer("max_len", max_len, minimum=1)
    _validate.integer("d_model", d_model, minimum=1)
    _validate.real("base", base, positive=True)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype={dtype!r} must be a floating torch.dtype")
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)       # (max_len, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)            # (ceil(d/2),)
    inv_freq = torch.pow(torch.tensor(float(base), dtype=torch.float64), -two_i / d_model)
    angle = pos * inv_freq                                              # (max_len, ceil(d/2))
    pe = torch.empty(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d_model // 2])                   # odd d: one fewer cos
    return pe.to(dtype)                                                 # (max_len, d_model)
