"""A tiny Elman RNN, spectral-radius control, and gradient norms through time.

Backpropagating through ``T`` steps multiplies ``T`` Jacobians
``diag(act'(a_t)) W_hh``; their product shrinks or grows roughly like
``rho(W_hh)**T``, which is why long sequences make gradients vanish or explode
(Bengio et al. 1994; Pascanu et al. 2013).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import _validate

__all__ = ["TinyRNN", "RNNConfig", "NONLINEARITIES", "set_spectral_radius_",
           "spectral_radius", "rnn_gradient_norms"]

NONLINEARITIES = ("tanh", "relu", "linear")
_ACT = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}


@dataclass(frozen=True)
class RNNConfig:
    """Everything that defines a :class:`TinyRNN`; checked on construction."""

    input_size: int
    hidden_size: int
    output_size: int
    nonlinearity: str = "tanh"

    def __post_init__(self):
        _validate.integer("input_size", self.input_size, minimum=1)
        _validate.integer("hidden_size", self.hidden_size, minimum=1)
        _validate.integer("output_size", self.output_size, minimum=1)
        _validate.one_of("nonlinearity", self.nonlinearity, NONLINEARITIES)


class TinyRNN(nn.Module):
    """An Elman RNN ``h_t = act(W_xh x_t + W_hh h_{t-1} + b)``, read out as ``y = W_hy h_T``.

    Elman 1990, "Finding Structure in Time". ``h_0`` is zero unless given. Each weight
    is an ``nn.Linear`` named after its matrix, so parameter names read
    ``W_xh.weight``, ``W_xh.bias`` (the recurrence's one bias ``b``), ``W_hh.weight``
    (no bias), ``W_hy.weight`` and ``W_hy.bias``.

    Initialisation is PyTorch's ``nn.RNN`` default for the recurrence, every entry of
    ``W_xh``, ``b`` and ``W_hh`` ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), and
    the ``nn.Linear`` default for the read-out ``W_hy``.

    Args:
        input_size: features per time step.
        hidden_size: size of the hidden state ``h``.
        output_size: size of the read-out ``y``.
        nonlinearity: "tanh", "relu" or "linear" (the identity: the gradient through
            time is then exactly a product of ``W_hh`` transposes).

    Attributes:
        config: the :class:`RNNConfig` the model was built from.
    """

    def __init__(self, input_size, hidden_size, output_size, nonlinearity="tanh"):
        super().__init__()
        self.config = RNNConfig(input_size, hidden_size, output_size, nonlinearity)
        self.W_xh = nn.Linear(input_size, hidden_size)               # carries b
        self.W_hh = nn.Linear(hidden_size, hidden_size, bias=False)
        self.W_hy = nn.Linear(hidden_size, output_size)
        self._act = _ACT[nonlinearity]
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw every parameter from the default initialisation (see the class)."""
        bound = 1.0 / math.sqrt(self.config.hidden_size)
        with torch.no_grad():
            for p in (self.W_xh.weight, self.W_xh.bias, self.W_hh.weight):
                p.uniform_(-bound, bound)
        self.W_hy.reset_parameters()

    def _check_input(self, x: torch.Tensor, h0: torch.Tensor | None) -> None:
        c = self.config
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != c.input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x has shape {shape}; expected (batch, seq, {c.input_size})")
        if x.shape[1] < 1:
            raise ValueError("x has seq=0 time steps; expected at least 1")
        expected = (x.shape[0], c.hidden_size)
        if h0 is not None and (not isinstance(h0, torch.Tensor) or tuple(h0.shape) != expected):
            shape = tuple(h0.shape) if isinstance(h0, torch.Tensor) else type(h0).__name__
            raise ValueError(f"h0 has shape {shape}; "
                             f"expected (batch, hidden_size) = {expected}")

    def hidden_states(self, x: torch.Tensor,
                      h0: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Run the recurrence and return ``[h_0, h_1, ..., h_T]``, each (batch, hidden).

        The list holds the graph's own tensors, so ``torch.autograd.grad(loss, hs[t])``
        gives ``dL/dh_t``.
        """
        self._check_input(x, h0)
        batch, seq, _ = x.shape                                     # x: (batch, seq, input)
        if h0 is None:
            h0 = x.new_zeros(batch, self.config.hidden_size)        # (batch, hidden)
        xs = self.W_xh(x)                                           # (batch, seq, hidden), + b
        hs = [h0]
        for t in range(seq):
            hs.append(self._act(xs[:, t] + self.W_hh(hs[-1])))      # (batch, hidden)
        return hs

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, *,
                all_steps: bool = False) -> torch.Tensor:
        """Read out the last hidden state, or every one.

        Args:
            x: inputs of shape (batch, seq, input_size).
            h0: initial hidden state (batch, hidden_size); zeros if None.
            all_steps: if True return ``W_hy h_t`` for every ``t = 1..T``.

        Returns:
            (batch, output_size), or (batch, seq, output_size) with ``all_steps=True``.
        """
        hs = self.hidden_states(x, h0)
        if all_steps:
            return self.W_hy(torch.stack(hs[1:], dim=1))            # (batch, seq, output)
        return self.W_hy(hs[-1])                                    # (batch, output)

    def extra_repr(self) -> str:
        return f"nonlinearity={self.config.nonlinearity!r}"


def _square_matrix(weight) -> torch.Tensor:
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight={type(weight).__name__} must be a torch.Tensor")
    if weight.dim() != 2 or weight.shape[0] != weight.shape[1]:
        raise ValueError(
            f"weight has shape {tuple(weight.shape)}; expected a square matrix (n, n)")
    return weight


def spectral_radius(weight: torch.Tensor) -> float:
    """The largest eigenvalue modulus ``max |lambda_i|`` of a square matrix.

    Args:
        weight: a square 2-D tensor (computed in float64).

    Returns:
        The spectral radius as a float.
    """
    W = _square_matrix(weight).detach().to(torch.float64)
    return torch.linalg.eigvals(W).abs().max().item()


def set_spectral_radius_(weight: torch.Tensor, rho: float) -> torch.Tensor:
    """Rescale a square matrix in place so that its spectral radius is ``rho``.

    Multiplying a matrix by ``c`` multiplies every eigenvalue by ``c``, so the matrix is
    scaled by ``rho / spectral_radius(weight)``. Echo-state networks (Jaeger 2001) set
    ``rho`` this way; for an RNN, ``rho`` > 1 lets gradients explode, < 1 makes them
    vanish (Pascanu et al. 2013).

    Args:
        weight: a square 2-D tensor or ``nn.Parameter`` (e.g. ``model.W_hh.weight``);
            modified in place without recording the change in autograd.
        rho: the target spectral radius, >= 0.

    Returns:
        ``weight`` itself.
    """
    _square_matrix(weight)
    rho = _validate.real("rho", rho, nonnegative=True)
    current = spectral_radius(weight)
    if current == 0.0:
        raise ValueError("weight has spectral radius 0 (a zero or nilpotent matrix); "
                         "rescaling cannot change it")
    with torch.no_grad():
        weight.mul_(rho / current)
    return weight


def rnn_gradient_norms(model: TinyRNN, seq_lens, *, wrt: str = "h0", batch_size: int = 16,
                       seed: int = 0) -> torch.Tensor:
    """``||dL/dh_0||`` (or ``||dL/dx_1||``) for random sequences of several lengths.

    One random sequence x ~ N(0, I) of the longest length is drawn; for each length
    ``T`` the loss is ``L_T = sum(W_hy h_T)`` read after its first ``T`` steps, and the
    gradient of each sequence's own loss with respect to its ``h_0`` (or its first
    input ``x_1``) is measured. How this norm changes with ``T`` is the vanishing /
    exploding gradient of Bengio et al. 1994 and Pascanu et al. 2013. The model's
    ``.grad`` fields are not touched.

    With ``nonlinearity="linear"`` the norm changes by about ``rho(W_hh)`` per step.
    With tanh, ``|tanh'| <= 1`` only shrinks it further, so ``rho < 1`` means decay in
    practice (the strict sufficient condition of Pascanu et al. is a largest singular
    value < 1), while ``rho > 1`` does not guarantee growth: saturated units damp the
    product (measured with 32 units and N(0, 1) inputs: the fitted rate per step stays
    near or below 1 until ``rho ~ 2``).

    Args:
        model: a :class:`TinyRNN`.
        seq_lens: a length ``T`` >= 1 or a sequence of them.
        wrt: "h0" (the initial hidden state) or "x1" (the first input).
        batch_size: number of random sequences averaged over.
        seed: seeds the random sequences.

    Returns:
        1-D float tensor, one entry per length: the mean over sequences of the
        per-sequence gradient norm.
    """
    if not isinstance(model, TinyRNN):
        raise TypeError(f"model={type(model).__name__} must be a gradkit TinyRNN")
    lens = [seq_lens] if not isinstance(seq_lens, (list, tuple, range, torch.Tensor)) \
        else list(seq_lens.tolist() if isinstance(seq_lens, torch.Tensor) else seq_lens)
    if not lens:
        raise ValueError("seq_lens is empty; give at least one length")
    for T in lens:
        _validate.integer("seq_lens", T, minimum=1)
    _validate.one_of("wrt", wrt, ("h0", "x1"))
    _validate.integer("batch_size", batch_size, minimum=1)
    _validate.integer("seed", seed)

    W = model.W_hh.weight
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, max(lens), model.config.input_size, generator=g)
    x = x.to(device=W.device, dtype=W.dtype).requires_grad_(wrt == "x1")
    h0 = torch.zeros(batch_size, model.config.hidden_size, device=W.device, dtype=W.dtype,
                     requires_grad=wrt == "h0")
    with torch.enable_grad():
        hs = model.hidden_states(x, h0)                 # [h_0 .. h_T], each (batch, hidden)
        target = h0 if wrt == "h0" else x
        norms = []
        for k, T in enumerate(lens):
            loss = model.W_hy(hs[T]).sum()              # sum over the batch: per-sequence grads
            (grad,) = torch.autograd.grad(loss, target, retain_graph=k < len(lens) - 1)
            if wrt == "x1":
                grad = grad[:, 0]                       # (batch, input)
            norms.append(torch.linalg.vector_norm(grad, dim=1).mean())
    return torch.stack(norms).detach().cpu()
