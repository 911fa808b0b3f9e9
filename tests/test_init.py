"""gradkit.init against torch.nn.init: fans, gains, distributions and random streams."""
import itertools
import math
import random
import re

import numpy as np
import pytest
import torch
import torch.nn.init as tinit

import gradkit.init as ginit
from gradkit.init import (MODES, NONLINEARITIES, calculate_fan_in_and_fan_out, calculate_gain,
                          kaiming_normal_, kaiming_std, kaiming_uniform_, xavier_normal_,
                          xavier_std, xavier_uniform_)

SEEDS = [0, 1, 2]
DTYPES = [torch.float32, torch.float64]
KAIMING = list(itertools.product(["kaiming_uniform_", "kaiming_normal_"], MODES, NONLINEARITIES))
XAVIER = list(itertools.product(["xavier_uniform_", "xavier_normal_"], [1.0, 5 / 3]))


def _big_shape(seed):
    """A random weight shape with about 250,000 entries: 2-D, or 4-D (conv) for odd seeds.

    Large enough: the standard error of an empirical std is then about 0.15%, and the
    tests allow 2%.
    """
    rng = random.Random(seed)
    if seed % 2 == 0:
        out = rng.randint(200, 1200)
        return (out, 250_000 // out)
    k = rng.choice([3, 5, 7])
    out = rng.randint(32, 128)
    return (out, 250_000 // (out * k * k), k, k)


def _small_shapes(seed, n=3):
    rng = random.Random(seed)
    return [tuple(rng.randint(1, 9) for _ in range(rng.randint(2, 5))) for _ in range(n)]


def _expected_std(name, shape, arg, mode=None, nonlinearity=None):
    receptive = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    if name.startswith("xavier"):
        return arg * math.sqrt(2.0 / (fan_in + fan_out))
    fan = fan_in if mode == "fan_in" else fan_out
    return tinit.calculate_gain(nonlinearity, arg) / math.sqrt(fan)


def _check_statistics(w, ref, std, uniform):
    # numpy for the statistics: one thread, so the run time does not depend on the load
    x, r = w.reshape(-1).numpy(), ref.reshape(-1).numpy()
    assert x.std() == pytest.approx(std, rel=0.02)
    assert x.std() == pytest.approx(r.std(), rel=0.02)
    assert abs(x.mean()) < 0.03 * std  # about 10 standard errors
    if uniform:
        bound = math.sqrt(3.0) * std
        assert 0.99 * bound <= np.abs(x).max() <= bound * (1 + 1e-6)  # fills [-b, b], no more


# ---------------------------------------------------------------- fans and gains
@pytest.mark.parametrize("seed", SEEDS)
def test_fans_match_torch(seed):
    rng = random.Random(seed)
    shapes = [(rng.randint(1, 500), rng.randint(1, 500)),                        # linear
              (rng.randint(1, 64), rng.randint(1, 64), rng.randint(1, 7), rng.randint(1, 7)),
              *_small_shapes(seed)]
    for shape in shapes:
        t = torch.empty(shape)
        assert calculate_fan_in_and_fan_out(t) == tinit._calculate_fan_in_and_fan_out(t)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_gain_matches_torch(nonlinearity):
    assert calculate_gain(nonlinearity) == pytest.approx(tinit.calculate_gain(nonlinearity))
    for slope in [0, 0.01, 0.2, -0.3, 1]:
        assert calculate_gain(nonlinearity, slope) == pytest.approx(
            tinit.calculate_gain(nonlinearity, slope))


def test_gain_values_and_std_helpers():
    assert calculate_gain("tanh") == pytest.approx(5 / 3)
    assert calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert calculate_gain("selu") == 0.75
    assert xavier_std(300, 100) == pytest.approx(math.sqrt(2 / 400))
    assert xavier_std(300, 100, gain=5 / 3) == pytest.approx(5 / 3 * math.sqrt(2 / 400))
    assert kaiming_std(512) == pytest.approx(math.sqrt(2 / 512))
    assert kaiming_std(512, "tanh") == pytest.approx(5 / 3 / math.sqrt(512))
    assert kaiming_std(512, "leaky_relu", a=0.2) == pytest.approx(
        math.sqrt(2 / (1 + 0.04)) / math.sqrt(512))
    assert isinstance(xavier_std(3, 4), float) and isinstance(kaiming_std(3), float)


# ------------------------------------------------------------------ distributions
@pytest.mark.parametrize("name, gain", XAVIER)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_xavier_statistics(seed, dtype, name, gain):
    shape = _big_shape(seed)
    w, ref = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)
    out = getattr(ginit, name)(w, gain=gain, generator=torch.Generator().manual_seed(seed))
    getattr(tinit, name)(ref, gain=gain, generator=torch.Generator().manual_seed(seed + 100))
    assert out is w and w.dtype == dtype
    _check_statistics(w, ref, _expected_std(name, shape, gain), name.endswith("uniform_"))


@pytest.mark.parametrize("name, mode, nonlinearity", KAIMING)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_kaiming_statistics(seed, dtype, name, mode, nonlinearity):
    shape = _big_shape(seed)
    a = 0.2 if nonlinearity == "leaky_relu" and seed == 2 else 0
    w, ref = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)
    out = getattr(ginit, name)(w, a=a, mode=mode, nonlinearity=nonlinearity,
                               generator=torch.Generator().manual_seed(seed))
    getattr(tinit, name)(ref, a=a, mode=mode, nonlinearity=nonlinearity,
                         generator=torch.Generator().manual_seed(seed + 100))
    assert out is w and w.dtype == dtype
    std = _expected_std(name, shape, a, mode, nonlinearity)
    _check_statistics(w, ref, std, name.endswith("uniform_"))


