"""gradkit.layernorm against PyTorch: forward, autograd, the hand-written backward, the module."""
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gradkit.layernorm import LayerNorm, layer_norm, layer_norm_backward

# (leading dims, normalised dims): sizes are drawn per seed, so each seed is a new shape
STRUCTURES = [(1, 1), (2, 1), (0, 1), (1, 2), (2, 2), (0, 2), (1, 3)]
SEEDS = [0, 1, 2]
DTYPES = [torch.float64, torch.float32]
TOL = {torch.float64: dict(atol=1e-6, rtol=0), torch.float32: dict(atol=1e-5, rtol=1e-5)}
GRAD_TOL = {torch.float64: dict(atol=1e-6, rtol=0), torch.float32: dict(atol=1e-4, rtol=1e-4)}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: torch's native layer_norm kernel still starts an OpenMP parallel
    region per call, which costs ~15 ms on a busy two-core machine (2 us on one thread)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _case(structure, seed, dtype=torch.float64):
    """Random x, normalized_shape, weight, bias and upstream gradient for one shape."""
    n_lead, n_norm = structure
    g = torch.Generator().manual_seed(seed)
    sizes = torch.randint(1, 7, (n_lead + n_norm,), generator=g).tolist()
    shape = tuple(sizes[n_lead:])
    x = (3 * torch.randn(sizes, generator=g, dtype=dtype) + 2).requires_grad_(True)
    weight = torch.randn(shape, generator=g, dtype=dtype).requires_grad_(True)
    bias = torch.randn(shape, generator=g, dtype=dtype).requires_grad_(True)
    grad_out = torch.randn(sizes, generator=g, dtype=dtype)
    return x, shape, weight, bias, grad_out


