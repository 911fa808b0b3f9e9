"""Known-wrong answers for ps02; each must lose exactly its exercise's points."""
MUTANTS = {
    # sigma' written as s * (1 + s)
    "ex1_prime_s_times_1_plus_s": {
        "cell": "ex1_sigmoid",
        "loses": ["ex1_sigmoid_tests"],
        "source": r'''def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; same shape and dtype as z."""
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_prime(z):
    """d sigmoid(z) / dz, elementwise, computed from s = sigmoid(z) as s * (1 - s)."""
    s = sigmoid(z)
    return s * (1.0 + s)''',
    },
    # the derivative formula applied to z instead of s
    "ex1_prime_from_z_not_s": {
        "cell": "ex1_sigmoid",
        "loses": ["ex1_sigmoid_tests"],
        "source": r'''def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; same shape and dtype as z."""
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_prime(z):
    """d sigmoid(z) / dz, elementwise, computed from s = sigmoid(z) as s * (1 - s)."""
    return z * (1.0 - z)''',
    },
    # exp(z) instead of exp(-z): sigmoid(-z)
    "ex1_sigmoid_sign_error": {
        "cell": "ex1_sigmoid",
        "loses": ["ex1_sigmoid_tests"],
        "source": r'''def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise; same shape and dtype as z."""
    return 1.0 / (1.0 + torch.exp(z))


def sigmoid_prime(z):
    """d sigmoid(z) / dz, elementwise, computed from s = sigmoid(z) as s * (1 - s)."""
    s = sigmoid(z)
    return s * (1.0 - s)''',
    },
    # norms in backward order, last layer first
    "ex2_last_layer_first": {
        "cell": "ex2_grad_norms",
        "loses": ["ex2_grad_norms_tests"],
        "source": r'''def weight_grad_norms(model, X, y):
    """||dL/dW_l|| of every layer in model.layers, first layer first, after one backward pass
    of the cross-entropy loss on (X, y); a 1-D tensor."""
    model.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    return torch.stack([layer.weight.grad.norm() for layer in reversed(model.layers)])''',
    },
    # gradients never cleared: they accumulate
    "ex2_forgets_zero_grad": {
        "cell": "ex2_grad_norms",
        "loses": ["ex2_grad_norms_tests"],
        "source": r'''def weight_grad_norms(model, X, y):
    """||dL/dW_l|| of every layer in model.layers, first layer first, after one backward pass
    of the cross-entropy loss on (X, y); a 1-D tensor."""
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    return torch.stack([layer.weight.grad.norm() for layer in model.layers])''',
    },
    # mean absolute entry instead of the norm
    "ex2_mean_abs_not_norm": {
        "cell": "ex2_grad_norms",
        "loses": ["ex2_grad_norms_tests"],
        "source": r'''def weight_grad_norms(model, X, y):
    """||dL/dW_l|| of every layer in model.layers, first layer first, after one backward pass
    of the cross-entropy loss on (X, y); a 1-D tensor."""
    model.zero_grad()
    loss = F.cross_entropy(model(X), y)
    loss.backward()
    return torch.stack([layer.weight.grad.abs().mean() for layer in model.layers])''',
    },
    # last layer over first layer
    "ex3_ratio_inverted": {
        "cell": "ex3_decay_rate",
        "loses": ["ex3_decay_rate_tests"],
        "source": r'''def grad_ratio(depth, seed, activation="sigmoid"):
    """||dL/dW_1|| / ||dL/dW_D|| of make_mlp(depth, activation, seed) on make_data(seed)."""
    norms = gradient_flow(make_mlp(depth, activation, seed), make_data(seed))
    return (norms[-1] / norms[0]).item()


def per_layer_rate(depths, ratios):
    """exp(slope) of the least-squares line through (depth, log ratio): the factor per layer."""
    D = torch.as_tensor(depths, dtype=torch.float64)
    y = torch.log(torch.as_tensor(ratios, dtype=torch.float64))
    Dc = D - D.mean()
    slope = (Dc * (y - y.mean())).sum() / (Dc * Dc).sum()
    return math.exp(slope.item())


depths = [2, 4, 6, 8, 10, 12]
seeds = [0, 1, 2, 3, 4]
# ratios[i]: the median of grad_ratio(depths[i], seed) over seeds; then rate_sigmoid
ratios = [statistics.median(grad_ratio(depth, seed) for seed in seeds) for depth in depths]
rate_sigmoid = per_layer_rate(depths, ratios)
print(f"median first/last ratios: {[f'{r:.2g}' for r in ratios]}")
print(f"per-layer factor of a sigmoid MLP (Xavier init): rate_sigmoid = {rate_sigmoid:.3f}")''',
    },
    # fit on log10 but converted back with exp
    "ex3_log10_then_exp": {
        "cell": "ex3_decay_rate",
        "loses": ["ex3_decay_rate_tests"],
        "source": r'''def grad_ratio(depth, seed, activation="sigmoid"):
    """||dL/dW_1|| / ||dL/dW_D|| of make_mlp(depth, activation, seed) on make_data(seed)."""
    norms = gradient_flow(make_mlp(depth, activation, seed), make_data(seed))
    return (norms[0] / norms[-1]).item()


def per_layer_rate(depths, ratios):
    """exp(slope) of the least-squares line through (depth, log ratio): the factor per layer."""
    D = torch.as_tensor(depths, dtype=torch.float64)
    y = torch.log10(torch.as_tensor(ratios, dtype=torch.float64))
    Dc = D - D.mean()
    slope = (Dc * (y - y.mean())).sum() / (Dc * Dc).sum()
    return math.exp(slope.item())


depths = [2, 4, 6, 8, 10, 12]
seeds = [0, 1, 2, 3, 4]
# ratios[i]: the median of grad_ratio(depths[i], seed) over seeds; then rate_sigmoid
ratios = [statistics.median(grad_ratio(depth, seed) for seed in seeds) for depth in depths]
rate_sigmoid = per_layer_rate(depths, ratios)
print(f"median first/last ratios: {[f'{r:.2g}' for r in ratios]}")
print(f"per-layer factor of a sigmoid MLP (Xavier init): rate_sigmoid = {rate_sigmoid:.3f}")''',
    },
    # rate from the deepest net alone, no fit
    "ex3_root_of_deepest_ratio": {
        "cell": "ex3_decay_rate",
        "loses": ["ex3_decay_rate_tests"],
        "source": r'''def grad_ratio(depth, seed, activation="sigmoid"):
    """||dL/dW_1|| / ||dL/dW_D|| of make_mlp(depth, activation, seed) on make_data(seed)."""
    norms = gradient_flow(make_mlp(depth, activation, seed), make_data(seed))
    return (norms[0] / norms[-1]).item()


def per_layer_rate(depths, ratios):
    """exp(slope) of the least-squares line through (depth, log ratio): the factor per layer."""
    D = torch.as_tensor(depths, dtype=torch.float64)
    y = torch.log(torch.as_tensor(ratios, dtype=torch.float64))
    Dc = D - D.mean()
    slope = (Dc * (y - y.mean())).sum() / (Dc * Dc).sum()
    return math.exp(slope.item())


depths = [2, 4, 6, 8, 10, 12]
seeds = [0, 1, 2, 3, 4]
# ratios[i]: the median of grad_ratio(depths[i], seed) over seeds; then rate_sigmoid
ratios = [statistics.median(grad_ratio(depth, seed) for seed in seeds) for depth in depths]
rate_sigmoid = ratios[-1] ** (1 / depths[-1])
print(f"median first/last ratios: {[f'{r:.2g}' for r in ratios]}")
print(f"per-layer factor of a sigmoid MLP (Xavier init): rate_sigmoid = {rate_sigmoid:.3f}")''',
    },
    # z * (1 - z) instead of h * (1 - h)
    "ex4_derivative_from_z": {
        "cell": "ex4_sigmoid_slopes",
        "loses": ["ex4_sigmoid_slopes_tests"],
        "source": r'''def mean_sigmoid_slopes(model, X):
    """Mean of sigma'(z_l) over batch and units for each hidden layer of a sigmoid MLP."""
    slopes = []
    h = X
    with torch.no_grad():
        for layer in model.layers[:-1]:
            z = layer(h)            # (batch, width)
            h = torch.sigmoid(z)
            slopes.append((z * (1 - z)).mean())
    return torch.stack(slopes)


slope_depth = 10
slope_seeds = [0, 1, 2, 3, 4]
# slope_xavier (init="xavier") and slope_large (init=1.0): means over layers and slope_seeds
def average_slope(init):
    per_seed = [mean_sigmoid_slopes(make_mlp(slope_depth, "sigmoid", seed, init=init),
                                    make_data(seed).X) for seed in slope_seeds]
    return torch.stack(per_seed).mean().item()


slope_xavier = average_slope("xavier")
slope_large = average_slope(1.0)
print(f"mean sigma'(z): Xavier init {slope_xavier:.3f}, W ~ N(0, 1) {slope_large:.3f}; bound 0.25")''',
    },
    # the next layer gets z, not sigmoid(z)
    "ex4_feeds_z_forward": {
        "cell": "ex4_sigmoid_slopes",
        "loses": ["ex4_sigmoid_slopes_tests"],
        "source": r'''def mean_sigmoid_slopes(model, X):
    """Mean of sigma'(z_l) over batch and units for each hidden layer of a sigmoid MLP."""
    slopes = []
    h = X
    with torch.no_grad():
        for layer in model.layers[:-1]:
            z = layer(h)            # (batch, width)
            s = torch.sigmoid(z)
            slopes.append((s * (1 - s)).mean())
            h = z
    return torch.stack(slopes)


slope_depth = 10
slope_seeds = [0, 1, 2, 3, 4]
# slope_xavier (init="xavier") and slope_large (init=1.0): means over layers and slope_seeds
def average_slope(init):
    per_seed = [mean_sigmoid_slopes(make_mlp(slope_depth, "sigmoid", seed, init=init),
                                    make_data(seed).X) for seed in slope_seeds]
    return torch.stack(per_seed).mean().item()


slope_xavier = average_slope("xavier")
slope_large = average_slope(1.0)
print(f"mean sigma'(z): Xavier init {slope_xavier:.3f}, W ~ N(0, 1) {slope_large:.3f}; bound 0.25")''',
    },
    # the linear output layer counted too
    "ex4_includes_output_layer": {
        "cell": "ex4_sigmoid_slopes",
        "loses": ["ex4_sigmoid_slopes_tests"],
        "source": r'''def mean_sigmoid_slopes(model, X):
    """Mean of sigma'(z_l) over batch and units for each hidden layer of a sigmoid MLP."""
    slopes = []
    h = X
    with torch.no_grad():
        for layer in model.layers:
            z = layer(h)            # (batch, width)
            h = torch.sigmoid(z)
            slopes.append((h * (1 - h)).mean())
    return torch.stack(slopes)


slope_depth = 10
slope_seeds = [0, 1, 2, 3, 4]
# slope_xavier (init="xavier") and slope_large (init=1.0): means over layers and slope_seeds
def average_slope(init):
    per_seed = [mean_sigmoid_slopes(make_mlp(slope_depth, "sigmoid", seed, init=init),
                                    make_data(seed).X) for seed in slope_seeds]
    return torch.stack(per_seed).mean().item()


slope_xavier = average_slope("xavier")
slope_large = average_slope(1.0)
print(f"mean sigma'(z): Xavier init {slope_xavier:.3f}, W ~ N(0, 1) {slope_large:.3f}; bound 0.25")''',
    },
    # last over first: vanishing and exploding swapped
    "ex5_inverted_ratio": {
        "cell": "ex5_diagnose",
        "loses": ["ex5_diagnose_tests"],
        "source": r'''def diagnose(loss, grad_norms):
    """'vanishing', 'exploding' or 'healthy' for a recorded run.

    Args:
        loss: the training loss at every step (list of floats; may hold inf/nan).
        grad_norms: (recorded steps, layers) tensor of ||dL/dW_l||, first layer first.
    """
    g = torch.as_tensor(grad_norms, dtype=torch.float64)
    if not all(math.isfinite(v) for v in loss) or not bool(torch.isfinite(g).all()):
        return "exploding"                       # the run blew up
    first = g[0]                                 # at initialisation
    first_over_last = (first[-1] / first[0]).item()
    if first_over_last > 1e2 or first.max().item() > 1e3:
        return "exploding"
    if first_over_last < 1e-2:
        return "vanishing"
    return "healthy"


# the fix to try first for each problem: a letter each, A-D
fix_vanishing = "B"
fix_exploding = "C"
for name, run in runs.items():
    print(f"run {name}: {diagnose(run['loss'], run['grad_norms'])}")''',
    },
    # judges the final step, no blow-up check
    "ex5_looks_at_last_step": {
        "cell": "ex5_diagnose",
        "loses": ["ex5_diagnose_tests"],
        "source": r'''def diagnose(loss, grad_norms):
    """'vanishing', 'exploding' or 'healthy' for a recorded run.

    Args:
        loss: the training loss at every step (list of floats; may hold inf/nan).
        grad_norms: (recorded steps, layers) tensor of ||dL/dW_l||, first layer first.
    """
    g = torch.as_tensor(grad_norms, dtype=torch.float64)
    first = g[-1]                                # at the end of training
    first_over_last = (first[0] / first[-1]).item()
    if first_over_last > 1e2 or first.max().item() > 1e3:
        return "exploding"
    if first_over_last < 1e-2:
        return "vanishing"
    return "healthy"


# the fix to try first for each problem: a letter each, A-D
fix_vanishing = "B"
fix_exploding = "C"
for name, run in runs.items():
    print(f"run {name}: {diagnose(run['loss'], run['grad_norms'])}")''',
    },
    # right diagnosis, fixes swapped
    "ex5_fixes_swapped": {
        "cell": "ex5_diagnose",
        "loses": ["ex5_diagnose_tests"],
        "source": r'''def diagnose(loss, grad_norms):
    """'vanishing', 'exploding' or 'healthy' for a recorded run.

    Args:
        loss: the training loss at every step (list of floats; may hold inf/nan).
        grad_norms: (recorded steps, layers) tensor of ||dL/dW_l||, first layer first.
    """
    g = torch.as_tensor(grad_norms, dtype=torch.float64)
    if not all(math.isfinite(v) for v in loss) or not bool(torch.isfinite(g).all()):
        return "exploding"                       # the run blew up
    first = g[0]                                 # at initialisation
    first_over_last = (first[0] / first[-1]).item()
    if first_over_last > 1e2 or first.max().item() > 1e3:
        return "exploding"
    if first_over_last < 1e-2:
        return "vanishing"
    return "healthy"


# the fix to try first for each problem: a letter each, A-D
fix_vanishing = "C"
fix_exploding = "B"
for name, run in runs.items():
    print(f"run {name}: {diagnose(run['loss'], run['grad_norms'])}")''',
    },
}
