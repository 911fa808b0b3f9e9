"""A tiny Transformer encoder for the lesson on positions and stable training.

Knobs: where the LayerNorm sits (Pre-LN ``x + f(LN(x))`` or Post-LN ``LN(x + f(x))``;
Xiong et al. 2020 show Pre-LN keeps gradients well-scaled at initialisation and trains
without warm-up) and which positional information is added (sinusoidal, learned, none).
Attention is written out plainly: projections, scaled dot products, softmax, output
projection (Vaswani et al. 2017).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import _validate
from .positional import sinusoidal_encoding

__all__ = ["TinyTransformer", "TransformerConfig", "TransformerBlock", "SelfAttention",
           "FeedForward", "NORM_POSITIONS", "POSITIONALS"]

NORM_POSITIONS = ("pre", "post")
POSITIONALS = ("sinusoidal", "learned", "none")


@dataclass(frozen=True)
class TransformerConfig:
    """Everything that defines a :class:`TinyTransformer`; checked on construction.

    ``d_ff`` None means ``4 * d_model``; ``out_features`` None means ``vocab_size``.
    """

    vocab_size: int
    d_model: int = 32
    n_heads: int = 2
    n_layers: int = 2
    max_len: int = 16
    norm_position: str = "pre"
    positional: str = "sinusoidal"
    d_ff: int | None = None
    out_features: int | None = None

    def __post_init__(self):
        _validate.integer("vocab_size", self.vocab_size, minimum=1)
        _validate.integer("d_model", self.d_model, minimum=1)
        _validate.integer("n_heads", self.n_heads, minimum=1)
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"d_model={self.d_model!r} is not divisible by "
                             f"n_heads={self.n_heads!r}; each head gets d_model / n_heads")
        _validate.integer("n_layers", self.n_layers, minimum=1)
        _validate.integer("max_len", self.max_len, minimum=1)
        _validate.one_of("norm_position", self.norm_position, NORM_POSITIONS)
        _validate.one_of("positional", self.positional, POSITIONALS)
        if self.d_ff is not None:
            _validate.integer("d_ff", self.d_ff, minimum=1)
        if self.out_features is not None:
            _validate.integer("out_features", self.out_features, minimum=1)

    @property
    def ff_size(self) -> int:
        """The feed-forward hidden size actually used."""
        return 4 * self.d_model if self.d_ff is None else self.d_ff

    @property
    def n_out(self) -> int:
        """The number of outputs actually used."""
        return self.vocab_size if self.out_features is None else self.out_features


class SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention, no mask (every token sees all).

    ``softmax(Q K^T / sqrt(d_head)) V`` per head, heads concatenated, then ``W_o``
    (Vaswani et al. 2017, section 3.2). Without positional information the output is
    permutation-equivariant: permuting the tokens permutes the outputs.

    Args:
        d_model: token width; n_heads: number of heads, dividing ``d_model``.
    """

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.scale = 1.0 / math.sqrt(self.d_head)
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def _heads(self, z: torch.Tensor) -> torch.Tensor:  # (batch, seq, d_model)
        b, s, _ = z.shape
        return z.view(b, s, self.n_heads, self.d_head).transpose(1, 2)  # (b, h, seq, d_head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, seq, d_model)
        q, k, v = self._heads(self.W_q(x)), self._heads(self.W_k(x)), self._heads(self.W_v(x))
        scores = (q @ k.transpose(-2, -1)) * self.scale     # (batch, heads, seq, seq)
        attn = torch.softmax(scores, dim=-1)                # each query's weights sum to 1
        out = attn @ v                                      # (batch, heads, seq, d_head)
        out = out.transpose(1, 2).reshape(x.shape)          # (batch, seq, d_model)
        return self.W_o(out)


class FeedForward(nn.Module):
    """``W_2 relu(W_1 x + b_1) + b_2`` applied to every token (Vaswani et al. 2017)."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.W_1 = nn.Linear(d_model, d_ff)
        self.W_2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, seq, d_model)
        return self.W_2(torch.relu(self.W_1(x)))


class TransformerBlock(nn.Module):
    """Self-attention then feed-forward, each with a residual connection and LayerNorm.

    Pre-LN: ``x = x + attn(norm1(x)); x = x + ff(norm2(x))``.
    Post-LN (the original Transformer): ``x = norm1(x + attn(x)); x = norm2(x + ff(x))``.
    Xiong et al. 2020, "On Layer Normalization in the Transformer Architecture".
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_position: str = "pre"):
        super().__init__()
        self.pre = _validate.one_of("norm_position", norm_position, NORM_POSITIONS) == "pre"
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_heads)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff = FeedForward(d_model, d_ff)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, seq, d_model)
        if self.pre:
            x = x + self.attn(self.norm1(x))
            return x + self.ff(self.norm2(x))
        x = self.norm1(x + self.attn(x))
        return self.norm2(x + self.ff(x))


