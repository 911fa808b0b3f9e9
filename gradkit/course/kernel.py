"""A student's Jupyter kernel in the sandbox, driven by the trusted runner.

The kernel is ``ipykernel`` under bubblewrap (:mod:`gradkit.course.sandbox`), listening on
Unix sockets in its private scratch folder (the only folder it can write). The runner
sends it code cell by cell with a timeout each; a cell that runs over is interrupted
(``interrupt_request``, as JupyterLab's stop button); a kernel that ignores the interrupt
or dies is killed and reported, never waited for.
"""
from __future__ import annotations

import queue
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Launch, Limits, launch

__all__ = ["CellRun", "SandboxKernel", "KernelDied"]


_BANNER = ("NOTE: When using the `ipython kernel`", "To exit, you will have to",
           '"quit" from a client', "To read more about this", "ipython/issues/2049",
           "To connect another client", "--existing ")


class KernelDied(RuntimeError):
    """The student's kernel died or had to be killed."""


@dataclass
class CellRun:
    """What one cell did: nbformat outputs, whether it raised, whether it ran over."""

    outputs: list = field(default_factory=list)
    error: str | None = None           # "ZeroDivisionError: division by zero"
    timed_out: bool = False
    seconds: float = 0.0


class SandboxKernel:
    """An ipykernel in a sandbox with ``scratch`` as its home (see :func:`start`)."""

    def __init__(self, scratch: Path, limits: Limits = Limits(), env: dict | None = None,
                 sandboxed: bool = True):
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        self.scratch = Path(scratch).resolve()
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.connection_file = str(self.scratch / ".kernel.json")
        write_connection_file(self.connection_file, transport="ipc",
                              ip=str(self.scratch / ".kernel"))
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
                "--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"]
        env = dict(env or {})
        env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        self.log = open(self.scratch / ".kernel.log", "wb")
        if sandboxed:
            self.launch = launch(argv, self.scratch, limits, env=env,
                                 stdout=self.log, stderr=self.log)
        else:                                   # --no-sandbox: same limits, no isolation
            import os
            import subprocess
            self.launch = Launch(subprocess.Popen(
                argv, cwd=self.scratch, env={**os.environ, **env, "HOME": str(self.scratch)},
                stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL,
                start_new_session=True), None)
        self.client = BlockingKernelClient(connection_file=self.connection_file)
        self.client.load_connection_file()
        self.client.start_channels()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive:
                raise KernelDied(f"the kernel exited while starting: {self.log_tail()}")
            try:
                self.client.wait_for_ready(timeout=min(5.0, max(0.1, deadline - time.monotonic())))
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise KernelDied(f"the kernel did not start in {timeout:.0f} s: "
                                     f"{self.log_tail()}") from None

    def log_tail(self) -> str:
        self.log.flush()
        text = (self.scratch / ".kernel.log").read_bytes()[-4000:].decode(errors="replace")
        lines = [ln for ln in text.splitlines() if ln.strip() and not any(
            b in ln for b in _BANNER)]           # ipykernel's start-up notice is noise here
        return "\n".join(lines[-12:]) or "no output"

    @property
    def alive(self) -> bool:
        return self.launch.process.poll() is None

    def execute(self, code: str, timeout: float, *, silent: bool = False,
                grace: float = 5.0) -> CellRun:
        """Run ``code``; collect its outputs; interrupt it after ``timeout`` seconds and
        kill the kernel (:class:`KernelDied`) if it does not stop within ``grace``."""
        from nbformat.v4 import output_from_msg

        if not self.alive:
            raise KernelDied("the kernel is not running")
        run = CellRun()
        t0 = time.monotonic()
        msg_id = self.client.execute(code, silent=silent, store_history=not silent,
                                     allow_stdin=False, stop_on_error=False)
        deadline = t0 + timeout
        interrupted_at = None
        idle = replied = False
        while not (idle and replied):
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                run.timed_out = True
                self.interrupt()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + grace:
                self.kill()
                raise KernelDied(f"the cell ran over {timeout:.0f} s and ignored the "
                                 "interrupt: the kernel was stopped")
            if not self.alive:
                raise KernelDied(f"the kernel died: {self.log_tail()}")
            try:
                msg = self.client.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                msg = None
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                kind = msg["msg_type"]
                if kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                elif kind in ("stream", "display_data", "execute_result", "error"):
                    if len(run.outputs) < 200:
                        run.outputs.append(output_from_msg(msg))
                    if kind == "error":
                        c = msg["content"]
                        run.error = f"{c.get('ename')}: {c.get('evalue')}"[:2000]
                elif kind == "clear_output":
                    run.outputs.clear()
            if not replied:
                try:
                    reply = self.client.get_shell_msg(timeout=0 if msg is not None else 0.01)
                except queue.Empty:
                    reply = None
                if reply is not None and reply["parent_header"].get("msg_id") == msg_id:
                    replied = True
                    content = reply["content"]
                    if content.get("status") == "error" and run.error is None:
                        run.error = f"{content.get('ename')}: {content.get('evalue')}"[:2000]
        run.seconds = time.monotonic() - t0
        return run

    def start_execute(self, code: str) -> str:
        """Send ``code`` without waiting (the runner's serve loop); returns the msg id."""
        return self.client.execute(code, silent=True, store_history=False,
                                   allow_stdin=False, stop_on_error=False)

    def wait_reply(self, msg_id: str, timeout: float) -> bool:
        """Wait for the shell reply to ``msg_id``; False on timeout or death."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive:
            try:
                reply = self.client.get_shell_msg(timeout=0.2)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    def interrupt(self) -> None:
        try:
            msg = self.client.session.msg("interrupt_request", {})
            self.client.control_channel.send(msg)
        except Exception:       # a dying kernel: kill() follows
            pass

    def kill(self) -> None:
        self.launch.kill()

    def close(self) -> None:
        try:
            self.client.stop_channels()
        finally:
            self.kill()
            self.log.close()
