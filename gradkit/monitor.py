"""Look inside training: per-layer gradient norms, activation statistics, update ratios.

:class:`GradientMonitor` records without any extra call in the training loop. Every
backward pass is one step; on a recorded step (one in ``every``) it stores, for each
tracked layer,

- the norm of the weight gradient, ``||dL/dW_l||``;
- the mean and standard deviation of the layer's output (for a linear layer, the
  pre-activation ``z_l = W_l h_{l-1} + b_l``) from the forward pass of that step;
- the update-to-data ratio ``||W_l(now) - W_l(previous recorded step)|| / ||W_l(now)||``
  (NaN on the first recorded step), the relative change the optimizer made;
- with ``unit_stats=True``, the fraction of *dead units* (output never above 0 for any
  example of the batch: a ReLU after this layer passes no signal and no gradient through
  them) and of *saturated entries* (``|z| >= saturation``; tanh' < 0.01 at 3).

The statistics stay tensors until one ``.tolist()`` per recorded step. The activation
statistics are reduced in the layer's forward hook, while its output is still in the
cache, so no activation is kept alive until the backward pass ends. An unrecorded step
costs two Python calls (one in the model's forward, one in its backward) and nothing
else; per-layer hooks are present only during recorded steps. A step is counted
when the backward pass reaches the model's output, so call the model itself
(``model(x)``), not its submodules one by one.
"""
from __future__ import annotations

import math
import weakref

import torch
from torch import nn

from . import _validate
from ._foreach import _foreach_norm
from ._update_ratio import UpdateNorms

__all__ = ["GradientMonitor", "gradient_flow", "layer_grad_norms", "tracked_layers"]

_NAN = float("nan")


def _divide(a: float, b: float) -> float:
    """a / b for norms, as a tensor division would give it: 0/0 is NaN, x/0 is inf."""
    if b:
        return a / b
    return _NAN if a == 0 or math.isnan(a) else math.inf


def tracked_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The layers a monitor follows: ``model.layers`` if the model has that list,
    otherwise every module that owns a parameter called ``weight``.

    Returns:
        ``(name, module)`` pairs in forward (registration) order.
    """
    names = {m: n for n, m in model.named_modules()}
    layers = getattr(model, "layers", None)
    if isinstance(layers, (nn.ModuleList, nn.Sequential, list, tuple)) and len(layers) > 0:
        return [(names.get(m, f"layers.{i}"), m) for i, m in enumerate(layers)]
    return [(n, m) for n, m in model.named_modules()
            if isinstance(getattr(m, "weight", None), nn.Parameter)]


def layer_grad_norms(model: nn.Module) -> dict[str, float]:
    """The current gradient norm of every parameter, by name.

    Args:
        model: any ``nn.Module``.

    Returns:
        ``{name: ||grad||}`` in ``named_parameters()`` order; a parameter with no
        gradient yet (``.grad is None``) maps to NaN.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model={type(model).__name__} must be a torch.nn.Module")
    named = list(model.named_parameters())
    with_grad = [(n, p.grad) for n, p in named if p.grad is not None]
    norms = _foreach_norm([g.detach() for _, g in with_grad]) if with_grad else []
    values = torch.stack(norms).tolist() if norms else []
    found = dict(zip((n for n, _ in with_grad), values))
    return {n: found.get(n, _NAN) for n, _ in named}


def gradient_flow(model: nn.Module, data, loss_fn=None) -> torch.Tensor:
    """Weight-gradient norm of every tracked layer after one forward/backward pass.

    The model's ``.grad`` fields are left untouched. This is
    ``gradkit.probe(model, data, loss_fn).grad_W_norm()``, on the CPU.

    Args:
        model: the network (tracked layers: see :func:`tracked_layers`).
        data: a :class:`~gradkit.data.Dataset`; the whole set is one batch.
        loss_fn: ``loss_fn(output, target)``; default ``data.loss_fn``.

    Returns:
        1-D tensor of ``||dL/dW_l||``, first layer first.
    """
    from .probe import probe   # probe builds on tracked_layers, defined here
    return probe(model, data, loss_fn).grad_W_norm().cpu()


