"""Correct answers to ps05 written differently from the reference: each must get full marks.

Each variant is the reference answer of one cell with edits (``replace``: (old, new) pairs,
each ``old`` found exactly once in the reference answer) or a whole answer cell (``source``).
They change the order and association of floating-point operations, use library calls
where the reference writes formulas (or the reverse), loops instead of vectorised code,
and float32 where the exercise does not ask for float64.
"""

_CLIP_NORM_STACKED = '''\
def clip_grad_norm(parameters, max_norm):
    """Clip the gradients of `parameters` in place to global 2-norm at most max_norm;
    return the global norm before clipping (a 0-d tensor)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])
    total = torch.linalg.vector_norm(norms)
    scale = max_norm / (total + 1e-6)
    for g in grads:
        g.mul_(torch.where(scale < 1.0, scale, torch.ones_like(scale)))
    return total
'''

_CLIP_NORM_CAT_FLOAT = '''\
def clip_grad_norm(parameters, max_norm):
    """Clip the gradients of `parameters` in place to global 2-norm at most max_norm;
    return the global norm before clipping (a 0-d tensor)."""
    grads = []
    for p in parameters:
        if p.grad is not None:
            grads.append(p.grad)
    total = torch.cat([g.flatten() for g in grads]).double().norm()
    if total.item() + 1e-6 > max_norm:
        factor = max_norm / (total.item() + 1e-6)
        for g in grads:
            g.mul_(factor)
    return total
'''

_CLIP_NORM_LOOP_DIV = '''\
def clip_grad_norm(parameters, max_norm):
    """Clip the gradients of `parameters` in place to global 2-norm at most max_norm;
    return the global norm before clipping (a 0-d tensor)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    squares = torch.zeros((), dtype=grads[0].dtype)
    for g in reversed(grads):
        squares = squares + torch.dot(g.reshape(-1), g.reshape(-1))
    total = squares.sqrt()
    if total + 1e-6 > max_norm:
        for g in grads:
            g.mul_(max_norm).div_(total + 1e-6)
    return total
'''

_PER_TENSOR_COSSIM = '''\
def clip_grad_norm_per_tensor(parameters, max_norm):
    """Clip each gradient in place to its own 2-norm max_norm; return the norms before
    clipping, one per existing gradient, as a 1-D tensor."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norms = torch.stack([(g * g).sum().sqrt() for g in grads])
    for g, n in zip(grads, norms):
        if n + 1e-6 > max_norm:
            g.div_((n + 1e-6) / max_norm)
    return norms


def angle_degrees(u, v):
    """The angle in degrees between two gradients, each a list of tensors."""
    u = torch.cat([t.flatten().double() for t in u])
    v = torch.cat([t.flatten().double() for t in v])
    cos = F.cosine_similarity(u, v, dim=0).item()
    return math.acos(min(1.0, max(-1.0, cos))) * 180.0 / math.pi


model = rnn_with_grads(0)
before = [p.grad.detach().clone() for p in model.parameters()]
clip_grad_norm_per_tensor(list(model.parameters()), 1.0)
after = [p.grad.detach().clone() for p in model.parameters()]
angle_per_tensor = angle_degrees(before, after)

model = rnn_with_grads(0)
before = [p.grad.detach().clone() for p in model.parameters()]
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
angle_value = angle_degrees(before, [p.grad for p in model.parameters()])
'''

_RATE_FLOAT32 = '''\
def rate_per_step(seq_lens, norms):
    """exp(b) for the least-squares line log(norm) = a + b * T."""
    T = torch.tensor([float(t) for t in seq_lens])
    y = torch.tensor([math.log(float(v)) for v in norms])
    n = len(T)
    b = (n * (T * y).sum() - T.sum() * y.sum()) / (n * (T * T).sum() - T.sum() ** 2)
    return math.exp(float(b))


def measure_rate(rho, nonlinearity, seed=0):
    """The per-step growth factor of ||dL/dh_0|| of a TinyRNN(4, 32, 1) with
    spectral radius rho(W_hh) = rho, over the lengths SEQ_LENS."""
    torch.manual_seed(seed)
    model = TinyRNN(4, 32, 1, nonlinearity=nonlinearity)
    set_spectral_radius_(model.W_hh.weight, rho)
    norms = gradkit.rnn_gradient_norms(model, SEQ_LENS, seed=seed)
    return rate_per_step(SEQ_LENS, norms.tolist())


rate_linear = measure_rate(1.5, "linear")
rate_tanh = measure_rate(1.5, nonlinearity="tanh", seed=0)
'''

_RATE_LSTSQ = '''\
def rate_per_step(seq_lens, norms):
    """exp(b) for the least-squares line log(norm) = a + b * T."""
    T = torch.as_tensor(seq_lens, dtype=torch.float64)
    y = torch.as_tensor(norms, dtype=torch.float64).log()
    A = torch.stack([torch.ones_like(T), T], dim=1)
    a, b = torch.linalg.lstsq(A, y.unsqueeze(1)).solution.squeeze(1)
    return b.exp().item()


def measure_rate(rho, nonlinearity, seed=0):
    """The per-step growth factor of ||dL/dh_0|| of a TinyRNN(4, 32, 1) with
    spectral radius rho(W_hh) = rho, over the lengths SEQ_LENS."""
    torch.manual_seed(seed)
    model = TinyRNN(4, 32, 1, nonlinearity=nonlinearity)
    set_spectral_radius_(model.W_hh.weight, rho)
    return rate_per_step(SEQ_LENS, gradkit.rnn_gradient_norms(model, SEQ_LENS, seed=seed))


rate_linear = measure_rate(1.5, "linear")
rate_tanh = measure_rate(1.5, "tanh")
'''

