# What lessons/08_diagnosing_training.ipynb (and its row of the README's course table) says
# it measured, checked against the lesson's own variables after its last cell.
# claim(quote, holds, got=...): see tests/lesson_claims/_claim.py.
import math
import statistics

LN2 = math.log(2)
signs = {name: dg.vital_signs(r) for name, r in {**broken, "healthy": healthy}.items()}


def decade(x):
    """"about 10^k" means round(log10(x)) == k."""
    return round(math.log10(x))


# 1. The playbook; the update-to-data ratio and its rule of thumb
claim("We record every step here", healthy.monitor.steps == list(range(dg.HEALTHY.steps)),
      got=healthy.monitor.steps[:5])
layer_rho = rho.median(0).values.tolist()
# "within a small factor": each layer's median in the decade either side of 1e-3 (judgement)
claim("every layer's per-step ratio sits within a small factor of $10^{-3}$",
      all(1e-4 < v < 1e-2 for v in layer_rho), got=layer_rho)
claim("described our healthy run well", all(1e-4 < v < 1e-2 for v in layer_rho), got=layer_rho)
healthy_median = float(rho.median())
claim("1e-3, as in our healthy run (section 1)",
      abs(math.log10(healthy_median) + 3) < abs(math.log10(healthy_median) + 1), got=healthy_median)
claim('check the "about 1e-3 update ratio" rule of thumb against a healthy run (median 2.9e-3 '
      'per step)', f"{rho.median():.1e}" == "2.9e-03", got=float(rho.median()), where="README")
claim("section 3.4 shows a too-high learning rate killing ReLUs on its way to NaN",
      d[last] > 2 * d[0] and broken["lr too high"].diverged, got=(float(d[0]), float(d[last])))

# 2. Four broken runs
one_change = {name: {k for k, v in dataclasses.asdict(cfg).items()
                     if v != getattr(dg.with_fixes(cfg, dg.FIX_FOR[name]), k)}
              <= set(dg.FIXES[dg.FIX_FOR[name]]) for name, cfg in dg.BROKEN.items()}
claim("Each broken run is one change away from a healthy configuration",
      all(one_change.values()), got=one_change)
z_ratio = (z_std_broken / z_std_fixed).tolist()
claim("Here the measurement matches it to every printed digit", f"{z_ratio[-1]:.3g}" == "256",
      got=z_ratio[-1])
claim("every $z_l$ of the exploding net is the Kaiming net's $z_l$ times a constant",
      all(abs(r / (0.5 * 2 ** l) - 1) < 1e-9 for l, r in enumerate(z_ratio)), got=z_ratio)
ratios = {name: s["first/last grad ratio"] for name, s in signs.items()}
claim("The first/last gradient ratio is tiny only in the vanishing run",
      ratios["vanishing"] < 1e-3 and all(math.isnan(v) or v > 0.1 for name, v in ratios.items()
                                         if name != "vanishing"), got=ratios)
upd = {name: s["median update ratio"] for name, s in signs.items()}
# "near 1": within a factor 2 of 1 (judgement); "far below 1e-3": at least 10x below
claim("the update ratio is near 1 per step in the exploding run", 0.5 < upd["exploding"] < 2,
      got=upd)
claim("around $10^{-1}$ with the high lr", decade(upd["lr too high"]) == -1, got=upd)
claim("exactly 0 with dead ReLUs", upd["dead ReLUs"] == 0, got=upd)
claim("far below $10^{-3}$ in the vanishing run (median over all layers)",
      upd["vanishing"] < 1e-4, got=upd)
blew_up = [name for name, s in signs.items() if not math.isnan(s["first non-finite step"])]
claim("Two of the runs blew up (first non-finite step)", len(blew_up) == 2, got=blew_up)

# 3.1 Vanishing gradients
van = broken["vanishing"]
van_loss = statistics.median(van.history.loss[10:])     # the median: robust to a noisy batch
claim("The loss sits at $\\ln 2$: the net does not learn",
      abs(van_loss - LN2) < 0.02 and van.accuracy == 0.5, got=(van_loss, van.accuracy))
