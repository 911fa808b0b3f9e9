"""Where a Jupyter kernel started by the course's tools listens.

Over TCP, the client picks five ports that are free at that moment and the kernel binds
them a moment later; a kernel started by another process in between (a second test
worker, nbgrader, nbval, JupyterLab) can take one first, and the kernel fails to start.
Unix-socket files in a folder of the caller's own cannot collide. Windows has no Unix
sockets: kernels there keep TCP.
"""
from __future__ import annotations

import os
from pathlib import Path


def socket_kernel_settings(folder, name: str = "kernel") -> dict[str, str]:
    """``KernelManager`` settings for a kernel on Unix sockets ``folder/name-1 .. -5``
    (``{}`` where there are no Unix sockets). The path is absolute: the kernel runs in
    the notebook's folder, its client elsewhere."""
    if os.name != "posix":
        return {}
    return {"transport": "ipc", "ip": str(Path(folder).resolve() / name)}