class TinyTransformer(nn.Module):
    """A small Transformer encoder that classifies a token sequence.

    ``tokens -> embed + positions -> n_layers blocks -> (final LayerNorm, Pre-LN only)
    -> mean over tokens -> head``. The head reads the mean of the per-token features,
    not a first/CLS token: reading a fixed slot would itself tell the model where the
    sequence starts, while the mean is blind to order, so with ``positional="none"``
    the whole model is permutation-invariant (and :meth:`features` equivariant).

    Parameter names carry the block index (``blocks.0.attn.W_q.weight``,
    ``blocks.1.ff.W_2.bias``, ``blocks.0.norm1.weight``). PyTorch's default
    initialisation throughout (``nn.Embedding`` N(0, 1), ``nn.Linear`` uniform).

    Args:
        vocab_size: number of token ids, ``0 .. vocab_size - 1``.
        d_model: token width; n_heads: attention heads (must divide ``d_model``).
        n_layers: number of blocks; max_len: longest sequence accepted.
        norm_position: "pre" (Pre-LN, with a final LayerNorm) or "post" (Post-LN).
        positional: "sinusoidal" (:func:`~gradkit.positional.sinusoidal_encoding`,
            added, a fixed buffer), "learned" (an ``nn.Embedding(max_len, d_model)``,
            added) or "none".
        d_ff: feed-forward hidden size (default ``4 * d_model``).
        out_features: number of outputs (default ``vocab_size``).

    Attributes:
        config: the :class:`TransformerConfig` the model was built from.
    """

    def __init__(self, vocab_size, d_model=32, n_heads=2, n_layers=2, max_len=16,
                 norm_position="pre", positional="sinusoidal", d_ff=None, out_features=None):
        super().__init__()
        c = self.config = TransformerConfig(vocab_size, d_model, n_heads, n_layers, max_len,
                                            norm_position, positional, d_ff, out_features)
        self.embed = nn.Embedding(vocab_size, d_model)
        if positional == "learned":
            self.pos_embed = nn.Embedding(max_len, d_model)
            self.register_buffer("position_ids", torch.arange(max_len), persistent=False)
        elif positional == "sinusoidal":
            self.register_buffer("pe", sinusoidal_encoding(max_len, d_model), persistent=False)
        self.blocks = nn.ModuleList(TransformerBlock(d_model, n_heads, c.ff_size, norm_position)
                                    for _ in range(n_layers))
        self.norm_f = nn.LayerNorm(d_model) if norm_position == "pre" else nn.Identity()
        self.head = nn.Linear(d_model, c.n_out)

    def positions(self, seq: int) -> torch.Tensor | None:
        """The (seq, d_model) vectors added at positions ``0 .. seq - 1``, or None."""
        if self.config.positional == "sinusoidal":
            return self.pe[:seq]
        if self.config.positional == "learned":
            return self.pos_embed(self.position_ids[:seq])
        return None

    def features(self, tokens: torch.Tensor) -> torch.Tensor:
        """Per-token representations after the last block (and final LayerNorm).

        Args:
            tokens: integer token ids of shape (batch, seq), seq <= max_len.

        Returns:
            Tensor of shape (batch, seq, d_model).
        """
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2 \
                or tokens.dtype not in (torch.int64, torch.int32):
            shape = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else None
            raise ValueError(f"tokens must be an integer tensor (batch, seq); got "
                             f"{type(tokens).__name__} shape={shape} "
                             f"dtype={getattr(tokens, 'dtype', None)}")
        seq = tokens.shape[1]
        if not 1 <= seq <= self.config.max_len:
            raise ValueError(
                f"tokens has seq={seq}; must be in [1, max_len={self.config.max_len}]")
        x = self.embed(tokens)                              # (batch, seq, d_model)
        pos = self.positions(seq)
        if pos is not None:
            x = x + pos                                     # (seq, d_model) broadcast
        for block in self.blocks:
            x = block(x)                                    # (batch, seq, d_model)
        return self.norm_f(x)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # tokens: (batch, seq)
        """Logits of shape (batch, out_features) from the mean-pooled features."""
        return self.head(self.features(tokens).mean(dim=1))  # (batch, out_features)

    def extra_repr(self) -> str:
        c = self.config
        return f"norm_position={c.norm_position!r}, positional={c.positional!r}"
