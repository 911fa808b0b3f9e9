"""gradkit.optim against torch.optim: 200-step trajectories, state, closures, errors."""
import inspect
import io
import math
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import gradkit as gk
from gradkit import optim

STEPS = 200
SEEDS = [0, 1, 2]
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}

# Learning rates keep all 200 steps in the descending phase: near a minimum, a constant-lr
# adaptive method oscillates chaotically, and any rounding difference (even a different
# but equivalent order of operations) grows exponentially there.
SETTINGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, maximize=True)),
    ("RMSprop", dict(lr=5e-4)),
    ("RMSprop", dict(lr=3e-4, momentum=0.9)),
    ("RMSprop", dict(lr=2e-4, centered=True)),
    ("RMSprop", dict(lr=5e-4, weight_decay=0.01)),
    ("RMSprop", dict(lr=5e-4, momentum=0.5, centered=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=3e-3, weight_decay=0.1)),
    ("Adam", dict(amsgrad=True)),
    ("Adam", dict(betas=(0.8, 0.99))),
    ("Adam", dict(betas=(0.95, 0.9), eps=1e-6)),
    ("AdamW", dict()),
    ("AdamW", dict(weight_decay=0.5, amsgrad=True)),
]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: on a busy two-core machine OpenMP's parallel regions make every op
    many times slower than on one thread (the whole file ran 15x slower under load)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _problem(seed, dtype=torch.float64):
    """A small MLP and one fixed classification batch, both determined by ``seed``."""
    torch.manual_seed(seed)
    model = gk.MLP(3, 16, in_features=4, out_features=3).to(dtype)
    g = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(32, 4, generator=g).to(dtype)  # (batch, in_features)
    y = torch.randint(3, (32,), generator=g)        # (batch,)
    return model, x, y


def _loss(model, x, y):
    return F.cross_entropy(model(x), y)


def _train(model, opt, x, y, steps=STEPS):
    for _ in range(steps):
        opt.zero_grad()
        _loss(model, x, y).backward()
        opt.step()


def _params(model):
    return [p.detach().clone() for p in model.parameters()]


def _assert_same(ours, theirs, atol):
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=atol)


def _pair(name, kwargs, seed, dtype=torch.float64):
    """Two identical models, one with gradkit's optimizer and one with torch's."""
    model, x, y = _problem(seed, dtype)
    twin, _, _ = _problem(seed, dtype)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters()))
    return (model, getattr(optim, name)(model.parameters(), **kwargs),
            twin, getattr(torch.optim, name)(twin.parameters(), **kwargs), x, y)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name, kwargs", SETTINGS,
                         ids=[f"{n}-{'-'.join(map(str, k.items())) or 'default'}" for n, k in SETTINGS])
def test_trajectory_matches_torch(name, kwargs, seed, dtype):
    model, ours, twin, theirs, x, y = _pair(name, kwargs, seed, dtype)
    start = _params(model)
    _train(model, ours, x, y)
    _train(twin, theirs, x, y)
    moved = max((a - b).abs().max().item() for a, b in zip(_params(model), start))
    assert moved > 0.05                                # the comparison is not trivial
    _assert_same(_params(model), _params(twin), TOL[dtype])
    for p, q in zip(model.parameters(), twin.parameters()):  # same state, same names
        assert set(ours.state[p]) == set(theirs.state[q])
        for key, value in theirs.state[q].items():
            if key == "step":
                assert ours.state[p]["step"] == int(value) == STEPS
            else:
                torch.testing.assert_close(ours.state[p][key], value, rtol=0,
                                           atol=TOL[dtype] * 100)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW"])
def test_defaults_are_torchs(name):
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    shared = [k for k in ours if k not in ("params", "bias_correction", "decoupled_weight_decay")]
    assert shared
    for k in shared:
        assert ours[k].default == theirs[k].default, k


