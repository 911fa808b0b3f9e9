"""Known-wrong answers for ps01; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_gradient_ascent': {
        "cell": 'ex1_gradient_descent',
        "loses": ['ex1_gradient_descent_tests'],
        "replace": [
            ('    return (x - lr * grad).detach()\n',
             '    return (x + lr * grad).detach()\n'),
        ],
    },
    'ex1_grad_accumulates_in_place': {
        "cell": 'ex1_gradient_descent',
        "loses": ['ex1_gradient_descent_tests'],
        "replace": [
            ('    x = x.detach().clone().requires_grad_(True)\n    (grad,) = torch.autograd.grad(f(x), x)\n    return (x - lr * grad).detach()\n\n\ndef gradient_descent(f, x0, lr, steps):\n    """`steps` steps of gradient descent from x0.\n\n    Returns:\n        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;\n        losses (steps + 1,) holds f(x_0), ..., f(x_steps).\n    """\n    xs = [x0.detach().clone()]\n    for _ in range(steps):\n        xs.append(gd_step(f, xs[-1], lr))\n    xs = torch.stack(xs)                          # (steps + 1, *x0.shape)\n',
             '    x.requires_grad_(True)\n    f(x).backward()\n    with torch.no_grad():\n        x -= lr * x.grad\n    return x\n\n\ndef gradient_descent(f, x0, lr, steps):\n    """`steps` steps of gradient descent from x0.\n\n    Returns:\n        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;\n        losses (steps + 1,) holds f(x_0), ..., f(x_steps).\n    """\n    x = x0\n    xs = [x.detach().clone()]\n    for _ in range(steps):\n        x = gd_step(f, x, lr)\n        xs.append(x.detach().clone())\n    xs = torch.stack(xs)\n'),
        ],
    },
    'ex1_skips_x0': {
        "cell": 'ex1_gradient_descent',
        "loses": ['ex1_gradient_descent_tests'],
        "replace": [
            ('    xs = torch.stack(xs)                          # (steps + 1, *x0.shape)\n',
             '    xs = torch.stack(xs[1:])\n'),
        ],
    },
    'ex2_blowup_only': {
        "cell": 'ex2_threshold',
        "loses": ['ex2_threshold_tests'],
        "replace": [
            ('    return bool(path.diverged or path.losses[-1].item() > path.losses[0].item())\n',
             '    return bool(path.diverged)\n'),
        ],
    },
    'ex2_bisection_wrong_side': {
        "cell": 'ex2_threshold',
        "loses": ['ex2_threshold_tests'],
        "replace": [
            ('            hi = mid\n        else:\n            lo = mid\n',
             '            lo = mid\n        else:\n            hi = mid\n'),
        ],
    },
    'ex2_theory_one_over_L': {
        "cell": 'ex2_threshold',
        "loses": ['ex2_threshold_tests'],
        "replace": [
            ('lr_max_theory = 2.0 / torch.linalg.eigvalsh(H).max().item()\n',
             'lr_max_theory = 1.0 / torch.linalg.eigvalsh(H).max().item()\n'),
        ],
    },
    'ex2_theory_from_diagonal': {
        "cell": 'ex2_threshold',
        "loses": ['ex2_threshold_tests'],
        "replace": [
            ('lr_max_theory = 2.0 / torch.linalg.eigvalsh(H).max().item()\n',
             'lr_max_theory = 2.0 / H.diagonal().max().item()\n'),
        ],
    },
    'ex3_ema_velocity': {
        "cell": 'ex3_momentum',
        "loses": ['ex3_momentum_tests'],
        "replace": [
            ('        v = beta * v + grad\n',
             '        v = beta * v + (1 - beta) * grad\n'),
        ],
    },
    'ex3_gradient_twice': {
        "cell": 'ex3_momentum',
        "loses": ['ex3_momentum_tests'],
        "replace": [
            ('        x = x - lr * v\n',
             '        x = x - lr * (v + grad)\n'),
        ],
    },
    'ex3_velocity_reset': {
        "cell": 'ex3_momentum',
        "loses": ['ex3_momentum_tests'],
        "replace": [
            ('    v = torch.zeros_like(x)                       # velocity, v_0 = 0\n    xs, losses = [x], []\n    for _ in range(steps):\n        x_var = x.clone().requires_grad_(True)\n        loss = f(x_var)\n        (grad,) = torch.autograd.grad(loss, x_var)\n        losses.append(loss.detach().reshape(()))\n',
             '    xs, losses = [x], []\n    for _ in range(steps):\n        x_var = x.clone().requires_grad_(True)\n        loss = f(x_var)\n        (grad,) = torch.autograd.grad(loss, x_var)\n        losses.append(loss.detach().reshape(()))\n        v = torch.zeros_like(x)\n'),
        ],
    },
    'ex4_counts_iterates': {
        "cell": 'ex4_steps',
        "loses": ['ex4_steps_tests'],
        "replace": [
            ('    return int(hits[0, 0]) if len(hits) > 0 else None\n',
             '    return int(hits[0, 0]) + 1 if len(hits) > 0 else None\n'),
        ],
    },
    'ex4_absolute_tolerance': {
        "cell": 'ex4_steps',
        "loses": ['ex4_steps_tests'],
        "replace": [
            ('    hits = torch.nonzero(losses <= rel_tol * losses[0])\n',
             '    hits = torch.nonzero(losses <= rel_tol)\n'),
        ],
    },
    'ex4_ratio_inverted': {
        "cell": 'ex4_steps',
        "loses": ['ex4_steps_tests'],
        "replace": [
            ('steps_ratio = steps_median[100] / steps_median[10]\n',
             'steps_ratio = steps_median[10] / steps_median[100]\n'),
        ],
    },
    'ex5_oscillation_from_loss_bumps': {
        "cell": 'ex5_regime',
        "loses": ['ex5_regime_tests'],
        "replace": [
            ('    steps = torch.diff(torch.as_tensor(points, dtype=torch.float64), dim=0)   # (k, 2)\n    turns = (steps[1:] * steps[:-1]).sum(dim=1)[:10]  # first 10 pairs of consecutive steps\n    if (turns < 0).double().mean().item() > 0.5:\n',
             '    if bool((torch.diff(loss) > 0).any()):\n'),
        ],
    },
    'ex5_oscillation_from_sign_of_x': {
        "cell": 'ex5_regime',
        "loses": ['ex5_regime_tests'],
        "replace": [
            ('    steps = torch.diff(torch.as_tensor(points, dtype=torch.float64), dim=0)   # (k, 2)\n    turns = (steps[1:] * steps[:-1]).sum(dim=1)[:10]  # first 10 pairs of consecutive steps\n',
             '    x = torch.as_tensor(points, dtype=torch.float64)\n    turns = (x[1:] * x[:-1]).sum(dim=1)[:10]      # sign changes of x itself\n'),
        ],
    },
    'ex5_too_small_checked_first': {
        "cell": 'ex5_regime',
        "loses": ['ex5_regime_tests'],
        "replace": [
            ('    loss = torch.as_tensor(loss, dtype=torch.float64)\n',
             '    loss = torch.as_tensor(loss, dtype=torch.float64)\n    if loss[-1].item() > 0.5 * loss[0].item():\n        return "too_small"\n'),
        ],
    },
    'ex5_last_loss_absolute': {
        "cell": 'ex5_regime',
        "loses": ['ex5_regime_tests'],
        "replace": [
            ('    if not bool(torch.isfinite(loss).all()) or loss[-1].item() > loss[0].item():\n        return "diverging"\n    steps = torch.diff(torch.as_tensor(points, dtype=torch.float64), dim=0)   # (k, 2)\n    turns = (steps[1:] * steps[:-1]).sum(dim=1)[:10]  # first 10 pairs of consecutive steps\n    if (turns < 0).double().mean().item() > 0.5:\n        return "oscillating"\n    if loss[-1].item() > 0.5 * loss[0].item():\n',
             '    if not bool(torch.isfinite(loss).all()) or loss[-1].item() > 10.0:\n        return "diverging"\n    steps = torch.diff(torch.as_tensor(points, dtype=torch.float64), dim=0)   # (k, 2)\n    turns = (steps[1:] * steps[:-1]).sum(dim=1)[:10]  # first 10 pairs of consecutive steps\n    if (turns < 0).double().mean().item() > 0.5:\n        return "oscillating"\n    if loss[-1].item() > 0.1:\n'),
        ],
    },
}
