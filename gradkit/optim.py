"""Optimizers written out for reading: SGD with momentum, RMSprop, Adam and AdamW.

Each is a ``torch.optim.Optimizer`` with the defaults, state names and update rule of its
``torch.optim`` namesake (the tests compare 200-step trajectories), written per parameter
with the maths in comments and the lessons' names: g, m, v, beta1, beta2, m_hat, v_hat.
"""
from __future__ import annotations

import torch

from . import _validate

__all__ = ["SGD", "RMSprop", "Adam", "AdamW"]


def _below_one(name: str, value) -> float:
    """Return ``value`` as a float in [0, 1); raise otherwise."""
    if not 0 <= _validate.real(name, value) < 1:
        raise ValueError(f"{name}={value!r} must be in [0, 1)")
    return float(value)


def _zeros(p: torch.Tensor) -> torch.Tensor:
    """A zero state tensor shaped, typed and laid out like ``p``."""
    return torch.zeros_like(p, memory_format=torch.preserve_format)


class _Optimizer(torch.optim.Optimizer):
    """The step loop shared by every optimizer here.

    A subclass defines ``_check(hyper)``, which validates one dict of hyperparameters, and
    ``_update(p, g, state, group)``, which updates one parameter in place.
    """

    def __init__(self, params, defaults: dict):
        self._check(defaults)  # before torch touches params: errors come first
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        """Add a param group as torch does, after checking its hyperparameters."""
        if isinstance(param_group, dict):
            self._check({**self.defaults,
                         **{k: v for k, v in param_group.items() if k != "params"}})
        super().add_param_group(param_group)

    @torch.no_grad()
    def step(self, closure=None):
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional callable that re-evaluates the model (zero_grad, forward,
                backward) and returns the loss; it runs first, with gradients enabled.

        Returns:
            The loss returned by ``closure``, or None without a closure.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for i, group in enumerate(self.param_groups):  # check all before updating any
            for j, p in enumerate(group["params"]):
                if p.grad is not None and p.grad.layout != torch.strided:
                    raise RuntimeError(
                        f"{type(self).__name__} does not support sparse gradients: "
                        f"param_groups[{i}]['params'][{j}].grad has layout {p.grad.layout}; "
                        "use dense gradients (e.g. nn.Embedding(sparse=False))")
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:  # not part of this loss: no update, no state
                    continue
                self._update(p, p.grad, self.state[p], group)
        return loss


class SGD(_Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    For each parameter ``p`` with gradient ``g`` (mu = momentum, tau = dampening,
    lambda = weight_decay)::

        g <- -g                     if maximize
        g <- g + lambda * p         (L2 penalty)
        b <- mu * b + (1 - tau) * g (b = g on the first step)
        d <- g + mu * b             if nesterov, else d <- b   (d <- g if mu = 0)
        p <- p - lr * d

    Momentum is Polyak's heavy ball (1964), "Some methods of speeding up the convergence
    of iteration methods"; the Nesterov form is that of Sutskever et al. (2013), "On the
    importance of initialization and momentum in deep learning", rewritten, as torch
    does, in terms of the current parameters.

    Args:
        params: parameters, or dicts defining param groups.
        lr: learning rate (>= 0).
        momentum: mu (>= 0); 0 disables momentum and its state.
        dampening: tau in [0, 1]; scales the gradient entering the buffer by (1 - tau).
        weight_decay: lambda (>= 0).
        nesterov: use the Nesterov form (needs momentum > 0 and dampening = 0).
        maximize: ascend the objective instead of descending.

    State per parameter: ``momentum_buffer`` (b), only when momentum != 0.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    @staticmethod
    def _check(h: dict) -> None:
        _validate.real("lr", h["lr"], nonnegative=True)
        _validate.real("momentum", h["momentum"], nonnegative=True)
        if not 0 <= _validate.real("dampening", h["dampening"]) <= 1:
            raise ValueError(f"dampening={h['dampening']!r} must be in [0, 1]")
        _validate.real("weight_decay", h["weight_decay"], nonnegative=True)
        _validate.flag("maximize", h["maximize"])
        if _validate.flag("nesterov", h["nesterov"]) and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening = 0, got "
                f"momentum={h['momentum']!r}, dampening={h['dampening']!r}")

    def _update(self, p, g, state, group):
        lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
        weight_decay = group["weight_decay"]
        if group["maximize"]:
            g = -g                                     # climb: follow +gradient
        if weight_decay != 0:
            g = g + weight_decay * p                   # gradient of L + lambda/2 |p|^2
        if mu != 0:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = g.clone()  # b_1 = g_1
            else:
                b.mul_(mu).add_((1 - tau) * g)         # b_t = mu b_{t-1} + (1 - tau) g_t
            g = g + mu * b if group["nesterov"] else b  # d_t: Nesterov looks one step ahead
        p.sub_(lr * g)                                 # p_t = p_{t-1} - lr d_t