line = gk.geometric_fit(g0[1:])                     # layers 2-10
off = decades_off_fit(g0[1:]).tolist()
# "a straight line": every point within 0.2 decades of the fitted line (judgement)
claim("The gradient flow is a straight line on the log scale from layer 2 on (layer 1 sits "
      "lower still)", max(map(abs, off)) < 0.2 and g0[0] < line.scale / line.rate,
      got={"decades off the line, layers 2-10": off, "layer 1": float(g0[0])})
claim("gradient norms decaying geometrically towards the input",
      all(a < b for a, b in zip(g0[:-1], g0[1:])) and line.rate > 2, got=g0.tolist())
van_rho = van.monitor.update_ratios()[1:].median(0).values.tolist()
claim("their update ratios are orders of magnitude below $10^{-3}$ while the last layer's is not",
      max(van_rho[:3]) < 1e-5 and van_rho[-1] > 1e-4, got=van_rho)
claim("first-layer ratios far below $10^{-3}$", van_rho[0] < 1e-4, got=van_rho)
van_sat = float(van.monitor.saturated_fractions()[:, :-1].max())
claim("Nothing is saturated by the $|z| \\ge 3$ test", van_sat == 0, got=van_sat)
claim("vanishing (first/last gradient 1.6e-7)", f"{ratios['vanishing']:.1e}" == "1.6e-07",
      got=ratios["vanishing"], where="README")
fix_van = fixed["vanishing"]
flat = gk.geometric_fit(fix_van.monitor.grad_norms()[0]).rate
# "nearly flat": per-layer factor within 0.8-1.25 (judgement; the broken run's is about 4)
claim("the gradient flow is nearly flat", 0.8 < flat < 1.25, got=flat)
fix_rho = fix_van.monitor.update_ratios()[1:].median(0).values.tolist()
claim("the update ratios are near $10^{-3}$ in every layer and the loss falls",
      all(1e-4 < v < 1e-2 for v in fix_rho) and fix_van.history.final_loss < TARGET,
      got=(fix_rho, fix_van.history.final_loss))
claim("loss at $\\ln 2$. Fix: ReLU with Kaiming init.", fix_van.history.final_loss < TARGET
      and abs(van_loss - LN2) < 0.02, got=fix_van.history.final_loss)

# 3.2 Exploding gradients
nan_step = signs["exploding"]["first non-finite step"]
claim("The loss starts far above $\\ln 2$ and is gone (NaN or inf) within a few steps",
      h.loss[0] > 10 * LN2 and nan_step <= 5, got=(h.loss[0], nan_step))
# "doubles": per-layer factor 1.9-2.1 (judgement)
claim("the output std doubles from layer to layer", 1.9 <= fit.rate <= 2.1, got=fit.rate)
claim("output std growing geometrically with depth (×2 per layer for twice Kaiming's std)",
      1.9 <= fit.rate <= 2.1, got=fit.rate)
g_big = broken["exploding"].monitor.grad_norms()[0]              # step 0, per layer
g_small = fixed["exploding"].monitor.grad_norms()[0]
# "about 10^2 against about 10^-1": the median over layers, to the nearest power of ten
claim("are large in every layer (about $10^2$ against about $10^{-1}$ in the fixed run)",
      decade(g_big.median()) == 2 and decade(g_small.median()) == -1 and bool((g_big > 10).all()),
      got=(g_big.tolist(), g_small.tolist()))
claim("rather than growing towards the input", g_big[0] < g_big[-1], got=g_big.tolist())
ex_rho = broken["exploding"].monitor.update_ratios()
claim("From the second update on, each step is then as large as the weights themselves (update "
      "ratio near 1)", bool(((ex_rho[2:int(nan_step) + 1] - 1).abs() < 0.1).all()),
      got=ex_rho[1:int(nan_step) + 1].tolist())
