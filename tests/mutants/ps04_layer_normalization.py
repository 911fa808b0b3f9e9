"""Known-wrong answers for ps04; each must lose exactly its exercise's points."""
MUTANTS = {
    # normalises over the batch dimension (batch norm)
    "ex1_batch_axis": {
        "cell": "ex1_layer_norm",
        "loses": ["ex1_layer_norm_tests"],
        "source": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing dimensions `normalized_shape` of x:
    weight * (x - mean) / sqrt(biased var + eps) + bias; weight and bias may be None."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = (0,)                                          # the batch dimension
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)   # biased: divide by N
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y''',
    },
    # x.var() default: unbiased (N - 1) variance
    "ex1_unbiased_variance": {
        "cell": "ex1_layer_norm",
        "loses": ["ex1_layer_norm_tests"],
        "source": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing dimensions `normalized_shape` of x:
    weight * (x - mean) / sqrt(biased var + eps) + bias; weight and bias may be None."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = tuple(range(-len(normalized_shape), 0))       # the trailing dimensions
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y''',
    },
    # eps added to the std, not to the variance
    "ex1_eps_outside_sqrt": {
        "cell": "ex1_layer_norm",
        "loses": ["ex1_layer_norm_tests"],
        "source": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing dimensions `normalized_shape` of x:
    weight * (x - mean) / sqrt(biased var + eps) + bias; weight and bias may be None."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = tuple(range(-len(normalized_shape), 0))       # the trailing dimensions
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)   # biased: divide by N
    y = (x - mean) / (torch.sqrt(var) + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y''',
    },
    # always the last dimension, even for (4, 5)
    "ex1_last_dim_only": {
        "cell": "ex1_layer_norm",
        "loses": ["ex1_layer_norm_tests"],
        "source": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing dimensions `normalized_shape` of x:
    weight * (x - mean) / sqrt(biased var + eps) + bias; weight and bias may be None."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    dims = (-1,)
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)   # biased: divide by N
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y''',
    },
    # no x_hat * mean(g * x_hat) term (the variance's dependence on x forgotten)
    "ex2_drops_xhat_term": {
        "cell": "ex2_layer_norm_backward",
        "loses": ["ex2_layer_norm_backward_tests"],
        "source": r'''def layer_norm_backward(grad_out, x, weight=None, eps=1e-5):
    """(dL/dx, dL/dweight, dL/dbias) for y = layer_norm over the last dimension of x,
    given grad_out = dL/dy; (grad_x, None, None) when weight is None."""
    mean = x.mean(dim=-1, keepdim=True)
    sigma = torch.sqrt(((x - mean) ** 2).mean(dim=-1, keepdim=True) + eps)
    x_hat = (x - mean) / sigma
    g = grad_out if weight is None else grad_out * weight
    grad_x = (g - g.mean(dim=-1, keepdim=True)) / sigma
    if weight is None:
        return grad_x, None, None
    n = x.shape[-1]
    grad_weight = (grad_out * x_hat).reshape(-1, n).sum(dim=0)
    grad_bias = grad_out.reshape(-1, n).sum(dim=0)
    return grad_x, grad_weight, grad_bias''',
    },
    # grad_x from grad_out, weight forgotten
    "ex2_forgets_gamma": {
        "cell": "ex2_layer_norm_backward",
        "loses": ["ex2_layer_norm_backward_tests"],
        "source": r'''def layer_norm_backward(grad_out, x, weight=None, eps=1e-5):
    """(dL/dx, dL/dweight, dL/dbias) for y = layer_norm over the last dimension of x,
    given grad_out = dL/dy; (grad_x, None, None) when weight is None."""
    mean = x.mean(dim=-1, keepdim=True)
    sigma = torch.sqrt(((x - mean) ** 2).mean(dim=-1, keepdim=True) + eps)
    x_hat = (x - mean) / sigma
    g = grad_out
    grad_x = (g - g.mean(dim=-1, keepdim=True)
              - x_hat * (g * x_hat).mean(dim=-1, keepdim=True)) / sigma
    if weight is None:
        return grad_x, None, None
    n = x.shape[-1]
    grad_weight = (grad_out * x_hat).reshape(-1, n).sum(dim=0)
    grad_bias = grad_out.reshape(-1, n).sum(dim=0)
    return grad_x, grad_weight, grad_bias''',
    },
    # grad_weight from x, not x_hat
    "ex2_weight_grad_from_x": {
        "cell": "ex2_layer_norm_backward",
        "loses": ["ex2_layer_norm_backward_tests"],
        "source": r'''def layer_norm_backward(grad_out, x, weight=None, eps=1e-5):
    """(dL/dx, dL/dweight, dL/dbias) for y = layer_norm over the last dimension of x,
    given grad_out = dL/dy; (grad_x, None, None) when weight is None."""
    mean = x.mean(dim=-1, keepdim=True)
    sigma = torch.sqrt(((x - mean) ** 2).mean(dim=-1, keepdim=True) + eps)
    x_hat = (x - mean) / sigma
    g = grad_out if weight is None else grad_out * weight
    grad_x = (g - g.mean(dim=-1, keepdim=True)
              - x_hat * (g * x_hat).mean(dim=-1, keepdim=True)) / sigma
    if weight is None:
        return grad_x, None, None
    n = x.shape[-1]
    grad_weight = (grad_out * x).reshape(-1, n).sum(dim=0)
    grad_bias = grad_out.reshape(-1, n).sum(dim=0)
    return grad_x, grad_weight, grad_bias''',
    },
    # gradient with respect to x, not z = scale * x
    "ex3_grad_wrt_x": {
        "cell": "ex3_scale_exponent",
        "loses": ["ex3_scale_exponent_tests"],
        "source": r'''def input_grad_norm(x, grad_out, scale, eps=1e-5):
    """||dL/dz|| at z = scale * x, for L = sum(grad_out * layer_norm(z)) over the last dim."""
    x = x.detach().clone().requires_grad_(True)
    y = gradkit.layer_norm(scale * x, x.shape[-1], eps=eps)
    (grad_z,) = torch.autograd.grad((grad_out * y).sum(), x)
    return grad_z.norm().item()


def fit_exponent(scales, norms):
    """The slope of the least-squares line through (ln scale, ln norm)."""
    u = torch.log(torch.as_tensor(scales, dtype=torch.float64))
    v = torch.log(torch.as_tensor(norms, dtype=torch.float64))
    uc = u - u.mean()
    return ((uc * (v - v.mean())).sum() / (uc * uc).sum()).item()


scales = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
tiny_scales = [1e-5, 3e-5, 1e-4]
seeds = [0, 1, 2, 3, 4]
# exponent and exponent_tiny: the median over seeds of fit_exponent(scales, norms)
def median_exponent(scale_list):
    per_seed = []
    for seed in seeds:
        x, grad_out = make_batch(seed)
        per_seed.append(fit_exponent(scale_list, [input_grad_norm(x, grad_out, s)
                                                  for s in scale_list]))
    return statistics.median(per_seed)


exponent = median_exponent(scales)
exponent_tiny = median_exponent(tiny_scales)
print(f"||dL/dz|| ~ scale^p: p = {exponent:.4f} for scales 0.1..100, "
      f"p = {exponent_tiny:.4f} for scales 1e-5..1e-4")''',
    },
    # log10 of the norms against ln of the scales
    "ex3_log10_norms": {
        "cell": "ex3_scale_exponent",
        "loses": ["ex3_scale_exponent_tests"],
        "source": r'''def input_grad_norm(x, grad_out, scale, eps=1e-5):
    """||dL/dz|| at z = scale * x, for L = sum(grad_out * layer_norm(z)) over the last dim."""
    z = (scale * x).detach().requires_grad_(True)
    y = gradkit.layer_norm(z, x.shape[-1], eps=eps)
    (grad_z,) = torch.autograd.grad((grad_out * y).sum(), z)
    return grad_z.norm().item()


def fit_exponent(scales, norms):
    """The slope of the least-squares line through (ln scale, ln norm)."""
    u = torch.log(torch.as_tensor(scales, dtype=torch.float64))
    v = torch.log10(torch.as_tensor(norms, dtype=torch.float64))
    uc = u - u.mean()
    return ((uc * (v - v.mean())).sum() / (uc * uc).sum()).item()


scales = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
tiny_scales = [1e-5, 3e-5, 1e-4]
seeds = [0, 1, 2, 3, 4]
# exponent and exponent_tiny: the median over seeds of fit_exponent(scales, norms)
def median_exponent(scale_list):
    per_seed = []
    for seed in seeds:
        x, grad_out = make_batch(seed)
        per_seed.append(fit_exponent(scale_list, [input_grad_norm(x, grad_out, s)
                                                  for s in scale_list]))
    return statistics.median(per_seed)


exponent = median_exponent(scales)
exponent_tiny = median_exponent(tiny_scales)
print(f"||dL/dz|| ~ scale^p: p = {exponent:.4f} for scales 0.1..100, "
      f"p = {exponent_tiny:.4f} for scales 1e-5..1e-4")''',
    },
    # reports the decay rate +1, not the exponent -1
    "ex3_sign_flipped": {
        "cell": "ex3_scale_exponent",
        "loses": ["ex3_scale_exponent_tests"],
        "source": r'''def input_grad_norm(x, grad_out, scale, eps=1e-5):
    """||dL/dz|| at z = scale * x, for L = sum(grad_out * layer_norm(z)) over the last dim."""
    z = (scale * x).detach().requires_grad_(True)
    y = gradkit.layer_norm(z, x.shape[-1], eps=eps)
    (grad_z,) = torch.autograd.grad((grad_out * y).sum(), z)
    return grad_z.norm().item()


def fit_exponent(scales, norms):
    """The slope of the least-squares line through (ln scale, ln norm)."""
    u = torch.log(torch.as_tensor(scales, dtype=torch.float64))
    v = torch.log(torch.as_tensor(norms, dtype=torch.float64))
    uc = u - u.mean()
    return -((uc * (v - v.mean())).sum() / (uc * uc).sum()).item()


scales = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
tiny_scales = [1e-5, 3e-5, 1e-4]
seeds = [0, 1, 2, 3, 4]
# exponent and exponent_tiny: the median over seeds of fit_exponent(scales, norms)
def median_exponent(scale_list):
    per_seed = []
    for seed in seeds:
        x, grad_out = make_batch(seed)
        per_seed.append(fit_exponent(scale_list, [input_grad_norm(x, grad_out, s)
                                                  for s in scale_list]))
    return statistics.median(per_seed)


exponent = median_exponent(scales)
exponent_tiny = median_exponent(tiny_scales)
print(f"||dL/dz|| ~ scale^p: p = {exponent:.4f} for scales 0.1..100, "
      f"p = {exponent_tiny:.4f} for scales 1e-5..1e-4")''',
    },
    # 'LN runs never blow up', so any finite run had LN
    "ex4_not_diverged": {
        "cell": "ex4_diagnose",
        "loses": ["ex4_diagnose_tests"],
        "source": r'''def had_layer_norm(loss, grad_norm):
    """True if this badly initialised deep MLP had layer norm after its hidden layers.

    Args:
        loss, grad_norm: lists of floats, one per training step (may hold inf/nan).
    """
    finite = all(math.isfinite(v) for v in loss) and all(math.isfinite(v) for v in grad_norm)
    # without LN the first gradient is already huge (hundreds to millions); with LN each
    # hidden layer's output is renormalised and the first gradient is of order 1 to 10
    return bool(finite)


for name, run in runs.items():
    print(f"run {name}: had layer norm? {had_layer_norm(run['loss'], run['grad_norm'])}")''',
    },
    # 'LN runs train', judged by the loss falling
    "ex4_loss_fell": {
        "cell": "ex4_diagnose",
        "loses": ["ex4_diagnose_tests"],
        "source": r'''def had_layer_norm(loss, grad_norm):
    """True if this badly initialised deep MLP had layer norm after its hidden layers.

    Args:
        loss, grad_norm: lists of floats, one per training step (may hold inf/nan).
    """
    finite = all(math.isfinite(v) for v in loss) and all(math.isfinite(v) for v in grad_norm)
    # without LN the first gradient is already huge (hundreds to millions); with LN each
    # hidden layer's output is renormalised and the first gradient is of order 1 to 10
    return bool(loss[-1] < loss[0])


for name, run in runs.items():
    print(f"run {name}: had layer norm? {had_layer_norm(run['loss'], run['grad_norm'])}")''',
    },
    # thinks LN makes the gradient larger
    "ex4_threshold_inverted": {
        "cell": "ex4_diagnose",
        "loses": ["ex4_diagnose_tests"],
        "source": r'''def had_layer_norm(loss, grad_norm):
    """True if this badly initialised deep MLP had layer norm after its hidden layers.

    Args:
        loss, grad_norm: lists of floats, one per training step (may hold inf/nan).
    """
    finite = all(math.isfinite(v) for v in loss) and all(math.isfinite(v) for v in grad_norm)
    # without LN the first gradient is already huge (hundreds to millions); with LN each
    # hidden layer's output is renormalised and the first gradient is of order 1 to 10
    return bool(finite and grad_norm[0] > 100.0)


for name, run in runs.items():
    print(f"run {name}: had layer norm? {had_layer_norm(run['loss'], run['grad_norm'])}")''',
    },
}
