"""gradkit.plots.plot_landscape: contours from grid(), paths drawn from recorded iterates."""
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from gradkit.landscapes import Quadratic, Rosenbrock, descend  # noqa: E402
from gradkit._landscape_plot import _visible_part  # noqa: E402
from gradkit.plots import plot_landscape  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _lines(ax):
    """The plotted lines' data as float64 (k, 2) tensors, in drawing order."""
    return [torch.tensor(list(zip(line.get_xdata(), line.get_ydata())), dtype=torch.float64)
            .reshape(-1, 2) for line in ax.get_lines()]


def test_one_trajectory_draws_contours_path_start_and_minimum():
    q = Quadratic(condition_number=10)
    tr = descend(q, (-1.5, 1.0), lr=0.1, steps=20)
    ax = plot_landscape(q, trajectories=tr, title="t")
    assert ax.get_xlim() == q.xlim and ax.get_ylim() == q.ylim
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$" and ax.get_title() == "t"
    assert ax.get_aspect() == 1.0
    path, start, minimum = _lines(ax)
    torch.testing.assert_close(path, tr.points)             # every iterate, in order
    torch.testing.assert_close(start, tr.points[:1])
    torch.testing.assert_close(minimum, q.minimum.reshape(1, 2))
    assert ax.get_legend() is None                          # no labels, no legend
    assert len(ax.collections) >= 1                         # the contour lines


@pytest.mark.parametrize("kind", ["tensor", "list", "dict"])
def test_accepts_tensors_lists_and_labelled_dicts(kind):
    q = Quadratic(condition_number=4)
    a = descend(q, (1.0, 1.0), lr=0.1, steps=5)
    b = descend(q, (-1.0, 1.0), lr=0.2, steps=7, momentum=0.5)
    trajectories = {"tensor": a.points, "list": [a, b.points], "dict": {"gd": a, "momentum": b}}[kind]
    ax = plot_landscape(q, trajectories=trajectories)
    n_paths = 1 if kind == "tensor" else 2
    assert len(ax.get_lines()) == 2 * n_paths + 1           # path + start per path, minimum
    if kind == "dict":
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["gd", "momentum", "minimum"]
        assert ax.get_lines()[0].get_color() == ax.get_lines()[1].get_color()   # start matches path


def test_a_diverging_run_is_cut_at_the_edge_of_the_extended_view():
    q = Quadratic(condition_number=10)
    tr = descend(q, (1.0, 1.0), lr=1.5 * q.max_stable_lr, steps=200)
    assert tr.diverged and tr.points.abs().max() > 1e6
    ax = plot_landscape(q, trajectories=tr)
    path = _lines(ax)[0]
    assert torch.isfinite(path).all()
    assert path.abs().max().item() == pytest.approx(6.0)   # view [-2, 2], one span (4) beyond
    k = path.shape[0] - 1                                   # points before the cut are unchanged
    torch.testing.assert_close(path[:k], tr.points[:k])
    assert ax.get_xlim() == q.xlim and ax.get_ylim() == q.ylim


def test_visible_part_ends_on_the_box_edge_or_before_a_non_finite_point():
    box = torch.tensor([[-1.0, -1.0], [1.0, 1.0]], dtype=torch.float64)
    inside = torch.tensor([[0.0, 0.0], [0.5, -0.5]], dtype=torch.float64)
    assert torch.equal(_visible_part(inside, box), inside)
    leaving = torch.tensor([[0.0, 0.0], [0.5, 0.0], [1e100, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(_visible_part(leaving, box),
                               torch.tensor([[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]], dtype=torch.float64))
    diagonal = torch.tensor([[0.0, 0.0], [4.0, 2.0]], dtype=torch.float64)  # leaves through x = 1
    torch.testing.assert_close(_visible_part(diagonal, box)[-1],
                               torch.tensor([1.0, 0.5], dtype=torch.float64))
    nan = torch.tensor([[0.0, 0.0], [0.5, 0.5], [math.nan, 0.0]], dtype=torch.float64)
    assert torch.equal(_visible_part(nan, box), nan[:2])
    outside = torch.tensor([[5.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    assert _visible_part(outside, box).shape == (0, 2)


def test_levels_are_geometric_by_default_even_when_asked_and_explicit_when_given():
    q = Quadratic(condition_number=100)
    _, _, Z = q.grid(201)
    ax = plot_landscape(q, levels=12)
    rise = torch.tensor(ax.collections[0].levels, dtype=torch.float64) - Z.min()
    ratios = rise[1:] / rise[:-1]
    assert len(rise) == 12 and torch.allclose(ratios, ratios[0].expand_as(ratios))
    assert rise[-1].item() == pytest.approx((Z - Z.min()).max().item())
    ax = plot_landscape(q, levels=5, log_levels=False)
    gaps = torch.diff(torch.tensor(ax.collections[0].levels, dtype=torch.float64))
    assert torch.allclose(gaps, gaps[0].expand_as(gaps))
    ax = plot_landscape(q, levels=[0.1, 1.0, 10.0])
    assert list(ax.collections[0].levels) == [0.1, 1.0, 10.0]


def test_only_reads_the_grid_and_never_evaluates_f():
    class GridOnly:
        """A landscape that can only be plotted: no __call__, so no loss or gradient."""

        calls = 0

        def grid(self, n=201, xlim=None, ylim=None):
            GridOnly.calls += 1
            xs = torch.linspace(0.0, 1.0, n, dtype=torch.float64)
            Y, X = torch.meshgrid(xs, xs, indexing="ij")
            return X, Y, (X - 0.5) ** 2 + (Y - 0.5) ** 2 + 1.0

    ax = plot_landscape(GridOnly(), trajectories=torch.tensor([[0.1, 0.1], [0.4, 0.5]]), n=21,
                        equal_aspect=False)
    assert GridOnly.calls == 1
    assert ax.get_xlim() == (0.0, 1.0) and ax.get_aspect() == "auto"
    assert len(ax.get_lines()) == 2                         # path and start; no minimum attribute


def test_rosenbrock_on_given_axes_with_its_own_view():
    r = Rosenbrock()
    fig, axes = plt.subplots(1, 2)
    tr = descend(r, (-1.2, 1.0), lr=1e-3, steps=50, momentum=0.9)
    ax = plot_landscape(r, axes[1], trajectories={"heavy ball": tr}, xlabel="x", ylabel="y")
    assert ax is axes[1] and ax.get_xlim() == r.xlim and ax.get_ylim() == r.ylim
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    torch.testing.assert_close(_lines(ax)[-1], r.minimum.reshape(1, 2))


def test_bad_arguments_name_themselves():
    q = Quadratic()
    with pytest.raises(TypeError, match="f=int must be a landscape with a grid"):
        plot_landscape(3)
    with pytest.raises(ValueError, match=r"trajectories\[0\] has shape \(3,\); expected \(k, 2\)"):
        plot_landscape(q, trajectories=[torch.zeros(3)])
    with pytest.raises(ValueError, match=r"trajectories\['gd'\] has shape \(0, 2\)"):
        plot_landscape(q, trajectories={"gd": torch.zeros(0, 2)})
    with pytest.raises(TypeError, match="trajectories=str must be"):
        plot_landscape(q, trajectories="path")
    with pytest.raises(TypeError, match=r"trajectories\[0\]=str must be a Trajectory"):
        plot_landscape(q, trajectories=["path"])
    with pytest.raises(ValueError, match="levels=1 must be >= 2"):
        plot_landscape(q, levels=1)
    with pytest.raises(ValueError, match="levels must be an int or increasing"):
        plot_landscape(q, levels=[1.0, 1.0])
