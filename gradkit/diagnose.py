"""Diagnose a training run: one configuration, trained with a monitor attached.

A :class:`RunConfig` holds everything that decides how an MLP trains (architecture,
initialisation, optimizer, learning rate, clipping, warm-up). :func:`run` builds the model
from it, trains it with :func:`gradkit.train.train` under a
:class:`~gradkit.monitor.GradientMonitor`, and returns a plain :class:`RunRecord`: the loss
history, the monitor's per-layer records and the final accuracy. :func:`convergence`
repeats a configuration over seeds and :func:`summarize` reduces the repeats to
steps-to-target and accuracy statistics. Nothing here draws; see ``gradkit.plots``.

:data:`BROKEN` holds four failures one change away from :data:`HEALTHY`: vanishing
gradients in a deep sigmoid net (Glorot & Bengio 2010), activations and gradients that
explode under too large an init (He et al. 2015), dead ReLUs (Lu et al. 2020, "Dying
ReLU and initialization") and a learning rate past the stable range. :func:`vital_signs`
reads the monitor's records the way Karpathy's CS231n notes (about 2016) suggest, e.g.
the update-to-data ratio, whose "about 1e-3 per step" is a rule of thumb, not a law.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from . import _validate
from .data import Dataset
from .models import MLP, MLPConfig
from .monitor import GradientMonitor
from .train import OPTIMIZERS, History, accuracy, train

__all__ = ["RunConfig", "RunRecord", "ConvergenceSummary", "HEALTHY", "BROKEN", "FIXES",
           "with_fixes", "run", "convergence", "summarize",
           "vital_signs", "vital_signs_table", "summary_table", "FIX_FOR"]


@dataclass(frozen=True)
class RunConfig:
    """How one MLP is built and trained; checked on construction.

    The first six fields are :class:`~gradkit.models.MLP`'s; ``bias_init``, if given,
    sets every hidden layer's bias to that constant after initialisation (a negative
    value starts ReLU units switched off). The rest are :func:`~gradkit.train.train`'s.
    Use :meth:`fixed` (``dataclasses.replace``) for a variant with some fields changed.
    """

    depth: int = 8
    width: int = 32
    activation: str = "relu"
    init: str | float = "kaiming"
    norm: str | None = None
    residual: bool = False
    bias_init: float | None = None
    optimizer: str = "sgd"
    lr: float = 0.1
    steps: int = 300
    batch_size: int | None = 64
    clip_norm: float | None = None
    warmup_steps: int = 0

    def __post_init__(self):
        # MLPConfig's own checks name depth, width, activation, init, norm, residual
        MLPConfig(self.depth, self.width, 2, 2, self.activation, self.init, self.norm,
                  self.residual)
        if self.bias_init is not None:
            _validate.real("bias_init", self.bias_init)
        _validate.one_of("optimizer", self.optimizer, OPTIMIZERS)
        _validate.real("lr", self.lr, positive=True)
        _validate.integer("steps", self.steps, minimum=1)
        if self.batch_size is not None:
            _validate.integer("batch_size", self.batch_size, minimum=1)
        if self.clip_norm is not None:
            _validate.real("clip_norm", self.clip_norm, positive=True)
        _validate.integer("warmup_steps", self.warmup_steps, minimum=0)

    def fixed(self, **changes) -> "RunConfig":
        """A copy with ``changes`` applied (and checked), e.g. ``cfg.fixed(init="kaiming")``."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"changes={unknown!r} are not RunConfig fields; allowed: "
                             f"{', '.join(f.name for f in dataclasses.fields(self))}")
        return dataclasses.replace(self, **changes)

    def build(self, in_features: int, out_features: int, seed: int = 0) -> MLP:
        """The freshly initialised model, its weights drawn from ``seed``."""
        _validate.integer("seed", seed)
        torch.manual_seed(seed)
        model = MLP(self.depth, self.width, in_features, out_features, self.activation,
                    self.init, self.norm, self.residual)
        if self.bias_init is not None:
            with torch.no_grad():
                for layer in model.layers[:-1]:
                    layer.bias.fill_(self.bias_init)
        return model


HEALTHY = RunConfig(depth=8, width=32, activation="relu", init="kaiming",
                    optimizer="momentum", lr=0.05, steps=300, batch_size=64)
"""A run that trains well on ``gradkit.spirals``: the reference the broken runs differ from."""

BROKEN = {
    "vanishing": HEALTHY.fixed(depth=10, activation="sigmoid", init="xavier"),
    "exploding": HEALTHY.fixed(depth=10, init=0.5),           # W ~ N(0, 0.5^2): 2x Kaiming
    "dead ReLUs": HEALTHY.fixed(bias_init=-1.0),
    "lr too high": HEALTHY.fixed(lr=1.0),
}
"""Four broken runs, each one change away from :data:`HEALTHY` (or two, for depth 10)."""

