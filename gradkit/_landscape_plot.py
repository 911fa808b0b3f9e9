"""Contour plot of a 2-D test function with optimizer paths on it
(``gradkit.plots.plot_landscape``; kept apart from plots.py for its size)."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

__all__ = ["plot_landscape"]


def _paths(trajectories) -> list[tuple[str | None, torch.Tensor]]:
    """``[(label, points (k, 2) float64), ...]`` from what :func:`plot_landscape` accepts."""
    if trajectories is None:
        return []
    if isinstance(trajectories, Mapping):
        items = list(trajectories.items())
    elif hasattr(trajectories, "points") or isinstance(trajectories, torch.Tensor):
        items = [(None, trajectories)]
    elif isinstance(trajectories, (list, tuple)):
        items = [(None, t) for t in trajectories]
    else:
        raise TypeError(f"trajectories={type(trajectories).__name__} must be a Trajectory, "
                        "a (k, 2) tensor of points, a list of them or a {label: path} dict")
    out = []
    for i, (label, path) in enumerate(items):
        name = f"trajectories[{label!r}]" if label is not None else f"trajectories[{i}]"
        points = path.points if hasattr(path, "points") else path
        try:
            points = torch.as_tensor(points, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name}={type(path).__name__} must be a Trajectory or "
                            "a (k, 2) tensor of points") from None
        if points.dim() != 2 or points.shape[1] != 2 or points.shape[0] == 0:
            raise ValueError(f"{name} has shape {tuple(points.shape)}; expected (k, 2) "
                             "points with k >= 1")
        out.append((label, points))
    return out


def _visible_part(points: torch.Tensor, box: torch.Tensor) -> torch.Tensor:
    """The path up to where it leaves ``box`` ((2, 2): rows low, high), ending on its edge.

    A diverging run can reach 1e100 or overflow; matplotlib should not be asked to draw
    that. The segment that leaves the box is cut where it crosses the box's edge; a
    non-finite point ends the path at the point before it.
    """
    inside = torch.isfinite(points).all(1) & (points >= box[0]).all(1) & (points <= box[1]).all(1)
    if bool(inside.all()):
        return points
    k = int((~inside).nonzero()[0])                    # first point outside
    if k == 0:
        return points[:0]
    p, q = points[k - 1], points[k]
    if not bool(torch.isfinite(q).all()):
        return points[:k]
    s = 1.0
    for d in range(2):                                 # fraction of p -> q inside the box
        for edge in (box[0, d], box[1, d]):
            step = float(q[d] - p[d])
            if step != 0.0:
                frac = float(edge - p[d]) / step
                if 0.0 <= frac < s:
                    s = frac
    return torch.cat((points[:k], (p + s * (q - p)).reshape(1, 2)))


def plot_landscape(f, ax=None, *, trajectories=None, xlim=None, ylim=None, n: int = 201,
                   levels: int | Sequence[float] = 20, log_levels: bool = True,
                   xlabel: str = r"$x_1$", ylabel: str = r"$x_2$", title: str | None = None,
                   equal_aspect: bool = True):
    """Contour lines of a 2-D landscape, with optimizer paths drawn on top.

    The values come from ``f.grid`` (no gradients are computed here). Each path is drawn
    as a line through its iterates, a square at its start; a black star marks
    ``f.minimum`` if the landscape has one. A path that leaves the view far behind (a
    diverging run) is drawn until it is one view-width outside the view, then cut.

    Args:
        f: a landscape of :mod:`gradkit.landscapes` (anything with ``grid(n, xlim, ylim)
            -> (X, Y, Z)``), e.g. a ``Quadratic`` or ``Rosenbrock``.
        ax: the Axes to draw on (new if None).
        trajectories: None; one path, a :class:`~gradkit.landscapes.Trajectory` or a
            (k, 2) tensor of iterates; a list of paths; or ``{label: path}`` (labels go
            in a legend).
        xlim, ylim: the view, ``(low, high)``; default the landscape's own.
        n: grid points per axis.
        levels: the number of contour levels, or the levels themselves (increasing).
        log_levels: with a number of levels, space them geometrically above the lowest
            value on the grid, from its 0.2% quantile to its largest value (valleys show
            their floor); False spaces them evenly.
        xlabel, ylabel, title: axis labels and title.
        equal_aspect: draw one unit the same length on both axes, so that elongated
            valleys look elongated.

    Returns:
        The Axes.
    """
    if not callable(getattr(f, "grid", None)):
        raise TypeError(f"f={type(f).__name__} must be a landscape with a grid() method, "
                        "e.g. gradkit.landscapes.Quadratic")
    paths = _paths(trajectories)
    X, Y, Z = f.grid(n, xlim=xlim, ylim=ylim)                      # (n, n) each
    if isinstance(levels, int) and not isinstance(levels, bool):
        if levels < 2:
            raise ValueError(f"levels={levels!r} must be >= 2 (or a list of levels)")
        z0 = Z.min()
        rise = (Z - z0).flatten()
        rise = rise[rise > 0]
        if rise.numel() == 0:
            raise ValueError("f is constant on the grid: no contour lines to draw")
        if log_levels:
            low = max(float(torch.quantile(rise, 0.002)), float(rise.max()) * 1e-12)
            values = torch.logspace(math.log10(low), math.log10(float(rise.max())), levels,
                                    dtype=torch.float64)
        else:
            values = torch.linspace(0.0, float(rise.max()), levels + 2, dtype=torch.float64)[1:-1]
        levels = (z0 + values).tolist()
    else:
        levels = torch.as_tensor(levels, dtype=torch.float64).reshape(-1).tolist()
        if len(levels) < 1 or any(b <= a for a, b in zip(levels, levels[1:])):
            raise ValueError("levels must be an int or increasing contour values")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
    ax.contour(X.numpy(), Y.numpy(), Z.numpy(), levels=levels, cmap="Greys_r",
               linewidths=0.8, alpha=0.7)
    xs, ys = X[0], Y[:, 0]
    view = torch.tensor([[float(xs[0]), float(ys[0])], [float(xs[-1]), float(ys[-1])]],
                        dtype=torch.float64)
    span = view[1] - view[0]
    box = torch.stack((view[0] - span, view[1] + span))
    for label, points in paths:
        part = _visible_part(points, box)
        (line,) = ax.plot(part[:, 0].tolist(), part[:, 1].tolist(), "-o", ms=2.5, lw=1.2,
                          label=label)
        ax.plot(part[:1, 0].tolist(), part[:1, 1].tolist(), "s", ms=6,
                color=line.get_color())
    if hasattr(f, "minimum"):
        m = torch.as_tensor(f.minimum, dtype=torch.float64).reshape(-1).tolist()
        ax.plot(m[:1], m[1:2], "*", color="black", ms=12, label="minimum")
    ax.set_xlim(float(view[0, 0]), float(view[1, 0]))
    ax.set_ylim(float(view[0, 1]), float(view[1, 1]))
    if equal_aspect:
        ax.set_aspect("equal")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label is not None for label, _ in paths):
        ax.legend(fontsize="small", loc="best")
    return ax
