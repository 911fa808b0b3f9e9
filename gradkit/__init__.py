"""gradkit: the small PyTorch helper library behind the gradient-stability course.

Computation lives in small modules: models (MLP), rnn, transformer, monitor, data,
sequences, train, stats, landscapes, and the from-scratch pieces the lessons rebuild
(layernorm, clip, init, optim, gradcheck, positional), and ``diagnose`` for the capstone's
training runs. ``plots`` and ``widgets`` only draw
what those return; ``quiz`` and ``checks`` face the student; ``grading`` the instructor.
"""
from . import checks, diagnose, init, landscapes, optim, plots, quiz, widgets
from .clip import clip_grad_norm_, clip_grad_norm_per_tensor_, clip_grad_value_
from .data import Dataset, spirals, teacher_regression
from .gradcheck import check_gradient, numerical_gradient, relative_error
from .landscapes import descend
from .layernorm import LayerNorm, layer_norm, layer_norm_backward
from .models import MLP, MLPConfig
from .monitor import GradientMonitor, gradient_flow, layer_grad_norms, tracked_layers
from .positional import sinusoidal_encoding
from .probe import Probe, probe
from .rnn import TinyRNN, rnn_gradient_norms, set_spectral_radius_, spectral_radius
from .sequences import copy_first_task, position_task
from .stats import GeometricFit, geometric_fit, spread
from .train import History, accuracy, train
from .transformer import TinyTransformer

__version__ = "0.1.0"

__all__ = [
    "MLP", "MLPConfig", "TinyRNN", "TinyTransformer",
    "set_spectral_radius_", "spectral_radius", "rnn_gradient_norms", "sinusoidal_encoding",
    "copy_first_task", "position_task", "descend",
    "GradientMonitor", "gradient_flow", "probe", "Probe", "layer_grad_norms", "tracked_layers",
    "Dataset", "spirals", "teacher_regression",
    "History", "train", "accuracy",
    "GeometricFit", "geometric_fit", "spread",
    "layer_norm", "LayerNorm", "layer_norm_backward",
    "clip_grad_norm_", "clip_grad_value_", "clip_grad_norm_per_tensor_",
    "numerical_gradient", "relative_error", "check_gradient",
    "checks", "diagnose", "init", "landscapes", "optim", "plots", "quiz", "widgets",
]