FIXES = {
    "GELU activation": {"activation": "gelu"},
    "ReLU + Kaiming init": {"activation": "relu", "init": "kaiming"},
    "zero biases": {"bias_init": None},
    "layer norm": {"norm": "layer"},
    "clip norm 1": {"clip_norm": 1.0},
    "lr 0.05": {"lr": 0.05},
    "warm-up 100 steps": {"warmup_steps": 100},
    "Adam, lr 0.003": {"optimizer": "adam", "lr": 0.003},
}
"""The remedies of lessons 01-07 as changes to a :class:`RunConfig`, by name."""

FIX_FOR = {"vanishing": "ReLU + Kaiming init", "exploding": "ReLU + Kaiming init",
           "dead ReLUs": "zero biases", "lr too high": "lr 0.05"}
"""The :data:`FIXES` entry that removes the cause of each :data:`BROKEN` run."""


def with_fixes(config: RunConfig, *names: str) -> RunConfig:
    """``config`` with the :data:`FIXES` called ``names`` applied, in :data:`FIXES`'s order
    (so "Adam, lr 0.003" wins over "lr 0.05" when both are chosen)."""
    if not isinstance(config, RunConfig):
        raise TypeError(f"config={type(config).__name__} must be a gradkit.diagnose.RunConfig")
    for name in names:
        _validate.one_of("fix", name, FIXES)
    changes = {}
    for name, change in FIXES.items():
        if name in names:
            changes.update(change)
    return config.fixed(**changes)


@dataclass
class RunRecord:
    """What one run left behind: its config and seed, the loss :class:`History`, the
    (detached) :class:`GradientMonitor` with its per-layer records, and the accuracy on
    the evaluation set after training (NaN for regression)."""

    config: RunConfig
    seed: int
    history: History
    monitor: GradientMonitor
    accuracy: float

    @property
    def diverged(self) -> bool:
        return self.history.diverged

    @property
    def finite_rows(self) -> torch.Tensor:
        """Bool mask over the monitor's recorded steps: True before the run blew up
        (every gradient norm finite and no NaN or inf loss so far). Statistics of a
        blown-up network are meaningless; read the last True row instead."""
        g = self.monitor.grad_norms()
        loss = torch.tensor(self.history.loss, dtype=torch.float64)
        ok_so_far = torch.isfinite(loss).cummin(0).values                 # (steps,)
        at = torch.tensor(self.monitor.steps, dtype=torch.long)
        return torch.isfinite(g).all(1) & ok_so_far[at]

    @property
    def last_finite_row(self) -> int:
        """Index of the last recorded step before the run blew up (0 if none)."""
        idx = self.finite_rows.nonzero()
        return int(idx[-1]) if idx.numel() else 0


def run(config: RunConfig, data: Dataset, *, seed: int = 0, every: int = 10,
        eval_data: Dataset | None = None, device=None) -> RunRecord:
    """Build ``config``'s model from ``seed``, train it on ``data`` with a monitor
    attached (``unit_stats=True``, one step in ``every`` recorded) and return the record.

    Args:
        config: a :class:`RunConfig`.
        data: the training :class:`~gradkit.data.Dataset`.
        seed: seeds both the initial weights and the mini-batch order.
        every: record one step in ``every``.
        eval_data: the set the final accuracy is measured on (default ``data``).
        device: where to train (default: CUDA if available, else CPU).
    """
    if not isinstance(config, RunConfig):
        raise TypeError(f"config={type(config).__name__} must be a gradkit.diagnose.RunConfig")
    if not isinstance(data, Dataset):
        raise TypeError(f"data={type(data).__name__} must be a gradkit.data.Dataset")
    if eval_data is not None and not isinstance(eval_data, Dataset):
        raise TypeError(f"eval_data={type(eval_data).__name__} must be a gradkit.data.Dataset")
    _validate.integer("seed", seed)
    _validate.integer("every", every, minimum=1)
    device = torch.device(device if device is not None else
                          ("cuda" if torch.cuda.is_available() else "cpu"))
    out_features = int(data.y.max()) + 1 if data.task == "classification" else data.y.shape[1]
    model = config.build(data.X.shape[1], out_features, seed).to(device)
    with GradientMonitor(model, every=every, unit_stats=True) as mon:
        history = train(model, data.to(device), steps=config.steps, lr=config.lr,
                        optimizer=config.optimizer, batch_size=config.batch_size,
                        seed=seed, clip_norm=config.clip_norm,
                        warmup_steps=config.warmup_steps)
    acc = accuracy(model, eval_data if eval_data is not None else data)
    return RunRecord(config, seed, history, mon, acc)


