"""Known-wrong answers for ps02; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_prime_s_times_1_plus_s': {
        "cell": 'ex1_sigmoid',
        "loses": ['ex1_sigmoid_tests'],
        "replace": [
            ('    return s * (1.0 - s)',
             '    return s * (1.0 + s)'),
        ],
    },
    'ex1_prime_from_z_not_s': {
        "cell": 'ex1_sigmoid',
        "loses": ['ex1_sigmoid_tests'],
        "replace": [
            ('    s = sigmoid(z)\n    return s * (1.0 - s)',
             '    return z * (1.0 - z)'),
        ],
    },
    'ex1_sigmoid_sign_error': {
        "cell": 'ex1_sigmoid',
        "loses": ['ex1_sigmoid_tests'],
        "replace": [
            ('    return 1.0 / (1.0 + torch.exp(-z))\n',
             '    return 1.0 / (1.0 + torch.exp(z))\n'),
        ],
    },
    'ex2_last_layer_first': {
        "cell": 'ex2_grad_norms',
        "loses": ['ex2_grad_norms_tests'],
        "replace": [
            ('    return torch.stack([layer.weight.grad.norm() for layer in model.layers])',
             '    return torch.stack([layer.weight.grad.norm() for layer in reversed(model.layers)])'),
        ],
    },
    'ex2_forgets_zero_grad': {
        "cell": 'ex2_grad_norms',
        "loses": ['ex2_grad_norms_tests'],
        "replace": [
            ('    model.zero_grad()\n',
             ''),
        ],
    },
    'ex2_mean_abs_not_norm': {
        "cell": 'ex2_grad_norms',
        "loses": ['ex2_grad_norms_tests'],
        "replace": [
            ('    return torch.stack([layer.weight.grad.norm() for layer in model.layers])',
             '    return torch.stack([layer.weight.grad.abs().mean() for layer in model.layers])'),
        ],
    },
    'ex3_ratio_inverted': {
        "cell": 'ex3_decay_rate',
        "loses": ['ex3_decay_rate_tests'],
        "replace": [
            ('    return (norms[0] / norms[-1]).item()\n',
             '    return (norms[-1] / norms[0]).item()\n'),
        ],
    },
    'ex3_log10_then_exp': {
        "cell": 'ex3_decay_rate',
        "loses": ['ex3_decay_rate_tests'],
        "replace": [
            ('    y = torch.log(torch.as_tensor(ratios, dtype=torch.float64))\n',
             '    y = torch.log10(torch.as_tensor(ratios, dtype=torch.float64))\n'),
        ],
    },
    'ex3_root_of_deepest_ratio': {
        "cell": 'ex3_decay_rate',
        "loses": ['ex3_decay_rate_tests'],
        "replace": [
            ('rate_sigmoid = per_layer_rate(depths, ratios)\n',
             'rate_sigmoid = ratios[-1] ** (1 / depths[-1])\n'),
        ],
    },
    'ex4_derivative_from_z': {
        "cell": 'ex4_sigmoid_slopes',
        "loses": ['ex4_sigmoid_slopes_tests'],
        "replace": [
            ('            slopes.append((h * (1 - h)).mean())\n',
             '            slopes.append((z * (1 - z)).mean())\n'),
        ],
    },
    'ex4_feeds_z_forward': {
        "cell": 'ex4_sigmoid_slopes',
        "loses": ['ex4_sigmoid_slopes_tests'],
        "replace": [
            ('            h = torch.sigmoid(z)\n            slopes.append((h * (1 - h)).mean())\n',
             '            s = torch.sigmoid(z)\n            slopes.append((s * (1 - s)).mean())\n            h = z\n'),
        ],
    },
    'ex4_includes_output_layer': {
        "cell": 'ex4_sigmoid_slopes',
        "loses": ['ex4_sigmoid_slopes_tests'],
        "replace": [
            ('        for layer in model.layers[:-1]:\n',
             '        for layer in model.layers:\n'),
        ],
    },
    'ex5_inverted_ratio': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    first_over_last = (first[0] / first[-1]).item()\n',
             '    first_over_last = (first[-1] / first[0]).item()\n'),
        ],
    },
    'ex5_looks_at_last_step': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    if not all(math.isfinite(v) for v in loss) or not bool(torch.isfinite(g).all()):\n        return "exploding"                       # the run blew up\n    first = g[0]                                 # at initialisation\n',
             '    first = g[-1]                                # at the end of training\n'),
        ],
    },
    'ex5_fixes_swapped': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('fix_vanishing = "B"\nfix_exploding = "C"\n',
             'fix_vanishing = "C"\nfix_exploding = "B"\n'),
        ],
    },
}
