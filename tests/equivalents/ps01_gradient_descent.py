"""Correct answers to ps01 written differently from the reference: each must get full marks.

Each variant is the reference answer of one cell with edits (``replace``: (old, new) pairs,
each ``old`` found exactly once in the reference answer) or a whole answer cell (``source``).
They change the order and association of floating-point operations (a fused
``x.add(g, alpha=-lr)`` instead of ``x - lr * g``, the textbook momentum convention, a ratio
or a logarithm instead of a product in a comparison), use library calls where the reference
writes formulas (or the reverse: a closed-form 2x2 eigenvalue), and loops instead of
vectorised code. The exercises ask for float64 throughout, so no variant uses float32.
"""

_EX1_BACKWARD_FUSED = '''\
def gd_step(f, x, lr):
    """One gradient-descent step: x - lr * grad f(x), as a new tensor that does not require
    grad. x itself is left unchanged."""
    x_var = x.detach().clone()
    x_var.requires_grad_()
    f(x_var).backward()
    with torch.no_grad():
        return torch.add(x_var, x_var.grad, alpha=-lr)


def gradient_descent(f, x0, lr, steps):
    """`steps` steps of gradient descent from x0.

    Returns:
        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;
        losses (steps + 1,) holds f(x_0), ..., f(x_steps).
    """
    xs = torch.empty((steps + 1, *x0.shape), dtype=x0.dtype)
    losses = torch.empty(steps + 1, dtype=x0.dtype)
    x = x0.detach()
    for t in range(steps + 1):
        xs[t] = x
        losses[t] = f(x).detach().reshape(())
        if t < steps:
            x = gd_step(f, x, lr)
    return xs, losses
'''

_EX1_FUNC_GRAD = '''\
def gd_step(f, x, lr):
    """One gradient-descent step: x - lr * grad f(x), as a new tensor that does not require
    grad. x itself is left unchanged."""
    grad = torch.func.grad(lambda z: f(z).reshape(()))(x.detach().clone())
    return x.detach() - grad * lr


def gradient_descent(f, x0, lr, steps):
    """`steps` steps of gradient descent from x0.

    Returns:
        (xs, losses): xs (steps + 1, *x0.shape) holds x_0 = x0, x_1, ..., x_steps;
        losses (steps + 1,) holds f(x_0), ..., f(x_steps).
    """
    points = [x0.detach().clone()]
    losses = []
    while len(points) <= steps:
        losses.append(float(f(points[-1])))
        points.append(gd_step(f, points[-1], lr))
    losses.append(float(f(points[-1])))
    return torch.stack(points), torch.tensor(losses, dtype=torch.float64)
'''

_EX2_RATIO_HALFWIDTH = '''\
def diverges(f, lr, start, steps=50):
    """True if `steps` steps of gradient descent (gradkit's descend) from `start` at this lr
    blow up or end with a larger loss than they started with."""
    losses = descend(f, start, lr=lr, steps=steps)
    if losses.diverged:
        return True
    first, last = losses.losses[0].item(), losses.losses[-1].item()
    return last / first > 1.0


def find_threshold(f, start, lo=0.0, hi=1.0, steps=50, iters=16):
    """Bisection for the divergence threshold of the learning rate: `lo` must not diverge,
    `hi` must; returns the midpoint of the interval left after `iters` halvings."""
    done = 0
    while done < iters:
        mid = lo + (hi - lo) / 2
        lo, hi = (lo, mid) if diverges(f, mid, start, steps) else (mid, hi)
        done += 1
    return lo + (hi - lo) / 2


threshold_seeds = [0, 1, 2]
# lr_max_measured: the median over threshold_seeds of find_threshold(f_H, start_point(seed))
# lr_max_theory: 2 / (the largest eigenvalue of H)
thresholds = torch.tensor([find_threshold(f_H, start_point(s)) for s in threshold_seeds],
                          dtype=torch.float64)
lr_max_measured = thresholds.median().item()
# the largest eigenvalue of a symmetric 2x2 matrix in closed form
tr, det = H.trace().item(), torch.linalg.det(H).item()
lr_max_theory = 2 / ((tr + math.sqrt(tr * tr - 4 * det)) / 2)
print(f"measured threshold {lr_max_measured:.5f}, 2 / L = {lr_max_theory:.5f}, "
      f"ratio {lr_max_measured / lr_max_theory:.4f}")
'''

