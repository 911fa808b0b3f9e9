"""The two norms of an update-to-data ratio, ``||W - W_prev||`` and ``||W||``, for a fixed
list of weights, with few kernel calls; then ``W_prev = W``.

An exact ratio needs four passes over every weight (subtract, norm, copy, norm), and on a
CPU each call costs one to two microseconds whatever its size. So weights are laid out by
size:

- small weights (at most ``_STACK_BYTES`` each) that share their shape, dtype and device
  with another are copied with one ``torch.stack`` into a buffer and reduced along its
  first dimension: four calls for the whole group instead of four per layer. Two
  buffers take turns holding ``W`` and ``W_prev``;
- every other weight keeps ``W_prev`` in a buffer of its own, and they are taken a
  cache-sized chunk at a time, so that the four passes find the chunk in the cache
  (stacking large weights would only add a third buffer to the memory traffic).

All buffers are allocated once, on the first call (a fresh tensor per step costs about
15x more than copying into one that exists).
"""
from __future__ import annotations

import torch

from ._foreach import _foreach_norm

_STACK_BYTES = 64 * 1024    # weights up to this size are stacked with their own shape
# a chunk of weights plus its copy fits a typical L2 cache; measured right after a real
# step on the 20 x 256 MLP (one run), 256 KB chunks added 905 us, 768 KB 1007 us and
# 1.5 MB 1269 us (one norm call per chunk instead of two was slower at every size)
_CHUNK_BYTES = 256 * 1024


def _cache_sized_chunks(tensors: list[torch.Tensor]) -> list[list[int]]:
    """Consecutive indices of ``tensors`` in groups of at most ``_CHUNK_BYTES`` (a larger
    tensor is a group by itself)."""
    chunks: list[list[int]] = [[]]
    size = 0
    for i, t in enumerate(tensors):
        nbytes = t.numel() * t.element_size()
        if chunks[-1] and size + nbytes > _CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(i)
        size += nbytes
    return [c for c in chunks if c]


class UpdateNorms:
    """``||W_l - W_l(previous call)||`` and ``||W_l||`` for every weight of a fixed list.

    Args:
        weights: the tensors to follow (parameters are read under ``no_grad``).
    """

    def __init__(self, weights: list[torch.Tensor]):
        self._weights = weights
        stacks: dict[tuple, list[int]] = {}
        for l, W in enumerate(weights):
            if W.numel() * W.element_size() <= _STACK_BYTES:
                stacks.setdefault((tuple(W.shape), W.dtype, W.device), []).append(l)
        self._stacks = [s for s in stacks.values() if len(s) > 1]
        stacked = {l for s in self._stacks for l in s}
        self._unstacked = [l for l in range(len(weights)) if l not in stacked]
        chunks = _cache_sized_chunks([weights[l] for l in self._unstacked])
        self._unstacked_chunks = [[self._unstacked[i] for i in c] for c in chunks]
        order = [l for s in self._stacks for l in s] + self._unstacked
        self._in_order = order == list(range(len(weights)))
        self._perm = sorted(range(len(order)), key=order.__getitem__)   # back to layer order
        self._buffers: list[list[torch.Tensor]] | None = None  # per stack: [W_prev, W]
        self._previous: dict[int, torch.Tensor] = {}   # W_prev of the weights not stacked

    def reset(self) -> None:
        """Forget ``W_prev``: the next call only stores the weights."""
        self._buffers = None
        self._previous = {}

    @torch.no_grad()
    def __call__(self) -> torch.Tensor | None:
        """Shape (2, layers): row 0 ``||W - W_prev||``, row 1 ``||W||``, in the order of
        the weights; None on the first call, which stores ``W_prev``."""
        Ws = self._weights
        if self._buffers is None:
            self._buffers = [[torch.stack([Ws[l] for l in s]), None] for s in self._stacks]
            for pair in self._buffers:
                pair[1] = torch.empty_like(pair[0])
            self._previous = {l: Ws[l].detach().clone() for l in self._unstacked}
            return None
        diff, norm = [], []           # stacked weights: one 1-D tensor per stack
        for s, pair in zip(self._stacks, self._buffers):
            prev, now = pair
            torch.stack([Ws[l] for l in s], out=now)
            prev.sub_(now)                                       # now W_prev - W
            diff.append(torch.linalg.vector_norm(prev.view(len(s), -1), dim=1))
            norm.append(torch.linalg.vector_norm(now.view(len(s), -1), dim=1))
            pair.reverse()                                       # W becomes W_prev
        apart_diff, apart_norm = [], []   # the other weights: 0-d tensors, stacked once below
        for chunk in self._unstacked_chunks:
            prev = [self._previous[l] for l in chunk]
            now = [Ws[l].detach() for l in chunk]
            torch._foreach_sub_(prev, now)                       # now W_prev - W
            apart_diff += _foreach_norm(prev)
            torch._foreach_copy_(prev, now)
            apart_norm += _foreach_norm(prev)
        if self._unstacked:
            apart = torch.stack(apart_diff + apart_norm).view(2, -1)
            if not diff:
                return apart                       # nothing stacked: already in order
            diff.append(apart[0])
            norm.append(apart[1])
        both = torch.stack([torch.cat(diff), torch.cat(norm)])
        if self._in_order:
            return both
        return both.index_select(1, torch.tensor(self._perm, device=both.device))
