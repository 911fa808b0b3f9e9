"""GradientMonitor, layer_grad_norms and gradient_flow against values computed by hand."""
import math

import pytest
import torch
import torch.nn.functional as F

import gradkit as gk
from gradkit import _foreach as foreach_mod
from gradkit import _update_ratio as update_ratio_mod
from gradkit import monitor as monitor_mod


def _model(seed=0, depth=4, width=8, activation="relu"):
    torch.manual_seed(seed)
    return gk.MLP(depth, width, in_features=3, out_features=2, activation=activation)


def _batch(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, generator=g), torch.randint(2, (n,), generator=g)


def _by_hand(model, x, y):
    """Layer outputs z_l and weight gradients, computed without any hook."""
    zs, h = [], x
    last = len(model.layers) - 1
    for l, layer in enumerate(model.layers):
        z = layer(h)
        zs.append(z.detach())
        h = z if l == last else model.act(z)
    grads = torch.autograd.grad(F.cross_entropy(h, y), [m.weight for m in model.layers])
    return zs, [g.norm().item() for g in grads]


def _hook_counts(model):
    fwd = sum(len(m._forward_hooks) for m in model.modules())
    acc = sum(len(getattr(p, "_post_accumulate_grad_hooks", None) or {})
              for p in model.parameters())
    return fwd, acc


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_step_matches_hand_computation(seed):
    model = _model(seed)
    x, y = _batch(seed)
    zs, grad_norms = _by_hand(model, x, y)
    with gk.GradientMonitor(model) as mon:
        F.cross_entropy(model(x), y).backward()
    assert mon.steps == [0]
    assert mon.layer_names == ["layers.0", "layers.1", "layers.2", "layers.3"]
    f64 = torch.float64
    torch.testing.assert_close(mon.grad_norms()[0], torch.tensor(grad_norms, dtype=f64),
                               rtol=1e-5, atol=1e-7)
    means = torch.tensor([z.mean().item() for z in zs], dtype=f64)
    stds = torch.tensor([z.std(unbiased=False).item() for z in zs], dtype=f64)
    torch.testing.assert_close(mon.activation_means()[0], means, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(mon.activation_stds()[0], stds, rtol=1e-4, atol=1e-6)
    assert torch.isnan(mon.update_ratios()[0]).all()


def test_float64_model_keeps_tiny_values():
    # a deep float64 sigmoid net: gradients far below float32's range must survive
    torch.manual_seed(0)
    model = gk.MLP(40, 16, activation="sigmoid").double()
    data = gk.spirals(64)
    x, y = data.X.double(), data.y
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gk.GradientMonitor(model) as mon:
        for _ in range(2):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            expected = [m.weight.grad.norm().item() for m in model.layers]
            opt.step()
    g = mon.grad_norms()
    assert g.dtype == torch.float64 and expected[0] < 1e-30
    torch.testing.assert_close(g[-1], torch.tensor(expected, dtype=torch.float64), rtol=1e-9, atol=0)
    assert torch.isfinite(mon.activation_stds()).all() and torch.isfinite(mon.update_ratios()[1]).all()


@pytest.mark.parametrize("stack_bytes", [0, 1 << 20])   # none / the two 8 x 8 stacked
@pytest.mark.parametrize("chunk_bytes", [1, 300, 1 << 20])   # one layer each / mixed / all
def test_update_ratio_compares_consecutive_recorded_steps(monkeypatch, chunk_bytes, stack_bytes):
    monkeypatch.setattr(update_ratio_mod, "_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(update_ratio_mod, "_STACK_BYTES", stack_bytes)
    model = _model(3)
    x, y = _batch(3)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    snapshots = []
    with gk.GradientMonitor(model, every=3) as mon:
        for _ in range(7):
            snapshots.append([m.weight.detach().clone() for m in model.layers])
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    assert mon.steps == [0, 3, 6]
    r = mon.update_ratios()
    assert r.shape == (3, 4)
    for row, (now, before) in zip(r[1:], [(3, 0), (6, 3)]):
        expected = [((a - b).norm() / a.norm()).item()
                    for a, b in zip(snapshots[now], snapshots[before])]
        torch.testing.assert_close(row, torch.tensor(expected, dtype=torch.float64), rtol=1e-5, atol=1e-8)


def test_every_records_only_those_steps_and_their_forward():
    model = _model(4)
    x, y = _batch(4)
    with gk.GradientMonitor(model, every=2) as mon:
        for k in range(4):
            xb = x * (k + 1)           # different activations on every step
            model.zero_grad()
            F.cross_entropy(model(xb), y).backward()
            if k == 2:
                zs, _ = _by_hand(model, xb, y)
    assert mon.steps == [0, 2]
    stds = torch.tensor([z.std(unbiased=False).item() for z in zs], dtype=torch.float64)
    torch.testing.assert_close(mon.activation_stds()[1], stds, rtol=1e-4, atol=1e-6)


def test_no_grad_forward_is_not_recorded():
    model = _model(5)
    x, y = _batch(5)
    with gk.GradientMonitor(model) as mon:
        zs, _ = _by_hand(model, x, y)
        out = model(x)
        with torch.no_grad():
            model(100 * x)             # an evaluation pass must not overwrite the stats
        F.cross_entropy(out, y).backward()
    stds = torch.tensor([z.std(unbiased=False).item() for z in zs], dtype=torch.float64)
    torch.testing.assert_close(mon.activation_stds()[0], stds, rtol=1e-4, atol=1e-6)


def test_layer_without_gradient_is_nan_and_step_still_recorded():
    model = _model(6)
    model.layers[0].weight.requires_grad_(False)
    x, y = _batch(6)
    with gk.GradientMonitor(model) as mon:
        F.cross_entropy(model(x), y).backward()
    g = mon.grad_norms()[0]
    assert math.isnan(g[0]) and torch.isfinite(g[1:]).all()


def test_hooks_removed_on_exit_and_never_stacked():
    model = _model(7)
    assert _hook_counts(model) == (0, 0)
    mon = gk.GradientMonitor(model)
    with mon:
        once = _hook_counts(model)
        mon.attach()                    # entering twice
        assert _hook_counts(model) == once
    assert once == (1 + len(model.layers), 0)   # the model's hook + one per layer
    assert _hook_counts(model) == (0, 0)
    mon.remove()                        # idempotent
    first = gk.GradientMonitor(model).attach()
    second = gk.GradientMonitor(model).attach()   # a re-run notebook cell
    assert _hook_counts(model) == once and not first.attached and second.attached
    second.remove()
    assert _hook_counts(model) == (0, 0)


def test_models_without_layers_list_track_weighted_modules():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    x, y = _batch(8)
    with gk.GradientMonitor(model) as mon:
        F.cross_entropy(model(x), y).backward()
    assert mon.layer_names == ["0", "2"]
    torch.testing.assert_close(mon.grad_norms()[0],
                               torch.stack([model[0].weight.grad.norm(), model[2].weight.grad.norm()]).double())


def test_layer_hooks_only_on_recorded_steps_and_reset():
    model = _model(11)
    x, y = _batch(11)
    with gk.GradientMonitor(model, every=3) as mon:
        counts = []
        for _ in range(4):
            counts.append(_hook_counts(model)[0])
            model.zero_grad()
            F.cross_entropy(model(x), y).backward()
        assert counts == [5, 1, 1, 5]
        mon.reset()
        assert mon.steps == [] and _hook_counts(model)[0] == 5
        F.cross_entropy(model(x), y).backward()
        assert mon.steps == [0] and torch.isfinite(mon.activation_stds()).all()


def test_results_before_any_step_are_empty():
    mon = gk.GradientMonitor(_model())
    assert mon.grad_norms().shape == (0, 4)


@pytest.mark.parametrize("bad, error, words", [
    (dict(every=0), ValueError, "every=0"),
    (dict(every=1.5), TypeError, "every=1.5"),
    (dict(unit_stats=1), TypeError, "unit_stats=1"),
    (dict(saturation=0.0), ValueError, "saturation=0.0"),
])
def test_bad_arguments(bad, error, words):
    with pytest.raises(error, match=words):
        gk.GradientMonitor(_model(), **bad)


def test_not_a_module():
    with pytest.raises(TypeError, match="model=list"):
        gk.GradientMonitor([1, 2])
    with pytest.raises(ValueError, match="no layers with a weight"):
        gk.GradientMonitor(torch.nn.ReLU())


def test_foreach_norm_fallback_matches(monkeypatch):
    ts = [torch.randn(3, 4), torch.randn(7), torch.zeros(2, 2)]
    fused = torch.stack(foreach_mod._foreach_norm(ts))
    monkeypatch.delattr(torch, "_foreach_norm")
    plain = torch.stack(foreach_mod._foreach_norm(ts))
    torch.testing.assert_close(fused, plain)
    torch.testing.assert_close(plain, torch.stack([t.norm() for t in ts]))


@pytest.mark.parametrize("stack_bytes", [0, 1 << 20])   # none / the two 8 x 8 stacked
def test_monitor_records_the_same_without_foreach_norm(monkeypatch, stack_bytes):
    # every norm the monitor takes goes through the fallback when torch lacks the fused call
    monkeypatch.setattr(update_ratio_mod, "_STACK_BYTES", stack_bytes)
    x, y = _batch(11)

    def run():
        model = _model(11)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        with gk.GradientMonitor(model) as mon:
            for _ in range(3):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
        return torch.stack([mon.grad_norms(), mon.update_ratios()])

    fused = run()
    monkeypatch.delattr(torch, "_foreach_norm")
    torch.testing.assert_close(run(), fused, equal_nan=True)


def test_layer_grad_norms_order_values_and_missing():
    model = _model(9)
    x, y = _batch(9)
    assert all(math.isnan(v) for v in gk.layer_grad_norms(model).values())
    F.cross_entropy(model(x), y).backward()
    got = gk.layer_grad_norms(model)
    names = [n for n, _ in model.named_parameters()]
    assert list(got) == names
    for n, p in model.named_parameters():
        assert got[n] == pytest.approx(p.grad.norm().item(), rel=1e-6)
    with pytest.raises(TypeError, match="model=str"):
        gk.layer_grad_norms("net")


def test_gradient_flow_matches_and_keeps_existing_grads():
    torch.manual_seed(10)
    model = gk.MLP(4, 8, activation="relu")          # spirals are 2-D
    data = gk.spirals(64, seed=1)
    _, expected = _by_hand(model, data.X, data.y)
    before = [torch.full_like(m.weight, 7.0) for m in model.layers]
    for m, g in zip(model.layers, before):
        m.weight.grad = g
    got = gk.gradient_flow(model, data)
    torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-5, atol=1e-8)
    assert all(m.weight.grad is g for m, g in zip(model.layers, before))
    with pytest.raises(TypeError, match="data=tuple"):
        gk.gradient_flow(model, (data.X, data.y))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dead_and_saturated_fractions_match_hand_computation(seed):
    model = _model(seed, width=16)
    with torch.no_grad():                         # kill some units: bias far below zero
        model.layers[1].bias[:5] = -100.0
        model.layers[2].weight.mul_(50.0)         # and saturate some entries
    x, y = _batch(seed, n=32)
    zs, _ = _by_hand(model, x, y)
    with gk.GradientMonitor(model, unit_stats=True, saturation=2.5) as mon:
        F.cross_entropy(model(x), y).backward()
    dead = torch.tensor([1.0 - (z > 0).any(0).double().mean().item() for z in zs],
                        dtype=torch.float64)
    sat = torch.tensor([(z.abs() >= 2.5).double().mean().item() for z in zs],
                       dtype=torch.float64)
    torch.testing.assert_close(mon.dead_fractions()[0], dead)
    torch.testing.assert_close(mon.saturated_fractions()[0], sat)
    assert mon.dead_fractions()[0, 1] >= 5 / 16
    assert mon.saturated_fractions()[0, 2] > 0


def test_unit_fractions_need_unit_stats():
    model = _model()
    x, y = _batch()
    with gk.GradientMonitor(model) as mon:
        F.cross_entropy(model(x), y).backward()
    with pytest.raises(RuntimeError, match="unit_stats=True"):
        mon.dead_fractions()
    with pytest.raises(RuntimeError, match="unit_stats=True"):
        mon.saturated_fractions()


def test_cache_sized_chunks_group_consecutive_layers_up_to_the_limit(monkeypatch):
    monkeypatch.setattr(update_ratio_mod, "_CHUNK_BYTES", 1000)
    ts = [torch.zeros(n) for n in (100, 100, 50, 300, 10, 10)]   # float32: 4 bytes each
    assert update_ratio_mod._cache_sized_chunks(ts) == [[0, 1, 2], [3], [4, 5]]
    assert update_ratio_mod._cache_sized_chunks([torch.zeros(10, dtype=torch.float64)] * 30) == \
        [list(range(12)), list(range(12, 24)), list(range(24, 30))]


def test_non_finite_and_zero_values_come_out_as_a_tensor_would_give_them():
    # the statistics are combined in Python floats: NaN must stay NaN, 0/0 be NaN, x/0 inf
    assert monitor_mod._divide(1.0, 0.0) == math.inf
    assert math.isnan(monitor_mod._divide(0.0, 0.0))
    assert math.isnan(monitor_mod._divide(float("nan"), 0.0))
    assert monitor_mod._divide(3.0, 2.0) == 1.5
    model = _model(8)
    with torch.no_grad():
        model.layers[1].weight.zero_()
    model.layers[1].weight.requires_grad_(False)   # stays zero: ||0 - 0|| / ||0||
    x, y = _batch(8)
    x[0, 0] = float("nan")                         # NaN activations everywhere
    with gk.GradientMonitor(model) as mon:
        for _ in range(2):
            model.zero_grad()
            F.cross_entropy(model(x), y).backward()
    assert torch.isnan(mon.activation_means()).all() and torch.isnan(mon.activation_stds()).all()
    assert math.isnan(mon.update_ratios()[1, 1])


class _Skipping(torch.nn.Module):
    """Three linear layers; the middle one runs only when ``use_middle`` is set."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(9)
        self.layers = torch.nn.ModuleList(torch.nn.Linear(3, 3) for _ in range(3))
        self.use_middle = True

    def forward(self, x):
        for l, layer in enumerate(self.layers):
            if l != 1 or self.use_middle:
                x = torch.tanh(layer(x))
        return x


def test_layer_skipped_on_a_recorded_step_is_nan_on_that_step_only():
    model = _Skipping()
    x, y = _batch(9)
    with gk.GradientMonitor(model) as mon:
        for use_middle in (True, False, True):
            model.use_middle = use_middle
            model.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
    means, stds = mon.activation_means(), mon.activation_stds()
    assert torch.isfinite(means[0]).all() and torch.isfinite(means[2]).all()
    assert math.isnan(means[1, 1]) and math.isnan(stds[1, 1])   # did not run, no stale values
    assert torch.isfinite(means[1, [0, 2]]).all()
    assert math.isnan(mon.grad_norms()[1, 1])


def test_bfloat16_outputs_are_reduced_in_float32():
    model = _model(10).to(torch.bfloat16)
    x, y = _batch(10)
    x = x.to(torch.bfloat16)
    zs, _ = _by_hand(model, x, y)
    with gk.GradientMonitor(model, unit_stats=True) as mon:
        F.cross_entropy(model(x).float(), y).backward()
    means = torch.tensor([z.float().mean().item() for z in zs], dtype=torch.float64)
    stds = torch.tensor([z.float().std(unbiased=False).item() for z in zs], dtype=torch.float64)
    torch.testing.assert_close(mon.activation_means()[0], means, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(mon.activation_stds()[0], stds, rtol=1e-4, atol=1e-5)
    dead = torch.tensor([(z <= 0).all(0).float().mean().item() for z in zs], dtype=torch.float64)
    torch.testing.assert_close(mon.dead_fractions()[0], dead)