class GradientMonitor:
    """Record per-layer gradient and activation statistics during training.

    Use it as a context manager around a training loop; hooks are removed on exit::

        with GradientMonitor(model, every=1) as mon:
            for x, y in batches:
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad(); loss.backward(); opt.step()
        mon.grad_norms()       # (recorded steps, layers)

    Args:
        model: the model to watch. Tracked layers: see :func:`tracked_layers`.
        every: record one backward pass in ``every`` (the 0th, ``every``-th, ...).
        unit_stats: also record dead-unit and saturated-entry fractions (two more
            reductions per layer on recorded steps; off by default).
        saturation: the ``|z|`` from which an entry counts as saturated.

    Attaching is idempotent: entering twice, or a second monitor on the same model
    (a re-run notebook cell), never stacks hooks: the newer monitor replaces the older.
    """

    def __init__(self, model: nn.Module, every: int = 1, *, unit_stats: bool = False,
                 saturation: float = 3.0):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model={type(model).__name__} must be a torch.nn.Module")
        self.every = _validate.integer("every", every, minimum=1)
        self.unit_stats = _validate.flag("unit_stats", unit_stats)
        self.saturation = float(_validate.real("saturation", saturation, positive=True))
        layers = tracked_layers(model)
        weights = [getattr(m, "weight", None) for _, m in layers]
        missing = [n for (n, _), w in zip(layers, weights) if not isinstance(w, torch.Tensor)]
        if not layers or missing:
            raise ValueError(
                f"model={type(model).__name__} has no layers with a weight to monitor"
                + (f" (no weight: {', '.join(missing)})" if missing else ""))
        self._model = weakref.ref(model)
        self.layer_names: list[str] = [n for n, _ in layers]
        self._modules = [m for _, m in layers]
        self._weights: list[torch.Tensor] = weights
        self._handles: list = []        # the model's forward hook
        self._layer_handles: list = []  # per-layer forward hooks, on recorded steps only
        self._backward_seen = 0     # backward passes since attach
        self._in_backward = False   # a step-end callback is queued
        # the output statistics of the coming recorded step's forward pass, one column per
        # layer (see _output_stats), allocated on first use; a column counts only if the
        # layer ran in that pass (its count is then > 0)
        self._stats: torch.Tensor | None = None
        self._cells: list[list[torch.Tensor]] = []   # per statistic, its L 0-d views
        self._counts = [0] * len(layers)     # numel of each output
        self._units = [0] * len(layers)      # units (last dimension) of each output
        self._update_norms = UpdateNorms(weights)
        self.steps: list[int] = []
        self._rows: list[list[float]] = []

    # ----------------------------------------------------------------- attach / remove
    @property
    def attached(self) -> bool:
        """True while the hooks are registered."""
        return bool(self._handles)

    def attach(self) -> "GradientMonitor":
        """Register the hooks (no-op if already attached). Returns ``self``."""
        if self.attached:
            return self
        model = self._model()
        if model is None:
            raise RuntimeError("the monitored model no longer exists")
        older = getattr(model, "_gradkit_monitor", None)
        older = older() if older is not None else None
        if older is not None and older is not self:
            older.remove()
        model._gradkit_monitor = weakref.ref(self)
        # One Python call per forward and one per backward, whatever the depth: the model's
        # forward hook tags its output; the tag fires when backward reaches it and queues
        # the end-of-step callback, which runs once every gradient has been accumulated.
        self._handles.append(model.register_forward_hook(self._model_forward_hook))
        self._sync_layer_hooks()
        return self

    def remove(self) -> None:
        """Remove every hook this monitor registered. Safe to call more than once."""
        for h in self._handles + self._layer_handles:
            h.remove()
        self._handles, self._layer_handles = [], []
        model = self._model()
        if model is not None:
            ref = getattr(model, "_gradkit_monitor", None)
            if ref is not None and ref() is self:
                del model._gradkit_monitor

    def __enter__(self) -> "GradientMonitor":
        return self.attach()

    def __exit__(self, *exc) -> None:
        self.remove()

    # ----------------------------------------------------------------------- hooks
    def _recording(self) -> bool:
        return self._backward_seen % self.every == 0

    def _sync_layer_hooks(self) -> None:
        """Per-layer forward hooks exist only while the coming step is a recorded one."""
        want = self._recording()
        if want and not self._layer_handles:
            self._layer_handles = [m.register_forward_hook(self._layer_forward_hook(l))
                                   for l, m in enumerate(self._modules)]
        elif not want and self._layer_handles:
            for h in self._layer_handles:
                h.remove()
            self._layer_handles = []

    def _layer_forward_hook(self, l: int):
        def hook(module, inputs, output):
            if (torch.is_grad_enabled() and isinstance(output, torch.Tensor)
                    and output.numel() > 0):
                self._output_stats(l, output.detach())
        return hook

    def _output_stats(self, l: int, z: torch.Tensor) -> None:
        """Write layer ``l``'s output statistics into column ``l`` of the buffer: the sum of
        z and ||z|| (two reductions, not torch.std_mean: far cheaper on a CPU), with
        ``unit_stats`` also the numbers of live units and of saturated entries. Each
        reduction writes straight into the buffer; the arithmetic is done for all layers
        at once when the step is recorded."""
        if self._stats is None:
            dtype = z.dtype if z.dtype in (torch.float32, torch.float64) else torch.float32
            self._stats = torch.full((4 if self.unit_stats else 2, len(self._weights)),
                                     _NAN, dtype=dtype, device=z.device)
            self._cells = [list(row.unbind()) for row in self._stats]
        stats, cells = self._stats, self._cells
        if z.dtype != stats.dtype or z.device != stats.device:
            z = z.to(stats.device, stats.dtype)
        torch.sum(z, None, out=cells[0][l])
        torch.linalg.vector_norm(z, out=cells[1][l])
        self._counts[l] = z.numel()
        if self.unit_stats:
            units = z.reshape(-1, z.shape[-1]) if z.dim() > 1 else z.reshape(-1, 1)
            torch.sum(units.gt(0).any(0), None, dtype=stats.dtype, out=cells[2][l])
            torch.sum(units.abs() >= self.saturation, None, dtype=stats.dtype,
                      out=cells[3][l])
            self._units[l] = units.shape[1]    # units: (examples, units)

    def _model_forward_hook(self, module, inputs, output):
        if not torch.is_grad_enabled():
            return
        out = output
        if not isinstance(out, torch.Tensor):
            out = next((t for t in (out if isinstance(out, (tuple, list)) else ())
                        if isinstance(t, torch.Tensor) and t.requires_grad), None)
        if out is not None and out.requires_grad:
            out.register_hook(self._output_grad_hook)

    def _output_grad_hook(self, grad):
        if not self._in_backward:
            self._in_backward = True
            torch.autograd.Variable._execution_engine.queue_callback(self._end_of_backward)

    def _end_of_backward(self) -> None:
        self._in_backward = False
        if self._recording():
            self._record(self._backward_seen)
        self._backward_seen += 1
        if self._handles:
            self._sync_layer_hooks()

    def _weight_grads(self) -> tuple[list[torch.Tensor | None], torch.Tensor | None]:
        """Every tracked weight's ``.grad`` (None where it has none) and the norms of those
        present as one tensor, from one fused call (None if no weight has a gradient)."""
        grads = [W.grad for W in self._weights]
        present = [g for g in grads if g is not None]
        return grads, (torch.stack(_foreach_norm(present)) if present else None)

    @torch.no_grad()
    def _record(self, step: int) -> None:
        """Store one row. Every statistic of this step is in one of three tensors (the
        output statistics, the gradient norms, the update norms) until a single
        ``cat(...).tolist()``; the arithmetic on L numbers per statistic is then done in
        Python floats (float64), which costs less than a dozen small tensor operations."""
        L = len(self._weights)
        grads, grad_norms = self._weight_grads()
        update_norms = self._update_norms()       # (2, L), None the first time
        parts = [] if self._stats is None else [self._stats.view(-1)]
        if grad_norms is not None:
            parts.append(grad_norms)
        if update_norms is not None:
            parts.append(update_norms.view(-1))
        device = parts[0].device if parts else None
        values = torch.cat([p.to(device) for p in parts]).tolist() if parts else []
        n_stats = 0 if self._stats is None else self._stats.numel()
        blocks = [values[i:i + L] for i in range(0, n_stats, L)]
        found = iter(values[n_stats:])
        grad_norm = [_NAN if g is None else next(found) for g in grads]
        nans = [_NAN] * L
        sums, norms, live, saturated = blocks + [nans] * (4 - len(blocks))
        counts, units = self._counts, self._units   # 0 where a layer did not run
        self._counts, self._units = [0] * L, [0] * L
        mean = [s / n if n else _NAN for s, n in zip(sums, counts)]
        std = [math.sqrt(max(q * q / n - m * m, 0.0)) if n else _NAN   # max keeps a NaN
               for q, n, m in zip(norms, counts, mean)]
        dead = [1.0 - c / u if u else _NAN for c, u in zip(live, units)]
        saturated = [c / n if n else _NAN for c, n in zip(saturated, counts)]
        if update_norms is None:
            ratio = nans
        else:
            update = list(found)         # ||W - W_prev|| then ||W||
            ratio = [_divide(d, w) for d, w in zip(update[:L], update[L:])]
        self._rows.append(grad_norm + mean + std + ratio + dead + saturated)
        self.steps.append(step)

    # ---------------------------------------------------------------------- results
    def _column_block(self, k: int) -> torch.Tensor:
        L = len(self._weights)
        if not self._rows:
            return torch.empty(0, L, dtype=torch.float64)
        return torch.tensor(self._rows, dtype=torch.float64)[:, k * L:(k + 1) * L]

    def grad_norms(self) -> torch.Tensor:
        """Weight-gradient norms, shape (recorded steps, layers), float64."""
        return self._column_block(0)

    def activation_means(self) -> torch.Tensor:
        """Mean of each layer's output, shape (recorded steps, layers)."""
        return self._column_block(1)

    def activation_stds(self) -> torch.Tensor:
        """Standard deviation of each layer's output, shape (recorded steps, layers)."""
        return self._column_block(2)

    def update_ratios(self) -> torch.Tensor:
        """||W(now) - W(previous recorded step)|| / ||W(now)||, shape (recorded steps,
        layers); the first row is NaN."""
        return self._column_block(3)

    def _unit_block(self, k: int, what: str) -> torch.Tensor:
        if not self.unit_stats:
            raise RuntimeError(f"{what} are recorded only with unit_stats=True: create the "
                               "monitor as GradientMonitor(model, unit_stats=True)")
        return self._column_block(k)

    def dead_fractions(self) -> torch.Tensor:
        """Fraction of each layer's units whose output is <= 0 for every example of the
        batch, shape (recorded steps, layers). Needs ``unit_stats=True``."""
        return self._unit_block(4, "dead-unit fractions")

    def saturated_fractions(self) -> torch.Tensor:
        """Fraction of each layer's output entries with ``|z| >= saturation``, shape
        (recorded steps, layers). Needs ``unit_stats=True``."""
        return self._unit_block(5, "saturated fractions")

    def reset(self) -> None:
        """Forget everything recorded (hooks stay as they are)."""
        self.steps, self._rows = [], []
        self._update_norms.reset()
        self._backward_seen = 0
        self._counts, self._units = [0] * len(self._weights), [0] * len(self._weights)
        if self._handles:
            self._sync_layer_hooks()

    def __repr__(self) -> str:
        return (f"GradientMonitor(layers={len(self.layer_names)}, every={self.every}, "
                f"recorded_steps={len(self.steps)}, attached={self.attached})")
