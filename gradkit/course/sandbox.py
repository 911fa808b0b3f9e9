"""The sandbox a student's kernel runs in: bubblewrap, resource limits, a private folder.

Inside, the kernel sees the Python interpreter, the installed packages and gradkit (all
read-only), a writable scratch folder of its own, and nothing else of the machine: no
network (its own empty network namespace), no ``solutions/``, no gradebook, no course
configuration, no other student. Limits: CPU seconds, address space, file size, open
files, processes (a pids cgroup where this process may create one, else RLIMIT_NPROC),
and the caller's wall clock. bubblewrap (Debian package ``bubblewrap``) needs user
namespaces; :func:`unavailable` says why it cannot run where it cannot.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import uuid
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "unavailable", "command", "Launch", "launch"]

# Read-only system folders the interpreter and its libraries need (those that exist).
_SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/alternatives",
           "/etc/fonts", "/etc/ld.so.cache", "/etc/localtime")
_PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


@dataclass(frozen=True)
class Limits:
    """What one submission's kernel may use. ``memory_bytes`` bounds the address space:
    ``import torch`` needs about 1 GB of it."""

    cpu_seconds: int = 600
    memory_bytes: int = 4 << 30
    file_bytes: int = 64 << 20
    processes: int = 64
    open_files: int = 256

    def __post_init__(self):
        for name in ("cpu_seconds", "memory_bytes", "file_bytes", "processes", "open_files"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{name}={value!r} must be a positive integer")


def _read_only_paths() -> list[str]:
    """The interpreter, the environment's packages and gradkit's own folder."""
    import gradkit
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix,
             str(Path(os.path.realpath(sys.executable)).parent.parent),
             str(Path(gradkit.__file__).resolve().parent)}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    out = []
    for p in sorted(paths, key=len):
        real = os.path.realpath(p)
        if os.path.exists(real) and not any(real == q or real.startswith(q + os.sep)
                                            for q in out):
            out.append(real)
    return out


def command(argv: list[str], scratch: Path, *, env: dict[str, str] | None = None,
            network: bool = False) -> list[str]:
    """The bubblewrap command line that runs ``argv`` with ``scratch`` as its only
    writable folder (also its home and working folder)."""
    scratch = Path(scratch).resolve()
    cmd = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
           "--cap-drop", "ALL", "--hostname", "sandbox"]
    if network:
        cmd.append("--share-net")
    # an empty /tmp first: binds of folders that live under /tmp (a course or its
    # environment there, the scratch folder) then land on top of it, not under it
    cmd += ["--tmpfs", "/tmp"]
    for p in _SYSTEM:
        if os.path.exists(p):
            cmd += ["--ro-bind", p, p]
    for p in _read_only_paths():
        cmd += ["--ro-bind", p, p]
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--bind", str(scratch), str(scratch), "--chdir", str(scratch),
            "--clearenv"]
    base = {"HOME": str(scratch), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
            "MPLCONFIGDIR": str(scratch / ".matplotlib"), "IPYTHONDIR": str(scratch / ".ipython"),
            "JUPYTER_CONFIG_DIR": str(scratch / ".jupyter"), "TMPDIR": "/tmp",
            "PYTHONDONTWRITEBYTECODE": "1"}
    for key, value in {**base, **(env or {})}.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--", *argv]


@functools.cache
def unavailable() -> str | None:
    """None if bubblewrap can run a sandbox here, else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`"
    probe = command([sys.executable, "-c", "print('ok')"], Path("/tmp"))
    try:
        proc = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"bubblewrap failed to start: {e}"
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        return ("bubblewrap cannot create a sandbox here (user namespaces off?): "
                + (proc.stderr.strip().splitlines() or ["no output"])[-1])
    return None


def _pids_cgroup(limit: int) -> Path | None:
    """A fresh pids cgroup (v1 hierarchy) capped at ``limit`` processes, if we may make one."""
    if not os.access(_PIDS_CGROUP, os.W_OK):
        return None
    group = _PIDS_CGROUP / f"gradkit-{uuid.uuid4().hex[:12]}"
    try:
        group.mkdir()
        (group / "pids.max").write_text(str(limit))
    except OSError:
        return None
    return group


def _processes_of_this_user() -> int:
    uid, n = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                n += entry.stat().st_uid == uid
            except OSError:
                pass
    return n


@dataclass
class Launch:
    """A running sandboxed process; :meth:`kill` ends it and everything it started."""

    process: subprocess.Popen
    cgroup: Path | None

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.cgroup is not None:
            for pid in (self.cgroup / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            try:
                self.cgroup.rmdir()
            except OSError:
                pass
            self.cgroup = None


def launch(argv: list[str], scratch: Path, limits: Limits = Limits(), *,
           env: dict[str, str] | None = None, stdout=None, stderr=None) -> Launch:
    """Start ``argv`` in a sandbox (see :func:`command`) under ``limits``."""
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    cgroup = _pids_cgroup(limits.processes)
    nproc = None if cgroup else _processes_of_this_user() + limits.processes

    def pre_exec():
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        for which, value in ((resource.RLIMIT_CPU, limits.cpu_seconds),
                             (resource.RLIMIT_AS, limits.memory_bytes),
                             (resource.RLIMIT_FSIZE, limits.file_bytes),
                             (resource.RLIMIT_NOFILE, limits.open_files),
                             (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(which, (value, value))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    proc = subprocess.Popen(command(argv, scratch, env=env), stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=stderr, preexec_fn=pre_exec,
                            start_new_session=True)
    return Launch(proc, cgroup)
