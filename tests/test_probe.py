"""gradkit.probe against a forward and backward pass written out by hand."""
import pytest
import torch
import torch.nn.functional as F

import gradkit as gk


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_probe_matches_hand_computation(seed, activation):
    torch.manual_seed(seed)
    model = gk.MLP(6, 16, activation=activation).double()
    data = gk.spirals(64, seed=seed)
    X = data.X.double()
    zs, h = [], X
    for l, layer in enumerate(model.layers):
        zs.append(layer(h))
        h = zs[-1] if l == len(model.layers) - 1 else model.act(zs[-1])
    loss = F.cross_entropy(zs[-1], data.y)
    deltas = torch.autograd.grad(loss, zs, retain_graph=True)
    gW = torch.autograd.grad(loss, [m.weight for m in model.layers])
    p = gk.probe(model, gk.Dataset(X, data.y, data.task))
    assert p.layer_names == [f"layers.{l}" for l in range(6)]
    assert p.loss == pytest.approx(loss.item(), rel=1e-12)
    for a, b in zip(p.z, zs):
        torch.testing.assert_close(a, b.detach())
    torch.testing.assert_close(p.delta_norm(), torch.stack([d.norm() for d in deltas]))
    torch.testing.assert_close(p.delta_std(), torch.stack([d.std(unbiased=False) for d in deltas]))
    torch.testing.assert_close(p.grad_W_norm(), torch.stack([g.norm() for g in gW]))
    torch.testing.assert_close(p.z_std(), torch.stack([z.std(unbiased=False) for z in zs]).detach())
    torch.testing.assert_close(p.grad_W_norm(), gk.gradient_flow(model, gk.Dataset(X, data.y, data.task)).double())


def test_probe_leaves_grads_and_hooks_alone():
    torch.manual_seed(0)
    model = gk.MLP(3, 8)
    data = gk.spirals(32)
    assert all(p.grad is None for p in model.parameters())
    gk.probe(model, data)
    assert all(p.grad is None for p in model.parameters())
    assert sum(len(m._forward_hooks) for m in model.modules()) == 0


def test_probe_regression_and_custom_loss():
    torch.manual_seed(0)
    model = gk.MLP(3, 8, in_features=4, out_features=1)
    data = gk.teacher_regression(32, in_features=4)
    p = gk.probe(model, data)
    assert p.loss == pytest.approx(F.mse_loss(model(data.X), data.y).item())
    p1 = gk.probe(model, data, loss_fn=lambda out, y: (out - y).abs().mean())
    assert p1.loss == pytest.approx((model(data.X) - data.y).abs().mean().item())


def test_probe_bad_arguments():
    model = gk.MLP(3, 8)
    with pytest.raises(TypeError, match="model=str"):
        gk.probe("net", gk.spirals(8))
    with pytest.raises(TypeError, match="data=tuple"):
        gk.probe(model, (1, 2))
    with pytest.raises(TypeError, match="loss_fn=3"):
        gk.probe(model, gk.spirals(8), loss_fn=3)
