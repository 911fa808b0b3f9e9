"""Known-wrong answers for ps06; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_sqrt_missing': {
        "cell": 'ex1_rmsprop',
        "loses": ['ex1_rmsprop_tests'],
        "replace": [
            ('p.sub_(lr * g / (v.sqrt() + eps))',
             'p.sub_(lr * g / (v + eps))'),
        ],
    },
    'ex1_eps_inside_sqrt': {
        "cell": 'ex1_rmsprop',
        "loses": ['ex1_rmsprop_tests'],
        "replace": [
            ('p.sub_(lr * g / (v.sqrt() + eps))',
             'p.sub_(lr * g / (v + eps).sqrt())'),
        ],
    },
    'ex1_v_with_g_not_g_squared': {
        "cell": 'ex1_rmsprop',
        "loses": ['ex1_rmsprop_tests'],
        "replace": [
            ('v.mul_(alpha).add_((1 - alpha) * g * g)',
             'v.mul_(alpha).add_((1 - alpha) * g.abs())'),
        ],
    },
    'ex1_no_one_minus_alpha': {
        "cell": 'ex1_rmsprop',
        "loses": ['ex1_rmsprop_tests'],
        "replace": [
            ('v.mul_(alpha).add_((1 - alpha) * g * g)',
             'v.mul_(alpha).add_(g * g)'),
        ],
    },
    'ex1_v_not_stored': {
        "cell": 'ex1_rmsprop',
        "loses": ['ex1_rmsprop_tests'],
        "replace": [
            ('v.mul_(alpha).add_((1 - alpha) * g * g)',
             'v = alpha * v + (1 - alpha) * g * g'),
        ],
    },
    'ex2_no_bias_correction': {
        "cell": 'ex2_adam',
        "loses": ['ex2_adam_tests'],
        "replace": [
            ('        m_hat = m / (1 - beta1 ** t)\n', '        m_hat = m\n'),
            ('        v_hat = v / (1 - beta2 ** t)\n', '        v_hat = v\n'),
        ],
    },
    'ex2_t_starts_at_zero': {
        "cell": 'ex2_adam',
        "loses": ['ex2_adam_tests'],
        "replace": [
            ('    state["t"] += 1\n    t, m, v = state["t"], state["m"], state["v"]\n',
             '    t, m, v = state["t"], state["m"], state["v"]\n    state["t"] += 1\n'),
        ],
    },
    'ex2_m_updated_after_use': {
        "cell": 'ex2_adam',
        "loses": ['ex2_adam_tests'],
        "replace": [
            ('    m.mul_(beta1).add_((1 - beta1) * g)', '    pass'),
            ('    p.sub_(lr * m_hat / (v_hat.sqrt() + eps))',
             '    p.sub_(lr * m_hat / (v_hat.sqrt() + eps))\n    m.mul_(beta1).add_((1 - beta1) * g)'),
        ],
    },
    'ex2_eps_inside_sqrt': {
        "cell": 'ex2_adam',
        "loses": ['ex2_adam_tests'],
        "replace": [
            ('p.sub_(lr * m_hat / (v_hat.sqrt() + eps))',
             'p.sub_(lr * m_hat / (v_hat + eps).sqrt())'),
        ],
    },
    'ex2_t_not_stored': {
        "cell": 'ex2_adam',
        "loses": ['ex2_adam_tests'],
        "replace": [
            ('    state["t"] += 1\n    t, m, v = state["t"], state["m"], state["v"]\n',
             '    t, m, v = state["t"] + 1, state["m"], state["v"]\n'),
        ],
    },
    'ex2_corrects_m_in_place': {
        "cell": 'ex2_adam',
        "loses": ['ex2_adam_tests'],
        "replace": [
            ('m_hat = m / (1 - beta1 ** t)', 'm_hat = m.div_(1 - beta1 ** t)'),
        ],
    },
    'ex3_off_by_one': {
        "cell": 'ex3_steps',
        "loses": ['ex3_steps_tests'],
        "replace": [
            ('return int(hits[0, 0]) if', 'return int(hits[0, 0]) + 1 if'),
        ],
    },
    'ex3_absolute_tolerance': {
        "cell": 'ex3_steps',
        "loses": ['ex3_steps_tests'],
        "replace": [
            ('torch.nonzero(losses <= rel_tol * losses[0])', 'torch.nonzero(losses <= rel_tol)'),
        ],
    },
    'ex3_speedup_inverted': {
        "cell": 'ex3_steps',
        "loses": ['ex3_steps_tests'],
        "replace": [
            ('\nspeedup = steps_sgd[1000] / steps_adam[1000]',
             '\nspeedup = steps_adam[1000] / steps_sgd[1000]'),
        ],
    },
    'ex4_last_point_only': {
        "cell": 'ex4_scale',
        "loses": ['ex4_scale_tests'],
        "replace": [
            ('return (path_cf.points - path_f.points).norm(dim=1).max().item()',
             'return (path_cf.points[-1] - path_f.points[-1]).norm().item()'),
        ],
    },
    'ex4_scales_the_input': {
        "cell": 'ex4_scale',
        "loses": ['ex4_scale_tests'],
        "replace": [
            ('lambda xy: c * f(xy)', 'lambda xy: f(c * xy)'),
        ],
    },
    'ex4_loss_gap': {
        "cell": 'ex4_scale',
        "loses": ['ex4_scale_tests'],
        "replace": [
            ('return (path_cf.points - path_f.points).norm(dim=1).max().item()',
             'return (path_cf.losses - path_f.losses).abs().max().item()'),
        ],
    },
    'ex4_eps_left_at_default': {
        "cell": 'ex4_scale',
        "loses": ['ex4_scale_tests'],
        "replace": [
            ('lr=0.05, steps=200, eps=1.0)', 'lr=0.05, steps=200)'),
        ],
    },
    'ex5_spike_against_final_loss': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('> 1.7 * loss[0].item()', '> 1.7 * loss[-1].item()'),
        ],
    },
    'ex5_spike_in_last_steps': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('if loss[:30].max().item()', 'if loss[-30:].max().item()'),
        ],
    },
    'ex5_slow_test_reversed': {
        "cell": 'ex5_diagnose',
        "loses": ['ex5_diagnose_tests'],
        "replace": [
            ('if loss[-1].item() > 0.75 * loss[0].item()', 'if loss[-1].item() < 0.75 * loss[0].item()'),
        ],
    },
}