_EX2_DIFFERENCE_RECURSIVE = '''\
def diverges(f, lr, start, steps=50):
    """True if `steps` steps of gradient descent (gradkit's descend) from `start` at this lr
    blow up or end with a larger loss than they started with."""
    run = descend(f, start, lr=lr, steps=steps)
    grew = (run.losses[-1] - run.losses[0]).item() > 0.0
    return run.diverged or grew


def find_threshold(f, start, lo=0.0, hi=1.0, steps=50, iters=16):
    """Bisection for the divergence threshold of the learning rate: `lo` must not diverge,
    `hi` must; returns the midpoint of the interval left after `iters` halvings."""
    mid = (lo + hi) / 2
    if iters == 0:
        return mid
    if diverges(f, mid, start, steps=steps):
        return find_threshold(f, start, lo, mid, steps, iters - 1)
    return find_threshold(f, start, mid, hi, steps, iters - 1)


threshold_seeds = [0, 1, 2]
# lr_max_measured: the median over threshold_seeds of find_threshold(f_H, start_point(seed))
# lr_max_theory: 2 / (the largest eigenvalue of H)
lr_max_measured = sorted(find_threshold(f_H, start_point(s)) for s in threshold_seeds)[1]
lr_max_theory = 2 / torch.linalg.matrix_norm(H, ord=2).item()  # spectral norm = top eigenvalue
print(f"measured threshold {lr_max_measured:.5f}, 2 / L = {lr_max_theory:.5f}, "
      f"ratio {lr_max_measured / lr_max_theory:.4f}")
'''

_EX3_TEXTBOOK = '''\
def momentum_descent(f, x0, lr, beta, steps):
    """`steps` steps of heavy-ball momentum from x0, PyTorch's convention:
    v_t = beta * v_{t-1} + grad f(x_{t-1}), x_t = x_{t-1} - lr * v_t, v_0 = 0.

    Returns:
        (xs, losses) of shapes (steps + 1, *x0.shape) and (steps + 1,), as gradient_descent.
    """
    # the textbook form u_t = beta u_{t-1} - lr g_t, x_t = x_{t-1} + u_t (u = -lr v)
    xs = [x0.detach().clone()]
    u = torch.zeros_like(xs[0])
    for _ in range(steps):
        p = xs[-1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(p), p)
        u = beta * u - lr * g
        xs.append(xs[-1] + u)
    xs = torch.stack(xs)
    with torch.no_grad():
        losses = torch.stack([f(x).reshape(()) for x in xs])
    return xs, losses
'''

_EX3_IN_PLACE = '''\
def momentum_descent(f, x0, lr, beta, steps):
    """`steps` steps of heavy-ball momentum from x0, PyTorch's convention:
    v_t = beta * v_{t-1} + grad f(x_{t-1}), x_t = x_{t-1} - lr * v_t, v_0 = 0.

    Returns:
        (xs, losses) of shapes (steps + 1, *x0.shape) and (steps + 1,), as gradient_descent.
    """
    x = x0.detach().clone().requires_grad_(True)
    velocity = None
    xs = torch.zeros((steps + 1, *x0.shape), dtype=x0.dtype)
    losses = torch.zeros(steps + 1, dtype=x0.dtype)
    for t in range(steps + 1):
        x.grad = None
        loss = f(x)
        xs[t] = x.detach()
        losses[t] = loss.detach()
        if t == steps:
            break
        loss.backward()
        with torch.no_grad():
            if velocity is None:
                velocity = x.grad.clone()              # v_1 = g_1, as PyTorch stores it
            else:
                velocity.mul_(beta).add_(x.grad)
            x.sub_(velocity, alpha=lr)
    return xs, losses
'''

_EX4_RATIO_LOOP = '''\
def steps_to_tolerance(f, start, lr, rel_tol=1e-6, max_steps=1000):
    """The first step t of gradient descent (gradkit's descend, at most max_steps steps)
    with f(x_t) <= rel_tol * f(x_0); None if that never happens."""
    losses = descend(f, start, lr=lr, steps=max_steps).losses.tolist()
    for t, loss in enumerate(losses):
        if loss / losses[0] <= rel_tol:
            return t
    return None


kappas = [10, 100]
tol_seeds = [0, 1, 2, 3, 4]
# steps_median[kappa]: median over tol_seeds of steps_to_tolerance(Quadratic(kappa),
#     start_point(seed), lr=1 / kappa, max_steps=8 * kappa); then steps_ratio
steps_median = {}
for kappa in kappas:
    counts = sorted(steps_to_tolerance(Quadratic(kappa), start_point(seed), lr=1 / kappa,
                                       max_steps=8 * kappa) for seed in tol_seeds)
    steps_median[kappa] = counts[len(counts) // 2]
steps_ratio = steps_median[100] / steps_median[10]
print(f"median steps to 1e-6 of the starting loss: {steps_median}; ratio {steps_ratio:.2f}")
'''

