"""Synthetic sequence tasks for the RNN and Transformer lessons, made from a seed.

Both return a classification :class:`~gradkit.data.Dataset`, so ``gradkit.train``
runs on them unchanged.

- :func:`copy_first_task`: the label is the first token. The only evidence is at the
  start of the sequence, so an RNN read out at the end must carry it (and its gradient)
  through every step: a long-memory task.
- :func:`position_task`: the label is the token at one position, and every sequence is
  a shuffle of the same multiset of tokens. A model that ignores order sees identical
  inputs for every label and cannot beat chance; it needs position information.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import _validate
from .data import Dataset

__all__ = ["copy_first_task", "position_task"]


def copy_first_task(n: int = 1024, seq_len: int = 20, vocab: int = 4, seed: int = 0, *,
                    one_hot: bool = True) -> Dataset:
    """Random token sequences labelled with their first token.

    Tokens are drawn uniformly from ``0 .. vocab - 1``; ``y[k] = tokens[k, 0]``. After
    the first step nothing in the input relates to the label, so the signal (forward)
    and the gradient (backward) must cross all ``seq_len`` steps: the long-term
    dependency problem of Bengio et al. 1994. Chance accuracy is ``1 / vocab``.

    Args:
        n: number of sequences.
        seq_len: tokens per sequence, >= 1.
        vocab: number of distinct tokens (and classes), >= 2.
        seed: random seed; the same seed gives the same data.
        one_hot: if True (the RNN's input), ``X`` is float one-hot of shape
            (n, seq_len, vocab); if False, integer tokens (n, seq_len) for an embedding.

    Returns:
        A classification :class:`~gradkit.data.Dataset`; ``y`` has shape (n,).
    """
    _validate.integer("n", n, minimum=1)
    _validate.integer("seq_len", seq_len, minimum=1)
    _validate.integer("vocab", vocab, minimum=2)
    _validate.integer("seed", seed)
    _validate.flag("one_hot", one_hot)
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(vocab, (n, seq_len), generator=g)          # (n, seq_len)
    y = tokens[:, 0].clone()                                          # (n,)
    X = F.one_hot(tokens, vocab).float() if one_hot else tokens       # (n, seq_len[, vocab])
    return Dataset(X, y, "classification")


def position_task(n: int = 2048, seq_len: int = 16, vocab: int = 4, position: int = 0,
                  seed: int = 0, *, one_hot: bool = False) -> Dataset:
    """Shuffles of one fixed multiset of tokens, labelled with the token at ``position``.

    Every sequence is a random permutation of the same ``seq_len`` tokens
    ``[i % vocab for i in range(seq_len)]`` (each token ``seq_len / vocab`` times when
    ``vocab`` divides ``seq_len``); ``y[k] = tokens[k, position]``. Because the bag of
    tokens never changes, any permutation-invariant model (self-attention without
    positional encoding, mean-pooled) gets the same input for every label and is stuck
    at chance, ``1 / vocab`` when ``vocab`` divides ``seq_len``. With positions it is
    easy: attend to ``position`` and copy (Vaswani et al. 2017 add positional encodings
    for exactly this reason).

    Args:
        n: number of sequences.
        seq_len: tokens per sequence, >= 2.
        vocab: number of distinct tokens (and classes), 2 <= vocab <= seq_len.
        position: which position holds the label, 0 <= position < seq_len (negative
            indices count from the end, as in Python).
        seed: random seed; the same seed gives the same data.
        one_hot: if False (the Transformer's input), ``X`` holds integer tokens of shape
            (n, seq_len); if True, float one-hot (n, seq_len, vocab).

    Returns:
        A classification :class:`~gradkit.data.Dataset`; ``y`` has shape (n,).
    """
    _validate.integer("n", n, minimum=1)
    _validate.integer("seq_len", seq_len, minimum=2)
    _validate.integer("vocab", vocab, minimum=2)
    if vocab > seq_len:
        raise ValueError(f"vocab={vocab!r} must be <= seq_len={seq_len!r} "
                         "(every token appears in every sequence)")
    _validate.integer("position", position)
    if not -seq_len <= position < seq_len:
        raise ValueError(f"position={position!r} must be in [{-seq_len}, {seq_len - 1}] "
                         f"for seq_len={seq_len}")
    _validate.integer("seed", seed)
    _validate.flag("one_hot", one_hot)
    g = torch.Generator().manual_seed(seed)
    bag = torch.arange(seq_len) % vocab                               # (seq_len,)
    order = torch.rand(n, seq_len, generator=g).argsort(dim=1)        # (n, seq_len) perms
    tokens = bag[order]                                               # (n, seq_len)
    y = tokens[:, position].clone()                                   # (n,)
    X = F.one_hot(tokens, vocab).float() if one_hot else tokens       # (n, seq_len[, vocab])
    return Dataset(X, y, "classification")