_THRESHOLD_SORT = '''\
def pick_threshold(grad_norms, fraction):
    """A threshold c such that about `fraction` of the finite grad_norms are > c."""
    finite = sorted((float(v) for v in grad_norms if math.isfinite(float(v))), reverse=True)
    k = min(int(fraction * len(finite)), len(finite) - 1)
    return finite[k]
'''

_THRESHOLD_FLOAT32 = '''\
def pick_threshold(grad_norms, fraction):
    """A threshold c such that about `fraction` of the finite grad_norms are > c."""
    g = torch.as_tensor(grad_norms).float()
    g = g[~(torch.isnan(g) | torch.isinf(g))]
    return float(torch.quantile(g, 1 - fraction))
'''

_EXPLODED_COMPARE = '''\
def exploded(loss, grad_norm):
    """True if the run's loss ever became non-finite or ever exceeded 10 * loss[0]."""
    limit = 10 * loss[0]
    # a nan fails every comparison, so "not <= limit" catches nan, inf and spikes at once
    return any(not (v <= limit) for v in loss)


exploded_runs = set()
for name in runs:
    if exploded(runs[name].loss, runs[name].grad_norm):
        exploded_runs.add(name)
'''

_EXPLODED_TORCH = '''\
def exploded(loss, grad_norm):
    """True if the run's loss ever became non-finite or ever exceeded 10 * loss[0]."""
    L = torch.tensor(loss)
    return bool((~torch.isfinite(L)).any() or (L / L[0] > 10).any())


exploded_runs = {name for name in "ABCD" if exploded(list(runs[name].loss), [])}
'''

VARIANTS = {
    # ex1: torch's arrangement (norm of the per-tensor norms) with torch.where ...
    "ex1_stacked_norms_where": {"cell": "ex1_clip_grad_norm", "source": _CLIP_NORM_STACKED},
    # ... one concatenated vector in float64, a Python float factor ...
    "ex1_cat_float64_python_factor": {"cell": "ex1_clip_grad_norm",
                                      "source": _CLIP_NORM_CAT_FLOAT},
    # ... dot products summed backwards, multiply then divide
    "ex1_loop_mul_div": {"cell": "ex1_clip_grad_norm", "source": _CLIP_NORM_LOOP_DIV},
    # ex2: masked assignment ...
    "ex2_masked_assignment": {
        "cell": "ex2_clip_grad_value",
        "replace": [
            ("            p.grad.clamp_(-clip_value, clip_value)",
             "            g = p.grad\n"
             "            g[g > clip_value] = clip_value\n"
             "            g[g < -clip_value] = -clip_value"),
        ],
    },
    # ... and torch.where into copy_
    "ex2_where_copy": {
        "cell": "ex2_clip_grad_value",
        "replace": [
            ("            p.grad.clamp_(-clip_value, clip_value)",
             "            g = p.grad\n"
             "            g.copy_(torch.where(g.abs() > clip_value, clip_value * g.sign(), g))"),
        ],
    },
    # ex3: norms as sqrt of sums, divide by (norm + eps) / max_norm, cosine_similarity ...
    "ex3_cosine_similarity": {"cell": "ex3_per_tensor", "source": _PER_TENSOR_COSSIM},
    # ... and the angle in float32 (the tensors' own dtype), torch.linalg norms
    "ex3_float32_angle": {
        "cell": "ex3_per_tensor",
        "replace": [
            ("    u = torch.cat([t.reshape(-1) for t in u]).double()\n"
             "    v = torch.cat([t.reshape(-1) for t in v]).double()\n"
             "    cos = ((u @ v) / (u.norm() * v.norm())).item()\n",
             "    u = torch.cat([t.reshape(-1) for t in u])\n"
             "    v = torch.cat([t.reshape(-1) for t in v])\n"
             "    cos = (torch.dot(u / torch.linalg.vector_norm(u), v)"
             " / torch.linalg.vector_norm(v)).item()\n"),
            ("            norm = p.grad.norm()\n",
             "            norm = torch.linalg.vector_norm(p.grad)\n"),
        ],
    },
    # ex4: the normal-equation slope in float32 (torch.tensor's default dtype) ...
    "ex4_float32_normal_equations": {"cell": "ex4_growth_rate", "source": _RATE_FLOAT32},
    # ... and torch.linalg.lstsq in float64
    "ex4_lstsq": {"cell": "ex4_growth_rate", "source": _RATE_LSTSQ},
    # ex5: sort in Python and take the k-th largest ...
    "ex5_sorted_kth_largest": {"cell": "ex5_pick_threshold", "source": _THRESHOLD_SORT},
    # ... and torch.quantile in float32
    "ex5_quantile_float32": {"cell": "ex5_pick_threshold", "source": _THRESHOLD_FLOAT32},
    # ex6: one comparison that nan fails ...
    "ex6_not_below_limit": {"cell": "ex6_diagnose", "source": _EXPLODED_COMPARE},
    # ... and a float32 tensor of the losses, the ratio to the first
    "ex6_torch_ratio": {"cell": "ex6_diagnose", "source": _EXPLODED_TORCH},
}
