# What lessons/06_adaptive_optimizers.ipynb (and its row of the README's course table) says
# it measured, checked against the lesson's own variables after its last cell.
# claim(quote, holds, got=...): see tests/lesson_claims/_claim.py.
import math

EPS = 1e-8                                          # Adam's default epsilon
sgd_ok, sgd_bad = runs[f"SGD, lr = {0.9 * lr_max:.1e}"], runs[f"SGD, lr = {1.1 * lr_max:.1e}"]
rms_small, rms_large = runs["RMSprop, lr = 0.01"], runs["RMSprop, lr = 0.1"]
adam_runs = {float(k.split("= ")[1]): h for k, h in runs.items() if k.startswith("Adam")}
# "reaches the noise floor" (0.01): the final loss rounds to 0.01
at_floor = {lr: round(h.final_loss, 2) == 0.01 for lr, h in adam_runs.items()}
adam_gap = gap                                      # |Adam on f - Adam on 1000 f|, section 3
first_bc, first_nobc = steps_ratio[True][0].tolist(), steps_ratio[False][0].tolist()

# Intro
claim("show that Adam's trajectory does not change when the loss is multiplied by 1000, while "
      "SGD with the same lr diverges", adam_gap < 1e-6 and not scaled["SGD", 1].diverged
      and scaled["SGD", 1000].diverged, got=(adam_gap, scaled["SGD", 1000].diverged))
claim("show RMSprop and Adam converging on it with one learning rate",
      round(rms_small.final_loss, 2) == 0.01 and all(at_floor.values()),
      got=(rms_small.final_loss, at_floor))

# 1. From SGD to RMSprop to Adam
claim("The printed differences are 0 or at the level of float64 round-off (about $10^{-16}$): "
      "the same algorithm, step for step", max(diffs.values()) < 1e-14, got=diffs)
claim("`gradkit.optim` matches `torch.optim` to round-off (section 1)",
      max(diffs.values()) < 1e-14, got=diffs)
claim("`gk.optim.AdamW`, checked against torch in section 1",
      diffs["AdamW, weight decay 0.1"] < 1e-14, got=diffs)
claim("check gradkit's versions against `torch.optim` (identical iterates)",
      all(d == 0 for d in diffs.values()), got=diffs, where="README")

# 2. A badly scaled problem
scales = torch.tensor([1.0, 10.0, 100.0])
eigvec = torch.linalg.eigh(H).eigenvectors            # columns, in the order of curv
# "approx": each curvature within 25% of 2 s_i^2 (measured 1.03, 1.02, 1.12 times), each
# eigenvector along one feature's axis
claim("$H = \\frac2n X^\\top X \\approx 2\\,\\mathrm{diag}(s_i^2)$: the curvature along the weight "
      "of feature $i$ grows with the *square* of its scale",
      all(0.8 < r < 1.25 for r in (curv / (2 * scales**2)).tolist())
      and bool((eigvec.diagonal().abs() > 0.99).all()), got=(curv / (2 * scales**2)).tolist())
claim("the feature with scale 100 sets $L$", abs(eigvec[2, -1].item()) > 0.99, got=eigvec[:, -1])
factor = 1 - 2 * curv.min().item() / curv.max().item()
claim("$1 - 2\\lambda_\\min/\\lambda_\\max$: barely below 1", 0.999 < factor < 1, got=factor)
claim("condition number about 1e4", round(math.log10(curv.max() / curv.min())) == 4,
      got=(curv.max() / curv.min()).item(), where="README")
claim("SGD at 1.1 times $2/L$ diverges, as lesson 01 predicts", sgd_bad.diverged,
      got=sgd_bad.final_loss)
# "far above": more than 10 times the noise floor
claim("At 0.9 times $2/L$ it is stable but after 500 steps it is still far above the noise floor",
      not sgd_ok.diverged and sgd_ok.final_loss > 0.1, got=sgd_ok.final_loss)


def weights_during(optimizer, lr):
    # fit() again (0.1 s), keeping the weights after every step: (History, (501, 3) weights)
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optimizer(model.parameters(), lr=lr)
    ws = [model.weight.detach().clone()]
    opt.register_step_post_hook(lambda *args: ws.append(model.weight.detach().clone()))
    return gk.train(model, data, steps=500, lr=lr, optimizer=opt, batch_size=None), torch.cat(ws)


