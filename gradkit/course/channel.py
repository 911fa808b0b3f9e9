"""The channel between a student's sandboxed kernel and the trusted test runner.

Only plain data crosses it: None, bools, ints, floats, strings, bytes, lists, tuples,
dicts, sets and frozensets of these, and tensors and NumPy arrays as dtype + shape + raw
bytes. Never pickle: the trusted side builds every value it receives from these types
itself, so an answer cannot smuggle in an object with its own ``__eq__`` or
``__float__``. ``encode`` turns a value into a JSON tree plus a list of byte buffers;
``decode`` turns them back; ``send`` and ``recv`` frame them on a stream socket.

Each side may add tags of its own: the trusted side sends references to its callables
and gradkit objects (``encode(..., hook=...)``), the sandbox decodes them
(``decode(..., tags=...)``). Whatever the sandbox sends back is decoded with the plain
tags only (plus an explicit allow-list the caller passes), under size and depth limits.
"""
from __future__ import annotations

import collections
import json
import math
import struct
from typing import Callable

import torch

__all__ = ["ChannelError", "NotPlainData", "Encoder", "encode", "decode", "send", "recv",
           "DTYPES", "MAX_MESSAGE_BYTES"]

MAX_MESSAGE_BYTES = 1 << 30      # one message: header and buffers together
MAX_DEPTH = 64                   # nesting of containers

DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.float16, torch.bfloat16, torch.float32, torch.float64,
    torch.complex64, torch.complex128)}

_CONTAINERS = {list: "L", tuple: "T", set: "S", frozenset: "F"}
# library containers an honest answer may well be: sent as the plain type they extend
_AS_PLAIN = {torch.Size: tuple, collections.OrderedDict: lambda d: dict(dict.items(d)),
             collections.defaultdict: lambda d: dict(dict.items(d)),
             collections.Counter: lambda d: dict(dict.items(d))}
_BUILD = {"L": list, "T": tuple, "S": set, "F": frozenset}


class ChannelError(ValueError):
    """A message that is malformed, too large or too deep."""


class NotPlainData(TypeError):
    """A value that cannot cross the channel (the message says which and where)."""


def _is_numpy_scalar(x) -> bool:
    return type(x).__module__ == "numpy" and hasattr(x, "item") and getattr(x, "ndim", 1) == 0


