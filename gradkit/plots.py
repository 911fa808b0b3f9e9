"""Figures drawn from recorded data. Nothing here computes gradients or trains.

Every function takes what a recorder returned (tensors, lists, Histories), draws on a
matplotlib ``Axes`` (a new one if ``ax`` is None) and returns that ``Axes``.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

from ._landscape_plot import plot_landscape
from .stats import GeometricFit, spread

__all__ = ["plot_gradient_flow", "plot_monitor", "plot_losses", "plot_geometric_fit",
           "plot_landscape", "plot_diagnosis", "plot_convergence", "plot_heatmap"]


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
        name = f"{label} (median of {len(curves)})" if len(curves) > 1 else label
        (line,) = ax.plot(steps, med.tolist(), label=name)
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
    update-to-data ratio per layer over training; with ``unit_stats=True`` a fourth
    panel: the dead-unit fraction per layer over training.

    Returns:
        The matplotlib Figure.
    """
    g = monitor.grad_norms()
    if g.shape[0] == 0:
        raise ValueError("the monitor has recorded no steps yet: run a backward pass first")
    panels = 4 if getattr(monitor, "unit_stats", False) else 3
    fig, axes = plt.subplots(1, panels, figsize=(4.4 * panels, 3.6), layout="constrained")
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
    if panels == 4:
        d = monitor.dead_fractions()
        for l in range(d.shape[1] - 1):            # the output layer has no ReLU after it
            axes[3].plot(monitor.steps, d[:, l].tolist(), lw=1,
                         color=plt.cm.viridis(l / max(1, d.shape[1] - 2)))
        axes[3].set_ylim(-0.02, 1.02)
        axes[3].set_xlabel("step")
        axes[3].set_ylabel("fraction of units")
        axes[3].set_title("dead units (output <= 0 on the whole batch)")
    if title:
        fig.suptitle(title)
    return fig


def _diagnosis_per_layer(ax, values, label, color, *, logy=True):
    v = torch.as_tensor(values, dtype=torch.float64).reshape(-1)
    ax.plot(range(1, v.numel() + 1), v.tolist(), marker="o", ms=3, label=label, color=color)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.grid(True, which="both", alpha=0.3)


def plot_diagnosis(records: Mapping[str, object], *, title: str | None = None,
                   ratio_rule: float = 1e-3):
    """Six panels comparing runs, each a record of :func:`gradkit.diagnose.run` (anything
    with ``history`` and a ``monitor`` recorded with ``unit_stats=True``): the loss
    curve; per layer, the weight-gradient norm and the output std at the first recorded
    step; the median update-to-data ratio over recorded steps (a dotted line at
    ``ratio_rule``); the dead-unit and saturated fractions (hidden layers) at the last
    recorded step before a run blew up (a record's ``finite_rows``, if it has them).
    Non-finite values are left out of the curves.

    Returns:
        The matplotlib Figure.
    """
    if not isinstance(records, Mapping) or not records:
        raise ValueError("records must be a non-empty {label: record} mapping")
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.8), layout="constrained")
    a = axes.ravel()
    for i, (label, rec) in enumerate(records.items()):
        color = f"C{i}"
        mon = rec.monitor
        loss = torch.as_tensor(rec.history.loss, dtype=torch.float64)
        loss = torch.where(torch.isfinite(loss), loss, torch.full_like(loss, float("nan")))
        a[0].plot(range(loss.numel()), loss.tolist(), lw=1, color=color, label=label)
        g = mon.grad_norms()[0]
        _diagnosis_per_layer(a[1], torch.where(g > 0, g, torch.full_like(g, float("nan"))), label, color)
        _diagnosis_per_layer(a[2], mon.activation_stds()[0], label, color)
        ok = rec.finite_rows if hasattr(rec, "finite_rows") else torch.ones(len(mon.steps), dtype=torch.bool)
        last = int(ok.nonzero()[-1]) if bool(ok.any()) else 0
        r = mon.update_ratios()[1:][ok[1:]]
        r = torch.where(torch.isfinite(r) & (r > 0), r, torch.full_like(r, float("nan")))
        _diagnosis_per_layer(a[3], r.nanmedian(0).values if r.shape[0] else r.new_full((r.shape[1],), float("nan")),
                   label, color)
        hidden = slice(0, mon.dead_fractions().shape[1] - 1)   # no activation after the output layer
        _diagnosis_per_layer(a[4], mon.dead_fractions()[last, hidden], label, color, logy=False)
        _diagnosis_per_layer(a[5], mon.saturated_fractions()[last, hidden], label, color, logy=False)
    a[0].set_yscale("log")
    a[0].set_xlabel("step")
    a[0].set_ylabel("mini-batch loss (log)")
    a[0].set_title("loss (gaps: NaN or inf)")
    a[0].grid(True, which="both", alpha=0.3)
    a[0].legend(fontsize="small")
    a[1].set_title(r"$\|\partial L/\partial W_l\|$ at step 0 (log)")
    a[2].set_title("std of layer output $z_l$ at step 0 (log)")
    a[3].axhline(ratio_rule, color="grey", ls=":", lw=1)
    a[3].set_title(r"median $\|\Delta W_l\|/\|W_l\|$ per recorded step (log)")
    a[4].set_ylim(-0.02, 1.02)
    a[4].set_title("dead units, last step before any NaN")
    a[5].set_ylim(-0.02, 1.02)
    a[5].set_title(f"saturated, |z| >= {getattr(mon, 'saturation', 3.0):g}, last step before any NaN")
    if title:
        fig.suptitle(title)
    return fig


