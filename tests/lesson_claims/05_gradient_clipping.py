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
claim("the runs have **spikes** up to tens of times higher", 10 <= largest < 100, got=largest)
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
early = [clip_hit_rate(h.grad_norm[:100], 1.0) for h in clipped_runs]
late = [clip_hit_rate(h.grad_norm[-50:], 1.0) for h in clipped_runs]
claim("Clipping is busiest while the network learns to carry the first token (the first "
      "hundred steps or so), and drops to zero once the loss is low",
      min(early) > 0.2 and max(late) == 0, got={"first 100": early, "last 50": late})

# 5. Choosing the threshold
claim("$c = 1$ sits near the median", 0.7 <= float(q[0]) <= 1.4, got=float(q[0]))
fails = {c: [h.final_loss for h in sweep[c]] for c in (2.0, 5.0)}
claim("at $c = 2$ (about twice the median) and above, too many spikes pass through and the "
      "runs fail", all(l > 0.1 for ls in fails.values() for l in ls)
      and 1.5 <= 2 / float(q[0]) <= 2.5, got=fails)
claim("A threshold far above the typical norm lets the spikes through (c = 5 failed in", all(h.final_loss > 0.1 for h in sweep[5.0]))
half, one = [h.final_loss for h in sweep[0.5]], [h.final_loss for h in sweep[1.0]]
claim("A threshold below the median still works here (a little more slowly: compare the final "
      "losses)", max(half) < 0.1 and sum(half) > sum(one), got={"c=0.5": half, "c=1": one})
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
claim("so no run solves the task in 250 steps", to_target["lr = 0.1, no clip"] == [None] * 3,
      got=to_target["lr = 0.1, no clip"])

# 7. What clipping does not fix
claim("is about $10^{-10}$ of the one at the last step", round(math.log10(g19 / g1)) == -10,
      got=g19 / g1)
claim("stays at the loss of guessing, clipped or not",
      all(abs(h.final_loss - math.log(4)) < 0.05 for h in hs), got=[h.final_loss for h in hs])
