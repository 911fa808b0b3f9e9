"""Correct answers to ps02 written differently from the reference: each must get full marks.

Each variant is the reference answer of one cell with edits (``replace``: (old, new) pairs,
each ``old`` found exactly once in the reference answer) or a whole answer cell (``source``).
Exercise 1 builds the sigmoid with a reciprocal or in float64 and sigma' as
sigma(z) sigma(-z) or s - s^2; exercise 2 reads the gradients through named_parameters or
a Python list, with another loss expression and other norms; exercise 3 fits the line with
Python floats or in float32 with the other closed form; exercise 4 runs the layers as
matrix products and averages in another order; exercise 5 is the classifier the text
suggests (a ratio and an inf/nan check only) and one that counts decades in Python floats.
"""

_EX1_RECIPROCAL = '''\
def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; same shape and dtype as z."""
    return torch.reciprocal(torch.exp(-z) + 1)


def sigmoid_prime(z):
    """d sigmoid(z) / dz, elementwise, computed from s = sigmoid(z) as s * (1 - s)."""
    return sigmoid(z) * sigmoid(-z)          # 1 - sigmoid(z) = sigmoid(-z)
'''

_EX1_FLOAT64_INSIDE = '''\
def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; same shape and dtype as z."""
    z64 = z.to(torch.float64)
    return (1 / (torch.exp(-z64) + 1)).to(z.dtype)


def sigmoid_prime(z):
    """d sigmoid(z) / dz, elementwise, computed from s = sigmoid(z) as s * (1 - s)."""
    s = sigmoid(z)
    return s - s ** 2
'''

_EX2_NAMED_PARAMETERS = '''\
def weight_grad_norms(model, X, y):
    """||dL/dW_l|| of every layer in model.layers, first layer first, after one backward pass
    of the cross-entropy loss on (X, y); a 1-D tensor."""
    for p in model.parameters():
        p.grad = None
    criterion = torch.nn.CrossEntropyLoss()
    criterion(model(X), y).backward()
    norms = [torch.linalg.vector_norm(p.grad).item()
             for name, p in model.named_parameters() if name.endswith("weight")]
    return torch.tensor(norms)
'''

_EX2_LOG_SOFTMAX = '''\
def weight_grad_norms(model, X, y):
    """||dL/dW_l|| of every layer in model.layers, first layer first, after one backward pass
    of the cross-entropy loss on (X, y); a 1-D tensor."""
    model.zero_grad(set_to_none=False)
    log_probs = model(X).log_softmax(dim=1)
    loss = -log_probs[torch.arange(len(y)), y].sum() / len(y)
    loss.backward()
    norms = torch.empty(len(model.layers), dtype=torch.float64)
    for i, layer in enumerate(model.layers):
        norms[i] = (layer.weight.grad.double() ** 2).sum().sqrt()
    return norms
'''

_EX3_PYTHON_FLOATS = '''\
def grad_ratio(depth, seed, activation="sigmoid"):
    """||dL/dW_1|| / ||dL/dW_D|| of make_mlp(depth, activation, seed) on make_data(seed)."""
    norms = gradient_flow(make_mlp(depth, activation, seed), make_data(seed)).tolist()
    return norms[0] / norms[-1]


def per_layer_rate(depths, ratios):
    """exp(slope) of the least-squares line through (depth, log ratio): the factor per layer."""
    xs = [float(d) for d in depths]
    ys = [math.log(r) for r in ratios]
    x_bar, y_bar = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sxx = 0.0
    for x, y in zip(xs, ys):
        sxy += (x - x_bar) * (y - y_bar)
        sxx += (x - x_bar) ** 2
    return math.exp(sxy / sxx)


depths = [2, 4, 6, 8, 10, 12]
seeds = [0, 1, 2, 3, 4]
# ratios[i]: the median of grad_ratio(depths[i], seed) over seeds; then rate_sigmoid
ratios = []
for depth in depths:
    per_seed = sorted(grad_ratio(depth, seed) for seed in seeds)
    ratios.append(per_seed[len(per_seed) // 2])
rate_sigmoid = per_layer_rate(depths, ratios)
print(f"median first/last ratios: {[f'{r:.2g}' for r in ratios]}")
print(f"per-layer factor of a sigmoid MLP (Xavier init): rate_sigmoid = {rate_sigmoid:.3f}")
'''

