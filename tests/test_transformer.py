"""gradkit.transformer: shapes, names, attention and blocks against torch, positions."""
import itertools

import pytest
import torch
from torch import nn

from gradkit.monitor import GradientMonitor
from gradkit.positional import sinusoidal_encoding
from gradkit.sequences import position_task
from gradkit.train import train
from gradkit.transformer import (SelfAttention, TinyTransformer, TransformerBlock,
                                 block_param_grad_norms, stream_grad_norms)

NORMS = ["pre", "post"]
POSITIONALS = ["sinusoidal", "learned", "none"]
VARIANTS = list(itertools.product(NORMS, POSITIONALS))


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: one thread is faster than OpenMP on a busy two-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tokens(batch=3, seq=16, vocab=7, seed=0):
    return torch.randint(vocab, (batch, seq), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("norm, positional", VARIANTS)
def test_shapes_for_every_variant(norm, positional):
    torch.manual_seed(0)
    m = TinyTransformer(7, 32, 4, 2, 16, norm_position=norm, positional=positional)
    assert m(_tokens()).shape == (3, 7)                      # out_features = vocab_size
    assert m.features(_tokens()).shape == (3, 16, 32)
    assert m(_tokens(seq=5)).shape == (3, 7)                 # shorter than max_len is fine
    m2 = TinyTransformer(7, 12, 3, 1, 8, norm, positional, d_ff=20, out_features=2)
    assert m2(_tokens(seq=8)).shape == (3, 2)
    assert m2.blocks[0].ff.W_1.weight.shape == (20, 12)


@pytest.mark.parametrize("norm, positional", VARIANTS)
def test_parameter_names_carry_the_block_index(norm, positional):
    m = TinyTransformer(7, 16, 2, 3, 16, norm_position=norm, positional=positional)
    names = [n for n, _ in m.named_parameters()]
    for l in range(3):
        for part in ("attn.W_q.weight", "attn.W_k.bias", "attn.W_v.weight", "attn.W_o.weight",
                     "ff.W_1.weight", "ff.W_2.bias", "norm1.weight", "norm2.bias"):
            assert f"blocks.{l}.{part}" in names
    assert ("norm_f.weight" in names) == (norm == "pre")      # final LayerNorm: Pre-LN only
    assert ("pos_embed.weight" in names) == (positional == "learned")
    assert "embed.weight" in names and "head.weight" in names
    if positional == "sinusoidal":
        torch.testing.assert_close(m.pe, sinusoidal_encoding(16, 16))
        assert "pe" not in m.state_dict()                    # a constant, recomputed


def test_attention_matches_nn_multihead_attention():
    torch.manual_seed(0)
    ours = SelfAttention(16, 4)
    ref = nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([ours.W_q.weight, ours.W_k.weight, ours.W_v.weight]))
        ref.in_proj_bias.copy_(torch.cat([ours.W_q.bias, ours.W_k.bias, ours.W_v.bias]))
        ref.out_proj.weight.copy_(ours.W_o.weight)
        ref.out_proj.bias.copy_(ours.W_o.bias)
    x = torch.randn(3, 9, 16)
    expected, _ = ref(x, x, x, need_weights=False)
    torch.testing.assert_close(ours(x), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("norm", NORMS)
def test_block_matches_nn_transformer_encoder_layer(norm):
    torch.manual_seed(1)
    ours = TransformerBlock(16, 2, 24, norm_position=norm)
    ref = nn.TransformerEncoderLayer(16, 2, dim_feedforward=24, dropout=0.0,
                                     batch_first=True, norm_first=norm == "pre")
    a = ours.attn
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(
            torch.cat([a.W_q.weight, a.W_k.weight, a.W_v.weight]))
        ref.self_attn.in_proj_bias.copy_(torch.cat([a.W_q.bias, a.W_k.bias, a.W_v.bias]))
        ref.self_attn.out_proj.load_state_dict(a.W_o.state_dict())
        ref.linear1.load_state_dict(ours.ff.W_1.state_dict())
        ref.linear2.load_state_dict(ours.ff.W_2.state_dict())
        ref.norm1.load_state_dict(ours.norm1.state_dict())
        ref.norm2.load_state_dict(ours.norm2.state_dict())
    x = torch.randn(3, 9, 16)
    torch.testing.assert_close(ours(x), ref(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("norm", NORMS)
def test_without_positions_the_model_ignores_order(norm):
    torch.manual_seed(2)
    m = TinyTransformer(7, 32, 4, 2, 16, norm_position=norm, positional="none").eval()
    x = _tokens(batch=4)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        torch.testing.assert_close(m.features(x[:, perm]), m.features(x)[:, perm],
                                   atol=1e-5, rtol=1e-5)      # equivariant per token
        torch.testing.assert_close(m(x[:, perm]), m(x), atol=1e-5, rtol=1e-5)  # invariant


@pytest.mark.parametrize("norm, positional", [v for v in VARIANTS if v[1] != "none"])
def test_with_positions_order_matters(norm, positional):
    torch.manual_seed(2)
    m = TinyTransformer(7, 32, 4, 2, 16, norm_position=norm, positional=positional).eval()
    x = _tokens(batch=4)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        assert (m.features(x[:, perm]) - m.features(x)[:, perm]).abs().max() > 1e-2
        assert (m(x[:, perm]) - m(x)).abs().max() > 1e-3


def test_position_task_needs_positions():
    """The measured claim of the lesson: 100 Adam steps solve it only with positions."""
    data, held_out = position_task(2048, 16, 4, seed=0), position_task(1024, 16, 4, seed=1)
    acc = {}
    for positional in ("sinusoidal", "none"):
        torch.manual_seed(0)
        m = TinyTransformer(4, 32, 2, 2, 16, positional=positional)
        train(m, data, steps=100, lr=3e-3, optimizer="adam", batch_size=64, seed=0)
        with torch.no_grad():
            acc[positional] = (m(held_out.X).argmax(1) == held_out.y).float().mean().item()
    assert acc["sinusoidal"] > 0.95
    assert acc["none"] < 0.32                                # chance is 0.25


@pytest.mark.parametrize("norm", NORMS)
def test_gradient_monitor_works_on_it(norm):
    torch.manual_seed(0)
    m = TinyTransformer(4, 16, 2, 2, 16, norm_position=norm, positional="learned")
    data = position_task(64, 16, 4, seed=0)
    with GradientMonitor(m) as mon:
        train(m, data, steps=3, lr=1e-3, optimizer="adam", batch_size=32)
    g = mon.grad_norms()
    assert g.shape == (3, len(mon.layer_names))
    assert torch.isfinite(g).all() and (g > 0).all()
    for name in ("embed", "pos_embed", "blocks.0.attn.W_q", "blocks.1.ff.W_2",
                 "blocks.1.norm2", "head"):
        assert name in mon.layer_names
    assert torch.isfinite(mon.activation_stds()).all()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(d_model=30, n_heads=4), ValueError, r"d_model=30 is not divisible by n_heads=4"),
    (dict(n_heads=0), ValueError, r"n_heads=0 must be an integer >= 1"),
    (dict(n_layers=0), ValueError, r"n_layers=0 must be an integer >= 1"),
    (dict(max_len=0), ValueError, r"max_len=0 must be an integer >= 1"),
    (dict(vocab_size=0), ValueError, r"vocab_size=0 must be an integer >= 1"),
    (dict(norm_position="middle"), ValueError,
     r"norm_position='middle' is not one of pre, post"),
    (dict(positional="rope"), ValueError,
     r"positional='rope' is not one of sinusoidal, learned, none"),
    (dict(positional=None), ValueError, r"positional=None is not one of"),
    (dict(d_ff=0), ValueError, r"d_ff=0 must be an integer >= 1"),
    (dict(out_features=2.0), TypeError, r"out_features=2.0 must be an integer"),
])
def test_constructor_errors_name_argument_and_value(kwargs, exc, match):
    args = dict(vocab_size=7, d_model=32, n_heads=4, n_layers=2, max_len=16) | kwargs
    with pytest.raises(exc, match=match):
        TinyTransformer(**args)


