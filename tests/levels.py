"""PyTorch's CPU vector levels: which this machine has, which the tests run at.

PyTorch picks its vectorised CPU kernels by the instructions the CPU has (AVX-512, AVX2,
or plain code) and the same maths then rounds differently. ``ATEN_CPU_CAPABILITY``
forces a level at or below what the CPU has; a level the CPU lacks falls back to the
best it has. The suite runs the course at the machine's own level and again at the
others, so a result that holds on one kind of CPU only is caught.
"""
from __future__ import annotations

import functools
import os
import subprocess
import sys

LEVELS = ("default", "avx2", "avx512")

_PROBE = "import torch; print(torch.backends.cpu.get_cpu_capability().lower())"


def _measured(level: str | None) -> str:
    env = dict(os.environ)
    env.pop("ATEN_CPU_CAPABILITY", None)
    if level:
        env["ATEN_CPU_CAPABILITY"] = level
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    return out


@functools.cache
def supported_levels() -> tuple[str, ...]:
    """The levels this CPU can run, lowest first (a forced level it lacks falls back)."""
    return tuple(level for level in LEVELS if _measured(level) == level)


@functools.cache
def own_level() -> str:
    """The level this run uses: ``ATEN_CPU_CAPABILITY`` if set, else the CPU's best."""
    forced = os.environ.get("ATEN_CPU_CAPABILITY")
    if forced and forced not in LEVELS:
        raise ValueError(f"ATEN_CPU_CAPABILITY={forced!r} is not one of {', '.join(LEVELS)}")
    return _measured(forced or None)


def other_levels() -> tuple[str, ...]:
    """Every level the CPU has except the one this run uses."""
    return tuple(level for level in supported_levels() if level != own_level())