claim("at step 3 the forward pass overflows", nan_step == 3, got=nan_step)
claim("huge first updates, NaN within a few steps",
      float(ex_rho[1].min()) > 10 * float(rho.median()) and math.isnan(h.loss[int(nan_step)])
      and nan_step <= 5, got=(ex_rho[1].tolist(), h.loss[:4]))
calm = gk.geometric_fit(z_std_fixed[1:]).rate
claim("Kaiming init: output std about constant across layers and the loss falls",
      0.9 < calm < 1.1 and fixed["exploding"].history.final_loss < TARGET, got=calm)
claim("exploding (output std x1.94 per layer, NaN at step 3)",
      round(fit.rate, 2) == 1.94 and nan_step == 3 and math.isnan(h.loss[3]),
      got=(fit.rate, h.loss[:4]), where="README")

# 3.3 Dead ReLUs
dead0 = float(mon.dead_fractions()[0, :-1].mean())
claim("most hidden units output 0 for *every* input from the start", dead0 > 0.5, got=dead0)
whole = (mon.dead_fractions()[:, :-1] == 1).all(0)          # hidden layers dead at every step
dead_gap = max(abs(l - LN2) for l in broken["dead ReLUs"].history.loss)
claim("Once a whole layer is dead, every layer below it gets an exactly zero gradient, the "
      "update ratio is exactly 0, and the loss stays at $\\ln 2$",
      bool(whole.any()) and bool(zero_layers.all())
      and bool((mon.update_ratios()[1:] == 0).all()) and dead_gap < 0.05,
      got=(whole.tolist(), zero_layers.tolist(), dead_gap))
claim("The monitor shows layers with an exactly zero weight gradient at every step (section 3.3)",
      bool(zero_layers.any()), got=zero_layers.tolist())
claim("layers with exactly zero gradient, no way back", bool(zero_layers.any())
      and bool((mon.update_ratios()[1:] == 0).all()), got=zero_layers.tolist())
fix_dead = signs["healthy"]["dead fraction"]                 # the fix is dg.HEALTHY itself
claim("The same panels with the fix show a small dead fraction", fix_dead < 0.2
      and fixed["dead ReLUs"] is healthy, got=fix_dead)
claim("a few dead units cost capacity, not training", healthy.history.final_loss < TARGET,
      got=healthy.history.final_loss)
claim("dead ReLUs (93% dead, zero gradients)", round(100 * dead0) == 93 and bool(zero_layers.all()),
      got=(dead0, zero_layers.tolist()), where="README")

# 3.4 Learning rate too high
h_lr = broken["lr too high"].history.loss
lr_spike = [t for t in range(last) if h_lr[t] > 10 and h_lr[t + 1] < 1]   # above 10, then back
claim("At step 0 this run *is* the healthy run: same weights, same gradients", same, got=same)
hi = float(rho_hi.nanmedian() / rho.median())
claim("the update ratio is tens of times the healthy one from the very first steps",
      10 <= hi < 100, got=hi)
claim("oversized steps (ratios tens of times the healthy ones)", 10 <= hi < 100, got=hi)
claim("The loss jumps around", len(lr_spike) > 0, got=h_lr[:last + 1])
claim("spikes, dying units, NaN", len(lr_spike) > 0 and d[last] > 2 * d[0]
      and math.isnan(h_lr[last + 1]), got=(lr_spike, float(d[0]), float(d[last])))
claim("ReLUs die along the way (the dead fraction climbs", d[last] > 2 * d[0],
      got=(float(d[0]), float(d[last])))
lr_nan = signs["lr too high"]["first non-finite step"]
# "a few steps later": within 10 steps of the first spike (judgement)
claim("a few steps later the loss is NaN", math.isnan(h_lr[int(lr_nan)]) and lr_spike
      and lr_nan - lr_spike[0] <= 10, got=(lr_spike, lr_nan))
