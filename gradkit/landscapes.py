"""Two-dimensional loss landscapes and a loop that runs any optimizer on them.

Each landscape is a small frozen dataclass: call it on a tensor ``xy`` of shape
(..., 2) to get the loss, shape (...), differentiably; ``grid()`` evaluates it on a
mesh for contour plots. :func:`descend` runs gradient descent or any
``torch.optim``-style optimizer from a starting point and returns the
:class:`Trajectory` as data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import _validate

__all__ = ["Quadratic", "Rosenbrock", "Cliff", "Trajectory", "descend"]


class _Landscape:
    """Shared by the landscapes: shape checking, ``grid`` and plot limits."""

    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)

    def _f(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, xy) -> torch.Tensor:
        """The loss at ``xy`` (..., 2); returns shape (...)."""
        if not isinstance(xy, torch.Tensor):
            xy = torch.as_tensor(xy, dtype=torch.float64)
        if xy.dim() == 0 or xy.shape[-1] != 2:
            raise ValueError(f"xy has shape {tuple(xy.shape)}; expected (..., 2)")
        return self._f(xy[..., 0], xy[..., 1])

    def grid(self, n: int = 201, xlim=None, ylim=None):
        """The loss on an ``n`` x ``n`` mesh, ready for ``plt.contour(X, Y, Z)``.

        Args:
            n: points per axis, >= 2.
            xlim, ylim: ``(low, high)`` ranges; default the landscape's own.

        Returns:
            ``(X, Y, Z)``, float64 tensors of shape (n, n); ``X`` varies along columns.
        """
        _validate.integer("n", n, minimum=2)
        lims = []
        for name, lim in (("xlim", self.xlim if xlim is None else xlim),
                          ("ylim", self.ylim if ylim is None else ylim)):
            if not (isinstance(lim, (tuple, list)) and len(lim) == 2
                    and all(isinstance(v, (int, float)) and math.isfinite(v) for v in lim)
                    and lim[0] < lim[1]):
                raise ValueError(f"{name}={lim!r} must be (low, high) with low < high")
            lims.append(torch.linspace(float(lim[0]), float(lim[1]), n, dtype=torch.float64))
        Y, X = torch.meshgrid(lims[1], lims[0], indexing="ij")     # (n, n) each
        with torch.no_grad():
            Z = self(torch.stack((X, Y), dim=-1))                   # (n, n)
        return X, Y, Z


@dataclass(frozen=True)
class Quadratic(_Landscape):
    """``f(x, y) = 0.5 (a x^2 + b y^2)`` with ``a = scale``, ``b = scale * condition_number``.

    The Hessian is ``diag(a, b)``: the curvatures are its eigenvalues, ``L_max = b``, and
    gradient descent converges exactly when ``0 < lr < 2 / L_max`` (the error along
    each axis is multiplied by ``1 - lr * curvature`` per step).

    Args:
        condition_number: ``b / a`` >= 1, how elongated the valley is.
        scale: the smaller curvature ``a`` > 0.
    """

    condition_number: float = 10.0
    scale: float = 1.0

    def __post_init__(self):
        k = _validate.real("condition_number", self.condition_number)
        if k < 1:
            raise ValueError(f"condition_number={self.condition_number!r} must be >= 1")
        _validate.real("scale", self.scale, positive=True)

    @property
    def curvatures(self) -> torch.Tensor:
        """The Hessian's eigenvalues ``(a, b)``, float64 (2,)."""
        a = float(self.scale)
        return torch.tensor([a, a * float(self.condition_number)], dtype=torch.float64)

    @property
    def minimum(self) -> torch.Tensor:
        """Where ``f`` is smallest, (0, 0); ``f`` is 0 there."""
        return torch.zeros(2, dtype=torch.float64)

    @property
    def max_stable_lr(self) -> float:
        """``2 / L_max``: gradient descent diverges for any larger learning rate."""
        return 2.0 / (float(self.scale) * float(self.condition_number))

    def _f(self, x, y):
        a = float(self.scale)
        return 0.5 * (a * x ** 2 + a * float(self.condition_number) * y ** 2)


