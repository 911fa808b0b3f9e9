"""gradkit.gradcheck: the numerical gradient against autograd, and the relative error."""
import re

import pytest
import torch
import torch.nn.functional as F

from gradkit.gradcheck import check_gradient, numerical_gradient, relative_error
from gradkit.layernorm import layer_norm, layer_norm_backward

D = torch.float64


def _weights(n, seed=0):
    return torch.randn(n, generator=torch.Generator().manual_seed(100 + seed), dtype=D)


# scalar functions of a tensor of any shape (they flatten it), smooth everywhere
FUNCTIONS = {
    "cubic": lambda t: (t ** 3).sum(),
    "sin_weighted": lambda t: (torch.sin(t) * _weights(t.numel()).view(t.shape)).sum(),
    "logsumexp": lambda t: torch.logsumexp(t.reshape(-1) * 2.0, dim=0),
    "quadratic_form": lambda t: t.reshape(-1) @ _matrix(t.numel()) @ t.reshape(-1),
    "tanh_net": lambda t: torch.tanh(torch.tanh(t.reshape(-1) * _weights(t.numel())).sum()),
    "softmax_xent": lambda t: F.cross_entropy(t.reshape(1, -1), torch.tensor([0])),
}


def _matrix(n):
    A = torch.randn(n, n, generator=torch.Generator().manual_seed(7), dtype=D)
    return A @ A.T


SHAPES = [(), (5,), (3, 4), (2, 3, 2)]


def _x(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=D)