@pytest.mark.parametrize("name, kwargs, groups", [
    ("SGD", dict(lr=0.01, momentum=0.9), [dict(lr=0.1), dict(momentum=0.5)]),
    ("RMSprop", dict(lr=1e-3), [dict(lr=3e-4), dict(centered=True)]),
    ("Adam", dict(lr=1e-3), [dict(lr=3e-3, amsgrad=True), dict(betas=(0.8, 0.99))]),
])
def test_param_groups_match_torch(name, kwargs, groups):
    def opt(module, cls):
        first, rest = module.layers[0], module.layers[1:]
        return cls([dict(params=first.parameters(), **groups[0]),
                     dict(params=rest.parameters(), **groups[1])], **kwargs)
    model, x, y = _problem(3)
    twin, _, _ = _problem(3)
    ours, theirs = opt(model, getattr(optim, name)), opt(twin, getattr(torch.optim, name))
    assert ours.param_groups[0]["lr"] == groups[0].get("lr", kwargs["lr"])
    _train(model, ours, x, y)
    _train(twin, theirs, x, y)
    _assert_same(_params(model), _params(twin), 1e-10)


def test_lr_scheduler_drives_the_group_lr():
    model, ours, twin, theirs, x, y = _pair("SGD", dict(lr=0.1, momentum=0.9), 4)
    schedules = [torch.optim.lr_scheduler.StepLR(o, step_size=50, gamma=0.5)
                 for o in (ours, theirs)]
    for _ in range(STEPS):
        for m, o, s in zip((model, twin), (ours, theirs), schedules):
            o.zero_grad()
            _loss(m, x, y).backward()
            o.step()
            s.step()
    assert ours.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 4)
    _assert_same(_params(model), _params(twin), 1e-10)


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.05, momentum=0.9)),
                                          ("RMSprop", dict(lr=1e-3)), ("Adam", dict())])
def test_closure_is_evaluated_with_grad_and_its_loss_returned(name, kwargs):
    model, ours, twin, theirs, x, y = _pair(name, kwargs, 5)

    def closure_for(m, o):
        def closure():
            o.zero_grad()
            loss = _loss(m, x, y)
            loss.backward()
            return loss
        return closure

    for _ in range(50):
        with torch.no_grad():                          # closure must still get gradients
            loss = ours.step(closure_for(model, ours))
        expected = theirs.step(closure_for(twin, theirs))
        assert loss.item() == pytest.approx(expected.item(), rel=1e-12)
    _assert_same(_params(model), _params(twin), 1e-10)
    assert ours.step() is None                         # no closure, no loss


@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
                                          ("RMSprop", dict(lr=1e-3, weight_decay=0.1)),
                                          ("Adam", dict(weight_decay=0.1)),
                                          ("AdamW", dict())])
def test_parameters_without_grad_are_skipped(name, kwargs):
    model, x, y = _problem(6)
    twin, _, _ = _problem(6)
    unused = nn.Parameter(torch.ones(3, dtype=torch.float64))  # never in the loss
    ours = getattr(optim, name)([*model.parameters(), unused], **kwargs)
    theirs = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    frozen, twin_frozen = model.layers[0].weight, twin.layers[0].weight
    for t in range(STEPS):
        for m, o, w in ((model, ours, frozen), (twin, theirs, twin_frozen)):
            o.zero_grad()
            _loss(m, x, y).backward()
            if t % 3 == 0:
                w.grad = None                          # no update, not even weight decay
            o.step()
    assert torch.equal(unused, torch.ones(3, dtype=torch.float64))
    assert unused not in ours.state
    _assert_same(_params(model), _params(twin), 1e-10)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_sparse_gradients_raise_before_any_update(name):
    torch.manual_seed(0)
    emb, lin = nn.Embedding(10, 3, sparse=True), nn.Linear(3, 1)
    opt = getattr(optim, name)([*lin.parameters(), *emb.parameters()], lr=0.1)
    before = [p.detach().clone() for p in (*lin.parameters(), *emb.parameters())]
    lin(emb(torch.tensor([1, 2]))).sum().backward()
    with pytest.raises(RuntimeError, match=rf"{name} does not support sparse gradients: "
                       r"param_groups\[0\]\['params'\]\[2\]"):
        opt.step()
    after = [p.detach() for p in (*lin.parameters(), *emb.parameters())]
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # nothing half-done
    assert len(opt.state) == 0


# ---- Adam's bias correction -----------------------------------------------------------