@pytest.mark.parametrize("tokens, match", [
    (torch.zeros(2, 17, dtype=torch.long), r"tokens has seq=17; must be in \[1, max_len=16\]"),
    (torch.zeros(2, 16),
     r"tokens must be an integer tensor \(batch, seq\).*dtype=torch.float32"),
    (torch.zeros(16, dtype=torch.long), r"tokens must be an integer tensor.*shape=\(16,\)"),
])
def test_input_errors(tokens, match):
    with pytest.raises(ValueError, match=match):
        TinyTransformer(7, 16, 2, 1, 16)(tokens)


@pytest.mark.parametrize("positional", ["sinusoidal", "learned"])
def test_pos_scale_multiplies_the_positions(positional):
    torch.manual_seed(0)
    m1 = TinyTransformer(7, 16, 2, 1, 16, positional=positional)
    torch.manual_seed(0)
    m3 = TinyTransformer(7, 16, 2, 1, 16, positional=positional, pos_scale=3.0)
    torch.testing.assert_close(m3.positions(10), 3.0 * m1.positions(10))
    assert m3.config.pos_scale == 3.0 and "pos_scale=3.0" in repr(m3)
    torch.manual_seed(0)
    m0 = TinyTransformer(7, 16, 2, 1, 16, positional=positional, pos_scale=0.0)
    x = _tokens(seq=10)
    torch.manual_seed(0)
    blind = TinyTransformer(7, 16, 2, 1, 16, positional="none")
    if positional == "sinusoidal":                           # same draws: no pos_embed
        with torch.no_grad():
            torch.testing.assert_close(m0(x), blind(x))      # scale 0 = no positions


