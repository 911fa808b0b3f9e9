"""Synthetic data sets and the training loop."""
import math

import pytest
import torch

import gradkit as gk


def test_spirals_shape_balance_and_seed():
    d = gk.spirals(300, classes=3, seed=4)
    assert d.X.shape == (300, 2) and d.task == "classification"
    assert torch.bincount(d.y).tolist() == [100, 100, 100]
    torch.testing.assert_close(d.X, gk.spirals(300, classes=3, seed=4).X)
    assert not torch.equal(d.X, gk.spirals(300, classes=3, seed=5).X)


def test_teacher_regression():
    d = gk.teacher_regression(100, in_features=4, out_features=2, seed=1)
    assert d.X.shape == (100, 4) and d.y.shape == (100, 2) and d.task == "regression"
    torch.testing.assert_close(d.y, gk.teacher_regression(100, 4, 2, seed=1).y)


@pytest.mark.parametrize("call, words", [
    (lambda: gk.spirals(n=1), "n=1"),
    (lambda: gk.spirals(classes=1), "classes=1"),
    (lambda: gk.spirals(noise=-0.1), "noise=-0.1"),
    (lambda: gk.teacher_regression(in_features=0), "in_features=0"),
])
def test_data_bad_arguments(call, words):
    with pytest.raises((TypeError, ValueError), match=words):
        call()


def test_train_reduces_loss_and_is_reproducible():
    def run():
        torch.manual_seed(0)
        m = gk.MLP(3, 32, activation="tanh")
        return gk.train(m, gk.spirals(256), steps=150, lr=0.1, optimizer="sgd")
    h1, h2 = run(), run()
    assert h1.loss == h2.loss
    assert len(h1.loss) == 150 and len(h1.grad_norm) == 150 and h1.steps[-1] == 149
    assert h1.final_loss < h1.loss[0]
    assert not h1.diverged


def test_train_grad_norm_is_the_global_norm_before_clipping():
    torch.manual_seed(1)
    m = gk.MLP(2, 8)
    data = gk.spirals(64)
    h = gk.train(m, data, steps=1, lr=1e-9, batch_size=None, clip_norm=1e-3)
    torch.manual_seed(1)
    m2 = gk.MLP(2, 8)
    torch.nn.functional.cross_entropy(m2(data.X), data.y).backward()
    expected = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in m2.parameters()]))
    assert h.grad_norm[0] == pytest.approx(expected.item(), rel=1e-5)


def test_divergence_is_reported():
    torch.manual_seed(0)
    m = gk.MLP(3, 16, out_features=1, activation="relu", init=2.0)
    h = gk.train(m, gk.teacher_regression(64, in_features=2), steps=50, lr=10.0)
    assert h.diverged and any(not math.isfinite(v) for v in h.loss)


def test_history_helpers():
    h = gk.History(loss=[4.0, 2.0, 1.0, 0.5] * 5, grad_norm=[1.0] * 20)
    assert h.steps_to(1.0) == 2 and h.steps_to(0.1) is None
    assert h.final_loss == pytest.approx((1.0 + 0.5) / 2)


def test_optimizer_choices():
    data = gk.spirals(64)
    for opt in ["sgd", "momentum", "adam", torch.optim.RMSprop]:
        torch.manual_seed(0)
        gk.train(gk.MLP(2, 8), data, steps=3, lr=0.01, optimizer=opt)
    m = gk.MLP(2, 8)
    gk.train(m, data, steps=3, optimizer=torch.optim.SGD(m.parameters(), lr=0.1))


@pytest.mark.parametrize("kwargs, words", [
    (dict(steps=0), "steps=0"),
    (dict(lr=-1.0), "lr=-1.0"),
    (dict(batch_size=0), "batch_size=0"),
    (dict(optimizer="adamw"), "optimizer='adamw' is not one of sgd, momentum, adam"),
    (dict(clip_norm=0.0), "clip_norm=0.0"),
    (dict(warmup_steps=-1), "warmup_steps=-1"),
])
def test_train_bad_arguments(kwargs, words):
    m = gk.MLP(2, 4)
    before = [p.detach().clone() for p in m.parameters()]
    with pytest.raises((TypeError, ValueError), match=words):
        gk.train(m, gk.spirals(32), **kwargs)
    assert all(torch.equal(a, b) for a, b in zip(before, m.parameters()))  # no work done


