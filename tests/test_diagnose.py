"""gradkit.diagnose: configs, runs, records, convergence summaries, and their plots."""
import math
import warnings

import matplotlib
import pytest
import torch

import gradkit as gk
from gradkit import diagnose as dg

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DATA = gk.spirals(128, seed=0)
SHORT = dg.HEALTHY.fixed(steps=30, depth=4, width=16)


# ---------------------------------------------------------------- configs
@pytest.mark.parametrize("field, value, words", [
    ("activation", "sigmod", ["activation='sigmod'", "relu"]),
    ("lr", -1.0, ["lr=-1.0", "> 0"]),
    ("optimizer", "adagrad", ["optimizer='adagrad'", "momentum"]),
    ("depth", 0, ["depth=0", ">= 1"]),
    ("bias_init", float("nan"), ["bias_init=nan", "finite"]),
    ("clip_norm", 0.0, ["clip_norm=0.0", "> 0"]),
])
def test_config_rejects_bad_values_naming_them(field, value, words):
    with pytest.raises((ValueError, TypeError)) as err:
        dg.HEALTHY.fixed(**{field: value})
    for w in words:
        assert w in str(err.value)


def test_fixed_and_with_fixes():
    with pytest.raises(ValueError, match="learning_rate"):
        dg.HEALTHY.fixed(learning_rate=0.1)
    with pytest.raises(ValueError, match="fix='more data' is not one of"):
        dg.with_fixes(dg.HEALTHY, "more data")
    with pytest.raises(TypeError, match="config=dict"):
        dg.with_fixes({}, "lr 0.05")
    cfg = dg.with_fixes(dg.BROKEN["lr too high"], "Adam, lr 0.003", "lr 0.05")
    assert (cfg.optimizer, cfg.lr) == ("adam", 0.003)             # FIXES order, not call order
    assert dg.with_fixes(dg.BROKEN["dead ReLUs"], "zero biases") == dg.HEALTHY
    for name, cfg in dg.BROKEN.items():
        assert dg.with_fixes(cfg, dg.FIX_FOR[name]) != cfg
    assert dg.HEALTHY.fixed() == dg.HEALTHY and hash(dg.HEALTHY) == hash(dg.HEALTHY.fixed())


def test_build_seeds_and_biases():
    cfg = SHORT.fixed(bias_init=-1.0)
    a, b = cfg.build(2, 3, seed=5), cfg.build(2, 3, seed=5)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert all(bool((l.bias == -1.0).all()) for l in a.layers[:-1])
    assert bool((a.layers[-1].bias == 0).all())                   # the output layer keeps its init
    assert a.layers[-1].out_features == 3


# ---------------------------------------------------------------- runs
def test_run_matches_plain_train_and_detaches():
    rec = dg.run(SHORT, DATA, seed=3, every=5)
    model = SHORT.build(2, 2, seed=3)
    h = gk.train(model, DATA, steps=SHORT.steps, lr=SHORT.lr, optimizer=SHORT.optimizer,
                 batch_size=SHORT.batch_size, seed=3)
    assert rec.history.loss == pytest.approx(h.loss, rel=1e-6, abs=1e-7)
    assert rec.monitor.steps == list(range(0, SHORT.steps, 5))
    assert not rec.monitor.attached
    assert rec.accuracy == pytest.approx(gk.accuracy(model, DATA), abs=1e-12)
    assert rec.monitor.dead_fractions().shape == (6, SHORT.depth)


def test_run_rejects_bad_arguments():
    with pytest.raises(TypeError, match="config=MLPConfig"):
        dg.run(gk.MLPConfig(2, 4), DATA)
    with pytest.raises(TypeError, match="data=tuple"):
        dg.run(SHORT, (DATA.X, DATA.y))
    with pytest.raises(ValueError, match="every=0"):
        dg.run(SHORT, DATA, every=0)


