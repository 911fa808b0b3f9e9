"""Figures drawn from recorded data. Nothing here computes gradients or trains.

Every function takes what a recorder returned (tensors, lists, Histories), draws on a
matplotlib ``Axes`` (a new one if ``ax`` is None) and returns that ``Axes``.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

from .stats import GeometricFit, spread

__all__ = ["plot_gradient_flow", "plot_monitor", "plot_losses", "plot_geometric_fit"]


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_gradient_flow(norms: Mapping[str, Sequence[float]] | Sequence[float], ax=None, *,
                       ylabel: str = r"$\|\partial L / \partial W_l\|$ (log scale)",
                       title: str | None = None):
    """Per-layer values (gradient norms by default) against layer index, log y-axis.

    Args:
        norms: one curve (values by layer, first layer first) or ``{label: curve}``.
        ax: the Axes to draw on (new if None).
        ylabel, title: axis label and title.
    """
    ax = _axes(ax)
    curves = norms if isinstance(norms, Mapping) else {None: norms}
    for label, values in curves.items():
        v = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
        ax.plot(range(1, v.numel() + 1), v.tolist(), marker="o", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(k is not None for k in curves):
        ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_losses(runs: Mapping[str, Sequence], ax=None, *, logy: bool = True,
                title: str | None = None, ylabel: str = "training loss"):
    """Loss curves: for each label, the median over runs and the band between quartiles.

    Args:
        runs: ``{label: [History or list of losses, ...]}``, one entry per seed.
        ax: the Axes to draw on (new if None).
        logy: log-scale y-axis.
    """
    ax = _axes(ax)
    for label, histories in runs.items():
        curves = [h.loss if hasattr(h, "loss") else list(h) for h in histories]
        med, lo, hi = spread(curves)
        steps = range(med.numel())
        (line,) = ax.plot(steps, med.tolist(), label=f"{label} (median of {len(curves)})")
        if len(curves) > 1:
            ax.fill_between(steps, lo.tolist(), hi.tolist(), color=line.get_color(), alpha=0.2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_geometric_fit(x: Sequence[float], y: Sequence[float], fit: GeometricFit, ax=None, *,
                       xlabel: str = "depth", ylabel: str = "ratio", label: str = "measured"):
    """Measured points and a fitted geometric curve ``scale * rate**x`` on a log y-axis."""
    ax = _axes(ax)
    ax.plot(list(x), list(y), "o", label=label)
    xs = torch.linspace(float(min(x)), float(max(x)), 100, dtype=torch.float64)
    ax.plot(xs.tolist(), fit(xs).tolist(), "--",
            label=f"fit: {fit.scale:.2g} x {fit.rate:.3g}^{xlabel}")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_monitor(monitor, *, title: str | None = None):
    """Three panels from a :class:`~gradkit.monitor.GradientMonitor`: gradient norms per
    layer over training (heatmap, log colour), final activation std per layer, and the
    update-to-data ratio per layer over training.

    Returns:
        The matplotlib Figure.
    """
    g = monitor.grad_norms()
    if g.shape[0] == 0:
        raise ValueError("the monitor has recorded no steps yet: run a backward pass first")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
    positive = torch.where(g > 0, g, torch.full_like(g, float("nan")))
    im = axes[0].imshow(torch.log10(positive).T.numpy(), aspect="auto", origin="lower",
                        extent=(monitor.steps[0] - 0.5, monitor.steps[-1] + 0.5,
                                0.5, g.shape[1] + 0.5), cmap="viridis")
    fig.colorbar(im, ax=axes[0], label=r"$\log_{10}\|\partial L/\partial W_l\|$")
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("layer l")
    axes[0].set_title("gradient norm per layer")
    plot_gradient_flow(monitor.activation_stds()[-1], axes[1],
                       ylabel="std of layer output (log)", title="activations, last step")
    r = monitor.update_ratios()
    for l in range(r.shape[1]):
        axes[2].plot(monitor.steps, r[:, l].tolist(), lw=1,
                     color=plt.cm.viridis(l / max(1, r.shape[1] - 1)))
    axes[2].set_yscale("log")
    axes[2].set_xlabel("step")
    axes[2].set_ylabel(r"$\|\Delta W_l\| / \|W_l\|$")
    axes[2].set_title("update-to-data ratio (dark = first layer)")
    if title:
        fig.suptitle(title)
    return fig