best = torch.linalg.lstsq(torch.cat([data.X, torch.ones(len(data), 1)], 1), data.y).solution[:3, 0]
h_sgd, w_sgd = weights_during(gk.optim.SGD, 0.9 * lr_max)
moved = ((w_sgd[-1, 0] - w_sgd[0, 0]) / (best[0] - w_sgd[0, 0])).item()   # share of the way
# "hardly moved": less than 15% of the way to its least-squares value (measured 8%)
claim("the scale-1 weight has hardly moved", h_sgd.loss == sgd_ok.loss and 0 <= moved < 0.15,
      got=moved)
claim("Adam reaches the noise floor at every learning rate tried, over a factor 30 of lr",
      all(at_floor.values()) and round(max(adam_runs) / min(adam_runs)) == 30, got=at_floor)
claim("Adam converged to the noise floor over a factor 30 of learning rates (section 2's table)",
      all(at_floor.values()) and round(max(adam_runs) / min(adam_runs)) == 30, got=at_floor)
claim("cap SGD's lr at 2/L while Adam reaches the noise floor at every lr from 0.01 to 0.3",
      sgd_bad.diverged and not sgd_ok.diverged and all(at_floor.values())
      and (min(adam_runs), max(adam_runs)) == (0.01, 0.3), got=at_floor, where="README")
# "quickly": below 0.02 within the first fifth of the 500 steps
claim("RMSprop gets there quickly with a small lr", round(rms_small.final_loss, 2) == 0.01
      and rms_small.steps_to(0.02) < 100, got=(rms_small.final_loss, rms_small.steps_to(0.02)))
h_rms, w_rms = weights_during(gk.optim.RMSprop, 0.1)
excursion = ((w_rms[-100:] - best).abs().max(0).values / 0.1).tolist()   # in units of lr
# it did reach the minimum, then jumps: over the last 100 steps each weight strays from the
# minimum by up to 0.5-2 lr ("about lr"; measured 1.4), and the final loss is > 100x the floor
claim("it keeps jumping around the minimum by about lr per coordinate and its final loss stays "
      "high", h_rms.loss == rms_large.loss and rms_large.steps_to(0.02) is not None
      and all(0.5 <= e <= 2 for e in excursion) and rms_large.final_loss > 1,
      got=(excursion, rms_large.final_loss))

# 2b. The quadratic, kappa = 100
first = {name: (tr.points[1] - tr.points[0]).abs().tolist() for name, tr in paths.items()}
sgd_q, rms_q, adam_q = paths.values()


def sign_changes(tr, i):
    return int((tr.points[1:, i].sign() != tr.points[:-1, i].sign()).sum())


claim("SGD zig-zags across the steep $x_2$ direction (its lr is close to $2/L$) and crawls along "
      "$x_1$", sign_changes(sgd_q, 1) == sgd_q.steps
      and abs(sgd_q.final[0]) > 10 * max(abs(rms_q.final[0]), abs(adam_q.final[0])),
      got=(sign_changes(sgd_q, 1), sgd_q.final.tolist()))
claim("their first steps point along the diagonal $(\\pm1, \\pm1)$, not along the gradient",
      all(abs(first[k][0] / first[k][1] - 1) < 1e-3 for k in list(paths)[1:]), got=first)


def below_1e3(tr):
    return next((t for t, f in enumerate(tr.losses.tolist()) if f < 1e-3), math.inf)


claim("On this axis-aligned bowl RMSprop is the fastest of the three",
      below_1e3(rms_q) < min(below_1e3(sgd_q), below_1e3(adam_q))
      and rms_q.losses[-1] < min(sgd_q.losses[-1], adam_q.losses[-1]),
      got={k: below_1e3(tr) for k, tr in paths.items()})
claim("Adam's momentum carries it past the minimum and its loss rises and falls as it circles in",
      sign_changes(adam_q, 0) > 0 and bool((adam_q.losses[1:] > adam_q.losses[:-1]).any()),
      got=sign_changes(adam_q, 0))

