"""Known-wrong answers for ps01; each must lose exactly its exercise's points."""
MUTANTS = {
    # sign error: x + lr * grad
    "ex1_gradient_ascent": {
        "cell": "ex1_gradient_descent",
        "loses": ["ex1_gradient_descent_tests"],
        "source": r'''def gd_step(f, x, lr):
    """One gradient-descent step: x - lr * grad f(x), as a new tensor that does not require
    grad. x itself is left unchanged."""
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    return (x + lr * grad).detach()


def gradient_descent(f, x0, lr, steps):
    """`steps` steps of gradient descent from x0.

    Returns:
        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;
        losses (steps + 1,) holds f(x_0), ..., f(x_steps).
    """
    xs = [x0.detach().clone()]
    for _ in range(steps):
        xs.append(gd_step(f, xs[-1], lr))
    xs = torch.stack(xs)                          # (steps + 1, *x0.shape)
    with torch.no_grad():
        losses = torch.stack([f(x).reshape(()) for x in xs])
    return xs, losses''',
    },
    # in-place update of the caller's tensor via .backward(); .grad never cleared
    "ex1_grad_accumulates_in_place": {
        "cell": "ex1_gradient_descent",
        "loses": ["ex1_gradient_descent_tests"],
        "source": r'''def gd_step(f, x, lr):
    """One gradient-descent step: x - lr * grad f(x), as a new tensor that does not require
    grad. x itself is left unchanged."""
    x.requires_grad_(True)
    f(x).backward()
    with torch.no_grad():
        x -= lr * x.grad
    return x


def gradient_descent(f, x0, lr, steps):
    """`steps` steps of gradient descent from x0.

    Returns:
        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;
        losses (steps + 1,) holds f(x_0), ..., f(x_steps).
    """
    x = x0
    xs = [x.detach().clone()]
    for _ in range(steps):
        x = gd_step(f, x, lr)
        xs.append(x.detach().clone())
    xs = torch.stack(xs)
    with torch.no_grad():
        losses = torch.stack([f(x).reshape(()) for x in xs])
    return xs, losses''',
    },
    # off by one: records x_1..x_steps, not the start
    "ex1_skips_x0": {
        "cell": "ex1_gradient_descent",
        "loses": ["ex1_gradient_descent_tests"],
        "source": r'''def gd_step(f, x, lr):
    """One gradient-descent step: x - lr * grad f(x), as a new tensor that does not require
    grad. x itself is left unchanged."""
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    return (x - lr * grad).detach()


def gradient_descent(f, x0, lr, steps):
    """`steps` steps of gradient descent from x0.

    Returns:
        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;
        losses (steps + 1,) holds f(x_0), ..., f(x_steps).
    """
    xs = [x0.detach().clone()]
    for _ in range(steps):
        xs.append(gd_step(f, xs[-1], lr))
    xs = torch.stack(xs[1:])
    with torch.no_grad():
        losses = torch.stack([f(x).reshape(()) for x in xs])
    return xs, losses''',
    },
    # counts a run as diverging only when descend flags a blow-up past 1e6
    "ex2_blowup_only": {
        "cell": "ex2_threshold",
        "loses": ["ex2_threshold_tests"],
        "source": r'''def diverges(f, lr, start, steps=50):
    """True if `steps` steps of gradient descent (gradkit's descend) from `start` at this lr
    blow up or end with a larger loss than they started with."""
    path = descend(f, start, lr=lr, steps=steps)
    return bool(path.diverged)


def find_threshold(f, start, lo=0.0, hi=1.0, steps=50, iters=16):
    """Bisection for the divergence threshold of the learning rate: `lo` must not diverge,
    `hi` must; returns the midpoint of the interval left after `iters` halvings."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if diverges(f, mid, start, steps):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


threshold_seeds = [0, 1, 2]
# lr_max_measured: the median over threshold_seeds of find_threshold(f_H, start_point(seed))
# lr_max_theory: 2 / (the largest eigenvalue of H)
lr_max_measured = statistics.median(find_threshold(f_H, start_point(seed))
                                    for seed in threshold_seeds)
lr_max_theory = 2.0 / torch.linalg.eigvalsh(H).max().item()
print(f"measured threshold {lr_max_measured:.5f}, 2 / L = {lr_max_theory:.5f}, "
      f"ratio {lr_max_measured / lr_max_theory:.4f}")''',
    },
    # bisection keeps the wrong half
    "ex2_bisection_wrong_side": {
        "cell": "ex2_threshold",
        "loses": ["ex2_threshold_tests"],
        "source": r'''def diverges(f, lr, start, steps=50):
    """True if `steps` steps of gradient descent (gradkit's descend) from `start` at this lr
    blow up or end with a larger loss than they started with."""
    path = descend(f, start, lr=lr, steps=steps)
    return bool(path.diverged or path.losses[-1].item() > path.losses[0].item())


def find_threshold(f, start, lo=0.0, hi=1.0, steps=50, iters=16):
    """Bisection for the divergence threshold of the learning rate: `lo` must not diverge,
    `hi` must; returns the midpoint of the interval left after `iters` halvings."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if diverges(f, mid, start, steps):
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


threshold_seeds = [0, 1, 2]
# lr_max_measured: the median over threshold_seeds of find_threshold(f_H, start_point(seed))
# lr_max_theory: 2 / (the largest eigenvalue of H)
lr_max_measured = statistics.median(find_threshold(f_H, start_point(seed))
                                    for seed in threshold_seeds)
lr_max_theory = 2.0 / torch.linalg.eigvalsh(H).max().item()
print(f"measured threshold {lr_max_measured:.5f}, 2 / L = {lr_max_theory:.5f}, "
      f"ratio {lr_max_measured / lr_max_theory:.4f}")''',
    },
    # threshold 1/L instead of 2/L
    "ex2_theory_one_over_L": {
        "cell": "ex2_threshold",
        "loses": ["ex2_threshold_tests"],
        "source": r'''def diverges(f, lr, start, steps=50):
    """True if `steps` steps of gradient descent (gradkit's descend) from `start` at this lr
    blow up or end with a larger loss than they started with."""
    path = descend(f, start, lr=lr, steps=steps)
    return bool(path.diverged or path.losses[-1].item() > path.losses[0].item())


def find_threshold(f, start, lo=0.0, hi=1.0, steps=50, iters=16):
    """Bisection for the divergence threshold of the learning rate: `lo` must not diverge,
    `hi` must; returns the midpoint of the interval left after `iters` halvings."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if diverges(f, mid, start, steps):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


threshold_seeds = [0, 1, 2]
# lr_max_measured: the median over threshold_seeds of find_threshold(f_H, start_point(seed))
# lr_max_theory: 2 / (the largest eigenvalue of H)
lr_max_measured = statistics.median(find_threshold(f_H, start_point(seed))
                                    for seed in threshold_seeds)
lr_max_theory = 1.0 / torch.linalg.eigvalsh(H).max().item()
print(f"measured threshold {lr_max_measured:.5f}, 2 / L = {lr_max_theory:.5f}, "
      f"ratio {lr_max_measured / lr_max_theory:.4f}")''',
    },
    # L read off the diagonal of H instead of its eigenvalues
    "ex2_theory_from_diagonal": {
        "cell": "ex2_threshold",
        "loses": ["ex2_threshold_tests"],
        "source": r'''def diverges(f, lr, start, steps=50):
    """True if `steps` steps of gradient descent (gradkit's descend) from `start` at this lr
    blow up or end with a larger loss than they started with."""
    path = descend(f, start, lr=lr, steps=steps)
    return bool(path.diverged or path.losses[-1].item() > path.losses[0].item())


def find_threshold(f, start, lo=0.0, hi=1.0, steps=50, iters=16):
    """Bisection for the divergence threshold of the learning rate: `lo` must not diverge,
    `hi` must; returns the midpoint of the interval left after `iters` halvings."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if diverges(f, mid, start, steps):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


threshold_seeds = [0, 1, 2]
# lr_max_measured: the median over threshold_seeds of find_threshold(f_H, start_point(seed))
# lr_max_theory: 2 / (the largest eigenvalue of H)
lr_max_measured = statistics.median(find_threshold(f_H, start_point(seed))
                                    for seed in threshold_seeds)
lr_max_theory = 2.0 / H.diagonal().max().item()
print(f"measured threshold {lr_max_measured:.5f}, 2 / L = {lr_max_theory:.5f}, "
      f"ratio {lr_max_measured / lr_max_theory:.4f}")''',
    },
    # moving-average velocity beta v + (1 - beta) g (PyTorch's dampening=beta)
    "ex3_ema_velocity": {
        "cell": "ex3_momentum",
        "loses": ["ex3_momentum_tests"],
        "source": r'''def momentum_descent(f, x0, lr, beta, steps):
    """`steps` steps of heavy-ball momentum from x0, PyTorch's convention:
    v_t = beta * v_{t-1} + grad f(x_{t-1}), x_t = x_{t-1} - lr * v_t, v_0 = 0.

    Returns:
        (xs, losses) of shapes (steps + 1, *x0.shape) and (steps + 1,), as gradient_descent.
    """
    x = x0.detach().clone()
    v = torch.zeros_like(x)                       # velocity, v_0 = 0
    xs, losses = [x], []
    for _ in range(steps):
        x_var = x.clone().requires_grad_(True)
        loss = f(x_var)
        (grad,) = torch.autograd.grad(loss, x_var)
        losses.append(loss.detach().reshape(()))
        v = beta * v + (1 - beta) * grad
        x = x - lr * v
        xs.append(x)
    losses.append(f(x).detach().reshape(()))      # x does not require grad: no graph
    return torch.stack(xs), torch.stack(losses)''',
    },
    # adds the raw gradient again on top of the velocity
    "ex3_gradient_twice": {
        "cell": "ex3_momentum",
        "loses": ["ex3_momentum_tests"],
        "source": r'''def momentum_descent(f, x0, lr, beta, steps):
    """`steps` steps of heavy-ball momentum from x0, PyTorch's convention:
    v_t = beta * v_{t-1} + grad f(x_{t-1}), x_t = x_{t-1} - lr * v_t, v_0 = 0.

    Returns:
        (xs, losses) of shapes (steps + 1, *x0.shape) and (steps + 1,), as gradient_descent.
    """
    x = x0.detach().clone()
    v = torch.zeros_like(x)                       # velocity, v_0 = 0
    xs, losses = [x], []
    for _ in range(steps):
        x_var = x.clone().requires_grad_(True)
        loss = f(x_var)
        (grad,) = torch.autograd.grad(loss, x_var)
        losses.append(loss.detach().reshape(()))
        v = beta * v + grad
        x = x - lr * (v + grad)
        xs.append(x)
    losses.append(f(x).detach().reshape(()))      # x does not require grad: no graph
    return torch.stack(xs), torch.stack(losses)''',
    },
    # velocity created inside the loop: reset every step, so plain GD
    "ex3_velocity_reset": {
        "cell": "ex3_momentum",
        "loses": ["ex3_momentum_tests"],
        "source": r'''def momentum_descent(f, x0, lr, beta, steps):
    """`steps` steps of heavy-ball momentum from x0, PyTorch's convention:
    v_t = beta * v_{t-1} + grad f(x_{t-1}), x_t = x_{t-1} - lr * v_t, v_0 = 0.

    Returns:
        (xs, losses) of shapes (steps + 1, *x0.shape) and (steps + 1,), as gradient_descent.
    """
    x = x0.detach().clone()
    xs, losses = [x], []
    for _ in range(steps):
        x_var = x.clone().requires_grad_(True)
        loss = f(x_var)
        (grad,) = torch.autograd.grad(loss, x_var)
        losses.append(loss.detach().reshape(()))
        v = torch.zeros_like(x)
        v = beta * v + grad
        x = x - lr * v
        xs.append(x)
    losses.append(f(x).detach().reshape(()))      # x does not require grad: no graph
    return torch.stack(xs), torch.stack(losses)''',
    },
    # off by one: counts iterates, not steps
    "ex4_counts_iterates": {
        "cell": "ex4_steps",
        "loses": ["ex4_steps_tests"],
        "source": r'''def steps_to_tolerance(f, start, lr, rel_tol=1e-6, max_steps=1000):
    """The first step t of gradient descent (gradkit's descend, at most max_steps steps)
    with f(x_t) <= rel_tol * f(x_0); None if that never happens."""
    losses = descend(f, start, lr=lr, steps=max_steps).losses
    hits = torch.nonzero(losses <= rel_tol * losses[0])
    return int(hits[0, 0]) + 1 if len(hits) > 0 else None


kappas = [10, 100]
tol_seeds = [0, 1, 2, 3, 4]
# steps_median[kappa]: median over tol_seeds of steps_to_tolerance(Quadratic(kappa),
#     start_point(seed), lr=1 / kappa, max_steps=8 * kappa); then steps_ratio
steps_median = {kappa: statistics.median(
                    steps_to_tolerance(Quadratic(kappa), start_point(seed), lr=1 / kappa,
                                       max_steps=8 * kappa)
                    for seed in tol_seeds)
                for kappa in kappas}
steps_ratio = steps_median[100] / steps_median[10]
print(f"median steps to 1e-6 of the starting loss: {steps_median}; ratio {steps_ratio:.2f}")''',
    },
    # absolute instead of relative tolerance
    "ex4_absolute_tolerance": {
        "cell": "ex4_steps",
        "loses": ["ex4_steps_tests"],
        "source": r'''def steps_to_tolerance(f, start, lr, rel_tol=1e-6, max_steps=1000):
    """The first step t of gradient descent (gradkit's descend, at most max_steps steps)
    with f(x_t) <= rel_tol * f(x_0); None if that never happens."""
    losses = descend(f, start, lr=lr, steps=max_steps).losses
    hits = torch.nonzero(losses <= rel_tol)
    return int(hits[0, 0]) if len(hits) > 0 else None


kappas = [10, 100]
tol_seeds = [0, 1, 2, 3, 4]
# steps_median[kappa]: median over tol_seeds of steps_to_tolerance(Quadratic(kappa),
#     start_point(seed), lr=1 / kappa, max_steps=8 * kappa); then steps_ratio
steps_median = {kappa: statistics.median(
                    steps_to_tolerance(Quadratic(kappa), start_point(seed), lr=1 / kappa,
                                       max_steps=8 * kappa)
                    for seed in tol_seeds)
                for kappa in kappas}
steps_ratio = steps_median[100] / steps_median[10]
print(f"median steps to 1e-6 of the starting loss: {steps_median}; ratio {steps_ratio:.2f}")''',
    },
    # ratio upside down
    "ex4_ratio_inverted": {
        "cell": "ex4_steps",
        "loses": ["ex4_steps_tests"],
        "source": r'''def steps_to_tolerance(f, start, lr, rel_tol=1e-6, max_steps=1000):
    """The first step t of gradient descent (gradkit's descend, at most max_steps steps)
    with f(x_t) <= rel_tol * f(x_0); None if that never happens."""
    losses = descend(f, start, lr=lr, steps=max_steps).losses
    hits = torch.nonzero(losses <= rel_tol * losses[0])
    return int(hits[0, 0]) if len(hits) > 0 else None


kappas = [10, 100]
tol_seeds = [0, 1, 2, 3, 4]
# steps_median[kappa]: median over tol_seeds of steps_to_tolerance(Quadratic(kappa),
#     start_point(seed), lr=1 / kappa, max_steps=8 * kappa); then steps_ratio
steps_median = {kappa: statistics.median(
                    steps_to_tolerance(Quadratic(kappa), start_point(seed), lr=1 / kappa,
                                       max_steps=8 * kappa)
                    for seed in tol_seeds)
                for kappa in kappas}
steps_ratio = steps_median[10] / steps_median[100]
print(f"median steps to 1e-6 of the starting loss: {steps_median}; ratio {steps_ratio:.2f}")''',
    },
    # looks for oscillation in the loss going up and down (never, on a quadratic)
    "ex5_oscillation_from_loss_bumps": {
        "cell": "ex5_regime",
        "loses": ["ex5_regime_tests"],
        "source": r'''def regime(points, loss):
    """'diverging', 'oscillating', 'too_small' or 'converging' for one recorded run.

    Args:
        points: (k + 1, 2) tensor of the iterates x_0, ..., x_k.
        loss: list of the k + 1 losses f(x_0), ..., f(x_k) (may hold inf/nan).
    """
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if not bool(torch.isfinite(loss).all()) or loss[-1].item() > loss[0].item():
        return "diverging"
    if bool((torch.diff(loss) > 0).any()):
        return "oscillating"
    if loss[-1].item() > 0.5 * loss[0].item():
        return "too_small"
    return "converging"


for name, run in runs.items():
    print(f"run {name}: {regime(run['points'], run['loss'])}")''',
    },
    # looks for the coordinates changing sign, as if the minimum were at the origin
    "ex5_oscillation_from_sign_of_x": {
        "cell": "ex5_regime",
        "loses": ["ex5_regime_tests"],
        "source": r'''def regime(points, loss):
    """'diverging', 'oscillating', 'too_small' or 'converging' for one recorded run.

    Args:
        points: (k + 1, 2) tensor of the iterates x_0, ..., x_k.
        loss: list of the k + 1 losses f(x_0), ..., f(x_k) (may hold inf/nan).
    """
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if not bool(torch.isfinite(loss).all()) or loss[-1].item() > loss[0].item():
        return "diverging"
    x = torch.as_tensor(points, dtype=torch.float64)
    turns = (x[1:] * x[:-1]).sum(dim=1)[:10]      # sign changes of x itself
    if (turns < 0).double().mean().item() > 0.5:
        return "oscillating"
    if loss[-1].item() > 0.5 * loss[0].item():
        return "too_small"
    return "converging"


for name, run in runs.items():
    print(f"run {name}: {regime(run['points'], run['loss'])}")''',
    },
    # tests 'loss still above half' before divergence: blow-ups called too_small
    "ex5_too_small_checked_first": {
        "cell": "ex5_regime",
        "loses": ["ex5_regime_tests"],
        "source": r'''def regime(points, loss):
    """'diverging', 'oscillating', 'too_small' or 'converging' for one recorded run.

    Args:
        points: (k + 1, 2) tensor of the iterates x_0, ..., x_k.
        loss: list of the k + 1 losses f(x_0), ..., f(x_k) (may hold inf/nan).
    """
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if loss[-1].item() > 0.5 * loss[0].item():
        return "too_small"
    if not bool(torch.isfinite(loss).all()) or loss[-1].item() > loss[0].item():
        return "diverging"
    steps = torch.diff(torch.as_tensor(points, dtype=torch.float64), dim=0)   # (k, 2)
    turns = (steps[1:] * steps[:-1]).sum(dim=1)[:10]  # first 10 pairs of consecutive steps
    if (turns < 0).double().mean().item() > 0.5:
        return "oscillating"
    if loss[-1].item() > 0.5 * loss[0].item():
        return "too_small"
    return "converging"


for name, run in runs.items():
    print(f"run {name}: {regime(run['points'], run['loss'])}")''',
    },
    # judges divergence and progress from the size of the last loss alone
    "ex5_last_loss_absolute": {
        "cell": "ex5_regime",
        "loses": ["ex5_regime_tests"],
        "source": r'''def regime(points, loss):
    """'diverging', 'oscillating', 'too_small' or 'converging' for one recorded run.

    Args:
        points: (k + 1, 2) tensor of the iterates x_0, ..., x_k.
        loss: list of the k + 1 losses f(x_0), ..., f(x_k) (may hold inf/nan).
    """
    loss = torch.as_tensor(loss, dtype=torch.float64)
    if not bool(torch.isfinite(loss).all()) or loss[-1].item() > 10.0:
        return "diverging"
    steps = torch.diff(torch.as_tensor(points, dtype=torch.float64), dim=0)   # (k, 2)
    turns = (steps[1:] * steps[:-1]).sum(dim=1)[:10]  # first 10 pairs of consecutive steps
    if (turns < 0).double().mean().item() > 0.5:
        return "oscillating"
    if loss[-1].item() > 0.1:
        return "too_small"
    return "converging"


for name, run in runs.items():
    print(f"run {name}: {regime(run['points'], run['loss'])}")''',
    },
}
