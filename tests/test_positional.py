"""gradkit.positional.sinusoidal_encoding against the formula of Vaswani et al. 2017."""
import math

import pytest
import torch

from gradkit.positional import offset_matrix, sinusoidal_encoding


SIZES = [(1, 1), (1, 2), (7, 4), (16, 32), (50, 9), (3, 5)]


@pytest.mark.parametrize("max_len, d_model", SIZES)
def test_equals_the_formula_elementwise(max_len, d_model):
    pe = sinusoidal_encoding(max_len, d_model, dtype=torch.float64)
    assert pe.shape == (max_len, d_model) and pe.dtype == torch.float64
    expected = torch.empty(max_len, d_model, dtype=torch.float64)
    for pos in range(max_len):
        for j in range(d_model):
            i = j // 2
            angle = pos / 10000.0 ** (2 * i / d_model)
            expected[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    torch.testing.assert_close(pe, expected, atol=1e-12, rtol=0)


def test_custom_base_and_float32_default():
    pe = sinusoidal_encoding(5, 6, base=100.0)
    assert pe.dtype == torch.float32
    assert pe[3, 2].item() == pytest.approx(math.sin(3 / 100.0 ** (2 / 6)), abs=1e-6)
    assert pe[3, 5].item() == pytest.approx(math.cos(3 / 100.0 ** (4 / 6)), abs=1e-6)


@pytest.mark.parametrize("d_model", [1, 8, 33, 128])
def test_bounded_and_position_zero_alternates_0_1(d_model):
    pe = sinusoidal_encoding(512, d_model)
    assert pe.abs().max().item() <= 1.0
    assert pe[0, 0::2].eq(0).all() and pe[0, 1::2].eq(1).all()   # sin 0 = 0, cos 0 = 1


def test_odd_d_model_keeps_the_sine_of_the_last_frequency():
    odd, even = sinusoidal_encoding(20, 7), sinusoidal_encoding(20, 8)
    assert odd.shape == (20, 7)
    pos = torch.arange(20, dtype=torch.float64)
    last = torch.sin(pos / 10000.0 ** (6 / 7)).float()   # column 6 = 2i with i = 3
    torch.testing.assert_close(odd[:, 6], last)
    assert not torch.allclose(odd[:, :6], even[:, :6])   # frequencies depend on d_model


def test_rows_are_distinct():
    pe = sinusoidal_encoding(64, 16)
    dist = torch.cdist(pe, pe) + torch.eye(64) * 10
    assert dist.min().item() > 1e-2


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(max_len=0, d_model=4), ValueError, r"max_len=0 must be an integer >= 1"),
    (dict(max_len=4, d_model=0), ValueError, r"d_model=0 must be an integer >= 1"),
    (dict(max_len=4, d_model=-3), ValueError, r"d_model=-3 must be an integer >= 1"),
    (dict(max_len=2.5, d_model=4), TypeError, r"max_len=2.5 must be an integer"),
    (dict(max_len=4, d_model=4, base=0.0), ValueError, r"base=0.0 must be > 0"),
    (dict(max_len=4, d_model=4, dtype=torch.int64), TypeError, r"dtype=torch.int64 must be"),
])
def test_errors_name_argument_and_value(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sinusoidal_encoding(**kwargs)


@pytest.mark.parametrize("k", [0, 1, 5, -3, 100])
@pytest.mark.parametrize("d_model", [2, 16, 30])
def test_offset_matrix_shifts_every_position(k, d_model):
    pe = sinusoidal_encoding(400, d_model, dtype=torch.float64)
    M = offset_matrix(k, d_model, dtype=torch.float64)
    assert M.shape == (d_model, d_model)
    lo, hi = max(0, -k), 400 - max(0, k)
    torch.testing.assert_close(pe[lo + k:hi + k], pe[lo:hi] @ M, atol=1e-10, rtol=0)
    torch.testing.assert_close(M @ M.T, torch.eye(d_model, dtype=torch.float64), atol=1e-12, rtol=0)


def test_offset_matrix_composes_and_inverts():
    M2, M3, M5 = (offset_matrix(k, 8, dtype=torch.float64) for k in (2, 3, 5))
    torch.testing.assert_close(M2 @ M3, M5, atol=1e-12, rtol=0)
    torch.testing.assert_close(offset_matrix(-5, 8, dtype=torch.float64), M5.T, atol=1e-12, rtol=0)
    torch.testing.assert_close(offset_matrix(0, 8), torch.eye(8))
    assert offset_matrix(3, 8).dtype == torch.float32
    pe = sinusoidal_encoding(20, 6, base=100.0)
    torch.testing.assert_close(pe[4:], pe[:-4] @ offset_matrix(4, 6, base=100.0),
                               atol=1e-6, rtol=0)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(k=1, d_model=7), ValueError, r"d_model=7 must be even"),
    (dict(k=1, d_model=0), ValueError, r"d_model=0 must be an integer >= 2"),
    (dict(k=1.5, d_model=4), TypeError, r"k=1.5 must be an integer"),
    (dict(k=1, d_model=4, base=-1.0), ValueError, r"base=-1.0 must be > 0"),
    (dict(k=1, d_model=4, dtype=torch.int32), TypeError, r"dtype=torch.int32 must be"),
])
def test_offset_matrix_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        offset_matrix(**kwargs)


def test_plot_heatmap_draws_the_table():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gradkit.plots import plot_heatmap
    pe = sinusoidal_encoding(10, 6)
    ax = plot_heatmap(pe, xlabel="dimension", ylabel="position", title="PE",
                      cbar_label="value")
    image = ax.images[0]
    assert image.get_array().shape == (10, 6)
    assert image.get_clim() == pytest.approx((-1.0, 1.0), abs=1e-6)   # symmetric about 0
    assert ax.get_xlabel() == "dimension" and ax.get_title() == "PE"
    with pytest.raises(ValueError, match=r"matrix has shape \(10,\); must be 2-D"):
        plot_heatmap(pe[:, 0])
    plt.close("all")
