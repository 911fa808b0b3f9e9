"""gradkit.rnn: TinyRNN against a hand-written loop, spectral radius, gradients through time."""
import math

import pytest
import torch
from torch import nn

from gradkit.rnn import TinyRNN, rnn_gradient_norms, set_spectral_radius_, spectral_radius
from gradkit.stats import geometric_fit


def test_shapes_and_parameter_names():
    torch.manual_seed(0)
    m = TinyRNN(3, 8, 2)
    x = torch.randn(5, 7, 3)                                  # (batch, seq, input)
    assert m(x).shape == (5, 2)
    assert m(x, all_steps=True).shape == (5, 7, 2)
    hs = m.hidden_states(x)
    assert len(hs) == 8 and all(h.shape == (5, 8) for h in hs)
    assert [n for n, _ in m.named_parameters()] == [
        "W_xh.weight", "W_xh.bias", "W_hh.weight", "W_hy.weight", "W_hy.bias"]
    assert m.W_hh.weight.shape == (8, 8) and m.W_xh.weight.shape == (8, 3)


@pytest.mark.parametrize("nonlinearity, act", [
    ("tanh", torch.tanh), ("relu", torch.relu), ("linear", lambda a: a)])
def test_matches_the_recurrence_written_out(nonlinearity, act):
    torch.manual_seed(1)
    m = TinyRNN(3, 6, 2, nonlinearity=nonlinearity)
    x, h0 = torch.randn(4, 5, 3), torch.randn(4, 6)
    Wxh, b, Whh = m.W_xh.weight, m.W_xh.bias, m.W_hh.weight
    h, ys = h0, []
    for t in range(5):
        h = act(x[:, t] @ Wxh.T + h @ Whh.T + b)
        ys.append(h @ m.W_hy.weight.T + m.W_hy.bias)
    torch.testing.assert_close(m(x, h0), ys[-1])
    torch.testing.assert_close(m(x, h0, all_steps=True), torch.stack(ys, dim=1))


def test_last_output_agrees_with_torch_rnn():
    torch.manual_seed(2)
    m = TinyRNN(3, 6, 2)
    ref = nn.RNN(3, 6, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(m.W_xh.weight)
        ref.weight_hh_l0.copy_(m.W_hh.weight)
        ref.bias_ih_l0.copy_(m.W_xh.bias)
        ref.bias_hh_l0.zero_()
    x = torch.randn(4, 9, 3)
    out, _ = ref(x)
    torch.testing.assert_close(m.hidden_states(x)[-1], out[:, -1])


def test_default_init_is_nn_rnns():
    torch.manual_seed(0)
    m = TinyRNN(50, 400, 3)
    bound = 1 / math.sqrt(400)
    for p in (m.W_xh.weight, m.W_xh.bias, m.W_hh.weight):
        assert p.abs().max().item() <= bound
    assert m.W_hh.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert m.W_xh.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 1.7])
def test_set_spectral_radius_gives_the_radius(seed, rho):
    torch.manual_seed(seed)
    W = nn.Parameter(torch.randn(24 + 8 * seed, 24 + 8 * seed) * 0.3)
    out = set_spectral_radius_(W, rho)
    assert out is W and isinstance(W, nn.Parameter) and W.grad is None
    assert spectral_radius(W) == pytest.approx(rho, abs=1e-5)
    assert torch.linalg.eigvals(W.detach().double()).abs().max().item() == pytest.approx(
        rho, abs=1e-5)


def test_set_spectral_radius_in_a_model():
    torch.manual_seed(0)
    m = TinyRNN(2, 16, 1)
    before = m.W_hh.weight.detach().clone()
    set_spectral_radius_(m.W_hh.weight, 1.25)
    ratio = m.W_hh.weight.detach() / before
    torch.testing.assert_close(ratio, torch.full_like(ratio, ratio[0, 0].item()))
    assert spectral_radius(m.W_hh.weight) == pytest.approx(1.25, abs=1e-5)


LENS = list(range(5, 45, 5))


def _rate(nonlinearity, rho, seed, wrt="h0"):
    torch.manual_seed(seed)
    m = TinyRNN(4, 32, 1, nonlinearity=nonlinearity)
    set_spectral_radius_(m.W_hh.weight, rho)
    norms = rnn_gradient_norms(m, LENS, wrt=wrt, seed=seed)
    assert norms.shape == (len(LENS),) and (norms > 0).all()
    return geometric_fit(norms, LENS).rate, norms


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("wrt", ["h0", "x1"])
def test_linear_rnn_gradient_grows_or_shrinks_like_rho_to_the_T(seed, wrt):
    up, n_up = _rate("linear", 1.2, seed, wrt)
    down, n_down = _rate("linear", 0.8, seed, wrt)
    assert n_up[-1] > 10 * n_up[0] and n_down[-1] < n_down[0] / 10
    assert up == pytest.approx(1.2, rel=0.08)       # rate per step ~ spectral radius
    assert down == pytest.approx(0.8, rel=0.08)