def test_pos_scale_gradients_scale_with_it():
    """The lesson's claim: the position table's gradient is s times the stream's."""
    data = position_task(128, 16, 4, seed=0)
    grads = {}
    for s in (0.01, 1.0):
        torch.manual_seed(0)
        m = TinyTransformer(4, 16, 2, 1, 16, positional="learned", pos_scale=s)
        data.loss_fn(m(data.X), data.y).backward()
        grads[s] = m.pos_embed.weight.grad.norm().item()
    assert grads[0.01] < 0.05 * grads[1.0]


def test_xavier_init_sets_every_linear():
    torch.manual_seed(0)
    m = TinyTransformer(7, 32, 2, 2, 16, init="xavier")
    assert "init='xavier'" in repr(m)
    for name, mod in m.named_modules():
        if isinstance(mod, nn.Linear):
            fan_out, fan_in = mod.weight.shape
            std = (2.0 / (fan_in + fan_out)) ** 0.5
            assert mod.bias.abs().max().item() == 0.0, name
            assert 0.8 * std < mod.weight.std().item() < 1.2 * std, name
    assert m.blocks[0].norm1.weight.eq(1).all()               # LayerNorms untouched


@pytest.mark.parametrize("norm", NORMS)
def test_block_grad_norms_match_autograd(norm):
    torch.manual_seed(0)
    m = TinyTransformer(4, 16, 2, 3, 16, norm_position=norm)
    data = position_task(64, 16, 4, seed=0)
    got = block_param_grad_norms(m, data, "attn.W_v.weight")
    assert all(p.grad is None for p in m.parameters())        # .grad left untouched
    data.loss_fn(m(data.X), data.y).backward()
    expected = torch.stack([b.attn.W_v.weight.grad.norm() for b in m.blocks])
    torch.testing.assert_close(got, expected)
    assert block_param_grad_norms(m, data).shape == (3,)


@pytest.mark.parametrize("norm", NORMS)
def test_stream_grad_norms_match_hooks(norm):
    torch.manual_seed(0)
    m = TinyTransformer(4, 16, 2, 3, 16, norm_position=norm, positional="learned")
    data = position_task(64, 16, 4, seed=0)
    got = stream_grad_norms(m, data)
    assert got.shape == (4,) and all(p.grad is None for p in m.parameters())
    seen = {}
    for l, block in enumerate(m.blocks):                    # dL/d(block input), l = 0..2
        block.register_full_backward_hook(
            lambda mod, gi, go, l=l: seen.__setitem__(l, gi[0].norm()))
    m.norm_f.register_full_backward_hook(lambda mod, gi, go: seen.__setitem__(3, gi[0].norm()))
    if norm == "post":                                       # Identity: read block 3's output
        m.blocks[2].register_full_backward_hook(
            lambda mod, gi, go: seen.__setitem__(3, go[0].norm()))
    data.loss_fn(m(data.X), data.y).backward()
    torch.testing.assert_close(got, torch.stack([seen[l] for l in range(4)]))


def test_post_ln_has_larger_near_output_gradients_at_init():
    """Xiong et al. 2020 at init: Post-LN's near-output W_2 gradients exceed Pre-LN's."""
    data = position_task(128, 16, 4, seed=2)
    last = {}
    for norm in NORMS:
        torch.manual_seed(0)
        m = TinyTransformer(4, 32, 2, 12, 16, norm_position=norm, init="xavier")
        last[norm] = block_param_grad_norms(m, data)[-1].item()
    assert last["post"] > 2 * last["pre"]


@pytest.mark.parametrize("call, exc, match", [
    (lambda m, d: block_param_grad_norms(m, d, "ff.W_3.weight"), ValueError,
     r"part='ff.W_3.weight' is not one of .*ff.W_2.weight"),
    (lambda m, d: block_param_grad_norms(nn.Linear(2, 2), d), TypeError,
     r"model=Linear must be a gradkit TinyTransformer"),
    (lambda m, d: stream_grad_norms(m, (d.X, d.y)), TypeError,
     r"data=tuple must be a gradkit.data.Dataset"),
    (lambda m, d: TinyTransformer(4, 16, 2, 1, 16, pos_scale=-1.0), ValueError,
     r"pos_scale=-1.0 must be >= 0"),
    (lambda m, d: TinyTransformer(4, 16, 2, 1, 16, pos_scale="big"), TypeError,
     r"pos_scale='big' must be a finite real number"),
    (lambda m, d: TinyTransformer(4, 16, 2, 1, 16, init="kaiming"), ValueError,
     r"init='kaiming' is not one of default, xavier"),
])
def test_new_errors_name_argument_and_value(call, exc, match):
    m, d = TinyTransformer(4, 16, 2, 1, 16), position_task(8, 16, 4, seed=0)
    with pytest.raises(exc, match=match):
        call(m, d)
