"""gradkit: the small PyTorch helper library behind the gradient-stability course.

Computation lives in small modules (models, monitor, data, train, stats, and the
from-scratch pieces the lessons rebuild: layernorm, clip, init, gradcheck); ``plots`` and
``widgets`` only draw what those return; ``checks`` holds the student-facing test helpers.
"""
from . import checks, init, plots, quiz, widgets
from .clip import clip_grad_norm_, clip_grad_norm_per_tensor_, clip_grad_value_
from .data import Dataset, spirals, teacher_regression
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .layernorm import LayerNorm, layer_norm, layer_norm_backward
from .models import MLP, MLPConfig
from .monitor import GradientMonitor, gradient_flow, layer_grad_norms, tracked_layers
from .stats import GeometricFit, geometric_fit, spread
from .train import History, train

__version__ = "0.1.0"

__all__ = [
    "MLP", "MLPConfig",
    "GradientMonitor", "gradient_flow", "layer_grad_norms", "tracked_layers",
    "Dataset", "spirals", "teacher_regression",
    "History", "train",
    "GeometricFit", "geometric_fit", "spread",
    "layer_norm", "LayerNorm", "layer_norm_backward",
    "clip_grad_norm_", "clip_grad_value_", "clip_grad_norm_per_tensor_",
    "numerical_gradient", "relative_error", "check_gradient",
    "checks", "init", "plots", "quiz", "widgets",
]
