# What lessons/05_gradient_clipping.ipynb (and its row of the README's course table) says
# it measured, checked against the lesson's own variables after its last cell.
# claim(quote, holds, got=...): see tests/lesson_claims/_claim.py.
import math

# 1. Backpropagation through time
claim("makes the gradient about a hundred times larger after 60 steps", 50 <= growth <= 200,
      got=growth)
claim("90x growth over 60 steps at rho = 1.1", 85 <= growth < 95, got=growth, where="README")
linear_gap = {rho: abs(rate["linear", rho] / rho - 1) for rho in norms_linear}
claim("the fitted factor per step (legend) is close to $\\rho$ once $T$ is large enough",
      max(linear_gap.values()) < 0.02, got=linear_gap)
claim("$\\rho = 0.9$ still vanishes", rate["tanh", 0.9] < 1, got=rate["tanh", 0.9])
claim("$\\rho = 1.2$ does not explode at initialisation (its factor is below 1)",
      rate["tanh", 1.2] < 1, got=rate["tanh", 1.2])
tanh_big = {rho: rate["tanh", rho] for rho in (2.0, 3.0)}
claim("at $\\rho = 2$ and 3 the gradient does grow, but by a factor per step well below $\\rho$",
      all(1 < r < 0.75 * rho for rho, r in tanh_big.items()), got=tanh_big)
claim("a tanh RNN with rho > 1 need not explode", rate["tanh", 1.2] < 1, where="README")

# 2. Cliffs
plain_steps = (plain.points[1:] - plain.points[:-1]).norm(dim=1)
clipped_steps = (clipped.points[1:] - clipped.points[:-1]).norm(dim=1)
claim("joined by a face $2 \\times 0.25$ wide whose slope is 40", cliff.max_slope == 40,
      got=cliff.max_slope)
claim("There $\\|g\\| \\approx 41$", round(float(plain.grad_norms.max())) == 41,
      got=float(plain.grad_norms.max()))
claim("the next step is about $\\mathrm{lr} \\cdot 41 \\approx 4$ units long",
      3.5 <= float(plain_steps.max()) <= 4.5, got=float(plain_steps.max()))
claim("Here the bowl is forgiving and the run recovers", float(plain.losses[-1]) < 0.01,
      got=float(plain.losses[-1]))
claim("The clipped run crosses the face in steps of length at most $\\mathrm{lr} \\cdot c = 0.1$",
      float(clipped_steps.max()) <= 0.1 + 1e-12, got=float(clipped_steps.max()))

# 3. Three ways to clip
cos = dict(zip(["global", "per tensor", "value"], cosine.values()))
claim("Global-norm clipping only shortens the vector: the cosine is 1 up to rounding",
      abs(cos["global"] - 1) < 1e-6, got=cos["global"])
claim("global-norm clipping keeps the direction (cosine 1) while per-tensor (0.98) and value "
      "clipping (0.82) turn it", round(cos["per tensor"], 2) == 0.98 and round(cos["value"], 2) == 0.82,
      got=cos, where="README")

# 4. Training an RNN that needs a long memory
unclipped, clipped_runs = runs["no clipping"], runs["clip norm at c = 1"]
largest = max(max(h.grad_norm) for h in unclipped)
claim("the runs have **spikes** tens to hundreds of times higher", 10 <= largest < 1000, got=largest)
run_spikes = [max(h.grad_norm) for h in unclipped]
claim("how high exactly varies from run to run", max(run_spikes) / min(run_spikes) > 2,
      got=run_spikes)
claim("often above the loss of guessing", max(max(h.loss[50:]) for h in unclipped) > math.log(4),
      got=max(max(h.loss[50:]) for h in unclipped))
claim("none solves the task in 250 steps", solved["no clipping"] == 0, got=solved)
claim("each is cut to length 1, and all three runs solve the task",
      solved["clip norm at c = 1"] == 3, got=solved)
claim("unclipped SGD fails on 3 of 3 seeds and clipping at c = 1 solves 3 of 3",
      solved == {"no clipping": 0, "clip norm at c = 1": 3}, got=solved, where="README")
claim("Tanh keeps every hidden state in $[-1, 1]$, so the forward pass cannot overflow",
      not any(h.diverged for hs in runs.values() for h in hs))
relu_nan = {c: sum(h.diverged for h in hs) for c, hs in relu_runs.items()}
claim("a ReLU recurrence without clipping went to NaN", relu_nan[None] > 0, got=relu_nan)
start_gap = {name: abs(runs[name][0].loss[0] - h.loss[0]) for name, h in nudged.items()}
claim("The two curves start the same and have parted by more than 0.1 within the first 50 "
      "steps, with and without clipping", max(start_gap.values()) < 1e-6
      and all(t < 50 for t in parted.values()), got={"start": start_gap, "parted": parted})
