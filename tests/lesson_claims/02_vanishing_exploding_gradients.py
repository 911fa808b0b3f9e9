# What lessons/02_vanishing_exploding_gradients.ipynb (and its row of the README's course
# table) says it measured, checked against the lesson's own variables after its last cell.
# claim(quote, holds, got=...): see tests/lesson_claims/_claim.py.
import math

import torch


def straightness(norms):
    # largest distance of a curve from its fitted straight line on the log scale, as a
    # fraction of the curve's own range there (0 = a perfect straight line)
    y = torch.as_tensor(norms, dtype=torch.float64).log10()
    return (decades_off_fit(norms).abs().max() / (y.max() - y.min())).item()


# 1. Backpropagation multiplies Jacobians
bound, product_norm = math.prod(norms), torch.linalg.matrix_norm(product, ord=2).item()
claim("The hand-built product is autograd's Jacobian", torch.allclose(product, autograd),
      got=(product, autograd))
claim("its norm respects the bound, here by a wide margin",   # "wide": 10x or more (judgement)
      product_norm <= bound / 10, got={"norm": product_norm, "bound": bound})

# 2. How steep is each activation? (the slopes measured by autograd on the lesson's grid z)
slopes = {a: slope(a, z) for a in ["sigmoid", "tanh", "relu"]}
top = {a: (slopes[a].max().item(), abs(z[slopes[a].argmax()].item())) for a in ["sigmoid", "tanh"]}
claim("\\sigma'(z) = \\sigma(z)\\,\\big(1 - \\sigma(z)\\big) \\;\\le\\; \\tfrac14",
      top["sigmoid"][0] <= 0.25 and round(top["sigmoid"][0], 4) == 0.25, got=top["sigmoid"])
claim("is largest when both are $\\tfrac12$, that is at $z = 0$", top["sigmoid"][1] < 0.005,
      got=top["sigmoid"])      # 0.005: half the grid step
claim("For tanh, $\\tanh'(z) = 1 - \\tanh^2(z) \\le 1$, with the maximum also at $z = 0$",
      top["tanh"][0] <= 1 and round(top["tanh"][0], 4) == 1 and top["tanh"][1] < 0.005,
      got=top["tanh"])
claim("ReLU's slope is 1 for $z > 0$ and 0 for $z < 0$",
      bool((slopes["relu"][z > 0] == 1).all() and (slopes["relu"][z < 0] == 0).all()),
      got=slopes["relu"].unique().tolist())

# 3. Gradient norms, layer by layer
first_last = {(a, D): (flows[a, D][0] / flows[a, D][-1]).item() for a, D in flows}
grad50 = gk.probe(make_net(50, "sigmoid"), data64).grad_W[0]   # float64 dL/dW_1, 50 layers
claim("Some of these gradients are smaller than anything float32 can store",
      (grad50.abs() < smallest).any().item(), got=grad50.abs().min().item())
sigmoid_straight = [straightness(flows["sigmoid", D]) for D in [5, 10, 20, 30, 50]]
claim("For sigmoid the curves are straight lines on the log scale",   # within 10% (judgement)
      max(sigmoid_straight) < 0.1, got=sigmoid_straight)
claim("Tanh and ReLU lose gradient too, more slowly",
      all(first_last["sigmoid", D] < first_last[a, D] < 1
          for a in ["tanh", "relu"] for D in [5, 10, 20, 30, 50]), got=first_last)
# the bend: across layers 2..6 the curve climbs per layer less than 0.6 times as steeply as
# over the layers after layer 6 (0.6 is a judgement call)
bend = {(a, D): (flows[a, D][5] / flows[a, D][1]).log().item() / 4
        / ((flows[a, D][-1] / flows[a, D][5]).log().item() / (D - 6))
        for a in ["tanh", "relu"] for D in [10, 20, 30, 50]}
claim("Their curves bend near the input.", max(bend.values()) < 0.6, got=bend)
bigger = {a: (sizes[a][:3], torch.tensor(sizes[a][6:]).median().item()) for a in sizes}
claim("the first few hidden layers' outputs are larger than the later ones', as the cell below "
      "prints", all(min(first) > later for first, later in bigger.values()), got=bigger)
# the bend's shape (log10 of each of the first six layers' norms over the first layer's)
# changes by less than a decade from D = 10 to 50 (judgement), while the first layer's norm
# relative to the last falls at every added depth
shapes = {a: torch.stack([(flows[a, D][:6] / flows[a, D][0]).log10() for D in [10, 20, 30, 50]])
          for a in ["tanh", "relu"]}
