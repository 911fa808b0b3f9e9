"""gradkit: the small PyTorch helper library behind the gradient-stability course.

Computation lives in small modules (models, monitor, data, train, stats); ``plots`` and
``widgets`` only draw what those return; ``checks`` holds the student-facing test helpers.
"""
from . import checks, plots, quiz, widgets
from .data import Dataset, spirals, teacher_regression
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
    "checks", "plots", "quiz", "widgets",
]
