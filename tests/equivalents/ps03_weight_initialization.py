"""Correct answers to ps03 written differently from the reference: each must get full marks."""

VARIANTS = {
    # fans by a loop over the kernel dims; sqrt(2) pulled out of the square root; gain under it
    "ex1_loop_and_regrouped_sqrt": {
        "cell": "ex1_init_std",
        "source": '''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    shape = tuple(weight.shape)
    if len(shape) < 2:
        raise ValueError("fan_in_and_fan_out needs a tensor with at least 2 dimensions")
    receptive_field = 1
    for k in shape[2:]:
        receptive_field *= k
    return shape[1] * receptive_field, shape[0] * receptive_field


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return math.sqrt(2.0) * gain / math.sqrt(fan_in + fan_out)


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return math.sqrt(gain ** 2 / fan)
''',
    },
    # the receptive field from numel(); powers instead of math.sqrt
    "ex1_numel_and_powers": {
        "cell": "ex1_init_std",
        "source": '''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    if weight.ndim < 2:
        raise ValueError(f"expected a weight with >= 2 dims, got {weight.ndim}")
    n_out, n_in = weight.size(0), weight.size(1)
    receptive_field = weight.numel() // (n_out * n_in)
    return int(n_in * receptive_field), int(n_out * receptive_field)


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return gain * (2 / (fan_in + fan_out)) ** 0.5


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return gain * fan ** -0.5
''',
    },
    # a genuinely different draw: float64 randn / rand (another random stream), scaled, copied in
    "ex2_float64_draws": {
        "cell": "ex2_initializers",
        "source": '''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    std = gkinit.xavier_std(*gkinit.calculate_fan_in_and_fan_out(tensor), gain)
    noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        tensor.copy_(std * noise)
    return tensor


def _kaiming_std_for(tensor, mode, gain):
    """gain / sqrt(fan), fan = fan_in or fan_out of tensor according to mode."""
    fans = dict(zip(("fan_in", "fan_out"), gkinit.calculate_fan_in_and_fan_out(tensor)))
    return math.sqrt(gain ** 2 / fans[mode])


def kaiming_normal_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan)."""
    noise = torch.randn(tensor.shape, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        tensor.copy_(noise * _kaiming_std_for(tensor, mode, gain))
    return tensor


def kaiming_uniform_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from U(-b, b) with the std of kaiming_normal_: b = sqrt(3) * std."""
    bound = math.sqrt(3.0 * _kaiming_std_for(tensor, mode, gain) ** 2)
    u = torch.rand(tensor.shape, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        tensor.copy_((2.0 * u - 1.0) * bound)
    return tensor
''',
    },
    # standard draws scaled afterwards (normal_(0, 1) * std; uniform_(0, 1) mapped to (-b, b))
    "ex2_standard_draw_then_scale": {
        "cell": "ex2_initializers",
        "source": '''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    with torch.no_grad():
        tensor.normal_(0.0, 1.0, generator=generator).mul_(gain * math.sqrt(2.0 / (fan_in + fan_out)))
    return tensor


def _kaiming_std_for(tensor, mode, gain):
    """gain / sqrt(fan), fan = fan_in or fan_out of tensor according to mode."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_out":
        return gain / math.sqrt(fan_out)
    return gain / math.sqrt(fan_in)


def kaiming_normal_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan)."""
    with torch.no_grad():
        tensor.normal_(generator=generator)
        tensor.mul_(_kaiming_std_for(tensor, mode, gain))
    return tensor


def kaiming_uniform_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from U(-b, b) with the std of kaiming_normal_: b = sqrt(3) * std."""
    b = _kaiming_std_for(tensor, mode, gain) * math.sqrt(3.0)
    with torch.no_grad():
        tensor.uniform_(0.0, 1.0, generator=generator).mul_(2.0 * b).sub_(b)
    return tensor
''',
    },
    # z = h W^T + b by hand, the population std from its definition, medians via torch
    "ex3_manual_linear_and_std": {
        "cell": "ex3_std_decay",
        "source": '''def layer_stds(model, X):
    """Population std of every layer's output z_l, first layer first; a 1-D tensor."""
    stds = []
    h = X
    with torch.no_grad():
        for layer in model.layers:
            z = h @ layer.weight.T + layer.bias
            stds.append(((z - z.mean()) ** 2).mean().sqrt().item())
            h = model.act(z)
    return torch.tensor(stds, dtype=torch.float64)


def predicted_rate(weight_std, fan_in, relu=True):
    """The variance rule's factor per layer for the std of z."""
    return math.sqrt(weight_std ** 2 * fan_in / (2.0 if relu else 1.0))


depth, width = 30, 64
seeds = [0, 1, 2, 3, 4]
inits = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": "xavier", "kaiming": "kaiming"}
weight_stds = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": math.sqrt(2 / (width + width)),
               "kaiming": math.sqrt(2 / width)}
# measured[name]: median over seeds of the fitted per-layer rate; predicted[name]: the rule
measured, predicted = {}, {}
for name, init in inits.items():
    rates = torch.tensor([geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed))).rate
                          for seed in seeds], dtype=torch.float64)
    measured[name] = rates.median().item()
    predicted[name] = predicted_rate(weight_stds[name], width)
for name in inits:
    print(f"{name:>12}: measured {measured[name]:.4f} per layer, variance rule {predicted[name]:.4f}")
''',
    },
    # var(unbiased=False).sqrt() on the flattened z; sqrt(fan_in) / sqrt(2) split; sorted median
    "ex3_var_sqrt_and_sorted_median": {
        "cell": "ex3_std_decay",
        "replace": [
            ("            stds.append(z.std(unbiased=False))\n",
             "            stds.append(z.reshape(-1).var(unbiased=False).sqrt())\n"),
            ("    half = 0.5 if relu else 1.0           # ReLU keeps E[h^2] = Var(z) / 2\n"
             "    return weight_std * math.sqrt(fan_in * half)\n",
             "    rate = weight_std * math.sqrt(fan_in)\n"
             "    return rate / math.sqrt(2.0) if relu else rate\n"),
            ("measured = {name: statistics.median(\n"
             "                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed))).rate\n"
             "                for seed in seeds)\n",
             "measured = {name: sorted(\n"
             "                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed))).rate\n"
             "                for seed in seeds)[len(seeds) // 2]\n"),
        ],
    },
    # nn.init.constant_/zeros_; an all-pairs Chebyshev distance matrix (cdist, p=inf)
    "ex4_init_helpers_and_cdist": {
        "cell": "ex4_symmetry",
        "replace": [
            ("            layer.weight.fill_(value)\n            layer.bias.zero_()\n",
             "            torch.nn.init.constant_(layer.weight, value)\n"
             "            torch.nn.init.zeros_(layer.bias)\n"),
            ("    W = weight.detach()\n    count = 0\n    for i in range(W.shape[0]):\n"
             "        if i == 0 or (W[:i] - W[i]).abs().amax(dim=1).min().item() > tol:\n"
             "            count += 1\n    return count\n",
             "    W = weight.detach().double()\n"
             "    d = torch.cdist(W, W, p=float(\"inf\"))  # d[i, j] = max_k |W[i, k] - W[j, k]|\n"
             "    return sum(1 for i in range(W.shape[0]) if not bool((d[i, :i] <= tol).any()))\n"),
        ],
    },
    # a loop over parameters by name; pairwise torch.allclose(atol=tol, rtol=0) in plain loops
    "ex4_param_loop_and_allclose": {
        "cell": "ex4_symmetry",
        "replace": [
            ("    with torch.no_grad():\n        for layer in model.layers:\n"
             "            layer.weight.fill_(value)\n            layer.bias.zero_()\n",
             "    with torch.no_grad():\n        for layer in model.layers:\n"
             "            for pname, p in layer.named_parameters():\n"
             "                p.copy_(torch.full_like(p, value if pname == \"weight\" else 0.0))\n"),
            ("    W = weight.detach()\n    count = 0\n    for i in range(W.shape[0]):\n"
             "        if i == 0 or (W[:i] - W[i]).abs().amax(dim=1).min().item() > tol:\n"
             "            count += 1\n    return count\n",
             "    W = weight.detach()\n    count = 0\n    for i in range(len(W)):\n"
             "        if not any(torch.allclose(W[i], W[j], rtol=0.0, atol=tol) for j in range(i)):\n"
             "            count += 1\n    return count\n"),
        ],
    },
    # the per-layer factor from the two ends of the profile instead of a least-squares fit
    "ex5_end_to_end_rate": {
        "cell": "ex5_diagnose",
        "replace": [
            ("    rate = geometric_fit(torch.as_tensor(z_stds, dtype=torch.float64)).rate\n",
             "    s = [float(v) for v in z_stds]\n"
             "    rate = (s[-1] / s[0]) ** (1.0 / (len(s) - 1))\n"),
        ],
    },
    # total change in decades over the whole profile (numpy), first and last layer
    "ex5_decades": {
        "cell": "ex5_diagnose",
        "replace": [
            ("    rate = geometric_fit(torch.as_tensor(z_stds, dtype=torch.float64)).rate\n"
             "    if rate < 0.85:\n        return \"vanishing\"\n    if rate > 1.15:\n"
             "        return \"exploding\"\n    return \"steady\"\n",
             "    import numpy as np\n"
             "    logs = np.log10(np.asarray([float(v) for v in z_stds]))\n"
             "    decades = logs[-1] - logs[0]\n"
             "    if decades < -1.0:\n        return \"vanishing\"\n    if decades > 1.0:\n"
             "        return \"exploding\"\n    return \"steady\"\n"),
        ],
    },
}