def plot_convergence(summaries: Mapping[str, object], *, steps: int | None = None,
                     title: str | None = None):
    """Two bar charts from :class:`gradkit.diagnose.ConvergenceSummary` objects: mean steps
    to the target loss with a one-std error bar (runs that never reached it are counted
    in the label, ``k/n reached``; a configuration where none did gets a hatched bar at
    ``steps``, marked "never"), and mean final accuracy with a one-std error bar.

    Returns:
        The matplotlib Figure.
    """
    if not isinstance(summaries, Mapping) or not summaries:
        raise ValueError("summaries must be a non-empty {label: ConvergenceSummary} mapping")
    labels = list(summaries)
    fig, (ax_s, ax_a) = plt.subplots(1, 2, figsize=(12, 0.45 * len(labels) + 1.6),
                                     layout="constrained", sharey=True)
    y = list(range(len(labels)))[::-1]
    for yi, label in zip(y, labels):
        s = summaries[label]
        if s.reached:
            ax_s.barh(yi, s.mean_steps, xerr=s.std_steps, color="C0", capsize=3)
        elif steps is not None:
            ax_s.barh(yi, steps, color="none", edgecolor="C3", hatch="//")
        ax_s.text(0.99, yi, f"{s.reached}/{s.runs} reached" if s.reached else f"never (0/{s.runs})",
                  transform=ax_s.get_yaxis_transform(), ha="right", va="center", fontsize="small",
                  bbox=dict(facecolor="white", edgecolor="none", alpha=0.8))
        if math.isfinite(s.mean_accuracy):
            ax_a.barh(yi, s.mean_accuracy, xerr=s.std_accuracy, color="C2", capsize=3)
        ax_a.text(0.99, yi, "" if s.diverged == 0 else f"{s.diverged}/{s.runs} blew up",
                  transform=ax_a.get_yaxis_transform(), ha="right", va="center", fontsize="small")
    ax_s.set_yticks(y, labels)
    target = next(iter(summaries.values())).target
    ax_s.set_xlabel(f"steps until the loss (10-step mean) <= {target:g}; mean ± std")
    ax_a.set_xlabel("final accuracy on held-out data; mean ± std")
    ax_a.set_xlim(0, 1)
    for ax in (ax_s, ax_a):
        ax.grid(True, axis="x", alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


def plot_heatmap(matrix, ax=None, *, xlabel: str = "column", ylabel: str = "row",
                 title: str | None = None, cbar_label: str | None = None,
                 cmap: str = "RdBu_r", symmetric: bool = True):
    """A matrix as an image (row 0 at the top) with a colour bar.

    Args:
        matrix: 2-D tensor or nested list, e.g. a positional-encoding table (positions x
            dimensions) or a Gram matrix of dot products.
        ax: the Axes to draw on (new if None).
        symmetric: colour limits +-max|value|, so 0 is the middle colour.
    """
    m = torch.as_tensor(matrix, dtype=torch.float64).detach().cpu()
    if m.dim() != 2:
        raise ValueError(f"matrix has shape {tuple(m.shape)}; must be 2-D")
    ax = _axes(ax)
    lim = m.abs().max().item() if symmetric else None
    image = ax.imshow(m.numpy(), cmap=cmap, aspect="auto", interpolation="nearest",
                      vmin=-lim if symmetric else None, vmax=lim)
    bar = ax.figure.colorbar(image, ax=ax)
    if cbar_label:
        bar.set_label(cbar_label)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    return ax
