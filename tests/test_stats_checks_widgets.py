"""stats (geometric fits, spreads), checks (student-facing messages), widgets, plots."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import gradkit as gk  # noqa: E402
from gradkit import checks, widgets  # noqa: E402


@pytest.mark.parametrize("rate, scale", [(0.25, 3.0), (1.7, 0.01), (1.0, 5.0)])
def test_geometric_fit_recovers_exact_series(rate, scale):
    values = [scale * rate ** k for k in range(10)]
    fit = gk.geometric_fit(values)
    assert fit.rate == pytest.approx(rate, rel=1e-9)
    assert fit.scale == pytest.approx(scale, rel=1e-9)
    assert fit(3).item() == pytest.approx(values[3], rel=1e-9)


def test_geometric_fit_with_positions_and_errors():
    fit = gk.geometric_fit([2 * 0.5 ** d for d in (5, 10, 20)], positions=[5, 10, 20])
    assert fit.rate == pytest.approx(0.5) and fit.scale == pytest.approx(2.0)
    with pytest.raises(ValueError, match="positive and finite"):
        gk.geometric_fit([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="at least 2"):
        gk.geometric_fit([1.0])
    with pytest.raises(ValueError, match="positions has 2 entries but values has 3"):
        gk.geometric_fit([1.0, 2.0, 3.0], positions=[1, 2])


def test_spread_median_and_quartiles():
    med, lo, hi = gk.spread([[1, 10], [2, 20], [3, 30], [4, float("nan")], [5, 40]])
    assert med.tolist() == [3.0, 25.0]
    assert lo.tolist() == [2.0, 17.5] and hi.tolist() == [4.0, 32.5]
    with pytest.raises(ValueError, match="runs x points"):
        gk.spread([1.0, 2.0])


def test_check_close_passes_and_fails_with_expected_and_got():
    checks.check_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-9]), "x")
    with pytest.raises(checks.CheckFailed) as e:
        checks.check_close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "sigma(z)",
                           hint="use s * (1 - s)")
    msg = str(e.value)
    assert "sigma(z): expected" in msg and "got" in msg and "2.5 vs 2" in msg
    assert "Hint: use s * (1 - s)" in msg
    with pytest.raises(checks.CheckFailed, match="expected shape \\(2,\\), got shape \\(3,\\)"):
        checks.check_close(torch.zeros(3), torch.zeros(2), "v")
    with pytest.raises(checks.CheckFailed, match="a torch.Tensor"):
        checks.check_close([0.0, 0.0], torch.zeros(2), "v")
    with pytest.raises(checks.CheckFailed, match="expected 0.25"):
        checks.check_close(0.3, 0.25, "rate", rtol=0.01)
    with pytest.raises(checks.CheckFailed, match="NaN"):
        checks.check_close(torch.tensor([float("nan")]), torch.tensor([1.0]), "v")


def test_number_between_and_choices():
    checks.check_number(torch.tensor(2.0), "a")
    checks.check_between(0.5, 0.0, 1.0, "a")
    for bad in (None, "0.5", float("inf"), True):
        with pytest.raises(checks.CheckFailed, match="a finite number"):
            checks.check_number(bad, "answer_q3")
    with pytest.raises(checks.CheckFailed, match="between 0 and 1"):
        checks.check_between(1.5, 0.0, 1.0, "a")
    checks.check_choice("b", "ABCD", "answer_q1")
    with pytest.raises(checks.CheckFailed, match="answer_q1 = \"A\""):
        checks.check_choice("E", "ABCD", "answer_q1")
    checks.check_choices({"A", "c"}, "ABCD", "answer_q2")
    for bad in (set(), "AC", {"A", "Z"}, None):
        with pytest.raises(checks.CheckFailed, match="non-empty set"):
            checks.check_choices(bad, "ABCD", "answer_q2")
    with pytest.raises(checks.CheckFailed, match="^my message$"):
        checks.check(False, "my message")
    assert checks.check(True, "x") is None


def test_widgets_headless_draw_once_with_start_values(monkeypatch):
    import ipywidgets
    monkeypatch.setenv("GRADKIT_HEADLESS", "1")
    assert not widgets.front_end_attached()
    calls = []
    out = widgets.interact(lambda depth, act, k: calls.append((depth, act, k)),
                           depth=ipywidgets.IntSlider(value=10, min=1, max=50),
                           act=["tanh", "relu"], k=ipywidgets.fixed(3))
    assert out is None and calls == [(10, "tanh", 3)]
    with pytest.raises(TypeError, match="control="):
        widgets.interact(lambda a: None, a=5)
    with pytest.raises(TypeError, match="fn="):
        widgets.interact(5)


def test_front_end_detection(monkeypatch):
    monkeypatch.delenv("GRADKIT_HEADLESS", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", "lesson.ipynb")
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    assert widgets.front_end_attached()
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.delenv("VSCODE_PID", raising=False)
    assert not widgets.front_end_attached()


def test_plots_draw_from_recorded_data():
    torch.manual_seed(0)
    model = gk.MLP(4, 8)
    data = gk.spirals(64)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with gk.GradientMonitor(model) as mon:
        for _ in range(3):
            opt.zero_grad()
            F.cross_entropy(model(data.X), data.y).backward()
            opt.step()
    fig = gk.plots.plot_monitor(mon, title="t")
    assert len(fig.axes) >= 3
    ax = gk.plots.plot_gradient_flow({"a": mon.grad_norms()[0], "b": mon.grad_norms()[1]})
    assert ax.get_yscale() == "log" and len(ax.lines) == 2
    h = [gk.History(loss=[1.0, 0.5, 0.25], grad_norm=[1.0] * 3)] * 3
    ax = gk.plots.plot_losses({"run": h})
    assert len(ax.lines) == 1
    fit = gk.geometric_fit([1, 0.5, 0.25], positions=[1, 2, 3])
    ax = gk.plots.plot_geometric_fit([1, 2, 3], [1, 0.5, 0.25], fit)
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="no steps"):
        gk.plots.plot_monitor(gk.GradientMonitor(model))
    with gk.GradientMonitor(model, unit_stats=True) as mon:
        F.cross_entropy(model(data.X), data.y).backward()
    fig = gk.plots.plot_monitor(mon)
    dead_ax = next(a for a in fig.axes if a.get_title().startswith("dead units"))
    assert len(dead_ax.lines) == 3                              # hidden layers only
    plt.close("all")