# 3. Multiply the loss by 1000
claim("SGD with $\\mathrm{lr} = 0.019$, stable on $f$", not scaled["SGD", 1].diverged)
claim("SGD on $1000f$ leaves the picture within a few steps",
      scaled["SGD", 1000].diverged and scaled["SGD", 1000].steps <= 5,
      got=scaled["SGD", 1000].steps)
# the gap comes from epsilon: with eps = 1e-30 the two paths agree to round-off (recomputed)
tiny = [descend(lambda x, c=c: c * q(x), START, gk.optim.Adam, lr=0.05, steps=100, eps=1e-30).points
        for c in (1, 1000)]
tiny_gap = (tiny[0] - tiny[1]).abs().max().item()
claim("identical up to a difference of the size printed above (it comes from $\\epsilon$ and "
      "round-off)", adam_gap < 1e-6 and tiny_gap < 1e-14, got=(adam_gap, tiny_gap))
claim("Multiplying the loss by 1000 made SGD diverge and left Adam's trajectory unchanged up to "
      "$\\epsilon$ and round-off (section 3)",
      scaled["SGD", 1000].diverged and adam_gap < 1e-6, got=adam_gap)
claim("(section 3 measured two identical trajectories)", adam_gap < 1e-6, got=adam_gap)
claim("multiply the loss by 1000 and watch SGD diverge in 2 steps while Adam's path moves by "
      "less than 1e-8", scaled["SGD", 1000].diverged and scaled["SGD", 1000].steps == 2
      and adam_gap < 1e-8, got=(scaled["SGD", 1000].steps, adam_gap), where="README")

# 4. Bias correction, and a bounded step
claim("\\approx \\pm 3.16\\,\\mathrm{lr}", all(round(r, 2) == 3.16 for r in first_nobc),
      got=first_nobc)
claim(r"$\\mathrm{lr}\\cdot 0.1/\\sqrt{0.001} \\approx 3.2\\,\\mathrm{lr}$",
      all(round(r, 1) == 3.2 for r in first_nobc), got=first_nobc)
claim("with the correction the first step is exactly $\\pm\\mathrm{lr}$ in every coordinate",
      all(abs(r - 1) < 1e-6 for r in first_bc), got=first_bc)
claim(r"With the correction it is exactly $\\pm$lr (section 4).",
      all(abs(r - 1) < 1e-6 for r in first_bc), got=first_bc)
x0 = torch.tensor(START, dtype=torch.float64, requires_grad=True)
q(x0).backward()
grad_ratio = (x0.grad[1] / x0.grad[0]).abs().item()
claim("the first step is exactly lr in both coordinates (although the gradients differ by a "
      "factor of about 67)", all(abs(r - 1) < 1e-6 for r in first_bc) and round(grad_ratio) == 67,
      got=(first_bc, grad_ratio))
largest_bc = steps_ratio[True].max().item()
claim("every later step stays at or below about lr", round(largest_bc, 2) <= 1, got=largest_bc)
largest_nobc = steps_ratio[False].max().item()
# "several times larger": the first 10 steps all above 3 lr, the largest 3-10 lr (6.25)
claim("Without it, the early steps are several times larger (up to the printed maximum",
      bool((steps_ratio[False][:10] > 3).all()) and 3 < largest_nobc < 10, got=largest_nobc)
bc_path = {bc: descend(q, START, gk.optim.Adam, lr=0.01, steps=200, bias_correction=bc)
           for bc in (True, False)}
claim("the run overshoots onto a different path",
      sum(sign_changes(bc_path[False], i) for i in (0, 1)) > 0
      and sum(sign_changes(bc_path[True], i) for i in (0, 1)) == 0
      and (bc_path[True].points - bc_path[False].points).abs().max() > 0.1,
      got={bc: [sign_changes(tr, i) for i in (0, 1)] for bc, tr in bc_path.items()})
claim("With the correction the step also shrinks below lr near the minimum",
      steps_ratio[True][-1].max() < 1, got=steps_ratio[True][-1].tolist())
claim("Bias correction makes the first step exactly lr per coordinate; without it the early steps "
      "were several times larger", all(abs(r - 1) < 1e-6 for r in first_bc)
      and bool((steps_ratio[False][:10] > 3).all()), got=(first_bc, largest_nobc))