claim("lr too high (NaN at step 17)", lr_nan == 17 and math.isnan(h_lr[17]), got=lr_nan,
      where="README")

# 4. Does stable training converge faster? Measured
claim("4 seeds (seed 0 is the run above)", len(SEEDS) == 4 and 0 in SEEDS, got=SEEDS)
claim("One toy task, one width, 300 steps, 4 seeds", len(SEEDS) == 4 and all(
      cfg.steps == 300 for cfg in configs.values()), got=len(SEEDS))
n_broken, n_fixed = len(reached["broken"]) * len(SEEDS), len(reached["fixed"]) * len(SEEDS)
claim("no broken configuration reached the target on any seed", sum(reached["broken"]) == 0,
      got=reached)
plateau_or_nan = {label: [r.diverged or abs(statistics.median(r.history.loss[50:]) - LN2) < 0.02
                          for r in (record(cfg, s) for s in SEEDS)]
                  for label, cfg in configs.items() if "broken" in label}
claim("(a plateau at $\\ln 2$ or a blow-up)", all(map(all, plateau_or_nan.values())),
      got=plateau_or_nan)
acc = {label: s.mean_accuracy for label, s in summaries.items()}
fixed_acc = [a for label, a in acc.items() if "fixed" in label]
broken_acc = [a for label, a in acc.items() if "broken" in label and not math.isnan(a)]
claim("every fixed one reached it on every seed, with a far higher held-out accuracy",
      sum(reached["fixed"]) == n_fixed and min(fixed_acc) > max(broken_acc) + 0.2, got=acc)
claim("broken runs never reached the target, fixed runs always did",
      sum(reached["broken"]) == 0 and sum(reached["fixed"]) == n_fixed, got=reached)
claim("every broken run failed to reach the target while every fixed run reached it",
      sum(reached["broken"]) == 0 and sum(reached["fixed"]) == n_fixed, got=reached)
claim("The comparison was close to binary (never vs always)",
      sum(reached["broken"]) == 0 and sum(reached["fixed"]) == n_fixed, got=reached)
# The clipped row: alive, learning, but worse than fixing the init; its crossing of the
# target hangs on rounding (the nudge experiment)
g0_ratio = clip_g0 / healthy.history.grad_norm[0]
claim("enormous gradients at init (hundreds of times the healthy net's, printed above)",
      100 <= g0_ratio < 1000, got=g0_ratio)
claim("yet with clipping no seed blew up", clip.diverged == 0, got=clip)
# "well above the 0.5 of guessing": a mean held-out accuracy of at least 0.65 (judgement)
claim("it learns (held-out accuracy well above the 0.5 of guessing)", clip.mean_accuracy >= 0.65,
      got=clip.mean_accuracy)
claim("its final loss (the mean of the last 30 steps, averaged over seeds) is higher, within 0.1 "
      "of the target itself", clip_loss > kaiming_loss and abs(clip_loss - TARGET) < 0.1
      and all(len(record(configs[label], s).history.loss) // 10 == 30
              for label in pair for s in SEEDS), got=(clip_loss, kaiming_loss))
claim("Treating the symptom kept the run alive; removing the cause trained it better",
      clip.diverged == 0 and clip_loss > kaiming_loss, got=(clip, clip_loss, kaiming_loss))
w_first = configs["exploding + clip norm 1 only"].build(data.X.shape[1], 2, 0).layers[0].weight
w_nudged = w_first[0, 0].detach()                         # the weight nudged() moves
nudge = float(abs((torch.nextafter(w_nudged, torch.tensor(math.inf)) - w_nudged) / w_nudged))
# "about one part in ten million": 1e-8 to 1e-6 (a float32 rounding unit is 6e-8 to 1.2e-7)
claim("a change of about one part in ten million", 1e-8 < nudge < 1e-6, got=nudge)
(c0, c1), (k0, k1) = crossing["exploding + clip norm 1 only"], \
    crossing["exploding: fixed (ReLU + Kaiming init)"]
