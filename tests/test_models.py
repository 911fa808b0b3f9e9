"""gradkit.MLP: structure, initialisation statistics, options and argument errors."""
import math

import pytest
import torch

import gradkit as gk


def test_structure_and_layers_in_forward_order():
    m = gk.MLP(5, 16, in_features=3, out_features=4)
    assert len(m.layers) == 5
    assert [tuple(l.weight.shape) for l in m.layers] == [(16, 3)] + [(16, 16)] * 3 + [(4, 16)]
    assert m(torch.randn(7, 3)).shape == (7, 4)
    assert gk.MLP(1, 16, in_features=3, out_features=4)(torch.randn(2, 3)).shape == (2, 4)


@pytest.mark.parametrize("init, std", [
    ("xavier", lambda fi, fo: math.sqrt(2 / (fi + fo))),
    ("kaiming", lambda fi, fo: math.sqrt(2 / fi)),
    (0.05, lambda fi, fo: 0.05),
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_init_std(init, std, seed):
    torch.manual_seed(seed)
    m = gk.MLP(3, 512, in_features=256, out_features=128, init=init)
    for layer in m.layers:
        fo, fi = layer.weight.shape
        assert layer.weight.std().item() == pytest.approx(std(fi, fo), rel=0.03)
        assert torch.count_nonzero(layer.bias) == 0


def test_default_init_is_pytorchs():
    torch.manual_seed(0)
    m = gk.MLP(2, 300, in_features=200, out_features=2)
    bound = 1 / math.sqrt(200)          # nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = m.layers[0].weight
    assert w.abs().max().item() <= bound
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.03)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu"])
def test_activations_run(activation):
    assert torch.isfinite(gk.MLP(4, 8, activation=activation)(torch.randn(3, 2))).all()


def test_layer_norm_normalises_hidden_layers():
    torch.manual_seed(0)
    m = gk.MLP(4, 32, norm="layer", activation="relu", init=3.0)
    seen = []
    m.norms[1].register_forward_hook(lambda mod, i, o: seen.append(o.detach()))
    m(torch.randn(64, 2))
    out = seen[0]
    torch.testing.assert_close(out.mean(dim=1), torch.zeros(64), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(dim=1, unbiased=False), torch.ones(64), atol=1e-3, rtol=0)


def test_residual_adds_the_input_of_hidden_layers():
    torch.manual_seed(0)
    m = gk.MLP(3, 8, in_features=8, out_features=2, residual=True, activation="relu")
    for l in m.layers:
        torch.nn.init.zeros_(l.weight)
        torch.nn.init.zeros_(l.bias)
    m.layers[2].weight.data = torch.eye(2, 8)
    x = torch.randn(4, 8)
    # layer 0 (input->hidden) is not residual: relu(0) = 0; layer 1 adds its input (0)
    torch.testing.assert_close(m(x), torch.zeros(4, 2))
    m.layers[0].bias.data.fill_(1.0)
    torch.testing.assert_close(m(x), torch.ones(4, 2))


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(depth=0, width=4), ValueError, "depth=0"),
    (dict(depth=3, width=2.5), TypeError, "width=2.5"),
    (dict(depth=3, width=4, activation="sigmod"), ValueError,
     "activation='sigmod' is not one of relu, tanh, sigmoid, gelu"),
    (dict(depth=3, width=4, init="he"), ValueError, "init='he' is not one of default, xavier, kaiming"),
    (dict(depth=3, width=4, init=-1.0), ValueError, "init=-1.0"),
    (dict(depth=3, width=4, norm="batch"), ValueError, "norm='batch' is not one of layer"),
    (dict(depth=3, width=4, residual="yes"), TypeError, "residual='yes'"),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        gk.MLP(**kwargs)
