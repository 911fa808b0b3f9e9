"""The trusted runner: grades one submission, in a fresh interpreter of its own.

It starts the student's kernel in the sandbox, then walks the plan
(:mod:`gradkit.course.plan`): student and instructor cells execute in the kernel; the
instructor's cells a test needs and every test cell (hidden tests included, always from
the instructor's source) execute here, in a namespace that no student code ever touches.
Before each of its cells the runner asks the kernel, over the channel, for the names the
student's answers bind: functions become :class:`StudentFunction` stand-ins whose calls
run in the kernel, values arrive as plain data. A test cell scores its points when it
runs to the end, zero when it raises; its message (never its code) goes to the feedback.

Run as ``python -m gradkit.course.trusted JOB.json RESULT.json``.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import socket
import sys
import tempfile
import time
import traceback
from pathlib import Path

__all__ = ["StudentFunction", "StudentError", "grade_submission"]

_SERVE = "__import__('gradkit.course.sandboxed', fromlist=['serve']).serve({path!r})"


class StudentError(AssertionError):
    """A student function raised, hung, or returned what cannot reach the grader."""


def _raised(kind) -> type:
    """The exception to raise for a student's exception of the built-in class ``kind``:
    a :class:`StudentError` that is also that class, so ``except ValueError`` in a test
    sees the student's ValueError (only built-in classes: nothing the student defined)."""
    base = getattr(builtins, kind, None) if isinstance(kind, str) else None
    if (not isinstance(base, type) or not issubclass(base, Exception)
            or issubclass(base, AssertionError)):
        return StudentError
    if base not in _RAISED:
        try:
            _RAISED[base] = type(f"Student{base.__name__}", (StudentError, base), {})
        except TypeError:        # an incompatible layout (OSError's): plain StudentError
            _RAISED[base] = StudentError
    return _RAISED[base]


_RAISED: dict[type, type] = {}


class NotPlainAnswer:
    """Stands in for a student's value that is not plain data: every use fails, saying so."""

    def __init__(self, name: str, why: str):
        self._name, self._why = name, why

    def __repr__(self) -> str:
        return f"<{self._name}: not plain data ({self._why})>"

    def __getattr__(self, attr):
        raise StudentError(f"{self._name} cannot be graded: {self._why}")

    def __eq__(self, other):
        raise StudentError(f"{self._name} cannot be graded: {self._why}")

    __hash__ = object.__hash__