def _leaves(*tensors):
    return [t.detach().clone().requires_grad_(True) for t in tensors]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_forward_matches_torch(structure, seed, dtype):
    x, shape, w, b, _ = _case(structure, seed, dtype)
    with torch.no_grad():
        torch.testing.assert_close(layer_norm(x, shape, w, b), F.layer_norm(x, shape, w, b),
                                   **TOL[dtype])
        torch.testing.assert_close(layer_norm(x, shape), F.layer_norm(x, shape), **TOL[dtype])
        torch.testing.assert_close(layer_norm(x, shape, w, None, eps=1e-3),
                                   F.layer_norm(x, shape, w, None, eps=1e-3), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_autograd_gradients_match_torch(structure, seed, dtype):
    x, shape, w, b, grad_out = _case(structure, seed, dtype)
    ours = _leaves(x, w, b)
    theirs = _leaves(x, w, b)
    layer_norm(ours[0], shape, ours[1], ours[2]).backward(grad_out)
    F.layer_norm(theirs[0], shape, theirs[1], theirs[2]).backward(grad_out)
    for name, a, t in zip(("x", "weight", "bias"), ours, theirs):
        torch.testing.assert_close(a.grad, t.grad, **GRAD_TOL[dtype], msg=f"grad of {name}")


@pytest.mark.parametrize("with_weight", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_hand_backward_matches_torch_autograd(structure, seed, dtype, with_weight):
    x, shape, w, b, grad_out = _case(structure, seed, dtype)
    x, w, b = _leaves(x, w, b)
    weight = w if with_weight else None
    F.layer_norm(x, shape, weight, b, eps=1e-4).backward(grad_out)
    with torch.no_grad():
        gx, gw, gb = layer_norm_backward(grad_out, x, shape, weight, eps=1e-4)
    torch.testing.assert_close(gx, x.grad, **GRAD_TOL[dtype])
    if with_weight:
        torch.testing.assert_close(gw, w.grad, **GRAD_TOL[dtype])
        torch.testing.assert_close(gb, b.grad, **GRAD_TOL[dtype])
        assert gw.shape == gb.shape == shape
    else:
        assert gw is None and gb is None


@pytest.mark.parametrize("normalized_shape", [5, (5,), [5], torch.Size([5])])
def test_normalized_shape_spellings(normalized_shape):
    x = torch.randn(3, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(layer_norm(x, normalized_shape), F.layer_norm(x, (5,)))
    assert LayerNorm(normalized_shape).normalized_shape == (5,)


@pytest.mark.parametrize("kwargs", [{}, dict(bias=False), dict(elementwise_affine=False),
                                    dict(eps=1e-3), dict(elementwise_affine=False, bias=False)])
@pytest.mark.parametrize("normalized_shape", [6, (4, 6)])
def test_module_matches_nn_layernorm(normalized_shape, kwargs):
    torch.manual_seed(0)
    ours, theirs = LayerNorm(normalized_shape, **kwargs), nn.LayerNorm(normalized_shape, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours.normalized_shape == theirs.normalized_shape and ours.eps == theirs.eps
    for name, value in theirs.state_dict().items():     # defaults: weight ones, bias zeros
        assert torch.equal(ours.state_dict()[name], value)
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 3, 4, 6)
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    # and back: a state dict of ours loads into torch's module
    back = nn.LayerNorm(normalized_shape, **kwargs)
    back.load_state_dict(ours.state_dict())
    torch.testing.assert_close(back(x), theirs(x))


def test_module_parameter_gradients_match_nn_layernorm():
    torch.manual_seed(0)
    ours, theirs = LayerNorm((3, 4), dtype=torch.float64), nn.LayerNorm((3, 4), dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.normal_(), theirs.bias.normal_()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(5, 3, 4, dtype=torch.float64)
    (ours(x) ** 3).sum().backward()
    (theirs(x) ** 3).sum().backward()
    torch.testing.assert_close(ours.weight.grad, theirs.weight.grad, atol=1e-6, rtol=0)
    torch.testing.assert_close(ours.bias.grad, theirs.bias.grad, atol=1e-6, rtol=0)
    assert ours.weight.dtype == torch.float64


@pytest.mark.parametrize("alpha", [0.01, 0.5, 7.0, 1e4])
@pytest.mark.parametrize("structure", [(1, 1), (2, 2), (1, 3)])
def test_scale_invariance(structure, alpha):
    x, shape, w, b, _ = _case(structure, seed=3)
    with torch.no_grad():
        torch.testing.assert_close(layer_norm(alpha * x, shape, w, b, eps=1e-20),
                                   layer_norm(x, shape, w, b, eps=1e-20), atol=1e-8, rtol=0)
        # with the default eps only up to eps / var(alpha x): fine unless alpha x is tiny
        if alpha >= 0.5:
            torch.testing.assert_close(layer_norm(alpha * x, shape), layer_norm(x, shape),
                                       atol=1e-3, rtol=0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_input_gradient_is_orthogonal_to_ones(structure, seed):
    x, shape, w, b, grad_out = _case(structure, seed)
    dims = tuple(range(-len(shape), 0))
    (x_leaf,) = _leaves(x)
    layer_norm(x_leaf, shape, w.detach(), b.detach()).backward(grad_out)
    gx, _, _ = layer_norm_backward(grad_out, x.detach(), shape, w.detach())
    for grad in (x_leaf.grad, gx):
        sums = grad.sum(dim=dims)                       # one number per sample
        torch.testing.assert_close(sums, torch.zeros_like(sums), atol=1e-10, rtol=0)
    # scale invariance, differentiated: the gradient is orthogonal to x - mean(x) too
    # (exactly so only as eps -> 0)
    gx, _, _ = layer_norm_backward(grad_out, x.detach(), shape, w.detach(), eps=1e-12)
    centred = x.detach() - x.detach().mean(dim=dims, keepdim=True)
    dots = (gx * centred).sum(dim=dims)
    torch.testing.assert_close(dots, torch.zeros_like(dots), atol=1e-8, rtol=0)


def test_module_runs_on_a_batch_and_learns():
    torch.manual_seed(0)
    m = LayerNorm(8)
    x, target = torch.randn(16, 8), torch.randn(16, 8)
    first = F.mse_loss(m(x), target).item()
    for _ in range(20):                             # plain gradient descent
        m.zero_grad()
        F.mse_loss(m(x), target).backward()
        with torch.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
    assert F.mse_loss(m(x), target).item() < first


X = torch.zeros(2, 3, 5)
FIVE = torch.ones(5)


@pytest.mark.parametrize("call, error, words", [
    (lambda: layer_norm([[1.0, 2.0]], 2), TypeError, "x=list must be a torch.Tensor"),
    (lambda: layer_norm(torch.ones(2, 5, dtype=torch.long), 5), TypeError,
     "x has dtype=torch.int64"),
    (lambda: layer_norm(X, (3, 4)), ValueError,
     "normalized_shape=(3, 4) does not match the trailing dimensions of x.shape=(2, 3, 5)"),
    (lambda: layer_norm(X, 4), ValueError, "normalized_shape=(4,) does not match"),
    (lambda: layer_norm(X, (1, 2, 3, 5)), ValueError,
     "normalized_shape=(1, 2, 3, 5) does not match the trailing dimensions of x.shape=(2, 3, 5)"),
    (lambda: layer_norm(X, ()), TypeError, "normalized_shape=() must be an int or a non-empty"),
    (lambda: layer_norm(X, "5"), TypeError, "normalized_shape='5' must be an int"),
    (lambda: layer_norm(X, (2.5,)), TypeError, "normalized_shape=(2.5,) must be an int"),
    (lambda: layer_norm(X, 5, torch.ones(4)), ValueError,
     "weight.shape=(4,) must equal normalized_shape=(5,)"),
    (lambda: layer_norm(X, 5, FIVE, torch.ones(3, 5)), ValueError,
     "bias.shape=(3, 5) must equal normalized_shape=(5,)"),
    (lambda: layer_norm(X, 5, [1.0] * 5), TypeError, "weight=list must be a torch.Tensor or None"),
    (lambda: layer_norm(X, 5, eps=0), ValueError, "eps=0 must be > 0"),
    (lambda: layer_norm(X, 5, eps=-1e-5), ValueError, "eps=-1e-05 must be > 0"),
    (lambda: layer_norm(X, 5, eps="tiny"), TypeError, "eps='tiny' must be a finite real number"),
    (lambda: layer_norm_backward(torch.ones(2, 5), X, 5), ValueError,
     "grad_out.shape=(2, 5) must equal x.shape=(2, 3, 5)"),
    (lambda: layer_norm_backward(None, X, 5), TypeError, "grad_out=NoneType must be a torch.Tensor"),
    (lambda: layer_norm_backward(X, X, (3, 4)), ValueError,
     "normalized_shape=(3, 4) does not match the trailing dimensions of x.shape=(2, 3, 5)"),
    (lambda: layer_norm_backward(X, X, 5, torch.ones(5, 1)), ValueError,
     "weight.shape=(5, 1) must equal normalized_shape=(5,)"),
    (lambda: layer_norm_backward(X, X, 5, eps=0.0), ValueError, "eps=0.0 must be > 0"),
    (lambda: layer_norm_backward(X, X.tolist(), 5), TypeError, "x=list must be a torch.Tensor"),
    (lambda: LayerNorm("8"), TypeError, "normalized_shape='8' must be an int"),
    (lambda: LayerNorm(8, eps=0), ValueError, "eps=0 must be > 0"),
    (lambda: LayerNorm(8, elementwise_affine="yes"), TypeError,
     "elementwise_affine='yes' must be True or False"),
    (lambda: LayerNorm(8, bias=1), TypeError, "bias=1 must be True or False"),
    (lambda: LayerNorm(5)(torch.randn(2, 4)), ValueError,
     "normalized_shape=(5,) does not match the trailing dimensions of x.shape=(2, 4)"),
])
def test_bad_arguments(call, error, words):
    with pytest.raises(error, match=re.escape(words)):
        call()