_EX3_FLOAT32_SUMS = '''\
def grad_ratio(depth, seed, activation="sigmoid"):
    """||dL/dW_1|| / ||dL/dW_D|| of make_mlp(depth, activation, seed) on make_data(seed)."""
    norms = gradient_flow(make_mlp(depth, activation, seed), make_data(seed))
    return norms[0].item() / norms[-1].item()


def per_layer_rate(depths, ratios):
    """exp(slope) of the least-squares line through (depth, log ratio): the factor per layer."""
    x = torch.tensor(depths, dtype=torch.float32)
    y = torch.tensor(ratios).log()                      # float32
    n = len(x)
    slope = (n * (x * y).sum() - x.sum() * y.sum()) / (n * (x * x).sum() - x.sum() ** 2)
    return slope.exp().item()


depths = [2, 4, 6, 8, 10, 12]
seeds = [0, 1, 2, 3, 4]
# ratios[i]: the median of grad_ratio(depths[i], seed) over seeds; then rate_sigmoid
table = torch.tensor([[grad_ratio(depth, seed) for seed in seeds] for depth in depths],
                     dtype=torch.float64)
ratios = table.median(dim=1).values.tolist()            # 5 seeds: the middle value
rate_sigmoid = per_layer_rate(depths, ratios)
print(f"median first/last ratios: {[f'{r:.2g}' for r in ratios]}")
print(f"per-layer factor of a sigmoid MLP (Xavier init): rate_sigmoid = {rate_sigmoid:.3f}")
'''

_EX4_MATMUL = '''\
def mean_sigmoid_slopes(model, X):
    """Mean of sigma'(z_l) over batch and units for each hidden layer of a sigmoid MLP."""
    hidden = list(model.layers)[:-1]
    slopes = torch.empty(len(hidden), dtype=X.dtype)
    h = X
    with torch.no_grad():
        for i, layer in enumerate(hidden):
            z = h @ layer.weight.T + layer.bias
            slopes[i] = (torch.sigmoid(z) * torch.sigmoid(-z)).sum() / z.numel()
            h = torch.sigmoid(z)
    return slopes


slope_depth = 10
slope_seeds = [0, 1, 2, 3, 4]
# slope_xavier (init="xavier") and slope_large (init=1.0): means over layers and slope_seeds


def average_slope(init):
    per_seed = []
    for seed in slope_seeds:
        s = mean_sigmoid_slopes(make_mlp(slope_depth, "sigmoid", seed, init=init), make_data(seed).X)
        per_seed.append(s.mean().item())
    return statistics.fmean(per_seed)


slope_xavier = average_slope("xavier")
slope_large = average_slope(1.0)
print(f"mean sigma'(z): Xavier init {slope_xavier:.3f}, W ~ N(0, 1) {slope_large:.3f}; bound 0.25")
'''

_EX4_F_LINEAR = '''\
def mean_sigmoid_slopes(model, X):
    """Mean of sigma'(z_l) over batch and units for each hidden layer of a sigmoid MLP."""
    slopes = []
    h = X
    with torch.no_grad():
        for l in range(len(model.layers) - 1):
            layer = model.layers[l]
            h = torch.sigmoid(F.linear(h, layer.weight, layer.bias))
            slopes.append((h - h * h).mean(dim=0).mean())   # over the batch, then the units
    return torch.stack(slopes)


slope_depth = 10
slope_seeds = [0, 1, 2, 3, 4]
# slope_xavier (init="xavier") and slope_large (init=1.0): means over layers and slope_seeds
slope_xavier = torch.cat([mean_sigmoid_slopes(make_mlp(slope_depth, "sigmoid", s, init="xavier"),
                                              make_data(s).X) for s in slope_seeds]).mean().item()
slope_large = torch.cat([mean_sigmoid_slopes(make_mlp(slope_depth, "sigmoid", s, init=1.0),
                                             make_data(s).X) for s in slope_seeds]).mean().item()
print(f"mean sigma'(z): Xavier init {slope_xavier:.3f}, W ~ N(0, 1) {slope_large:.3f}; bound 0.25")
'''