spike = {name: [(max(r.grad_norm), r.grad_norm.index(max(r.grad_norm))) for r in (runs[name][0], h)]
         for name, h in nudged.items()}
claim("with its largest spike at another step and of another height",
      all(a[1] != b[1] and not 0.9 < a[0] / b[0] < 1.1 for a, b in spike.values()), got=spike)
claim("the nudged unclipped run still fails, and the nudged clipped run still solves the task",
      nudged["no clipping"].final_loss > 0.1 > nudged["clip norm at c = 1"].final_loss,
      got={name: h.final_loss for name, h in nudged.items()})
claim("a one-rounding-step nudge of the weights changed a run's path but not whether it "
      "solved the task", all(t < 50 for t in parted.values())
      and (nudged["no clipping"].final_loss > 0.1) == (runs["no clipping"][0].final_loss > 0.1)
      and (nudged["clip norm at c = 1"].final_loss < 0.1) == (clipped_runs[0].final_loss < 0.1),
      got={name: (runs[name][0].final_loss, h.final_loss) for name, h in nudged.items()})
early = [clip_hit_rate(h.grad_norm[:100], 1.0) for h in clipped_runs]
late = [clip_hit_rate(h.grad_norm[-50:], 1.0) for h in clipped_runs]
claim("Clipping is busiest while the network learns to carry the first token (the first "
      "hundred steps or so), and drops to zero once the loss is low",
      min(early) > 0.2 and max(late) == 0, got={"first 100": early, "last 50": late})

# 5. Choosing the threshold
claim("$c = 1$ sits near the median", 0.7 <= float(q[0]) <= 1.4, got=float(q[0]))
fails = {c: [h.final_loss for h in sweep[c]] for c in (2.0, 5.0)}
claim("At $c = 5$ too many spikes pass through and every run fails as the unclipped ones did",
      all(l > 0.1 for l in fails[5.0]), got=fails[5.0])
claim("at $c = 2$ (about twice the median) most runs fail too",
      sum(l > 0.1 for l in fails[2.0]) >= 2 and 1.5 <= 2 / float(q[0]) <= 2.5,
      got={"final losses": fails[2.0], "c / median": 2 / float(q[0])})
claim("A threshold far above the typical norm lets the spikes through (c = 5 failed in", all(h.final_loss > 0.1 for h in sweep[5.0]))
half, one = [h.steps_to(0.1) for h in sweep[0.5]], [h.steps_to(0.1) for h in sweep[1.0]]
claim("A threshold below the median still works here, more slowly: at $c = 0.5$ every run gets "
      "below a loss of 0.1, each later than at $c = 1$",
      None not in half + one and all(a > b for a, b in zip(half, one)),
      got={"c=0.5": half, "c=1": one})
hit = [sum(clip_hit_rate(h.grad_norm, c) for h in sweep[c]) / 3 for c in thresholds]
claim("the smaller $c$, the more often clipping acts",
      all(a > b for a, b in zip(hit, hit[1:])), got=hit)

# 6. Clipping or a smaller learning rate?
to_target = {name: [h.steps_to(0.1) for h in hs] for name, hs in compare.items()}
claim("A small enough learning rate ($0.03$) also solves the task without clipping",
      None not in to_target["lr = 0.03, no clip"], got=to_target)
claim("those runs need more steps to get below 0.1 than the clipped runs at $\\mathrm{lr} = 0.3$",
      None not in to_target["lr = 0.03, no clip"] and all(
          a > b for a, b in zip(to_target["lr = 0.03, no clip"], to_target["lr = 0.3, clip c = 1"])),
      got=to_target)
mid, clip = to_target["lr = 0.1, no clip"], to_target["lr = 0.3, clip c = 1"]
claim("too large for the spikes, it does not reliably solve the task. Some of its runs never "
      "get below 0.1 in 250 steps", None in mid, got=mid)
claim("and a run that does gets there later than the clipped run of the same seed",
      None not in clip and all(a is None or a > b for a, b in zip(mid, clip)),
      got={"lr = 0.1": mid, "clipped": clip})

# 7. What clipping does not fix
claim("is about $10^{-10}$ of the one at the last step", round(math.log10(g19 / g1)) == -10,
      got=g19 / g1)
claim("stays at the loss of guessing, clipped or not",
      all(abs(h.final_loss - math.log(4)) < 0.05 for h in hs), got=[h.final_loss for h in hs])