spread = {a: (s.max(0).values - s.min(0).values).max().item() for a, s in shapes.items()}
falling = {a: [first_last[a, D] for D in [5, 10, 20, 30, 50]] for a in ["tanh", "relu"]}
claim("The bend has the same shape at every depth; what grows with depth is how far down the "
      "first layer sits", max(spread.values()) < 1
      and all(x > y for r in falling.values() for x, y in zip(r, r[1:])),
      got={"shape spread (decades)": spread, "first/last": falling})

# 3 (end). What float32 makes of these numbers
survive = {D: ((grads32[D] == 0).double().mean().item(), torch.linalg.vector_norm(grads32[D]).item(),
               grads32[D].abs().max().double().item() ** 2) for D in [30, 40]}
claim("Where the float32 entries survive but their norm prints as 0, the gradient is still there, "
      "but squaring entries that small (inside the norm) falls below the smallest float32 number",
      all(zeros < 1 and norm == 0 and square < smallest for zeros, norm, square in survive.values()),
      got=survive)
claim("Where 100% of the entries are exactly 0, the gradient itself has underflowed on its way back",
      bool((grads32[50] == 0).all()) and flows["sigmoid", 50][0].item() > 0,
      got=((grads32[50] == 0).double().mean().item(), flows["sigmoid", 50][0].item()))
claim("A deep sigmoid net trained in float32 therefore gives its first layers no gradient at all",
      bool((grads32[50] == 0).all()), got=(grads32[50] == 0).double().mean().item())

# 4. The per-layer factor rho
est = {(r[0], r[1]): r for r in rows}   # (activation, init, n Var(W), E[phi'^2], estimate, fit)
claim("has variance $a^2/3$, so $n\\operatorname{Var}(W) = 1/3$",   # sample variance: within 3%
      abs(est["relu", "default"][2] * 3 - 1) < 0.03, got=est["relu", "default"][2])
claim("the fraction of active units, about one half",              # 0.45-0.55 (judgement)
      0.45 <= est["relu", "default"][3] <= 0.55, got=est["relu", "default"][3])
claim("Then $\\rho \\approx \\sqrt{1/3 \\cdot 1/2} = \\sqrt{1/6}$",   # within 5% (judgement)
      abs(rho["relu", "default"] / math.sqrt(1 / 6) - 1) < 0.05, got=rho["relu", "default"])
kaiming = est["relu", "kaiming"]
claim("Kaiming init sets $n\\operatorname{Var}(W) = 2$, making the product about 1",
      abs(kaiming[2] / 2 - 1) < 0.03 and 0.9 <= kaiming[2] * kaiming[3] <= 1.1,
      got=(kaiming[2], kaiming[2] * kaiming[3]))
gaps = {s: r[4] / r[5] - 1 for s, r in est.items()}
claim("\\rho \\approx \\sqrt{\\,n\\,\\operatorname{Var}(W)\\;\\mathbb{E}\\big[\\phi'(z)^2\\big]\\,}",
      max(abs(g) for g in gaps.values()) < 0.1, got=gaps)    # estimate vs fit within 10% (judgement)
claim("Since $\\mathbb{E}[\\sigma'(z)^2] \\le 1/16$", est["sigmoid", "default"][3] <= 1 / 16,
      got=est["sigmoid", "default"][3])

# 5. Saturation
default_saturated = {a: saturated_fraction(make_net(20, a), a) for a in ["sigmoid", "tanh"]}
claim("Look at the saturated fractions at the default init: the vanishing measured in sections 3 "
      "and 4 does not come from saturation", max(default_saturated.values()) < 0.001,
      got=default_saturated)
claim("Saturation comes with **large weights**",
      all(all(x <= y for x, y in zip(f, f[1:])) and f[0] == 0 and f[-1] > 0.5
          for f in saturated.values()), got=saturated)

# 6. A deep sigmoid net barely learns
deep_losses = [h.final_loss for h in runs["sigmoid, 10 layers"][0]]
change = runs["sigmoid, 10 layers"][1]                 # (seeds, layers) relative change of W_l
claim("its last layer moves, its first layer does not",   # 10% vs 1e-6 (judgement)
      change[:, -1].min().item() > 0.1 and change[:, 0].max().item() < 1e-6, got=change[:, [0, -1]])
claim("which is why a change can print as 0", (change[:, 0] == 0).any().item(), got=change[:, 0])
# the lr sweep's answer is left to the printout: no lr gets the net off the loss of guessing
claim("Is it just a bad learning rate?", abs(best - math.log(2)) < 0.05, got=best)

