"""Sinusoidal positional encoding: each position a unique pattern of sines and cosines.

A self-attention layer treats its input as a set: permute the tokens and its outputs
are permuted the same way. Adding a position-dependent vector to every token embedding
is what tells a Transformer where each token sits.
"""
from __future__ import annotations

import torch

from . import _validate

__all__ = ["sinusoidal_encoding", "offset_matrix"]


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


def offset_matrix(k: int, d_model: int, base: float = 10000.0, *,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The matrix ``M_k`` with ``PE[pos + k] = PE[pos] @ M_k`` for every position.

    Rows of the encoding table are row vectors, so the whole table shifts at once:
    ``PE[k:] == PE[:-k] @ M_k``.

    Each sine/cosine pair of one frequency ``w_i = base**(-2i / d_model)`` turns by the
    angle ``k * w_i``: ``sin(a + k w) = sin a cos kw + cos a sin kw`` and
    ``cos(a + k w) = cos a cos kw - sin a sin kw``. So ``M_k`` is block diagonal with
    2x2 rotations ``[[cos kw, -sin kw], [sin kw, cos kw]]`` (acting on the row
    ``(sin a, cos a)`` from the right) and does not depend on
    ``pos``: a fixed offset is a linear map, the property Vaswani et al. 2017 (section
    3.5) give as the reason for the choice. ``k`` may be negative.

    Args:
        k: the offset, any integer.
        d_model: encoding width, even and >= 2 (an odd last column has no cosine partner).
        base: the wavelength scale, > 0, as in :func:`sinusoidal_encoding`.
        dtype: floating dtype of the result; computed in float64, then cast.

    Returns:
        Tensor of shape (d_model, d_model), orthogonal.
    """
    _validate.integer("k", k)
    _validate.integer("d_model", d_model, minimum=2)
    if d_model % 2:
        raise ValueError(f"d_model={d_model!r} must be even: every sine needs its cosine")
    _validate.real("base", base, positive=True)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype={dtype!r} must be a floating torch.dtype")
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)            # (d/2,)
    angle = k * torch.pow(torch.tensor(float(base), dtype=torch.float64), -two_i / d_model)
    c, s = torch.cos(angle), torch.sin(angle)
    blocks = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # (d/2, 2, 2)
    return torch.block_diag(*blocks).to(dtype)                          # (d_model, d_model)
