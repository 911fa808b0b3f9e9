"""gradkit.clip against torch.nn.utils: global norm, value and per-tensor clipping."""
import math
import random
import re

import pytest
import torch
from torch.nn.utils import clip_grad_norm_ as torch_clip_grad_norm_
from torch.nn.utils import clip_grad_value_ as torch_clip_grad_value_

from gradkit.clip import clip_grad_norm_, clip_grad_norm_per_tensor_, clip_grad_value_

SEEDS = [0, 1, 2]
DTYPES = [torch.float32, torch.float64]
NORM_TYPES = [1, 2.0, 3.5, math.inf]


def _params(seed, dtype, n_without_grad=1):
    """Random shapes and random gradients, plus parameters with no gradient."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    params = []
    for _ in range(rng.randint(2, 5)):
        shape = tuple(rng.randint(1, 6) for _ in range(rng.randint(1, 3)))
        p = torch.randn(shape, dtype=dtype, requires_grad=True)
        p.grad = torch.randn(shape, dtype=dtype) * rng.choice([0.1, 1.0, 10.0])
        params.append(p)
    for _ in range(n_without_grad):
        params.insert(rng.randint(0, len(params)), torch.randn(3, dtype=dtype, requires_grad=True))
    return params


def _clone(params):
    out = []
    for p in params:
        q = p.detach().clone().requires_grad_()
        q.grad = None if p.grad is None else p.grad.clone()
        out.append(q)
    return out


def _grads(params):
    return [None if p.grad is None else p.grad.clone() for p in params]


def _flat(grads):
    return torch.cat([g.reshape(-1) for g in grads if g is not None])


def _assert_grads_equal(params, grads, equal_nan=False):
    for p, g in zip(params, grads):
        if g is None:
            assert p.grad is None
        else:
            torch.testing.assert_close(p.grad, g, rtol=0, atol=0, equal_nan=equal_nan)


# --------------------------------------------------------------------- global norm
@pytest.mark.parametrize("regime", ["above", "below"])
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_clip_grad_norm_matches_torch(seed, dtype, norm_type, regime):
    params = _params(seed, dtype)
    reference = _clone(params)
    before = _grads(params)
    expected_total = torch.linalg.vector_norm(_flat(before), norm_type)
    max_norm = float(expected_total) * (0.3 if regime == "above" else 3.0)

    total = clip_grad_norm_(params, max_norm, norm_type)
    torch_total = torch_clip_grad_norm_(reference, max_norm, norm_type)

    assert total.dim() == 0 and total.dtype == dtype
    torch.testing.assert_close(total, torch_total)
    torch.testing.assert_close(total, expected_total)
    for p, q in zip(params, reference):
        assert (p.grad is None) == (q.grad is None)  # parameters without a gradient skipped
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad)
    after = torch.linalg.vector_norm(_flat(_grads(params)), norm_type)
    if regime == "below":
        _assert_grads_equal(params, before)  # unchanged, bit for bit
    else:
        torch.testing.assert_close(after.item(), max_norm, rtol=1e-4, atol=0)


def test_clip_grad_norm_takes_a_single_tensor_or_a_generator():
    p = torch.zeros(4, requires_grad=True)
    p.grad = torch.tensor([3.0, 4.0, 0.0, 0.0])
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    torch.testing.assert_close(p.grad.norm().item(), 1.0, rtol=1e-5, atol=0)
    q = torch.zeros(2, requires_grad=True)
    q.grad = torch.tensor([6.0, 8.0])
    assert clip_grad_norm_((t for t in [q]), 5.0).item() == pytest.approx(10.0)
    torch.testing.assert_close(q.grad, torch.tensor([3.0, 4.0]), rtol=1e-5, atol=0)


def test_no_gradients_gives_zero_like_torch():
    params = [torch.ones(3, requires_grad=True)]
    for call in (clip_grad_norm_, torch_clip_grad_norm_):
        total = call(params, 1.0)
        assert total.dim() == 0 and total.item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0
    assert clip_grad_norm_per_tensor_(params, 1.0).shape == (0,)
    assert params[0].grad is None


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("dtype", DTYPES)
def test_error_if_nonfinite_like_torch(dtype, bad):
    params = _params(0, dtype)
    params[-1].grad.view(-1)[0] = bad
    reference = _clone(params)
    before = _grads(params)
    with pytest.raises(RuntimeError, match=r"non-finite"):
        torch_clip_grad_norm_(reference, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match=rf"is {bad}.*error_if_nonfinite=False"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    _assert_grads_equal(params, before, equal_nan=True)  # raised before touching anything

    total = clip_grad_norm_(params, 1.0, error_if_nonfinite=False)
    torch_total = torch_clip_grad_norm_(reference, 1.0, error_if_nonfinite=False)
    torch.testing.assert_close(total, torch_total, equal_nan=True)
    for p, q in zip(params, reference):
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, equal_nan=True)


@pytest.mark.parametrize("norm_type", NORM_TYPES)
def test_no_host_sync_runs_on_meta_tensors(norm_type):
    # a meta tensor has no values: any Python branch on a tensor value would raise here
    params = [torch.empty(s, device="meta", requires_grad=True) for s in [(3, 4), (5,)]]
    for p in params:
        p.grad = torch.empty_like(p)
    assert clip_grad_norm_(params, 1.0, norm_type).device.type == "meta"
    assert clip_grad_norm_per_tensor_(params, 1.0, norm_type).shape == (2,)


# --------------------------------------------------------------------------- value
@pytest.mark.parametrize("clip_value", [0.0, 0.05, 0.5, 100.0])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_clip_grad_value_matches_torch(seed, dtype, clip_value):
    params = _params(seed, dtype)
    reference = _clone(params)
    assert clip_grad_value_(params, clip_value) is None
    torch_clip_grad_value_(reference, clip_value)
    _assert_grads_equal(params, _grads(reference))
    for p in params:
        if p.grad is not None:
            assert p.grad.abs().max() <= torch.tensor(clip_value, dtype=dtype)  # in its dtype


# ---------------------------------------------------------------------- per tensor
def _cosine(a, b):
    return (a @ b / (a.norm() * b.norm())).item()


@pytest.mark.parametrize("norm_type", [1, 2.0, math.inf])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_per_tensor_clips_each_tensor_and_keeps_its_direction(seed, dtype, norm_type):
    params = _params(seed, dtype)
    before = _grads(params)
    expected = torch.stack([torch.linalg.vector_norm(g, norm_type) for g in before
                            if g is not None])
    max_norm = float(expected.median()) * 1.01  # some tensors above it, some below
    norms = clip_grad_norm_per_tensor_(params, max_norm, norm_type)
    torch.testing.assert_close(norms, expected, rtol=0, atol=0)
    for p, g in zip(params, before):
        if g is None:
            assert p.grad is None
            continue
        n = torch.linalg.vector_norm(g, norm_type).item()
        assert torch.linalg.vector_norm(p.grad, norm_type).item() <= max_norm * (1 + 1e-6)
        if n <= max_norm:
            torch.testing.assert_close(p.grad, g, rtol=0, atol=0)
        else:  # the same direction: a positive multiple of the old gradient
            assert _cosine(p.grad.reshape(-1), g.reshape(-1)) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_per_tensor_turns_the_full_gradient_global_does_not(seed, dtype):
    torch.manual_seed(seed)
    shapes, scales = [(20, 10), (10,), (5, 5)], [100.0, 0.01, 1.0]  # very different norms
    params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes]
    for p, c in zip(params, scales):
        p.grad = torch.randn(p.shape, dtype=dtype) * c
    original = _flat(_grads(params))
    other = _clone(params)

    clip_grad_norm_per_tensor_(params, 1.0)
    clip_grad_norm_(other, 1.0)
    assert _cosine(_flat(_grads(params)), original) < 0.99
    assert _cosine(_flat(_grads(other)), original) == pytest.approx(1.0, abs=1e-5)


# -------------------------------------------------------------------------- errors
CALLS = {
    "norm": lambda ps, **kw: clip_grad_norm_(ps, **{"max_norm": 1.0, **kw}),
    "per_tensor": lambda ps, **kw: clip_grad_norm_per_tensor_(ps, **{"max_norm": 1.0, **kw}),
    "value": lambda ps, **kw: clip_grad_value_(ps, **{"clip_value": 0.1, **kw}),
}


@pytest.mark.parametrize("call, kwargs, error, message", [
    ("norm", {"max_norm": -1.0}, ValueError, "max_norm=-1.0 must be >= 0"),
    ("norm", {"max_norm": math.nan}, TypeError, "max_norm=nan must be a finite"),
    ("norm", {"max_norm": math.inf}, TypeError, "max_norm=inf must be a finite"),
    ("norm", {"max_norm": "1"}, TypeError, "max_norm='1' must be a finite"),
    ("per_tensor", {"max_norm": -0.5}, ValueError, "max_norm=-0.5 must be >= 0"),
    ("per_tensor", {"max_norm": math.inf}, TypeError, "max_norm=inf must be a finite"),
    ("value", {"clip_value": -0.1}, ValueError, "clip_value=-0.1 must be >= 0"),
    ("value", {"clip_value": math.nan}, TypeError, "clip_value=nan must be a finite"),
    ("norm", {"norm_type": 0}, ValueError, "norm_type=0 must be a positive number or inf"),
    ("norm", {"norm_type": -2.0}, ValueError, "norm_type=-2.0 must be a positive number"),
    ("norm", {"norm_type": math.nan}, ValueError, "norm_type=nan must be a positive number"),
    ("norm", {"norm_type": "fro"}, ValueError, "norm_type='fro' must be a positive number"),
    ("norm", {"norm_type": True}, ValueError, "norm_type=True must be a positive number"),
    ("per_tensor", {"norm_type": -math.inf}, ValueError, "norm_type=-inf must be a positive"),
    ("norm", {"error_if_nonfinite": "yes"}, TypeError, "error_if_nonfinite='yes' must be True"),
])
def test_bad_arguments_raise_before_touching_gradients(call, kwargs, error, message):
    params = _params(0, torch.float32)
    before = _grads(params)
    with pytest.raises(error, match=re.escape(message)):
        CALLS[call](params, **kwargs)
    _assert_grads_equal(params, before)


@pytest.mark.parametrize("call", sorted(CALLS))
def test_parameters_must_be_tensors(call):
    params = _params(1, torch.float32)
    before = _grads(params)
    message = "parameters[2]=3.0 is a float, must be a torch.Tensor"
    with pytest.raises(TypeError, match=re.escape(message)):
        CALLS[call](params[:2] + [3.0] + params[2:])
    _assert_grads_equal(params, before)
    with pytest.raises(TypeError, match=re.escape("parameters=5 must be a tensor or an iterable")):
        CALLS[call](5)
    message = "parameters=Linear is a module; pass model.parameters() instead"
    with pytest.raises(TypeError, match=re.escape(message)):
        CALLS[call](torch.nn.Linear(2, 2))


# --------------------------------------------------------------------- clip-hit rate
def test_clip_hit_rate_counts_steps_above_the_threshold():
    from gradkit.clip import clip_hit_rate
    norms = [0.5, 2.0, 1.0, 3.0, float("nan"), 0.1, float("inf")]
    assert clip_hit_rate(norms, 1.0) == pytest.approx(4 / 7)       # 1.0 itself is not clipped
    assert clip_hit_rate(torch.tensor(norms), 10.0) == pytest.approx(2 / 7)
    per_window = clip_hit_rate(norms, 1.0, window=3)
    torch.testing.assert_close(per_window, torch.tensor([1 / 3, 2 / 3, 1.0], dtype=torch.float64))


def test_clip_hit_rate_agrees_with_clip_grad_norm_acting():
    from gradkit.clip import clip_hit_rate
    torch.manual_seed(0)
    norms, acted = [], []
    for k in range(40):
        p = torch.zeros(5, requires_grad=True)
        p.grad = torch.randn(5) * (k % 7)
        before = p.grad.clone()
        norms.append(clip_grad_norm_([p], 4.0).item())
        acted.append(not torch.equal(before, p.grad))
    assert clip_hit_rate(norms, 4.0) == pytest.approx(sum(acted) / len(acted))


@pytest.mark.parametrize("kwargs, match", [
    (dict(grad_norms=[], max_norm=1.0), "grad_norms has shape"),
    (dict(grad_norms=[[1.0, 2.0]], max_norm=1.0), "grad_norms has shape"),
    (dict(grad_norms="abc", max_norm=1.0), "grad_norms=str"),
    (dict(grad_norms=[1.0], max_norm=-1.0), "max_norm=-1.0"),
    (dict(grad_norms=[1.0], max_norm=1.0, window=0), "window=0"),
])
def test_clip_hit_rate_rejects_bad_arguments(kwargs, match):
    from gradkit.clip import clip_hit_rate
    with pytest.raises((TypeError, ValueError), match=re.escape(match)):
        clip_hit_rate(**kwargs)