@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.99)])
def test_adam_first_step_without_bias_correction(betas):
    """First step, from p = 0 (so p_1 = -step exactly), with m_0 = v_0 = 0:

    m_1 = (1 - beta1) g,  v_1 = (1 - beta2) g^2.
    Corrected:   m_hat = g, v_hat = g^2       -> step = lr g / (|g| + eps)
    Uncorrected: m_hat = m_1, v_hat = v_1     -> step = lr (1 - beta1) g / (sqrt(1 - beta2)|g| + eps)
    Ratio uncorrected / corrected = (1 - beta1)(|g| + eps) / (sqrt(1 - beta2)|g| + eps),
    which is (1 - beta1) / sqrt(1 - beta2) when |g| >> eps (0.1 / sqrt(0.001) = 3.16 by default).
    """
    beta1, beta2 = betas
    lr, eps = 1e-3, 1e-8
    g = torch.randn(1000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    g[:10] *= 1e-8                                     # |g| ~ eps: the eps terms matter
    steps = {}
    for bias_correction in (True, False):
        p = nn.Parameter(torch.zeros(1000, dtype=torch.float64))
        p.grad = g.clone()
        optim.Adam([p], lr=lr, betas=betas, eps=eps, bias_correction=bias_correction).step()
        steps[bias_correction] = -p.detach()
    torch.testing.assert_close(steps[True], lr * g / (g.abs() + eps), rtol=1e-12, atol=0)
    ratio = (1 - beta1) * (g.abs() + eps) / (math.sqrt(1 - beta2) * g.abs() + eps)
    torch.testing.assert_close(steps[False], ratio * steps[True], rtol=1e-12, atol=0)
    big = g.abs() > 0.1
    torch.testing.assert_close(steps[False][big] / steps[True][big],
                               torch.full_like(g[big], (1 - beta1) / math.sqrt(1 - beta2)),
                               rtol=1e-5, atol=0)


def test_adam_without_bias_correction_differs_from_torch_but_keeps_its_moments():
    model, ours, twin, theirs, x, y = _pair("Adam", dict(), 7)
    ours.param_groups[0]["bias_correction"] = False
    _train(model, ours, x, y, steps=1)
    _train(twin, theirs, x, y, steps=1)
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(ours.state[p]["exp_avg"], theirs.state[q]["exp_avg"])
        torch.testing.assert_close(ours.state[p]["exp_avg_sq"], theirs.state[q]["exp_avg_sq"])
    _train(model, ours, x, y, steps=STEPS - 1)
    _train(twin, theirs, x, y, steps=STEPS - 1)
    assert max((a - b).abs().max().item()
               for a, b in zip(_params(model), _params(twin))) > 1e-2


def test_adamw_is_adam_with_decoupled_weight_decay():
    model, x, y = _problem(8)
    twin, _, _ = _problem(8)
    _train(model, optim.AdamW(model.parameters(), weight_decay=0.3), x, y)
    _train(twin, optim.Adam(twin.parameters(), weight_decay=0.3, decoupled_weight_decay=True),
           x, y)
    _assert_same(_params(model), _params(twin), 0)


# ---- state_dict ------------------------------------------------------------------------

@pytest.mark.parametrize("name, kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("RMSprop", dict(lr=5e-4, momentum=0.5, centered=True)),
    ("Adam", dict(lr=3e-3, amsgrad=True, bias_correction=False)),
    ("AdamW", dict(betas=(0.8, 0.99))),
])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    cls = getattr(optim, name)
    model, x, y = _problem(9)
    _train(model, cls(model.parameters(), **kwargs), x, y)      # uninterrupted

    half, _, _ = _problem(9)
    opt = cls(half.parameters(), **kwargs)
    _train(half, opt, x, y, steps=STEPS // 2)
    buffer = io.BytesIO()
    torch.save({"model": half.state_dict(), "opt": opt.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer)                                  # weights_only: plain data

    fresh, _, _ = _problem(10)                                  # other weights, default args
    fresh.load_state_dict(saved["model"])
    fresh_opt = cls(fresh.parameters())
    fresh_opt.load_state_dict(saved["opt"])
    assert fresh_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _train(fresh, fresh_opt, x, y, steps=STEPS - STEPS // 2)
    _assert_same(_params(fresh), _params(model), 0)


# ---- argument errors -------------------------------------------------------------------

BAD = [
    ("SGD", dict(lr=-0.1), ValueError, "lr=-0.1 must be >= 0"),
    ("SGD", dict(lr="0.1"), TypeError, "lr='0.1' must be a finite real number"),
    ("SGD", dict(lr=float("nan")), TypeError, "lr=nan must be a finite real number"),
    ("SGD", dict(momentum=-0.9), ValueError, "momentum=-0.9 must be >= 0"),
    ("SGD", dict(dampening=1.5), ValueError, "dampening=1.5 must be in [0, 1]"),
    ("SGD", dict(weight_decay=-1e-4), ValueError, "weight_decay=-0.0001 must be >= 0"),
    ("SGD", dict(nesterov=True), ValueError,
     "nesterov=True requires momentum > 0 and dampening = 0, got momentum=0, dampening=0"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError,
     "nesterov=True requires momentum > 0 and dampening = 0, got momentum=0.9, dampening=0.1"),
    ("SGD", dict(nesterov="yes", momentum=0.9), TypeError, "nesterov='yes' must be True or False"),
    ("SGD", dict(maximize=1), TypeError, "maximize=1 must be True or False"),
    ("RMSprop", dict(lr=-1), ValueError, "lr=-1 must be >= 0"),
    ("RMSprop", dict(alpha=1.0), ValueError, "alpha=1.0 must be in [0, 1)"),
    ("RMSprop", dict(alpha=-0.1), ValueError, "alpha=-0.1 must be in [0, 1)"),
    ("RMSprop", dict(eps=0), ValueError, "eps=0 must be > 0"),
    ("RMSprop", dict(eps=-1e-8), ValueError, "eps=-1e-08 must be > 0"),
    ("RMSprop", dict(weight_decay=-0.1), ValueError, "weight_decay=-0.1 must be >= 0"),
    ("RMSprop", dict(momentum=-0.5), ValueError, "momentum=-0.5 must be >= 0"),
    ("RMSprop", dict(centered=None), TypeError, "centered=None must be True or False"),
    ("Adam", dict(lr=-1e-3), ValueError, "lr=-0.001 must be >= 0"),
    ("Adam", dict(betas=(1.0, 0.999)), ValueError, "betas=(1.0, 0.999): beta1=1.0 must be in [0, 1)"),
    ("Adam", dict(betas=(0.9, -0.1)), ValueError, "betas=(0.9, -0.1): beta2=-0.1 must be in [0, 1)"),
    ("Adam", dict(betas=(0.9, 1)), ValueError, "betas=(0.9, 1): beta2=1 must be in [0, 1)"),
    ("Adam", dict(betas=(0.9,)), ValueError, "betas=(0.9,) must be a pair (beta1, beta2)"),
    ("Adam", dict(betas=0.9), ValueError, "betas=0.9 must be a pair (beta1, beta2)"),
    ("Adam", dict(eps=0.0), ValueError, "eps=0.0 must be > 0"),
    ("Adam", dict(weight_decay=-0.1), ValueError, "weight_decay=-0.1 must be >= 0"),
    ("Adam", dict(amsgrad="no"), TypeError, "amsgrad='no' must be True or False"),
    ("Adam", dict(bias_correction=0), TypeError, "bias_correction=0 must be True or False"),
    ("AdamW", dict(weight_decay=-0.01), ValueError, "weight_decay=-0.01 must be >= 0"),
    ("AdamW", dict(betas=(0.9, 1.5)), ValueError, "betas=(0.9, 1.5): beta2=1.5 must be in [0, 1)"),
]


@pytest.mark.parametrize("name, kwargs, error, message", BAD,
                         ids=[f"{n}-{k}" for n, k, _, _ in BAD])
def test_bad_arguments_raise_before_any_work(name, kwargs, error, message):
    p = nn.Parameter(torch.zeros(2))
    params = iter([p])
    with pytest.raises(error, match=re.escape(message)):
        getattr(optim, name)(params, **kwargs)
    assert next(params) is p                           # the params were not even read


@pytest.mark.parametrize("name, group, message", [
    ("SGD", dict(lr=-1), "lr=-1 must be >= 0"),
    ("SGD", dict(momentum=0, nesterov=True), "nesterov=True requires momentum > 0"),
    ("RMSprop", dict(alpha=2), "alpha=2 must be in [0, 1)"),
    ("Adam", dict(betas=(0.9, 1.0)), "beta2=1.0 must be in [0, 1)"),
])
def test_bad_param_group_values_raise(name, group, message):
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))
    kwargs = dict(momentum=0.9, nesterov=True) if name == "SGD" else {}
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(optim, name)([dict(params=[a]), dict(params=[b], **group)], **kwargs)
    opt = getattr(optim, name)([a], **kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.add_param_group(dict(params=[b], **group))
    assert len(opt.param_groups) == 1
