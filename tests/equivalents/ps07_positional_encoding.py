"""Correct answers to ps07 written differently from the reference: each must get full marks.

Each variant is the reference answer of one cell with edits (``replace``: (old, new) pairs,
each ``old`` found exactly once in the reference answer) or a whole answer cell (``source``).
They change the order and association of floating-point operations, use library calls
where the reference writes formulas (or the reverse), loops instead of vectorised code.
"""

# ex1: frequencies as exp(-ln(base) 2i/d) (the PyTorch tutorial's way), sines and cosines
# interleaved by stacking, the surplus cosine of an odd d_model cut off at the end
_PE_EXP_STACK = '''\
def sinusoidal_encoding(max_len, d_model, base=10000.0):
    """PE[p, 2i] = sin(p * omega_i), PE[p, 2i+1] = cos(p * omega_i), float64."""
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    i = torch.arange((d_model + 1) // 2, dtype=torch.float64)
    omega = torch.exp(i * (-2.0 * math.log(base) / d_model))
    angle = pos * omega[None, :]
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, -1)[:, :d_model]
'''

# ex1: one column at a time, dividing by base**(2i/d) instead of multiplying by its inverse
_PE_COLUMN_LOOP = '''\
def sinusoidal_encoding(max_len, d_model, base=10000.0):
    """Column by column: columns 2i and 2i + 1 share the angle p / base**(2i / d_model)."""
    pos = torch.arange(max_len, dtype=torch.float64)
    PE = torch.empty(max_len, d_model, dtype=torch.float64)
    for j in range(d_model):
        angle = pos / base ** ((j // 2) * 2 / d_model)
        PE[:, j] = torch.sin(angle) if j % 2 == 0 else torch.cos(angle)
    return PE
'''

# ex2: all blocks at once, entries written on the diagonals with tensor indexing
_ROT_INDEXED = '''\
def rotation_matrix(k, d_model, base=10000.0):
    """Block-diagonal rotation, filled by index arrays instead of a Python loop."""
    even = torch.arange(0, d_model, 2)
    b = k / base ** (even.double() / d_model)
    c, s = torch.cos(b), torch.sin(b)
    M = torch.zeros(d_model, d_model, dtype=torch.float64)
    M[even, even] = c
    M[even + 1, even + 1] = c
    M[even, even + 1] = -s
    M[even + 1, even] = s
    return M
'''

# ex2: the matrix exponential of k times a skew-symmetric generator (a rotation by k omega_i
# per pair), with torch.block_diag
_ROT_MATRIX_EXP = '''\
def rotation_matrix(k, d_model, base=10000.0):
    """M_k = exp(k G), G block diagonal with blocks omega_i [[0, -1], [1, 0]]."""
    blocks = []
    for i in range(d_model // 2):
        omega = math.exp(-2 * i / d_model * math.log(base))
        blocks.append(torch.tensor([[0.0, -omega], [omega, 0.0]], dtype=torch.float64))
    G = torch.block_diag(*blocks)
    return torch.linalg.matrix_exp(k * G)
'''

# ex3: autograd.grad (nothing accumulates in .grad), cross-entropy as log_softmax + NLL, one
# norm of all of a block's gradients flattened and concatenated; the median with numpy
_BLOCK_NORMS_AUTOGRAD = '''\
import numpy as np


def block_grad_norms(model, tokens, y):
    """Global gradient norm of each block's parameters after one backward pass; (n_layers,)."""
    per_block = [list(block.parameters()) for block in model.blocks]
    loss = F.nll_loss(F.log_softmax(model(tokens), dim=-1), y)
    grads = torch.autograd.grad(loss, [W for params in per_block for W in params])
    norms, start = [], 0
    for params in per_block:
        flat = torch.cat([g.reshape(-1) for g in grads[start:start + len(params)]])
        norms.append(flat.norm())
        start += len(params)
    return torch.stack(norms)


def median_ratio(norm_position):
    ratios = []
    for seed in seeds:
        norms = block_grad_norms(make_transformer(norm_position, seed), tokens_probe, y_probe)
        ratios.append(float(norms[-1]) / float(norms[0]))
    return float(np.median(ratios))


ratio_pre, ratio_post = median_ratio("pre"), median_ratio("post")
'''