@dataclass(frozen=True)
class Rosenbrock(_Landscape):
    """``f(x, y) = (a - x)^2 + b (y - x^2)^2``: a curved, flat-bottomed valley.

    Rosenbrock 1960. The minimum, 0, is at ``(a, a^2)``; the valley floor ``y = x^2``
    is easy to reach and slow to follow. Default plot range x in [a - 3, a + 1],
    y in [a^2 - 2, a^2 + 2].

    Args:
        a: position of the minimum along x.
        b: steepness of the valley walls, > 0.
    """

    a: float = 1.0
    b: float = 100.0

    def __post_init__(self):
        _validate.real("a", self.a)
        _validate.real("b", self.b, positive=True)

    @property
    def minimum(self) -> torch.Tensor:
        """``(a, a^2)``, float64 (2,)."""
        a = float(self.a)
        return torch.tensor([a, a * a], dtype=torch.float64)

    @property
    def xlim(self):
        return (float(self.a) - 3.0, float(self.a) + 1.0)

    @property
    def ylim(self):
        return (float(self.a) ** 2 - 2.0, float(self.a) ** 2 + 2.0)

    def _f(self, x, y):
        return (float(self.a) - x) ** 2 + float(self.b) * (y - x ** 2) ** 2


@dataclass(frozen=True)
class Cliff(_Landscape):
    """A quadratic bowl beside a high plateau, joined by a steep straight cliff face.

    ``f(x, y) = 0.5 (x^2 + y^2) + height * clamp((x - edge + width) / (2 width), 0, 1)``:
    the bowl alone for ``x <= edge - width``, the bowl plus ``height`` for
    ``x >= edge + width``, and between them the cliff face, a ramp of slope
    ``height / (2 width)`` (``max_slope``), far steeper than the bowl. A gradient step
    that lands on the face is thrown ``lr * max_slope`` back across the bowl; clipping
    the gradient norm caps that jump at ``lr * clip``. Gradient descent whose steps are
    shorter than the face (``2 * width``) cannot step over it. This is the picture of
    Pascanu et al. 2013 (Fig. 6), in a formula of our own; ``f`` is continuous, its
    gradient jumps at the two edges of the face.

    The minimum is exactly (0, 0), value 0, because the face starts beyond it
    (``edge > width`` is required).

    Args:
        height: the plateau's height above the bowl, > 0.
        width: half-width of the cliff face, > 0.
        edge: x position of the middle of the face, > ``width``.
    """

    height: float = 20.0
    width: float = 0.25
    edge: float = 1.25
    xlim = (-4.0, 3.0)
    ylim = (-3.0, 3.0)

    def __post_init__(self):
        _validate.real("height", self.height, positive=True)
        _validate.real("width", self.width, positive=True)
        edge = _validate.real("edge", self.edge)
        if not edge > self.width:
            raise ValueError(f"edge={self.edge!r} must be > width={self.width!r} "
                             "(the cliff must lie beyond the minimum at x = 0)")

    @property
    def minimum(self) -> torch.Tensor:
        """(0, 0), float64 (2,); ``f`` is 0 there."""
        return torch.zeros(2, dtype=torch.float64)

    @property
    def max_slope(self) -> float:
        """The slope of the cliff face, ``height / (2 width)``."""
        return float(self.height) / (2.0 * float(self.width))

    def _f(self, x, y):
        w, e = float(self.width), float(self.edge)
        ramp = ((x - e + w) / (2.0 * w)).clamp(0.0, 1.0)       # 0 -> 1 across the face
        return 0.5 * (x ** 2 + y ** 2) + float(self.height) * ramp


@dataclass
class Trajectory:
    """The path of one :func:`descend` run; row ``t`` of each field is iterate ``t``.

    ``points`` (k+1, 2), ``losses`` (k+1,), ``grad_norms`` (k+1,) (the norm before any
    clipping), all float64, where ``k`` is the number of steps taken: ``steps`` unless
    the run diverged, in which case the last row is the first bad iterate.
    """

    points: torch.Tensor
    losses: torch.Tensor
    grad_norms: torch.Tensor
    diverged: bool

    @property
    def steps(self) -> int:
        """The number of optimizer steps taken."""
        return self.points.shape[0] - 1

    @property
    def final(self) -> torch.Tensor:
        """The last iterate, (2,)."""
        return self.points[-1]


