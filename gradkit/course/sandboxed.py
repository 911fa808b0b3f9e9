"""The student's side of the channel: runs inside the sandboxed kernel, never elsewhere.

The trusted runner asks the kernel to execute ``serve(path)`` before each of its cells;
``serve`` connects to the runner's socket and answers until told ``done``:

* ``describe``: for each name, whether the student's namespace holds a function, a value
  (sent as plain data), nothing, or something that cannot cross;
* ``bind``: set names in the student's namespace to values the runner computed (an
  instructor cell the runner ran, whose results later student code reads);
* ``call``: call a student function with the test's arguments (rebuilt here, see
  :mod:`gradkit.course.crossing`) and send back its result and the state of every
  mutable argument afterwards, or the exception it raised.

While a student function runs it may call a function of the test's (a loss, say): that
goes back to the runner as a ``callback`` and only its value returns; backpropagating
through it asks the runner for the gradient (``backward``). Everything here is in the
student's reach and may be tampered with: the runner trusts nothing it receives beyond
its being plain data.
"""
from __future__ import annotations

import builtins
import socket
import sys
import traceback

import torch

from .channel import ChannelError, NotPlainData, decode, encode, recv, send
from .crossing import DATACLASSES, MODELS, SandboxEncoder, changes, sandbox_tags

__all__ = ["serve"]


class RemoteError(Exception):
    """A function of the test's raised an exception when the student's code called it."""


def _namespace() -> dict:
    try:
        return get_ipython().user_ns          # noqa: F821  (defined inside IPython)
    except NameError:
        return sys.modules["__main__"].__dict__