_EX4_LOG = '''\
def steps_to_tolerance(f, start, lr, rel_tol=1e-6, max_steps=1000):
    """The first step t of gradient descent (gradkit's descend, at most max_steps steps)
    with f(x_t) <= rel_tol * f(x_0); None if that never happens."""
    losses = descend(f, start, lr=lr, steps=max_steps).losses
    reached = torch.log(losses) - torch.log(losses[0]) <= math.log(rel_tol)
    if not bool(reached.any()):
        return None
    return int(torch.argmax(reached.to(torch.int64)))


kappas = [10, 100]
tol_seeds = [0, 1, 2, 3, 4]
# steps_median[kappa]: median over tol_seeds of steps_to_tolerance(Quadratic(kappa),
#     start_point(seed), lr=1 / kappa, max_steps=8 * kappa); then steps_ratio
steps_median = {kappa: torch.tensor([steps_to_tolerance(Quadratic(kappa), start_point(seed),
                                                        lr=1 / kappa, max_steps=8 * kappa)
                                     for seed in tol_seeds]).median().item()
                for kappa in kappas}
steps_ratio = steps_median[100] / steps_median[10]
print(f"median steps to 1e-6 of the starting loss: {steps_median}; ratio {steps_ratio:.2f}")
'''

_EX5_COSINE = '''\
def regime(points, loss):
    """'diverging', 'oscillating', 'too_small' or 'converging' for one recorded run.

    Args:
        points: (k + 1, 2) tensor of the iterates x_0, ..., x_k.
        loss: list of the k + 1 losses f(x_0), ..., f(x_k) (may hold inf/nan).
    """
    if any(not math.isfinite(v) for v in loss) or loss[-1] / loss[0] > 1.0:
        return "diverging"
    steps = points[1:] - points[:-1]
    cos = torch.nn.functional.cosine_similarity(steps[1:][:10], steps[:-1][:10], dim=1)
    if int((cos < 0).sum()) > len(cos) / 2:
        return "oscillating"
    if loss[-1] / loss[0] > 0.5:
        return "too_small"
    return "converging"
'''

_EX5_PLAIN_PYTHON = '''\
def regime(points, loss):
    """'diverging', 'oscillating', 'too_small' or 'converging' for one recorded run.

    Args:
        points: (k + 1, 2) tensor of the iterates x_0, ..., x_k.
        loss: list of the k + 1 losses f(x_0), ..., f(x_k) (may hold inf/nan).
    """
    first, last = loss[0], loss[-1]
    if math.isnan(sum(loss)) or math.isinf(sum(loss)) or last > first:
        return "diverging"
    pts = points.tolist()
    steps = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(pts, pts[1:])]
    # a zig-zag: the majority of all consecutive pairs of steps turn back
    backwards = sum(1 for s, r in zip(steps, steps[1:]) if s[0] * r[0] + s[1] * r[1] < 0)
    if 2 * backwards > len(steps) - 1:
        return "oscillating"
    if 2 * last > first:
        return "too_small"
    return "converging"
'''

VARIANTS = {
    "ex1_backward_fused_add_preallocated": {
        "cell": "ex1_gradient_descent", "source": _EX1_BACKWARD_FUSED},
    "ex1_torch_func_grad_python_losses": {
        "cell": "ex1_gradient_descent", "source": _EX1_FUNC_GRAD},
    "ex2_loss_ratio_halfwidth_median_tensor": {
        "cell": "ex2_threshold", "source": _EX2_RATIO_HALFWIDTH},
    "ex2_loss_difference_recursive_spectral_norm": {
        "cell": "ex2_threshold", "source": _EX2_DIFFERENCE_RECURSIVE},
    "ex3_textbook_velocity": {
        "cell": "ex3_momentum", "source": _EX3_TEXTBOOK},
    "ex3_in_place_backward": {
        "cell": "ex3_momentum", "source": _EX3_IN_PLACE},
    "ex4_loss_ratio_loop": {
        "cell": "ex4_steps", "source": _EX4_RATIO_LOOP},
    "ex4_log_losses_argmax": {
        "cell": "ex4_steps", "source": _EX4_LOG},
    "ex5_cosine_similarity_ratios": {
        "cell": "ex5_regime", "source": _EX5_COSINE},
    "ex5_plain_python_all_pairs": {
        "cell": "ex5_regime", "source": _EX5_PLAIN_PYTHON},
}