@pytest.mark.parametrize("seed", SEEDS)
def test_same_generator_seed_gives_torchs_numbers(seed):
    # checked, not assumed: the same distribution call, so the same random stream
    for shape, dtype in itertools.product(_small_shapes(seed), DTYPES):
        calls = [(n, {"gain": g}) for n, g in XAVIER] + [
            (n, {"mode": m, "nonlinearity": nl, "a": 0.1}) for n, m, nl in KAIMING]
        for name, kwargs in calls:
            w, ref = torch.empty(shape, dtype=dtype), torch.empty(shape, dtype=dtype)
            getattr(ginit, name)(w, **kwargs, generator=torch.Generator().manual_seed(seed))
            getattr(tinit, name)(ref, **kwargs, generator=torch.Generator().manual_seed(seed))
            assert torch.equal(w, ref), (name, kwargs, shape, dtype)
        torch.manual_seed(seed)
        w = kaiming_uniform_(torch.empty(shape, dtype=dtype))
        torch.manual_seed(seed)
        assert torch.equal(w, tinit.kaiming_uniform_(torch.empty(shape, dtype=dtype)))


def test_defaults_match_torch():
    for name in ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]:
        w, ref = torch.empty(50, 30), torch.empty(50, 30)
        getattr(ginit, name)(w, generator=torch.Generator().manual_seed(7))
        getattr(tinit, name)(ref, generator=torch.Generator().manual_seed(7))
        assert torch.equal(w, ref), name


def test_parameters_are_filled_without_recording_autograd():
    layer = torch.nn.Linear(40, 30)
    out = kaiming_normal_(layer.weight, nonlinearity="relu")
    assert out is layer.weight and out.requires_grad and out.grad_fn is None
    xavier_uniform_(layer.weight)
    assert layer.weight.grad_fn is None


def test_zero_element_tensor_is_left_alone():
    for fn in [xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_]:
        for shape in [(0, 5), (0, 0), (4, 0, 3)]:
            t = torch.empty(shape)
            assert fn(t) is t