@pytest.mark.parametrize("seed", range(3))
def test_tanh_rnn_gradient_vanishes_for_rho_below_one(seed):
    rate, norms = _rate("tanh", 0.8, seed)
    assert rate < 0.8 and norms[-1] < norms[0] / 100     # |tanh'| <= 1 only shrinks more


def test_gradient_norms_leave_parameter_grads_alone():
    torch.manual_seed(0)
    m = TinyRNN(4, 8, 2)
    out = rnn_gradient_norms(m, 6)
    assert out.shape == (1,) and torch.isfinite(out).all()
    assert all(p.grad is None for p in m.parameters())
    # T = 1 by hand: dL/dh0 = W_hh^T diag(1 - h1^2) W_hy^T 1
    g = torch.Generator().manual_seed(3)
    x = torch.randn(5, 1, 4, generator=g)
    h1 = torch.tanh(m.W_xh(x[:, 0]))
    grad = (1 - h1 ** 2) * m.W_hy.weight.sum(0)
    grad = grad @ m.W_hh.weight
    expected = grad.norm(dim=1).mean()
    torch.testing.assert_close(rnn_gradient_norms(m, [1], batch_size=5, seed=3)[0],
                               expected.detach())


@pytest.mark.parametrize("call, exc, match", [
    (lambda: TinyRNN(0, 4, 1), ValueError, r"input_size=0 must be an integer >= 1"),
    (lambda: TinyRNN(2, 0, 1), ValueError, r"hidden_size=0 must be an integer >= 1"),
    (lambda: TinyRNN(2, 4, 1.5), TypeError, r"output_size=1.5 must be an integer"),
    (lambda: TinyRNN(2, 4, 1, nonlinearity="sigmoid"), ValueError,
     r"nonlinearity='sigmoid' is not one of tanh, relu, linear"),
    (lambda: TinyRNN(2, 4, 1)(torch.randn(3, 2)), ValueError,
     r"x has shape \(3, 2\); expected \(batch, seq, 2\)"),
    (lambda: TinyRNN(2, 4, 1)(torch.randn(3, 5, 3)), ValueError,
     r"x has shape \(3, 5, 3\); expected \(batch, seq, 2\)"),
    (lambda: TinyRNN(2, 4, 1)(torch.randn(3, 5, 2), torch.zeros(3, 5)), ValueError,
     r"h0 has shape \(3, 5\); expected \(batch, hidden_size\) = \(3, 4\)"),
    (lambda: set_spectral_radius_(torch.randn(3, 4), 1.0), ValueError,
     r"weight has shape \(3, 4\); expected a square matrix"),
    (lambda: set_spectral_radius_(torch.randn(3), 1.0), ValueError,
     r"weight has shape \(3,\); expected a square matrix"),
    (lambda: set_spectral_radius_(torch.randn(3, 3), -0.5), ValueError,
     r"rho=-0.5 must be >= 0"),
    (lambda: set_spectral_radius_(torch.zeros(3, 3), 1.0), ValueError,
     r"weight has spectral radius 0"),
    (lambda: set_spectral_radius_(torch.triu(torch.ones(3, 3), 1), 1.0), ValueError,
     r"weight has spectral radius 0"),
    (lambda: set_spectral_radius_([[1.0]], 1.0), TypeError,
     r"weight=list must be a torch.Tensor"),
    (lambda: rnn_gradient_norms(nn.Linear(2, 2), [3]), TypeError,
     r"model=Linear must be a gradkit TinyRNN"),
    (lambda: rnn_gradient_norms(TinyRNN(2, 4, 1), [3, 0]), ValueError,
     r"seq_lens=0 must be an integer >= 1"),
    (lambda: rnn_gradient_norms(TinyRNN(2, 4, 1), []), ValueError, r"seq_lens is empty"),
    (lambda: rnn_gradient_norms(TinyRNN(2, 4, 1), 3, wrt="x0"), ValueError,
     r"wrt='x0' is not one of h0, x1"),
])
def test_errors_name_argument_and_value(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_a_bad_rho_leaves_the_weight_untouched():
    W = torch.randn(4, 4)
    before = W.clone()
    with pytest.raises(ValueError, match=r"rho=-1.0"):
        set_spectral_radius_(W, -1.0)
    assert torch.equal(W, before)


def test_trains_on_copy_first_and_gradient_monitor_tracks_its_matrices():
    from gradkit.monitor import GradientMonitor
    from gradkit.sequences import copy_first_task
    from gradkit.train import train
    torch.manual_seed(0)
    m = TinyRNN(4, 16, 4)
    data = copy_first_task(256, 5, vocab=4, seed=0)
    with GradientMonitor(m) as mon:
        h = train(m, data, steps=4, lr=1e-2, optimizer="adam", batch_size=64)
    assert mon.layer_names == ["W_xh", "W_hh", "W_hy"]
    assert mon.grad_norms().shape == (4, 3) and torch.isfinite(mon.grad_norms()).all()
    assert not h.diverged