class Channel:
    """The runner's end of the channel to one kernel: serve sessions, calls, callbacks."""

    def __init__(self, kernel, folder: Path):
        self.kernel = kernel
        self.path = str(Path(folder) / ".channel")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.conn = None
        self.serve_id = None
        self.deadline = float("inf")
        self.grace = 5.0
        self.interrupted = False        # a student function ran over the time limit

    # -- sessions ---------------------------------------------------------------------
    def open(self, deadline: float) -> None:
        from .kernel import KernelDied
        self.deadline = deadline
        self.serve_id = self.kernel.start_execute(_SERVE.format(path=self.path))
        self.listener.settimeout(max(1.0, min(60.0, deadline - time.monotonic())))
        try:
            self.conn, _ = self.listener.accept()
        except OSError:
            self.kernel.kill()
            raise KernelDied("the kernel did not answer the grader (busy or stopped)") \
                from None

    def close(self) -> None:
        from .channel import send
        if self.conn is not None:
            try:
                send(self.conn, {"op": "done"})
            except OSError:
                pass
            self.conn.close()
            self.conn = None
            if not self.kernel.wait_reply(self.serve_id, 30):
                self.kernel.kill()

    # -- requests ---------------------------------------------------------------------
    def _recv(self):
        from .channel import recv
        from .kernel import KernelDied
        interrupted = None
        while True:
            now = time.monotonic()
            limit = (self.deadline if interrupted is None else interrupted + self.grace) - now
            if limit <= 0:
                if interrupted is None:
                    self.interrupted = True
                    self.kernel.interrupt()
                    interrupted = time.monotonic()
                    continue
                self.kernel.kill()
                raise KernelDied("a student function ran over the time limit and ignored "
                                 "the interrupt: the kernel was stopped")
            self.conn.settimeout(limit)
            try:
                return recv(self.conn)
            except socket.timeout:
                continue
            except (EOFError, OSError) as e:
                raise KernelDied(f"the kernel closed the channel ({e})") from None

    def describe(self, names: list[str]) -> dict:
        from .channel import ChannelError, decode, send
        from .crossing import trusted_tags
        send(self.conn, {"op": "describe", "names": names})
        reply, buffers = self._recv()
        out = {}
        try:
            kinds = reply["kinds"]
            values = decode(reply["values"], buffers, tags=trusted_tags({}), where="values")
        except (ChannelError, KeyError, TypeError) as e:
            raise StudentError(f"the kernel's answer could not be read: {e}") from None
        for name in names:
            kind = kinds.get(name, {}) if isinstance(kinds, dict) else {}
            k = kind.get("kind") if isinstance(kind, dict) else None
            if k == "function":
                out[name] = StudentFunction(self, name)
            elif k == "value" and isinstance(values, dict) and name in values:
                out[name] = values[name]
            elif k == "unsupported":
                out[name] = NotPlainAnswer(name, str(kind.get("why", "?"))[:300])
        return out

    def bind(self, values: dict) -> bool:
        """Set ``values`` in the student's namespace (an instructor cell's results, computed
        here); False when one is not plain data or the kernel did not take them (the
        caller then runs the cell in the kernel)."""
        from .channel import NotPlainData, encode, send
        try:
            tree, buffers = encode(values, where="an instructor cell's values")
        except NotPlainData:
            return False
        send(self.conn, {"op": "bind", "values": tree}, buffers)
        reply, _ = self._recv()
        return isinstance(reply, dict) and reply.get("ok") is True

    def call(self, name: str, args: tuple, kwargs: dict):
        from .channel import ChannelError, NotPlainData, decode, encode, send
        from .crossing import TrustedEncoder, apply_changes, trusted_tags
        if self.conn is None:
            raise StudentError(f"{name} was called outside a test cell")
        hook = TrustedEncoder()
        sent: dict[int, object] = {}
        try:
            tree, buffers = encode([list(args), dict(kwargs)], hook=hook, objects=sent,
                                   where=f"an argument of {name}")
        except NotPlainData as e:
            raise StudentError(f"the test could not send its arguments to {name}: {e}") \
                from None
        send(self.conn, {"op": "call", "name": name, "args": tree}, buffers)
        graphs: dict[int, tuple] = {}
        while True:
            reply, got = self._recv()
            if not isinstance(reply, dict):
                raise StudentError(f"{name}: a malformed answer from the kernel")
            op = reply.get("op")
            if op == "callback":
                self._callback(reply, got, hook, graphs)
                continue
            if op == "backward":
                self._backward(reply, got, graphs)
                continue
            break
        if not reply.get("ok"):
            if "not_plain" in reply:
                raise StudentError(f"{name} returned something that cannot reach the grader: "
                                   f"{str(reply['not_plain'])[:1500]}")
            tb = str(reply.get("traceback") or "").strip()
            raise _raised(reply.get("type"))(
                f"your function {name} raised {str(reply.get('error'))[:1500]}"
                + (f"\n{tb}" if tb else ""))
        tags = trusted_tags(sent)
        try:
            split = int(reply["split"])
            value = decode(reply["value"], got[:split], tags=tags, where=f"what {name} returned")
            apply_changes(sent, reply["changes"], got[split:], tags)
        except (ChannelError, KeyError, TypeError, ValueError) as e:
            raise StudentError(f"{name}: its answer could not be read: {e}") from None
        return value

    def _callback(self, request, buffers, hook, graphs) -> None:
        import torch

        from .channel import ChannelError, decode, encode, send
        try:
            fn = hook.callables[request["fn"]]
            args, kwargs = decode(request["args"], buffers, where="a callback's arguments")
            with torch.enable_grad():
                value = fn(*args, **kwargs)
            token = None
            if request.get("graph") and isinstance(value, torch.Tensor) and value.requires_grad:
                inputs = [a for a in args if isinstance(a, torch.Tensor)]
                token = len(graphs)
                graphs[token] = (inputs, value)
            if isinstance(value, torch.Tensor):
                value = value.detach()
            tree, out = encode(value, where="the test function's value")
            send(self.conn, {"ok": True, "value": tree, "token": token}, out)
        except (ChannelError, KeyError, TypeError, IndexError, ValueError, RuntimeError) as e:
            send(self.conn, {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]})

    def _backward(self, request, buffers, graphs) -> None:
        import torch

        from .channel import ChannelError, decode, encode, send
        try:
            inputs, value = graphs.pop(request["token"])
            grad = decode(request["grad"], buffers, where="a gradient")
            if not isinstance(grad, torch.Tensor):      # values sent as (nested) lists
                grad = torch.as_tensor(grad, dtype=value.dtype)
            need = [t for t in inputs if t.requires_grad]
            grads = torch.autograd.grad(value, need, grad_outputs=grad, allow_unused=True) \
                if need else ()
            it = iter(grads)
            full = [next(it) if t.requires_grad else None for t in inputs]
            tree, out = encode(full, where="the gradients")
            send(self.conn, {"ok": True, "value": tree}, out)
        except (ChannelError, KeyError, TypeError, ValueError, RuntimeError) as e:
            send(self.conn, {"ok": False, "error": f"{type(e).__name__}: {e}"[:500]})


