"""Known-wrong answers for ps07; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_sin_cos_swapped': {
        "cell": 'ex1_sinusoidal',
        "loses": ['ex1_sinusoidal_tests'],
        "replace": [
            ('    PE[:, 0::2] = torch.sin(angle)\n',
             '    PE[:, 0::2] = torch.cos(angle)\n'),
            ('    PE[:, 1::2] = torch.cos(angle[:, : d_model // 2])',
             '    PE[:, 1::2] = torch.sin(angle[:, : d_model // 2])'),
        ],
    },
    'ex1_exponent_from_column_index': {
        "cell": 'ex1_sinusoidal',
        "loses": ['ex1_sinusoidal_tests'],
        "replace": [
            ('    PE[:, 1::2] = torch.cos(angle[:, : d_model // 2])',
             '    j = torch.arange(1, d_model, 2, dtype=torch.float64)          # odd columns\n'
             '    PE[:, 1::2] = torch.cos(p * base ** (-j / d_model))'),
        ],
    },
    'ex1_i_over_d_not_2i_over_d': {
        "cell": 'ex1_sinusoidal',
        "loses": ['ex1_sinusoidal_tests'],
        "replace": [
            ('    omega = base ** (-two_i / d_model)',
             '    omega = base ** (-(two_i / 2) / d_model)'),
        ],
    },
    'ex1_odd_d_model_broken': {
        "cell": 'ex1_sinusoidal',
        "loses": ['ex1_sinusoidal_tests'],
        "replace": [
            ('    PE[:, 1::2] = torch.cos(angle[:, : d_model // 2])',
             '    PE[:, 1::2] = torch.cos(angle)'),
        ],
    },
    'ex2_rotation_sign': {
        "cell": 'ex2_rotation',
        "loses": ['ex2_rotation_tests'],
        "replace": [
            ('math.cos(b), -math.sin(b)\n', 'math.cos(b), math.sin(b)\n'),
            ('= math.sin(b), math.cos(b)\n', '= -math.sin(b), math.cos(b)\n'),
        ],
    },
    'ex2_forgets_k': {
        "cell": 'ex2_rotation',
        "loses": ['ex2_rotation_tests'],
        "replace": [
            ('        b = k * base ** (-2 * i / d_model)',
             '        b = base ** (-2 * i / d_model)'),
        ],
    },
    'ex2_exponent_off_by_one': {
        "cell": 'ex2_rotation',
        "loses": ['ex2_rotation_tests'],
        "replace": [
            ('        b = k * base ** (-2 * i / d_model)',
             '        b = k * base ** (-(2 * i + 1) / d_model)'),
        ],
    },
    'ex3_ratio_inverted': {
        "cell": 'ex3_pre_post',
        "loses": ['ex3_pre_post_tests'],
        "replace": [
            ('        ratios.append((g[-1] / g[0]).item())',
             '        ratios.append((g[0] / g[-1]).item())'),
        ],
    },
    'ex3_forgets_zero_grad': {
        "cell": 'ex3_pre_post',
        "loses": ['ex3_pre_post_tests'],
        "replace": [
            ('    model.zero_grad()\n', ''),
        ],
    },
    'ex3_sum_of_parameter_norms': {
        "cell": 'ex3_pre_post',
        "loses": ['ex3_pre_post_tests'],
        "replace": [
            ('        torch.linalg.vector_norm(torch.stack([W.grad.norm() for W in block.parameters()]))',
             '        torch.stack([W.grad.norm() for W in block.parameters()]).sum()'),
        ],
    },
    'ex3_pre_post_swapped': {
        "cell": 'ex3_pre_post',
        "loses": ['ex3_pre_post_tests'],
        "replace": [
            ('ratio_pre = median_last_over_first("pre")\nratio_post = median_last_over_first("post")',
             'ratio_pre = median_last_over_first("post")\nratio_post = median_last_over_first("pre")'),
        ],
    },
    'ex4_warmup_off_by_one': {
        "cell": 'ex4_warmup',
        "loses": ['ex4_warmup_tests'],
        "replace": [
            ('min(1.0, (step + 1) / warmup_steps)', 'min(1.0, step / warmup_steps)'),
        ],
    },
    'ex4_no_cap': {
        "cell": 'ex4_warmup',
        "loses": ['ex4_warmup_tests'],
        "replace": [
            ('min(1.0, (step + 1) / warmup_steps)', '(step + 1) / warmup_steps'),
        ],
    },
    'ex4_zero_warmup_divides': {
        "cell": 'ex4_warmup',
        "loses": ['ex4_warmup_tests'],
        "replace": [
            ('    if warmup_steps == 0:\n        return float(base_lr)\n', ''),
        ],
    },
    'ex5_min_not_max': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    early_peak = max(loss[1:10])', '    early_peak = min(loss[1:10])'),
        ],
    },
    'ex5_verdict_inverted': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    return early_peak > 1.05 * start', '    return early_peak < 1.05 * start'),
        ],
    },
    # "still at chance at the end": the runs with warm-up B (1.384) and seed 31 (1.391) are
    # also near ln 4 = 1.386 after 15 updates, at every level (spread 1e-4)
    'ex5_final_loss_at_chance': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    return early_peak > 1.05 * start',
             '    return abs(loss[-1] - math.log(4)) < 0.02'),
        ],
    },
    'ex5_looks_at_the_end': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('    early_peak = max(loss[1:10])', '    early_peak = max(loss[-10:])'),
        ],
    },
}