# -------------------------------------------------------------------------- errors
INITIALISERS = [xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_]


@pytest.mark.parametrize("fn", INITIALISERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(5,), ()])
def test_fewer_than_two_dims_names_the_shape(fn, shape):
    t = torch.full(shape, 7.0)
    with pytest.raises(ValueError, match=re.escape(f"tensor of shape {shape} has {len(shape)}")):
        fn(t)
    assert torch.equal(t, torch.full(shape, 7.0))


@pytest.mark.parametrize("fn, kwargs, error, message", [
    (kaiming_uniform_, {"mode": "fan_avg"}, ValueError,
     "mode='fan_avg' is not one of fan_in, fan_out"),
    (kaiming_normal_, {"mode": "FAN_IN"}, ValueError, "mode='FAN_IN' is not one of fan_in"),
    (kaiming_uniform_, {"nonlinearity": "sigmod"}, ValueError,
     "nonlinearity='sigmod' is not one of " + ", ".join(NONLINEARITIES)),
    (kaiming_normal_, {"nonlinearity": "gelu"}, ValueError, "nonlinearity='gelu' is not one of"),
    (kaiming_normal_, {"a": math.nan}, TypeError, "a=nan must be a finite real number"),
    (xavier_uniform_, {"gain": -1.0}, ValueError, "gain=-1.0 must be >= 0"),
    (xavier_normal_, {"gain": -0.5}, ValueError, "gain=-0.5 must be >= 0"),
    (xavier_normal_, {"gain": math.inf}, TypeError, "gain=inf must be a finite real number"),
    (xavier_uniform_, {"generator": 5}, TypeError, "generator=5 must be a torch.Generator"),
    (kaiming_uniform_, {"generator": "seed"}, TypeError, "generator='seed' must be a torch"),
])
def test_bad_arguments_modify_nothing(fn, kwargs, error, message):
    t = torch.full((6, 4), 7.0)
    state = torch.get_rng_state()
    with pytest.raises(error, match=re.escape(message)):
        fn(t, **kwargs)
    assert torch.equal(t, torch.full((6, 4), 7.0))
    assert torch.equal(torch.get_rng_state(), state)  # no random number drawn


@pytest.mark.parametrize("fn", INITIALISERS, ids=lambda f: f.__name__)
def test_tensor_must_be_a_float_tensor(fn):
    with pytest.raises(TypeError, match=re.escape("tensor=list must be a torch.Tensor")):
        fn([[1.0, 2.0], [3.0, 4.0]])
    t = torch.full((3, 3), 7)
    with pytest.raises(TypeError, match=re.escape("tensor of dtype torch.int64 must be floating")):
        fn(t)
    assert torch.equal(t, torch.full((3, 3), 7))


@pytest.mark.parametrize("call, error, message", [
    (lambda: calculate_gain("sigmod"), ValueError,
     "nonlinearity='sigmod' is not one of " + ", ".join(NONLINEARITIES)),
    (lambda: calculate_gain("leaky_relu", "x"), TypeError, "param='x' must be a finite real"),
    (lambda: calculate_gain("leaky_relu", True), TypeError, "param=True must be a finite real"),
    (lambda: calculate_fan_in_and_fan_out(torch.empty(3)), ValueError,
     "tensor of shape (3,) has 1 dimension"),
    (lambda: xavier_std(0, 10), ValueError, "fan_in=0 must be an integer >= 1"),
    (lambda: xavier_std(10, 2.5), TypeError, "fan_out=2.5 must be an integer"),
    (lambda: xavier_std(10, 10, gain=-2), ValueError, "gain=-2 must be >= 0"),
    (lambda: kaiming_std(-3), ValueError, "fan=-3 must be an integer >= 1"),
    (lambda: kaiming_std(10, "swish"), ValueError, "nonlinearity='swish' is not one of"),
])
def test_helper_errors(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
