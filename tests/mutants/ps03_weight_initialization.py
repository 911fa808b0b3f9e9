"""Known-wrong answers for ps03; each must lose exactly its exercise's points."""
MUTANTS = {
    # fan_in read from shape[0]: fan_out and fan_in swapped
    "ex1_fans_swapped": {
        "cell": "ex1_init_std",
        "loses": ["ex1_init_std_tests"],
        "source": r'''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    if weight.dim() < 2:
        raise ValueError(f"a weight needs at least 2 dimensions, got shape {tuple(weight.shape)}")
    receptive_field = math.prod(weight.shape[2:])  # 1 for a linear layer
    return int(weight.shape[0] * receptive_field), int(weight.shape[1] * receptive_field)


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return gain / math.sqrt(fan)''',
    },
    # receptive field left out: conv fans too small
    "ex1_conv_kernel_ignored": {
        "cell": "ex1_init_std",
        "loses": ["ex1_init_std_tests"],
        "source": r'''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    if weight.dim() < 2:
        raise ValueError(f"a weight needs at least 2 dimensions, got shape {tuple(weight.shape)}")
    receptive_field = math.prod(weight.shape[2:])  # 1 for a linear layer
    return int(weight.shape[1]), int(weight.shape[0])


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return gain / math.sqrt(fan)''',
    },
    # Xavier as sqrt(1 / (fan_in + fan_out))
    "ex1_xavier_no_factor_two": {
        "cell": "ex1_init_std",
        "loses": ["ex1_init_std_tests"],
        "source": r'''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    if weight.dim() < 2:
        raise ValueError(f"a weight needs at least 2 dimensions, got shape {tuple(weight.shape)}")
    receptive_field = math.prod(weight.shape[2:])  # 1 for a linear layer
    return int(weight.shape[1] * receptive_field), int(weight.shape[0] * receptive_field)


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return gain * math.sqrt(1.0 / (fan_in + fan_out))


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return gain / math.sqrt(fan)''',
    },
    # Kaiming std as gain / fan: the sqrt missing
    "ex1_kaiming_no_sqrt": {
        "cell": "ex1_init_std",
        "loses": ["ex1_init_std_tests"],
        "source": r'''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    if weight.dim() < 2:
        raise ValueError(f"a weight needs at least 2 dimensions, got shape {tuple(weight.shape)}")
    receptive_field = math.prod(weight.shape[2:])  # 1 for a linear layer
    return int(weight.shape[1] * receptive_field), int(weight.shape[0] * receptive_field)


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return gain / fan''',
    },
    # the ReLU factor applied twice: gain^2 / sqrt(fan)
    "ex1_kaiming_gain_squared": {
        "cell": "ex1_init_std",
        "loses": ["ex1_init_std_tests"],
        "source": r'''def fan_in_and_fan_out(weight):
    """(fan_in, fan_out) of a weight of shape (fan_out, fan_in, *kernel_size), as ints."""
    if weight.dim() < 2:
        raise ValueError(f"a weight needs at least 2 dimensions, got shape {tuple(weight.shape)}")
    receptive_field = math.prod(weight.shape[2:])  # 1 for a linear layer
    return int(weight.shape[1] * receptive_field), int(weight.shape[0] * receptive_field)


def xavier_std(fan_in, fan_out, gain=1.0):
    """gain * sqrt(2 / (fan_in + fan_out))  (Glorot & Bengio 2010)."""
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def kaiming_std(fan, gain=math.sqrt(2.0)):
    """gain / sqrt(fan)  (He et al. 2015); the default gain sqrt(2) is ReLU's."""
    return gain * gain / math.sqrt(fan)''',
    },
    # uniform bound set to the std: std too small by sqrt(3)
    "ex2_uniform_bound_is_std": {
        "cell": "ex2_initializers",
        "loses": ["ex2_initializers_tests"],
        "source": r'''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    std = gkinit.xavier_std(fan_in, fan_out, gain)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def _kaiming_std_for(tensor, mode, gain):
    """gain / sqrt(fan), fan = fan_in or fan_out of tensor according to mode."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain / math.sqrt(fan)


def kaiming_normal_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan)."""
    std = _kaiming_std_for(tensor, mode, gain)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def kaiming_uniform_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from U(-b, b) with the std of kaiming_normal_: b = sqrt(3) * std."""
    bound = _kaiming_std_for(tensor, mode, gain)
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor''',
    },
    # mode ignored: always fan_in
    "ex2_mode_ignored": {
        "cell": "ex2_initializers",
        "loses": ["ex2_initializers_tests"],
        "source": r'''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    std = gkinit.xavier_std(fan_in, fan_out, gain)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def _kaiming_std_for(tensor, mode, gain):
    """gain / sqrt(fan), fan = fan_in or fan_out of tensor according to mode."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    fan = fan_in
    return gain / math.sqrt(fan)


def kaiming_normal_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan)."""
    std = _kaiming_std_for(tensor, mode, gain)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def kaiming_uniform_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from U(-b, b) with the std of kaiming_normal_: b = sqrt(3) * std."""
    bound = math.sqrt(3.0) * _kaiming_std_for(tensor, mode, gain)
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor''',
    },
    # xavier_normal_ returns a new tensor; the argument is untouched
    "ex2_not_in_place": {
        "cell": "ex2_initializers",
        "loses": ["ex2_initializers_tests"],
        "source": r'''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    std = gkinit.xavier_std(fan_in, fan_out, gain)
    return torch.empty(tensor.shape).normal_(0.0, std, generator=generator)


def _kaiming_std_for(tensor, mode, gain):
    """gain / sqrt(fan), fan = fan_in or fan_out of tensor according to mode."""
    fan_in, fan_out = gkinit.calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain / math.sqrt(fan)


def kaiming_normal_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan)."""
    std = _kaiming_std_for(tensor, mode, gain)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def kaiming_uniform_(tensor, mode="fan_in", gain=math.sqrt(2.0), generator=None):
    """Fill tensor in place from U(-b, b) with the std of kaiming_normal_: b = sqrt(3) * std."""
    bound = math.sqrt(3.0) * _kaiming_std_for(tensor, mode, gain)
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor''',
    },
    # records the std of h = act(z) instead of z
    "ex3_std_after_activation": {
        "cell": "ex3_std_decay",
        "loses": ["ex3_std_decay_tests"],
        "source": r'''def layer_stds(model, X):
    """Population std of every layer's output z_l, first layer first; a 1-D tensor."""
    stds = []
    h = X
    with torch.no_grad():
        for layer in model.layers:
            z = layer(h)                  # (batch, out_features)
            h = model.act(z)
            stds.append(h.std(unbiased=False))
    return torch.stack(stds)


def predicted_rate(weight_std, fan_in, relu=True):
    """The variance rule's factor per layer for the std of z."""
    half = 0.5 if relu else 1.0           # ReLU keeps E[h^2] = Var(z) / 2
    return weight_std * math.sqrt(fan_in * half)


depth, width = 30, 64
seeds = [0, 1, 2, 3, 4]
inits = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": "xavier", "kaiming": "kaiming"}
weight_stds = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": math.sqrt(2 / (width + width)),
               "kaiming": math.sqrt(2 / width)}
# measured[name]: median over seeds of the fitted per-layer rate; predicted[name]: the rule
measured = {name: statistics.median(
                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed))).rate
                for seed in seeds)
            for name, init in inits.items()}
predicted = {name: predicted_rate(std, width) for name, std in weight_stds.items()}
for name in inits:
    print(f"{name:>12}: measured {measured[name]:.4f} per layer, variance rule {predicted[name]:.4f}")''',
    },
    # predicted rate without the ReLU's 1/2
    "ex3_relu_factor_missing": {
        "cell": "ex3_std_decay",
        "loses": ["ex3_std_decay_tests"],
        "source": r'''def layer_stds(model, X):
    """Population std of every layer's output z_l, first layer first; a 1-D tensor."""
    stds = []
    h = X
    with torch.no_grad():
        for layer in model.layers:
            z = layer(h)                  # (batch, out_features)
            stds.append(z.std(unbiased=False))
            h = model.act(z)
    return torch.stack(stds)


def predicted_rate(weight_std, fan_in, relu=True):
    """The variance rule's factor per layer for the std of z."""
    half = 1.0           # ReLU keeps E[h^2] = Var(z) / 2
    return weight_std * math.sqrt(fan_in * half)


depth, width = 30, 64
seeds = [0, 1, 2, 3, 4]
inits = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": "xavier", "kaiming": "kaiming"}
weight_stds = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": math.sqrt(2 / (width + width)),
               "kaiming": math.sqrt(2 / width)}
# measured[name]: median over seeds of the fitted per-layer rate; predicted[name]: the rule
measured = {name: statistics.median(
                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed))).rate
                for seed in seeds)
            for name, init in inits.items()}
predicted = {name: predicted_rate(std, width) for name, std in weight_stds.items()}
for name in inits:
    print(f"{name:>12}: measured {measured[name]:.4f} per layer, variance rule {predicted[name]:.4f}")''',
    },
    # profile fitted output-first: the rate inverted
    "ex3_rate_inverted": {
        "cell": "ex3_std_decay",
        "loses": ["ex3_std_decay_tests"],
        "source": r'''def layer_stds(model, X):
    """Population std of every layer's output z_l, first layer first; a 1-D tensor."""
    stds = []
    h = X
    with torch.no_grad():
        for layer in model.layers:
            z = layer(h)                  # (batch, out_features)
            stds.append(z.std(unbiased=False))
            h = model.act(z)
    return torch.stack(stds)


def predicted_rate(weight_std, fan_in, relu=True):
    """The variance rule's factor per layer for the std of z."""
    half = 0.5 if relu else 1.0           # ReLU keeps E[h^2] = Var(z) / 2
    return weight_std * math.sqrt(fan_in * half)


depth, width = 30, 64
seeds = [0, 1, 2, 3, 4]
inits = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": "xavier", "kaiming": "kaiming"}
weight_stds = {"N(0,1)": 1.0, "N(0,0.01^2)": 0.01, "xavier": math.sqrt(2 / (width + width)),
               "kaiming": math.sqrt(2 / width)}
# measured[name]: median over seeds of the fitted per-layer rate; predicted[name]: the rule
measured = {name: statistics.median(
                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed)).flip(0)).rate
                for seed in seeds)
            for name, init in inits.items()}
predicted = {name: predicted_rate(std, width) for name, std in weight_stds.items()}
for name in inits:
    print(f"{name:>12}: measured {measured[name]:.4f} per layer, variance rule {predicted[name]:.4f}")''',
    },
    # constant weights but PyTorch's random biases kept: symmetry broken by accident
    "ex4_biases_left_random": {
        "cell": "ex4_symmetry",
        "loses": ["ex4_symmetry_tests"],
        "source": r'''def constant_init_(model, value):
    """Every weight of every layer in model.layers := value, every bias := 0 (in place)."""
    with torch.no_grad():
        for layer in model.layers:
            layer.weight.fill_(value)
    return model


def count_distinct_units(weight, tol=1e-6):
    """Number of rows of weight that are not within tol (max abs difference) of an earlier row."""
    W = weight.detach()
    count = 0
    for i in range(W.shape[0]):
        if i == 0 or (W[:i] - W[i]).abs().amax(dim=1).min().item() > tol:
            count += 1
    return count


sym_seeds = [0, 1, 2]
# distinct_constant, distinct_random: one list of 3 counts (hidden layers) per seed
def hidden_counts(model):
    return [count_distinct_units(layer.weight) for layer in model.layers[:-1]]


distinct_constant, distinct_random = [], []
for seed in sym_seeds:
    model = spiral_net(seed)
    constant_init_(model, 0.1)
    train_briefly(model, seed)
    distinct_constant.append(hidden_counts(model))
    model = spiral_net(seed)
    train_briefly(model, seed)
    distinct_random.append(hidden_counts(model))
print(f"distinct hidden units after training, constant init: {distinct_constant}")
print(f"distinct hidden units after training, random init:   {distinct_random}")''',
    },
    # counts distinct columns (inputs) instead of rows (units)
    "ex4_counts_columns": {
        "cell": "ex4_symmetry",
        "loses": ["ex4_symmetry_tests"],
        "source": r'''def constant_init_(model, value):
    """Every weight of every layer in model.layers := value, every bias := 0 (in place)."""
    with torch.no_grad():
        for layer in model.layers:
            layer.weight.fill_(value)
            layer.bias.zero_()
    return model


def count_distinct_units(weight, tol=1e-6):
    """Number of rows of weight that are not within tol (max abs difference) of an earlier row."""
    W = weight.detach().T
    count = 0
    for i in range(W.shape[0]):
        if i == 0 or (W[:i] - W[i]).abs().amax(dim=1).min().item() > tol:
            count += 1
    return count


sym_seeds = [0, 1, 2]
# distinct_constant, distinct_random: one list of 3 counts (hidden layers) per seed
def hidden_counts(model):
    return [count_distinct_units(layer.weight) for layer in model.layers[:-1]]


distinct_constant, distinct_random = [], []
for seed in sym_seeds:
    model = spiral_net(seed)
    constant_init_(model, 0.1)
    train_briefly(model, seed)
    distinct_constant.append(hidden_counts(model))
    model = spiral_net(seed)
    train_briefly(model, seed)
    distinct_random.append(hidden_counts(model))
print(f"distinct hidden units after training, constant init: {distinct_constant}")
print(f"distinct hidden units after training, random init:   {distinct_random}")''',
    },
    # distinct rows by exact equality (torch.unique), no tolerance
    "ex4_exact_equality": {
        "cell": "ex4_symmetry",
        "loses": ["ex4_symmetry_tests"],
        "source": r'''def constant_init_(model, value):
    """Every weight of every layer in model.layers := value, every bias := 0 (in place)."""
    with torch.no_grad():
        for layer in model.layers:
            layer.weight.fill_(value)
            layer.bias.zero_()
    return model


def count_distinct_units(weight, tol=1e-6):
    """Number of rows of weight that are not within tol (max abs difference) of an earlier row."""
    return torch.unique(weight.detach(), dim=0).shape[0]


sym_seeds = [0, 1, 2]
# distinct_constant, distinct_random: one list of 3 counts (hidden layers) per seed
def hidden_counts(model):
    return [count_distinct_units(layer.weight) for layer in model.layers[:-1]]


distinct_constant, distinct_random = [], []
for seed in sym_seeds:
    model = spiral_net(seed)
    constant_init_(model, 0.1)
    train_briefly(model, seed)
    distinct_constant.append(hidden_counts(model))
    model = spiral_net(seed)
    train_briefly(model, seed)
    distinct_random.append(hidden_counts(model))
print(f"distinct hidden units after training, constant init: {distinct_constant}")
print(f"distinct hidden units after training, random init:   {distinct_random}")''',
    },
    # shrinking called exploding and growing called vanishing
    "ex5_verdicts_swapped": {
        "cell": "ex5_diagnose",
        "loses": ["ex5_diagnose_tests"],
        "source": r'''def diagnose_init(z_stds):
    """'vanishing', 'exploding' or 'steady' for a profile of per-layer stds (first layer first)."""
    rate = geometric_fit(torch.as_tensor(z_stds, dtype=torch.float64)).rate
    if rate < 0.85:
        return "exploding"
    if rate > 1.15:
        return "vanishing"
    return "steady"


# the initialisation for each architecture: a letter each, A-E
init_relu = "D"
init_tanh = "C"
init_linear = "C"
for name, stds in profiles.items():
    print(f"net {name}: {diagnose_init(stds)}")''',
    },
    # judges from the first two layers with 100x thresholds
    "ex5_first_two_layers": {
        "cell": "ex5_diagnose",
        "loses": ["ex5_diagnose_tests"],
        "source": r'''def diagnose_init(z_stds):
    """'vanishing', 'exploding' or 'steady' for a profile of per-layer stds (first layer first)."""
    s = torch.as_tensor(z_stds, dtype=torch.float64)
    rate = (s[1] / s[0]).item()
    if rate < 0.1:
        return "vanishing"
    if rate > 10:
        return "exploding"
    return "steady"


# the initialisation for each architecture: a letter each, A-E
init_relu = "D"
init_tanh = "C"
init_linear = "C"
for name, stds in profiles.items():
    print(f"net {name}: {diagnose_init(stds)}")''',
    },
    # Kaiming picked for tanh and linear nets too
    "ex5_kaiming_for_everything": {
        "cell": "ex5_diagnose",
        "loses": ["ex5_diagnose_tests"],
        "source": r'''def diagnose_init(z_stds):
    """'vanishing', 'exploding' or 'steady' for a profile of per-layer stds (first layer first)."""
    rate = geometric_fit(torch.as_tensor(z_stds, dtype=torch.float64)).rate
    if rate < 0.85:
        return "vanishing"
    if rate > 1.15:
        return "exploding"
    return "steady"


# the initialisation for each architecture: a letter each, A-E
init_relu = "D"
init_tanh = "D"
init_linear = "D"
for name, stds in profiles.items():
    print(f"net {name}: {diagnose_init(stds)}")''',
    },
}
