"""Correct answers to ps06 written differently from the reference: each must get full marks.

Each variant is the reference answer of one cell with edits (``replace``: (old, new) pairs,
each ``old`` found exactly once in the reference answer) or a whole answer cell (``source``).
They change the order and association of floating-point operations, use library calls
where the reference writes formulas (or the reverse), loops instead of vectorised code.
"""

_RMSPROP_LOOP = '''\
def rmsprop_step(p, g, state, lr=0.01, alpha=0.99, eps=1e-8):
    """One RMSprop step for p with gradient g, in place, one coordinate at a time."""
    if "v" not in state:
        state["v"] = torch.zeros_like(p)
    v, p_flat, g_flat = state["v"].view(-1), p.view(-1), g.reshape(-1)
    for i in range(p_flat.numel()):
        gi = float(g_flat[i])
        vi = alpha * float(v[i]) + (1 - alpha) * gi ** 2
        v[i] = vi
        p_flat[i] -= lr * gi / (math.sqrt(vi) + eps)
'''

_ADAM_NEW_TENSORS = '''\
def adam_step(p, g, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, bias_correction=True):
    """One Adam step, with new tensors for m and v stored back into state."""
    t = state.get("t", 0) + 1
    m = beta1 * state.get("m", torch.zeros_like(p)) + (1 - beta1) * g
    v = beta2 * state.get("v", torch.zeros_like(p)) + (1 - beta2) * g ** 2
    state.update(t=t, m=m, v=v)
    c1 = 1 - beta1 ** t if bias_correction else 1.0
    c2 = 1 - beta2 ** t if bias_correction else 1.0
    p -= lr / c1 * m / (torch.sqrt(v) / math.sqrt(c2) + eps)
'''