def _make_optimizer(optimizer, params, lr, opt_kwargs):
    if isinstance(optimizer, str):
        _validate.one_of("optimizer", optimizer, ("gd",))
        return torch.optim.SGD(params, lr=lr, **opt_kwargs)
    return optimizer(params, lr=lr, **opt_kwargs)


def descend(f, start, optimizer="gd", lr: float = 0.01, steps: int = 100,
            clip: float | None = None, bound: float = 1e6, **opt_kwargs) -> Trajectory:
    """Minimise a 2-D function from ``start`` and record every iterate.

    Each step evaluates ``f`` and its gradient at the current point, records them,
    optionally rescales the gradient to norm at most ``clip`` (as
    ``torch.nn.utils.clip_grad_norm_``; Pascanu et al. 2013), then calls the
    optimizer's ``step()``. The run stops early and is flagged ``diverged`` as soon as
    the loss or the gradient is NaN/infinite or a coordinate exceeds ``bound`` in
    absolute value.

    Args:
        f: a callable mapping a float64 tensor of shape (2,) to a scalar tensor, e.g.
            a :class:`Quadratic`, :class:`Rosenbrock` or :class:`Cliff`.
        start: the starting point, two finite numbers.
        optimizer: "gd" (plain gradient descent, ``torch.optim.SGD``), or an
            optimizer class, ``torch.optim`` or ``gradkit.optim`` (any callable
            ``(params, lr=..., **opt_kwargs) -> optimizer``).
        lr: learning rate, > 0.
        steps: number of optimizer steps, >= 0.
        clip: None, or the largest gradient norm allowed (> 0).
        bound: divergence threshold on ``max(|x|, |y|)``, > 0.
        **opt_kwargs: passed to the optimizer (e.g. ``momentum=0.9``, ``betas=...``).

    Returns:
        A :class:`Trajectory`.
    """
    if not callable(f):
        raise TypeError(f"f={type(f).__name__} must be callable: xy (2,) -> scalar tensor")
    try:
        x0 = torch.as_tensor(start, dtype=torch.float64).detach().reshape(-1).clone()
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"start={start!r} must be two finite numbers") from None
    if x0.numel() != 2 or not bool(torch.isfinite(x0).all()):
        raise ValueError(f"start={start!r} must be two finite numbers")
    if isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer={type(optimizer).__name__}(...) is an instance; pass "
                        "the class (descend creates the optimizer for its own point)")
    if isinstance(optimizer, str) or not callable(optimizer):
        if optimizer != "gd":
            raise ValueError(f"optimizer={optimizer!r} is not one of gd, "
                             "or an optimizer class such as torch.optim.Adam")
    lr = _validate.real("lr", lr, positive=True)
    steps = _validate.integer("steps", steps, minimum=0)
    if clip is not None:
        clip = _validate.real("clip", clip, positive=True)
    bound = _validate.real("bound", bound, positive=True)

    x = x0.requires_grad_(True)                                    # (2,)
    opt = _make_optimizer(optimizer, [x], lr, opt_kwargs)
    rows: list[list[float]] = []                                   # x, y, loss, grad norm
    diverged = False
    for t in range(steps + 1):
        opt.zero_grad(set_to_none=True)
        loss = f(x)
        if t == 0 and not (isinstance(loss, torch.Tensor) and loss.numel() == 1):
            raise ValueError(f"f returned {type(loss).__name__} "
                             f"{tuple(getattr(loss, 'shape', ()))}; expected a scalar tensor")
        loss = loss.reshape(())
        (grad,) = torch.autograd.grad(loss, x)
        gnorm = torch.linalg.vector_norm(grad)
        row = torch.cat((x.detach(), loss.detach().reshape(1), gnorm.reshape(1))).tolist()
        rows.append(row)
        if not all(math.isfinite(v) for v in row) or max(abs(row[0]), abs(row[1])) > bound:
            diverged = True
            break
        if t == steps:
            break
        if clip is not None:
            grad = grad * min(1.0, clip / (row[3] + 1e-6))
        x.grad = grad
        opt.step()
    data = torch.tensor(rows, dtype=torch.float64)                 # (k+1, 4)
    return Trajectory(points=data[:, :2].clone(), losses=data[:, 2].clone(),
                      grad_norms=data[:, 3].clone(), diverged=diverged)