# "tens of steps": 10-99 steps apart, both crossing; "a few at most": at most 5 steps
claim("the clipped net crosses the target tens of steps earlier or later",
      None not in (c0, c1) and 10 <= abs(c1 - c0) < 100, got=(c0, c1))
claim("the Kaiming net's crossing moves by a few steps at most",
      None not in (k0, k1) and abs(k1 - k0) <= 5, got=(k0, k1))
claim("its steps to the target moved by tens of steps when one weight moved by one rounding unit",
      None not in (c0, c1) and 10 <= abs(c1 - c0) < 100, got=(c0, c1))
claim("Clipping alone kept the exploding net alive but ended at a higher loss than the right init",
      clip.diverged == 0 and clip_loss > kaiming_loss, got=(clip, clip_loss, kaiming_loss))
claim("clipping alone kept the exploding net alive but trained it less well than Kaiming init",
      clip.diverged == 0 and clip_loss > kaiming_loss, got=(clip, clip_loss, kaiming_loss))
claim("The clipped exploding net never blew up but ended at a higher loss than with Kaiming init",
      clip.diverged == 0 and clip_loss > kaiming_loss, got=(clip, clip_loss, kaiming_loss))
claim("and its steps to the target hang on rounding", c0 != c1, got=(c0, c1))
claim("one toy task, 4 seeds", len(SEEDS) == 4, got=SEEDS)
claim("clipping keeps such a run alive", clip.diverged == 0, got=clip)
# "differ by less than one error bar": the two fixed configurations' mean steps differ by less
# than the smaller of their standard deviations
fixed_rows = [s for label, s in summaries.items() if "fixed" in label]
fixed_gap = max(s.mean_steps for s in fixed_rows) - min(s.mean_steps for s in fixed_rows)
claim("the fixed rows hold two configurations (the 8-layer healthy net and its 10-layer "
      "version), and their mean steps differ by less than one error bar",
      len({configs[label] for label in configs if "fixed" in label}) == 2
      and {c.depth for label, c in configs.items() if "fixed" in label} == {8, 10}
      and fixed_gap < min(s.std_steps for s in fixed_rows),
      got=(fixed_gap, [s.std_steps for s in fixed_rows]))
# "try others": targets 0.4-0.6 and windows 5-20 (window 1 lets one lucky batch count, which
# is why the lesson averages; near ln 2 a plateau "reaches" any target) - a judgement call
others = {(t, w): {label: dg.summarize([record(cfg, s) for s in SEEDS], t, w).reached
                   for label, cfg in configs.items()}
          for t in (0.4, 0.5, 0.6) for w in (5, 10, 20)}
claim("the ranking of broken against fixed does not change",
      all(n == 0 if "broken" in label else n == len(SEEDS)
          for r in others.values() for label, n in r.items() if "clip" not in label), got=others)
trainable = [label for label in configs if "broken" not in label]
order = {w: sorted(trainable, key=lambda label: dg.summarize(
             [record(configs[label], s) for s in SEEDS], TARGET, w).mean_steps) for w in (1, 10)}
claim("the differences between the trainable rows can", order[1] != order[10], got=order)
claim("measure steps to a target loss and held-out accuracy over 4 seeds with error bars: broken "
      "runs never get there, fixed ones always do", len(SEEDS) == 4
      and sum(reached["broken"]) == 0 and sum(reached["fixed"]) == n_fixed, got=reached,
      where="README")
fixed_steps = [s.mean_steps for label, s in summaries.items() if "fixed" in label]
# "about 130 steps": 115-145 (judgement); "0.76-0.78": every fixed row's mean accuracy in it
claim("(about 130 steps, held-out accuracy 0.76-0.78)", all(115 <= n <= 145 for n in fixed_steps)
      and all(0.76 <= a <= 0.78 for a in fixed_acc), got=(fixed_steps, fixed_acc),
      where="README")