VARIANTS = {
    # ex1: torch's own fused calls (addcmul_, addcdiv_) ...
    "ex1_addcmul_addcdiv": {
        "cell": "ex1_rmsprop",
        "replace": [
            ("v.mul_(alpha).add_((1 - alpha) * g * g)",
             "v.mul_(alpha).addcmul_(g, g, value=1 - alpha)"),
            ("p.sub_(lr * g / (v.sqrt() + eps))",
             "p.addcdiv_(g, v.sqrt().add_(eps), value=-lr)"),
        ],
    },
    # ... v as an interpolation into a new tensor, lr times the ratio ...
    "ex1_lerp_new_tensor": {
        "cell": "ex1_rmsprop",
        "replace": [
            ("    v.mul_(alpha).add_((1 - alpha) * g * g)",
             "    v = state[\"v\"] = torch.lerp(v, g.square(), 1 - alpha)"),
            ("p.sub_(lr * g / (v.sqrt() + eps))", "p -= lr * (g / (torch.sqrt(v) + eps))"),
        ],
    },
    # ... and Python floats, one coordinate at a time
    "ex1_python_loop": {"cell": "ex1_rmsprop", "source": _RMSPROP_LOOP},
    # ex2: torch's arrangement (lerp_, step size lr / c1, sqrt(v) / sqrt(c2) + eps) ...
    "ex2_torch_arrangement": {
        "cell": "ex2_adam",
        "replace": [
            ("m.mul_(beta1).add_((1 - beta1) * g)", "m.lerp_(g, 1 - beta1)"),
            ("v.mul_(beta2).add_((1 - beta2) * g * g)",
             "v.mul_(beta2).addcmul_(g, g, value=1 - beta2)"),
            ("        m_hat = m / (1 - beta1 ** t)\n        v_hat = v / (1 - beta2 ** t)\n"
             "    else:\n        m_hat, v_hat = m, v\n"
             "    p.sub_(lr * m_hat / (v_hat.sqrt() + eps))",
             "        step_size = lr / (1 - beta1 ** t)\n"
             "        denom = (v.sqrt() / math.sqrt(1 - beta2 ** t)).add_(eps)\n"
             "    else:\n        step_size, denom = lr, v.sqrt().add_(eps)\n"
             "    p.addcdiv_(m, denom, value=-step_size)"),
        ],
    },
    # ... and new tensors, state.get, the corrections folded into other places
    "ex2_new_tensors": {"cell": "ex2_adam", "source": _ADAM_NEW_TENSORS},
    # ex3: a Python loop that divides (losses[t] / losses[0] <= rel_tol), medians by sorting
    "ex3_loop_division_sorted": {
        "cell": "ex3_steps",
        "replace": [
            ("    losses = torch.as_tensor(losses, dtype=torch.float64)\n"
             "    hits = torch.nonzero(losses <= rel_tol * losses[0])\n"
             "    return int(hits[0, 0]) if len(hits) > 0 else None\n",
             "    values = [float(x) for x in losses]\n"
             "    for t, value in enumerate(values):\n"
             "        if value / values[0] <= rel_tol:\n"
             "            return t\n"
             "    return None\n"),
            ("steps_sgd = {kappa: statistics.median(",
             "steps_sgd = {kappa: sorted("),
            ("                 for start in starts)\n             for kappa in kappas}",
             "                 for start in starts)[len(starts) // 2]\n"
             "             for kappa in kappas}"),
        ],
    },
    # ex3: default dtype (a list becomes float32), a mask and argmax, torch's median
    "ex3_float32_argmax_torch_median": {
        "cell": "ex3_steps",
        "replace": [
            ("    losses = torch.as_tensor(losses, dtype=torch.float64)\n"
             "    hits = torch.nonzero(losses <= rel_tol * losses[0])\n"
             "    return int(hits[0, 0]) if len(hits) > 0 else None\n",
             "    losses = torch.as_tensor(losses)\n"
             "    reached = losses / losses[0] <= rel_tol\n"
             "    return int(reached.int().argmax()) if bool(reached.any()) else None\n"),
            ("steps_adam = {kappa: statistics.median(",
             "steps_adam = {kappa: int(torch.tensor(["),
            ("                  for start in starts)\n              for kappa in kappas}",
             "                  for start in starts]).median())\n"
             "              for kappa in kappas}"),
        ],
    },
    # ex4: math.dist over Python lists, the loss scaled on the other side
    "ex4_python_dist": {
        "cell": "ex4_scale",
        "replace": [
            ("lambda xy: c * f(xy)", "lambda xy: f(xy) * c"),
            ("return (path_cf.points - path_f.points).norm(dim=1).max().item()",
             "return max(math.dist(a, b) for a, b in zip(path_f.points.tolist(),\n"
             "                                               path_cf.points.tolist()))"),
        ],
    },
    # ex4: the distance as the square root of a sum of squares
    "ex4_sum_of_squares": {
        "cell": "ex4_scale",
        "replace": [
            ("return (path_cf.points - path_f.points).norm(dim=1).max().item()",
             "return float(((path_f.points - path_cf.points) ** 2).sum(dim=1).sqrt().amax())"),
        ],
    },
    # ex5: other thresholds, anywhere in the gaps the six plotted runs leave
    "ex5_other_thresholds": {
        "cell": "ex5_diagnose",
        "replace": [
            ("> 1.7 * loss[0].item()", "> 1.4 * loss[0].item()"),
            ("> 0.75 * loss[0].item()", "> 0.6 * loss[0].item()"),
        ],
    },
    # ex5: Python lists, ratios, the lowest loss instead of the last one
    "ex5_min_loss_ratios": {
        "cell": "ex5_diagnose",
        "source": '''\
def diagnose_adam(loss):
    """'no_bias_correction', 'large_eps' or 'ok' for one recorded Adam run (a list of losses)."""
    loss = [float(x) for x in loss]
    if max(loss[:30]) / loss[0] > 2.0:       # the early spike of uncorrected steps
        return "no_bias_correction"
    if min(loss) / loss[0] > 0.85:           # never got far below the start
        return "large_eps"
    return "ok"
''',
    },
    # review questions: the numbers as a student rounds them
    "q3_rounded": {"cell": "q3_no_correction", "source": "answer_q3 = 3.16\n"},
    "q3_two_digits": {"cell": "q3_no_correction", "source": "answer_q3 = 3.2\n"},
    "q2_formula": {"cell": "q2_first_step",
                   "source": "answer_q2 = -0.001 * (-250) / (math.sqrt((-250) ** 2) + 1e-8)\n"},
}