class StudentFunction:
    """A student's function, seen from the tests: calling it runs it in the kernel."""

    def __init__(self, channel: Channel, name: str):
        self._channel, self.__name__ = channel, name

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        return self._channel.call(self.__name__, args, kwargs)


def _message(exc: BaseException) -> str:
    """What a failed test tells the student: the message, never the test's code."""
    from gradkit.checks import CheckFailed
    if isinstance(exc, (CheckFailed, StudentError)):
        return str(exc)
    if isinstance(exc, NameError):
        return f"{exc} (was the cell that defines it run without errors?)"
    return f"{type(exc).__name__}: {exc}"


def _exec_trusted(code: str, namespace: dict, label: str) -> tuple[bool, str, str]:
    """Run ``code`` here; ``(passed, message, printed)``."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compile(code, f"<{label}>", "exec"), namespace)
    except KeyboardInterrupt:            # the grader's own Ctrl-C
        raise
    except BaseException as e:           # noqa: BLE001 - any failure fails the test
        return False, _message(e), out.getvalue()[-4000:]
    return True, "", out.getvalue()[-4000:]


def grade_submission(job: dict) -> dict:
    """Grade one submission as ``job`` describes (see ``engine``); returns the result."""
    from .kernel import KernelDied, SandboxKernel
    from .plan import NotGradable, build_plan, load_source
    from .sandbox import Limits

    t0 = time.monotonic()
    result = {"student": job["student"], "status": "graded", "detail": "", "scores": {},
              "messages": {}, "flags": [], "outputs": {}, "manual": {}, "answers": {},
              "timings": {}}            # label -> [seconds in the kernel, in the runner]
    source = load_source(job["source"])
    try:
        raw = Path(job["submission"]).read_bytes()
        plan = build_plan(source, raw)
    except (NotGradable, OSError) as e:
        result.update(status="not gradable", detail=str(e))
        for c in source["cells"]:
            meta = (c.get("metadata") or {}).get("nbgrader") or {}
            if meta.get("grade") and c.get("cell_type") == "code":
                result["scores"][meta["grade_id"]] = [0.0, float(meta.get("points", 0))]
        return result
    result["flags"] = list(plan.flags)
    result["manual"] = plan.manual
    result["answers"] = plan.answers
    wall = float(job.get("timeout", 1800))
    cell_timeout = float(job.get("cell_timeout", 180))
    deadline = t0 + wall
    os.environ.setdefault("MPLBACKEND", "Agg")
    scratch = Path(tempfile.mkdtemp(prefix="gk-sandbox-", dir=job.get("scratch_root")))
    env = {k: v for k, v in (job.get("env") or {}).items() if isinstance(v, str)}
    limits = Limits(**job.get("limits", {}))
    kernel = SandboxKernel(scratch, limits, env, sandboxed=job.get("sandbox", True))
    import torch                       # noqa: F401  (imported while the kernel starts)
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    channel = Channel(kernel, scratch)
    dead = None                         # why the kernel is gone, once it is
    seen_students: list[str] = []
    try:
        kernel.wait_ready(timeout=min(120.0, wall))
    except KernelDied as e:
        dead = f"the kernel did not start: {e}"
    for index, cell in enumerate(plan.cells):
        label = cell.grade_id or f"cell {index}"
        remaining = deadline - time.monotonic()
        if dead is None and remaining <= 0:
            dead = f"the submission ran over its {wall:.0f} s limit before {label}"
            kernel.kill()
        if (cell.role == "student" or cell.role == "instructor" and cell.kernel == "run") \
                and dead is None:
            try:
                started = time.monotonic()
                run = kernel.execute(cell.source, min(cell_timeout, remaining))
                result["timings"][label] = [round(time.monotonic() - started, 3), 0.0]
                result["outputs"][cell.grade_id or f"added-{index}"] = run.outputs
                if run.timed_out:
                    result["flags"].append(f"{label} ran over {cell_timeout:.0f} s and was "
                                           "interrupted")
                    if result["status"] == "graded":
                        result["status"] = "graded, with a timeout"
                        result["detail"] = f"{label} was interrupted after {cell_timeout:.0f} s"
            except KernelDied as e:
                dead = f"the kernel stopped in {label}: {e}"
            if cell.role == "student":
                seen_students += [n for n in sorted(cell.binds) if n not in seen_students]
        if cell.role == "instructor" and not cell.trusted:
            continue
        if cell.role == "student":
            continue
        # a trusted cell: the set-up and needed instructor cells, and every test
        if cell.role == "test" and dead is not None:
            result["scores"][cell.grade_id] = [0.0, cell.points]
            result["messages"][cell.grade_id] = f"not run: {dead}"
            continue
        opened = False
        if dead is None:
            try:
                channel.open(min(deadline, time.monotonic() + cell_timeout))
                opened = True
                found = channel.describe(seen_students)
                for name in seen_students:
                    namespace.pop(name, None)
                namespace.update(found)
            except (KernelDied, StudentError) as e:
                dead = dead or f"the kernel stopped before {label}: {e}"
        in_kernel = False               # a "send" cell whose values could not be sent
        try:
            started = time.monotonic()
            passed, message, printed = _exec_trusted(cell.source, namespace, label)
            result["timings"].setdefault(label, [0.0, 0.0])[1] = \
                round(time.monotonic() - started, 3)
            if cell.role == "instructor" and cell.kernel == "send" and opened:
                in_kernel = not (passed and all(n in namespace for n in cell.sends)
                                 and channel.bind({n: namespace[n] for n in cell.sends}))
        except KernelDied as e:
            passed, message, printed = False, str(e), ""
            dead = f"the kernel stopped in {label}: {e}"
        finally:
            if opened:
                try:
                    channel.close()
                except Exception:           # noqa: BLE001 - a dead kernel
                    pass
        if in_kernel and dead is None:
            try:
                run = kernel.execute(cell.source, min(cell_timeout, deadline - time.monotonic()))
                result["timings"][label][0] = round(run.seconds, 3)
                result["outputs"][cell.grade_id or f"added-{index}"] = run.outputs
            except KernelDied as e:
                dead = f"the kernel stopped in {label}: {e}"
        if channel.interrupted:
            channel.interrupted = False
            result["flags"].append(f"a function {label} called ran over {cell_timeout:.0f} s "
                                   "and was interrupted")
            if result["status"] == "graded":
                result["status"] = "graded, with a timeout"
                result["detail"] = f"{label}: a function it called was interrupted after " \
                                   f"{cell_timeout:.0f} s"
        if dead is None and not kernel.alive:
            dead = f"the kernel stopped in {label}"
        if cell.role == "test":
            result["scores"][cell.grade_id] = [cell.points if passed else 0.0, cell.points]
            result["messages"][cell.grade_id] = (printed + message).strip()[-4000:]
        elif not passed:
            result["messages"][label] = f"(instructor cell failed) {message}"[-2000:]
    if dead is not None:
        result["status"] = "kernel died"
        result["detail"] = dead
    kernel.close()
    channel.listener.close()
    result["seconds"] = round(time.monotonic() - t0, 2)
    return result


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    try:
        result = grade_submission(job)
    except Exception:                   # noqa: BLE001 - the grader itself failed
        result = {"student": job.get("student"), "status": "grader error",
                  "detail": traceback.format_exc()[-3000:]}
    Path(argv[1]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