claim("With it, Adam's step stays at about lr", round(largest_bc, 2) <= 1, got=largest_bc)
claim("measure bias correction (first step exactly lr, 3.16 lr without it)",
      all(abs(r - 1) < 1e-6 for r in first_bc) and all(round(r, 2) == 3.16 for r in first_nobc),
      got=(first_bc, first_nobc), where="README")

# 5. Deep nets
final = {key: [h.final_loss for h in hs] for key, hs in deep.items()}
at_chance = {net: all(abs(f - math.log(2)) < 0.01 for f in final[net, "momentum"]) for net in NETS}
claim("per layer, SGD stalls", at_chance["relu-xavier"], got=final["relu-xavier", "momentum"])
# "barely learns" (lesson 02): SGD + momentum ends no lower than 0.6 (ln 2 = 0.693)
claim("a 20-layer sigmoid net with PyTorch's default init (lesson 02: barely learns)",
      all(f > 0.6 for f in final["sigmoid-default", "momentum"]),
      got=final["sigmoid-default", "momentum"])
claim("Adam *does* rescue the Xavier-initialised ReLU net that SGD could not move, and in 300 "
      "steps it does not rescue the other two", rescued == ["relu-xavier"]
      and at_chance["relu-xavier"], got=(rescued, final))
claim("find that Adam rescues a 30-layer ReLU/Xavier net SGD cannot move, but not underflowed "
      "gradients or a saturated sigmoid stack", rescued == ["relu-xavier"]
      and at_chance["relu-xavier"], got=(rescued, final), where="README")
xav, tiny_n, sig = (flow[net] for net in NETS)
# "tiny": every layer's ||dL/dW|| below 1e-4 (measured at most 7.5e-6)
claim("The weight gradients are tiny, but above $\\epsilon$",
      xav.max() < 1e-4 and xav.min() > EPS, got=(xav.min().item(), xav.max().item()))
# "of order 1": between 0.1 and 10 (measured 0.34)
claim("(its spread is of order 1)", 0.1 <= spread["relu-xavier"] <= 10, got=spread["relu-xavier"])
claim("This is a real rescue", "relu-xavier" in rescued, got=final["relu-xavier", "adam"])
claim("The same homogeneity keeps the examples apart (the same spread)",
      round(float(spread["relu-N(0,0.01²)"]), 2) == round(float(spread["relu-xavier"]), 2),
      got=spread)
claim("most weight gradients have underflowed to exactly 0", zero["relu-N(0,0.01²)"] > 0.5,
      got=zero["relu-N(0,0.01²)"])
relu_tiny = tiny_eps["relu-N(0,0.01²)"].loss
# the blow-up, identical at every CPU level up to step 3: loss 29.8 at step 2, about 4e12 at step 3
# (the final loss is not claimed: 0.65 at avx2/avx512, 362 at default, where one mini-batch of
# the last 30 has loss 1e4)
claim("But $\\epsilon = 10^{-30}$ makes it worse: the run blows up, its loss passes 10 at step 2 "
      "and $10^{12}$ soon after",
      next(t for t, f in enumerate(relu_tiny) if f > 10) == 2
      and next((t for t, f in enumerate(relu_tiny) if f > 1e12), math.inf) <= 10
      and all(abs(f - math.log(2)) < 0.01 for f in final["relu-N(0,0.01²)", "adam"]),
      got=relu_tiny[:6])
# "about 1e9 lr": within half a decade (measured 7.6e8); "a few lr": below 10 (6.25 at most)
claim("it moves some entries by about $10^9\\,\\mathrm{lr}$, where section 4 found at most a few lr",
      10**8.5 <= step.max().item() <= 10**9.5 and max(largest_bc, largest_nobc) < 10,
      got=(step.max().item(), largest_nobc))
