"""A tiny Transformer encoder for the lesson on positions and stable training.

Knobs: where the LayerNorm sits (Pre-LN ``x + f(LN(x))`` or Post-LN ``LN(x + f(x))``;
Xiong et al. 2020 show Pre-LN keeps gradients well-scaled at initialisation and trains
without warm-up) and which positional information is added (sinusoidal, learned, none).
Attention is written out plainly: projections, scaled dot products, softmax, output
projection (Vaswani et al. 2017). ``pos_scale`` sets the size of the positions next to the
embeddings; ``init="xavier"`` gives the initialisation Xiong et al. analyse.
:func:`block_param_grad_norms` and :func:`stream_grad_norms` measure gradients per block.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import _validate
from .positional import sinusoidal_encoding

__all__ = ["TinyTransformer", "TransformerConfig", "TransformerBlock", "SelfAttention",
           "FeedForward", "NORM_POSITIONS", "POSITIONALS", "INITS", "block_param_grad_norms",
           "stream_grad_norms"]

NORM_POSITIONS = ("pre", "post")
POSITIONALS = ("sinusoidal", "learned", "none")
INITS = ("default", "xavier")


@dataclass(frozen=True)
class TransformerConfig:
    """Everything that defines a :class:`TinyTransformer`; checked on construction.

    ``d_ff`` None means ``4 * d_model``; ``out_features`` None means ``vocab_size``.
    ``pos_scale`` multiplies the positional vectors before they are added to the token
    embeddings (1.0: as in the paper). ``init`` is "default" (PyTorch's) or "xavier".
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
    pos_scale: float = 1.0
    init: str = "default"

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
        _validate.real("pos_scale", self.pos_scale, nonnegative=True)
        _validate.one_of("init", self.init, INITS)

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
    initialisation by default (``nn.Embedding`` N(0, 1), ``nn.Linear`` uniform).

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
        pos_scale: factor on the positional vectors, >= 0 (default 1.0). The embeddings
            start at N(0, 1) per entry and the sinusoidal entries lie in [-1, 1], so
            1.0 adds the two at comparable size; 0.01 drowns position in content, 100
            drowns content in position.
        init: "default" (PyTorch's: ``nn.Linear`` uniform with variance 1/(3 fan_in)) or
            "xavier" (every ``nn.Linear`` weight Xavier-normal, variance
            2/(fan_in + fan_out), Glorot & Bengio 2010, biases 0: the setting Xiong et
            al. 2020 analyse). Embeddings and LayerNorms keep their defaults.

    Attributes:
        config: the :class:`TransformerConfig` the model was built from.
    """

    def __init__(self, vocab_size, d_model=32, n_heads=2, n_layers=2, max_len=16,
                 norm_position="pre", positional="sinusoidal", d_ff=None, out_features=None,
                 pos_scale=1.0, init="default"):
        super().__init__()
        c = self.config = TransformerConfig(vocab_size, d_model, n_heads, n_layers, max_len,
                                            norm_position, positional, d_ff, out_features,
                                            pos_scale, init)
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
        if init == "xavier":
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    nn.init.xavier_normal_(module.weight)
                    nn.init.zeros_(module.bias)

    def positions(self, seq: int) -> torch.Tensor | None:
        """The (seq, d_model) vectors added at positions ``0 .. seq - 1`` (times
        ``pos_scale``), or None."""
        c = self.config
        if c.positional == "sinusoidal":
            pos = self.pe[:seq]
        elif c.positional == "learned":
            pos = self.pos_embed(self.position_ids[:seq])
        else:
            return None
        return pos if c.pos_scale == 1.0 else c.pos_scale * pos

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
        extra = "" if c.pos_scale == 1.0 else f", pos_scale={c.pos_scale!r}"
        extra += "" if c.init == "default" else f", init={c.init!r}"
        return f"norm_position={c.norm_position!r}, positional={c.positional!r}{extra}"


def block_param_grad_norms(model: TinyTransformer, data, part: str = "ff.W_2.weight",
                           loss_fn=None) -> torch.Tensor:
    """One parameter's gradient norm in every block, after one forward/backward pass.

    The measurement of Xiong et al. 2020 (Fig. 3): at initialisation, Post-LN's
    gradients of the feed-forward weights grow toward the output, Pre-LN's stay level.
    The model's ``.grad`` fields are left as they were.

    Args:
        model: a :class:`TinyTransformer`.
        data: a :class:`~gradkit.data.Dataset` of tokens; the whole set is one batch.
        part: the parameter, named inside a block (``"ff.W_2.weight"``,
            ``"attn.W_q.weight"``, ``"norm1.weight"``, ...).
        loss_fn: ``loss_fn(output, target)``; default ``data.loss_fn``.

    Returns:
        1-D tensor of ``||dL/dW||`` per block, block 1 (next to the input) first, on the CPU.
    """
    _check_model_data(model, data)
    names = [n for n, _ in model.blocks[0].named_parameters()]
    if part not in names:
        raise ValueError(f"part={part!r} is not one of {', '.join(names)}")
    params = [b.get_parameter(part) for b in model.blocks]
    device = params[0].device
    loss = (loss_fn or data.loss_fn)(model(data.X.to(device)), data.y.to(device))
    grads = torch.autograd.grad(loss, params)          # .grad fields untouched
    return torch.stack([g.norm() for g in grads]).detach().cpu()   # (n_layers,)



def stream_grad_norms(model: TinyTransformer, data, loss_fn=None) -> torch.Tensor:
    """``||dL/dx_l||`` on the residual stream, from the block inputs to the last output.

    ``x_0`` is embeddings plus positions, ``x_l`` the output of block ``l``. With Pre-LN,
    ``x_{l+1} = x_l + F(x_l)``, so ``dx_{l+1}/dx_l = I + J_F``: the identity path carries
    the gradient down unchanged (He et al. 2016). Post-LN puts a LayerNorm on that path.

    Args:
        model: a :class:`TinyTransformer`.
        data: a :class:`~gradkit.data.Dataset` of tokens; the whole set is one batch.
        loss_fn: ``loss_fn(output, target)``; default ``data.loss_fn``.

    Returns:
        1-D tensor of length ``n_layers + 1``: ``||dL/dx_0||, ..., ||dL/dx_L||``, on the CPU.
    """
    _check_model_data(model, data)
    device = next(model.parameters()).device
    tokens, y = data.X.to(device), data.y.to(device)
    model.features(tokens[:1])                                # validates the tokens
    x = model.embed(tokens)                                   # (batch, seq, d_model)
    pos = model.positions(tokens.shape[1])
    xs = [x if pos is None else x + pos]
    for block in model.blocks:
        xs.append(block(xs[-1]))                              # (batch, seq, d_model)
    out = model.head(model.norm_f(xs[-1]).mean(dim=1))        # (batch, out_features)
    grads = torch.autograd.grad((loss_fn or data.loss_fn)(out, y), xs)
    return torch.stack([g.norm() for g in grads]).detach().cpu()   # (n_layers + 1,)


def _check_model_data(model, data):
    from .data import Dataset
    if not isinstance(model, TinyTransformer):
        raise TypeError(f"model={type(model).__name__} must be a gradkit TinyTransformer")
    if not isinstance(data, Dataset):
        raise TypeError(f"data={type(data).__name__} must be a gradkit.data.Dataset")
