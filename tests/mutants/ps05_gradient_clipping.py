"""Known-wrong answers for ps05; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_per_tensor_not_global': {
        "cell": 'ex1_clip_grad_norm',
        "loses": ['ex1_clip_grad_norm_tests'],
        "replace": [
            ('    for g in grads:\n        g.mul_(scale)\n',
             '    for g in grads:\n        g.mul_(torch.clamp(max_norm / (g.norm() + 1e-6), max=1.0))\n'),
        ],
    },
    'ex1_scales_up_small_gradients': {
        "cell": 'ex1_clip_grad_norm',
        "loses": ['ex1_clip_grad_norm_tests'],
        "replace": [
            ('    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)\n',
             '    scale = max_norm / (total + 1e-6)\n'),
        ],
    },
    'ex1_sum_of_norms': {
        "cell": 'ex1_clip_grad_norm',
        "loses": ['ex1_clip_grad_norm_tests'],
        "replace": [
            ('    total = torch.sqrt(sum((g ** 2).sum() for g in grads))\n',
             '    total = sum(g.norm() for g in grads)\n'),
        ],
    },
    'ex1_returns_norm_after_clipping': {
        "cell": 'ex1_clip_grad_norm',
        "loses": ['ex1_clip_grad_norm_tests'],
        "replace": [
            ('    return total',
             '    return total * scale'),
        ],
    },
    'ex2_clamps_only_from_above': {
        "cell": 'ex2_clip_grad_value',
        "loses": ['ex2_clip_grad_value_tests'],
        "replace": [
            ('p.grad.clamp_(-clip_value, clip_value)',
             'p.grad.clamp_(max=clip_value)'),
        ],
    },
    'ex2_clips_the_weights': {
        "cell": 'ex2_clip_grad_value',
        "loses": ['ex2_clip_grad_value_tests'],
        "replace": [
            ('p.grad.clamp_(-clip_value, clip_value)',
             'p.data.clamp_(-clip_value, clip_value)'),
        ],
    },
    'ex2_rescales_to_max_entry': {
        "cell": 'ex2_clip_grad_value',
        "loses": ['ex2_clip_grad_value_tests'],
        "replace": [
            ('p.grad.clamp_(-clip_value, clip_value)',
             'p.grad.mul_(clip_value / p.grad.abs().max())'),
        ],
    },
    'ex3_scales_up_small_tensors': {
        "cell": 'ex3_per_tensor',
        "loses": ['ex3_per_tensor_tests'],
        "replace": [
            ('            p.grad.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))\n',
             '            p.grad.mul_(max_norm / (norm + 1e-6))\n'),
        ],
    },
    'ex3_angle_in_radians': {
        "cell": 'ex3_per_tensor',
        "loses": ['ex3_per_tensor_tests'],
        "replace": [
            ('    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))\n',
             '    return math.acos(max(-1.0, min(1.0, cos)))\n'),
        ],
    },
    'ex3_no_clone_before_clipping': {
        "cell": 'ex3_per_tensor',
        "loses": ['ex3_per_tensor_tests'],
        "replace": [
            ('before = [p.grad.clone() for p in model.parameters()]\nclip_grad_norm_per_tensor(',
             'before = [p.grad for p in model.parameters()]\nclip_grad_norm_per_tensor('),
        ],
    },
    'ex4_log10_then_exp': {
        "cell": 'ex4_growth_rate',
        "loses": ['ex4_growth_rate_tests'],
        "replace": [
            ('    y = torch.log(torch.as_tensor(norms, dtype=torch.float64))\n',
             '    y = torch.log10(torch.as_tensor(norms, dtype=torch.float64))\n'),
        ],
    },
    'ex4_forgets_spectral_radius': {
        "cell": 'ex4_growth_rate',
        "loses": ['ex4_growth_rate_tests'],
        "replace": [
            ('    set_spectral_radius_(model.W_hh.weight, rho)\n',
             ''),
        ],
    },
    'ex4_always_tanh': {
        "cell": 'ex4_growth_rate',
        "loses": ['ex4_growth_rate_tests'],
        "replace": [
            ('    model = TinyRNN(4, 32, 1, nonlinearity=nonlinearity)\n',
             '    model = TinyRNN(4, 32, 1)\n'),
        ],
    },
    'ex4_first_and_last_only': {
        "cell": 'ex4_growth_rate',
        "loses": ['ex4_growth_rate_tests'],
        "replace": [
            ('    b = ((T - T.mean()) * (y - y.mean())).sum() / ((T - T.mean()) ** 2).sum()\n',
             '    b = (y[-1] - y[0]) / (T[-1] - T[0])\n'),
        ],
    },
    'ex5_wrong_quantile_side': {
        "cell": 'ex5_pick_threshold',
        "loses": ['ex5_pick_threshold_tests'],
        "replace": [
            ('    return torch.quantile(g, 1.0 - fraction).item()',
             '    return torch.quantile(g, fraction).item()'),
        ],
    },
    'ex5_keeps_non_finite': {
        "cell": 'ex5_pick_threshold',
        "loses": ['ex5_pick_threshold_tests'],
        "replace": [
            ('    g = g[torch.isfinite(g)]\n',
             ''),
        ],
    },
    'ex5_fraction_of_max': {
        "cell": 'ex5_pick_threshold',
        "loses": ['ex5_pick_threshold_tests'],
        "replace": [
            ('    return torch.quantile(g, 1.0 - fraction).item()',
             '    return (g.max() * (1.0 - fraction)).item()'),
        ],
    },
    'ex6_judges_by_grad_norm': {
        "cell": 'ex6_diagnose',
        "loses": ['ex6_diagnose_tests'],
        "replace": [
            ('    if not all(math.isfinite(v) for v in loss):\n        return True\n'
             '    return max(loss) > 10 * loss[0]\n',
             '    if not all(math.isfinite(v) for v in grad_norm):\n        return True\n'
             '    return max(grad_norm) > 100 * grad_norm[0]\n'),
        ],
    },
    'ex6_only_non_finite': {
        "cell": 'ex6_diagnose',
        "loses": ['ex6_diagnose_tests'],
        "replace": [
            ('    return max(loss) > 10 * loss[0]\n',
             '    return False\n'),
        ],
    },
    'ex6_only_last_step': {
        "cell": 'ex6_diagnose',
        "loses": ['ex6_diagnose_tests'],
        "replace": [
            ('    if not all(math.isfinite(v) for v in loss):\n',
             '    if not math.isfinite(loss[-1]):\n'),
            ('    return max(loss) > 10 * loss[0]\n',
             '    return loss[-1] > 10 * loss[0]\n'),
        ],
    },
}