# v_1 = (1 - beta2) g^2 from v_0 = 0, so v = 0 with m != 0 means g != 0 and its square
# underflowed. The largest step is on such an entry and equals lr g / eps (g = m_1 / 0.1, to
# 0.1%); every entry with v > 0 moves by 0.5-2 lr (measured 1.20: not exactly 1, since v of a
# denormal g is itself rounded)
k = int(step.argmax())
g_k = (torch.cat([opt.state[p]["exp_avg"].flatten() for p in model.parameters()])[k] / 0.1).item()
claim("Their gradients are nonzero but so small that $g^2$ underflows to exactly 0 in float32, so "
      "$\\hat v = 0$ and the step is $\\mathrm{lr}\\,g/\\epsilon$; the entries with $v > 0$ still "
      "move by about lr", bool(v_zero[k]) and abs(step[k].item() / (abs(g_k) / 1e-30) - 1) < 1e-3
      and 0.5 <= step[~v_zero].max().item() <= 2,
      got=(bool(v_zero[k]), step[k].item(), abs(g_k) / 1e-30, step[~v_zero].max().item()))
claim("and $\\epsilon = 10^{-8}$ is what keeps such steps small",
      all(not h.diverged and max(h.loss) < 1 for h in deep["relu-N(0,0.01²)", "adam"]),
      got=[max(h.loss) for h in deep["relu-N(0,0.01²)", "adam"]])
# "far above": more than 5 times the Xavier net's final losses with Adam (0.05, 0.05); the
# lowest loss of the eps = 1e-30 run is 0.563 at every level
claim("Even the lowest mini-batch loss of the whole run stays far above the Xavier net's final loss",
      min(relu_tiny) > 5 * max(final["relu-xavier", "adam"]),
      got=(min(relu_tiny), final["relu-xavier", "adam"]))
claim("The median gradient is below $\\epsilon$ here too",
      sig.median() < EPS and tiny_n.median() < EPS, got=sig.median().item())
claim("but a tiny $\\epsilon$ does not help",
      abs(tiny_eps["sigmoid-default"].final_loss - math.log(2)) < 0.01,
      got=tiny_eps["sigmoid-default"].final_loss)
claim("the last layer sees *the same input for every example*, to float32 precision",
      spread["sigmoid-default"] < 1e-6, got=spread["sigmoid-default"])
claim("In deep nets Adam rescued the ReLU + Xavier net (tiny but faithful gradients) and did not "
      "rescue gradients below $\\epsilon$ or a saturating sigmoid stack (section 5)",
      rescued == ["relu-xavier"] and xav.min() > EPS and tiny_n.max() < EPS, got=rescued)
claim("Section 5: Adam rescued a net whose gradients were small but faithful (ReLU + Xavier)",
      "relu-xavier" in rescued and xav.min() > EPS, got=rescued)
claim(r"and did not rescue the $\\mathcal N(0, 0.01^2)$ net, whose gradients were below "
      r"$\\epsilon$.",
      "relu-N(0,0.01²)" not in rescued and tiny_n.max() < EPS, got=tiny_n.max().item())

# ReLU + Xavier, entry by entry: about half the weights get a gradient of exactly 0, and
# every weight into or out of a hidden unit that is off for every example is among them
# (gk.probe again: one forward/backward pass of the seed-0 net, a few ms)
torch.manual_seed(0)
_depth, _activation, _init = NETS["relu-xavier"]
_seen = gk.probe(gk.MLP(_depth, 32, activation=_activation, init=_init), spirals)
_off = [(z <= 0).all(0) for z in _seen.z[:-1]]            # hidden units, (32,) per layer
_touching, _moved = 0, 0   # weights touching an off unit; those of them with a gradient
for l, g in enumerate(_seen.grad_W):                      # g: (out, in)
    touches_off = torch.zeros_like(g, dtype=torch.bool)
    if l < len(_off):
        touches_off |= _off[l][:, None]
    if l > 0:
        touches_off |= _off[l - 1][None, :]
    _touching += touches_off.sum().item()
    _moved += (touches_off & (g != 0)).sum().item()
claim("at initialisation about half of them get a gradient of exactly 0 (printed above), since a "
      "weight into or out of a unit that no example switches on gets none",
      0.4 <= zero["relu-xavier"] <= 0.6 and _touching > 0 and _moved == 0,
      got={"exactly 0": zero["relu-xavier"], "touching an off unit": _touching,
           "of them with a gradient": _moved})