def test_accuracy_by_hand_and_regression():
    torch.manual_seed(0)
    model = gk.MLP(2, 8)
    with torch.no_grad():
        expected = (model(DATA.X).argmax(1) == DATA.y).double().mean().item()
    assert gk.accuracy(model, DATA) == pytest.approx(expected)
    reg = gk.teacher_regression(32, in_features=2)
    assert math.isnan(gk.accuracy(gk.MLP(2, 8, out_features=1), reg))


# ---------------------------------------------------------------- diagnosis signals
@pytest.fixture(scope="module")
def records():
    cfgs = {"healthy": SHORT, "dead": SHORT.fixed(bias_init=-1.0),
            "exploding": SHORT.fixed(init=1.5, depth=6), "vanishing": SHORT.fixed(
                activation="sigmoid", init="xavier", depth=8)}
    return {k: dg.run(c, DATA, every=1) for k, c in cfgs.items()}


def test_vital_signs_tell_the_failures_apart(records):
    s = {k: dg.vital_signs(r) for k, r in records.items()}
    assert 1e-4 < s["healthy"]["median update ratio"] < 1e-1
    assert s["dead"]["median update ratio"] == 0.0 and s["dead"]["dead fraction"] > 0.5
    assert records["exploding"].diverged and math.isfinite(s["exploding"]["first non-finite step"])
    assert math.isnan(s["exploding"]["final loss"]) and math.isnan(records["exploding"].accuracy)
    assert s["vanishing"]["first/last grad ratio"] < 1e-3 < s["healthy"]["first/last grad ratio"]
    assert not records["healthy"].diverged and math.isnan(s["healthy"]["first non-finite step"])


def test_finite_rows_stop_at_the_blow_up(records):
    rec = records["exploding"]
    ok = rec.finite_rows
    first_bad = int(dg.vital_signs(rec)["first non-finite step"])
    steps = torch.tensor(rec.monitor.steps)
    assert not bool(ok[steps >= first_bad].any())
    assert rec.last_finite_row == int(ok.nonzero()[-1])
    assert bool(records["healthy"].finite_rows.all())


# ---------------------------------------------------------------- convergence
def test_summarize_by_hand():
    hs = [gk.History(loss=[1.0] * t + [0.1] * (10 - t), grad_norm=[0.0] * 10) for t in (2, 4, 6)]
    hs.append(gk.History(loss=[1.0, float("nan")] + [0.1] * 8, grad_norm=[0.0] * 10))
    hs.append(gk.History(loss=[1.0] * 10, grad_norm=[0.0] * 10))
    s = dg.summarize(hs, 0.5, window=1)
    assert s.steps_to == (2, 4, 6, 2, None)
    assert (s.reached, s.runs, s.diverged) == (4, 5, 1)
    assert s.mean_steps == pytest.approx(3.5)
    assert s.std_steps == pytest.approx(torch.tensor([2.0, 4, 6, 2]).std().item())
    assert math.isnan(s.mean_accuracy)
    with pytest.raises(ValueError, match="at least one"):
        dg.summarize([], 0.5)


def test_convergence_and_tables(records):
    recs = dg.convergence(SHORT, DATA, range(2), every=10)
    assert [r.seed for r in recs] == [0, 1]
    s = dg.summarize(recs, 10.0)
    assert s.reached == 2 and 0.0 <= s.mean_accuracy <= 1.0
    table = dg.summary_table({"a": s, "b": dg.summarize(recs, 1e-9)})
    assert table.count("\n") == 3 and "never" in table
    vt = dg.vital_signs_table(records)
    assert vt.count("\n") == len(records) + 1 and "| dead |" in vt


# ---------------------------------------------------------------- plots (read only)
def test_plots_draw_without_warnings(records):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = gk.plots.plot_diagnosis(records, title="t")
        assert len(fig.axes) == 6 and len(fig.axes[0].lines) == len(records)
        summaries = {k: dg.summarize([r], 0.6) for k, r in records.items()}
        fig2 = gk.plots.plot_convergence(summaries, steps=30)
        assert len(fig2.axes) == 2
    plt.close("all")
    with pytest.raises(ValueError, match="non-empty"):
        gk.plots.plot_diagnosis({})
