"""gradkit.landscapes: the functions' stated geometry, and descend with any optimizer."""
import math

import pytest
import torch
from torch.autograd.functional import hessian

from gradkit.landscapes import Cliff, Quadratic, Rosenbrock, Trajectory, descend


@pytest.mark.parametrize("kappa, scale", [(1.0, 1.0), (10.0, 1.0), (100.0, 0.5), (3.0, 2.0)])
def test_quadratic_hessian_eigenvalues_are_the_curvatures(kappa, scale):
    q = Quadratic(condition_number=kappa, scale=scale)
    for point in ([0.3, -1.2], [2.0, 5.0]):
        H = hessian(q, torch.tensor(point, dtype=torch.float64))
        torch.testing.assert_close(torch.linalg.eigvalsh(H), q.curvatures)
    assert q.curvatures[1] / q.curvatures[0] == pytest.approx(kappa)
    assert q(q.minimum).item() == 0.0
    assert q.max_stable_lr == pytest.approx(2 / q.curvatures.max().item())


@pytest.mark.parametrize("kappa", [1.0, 10.0, 50.0])
def test_gd_on_the_quadratic_converges_below_2_over_L_and_diverges_above(kappa):
    q = Quadratic(condition_number=kappa)
    L = q.curvatures.max().item()
    ok = descend(q, (1.0, 1.0), lr=0.95 * 2 / L, steps=600)
    assert not ok.diverged and ok.steps == 600
    assert ok.final.abs().max().item() < 1e-6
    bad = descend(q, (1.0, 1.0), lr=1.05 * 2 / L, steps=600)
    assert bad.diverged and bad.steps < 600
    assert bad.final.abs().max().item() > 1e6                # stopped at the bound
    assert bad.points.shape == (bad.steps + 1, 2)


def test_gd_is_exactly_the_update_rule():
    q = Quadratic(condition_number=4.0, scale=0.5)
    tr = descend(q, (1.0, -2.0), lr=0.3, steps=5)
    a, b = q.curvatures.tolist()
    t = torch.arange(6, dtype=torch.float64)
    expected = torch.stack([1.0 * (1 - 0.3 * a) ** t, -2.0 * (1 - 0.3 * b) ** t], dim=1)
    torch.testing.assert_close(tr.points, expected)
    torch.testing.assert_close(tr.losses, q(expected))
    torch.testing.assert_close(tr.grad_norms, (expected * q.curvatures).norm(dim=1))


def test_rosenbrock_minimum_and_value():
    for a, b in [(1.0, 100.0), (2.0, 5.0), (-0.5, 1.0)]:
        r = Rosenbrock(a, b)
        m = r.minimum
        torch.testing.assert_close(m, torch.tensor([a, a * a], dtype=torch.float64))
        assert r(m).item() == 0.0
        x = m.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(r(x), x)
        assert g.abs().max().item() == 0.0
        assert torch.linalg.eigvalsh(hessian(r, m)).min().item() > 0   # a strict minimum
        assert r(torch.tensor([0.0, 0.0])).item() == pytest.approx(a * a)


@pytest.mark.parametrize("opt, lr, kwargs", [
    (torch.optim.SGD, 1e-3, dict(momentum=0.9)),
    (torch.optim.Adam, 0.05, {}),
])
def test_descend_runs_torch_optimizers_on_rosenbrock(opt, lr, kwargs):
    r = Rosenbrock()
    tr = descend(r, (-1.5, 2.0), optimizer=opt, lr=lr, steps=3000, **kwargs)
    assert isinstance(tr, Trajectory) and not tr.diverged
    assert tr.losses[-1] < 1e-4 * tr.losses[0]
    assert (tr.final - r.minimum).norm().item() < 0.05


def test_descend_with_adam_matches_torch_adam_by_hand():
    q = Quadratic(5.0)
    tr = descend(q, (1.0, 1.0), optimizer=torch.optim.Adam, lr=0.1, steps=20, betas=(0.8, 0.9))
    x = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([x], lr=0.1, betas=(0.8, 0.9))
    for _ in range(20):
        opt.zero_grad()
        q(x).backward()
        opt.step()
    torch.testing.assert_close(tr.final, x.detach())


def test_descend_accepts_a_gradkit_optimizer_class():
    optim = pytest.importorskip("gradkit.optim")
    q = Quadratic(10.0)
    ours = descend(q, (1.0, 1.0), optimizer=optim.Adam, lr=0.05, steps=50)
    ref = descend(q, (1.0, 1.0), optimizer=torch.optim.Adam, lr=0.05, steps=50)
    torch.testing.assert_close(ours.points, ref.points)


def test_clipping_caps_every_step():
    c = Cliff()
    free = descend(c, (2.5, 1.0), lr=0.1, steps=60)
    clipped = descend(c, (2.5, 1.0), lr=0.1, steps=60, clip=1.0)
    step = lambda tr: (tr.points[1:] - tr.points[:-1]).norm(dim=1)    # noqa: E731
    assert step(clipped).max().item() <= 0.1 * 1.0 + 1e-9
    # the unclipped run lands on the cliff face and is thrown across the bowl
    assert free.grad_norms.max().item() > 0.9 * c.max_slope
    assert step(free).max().item() > 0.8 * 0.1 * c.max_slope
    assert free.points[:, 0].min().item() < -2.0
    assert clipped.points[:, 0].min().item() > -0.1
    assert not free.diverged and not clipped.diverged