class Encoder:
    """Turns values into a JSON tree and byte buffers (see :func:`encode`)."""

    def __init__(self, hook: Callable | None):
        self.hook = hook
        self.buffers: list[bytes] = []
        self.memo: dict[int, int] = {}        # id(object) -> index, for aliasing
        self.keep: list = []                  # keep encoded objects alive (stable ids)

    def buffer(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def tensor(self, t: torch.Tensor, where: str) -> dict:
        t = t.detach()
        if t.dtype not in DTYPES.values():
            raise NotPlainData(f"{where}: a tensor of dtype {t.dtype} (allowed: "
                               f"{', '.join(DTYPES)})")
        flat = t.cpu().contiguous().reshape(-1)
        raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        return {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                "buf": self.buffer(raw)}

    def tensor_tree(self, t: torch.Tensor, where: str) -> dict:
        """A tensor with its ``requires_grad`` and ``grad``, not indexed (no aliasing)."""
        out = {"tensor": self.tensor(t, where)}
        if t.requires_grad:
            out["tensor"]["requires_grad"] = True
        if t.grad is not None:
            out["tensor"]["grad"] = self.tensor(t.grad, f"{where}.grad")
        return out

    def __call__(self, x, where: str = "value", depth: int = 0):
        if depth > MAX_DEPTH:
            raise NotPlainData(f"{where}: nested more than {MAX_DEPTH} levels deep")
        tx = type(x)
        if x is None or tx in (bool, int, str):
            return x
        if tx is float:
            return x if math.isfinite(x) else {"float": repr(x)}
        if _is_numpy_scalar(x):                     # numpy.float64(0.5) -> 0.5
            return self(x.item(), where, depth)
        if tx in _AS_PLAIN:                         # torch.Size, defaultdict, OrderedDict ...
            return self(_AS_PLAIN[tx](x), where, depth)
        if self.hook is not None:
            tree = self.hook(x, self, where, depth)
            if tree is not None:
                return tree
        if id(x) in self.memo:
            return {"ref": self.memo[id(x)]}
        if isinstance(x, torch.Tensor):
            return self.remember(x, self.tensor_tree(x, where))
        if tx is bytes:
            return {"bytes": self.buffer(x)}
        if tx in _CONTAINERS:
            tag = _CONTAINERS[tx]
            index = self.reserve(x)
            items = [self(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(x)]
            return {tag: items, "id": index}
        if tx is dict:
            index = self.reserve(x)
            pairs = [[self(k, f"{where} key {k!r}", depth + 1),
                      self(v, f"{where}[{k!r}]", depth + 1)] for k, v in x.items()]
            return {"D": pairs, "id": index}
        if type(x).__module__ == "numpy" and hasattr(x, "dtype") and hasattr(x, "shape"):
            if x.dtype.hasobject:
                raise NotPlainData(f"{where}: a NumPy array of Python objects")
            return {"ndarray": {"dtype": x.dtype.str, "shape": list(x.shape),
                                "buf": self.buffer(x.tobytes(order="C"))}}
        base = next((b for b in (bool, int, float, str, bytes, list, tuple, dict, set,
                                 frozenset) if isinstance(x, b)), None)
        kind = f", a subclass of {base.__name__}" if base else ""
        raise NotPlainData(f"{where} is a {tx.__module__}.{tx.__qualname__}{kind}: only plain "
                           "data (numbers, strings, lists, tuples, dicts, sets, tensors) "
                           "reaches the grader")

    def reserve(self, x) -> int:
        self.keep.append(x)
        self.memo[id(x)] = len(self.memo)
        return self.memo[id(x)]

    def remember(self, x, tree: dict) -> dict:
        tree["id"] = self.reserve(x)
        return tree


def encode(value, *, hook: Callable | None = None, where: str = "value",
           objects: dict | None = None):
    """``(tree, buffers)`` for ``value``; raises :class:`NotPlainData` naming the part that
    cannot cross. ``hook(x, encoder, where, depth)`` may return a tree for types of its own
    (or None to fall through). ``objects``, if given, receives index -> object for every
    tensor and container sent (the indices the other side's ``decode`` reports back)."""
    enc = Encoder(hook)
    tree = enc(value, where)
    if objects is not None:
        objects.update(enumerate(enc.keep))
    return tree, enc.buffers


def _check_shape(shape, where: str) -> int:
    if not isinstance(shape, list) or not all(type(s) is int and 0 <= s < 1 << 40
                                              for s in shape):
        raise ChannelError(f"{where}: bad tensor shape {shape!r}")
    return math.prod(shape)


def _tensor(spec, buffers, where: str) -> torch.Tensor:
    if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES:
        raise ChannelError(f"{where}: bad tensor {str(spec)[:80]}")
    dtype = DTYPES[spec["dtype"]]
    numel = _check_shape(spec.get("shape"), where)
    raw = _buffer(spec.get("buf"), buffers, where)
    size = torch.empty((), dtype=dtype).element_size()
    if len(raw) != numel * size:
        raise ChannelError(f"{where}: {len(raw)} bytes for {numel} values of {dtype}")
    if numel == 0:
        return torch.empty(spec["shape"], dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(
        spec["shape"])


def _buffer(index, buffers, where: str) -> bytes:
    if type(index) is not int or not 0 <= index < len(buffers):
        raise ChannelError(f"{where}: no buffer {index!r}")
    return buffers[index]


class _Decoder:
    def __init__(self, buffers, tags):
        self.buffers = buffers
        self.tags = tags or {}
        self.objects: dict[int, object] = {}

    def __call__(self, tree, where: str = "value", depth: int = 0):
        if depth > MAX_DEPTH:
            raise ChannelError(f"{where}: nested more than {MAX_DEPTH} levels deep")
        t = type(tree)
        if tree is None or t in (bool, int, float, str):
            return tree
        if t is not dict or not tree:
            raise ChannelError(f"{where}: unexpected {t.__name__}")
        tag = next(iter(tree))
        body = tree[tag]
        if tag in _BUILD:
            if type(body) is not list:
                raise ChannelError(f"{where}: bad {tag}")
            items = [self(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(body)]
            try:
                out = _BUILD[tag](items)
            except TypeError as e:       # an unhashable member of a set
                raise ChannelError(f"{where}: {e}") from None
            return self.store(tree, out, where)
        if tag == "D":
            if type(body) is not list or not all(type(p) is list and len(p) == 2 for p in body):
                raise ChannelError(f"{where}: bad dict")
            out = {}
            for k, v in body:
                key = self(k, f"{where} key", depth + 1)
                try:
                    out[key] = self(v, f"{where}[{key!r}]", depth + 1)
                except TypeError as e:
                    raise ChannelError(f"{where}: {e}") from None
            return self.store(tree, out, where)
        if tag == "float":
            if body not in ("nan", "inf", "-inf"):
                raise ChannelError(f"{where}: bad float {body!r}")
            return float(body)
        if tag == "bytes":
            return bytes(_buffer(body, self.buffers, where))
        if tag == "ref":
            if type(body) is not int or body not in self.objects:
                raise ChannelError(f"{where}: reference to unknown object {body!r}")
            return self.objects[body]
        if tag == "tensor":
            out = _tensor(body, self.buffers, where)
            if body.get("requires_grad") is True:
                if not (out.is_floating_point() or out.is_complex()):
                    raise ChannelError(f"{where}: requires_grad on a {out.dtype} tensor")
                out.requires_grad_(True)
            if body.get("grad") is not None:
                grad = _tensor(body["grad"], self.buffers, f"{where}.grad")
                if grad.shape != out.shape or grad.dtype != out.dtype:
                    raise ChannelError(f"{where}.grad: shape or dtype differs from the tensor")
                out.grad = grad
            return self.store(tree, out, where)
        if tag == "ndarray":
            import numpy as np
            if not isinstance(body, dict) or not isinstance(body.get("dtype"), str):
                raise ChannelError(f"{where}: bad array")
            try:
                dtype = np.dtype(body["dtype"])
            except TypeError:
                raise ChannelError(f"{where}: bad dtype {body['dtype']!r}") from None
            if dtype.hasobject or dtype.fields is not None:
                raise ChannelError(f"{where}: arrays of objects or records are not plain data")
            numel = _check_shape(body.get("shape"), where)
            raw = _buffer(body.get("buf"), self.buffers, where)
            if len(raw) != numel * dtype.itemsize:
                raise ChannelError(f"{where}: {len(raw)} bytes for {numel} values of {dtype}")
            return np.frombuffer(raw, dtype=dtype).reshape(body["shape"]).copy()
        if tag in self.tags:
            return self.store(tree, self.tags[tag](body, self, where, depth), where)
        raise ChannelError(f"{where}: unknown tag {tag!r}")

    def store(self, tree, value, where):
        index = tree.get("id")
        if index is not None:
            if type(index) is not int or index in self.objects:
                raise ChannelError(f"{where}: bad object id {index!r}")
            self.objects[index] = value
        return value


def decode(tree, buffers, *, tags: dict | None = None, where: str = "value",
           objects: dict | None = None):
    """The value ``encode`` made ``(tree, buffers)`` from. ``tags`` maps extra tag names
    to ``fn(body, decoder, where, depth)``; anything else raises :class:`ChannelError`.
    ``objects``, if given, receives index -> decoded object for every indexed object."""
    dec = _Decoder(buffers, tags)
    try:
        value = dec(tree, where)
    except RecursionError:
        raise ChannelError(f"{where}: nested too deeply") from None
    if objects is not None:
        objects.update(dec.objects)
    return value


def send(sock, header, buffers=()) -> None:
    """Write one message: a JSON header (which may hold NaN) and its byte buffers."""
    head = json.dumps({"h": header, "n": len(buffers)}, separators=(",", ":")).encode()
    parts = [struct.pack(">I", len(head)), head]
    for b in buffers:
        parts += [struct.pack(">Q", len(b)), b]
    sock.sendall(b"".join(parts))


def _read(sock, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(sock, *, limit: int = MAX_MESSAGE_BYTES):
    """Read one message: ``(header, buffers)``; :class:`ChannelError` if it is malformed
    or larger than ``limit`` bytes."""
    (size,) = struct.unpack(">I", _read(sock, 4))
    if size > limit:
        raise ChannelError(f"a message header of {size} bytes (limit {limit})")
    try:
        outer = json.loads(_read(sock, size))
    except (ValueError, RecursionError) as e:
        raise ChannelError(f"a header that is not JSON: {e}") from None
    if type(outer) is not dict or type(outer.get("n")) is not int or outer["n"] < 0:
        raise ChannelError("a header without its buffer count")
    total, buffers = size, []
    for _ in range(outer["n"]):
        (length,) = struct.unpack(">Q", _read(sock, 8))
        total += 8 + length
        if total > limit:
            raise ChannelError(f"a message of more than {limit} bytes")
        buffers.append(_read(sock, length))
    return outer.get("h"), buffers