def convergence(config: RunConfig, data: Dataset, seeds, *, every: int = 50,
                eval_data: Dataset | None = None) -> list[RunRecord]:
    """:func:`run` once per seed in ``seeds`` (a sparse monitor: ``every=50``)."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    return [run(config, data, seed=s, every=every, eval_data=eval_data) for s in seeds]


@dataclass(frozen=True)
class ConvergenceSummary:
    """Steps to a target loss and final accuracy over the runs of one configuration.

    ``steps_to`` holds each run's first step with loss <= ``target`` (None if it never
    got there); ``mean_steps`` and ``std_steps`` are over the runs that reached it (NaN
    when none did; std 0 for one run). Accuracy statistics ignore NaN (blown-up) runs.
    """

    target: float
    steps_to: tuple
    reached: int
    runs: int
    mean_steps: float
    std_steps: float
    mean_accuracy: float
    std_accuracy: float
    diverged: int


def _mean_std(values: list[float]) -> tuple[float, float]:
    v = [x for x in values if math.isfinite(x)]
    if not v:
        return float("nan"), float("nan")
    m = sum(v) / len(v)
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, s


def summarize(records, target: float, window: int = 10) -> ConvergenceSummary:
    """Reduce repeated runs (a list of :class:`RunRecord` or :class:`History`) to
    steps-to-``target`` (:meth:`History.steps_to` with ``window``) and accuracy statistics
    (sample std, n - 1)."""
    records = list(records)
    if not records:
        raise ValueError("records must hold at least one run")
    _validate.real("target", target)
    _validate.integer("window", window, minimum=1)
    hists = [r.history if isinstance(r, RunRecord) else r for r in records]
    if not all(isinstance(h, History) for h in hists):
        raise TypeError("records must be RunRecords or Histories")
    steps = tuple(h.steps_to(target, window) for h in hists)
    mean, std = _mean_std([float(s) for s in steps if s is not None])
    accs = [r.accuracy for r in records if isinstance(r, RunRecord)]
    acc_mean, acc_std = _mean_std(accs)
    return ConvergenceSummary(float(target), steps, sum(s is not None for s in steps),
                              len(steps), mean, std, acc_mean, acc_std,
                              sum(h.diverged for h in hists))


def vital_signs(record: RunRecord) -> dict[str, float]:
    """The few numbers that tell the four failures apart, from one :class:`RunRecord`.

    Returns:
        ``{"first/last grad ratio": ||dL/dW_1|| / ||dL/dW_L|| at the first recorded step,
        "median update ratio": median over layers and recorded steps (after the first) of
        ||Delta W_l|| / ||W_l||, "dead fraction": mean over hidden layers at the last
        recorded step, "saturated fraction": the same for |z| >= saturation,
        "max grad norm": largest global gradient norm, "first non-finite step": the first
        step with a NaN or infinite loss (NaN if none), "final loss", "accuracy"}``.
        Non-finite monitor entries are ignored in the medians.
    """
    if not isinstance(record, RunRecord):
        raise TypeError(f"record={type(record).__name__} must be a gradkit.diagnose.RunRecord")
    mon, h = record.monitor, record.history
    g = mon.grad_norms()                                        # (recorded steps, layers)
    ok, last = record.finite_rows, record.last_finite_row
    r = mon.update_ratios()[1:][ok[1:]].reshape(-1)
    r = r[torch.isfinite(r)]
    hidden = slice(0, g.shape[1] - 1)
    bad = [t for t, v in enumerate(h.loss) if not math.isfinite(v)]
    norms = torch.tensor(h.grad_norm, dtype=torch.float64)
    norms = norms[~torch.isnan(norms)]                       # inf stays: it is the answer
    return {
        "first/last grad ratio": float(g[0, 0] / g[0, -1]),
        "median update ratio": float(r.median()) if r.numel() else float("nan"),
        "dead fraction": float(mon.dead_fractions()[last, hidden].mean()),
        "saturated fraction": float(mon.saturated_fractions()[last, hidden].mean()),
        "max grad norm": float(norms.max()) if norms.numel() else float("nan"),
        "first non-finite step": float(bad[0]) if bad else float("nan"),
        "final loss": h.final_loss,
        "accuracy": record.accuracy,
    }


def vital_signs_table(records) -> str:
    """A Markdown table of :func:`vital_signs`, one row per ``{label: RunRecord}`` entry."""
    if not hasattr(records, "items") or not records:
        raise ValueError("records must be a non-empty {label: RunRecord} mapping")
    rows = {label: vital_signs(rec) for label, rec in records.items()}
    cols = list(next(iter(rows.values())))
    lines = ["| run | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for label, signs in rows.items():
        cells = ["–" if math.isnan(v) else f"{v:.3g}" if abs(v) < 1e4 or math.isinf(v)
                 else f"{v:.1e}" for v in signs.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table(summaries) -> str:
    """A Markdown table of ``{label: ConvergenceSummary}``: runs that reached the target,
    mean ± std steps to it, runs that blew up, mean ± std final accuracy."""
    if not hasattr(summaries, "items") or not summaries:
        raise ValueError("summaries must be a non-empty {label: ConvergenceSummary} mapping")
    first = next(iter(summaries.values()))
    lines = [f"| configuration | reached loss {first.target:g} | steps to it (mean ± std) "
             "| blew up | final accuracy (mean ± std) |", "|---|---|---|---|---|"]
    for label, s in summaries.items():
        steps = f"{s.mean_steps:.0f} ± {s.std_steps:.0f}" if s.reached else "never"
        acc = f"{s.mean_accuracy:.3f} ± {s.std_accuracy:.3f}" if math.isfinite(s.mean_accuracy) \
            else "–"
        lines.append(f"| {label} | {s.reached}/{s.runs} | {steps} | {s.diverged}/{s.runs} | {acc} |")
    return "\n".join(lines)
