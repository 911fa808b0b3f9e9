"""A warm start for trusted runners: import torch and gradkit once, fork per submission.

Importing torch, gradkit and nbformat costs a few CPU seconds, every submission; a
grading worker starts one zygote, which imports them and then waits. For each job it
forks a child that grades the submission (:func:`gradkit.course.trusted.main`) in a
session of its own, and reports the child's pid and exit status. The child is a copy of
an interpreter that has imported the modules and run nothing else (no torch
computation, so no thread pool exists to be copied), which is as pristine as a fresh
interpreter. No student code ever runs in the zygote or its children: that runs in the
sandboxed kernel (:mod:`gradkit.course.kernel`).

Protocol on stdin/stdout, a line each: ``JOB.json RESULT.json`` in; ``pid N`` when the
child starts, then ``exit N STATUS``. An empty line or end of input ends the zygote.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["Zygote"]

_PRELOAD = ("torch", "numpy", "nbformat", "gradkit", "gradkit.checks",
            "gradkit.course.trusted", "gradkit.course.plan", "gradkit.course.kernel",
            "gradkit.course.crossing", "gradkit.course.channel", "jupyter_client")


def _serve() -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    import importlib
    for name in _PRELOAD:
        importlib.import_module(name)
    import gradkit
    for name in gradkit.__all__:            # gradkit imports its modules on first use
        getattr(gradkit, name)
    from gradkit.course import trusted
    print("ready", flush=True)
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 2:
            break
        pid = os.fork()
        if pid == 0:                                   # the child: one submission
            code = 1
            try:
                os.setsid()
                sys.stdin.close()
                code = trusted.main(parts)
            finally:
                sys.stdout.flush()
                os._exit(code)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {status}", flush=True)
    return 0


class Zygote:
    """One warm interpreter per grading worker; :meth:`run` grades one job in a fork."""

    def __init__(self, env: dict[str, str]):
        self.env = dict(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gradkit.course.zygote"], env=self.env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1, start_new_session=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the grading zygote did not start")
        self.lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, job: Path, result: Path, timeout: float) -> str | None:
        """Grade ``job`` into ``result``; ``None`` when the child finished in time,
        else why not (it was stopped, the zygote is gone)."""
        with self.lock:
            self.proc.stdin.write(f"{job} {result}\n")
            self.proc.stdin.flush()
            first = self.proc.stdout.readline().split()
            if len(first) != 2 or first[0] != "pid":
                return "the grading zygote stopped"
            pid = int(first[1])
            fired = threading.Event()

            def stop():
                fired.set()
                _kill_group(pid)

            timer = threading.Timer(timeout, stop)
            timer.start()
            try:
                done = self.proc.stdout.readline().split()
            finally:
                timer.cancel()
            if len(done) != 3:
                return "the grading zygote stopped"
            if fired.is_set():
                return f"still running after {timeout:.0f} s: stopped"
            return None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                _kill_group(self.proc.pid)
                self.proc.wait()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, 9)
    except (ProcessLookupError, PermissionError):
        pass


if __name__ == "__main__":
    sys.exit(_serve())