class RMSprop(_Optimizer):
    """RMSprop, as ``torch.optim.RMSprop``: divide the gradient by a running RMS of it.

    For each parameter ``p`` with gradient ``g`` (lambda = weight_decay, mu = momentum)::

        g     <- g + lambda * p
        v     <- alpha * v + (1 - alpha) * g^2           (running mean of g^2)
        g_bar <- alpha * g_bar + (1 - alpha) * g         (centered only)
        denom  = sqrt(v - g_bar^2) + eps  if centered, else  sqrt(v) + eps
        b     <- mu * b + g / denom;  p <- p - lr * b    if mu > 0
        p     <- p - lr * g / denom                      otherwise

    Tieleman & Hinton (2012), Coursera "Neural Networks for Machine Learning", lecture
    6.5; the centered variant (divide by an estimate of the standard deviation of ``g``)
    is from Graves (2013), "Generating sequences with recurrent neural networks".

    Args:
        params: parameters, or dicts defining param groups.
        lr: learning rate (>= 0).
        alpha: smoothing constant of the running averages, in [0, 1).
        eps: added to the denominator (> 0).
        weight_decay: lambda (>= 0).
        momentum: mu (>= 0).
        centered: normalise by the running variance instead of the running second moment.

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, if
    momentum > 0), ``grad_avg`` (g_bar, if centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    @staticmethod
    def _check(h: dict) -> None:
        _validate.real("lr", h["lr"], nonnegative=True)
        _below_one("alpha", h["alpha"])
        _validate.real("eps", h["eps"], positive=True)
        _validate.real("weight_decay", h["weight_decay"], nonnegative=True)
        _validate.real("momentum", h["momentum"], nonnegative=True)
        _validate.flag("centered", h["centered"])

    def _update(self, p, g, state, group):
        lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
        if not state:                                  # first step: averages start at 0
            state["step"] = 0
            state["square_avg"] = _zeros(p)
            if mu > 0:
                state["momentum_buffer"] = _zeros(p)
            if group["centered"]:
                state["grad_avg"] = _zeros(p)
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p          # L2 penalty
        v = state["square_avg"]
        v.mul_(alpha).add_((1 - alpha) * g * g)        # v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        if group["centered"]:
            g_bar = state["grad_avg"]
            g_bar.mul_(alpha).add_((1 - alpha) * g)    # g_bar_t = alpha g_bar + (1 - alpha) g_t
            denom = (v - g_bar * g_bar).sqrt() + eps   # sqrt(Var[g]) + eps
        else:
            denom = v.sqrt() + eps                     # sqrt(E[g^2]) + eps
        if mu > 0:
            b = state["momentum_buffer"]
            b.mul_(mu).add_(g / denom)                 # b_t = mu b_{t-1} + g_t / denom
            p.sub_(lr * b)                             # p_t = p_{t-1} - lr b_t
        else:
            p.sub_(lr * g / denom)                     # p_t = p_{t-1} - lr g_t / denom


class Adam(_Optimizer):
    """Adam, as ``torch.optim.Adam``: momentum divided by a running RMS, bias-corrected.

    For each parameter ``p`` with gradient ``g`` at step t = 1, 2, ...::

        g     <- g + lambda * p                  (L2; AdamW instead: p <- p (1 - lr lambda))
        m     <- beta1 * m + (1 - beta1) * g     (first moment, m_0 = 0)
        v     <- beta2 * v + (1 - beta2) * g^2   (second moment, v_0 = 0)
        v     <- max over steps of v             (amsgrad only)
        m_hat  = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)   (bias correction)
        p     <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Kingma & Ba (2015), "Adam: A method for stochastic optimization"; AMSGrad from
    Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond".

    Args:
        params: parameters, or dicts defining param groups.
        lr: learning rate (>= 0).
        betas: (beta1, beta2), each in [0, 1).
        eps: added to the denominator (> 0).
        weight_decay: lambda (>= 0).
        amsgrad: divide by the running maximum of v (AMSGrad).
        bias_correction: divide m and v by (1 - beta^t); False skips it (not in torch:
            for showing what the correction is for). Without it the first step is
            (1 - beta1) / sqrt(1 - beta2) times larger (about 3.2 with the defaults).
        decoupled_weight_decay: shrink p directly instead of adding lambda * p to g (AdamW).

    State per parameter: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v),
    ``max_exp_avg_sq`` (if amsgrad).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, bias_correction=True, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, bias_correction=bias_correction,
                                      decoupled_weight_decay=decoupled_weight_decay))

    @staticmethod
    def _check(h: dict) -> None:
        _validate.real("lr", h["lr"], nonnegative=True)
        betas = h["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas={betas!r} must be a pair (beta1, beta2)")
        try:
            _below_one("beta1", betas[0])
            _below_one("beta2", betas[1])
        except (TypeError, ValueError) as err:
            raise ValueError(f"betas={tuple(betas)!r}: {err}") from None
        _validate.real("eps", h["eps"], positive=True)
        _validate.real("weight_decay", h["weight_decay"], nonnegative=True)
        _validate.flag("amsgrad", h["amsgrad"])
        _validate.flag("bias_correction", h["bias_correction"])
        _validate.flag("decoupled_weight_decay", h["decoupled_weight_decay"])

    def _update(self, p, g, state, group):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:                                  # first step: moments start at 0
            state["step"] = 0
            state["exp_avg"] = _zeros(p)
            state["exp_avg_sq"] = _zeros(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros(p)
        state["step"] += 1
        t = state["step"]
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - lr * weight_decay)          # AdamW: decay p itself
            else:
                g = g + weight_decay * p               # Adam: L2 penalty through g
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_((1 - beta1) * g)            # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        v.mul_(beta2).add_((1 - beta2) * g * g)        # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            torch.maximum(v_max, v, out=v_max)         # v_max_t = max(v_max_{t-1}, v_t)
            v = v_max
        if group["bias_correction"]:
            # m and v start at 0, so early on they are E[g] and E[g^2] shrunk by
            # (1 - beta1^t) and (1 - beta2^t); dividing by those factors undoes it.
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
        else:
            m_hat, v_hat = m, v
        # p_t = p_{t-1} - lr m_hat / (sqrt(v_hat) + eps)
        p.sub_(lr * m_hat / (v_hat.sqrt() + eps))


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    :class:`Adam` with ``decoupled_weight_decay=True``: each step shrinks
    ``p <- p * (1 - lr * weight_decay)`` and leaves ``g`` alone, so the decay is not
    rescaled by the adaptive denominator. Loshchilov & Hutter (2019), "Decoupled weight
    decay regularization". Default weight_decay 1e-2, as torch.

    Args:
        params, lr, betas, eps, amsgrad, bias_correction: as for :class:`Adam`.
        weight_decay: decay rate lambda (>= 0).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, bias_correction=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         bias_correction=bias_correction, decoupled_weight_decay=True)
