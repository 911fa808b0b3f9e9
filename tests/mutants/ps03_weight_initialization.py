"""Known-wrong answers for ps03; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_fans_swapped': {
        "cell": 'ex1_init_std',
        "loses": ['ex1_init_std_tests'],
        "replace": [
            ('    return int(weight.shape[1] * receptive_field), int(weight.shape[0] * receptive_field)\n',
             '    return int(weight.shape[0] * receptive_field), int(weight.shape[1] * receptive_field)\n'),
        ],
    },
    'ex1_conv_kernel_ignored': {
        "cell": 'ex1_init_std',
        "loses": ['ex1_init_std_tests'],
        "replace": [
            ('    return int(weight.shape[1] * receptive_field), int(weight.shape[0] * receptive_field)\n',
             '    return int(weight.shape[1]), int(weight.shape[0])\n'),
        ],
    },
    'ex1_xavier_no_factor_two': {
        "cell": 'ex1_init_std',
        "loses": ['ex1_init_std_tests'],
        "replace": [
            ('    return gain * math.sqrt(2.0 / (fan_in + fan_out))\n',
             '    return gain * math.sqrt(1.0 / (fan_in + fan_out))\n'),
        ],
    },
    'ex1_kaiming_no_sqrt': {
        "cell": 'ex1_init_std',
        "loses": ['ex1_init_std_tests'],
        "replace": [
            ('    return gain / math.sqrt(fan)',
             '    return gain / fan'),
        ],
    },
    'ex1_kaiming_gain_squared': {
        "cell": 'ex1_init_std',
        "loses": ['ex1_init_std_tests'],
        "replace": [
            ('    return gain / math.sqrt(fan)',
             '    return gain * gain / math.sqrt(fan)'),
        ],
    },
    'ex2_uniform_bound_is_std': {
        "cell": 'ex2_initializers',
        "loses": ['ex2_initializers_tests'],
        "replace": [
            ('    bound = math.sqrt(3.0) * _kaiming_std_for(tensor, mode, gain)\n',
             '    bound = _kaiming_std_for(tensor, mode, gain)\n'),
        ],
    },
    'ex2_mode_ignored': {
        "cell": 'ex2_initializers',
        "loses": ['ex2_initializers_tests'],
        "replace": [
            ('    fan = fan_in if mode == "fan_in" else fan_out\n',
             '    fan = fan_in\n'),
        ],
    },
    'ex2_not_in_place': {
        "cell": 'ex2_initializers',
        "loses": ['ex2_initializers_tests'],
        "replace": [
            ('    std = gkinit.xavier_std(fan_in, fan_out, gain)\n    with torch.no_grad():\n        tensor.normal_(0.0, std, generator=generator)\n    return tensor\n',
             '    std = gkinit.xavier_std(fan_in, fan_out, gain)\n    return torch.empty(tensor.shape).normal_(0.0, std, generator=generator)\n'),
        ],
    },
    'ex2_uniform_draws_normal': {
        "cell": 'ex2_initializers',
        "loses": ['ex2_initializers_tests'],
        "replace": [
            ('        tensor.uniform_(-bound, bound, generator=generator)\n',
             '        tensor.normal_(0.0, bound / math.sqrt(3.0), generator=generator)\n'),
        ],
    },
    'ex3_std_after_activation': {
        "cell": 'ex3_std_decay',
        "loses": ['ex3_std_decay_tests'],
        "replace": [
            ('            stds.append(z.std(unbiased=False))\n            h = model.act(z)\n',
             '            h = model.act(z)\n            stds.append(h.std(unbiased=False))\n'),
        ],
    },
    'ex3_relu_factor_missing': {
        "cell": 'ex3_std_decay',
        "loses": ['ex3_std_decay_tests'],
        "replace": [
            ('    half = 0.5 if relu else 1.0           # ReLU keeps E[h^2] = Var(z) / 2\n',
             '    half = 1.0           # ReLU keeps E[h^2] = Var(z) / 2\n'),
        ],
    },
    'ex3_rate_inverted': {
        "cell": 'ex3_std_decay',
        "loses": ['ex3_std_decay_tests'],
        "replace": [
            ('                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed))).rate\n',
             '                geometric_fit(layer_stds(make_net(depth, init, seed), make_inputs(seed)).flip(0)).rate\n'),
        ],
    },
    'ex4_biases_left_random': {
        "cell": 'ex4_symmetry',
        "loses": ['ex4_symmetry_tests'],
        "replace": [
            ('            layer.bias.zero_()\n',
             ''),
        ],
    },
    'ex4_counts_columns': {
        "cell": 'ex4_symmetry',
        "loses": ['ex4_symmetry_tests'],
        "replace": [
            ('    W = weight.detach()\n',
             '    W = weight.detach().T\n'),
        ],
    },
    'ex4_exact_equality': {
        "cell": 'ex4_symmetry',
        "loses": ['ex4_symmetry_tests'],
        "replace": [
            ('    W = weight.detach()\n    count = 0\n    for i in range(W.shape[0]):\n        if i == 0 or (W[:i] - W[i]).abs().amax(dim=1).min().item() > tol:\n            count += 1\n    return count\n',
             '    return torch.unique(weight.detach(), dim=0).shape[0]\n'),
        ],
    },
    'ex5_verdicts_swapped': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('        return "vanishing"\n    if rate > 1.15:\n        return "exploding"\n',
             '        return "exploding"\n    if rate > 1.15:\n        return "vanishing"\n'),
        ],
    },
    'ex5_first_two_layers': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    rate = geometric_fit(torch.as_tensor(z_stds, dtype=torch.float64)).rate\n    if rate < 0.85:\n        return "vanishing"\n    if rate > 1.15:\n',
             '    s = torch.as_tensor(z_stds, dtype=torch.float64)\n    rate = (s[1] / s[0]).item()\n    if rate < 0.1:\n        return "vanishing"\n    if rate > 10:\n'),
        ],
    },
    'ex5_kaiming_for_everything': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('init_tanh = "C"\ninit_linear = "C"\n',
             'init_tanh = "D"\ninit_linear = "D"\n'),
        ],
    },
}