# 7. Exploding gradients: large weights
tanh_big = explode_flows["tanh"]
claim("the norm now *grows* toward the input, a straight line again on the log scale",
      all(g[0] > g[-1] and straightness(g) < 0.1 for g in tanh_big.values()),
      got={D: straightness(g) for D, g in tanh_big.items()})
claim("Compare the printed per-layer factor with 1: here the large weights win over saturation",
      tanh_fit.rate > 1, got=tanh_fit.rate)
relu_big = explode_flows["relu"]
levels = [g.median().item() for g in relu_big.values()]
claim("each curve is flat, but deeper nets sit higher",          # flat: within 10x (judgement)
      all((g.max() / g.min()).item() < 10 for g in relu_big.values())
      and all(x < y for x, y in zip(levels, levels[1:])),
      got={D: (g.min().item(), g.max().item()) for D, g in relu_big.items()})
claim("The profile across layers hides the explosion, which shows in the level",
      (delta[0] / delta[-1]).item() > 1 and growth > 1, got=((delta[0] / delta[-1]).item(), growth))
claim("the gradient that an optimizer receives grows geometrically with depth",
      growth > 1 and all(x < y for x, y in zip(first_layer, first_layer[1:])),
      got=(growth, first_layer))
claim("the way Kaiming init did for ReLU in section 4", abs(rho["relu", "kaiming"] - 1) < 0.05,
      got=rho["relu", "kaiming"])

# 9. Self-check (the question and explanation texts in the code cells)
claim("where it equals 1/4. Far from 0 it goes to 0 (saturation)",
      round(top["sigmoid"][0], 4) == 0.25 and top["sigmoid"][1] < 0.005
      and slopes["sigmoid"][z.abs() >= 6].max().item() < 0.01, got=top["sigmoid"])
relu30 = first_last["relu", 30]
claim("A 30-layer ReLU net with PyTorch's default init has much smaller gradients in its first",
      relu30 < 1e-3, got=relu30)          # "much smaller": below 1e-3 (judgement)
claim(r"The default init has $n\\,\\mathrm{Var}(W) = 1/3$; with about half the units active each",
      abs(est["relu", "default"][2] * 3 - 1) < 0.03 and 0.45 <= est["relu", "default"][3] <= 0.55,
      got=est["relu", "default"][2:4])
claim(r"layer scales the gradient by about $\\sqrt{1/6}$",
      abs(rho["relu", "default"] / math.sqrt(1 / 6) - 1) < 0.05, got=rho["relu", "default"])
claim("brings the factor to about 1 (section 4)", abs(rho["relu", "kaiming"] - 1) < 0.05,
      got=rho["relu", "kaiming"])
claim("Initialising a deep tanh net with large weights (std 1, width 64) saturates most units.",
      measured > 0.5, got=measured)
claim("section 7 measured it above 1 for this net", tanh_fit.rate > 1, got=tanh_fit.rate)

# Recap
claim("The sigmoid's slope is at most $1/4$, so with ordinary weights deep sigmoid nets lose "
      "their gradient", top["sigmoid"][0] <= 0.25 and rho["sigmoid", "default"] < 1,
      got=(top["sigmoid"][0], rho["sigmoid", "default"]))
claim("the 10-layer sigmoid net of section 6 stayed near the loss of guessing",   # within 0.05
      all(abs(l - math.log(2)) < 0.05 for l in deep_losses), got=deep_losses)
claim("PyTorch's default init ($n\\operatorname{Var}(W) = 1/3$) still makes it vanish; Kaiming "
      "init keeps $\\rho$ near 1", rho["relu", "default"] < 1 and abs(rho["relu", "kaiming"] - 1) < 0.05,
      got=(rho["relu", "default"], rho["relu", "kaiming"]))
claim("Large weights saturate sigmoid and tanh units, yet can still make the gradient explode",
      min(f[-1] for f in saturated.values()) > 0.5 and tanh_fit.rate > 1,
      got=({a: f[-1] for a, f in saturated.items()}, tanh_fit.rate))
claim("In float32 the tiny gradients of a deep sigmoid net underflow to 0",
      bool((grads32[50] == 0).all()), got=(grads32[50] == 0).double().mean().item())

# README, the lesson's row of the course table
claim("explain why sigmoid' <= 1/4 makes deep sigmoid nets lose their gradient",
      top["sigmoid"][0] <= 0.25 and rho["sigmoid", "default"] < 1,
      got=(top["sigmoid"][0], rho["sigmoid", "default"]), where="README")
claim("why ReLU nets can still lose it through the weights",
      rho["relu", "default"] < 1 and abs(rho["relu", "kaiming"] - 1) < 0.05,
      got=(rho["relu", "default"], rho["relu", "kaiming"]), where="README")
