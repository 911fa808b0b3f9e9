"""gradkit: the small PyTorch helper library behind the gradient-stability course.

Computation lives in small modules: models (MLP), rnn, transformer, monitor, data,
sequences, train, stats, landscapes, and the from-scratch pieces the lessons rebuild
(layernorm, clip, init, optim, gradcheck, positional), and ``diagnose`` for the capstone's
training runs. ``plots`` and ``widgets`` only draw
what those return; ``quiz`` and ``checks`` face the student; ``grading`` the instructor.
"""
import importlib
import sys
import types

# Each public name is imported from its module on first use (PEP 562), so
# ``import gradkit`` is cheap and a program that needs one module (the grading
# command's coordinator, say) does not import torch for the others.
_MODULES = ("checks", "diagnose", "init", "landscapes", "optim", "plots", "quiz", "widgets")
_FROM = {
    "clip": ("clip_grad_norm_", "clip_grad_norm_per_tensor_", "clip_grad_value_"),
    "data": ("Dataset", "spirals", "teacher_regression"),
    "gradcheck": ("check_gradient", "numerical_gradient", "relative_error"),
    "landscapes": ("descend",),
    "layernorm": ("LayerNorm", "layer_norm", "layer_norm_backward"),
    "models": ("MLP", "MLPConfig"),
    "monitor": ("GradientMonitor", "gradient_flow", "layer_grad_norms", "tracked_layers"),
    "positional": ("sinusoidal_encoding",),
    "probe": ("Probe", "probe"),
    "rnn": ("TinyRNN", "rnn_gradient_norms", "set_spectral_radius_", "spectral_radius"),
    "sequences": ("copy_first_task", "position_task"),
    "stats": ("GeometricFit", "geometric_fit", "spread"),
    "train": ("History", "accuracy", "train"),
    "transformer": ("TinyTransformer",),
}
_HOME = {name: module for module, names in _FROM.items() for name in names}


class _Package(types.ModuleType):
    """gradkit's module type: importing the submodule ``gradkit.train`` (or ``.probe``)
    must not hide the function of the same name the package exports."""

    def __setattr__(self, name, value):
        if name in _HOME and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gradkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