def test_cliff_geometry():
    c = Cliff(height=10.0, width=0.5, edge=2.0)
    assert c(c.minimum).item() == 0.0
    x = torch.tensor([2.0, 0.3], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(c(x), x)
    torch.testing.assert_close(g, torch.tensor([2.0 + c.max_slope, 0.3], dtype=torch.float64))
    assert c.max_slope == pytest.approx(10.0)
    far = torch.tensor([[4.0, 0.0], [-4.0, 0.0]])
    torch.testing.assert_close(c(far), torch.tensor([8.0 + 10.0, 8.0]))


@pytest.mark.parametrize("f", [Quadratic(), Rosenbrock(), Cliff()])
def test_grid_and_batched_calls(f):
    X, Y, Z = f.grid(n=11)
    assert X.shape == Y.shape == Z.shape == (11, 11)
    assert X[0, 0].item() == f.xlim[0] and X[0, -1].item() == f.xlim[1]
    assert Y[0, 0].item() == f.ylim[0] and Y[-1, 0].item() == f.ylim[1]
    torch.testing.assert_close(Z[3, 7], f(torch.stack((X[3, 7], Y[3, 7]))))
    X, Y, Z = f.grid(n=5, xlim=(0, 1), ylim=(-1, 0))
    assert X.min().item() == 0 and Y.max().item() == 0
    assert f(torch.zeros(4, 3, 2)).shape == (4, 3)
    assert torch.isfinite(Z).all()


def test_divergence_on_non_finite_loss():
    tr = descend(lambda xy: torch.log(xy[0]) + xy[1] ** 2, (0.05, 0.0), lr=1.0, steps=10)
    assert tr.diverged and not math.isfinite(tr.losses[-1].item())
    start_out = descend(Quadratic(), (5.0, 0.0), steps=3, bound=1.0)
    assert start_out.diverged and start_out.steps == 0


@pytest.mark.parametrize("call, exc, match", [
    (lambda: Quadratic(condition_number=0.5), ValueError, r"condition_number=0.5 must be >= 1"),
    (lambda: Quadratic(scale=0.0), ValueError, r"scale=0.0 must be > 0"),
    (lambda: Quadratic(scale=float("nan")), TypeError, r"scale=nan must be a finite real"),
    (lambda: Rosenbrock(b=-1.0), ValueError, r"b=-1.0 must be > 0"),
    (lambda: Cliff(height=0.0), ValueError, r"height=0.0 must be > 0"),
    (lambda: Cliff(width=-1.0), ValueError, r"width=-1.0 must be > 0"),
    (lambda: Cliff(edge=0.1, width=0.25), ValueError, r"edge=0.1 must be > width=0.25"),
    (lambda: Quadratic()(torch.zeros(3)), ValueError,
     r"xy has shape \(3,\); expected \(\.\.\., 2\)"),
    (lambda: Quadratic().grid(n=1), ValueError, r"n=1 must be an integer >= 2"),
    (lambda: Quadratic().grid(xlim=(1, 0)), ValueError, r"xlim=\(1, 0\) must be \(low, high\)"),
    (lambda: descend(Quadratic(), (1.0, 2.0, 3.0)), ValueError,
     r"start=\(1.0, 2.0, 3.0\) must be two finite numbers"),
    (lambda: descend(Quadratic(), (1.0, float("inf"))), ValueError,
     r"start=\(1.0, inf\) must be two finite numbers"),
    (lambda: descend(Quadratic(), "ab"), ValueError, r"start='ab' must be two finite numbers"),
    (lambda: descend(Quadratic(), (1, 1), optimizer="adam"), ValueError,
     r"optimizer='adam' is not one of gd, or an optimizer class"),
    (lambda: descend(Quadratic(), (1, 1),
                     optimizer=torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1)),
     TypeError, r"optimizer=SGD\(\.\.\.\) is an instance; pass the class"),
    (lambda: descend(Quadratic(), (1, 1), lr=0.0), ValueError, r"lr=0.0 must be > 0"),
    (lambda: descend(Quadratic(), (1, 1), steps=-1), ValueError,
     r"steps=-1 must be an integer >= 0"),
    (lambda: descend(Quadratic(), (1, 1), clip=0), ValueError, r"clip=0 must be > 0"),
    (lambda: descend(Quadratic(), (1, 1), bound=-2.0), ValueError, r"bound=-2.0 must be > 0"),
    (lambda: descend("f", (1, 1)), TypeError, r"f=str must be callable"),
    (lambda: descend(lambda xy: xy * 2, (1, 1)), ValueError,
     r"f returned Tensor \(2,\); expected a scalar tensor"),
])
def test_errors_name_argument_and_value(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
