"""Known-wrong answers for ps08; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    # exercise 1: classify a monitor record
    'ex1_no_nonfinite_check': {
        "cell": 'ex1_classify',
        "loses": ['ex1_classify_tests'],
        "replace": [
            ('    if not bool(torch.isfinite(loss).all()) or not bool(torch.isfinite(g).all()):\n'
             '        return "exploding"                         # the run blew up\n', ''),
        ],
    },
    'ex1_last_step_instead_of_first': {
        "cell": 'ex1_classify',
        "loses": ['ex1_classify_tests'],
        "replace": [
            ('    first = g[0]', '    first = g[-1]'),
        ],
    },
    'ex1_dead_max_instead_of_mean': {
        "cell": 'ex1_classify',
        "loses": ['ex1_classify_tests'],
        "replace": [
            ('dead[-1, :-1].mean()', 'dead[-1, :-1].max()'),
        ],
    },
    'ex1_ratio_inverted': {
        "cell": 'ex1_classify',
        "loses": ['ex1_classify_tests'],
        "replace": [
            ('    if first[0].item() < 1e-2 * first[-1].item():',
             '    if first[-1].item() < 1e-2 * first[0].item():'),
        ],
    },
    # exercise 2: fix the broken configuration
    'ex2_only_raises_lr': {
        "cell": 'ex2_fix',
        "loses": ['ex2_fix_tests'],
        "replace": [
            ('    "activation": "relu",   # ReLU\' = 1 on active units: no factor 1/4 per layer\n'
             '    "init": "kaiming",      # Var(W) = 2 / fan_in keeps the ReLU signal\'s scale\n'
             '    "optimizer": "adam",\n'
             '    "lr": 3e-3,\n',
             '    "lr": 2.0,\n'),
        ],
    },
    'ex2_keeps_sigmoid_uses_adam': {
        "cell": 'ex2_fix',
        "loses": ['ex2_fix_tests'],
        "replace": [
            ('    "activation": "relu",   # ReLU\' = 1 on active units: no factor 1/4 per layer\n'
             '    "init": "kaiming",      # Var(W) = 2 / fan_in keeps the ReLU signal\'s scale\n',
             ''),
        ],
    },
    'ex2_relu_but_plain_sgd': {
        "cell": 'ex2_fix',
        "loses": ['ex2_fix_tests'],
        "replace": [
            ('    "optimizer": "adam",\n    "lr": 3e-3,\n', ''),
        ],
    },
    # exercise 3: steps to target and the speed-up
    'ex3_steps_from_one': {
        "cell": 'ex3_speedup',
        "loses": ['ex3_speedup_tests'],
        "replace": [
            ('enumerate(loss)', 'enumerate(loss, start=1)'),
        ],
    },
    'ex3_ratio_inverted': {
        "cell": 'ex3_speedup',
        "loses": ['ex3_speedup_tests'],
        "replace": [
            ('    return median_steps(unstable_losses) / median_steps(stable_losses)',
             '    return median_steps(stable_losses) / median_steps(unstable_losses)'),
        ],
    },
    'ex3_mean_instead_of_median': {
        "cell": 'ex3_speedup',
        "loses": ['ex3_speedup_tests'],
        "replace": [
            ('statistics.median(budget', 'statistics.mean(budget'),
        ],
    },
    'ex3_drops_runs_that_never_reach': {
        "cell": 'ex3_speedup',
        "loses": ['ex3_speedup_tests'],
        "replace": [
            ('statistics.median(budget if s is None else s for s in steps)',
             'statistics.median(s for s in steps if s is not None)'),
        ],
    },
    # exercise 4: back each technique with a run
    'ex4_clip_threshold_never_acts': {
        "cell": 'ex4_techniques',
        "loses": ['ex4_techniques_tests'],
        "replace": [
            ('{"clip_norm": 5.0}', '{"clip_norm": 1e6}'),
        ],
    },
    'ex4_pytorch_default_init': {
        "cell": 'ex4_techniques',
        "loses": ['ex4_techniques_tests'],
        "replace": [
            ('{"init": "kaiming"}', '{"init": "default"}'),
        ],
    },
    'ex4_momentum_is_not_adaptive': {
        "cell": 'ex4_techniques',
        "loses": ['ex4_techniques_tests'],
        "replace": [
            ('{"optimizer": "adam", "lr": 3e-3}', '{"optimizer": "momentum", "lr": 3e-3}'),
        ],
    },
}
