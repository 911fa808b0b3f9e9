"""Known-wrong answers for ps04; each must lose exactly its exercise's points.

Each mutant is the reference answer of one cell with one edit: ``replace`` lists
(old, new) pairs, each ``old`` found exactly once in the reference answer.
"""

MUTANTS = {
    'ex1_batch_axis': {
        "cell": 'ex1_layer_norm',
        "loses": ['ex1_layer_norm_tests'],
        "replace": [
            ('    dims = tuple(range(-len(normalized_shape), 0))       # the trailing dimensions\n',
             '    dims = (0,)                                          # the batch dimension\n'),
        ],
    },
    'ex1_unbiased_variance': {
        "cell": 'ex1_layer_norm',
        "loses": ['ex1_layer_norm_tests'],
        "replace": [
            ('    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)   # biased: divide by N\n',
             '    var = x.var(dim=dims, keepdim=True)\n'),
        ],
    },
    'ex1_eps_outside_sqrt': {
        "cell": 'ex1_layer_norm',
        "loses": ['ex1_layer_norm_tests'],
        "replace": [
            ('    y = (x - mean) / torch.sqrt(var + eps)\n',
             '    y = (x - mean) / (torch.sqrt(var) + eps)\n'),
        ],
    },
    'ex1_last_dim_only': {
        "cell": 'ex1_layer_norm',
        "loses": ['ex1_layer_norm_tests'],
        "replace": [
            ('    dims = tuple(range(-len(normalized_shape), 0))       # the trailing dimensions\n',
             '    dims = (-1,)\n'),
        ],
    },
    'ex2_drops_xhat_term': {
        "cell": 'ex2_layer_norm_backward',
        "loses": ['ex2_layer_norm_backward_tests'],
        "replace": [
            ('    grad_x = (g - g.mean(dim=-1, keepdim=True)\n              - x_hat * (g * x_hat).mean(dim=-1, keepdim=True)) / sigma\n',
             '    grad_x = (g - g.mean(dim=-1, keepdim=True)) / sigma\n'),
        ],
    },
    'ex2_forgets_gamma': {
        "cell": 'ex2_layer_norm_backward',
        "loses": ['ex2_layer_norm_backward_tests'],
        "replace": [
            ('    g = grad_out if weight is None else grad_out * weight\n',
             '    g = grad_out\n'),
        ],
    },
    'ex2_weight_grad_from_x': {
        "cell": 'ex2_layer_norm_backward',
        "loses": ['ex2_layer_norm_backward_tests'],
        "replace": [
            ('    grad_weight = (grad_out * x_hat).reshape(-1, n).sum(dim=0)\n',
             '    grad_weight = (grad_out * x).reshape(-1, n).sum(dim=0)\n'),
        ],
    },
    'ex2_sigma_without_eps': {
        "cell": 'ex2_layer_norm_backward',
        "loses": ['ex2_layer_norm_backward_tests'],
        "replace": [
            ('    sigma = torch.sqrt(((x - mean) ** 2).mean(dim=-1, keepdim=True) + eps)\n',
             '    sigma = torch.sqrt(((x - mean) ** 2).mean(dim=-1, keepdim=True))\n'),
        ],
    },
    'ex2_param_grads_sum_first_dim_only': {
        "cell": 'ex2_layer_norm_backward',
        "loses": ['ex2_layer_norm_backward_tests'],
        "replace": [
            ('    grad_weight = (grad_out * x_hat).reshape(-1, n).sum(dim=0)\n'
             '    grad_bias = grad_out.reshape(-1, n).sum(dim=0)\n',
             '    grad_weight = (grad_out * x_hat).sum(dim=0)\n'
             '    grad_bias = grad_out.sum(dim=0)\n'),
        ],
    },
    'ex3_grad_wrt_x': {
        "cell": 'ex3_scale_exponent',
        "loses": ['ex3_scale_exponent_tests'],
        "replace": [
            ('    z = (scale * x).detach().requires_grad_(True)\n    y = gradkit.layer_norm(z, x.shape[-1], eps=eps)\n    (grad_z,) = torch.autograd.grad((grad_out * y).sum(), z)\n',
             '    x = x.detach().clone().requires_grad_(True)\n    y = gradkit.layer_norm(scale * x, x.shape[-1], eps=eps)\n    (grad_z,) = torch.autograd.grad((grad_out * y).sum(), x)\n'),
        ],
    },
    'ex3_log10_norms': {
        "cell": 'ex3_scale_exponent',
        "loses": ['ex3_scale_exponent_tests'],
        "replace": [
            ('    v = torch.log(torch.as_tensor(norms, dtype=torch.float64))\n',
             '    v = torch.log10(torch.as_tensor(norms, dtype=torch.float64))\n'),
        ],
    },
    'ex3_sign_flipped': {
        "cell": 'ex3_scale_exponent',
        "loses": ['ex3_scale_exponent_tests'],
        "replace": [
            ('    return ((uc * (v - v.mean())).sum() / (uc * uc).sum()).item()\n',
             '    return -((uc * (v - v.mean())).sum() / (uc * uc).sum()).item()\n'),
        ],
    },
    'ex3_ignores_eps': {
        "cell": 'ex3_scale_exponent',
        "loses": ['ex3_scale_exponent_tests'],
        "replace": [
            ('    y = gradkit.layer_norm(z, x.shape[-1], eps=eps)\n',
             '    y = gradkit.layer_norm(z, x.shape[-1])\n'),
        ],
    },
    'ex4_not_diverged': {
        "cell": 'ex4_diagnose',
        "loses": ['ex4_diagnose_tests'],
        "replace": [
            ('    return bool(finite and grad_norm[0] < 100.0)\n',
             '    return bool(finite)\n'),
        ],
    },
    'ex4_loss_fell': {
        "cell": 'ex4_diagnose',
        "loses": ['ex4_diagnose_tests'],
        "replace": [
            ('    return bool(finite and grad_norm[0] < 100.0)\n',
             '    return bool(loss[-1] < loss[0])\n'),
        ],
    },
    'ex4_threshold_inverted': {
        "cell": 'ex4_diagnose',
        "loses": ['ex4_diagnose_tests'],
        "replace": [
            ('    return bool(finite and grad_norm[0] < 100.0)\n',
             '    return bool(finite and grad_norm[0] > 100.0)\n'),
        ],
    },
}