def test_train_wrong_types():
    with pytest.raises(TypeError, match="data=tuple"):
        gk.train(gk.MLP(2, 4), (1, 2))
    with pytest.raises(TypeError, match="model=str"):
        gk.train("mlp", gk.spirals(32))


def test_dataset_names_its_loss():
    import torch.nn.functional as F
    assert gk.spirals(8).loss_fn is F.cross_entropy
    assert gk.teacher_regression(8).loss_fn is F.mse_loss


def test_warmup_ramps_the_lr_linearly_then_holds_it():
    seen = []

    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            seen.append(self.param_groups[0]["lr"])
            return super().step(closure)

    m = gk.MLP(2, 4)
    opt = Spy(m.parameters(), lr=0.2)
    gk.train(m, gk.spirals(32), steps=6, lr=0.2, optimizer=opt, warmup_steps=4)
    assert seen == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.2, 0.2])
    assert opt.param_groups[0]["lr"] == 0.2            # the caller's optimizer is restored
    seen.clear()
    gk.train(m, gk.spirals(32), steps=2, lr=0.2, optimizer=opt, warmup_steps=4)
    assert seen == pytest.approx([0.05, 0.1]) and opt.param_groups[0]["lr"] == 0.2
    seen.clear()
    gk.train(m, gk.spirals(32), steps=3, lr=0.2, optimizer=opt)
    assert seen == pytest.approx([0.2, 0.2, 0.2])      # no warm-up by default


def test_scaled_regression_scales_curvature_and_noise_floor():
    from gradkit.data import scaled_regression
    d = scaled_regression(4000, scales=(1.0, 10.0, 100.0), noise=0.1, seed=3)
    assert d.X.shape == (4000, 3) and d.y.shape == (4000, 1) and d.task == "regression"
    torch.testing.assert_close(d.X, scaled_regression(4000, (1.0, 10.0, 100.0), 0.1, seed=3).X)
    assert not torch.equal(d.X, scaled_regression(4000, (1.0, 10.0, 100.0), 0.1, seed=4).X)
    torch.testing.assert_close(d.X.std(0), torch.tensor([1.0, 10.0, 100.0]), rtol=0.05, atol=0)
    curv = torch.linalg.eigvalsh(2 * d.X.T.double() @ d.X.double() / len(d))   # MSE Hessian
    assert 0.8e4 < float(curv.max() / curv.min()) < 1.25e4                     # ~ (100 / 1)^2
    w = torch.linalg.lstsq(d.X.double(), d.y.double()).solution               # best linear fit
    mse = float(((d.X.double() @ w - d.y.double()) ** 2).mean())
    assert mse == pytest.approx(0.01, rel=0.1)                                 # noise**2
    contrib = (d.X.double() * w.T).std(0)          # every feature matters about equally
    assert float(contrib.max() / contrib.min()) < 10


@pytest.mark.parametrize("kwargs, words", [
    (dict(n=0), "n=0"),
    (dict(scales=()), r"scales=\(\)"),
    (dict(scales=(1.0, -2.0)), r"scales\[1\]=-2.0"),
    (dict(scales=5.0), "scales=5.0"),
    (dict(noise=-1.0), "noise=-1.0"),
])
def test_scaled_regression_bad_arguments(kwargs, words):
    from gradkit.data import scaled_regression
    with pytest.raises((TypeError, ValueError), match=words):
        scaled_regression(**kwargs)


def test_steps_to_window():
    h = gk.History(loss=[1.0, 0.2, 1.0, 0.4, 0.4, 0.4], grad_norm=[0.0] * 6)
    assert h.steps_to(0.5, window=1) == h.steps_to(0.5) == 1
    assert h.steps_to(0.5, window=3) == 5              # means of steps 1-3: 0.53, 2-4: 0.6, 3-5: 0.4
    assert h.steps_to(0.1, window=2) is None
    assert h.steps_to(0.5, window=10) is None
    with pytest.raises(ValueError, match="window=0"):
        h.steps_to(0.5, window=0)