def _autograd(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    return g


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_numerical_gradient_matches_autograd(name, shape, seed):
    f, x = FUNCTIONS[name], _x(shape, seed)
    before = x.clone()
    numeric = numerical_gradient(f, x)
    assert numeric.shape == x.shape and numeric.dtype == x.dtype
    assert relative_error(numeric, _autograd(f, x)) < 1e-6
    assert torch.equal(x, before)


def test_layer_norm_through_numerical_gradient():
    """The lesson's check: the numerical gradient confirms the hand-written backward."""
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(3, 2, 4, generator=g, dtype=D), torch.randn(2, 4, generator=g, dtype=D)
    grad_out = torch.randn(3, 2, 4, generator=g, dtype=D)
    gx, gw, _ = layer_norm_backward(grad_out, x, (2, 4), w)
    loss = lambda t: (layer_norm(t, (2, 4), w) * grad_out).sum()   # dL/dy = grad_out
    assert relative_error(gx, numerical_gradient(loss, x)) < 1e-6
    loss_w = lambda t: (layer_norm(x, (2, 4), t) * grad_out).sum()
    assert relative_error(gw, numerical_gradient(loss_w, w)) < 1e-6


def test_non_contiguous_x():
    x = _x((4, 3), 0).T                             # (3, 4), not contiguous
    f = FUNCTIONS["sin_weighted"]
    before = x.clone()
    assert relative_error(numerical_gradient(f, x), _autograd(f, x)) < 1e-6
    assert torch.equal(x, before)


def test_x_restored_bit_for_bit():
    x = torch.tensor([0.1, 1e-7, 3.3e5, -2.7], dtype=D)    # x + eps - eps != x for some
    bits = x.view(torch.int64).clone()
    numerical_gradient(lambda t: (t * t).sum(), x)
    assert torch.equal(x.view(torch.int64), bits)


def test_x_restored_when_f_raises():
    x = _x((3, 3), 0)
    before = x.clone()
    calls = []

    def f(t):
        calls.append(1)
        if len(calls) == 4:                         # after the check call, mid-way
            raise RuntimeError("boom")
        return t.sum()

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert torch.equal(x, before)


def test_f_reading_a_parameter_directly():
    """f may ignore its argument and read x itself, e.g. a layer's weight."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2).double()
    data, target = torch.randn(5, 3, dtype=D), torch.randn(5, 2, dtype=D)
    loss = lambda _: F.mse_loss(torch.tanh(layer(data)), target)
    out = loss(None)                                # a graph that saved the weight
    numeric = numerical_gradient(loss, layer.weight)
    out.backward()                                  # still valid: no in-place bump seen
    assert relative_error(numeric, layer.weight.grad) < 1e-6
    assert layer.weight.grad_fn is None and layer.weight.requires_grad


def test_python_number_result_and_float32():
    x = _x((4,), 1)
    numeric = numerical_gradient(lambda t: float((t ** 2).sum()), x)
    assert relative_error(numeric, 2 * x) < 1e-6
    x32 = x.float()
    numeric32 = numerical_gradient(lambda t: (torch.sin(t) * 3).sum(), x32, eps=1e-2)
    assert numeric32.dtype == torch.float32
    assert relative_error(numeric32, 3 * torch.cos(x32)) < 1e-2     # float32: ~1e-3 at best


def test_relative_error_values():
    a, b = torch.tensor([1.0, 2.0, -3.0]), torch.tensor([1.0, 2.2, -3.0])
    assert relative_error(a, b) == pytest.approx(0.2 / 4.2)
    assert relative_error(a, b) == relative_error(b, a)
    assert isinstance(relative_error(a, b), float)
    assert relative_error(torch.zeros(3), torch.zeros(3)) == 0.0
    assert relative_error(torch.tensor([1.0]), torch.tensor([-1.0])) == 1.0
    assert relative_error(torch.tensor([0.0]), torch.tensor([1e-13]), eps=1e-12) == \
        pytest.approx(0.1)
    assert relative_error(2.0, 2.0) == 0.0
    assert relative_error(torch.empty(0, 3), torch.empty(0, 3)) == 0.0
    assert relative_error(torch.tensor([1.0, float("nan")]), torch.ones(2)) != \
        relative_error(torch.tensor([1.0, float("nan")]), torch.ones(2))   # NaN propagates
    # float32 inputs are compared in float64: no rounding of the difference
    x = torch.tensor([1.0], dtype=torch.float32)
    assert relative_error(x, x + 1e-7) > 0


def test_check_gradient():
    x = _x((3, 4), 0)
    before = x.clone()
    assert check_gradient(FUNCTIONS["tanh_net"], x) < 1e-6
    assert torch.equal(x, before)
    assert check_gradient(lambda t: torch.tensor(1.0, dtype=D), x) == 0.0   # no dependence

    class WrongSquare(torch.autograd.Function):    # a buggy backward: 2x forgotten
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, grad):
            (t,) = ctx.saved_tensors
            return grad * t

    assert check_gradient(lambda t: WrongSquare.apply(t).sum(), x) > 0.3


def _never_called(t):
    raise AssertionError("f must not be called when the arguments are bad")


X = torch.zeros(2, 3, dtype=D)


@pytest.mark.parametrize("call, error, words", [
    (lambda: numerical_gradient(_never_called, X, eps=0), ValueError, "eps=0 must be > 0"),
    (lambda: numerical_gradient(_never_called, X, eps=-1e-6), ValueError, "eps=-1e-06 must be > 0"),
    (lambda: numerical_gradient(_never_called, X, eps=None), TypeError, "eps=None must be a finite"),
    (lambda: numerical_gradient(_never_called, [1.0, 2.0]), TypeError,
     "x=list must be a torch.Tensor"),
    (lambda: numerical_gradient(_never_called, torch.ones(3, dtype=torch.int64)), TypeError,
     "x has dtype=torch.int64"),
    (lambda: numerical_gradient("f", X), TypeError, "f=str must be callable"),
    (lambda: numerical_gradient(lambda t: t * 2, X), ValueError,
     "f must return a scalar (a 0-d tensor or a number), but it returned a tensor of shape (2, 3)"),
    (lambda: numerical_gradient(lambda t: t.sum(0), X), ValueError,
     "returned a tensor of shape (3,)"),
    (lambda: numerical_gradient(lambda t: t.sum().reshape(1), X), ValueError,
     "returned a tensor of shape (1,)"),
    (lambda: numerical_gradient(lambda t: "loss", X), TypeError, "but it returned str"),
    (lambda: relative_error(torch.ones(2), torch.ones(3)), ValueError,
     "a.shape=(2,) and b.shape=(3,) must be equal"),
    (lambda: relative_error(torch.ones(3, 1), torch.ones(3)), ValueError,
     "a.shape=(3, 1) and b.shape=(3,) must be equal (relative_error does not broadcast)"),
    (lambda: relative_error(X, X, eps=0.0), ValueError, "eps=0.0 must be > 0"),
    (lambda: relative_error("a", X), TypeError, "a and b must be tensors or numbers"),
    (lambda: check_gradient(_never_called, X, eps=0), ValueError, "eps=0 must be > 0"),
    (lambda: check_gradient(lambda t: t * 2, X), ValueError, "tensor of shape (2, 3)"),
    (lambda: check_gradient(lambda t: 1.0, X), TypeError, "f returned float"),
])
def test_bad_arguments(call, error, words):
    before = X.clone()
    with pytest.raises(error, match=re.escape(words)):
        call()
    assert torch.equal(X, before)