# exactly the criteria the exercise suggests: inf/nan, then the first step's first/last
# ratio against 1e-2 and 1e2 (no separate "huge gradients" test)
_EX5_SUGGESTED = '''\
def diagnose(loss, grad_norms):
    """'vanishing', 'exploding' or 'healthy' for a recorded run."""
    if torch.isnan(torch.tensor(loss)).any() or torch.isinf(torch.tensor(loss)).any():
        return "exploding"
    if not torch.isfinite(grad_norms).all():
        return "exploding"
    ratio = grad_norms[0, 0] / grad_norms[0, -1]
    if ratio > 1e2:
        return "exploding"
    if ratio < 1e-2:
        return "vanishing"
    return "healthy"


# the fix to try first for each problem: a letter each, A-D
fix_vanishing = "b"
fix_exploding = " C"
for name, run in runs.items():
    print(f"run {name}: {diagnose(run['loss'], run['grad_norms'])}")
'''

# decades of first/last in Python floats, a blow-up anywhere in the record, huge gradients
_EX5_DECADES = '''\
def diagnose(loss, grad_norms):
    """'vanishing', 'exploding' or 'healthy' for a recorded run."""
    rows = grad_norms.tolist()
    values = list(loss) + [v for row in rows for v in row]
    if any(math.isnan(v) or math.isinf(v) for v in values):
        return "exploding"
    first_step = rows[0]
    decades = math.log10(first_step[0]) - math.log10(first_step[-1])
    if decades >= 2 or max(first_step) >= 1e3:
        return "exploding"
    if decades <= -2:
        return "vanishing"
    return "healthy"


# the fix to try first for each problem: a letter each, A-D
fix_vanishing, fix_exploding = "B", "C"
for name, run in runs.items():
    print(f"run {name}: {diagnose(run['loss'], run['grad_norms'])}")
'''

VARIANTS = {
    # ex1: a reciprocal, sigma' = sigma(z) sigma(-z) ...
    "ex1_reciprocal_sigmoid_of_minus_z": {"cell": "ex1_sigmoid", "source": _EX1_RECIPROCAL},
    # ... and the sigmoid computed in float64 and cast back, sigma' = s - s^2
    "ex1_float64_inside_s_minus_s2": {"cell": "ex1_sigmoid", "source": _EX1_FLOAT64_INSIDE},
    # ex2: grads set to None, nn.CrossEntropyLoss, linalg.vector_norm via named_parameters,
    # a float32 tensor of Python floats ...
    "ex2_named_parameters_float32_list": {"cell": "ex2_grad_norms",
                                          "source": _EX2_NAMED_PARAMETERS},
    # ... and a hand-written log-softmax loss, sqrt of a sum of squares in float64
    "ex2_log_softmax_sum_of_squares": {"cell": "ex2_grad_norms", "source": _EX2_LOG_SOFTMAX},
    # ex3: Python floats and a loop for the fit, a hand-written median ...
    "ex3_python_floats": {"cell": "ex3_decay_rate", "source": _EX3_PYTHON_FLOATS},
    # ... and float32 with the other closed form (n Sxy - Sx Sy) / (n Sxx - Sx^2)
    "ex3_float32_raw_sums": {"cell": "ex3_decay_rate", "source": _EX3_FLOAT32_SUMS},
    # ex4: h @ W.T + b, sigma(z) sigma(-z), sum / numel, averages of per-seed means ...
    "ex4_matmul_sigmoid_of_minus_z": {"cell": "ex4_sigmoid_slopes", "source": _EX4_MATMUL},
    # ... and F.linear, h - h^2, mean over the batch then over the units, one pooled mean
    "ex4_f_linear_h_minus_h2": {"cell": "ex4_sigmoid_slopes", "source": _EX4_F_LINEAR},
    # ex5: the classifier the text suggests ...
    "ex5_suggested_ratio_and_nan": {"cell": "ex5_diagnose", "source": _EX5_SUGGESTED},
    # ... and decades in Python floats
    "ex5_decades_python_floats": {"cell": "ex5_diagnose", "source": _EX5_DECADES},
}