def _student_traceback(exc: BaseException) -> str:
    """The traceback with this module's frames left out: the student's code only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.endswith(("sandboxed.py", "crossing.py", "channel.py"))]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-4000:]


class _Session:
    def __init__(self, sock):
        self.sock = sock

    def _reply_value(self, value, sent: dict[int, int], sent_objects: dict[int, object]):
        hook = SandboxEncoder(sent)
        value_tree, value_buffers = encode(value, hook=hook, where="the return value")
        change_tree, change_buffers = changes(sent_objects, hook)
        return ({"ok": True, "value": value_tree, "changes": change_tree,
                 "split": len(value_buffers)}, value_buffers + change_buffers)

    def describe(self, header):
        ns = _namespace()
        kinds, values = {}, {}
        for name in header.get("names", []):
            if name not in ns:
                kinds[name] = {"kind": "missing"}
                continue
            value = ns[name]
            qual = f"{type(value).__module__}.{type(value).__qualname__}"
            if callable(value) and qual not in MODELS and qual not in DATACLASSES:
                kinds[name] = {"kind": "function"}
                continue
            try:
                encode(value, hook=SandboxEncoder(), where=name)
            except NotPlainData as e:
                kinds[name] = {"kind": "unsupported", "why": str(e)}
                continue
            kinds[name] = {"kind": "value"}
            values[name] = value
        tree, buffers = encode(values, hook=SandboxEncoder(), where="values")
        return {"ok": True, "kinds": kinds, "values": tree}, buffers

    def bind(self, header, buffers):
        try:
            values = decode(header["values"], buffers, where="the instructor's values")
        except (ChannelError, KeyError, TypeError, ValueError) as e:
            return {"ok": False, "error": f"the instructor's values could not be rebuilt: "
                                          f"{e}"}, []
        if not isinstance(values, dict):
            return {"ok": False, "error": "the instructor's values are not a dict"}, []
        _namespace().update(values)
        return {"ok": True}, []

    def call(self, header, buffers):
        name = header.get("name")
        fn = _namespace().get(name)
        if fn is None or not callable(fn):
            return {"ok": False, "error": f"NameError: {name!r} is not a function of yours "
                                          "any more"}, []
        objects: dict[int, object] = {}
        try:
            wrapper = decode(header["args"], buffers, tags=sandbox_tags(self.remote),
                             objects=objects, where="the test's arguments")
            args, kwargs = wrapper
        except (ChannelError, KeyError, TypeError, ValueError) as e:
            return {"ok": False, "error": f"the test's arguments could not be rebuilt: {e}"}, []
        packing = {id(wrapper), id(args), id(kwargs)}    # the call's own lists, not the test's
        mutable = {i: o for i, o in objects.items() if id(o) not in packing and (
                   isinstance(o, (torch.Tensor, torch.nn.Module, torch.Generator))
                   or type(o) in (list, dict, set))}
        sent = {id(o): i for i, o in objects.items()}
        try:
            result = fn(*args, **kwargs)
        except BaseException as e:          # SystemExit, KeyboardInterrupt (a timeout) too
            builtin = next((c.__name__ for c in type(e).__mro__
                            if getattr(builtins, c.__name__, None) is c), "BaseException")
            return {"ok": False, "error": f"{type(e).__name__}: {e}"[:2000], "type": builtin,
                    "traceback": _student_traceback(e)}, []
        try:
            return self._reply_value(result, sent, mutable)
        except NotPlainData as e:
            return {"ok": False, "not_plain": str(e)[:2000]}, []

    def remote(self, index: int):
        return RemoteFunction(self, index)

    def ask(self, header, buffers=()):
        send(self.sock, header, list(buffers))
        reply, got = recv(self.sock)
        if not isinstance(reply, dict) or not reply.get("ok"):
            raise RemoteError((reply or {}).get("error", "the grader did not answer"))
        return reply, got


class RemoteFunction:
    """Stands in for a function of the test's: calling it asks the trusted runner for its
    value; if its tensor arguments require grad, backpropagating asks for the gradient."""

    def __init__(self, session: _Session, index: int):
        self._session, self._index = session, index

    def __repr__(self) -> str:
        return f"<function of the test #{self._index}>"

    def _ask(self, args, kwargs, graph: bool):
        tree, buffers = encode([list(args), kwargs], where="an argument of the test's function")
        reply, got = self._session.ask({"op": "callback", "fn": self._index, "args": tree,
                                        "graph": graph}, buffers)
        return decode(reply["value"], got), reply.get("token")

    def __call__(self, *args, **kwargs):
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
            return _RemoteCall.apply(self, args, kwargs, positions, *tensors)[0]
        value, _ = self._ask(args, kwargs, graph=False)
        return value


def _plain(t: torch.Tensor):
    """``t`` in a form the channel carries: under ``torch.func.grad`` the gradient reaching
    a backward is a wrapper without storage, and any tensor made from it is one too, so
    its values cross as nested lists (the grader makes a tensor of the graph's dtype)."""
    from torch._C import _functorch
    return t.tolist() if _functorch.is_functorch_wrapped_tensor(t) else t


class _RemoteCall(torch.autograd.Function):
    """A test's function inside the student's autograd graph: forward and backward are
    both computed by the trusted runner."""

    # forward without ctx, plus setup_context: the form torch.func's transforms
    # (torch.func.grad, vmap) accept, besides plain autograd; the token of the trusted
    # side's graph travels as a second, non-differentiable output
    @staticmethod
    def forward(remote, args, kwargs, positions, *tensors):
        args = list(args)
        for i, t in zip(positions, tensors):
            # every float tensor argument may need a gradient (under torch.func the
            # arguments arrive here unwrapped, without requires_grad)
            args[i] = t.detach().requires_grad_(t.is_floating_point() or t.is_complex())
        value, token = remote._ask(args, kwargs, graph=True)
        if not isinstance(value, torch.Tensor):
            raise RemoteError("a function of the test's returned a non-tensor in a "
                              "computation that needs its gradient")
        return value, torch.tensor(-1 if token is None else token)

    @staticmethod
    def setup_context(ctx, inputs, output):
        remote, _, _, _, *tensors = inputs
        ctx.remote, ctx.count = remote, len(tensors)
        ctx.token = int(output[1])
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    def backward(ctx, grad, _token_grad):
        tree, buffers = encode(_plain(grad), where="the gradient")
        reply, got = ctx.remote._session.ask({"op": "backward", "token": ctx.token,
                                              "grad": tree}, buffers)
        grads = decode(reply["value"], got)
        if not isinstance(grads, list) or len(grads) != ctx.count:
            raise RemoteError("the grader sent back gradients of the wrong form")
        return (None, None, None, None, *grads)


def serve(path: str) -> None:
    """Answer the trusted runner's requests on the socket at ``path`` until ``done``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    session = _Session(sock)
    try:
        while True:
            try:
                header, buffers = recv(sock)
            except EOFError:
                return
            op = header.get("op") if isinstance(header, dict) else None
            if op == "done":
                return
            if op == "describe":
                reply = session.describe(header)
            elif op == "call":
                reply = session.call(header, buffers)
            elif op == "bind":
                reply = session.bind(header, buffers)
            else:
                reply = {"ok": False, "error": f"unknown request {op!r}"}, []
            send(sock, *reply)
    finally:
        sock.close()