# ex3: a float64 copy of the model (the same weights; the caller's model is left alone), the
# loss summed then divided, each block's squares summed; the ratios in one tensor, torch's
# median (the middle value for an odd number of seeds)
_BLOCK_NORMS_FLOAT64 = '''\
import copy


def block_grad_norms(model, tokens, y):
    """Global gradient norm of each block's parameters, computed in float64; (n_layers,)."""
    model64 = copy.deepcopy(model).double()
    model64.zero_grad(set_to_none=True)            # deepcopy also copies any old .grad
    (F.cross_entropy(model64(tokens), y, reduction="sum") / len(y)).backward()
    return torch.stack([torch.sqrt(sum(W.grad.pow(2).sum() for W in block.parameters()))
                        for block in model64.blocks])


def ratios(norm_position):
    norms = torch.stack([block_grad_norms(make_transformer(norm_position, seed), tokens_probe,
                                          y_probe) for seed in seeds])    # (seeds, blocks)
    return norms[:, -1] / norms[:, 0]


ratio_pre = ratios("pre").median().item()
ratio_post = ratios("post").median().item()
'''

# ex5: the first update at the full rate throws the loss up; with warm-up it goes down
_FIRST_UPDATE_UP = '''\
def lacked_warmup(loss):
    """Without warm-up the first Adam update (full lr on every weight) raises the loss."""
    return bool(loss[1] > loss[0])


runs_without_warmup = set()
for name, run in runs.items():
    if lacked_warmup(run["loss"]):
        runs_without_warmup.add(name)
'''

# ex5: the largest rise of the loss from one update to the next among the first five updates
_LARGEST_EARLY_RISE = '''\
def lacked_warmup(loss):
    """A rise of more than 0.05 nats in one of the first five updates: no warm-up."""
    rises = [after - before for before, after in zip(loss[:5], loss[1:6])]
    return max(rises) > 0.05


runs_without_warmup = {name for name in runs if lacked_warmup(runs[name]["loss"])}
'''

VARIANTS = {
    "ex1_exp_log_stack": {"cell": "ex1_sinusoidal", "source": _PE_EXP_STACK},
    "ex1_column_loop": {"cell": "ex1_sinusoidal", "source": _PE_COLUMN_LOOP},
    "ex2_indexed_diagonals": {"cell": "ex2_rotation", "source": _ROT_INDEXED},
    "ex2_matrix_exp": {"cell": "ex2_rotation", "source": _ROT_MATRIX_EXP},
    "ex3_autograd_grad_cat": {"cell": "ex3_pre_post", "source": _BLOCK_NORMS_AUTOGRAD},
    "ex3_float64_copy_torch_median": {"cell": "ex3_pre_post", "source": _BLOCK_NORMS_FLOAT64},
    # ex4: the two regimes as branches, base_lr / warmup_steps * (step + 1) ...
    "ex4_branches": {
        "cell": "ex4_warmup",
        "replace": [
            ("    return float(base_lr) * min(1.0, (step + 1) / warmup_steps)",
             "    if step + 1 >= warmup_steps:\n"
             "        return float(base_lr)\n"
             "    return base_lr / warmup_steps * (step + 1)"),
        ],
    },
    # ... and (base_lr * (step + 1)) / warmup_steps capped with min
    "ex4_product_first": {
        "cell": "ex4_warmup",
        "replace": [
            ("    if warmup_steps == 0:\n        return float(base_lr)\n"
             "    return float(base_lr) * min(1.0, (step + 1) / warmup_steps)",
             "    if warmup_steps <= 0:\n        return float(base_lr)\n"
             "    return float(min(base_lr, base_lr * (step + 1) / warmup_steps))"),
        ],
    },
    # ex5: the first full-rate update raises the loss ...
    "ex5_first_update_raises_loss": {"cell": "ex5_diagnose", "source": _FIRST_UPDATE_UP},
    # ... and the largest rise between consecutive updates in the first five, in absolute terms
    "ex5_largest_early_step_up": {"cell": "ex5_diagnose", "source": _LARGEST_EARLY_RISE},
}
