"""What a test may hand a student's function, and what may come back, beyond plain data.

Tests call student functions with more than numbers and tensors: a gradkit landscape or
model, an optimizer class, a loss function, a one-shot iterator of parameters, a random
generator. Going *into* the sandbox each is sent as data the sandbox can rebuild:

* gradkit dataclasses (landscapes, ``History``, ``Dataset``, ...) by their fields;
* gradkit models (``MLP``, ``TinyRNN``, ``TinyTransformer``) by their config and their
  parameters and buffers, each a tensor;
* classes and functions of ``torch``, ``gradkit``, ``math`` and ``numpy`` by import path;
* any other callable as a *remote function*: the sandbox may call it (and backpropagate
  through it) but only ever sees the values it returns: its code, closure and globals stay
  in the trusted process;
* iterators as a one-shot iterator over their items; ``torch.Generator`` by its state.

Coming *back*, only plain data, the same gradkit dataclasses and models (rebuilt here by
gradkit's own classes from their fields: never by anything the student defined), and
references to objects the test sent. After each call the sandbox reports the state of
every mutable object it was sent, and :func:`apply_changes` writes it into the test's
originals, so in-place updates (``p.grad.mul_``, ``state["v"] = ...``) are seen as if
the function had run here.
"""
from __future__ import annotations

import dataclasses
import importlib

import torch

from .channel import ChannelError, Encoder, NotPlainData, decode

__all__ = ["DATACLASSES", "MODELS", "TrustedEncoder", "sandbox_tags", "SandboxEncoder",
           "trusted_tags", "changes", "apply_changes"]

# gradkit dataclasses whose fields are plain data (or tensors): they cross by value
DATACLASSES = ("gradkit.landscapes.Quadratic", "gradkit.landscapes.Rosenbrock",
               "gradkit.landscapes.Cliff", "gradkit.landscapes.Trajectory",
               "gradkit.train.History", "gradkit.data.Dataset",
               "gradkit.models.MLPConfig", "gradkit.rnn.RNNConfig",
               "gradkit.transformer.TransformerConfig", "gradkit.diagnose.RunConfig",
               "gradkit.diagnose.ConvergenceSummary", "gradkit.stats.GeometricFit")
# gradkit models: rebuilt from ``config`` (a dataclass above) plus parameters and buffers
MODELS = ("gradkit.models.MLP", "gradkit.rnn.TinyRNN", "gradkit.transformer.TinyTransformer")
_IMPORTABLE = ("torch", "gradkit", "math", "numpy")


def _qualname(obj) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def _resolve(path: str, allowed) -> object:
    if path not in allowed:
        raise ChannelError(f"{path!r} is not a class that may cross")
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _import_path(obj) -> str | None:
    """``module.name`` under which ``obj`` (a class or function) can be imported, if it
    belongs to an importable library and that path gives back the very same object."""
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    if module.split(".")[0] not in _IMPORTABLE:
        return None
    try:
        target = importlib.import_module(module)
        for part in name.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        return None
    return f"{module}:{name}" if target is obj else None


def _fields(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _module_state(module: torch.nn.Module) -> dict:
    state = dict(module.named_parameters())
    state.update(module.named_buffers())
    return state


def _state_tree(module: torch.nn.Module, enc, where: str) -> dict:
    """A model's parameters and buffers as a dict tree of tensors that are not indexed:
    the model itself is the object that is sent (and reported back) as a whole."""
    return {"D": [[name, enc.tensor_tree(t, f"{where}.{name}")]
                  for name, t in _module_state(module).items()]}


class TrustedEncoder:
    """The trusted side's hook for :func:`~gradkit.course.channel.encode`: remembers the
    callables it sends (``callables[k]``) and the mutable objects (``sent[id]``)."""

    def __init__(self):
        self.callables: list = []

    def __call__(self, x, enc, where, depth):
        name = _qualname(x)
        if name in DATACLASSES:
            return {"dataclass": {"class": name, "fields": enc(_fields(x), where, depth + 1)}}
        if name in MODELS:
            if id(x) in enc.memo:
                return {"ref": enc.memo[id(x)]}
            index = enc.reserve(x)
            return {"module": {"class": name, "config": enc(x.config, where, depth + 1),
                               "state": _state_tree(x, enc, where),
                               "training": x.training}, "id": index}
        if isinstance(x, torch.Generator):
            if id(x) in enc.memo:
                return {"ref": enc.memo[id(x)]}
            index = enc.reserve(x)
            return {"rng": {"state": enc.buffer(x.get_state().numpy().tobytes()),
                            "seed": x.initial_seed()}, "id": index}
        if isinstance(x, torch.dtype):
            return {"torch_dtype": str(x).removeprefix("torch.")}
        if (isinstance(x, type) or callable(x)) and not isinstance(x, torch.Tensor):
            path = _import_path(x)
            if path is not None:
                return {"import": path}
            if callable(x) and not isinstance(x, type):
                self.callables.append(x)
                return {"callable": len(self.callables) - 1}
        if hasattr(x, "__next__") and hasattr(x, "__iter__") and not isinstance(
                x, (str, bytes, torch.Tensor)):
            items = list(x)        # the test's iterator is used up, as the call would
            return {"iterator": [enc(v, f"{where} item {i}", depth + 1)
                                 for i, v in enumerate(items)]}
        return None


def sandbox_tags(remote_function) -> dict:
    """The tags the sandbox decodes a test's arguments with; ``remote_function(k)`` makes
    the stand-in for the trusted side's callable number ``k``."""
    def dataclass_(body, dec, where, depth):
        cls = _resolve(body["class"], DATACLASSES)
        return cls(**dec(body["fields"], where, depth + 1))

    def module(body, dec, where, depth):
        cls = _resolve(body["class"], MODELS)
        config = dec(body["config"], where, depth + 1)
        model = cls(**_fields(config))
        state = dec(body["state"], where, depth + 1)
        _load(model, state, where)
        model.train(bool(body.get("training", True)))
        return model

    def rng(body, dec, where, depth):
        g = torch.Generator()
        raw = dec.buffers[body["state"]]
        g.set_state(torch.frombuffer(bytearray(raw), dtype=torch.uint8))
        return g

    def imported(body, dec, where, depth):
        module, _, name = body.partition(":")
        target = importlib.import_module(module)
        for part in name.split("."):
            target = getattr(target, part)
        return target

    return {"dataclass": dataclass_, "module": module, "rng": rng, "import": imported,
            "torch_dtype": lambda body, *_: getattr(torch, body),
            "callable": lambda body, *_: remote_function(body),
            "iterator": lambda body, dec, where, depth: iter(
                [dec(v, where, depth + 1) for v in body])}


def _load(model: torch.nn.Module, state: dict, where: str) -> None:
    """Put the tensors of ``state`` (name -> tensor) into ``model``'s parameters and
    buffers, which must have exactly those names and shapes."""
    own = _module_state(model)
    if not isinstance(state, dict) or set(state) != set(own):
        raise ChannelError(f"{where}: the model's parameters are not {sorted(own)}")
    for name, value in state.items():
        target = own[name]
        if not isinstance(value, torch.Tensor) or value.shape != target.shape:
            raise ChannelError(f"{where}: parameter {name} is not a tensor of shape "
                               f"{tuple(target.shape)}")
        with torch.no_grad():
            target.data = value.detach().clone()
        if isinstance(target, torch.nn.Parameter):
            target.grad = None if value.grad is None else value.grad.clone()


class SandboxEncoder:
    """The sandbox's hook for what it sends back: gradkit dataclasses and models by value,
    and the objects it was sent (``sent``: id -> index) as references to them."""

    def __init__(self, sent: dict[int, int] | None = None):
        self.sent = sent or {}

    def __call__(self, x, enc, where, depth):
        if id(x) in self.sent and not isinstance(x, (bool, int, float, str)):
            return {"sent": self.sent[id(x)]}
        name = _qualname(x)
        if name in DATACLASSES:
            return {"dataclass": {"class": name, "fields": enc(_fields(x), where, depth + 1)}}
        if name in MODELS:
            return {"module": {"class": name, "config": enc(x.config, where, depth + 1),
                               "state": _state_tree(x, enc, where),
                               "training": x.training}}
        return None


def trusted_tags(sent: dict[int, object]) -> dict:
    """The tags the trusted side accepts back from the sandbox: gradkit dataclasses and
    models rebuilt by gradkit's own classes, and references to objects it sent."""
    def dataclass_(body, dec, where, depth):
        if not isinstance(body, dict):
            raise ChannelError(f"{where}: bad dataclass")
        cls = _resolve(body.get("class"), DATACLASSES)
        fields = dec(body.get("fields"), where, depth + 1)
        names = {f.name for f in dataclasses.fields(cls)}
        if type(fields) is not dict or set(fields) != names:
            raise ChannelError(f"{where}: a {cls.__name__} needs the fields {sorted(names)}")
        try:
            return cls(**fields)
        except (TypeError, ValueError) as e:
            raise ChannelError(f"{where}: {e}") from None

    def module(body, dec, where, depth):
        if not isinstance(body, dict):
            raise ChannelError(f"{where}: bad model")
        cls = _resolve(body.get("class"), MODELS)
        config = dec(body.get("config"), where, depth + 1)
        if not dataclasses.is_dataclass(config) or _qualname(config) not in DATACLASSES:
            raise ChannelError(f"{where}: a model needs its config")
        state = dec(body.get("state"), where, depth + 1)
        with torch.device("meta"):          # the shapes, before any memory is spent
            try:
                probe = cls(**_fields(config))
            except (TypeError, ValueError) as e:
                raise ChannelError(f"{where}: {e}") from None
        _check_state(probe, state, where)
        model = cls(**_fields(config))
        _load(model, state, where)
        model.train(bool(body.get("training", True)))
        return model

    def sent_(body, dec, where, depth):
        if type(body) is not int or body not in sent:
            raise ChannelError(f"{where}: reference to an object that was not sent")
        return sent[body]

    return {"dataclass": dataclass_, "module": module, "sent": sent_}


def _check_state(probe: torch.nn.Module, state, where: str) -> None:
    own = {k: tuple(v.shape) for k, v in _module_state(probe).items()}
    if not isinstance(state, dict) or set(state) != set(own) or any(
            not isinstance(v, torch.Tensor) or tuple(v.shape) != own[k]
            for k, v in state.items()):
        raise ChannelError(f"{where}: the model's parameters do not match its config")


def changes(sent_objects: dict[int, object], hook: SandboxEncoder):
    """``(tree, buffers)``: the state after a call of every mutable object the sandbox was
    sent, by its index: tensors (data and grad), models, generators, lists, dicts, sets.
    Members of a container that were themselves sent go back as references to them."""
    enc = Encoder(hook)
    pairs = []
    for index, obj in sent_objects.items():
        try:
            change = _change(obj, enc, f"argument object {index} after the call")
        except NotPlainData:      # a container now holding something that cannot cross:
            continue              # the test keeps its own copy of it
        if change is not None:
            pairs.append([index, change])
    return {"D": pairs}, enc.buffers


def _change(obj, enc: Encoder, where: str):
    """One object's state after the call, or None for an object with no state."""
    if isinstance(obj, torch.Tensor):
        kind, tree = "tensor", enc.tensor_tree(obj, where)
    elif isinstance(obj, torch.nn.Module):
        kind, tree = "module", _state_tree(obj, enc, where)
    elif isinstance(obj, torch.Generator):
        kind, tree = "rng", {"bytes": enc.buffer(obj.get_state().numpy().tobytes())}
    elif type(obj) in (list, set):
        kind = "container"
        tree = {"L" if type(obj) is list else "S":
                [enc(v, f"{where}[{i}]", 1) for i, v in enumerate(obj)]}
    elif type(obj) is dict:
        kind = "container"
        tree = {"D": [[enc(k, where, 1), enc(v, f"{where}[{k!r}]", 1)]
                      for k, v in obj.items()]}
    else:
        return None
    return {"D": [[kind, tree]]}


def apply_changes(originals: dict[int, object], tree, buffers, tags) -> None:
    """Write the sandbox's after-call states into the test's original objects."""
    after = decode(tree, buffers, tags=tags, where="argument after the call")
    if type(after) is not dict:
        raise ChannelError("the changes to the arguments are malformed")
    for index, change in after.items():
        obj = originals.get(index)
        if obj is None or type(change) is not dict or len(change) != 1:
            raise ChannelError(f"a change to argument object {index!r} that was not sent")
        kind, value = next(iter(change.items()))
        if kind == "tensor" and isinstance(obj, torch.Tensor) and isinstance(value, torch.Tensor):
            _set_tensor(obj, value)
        elif kind == "module" and isinstance(obj, torch.nn.Module):
            own = _module_state(obj)
            if type(value) is not dict or set(value) != set(own):
                raise ChannelError("a model came back with other parameters than it was sent")
            for name, tensor in value.items():
                if not isinstance(tensor, torch.Tensor):
                    raise ChannelError(f"parameter {name} came back as a non-tensor")
                _set_tensor(own[name], tensor)
        elif kind == "rng" and isinstance(obj, torch.Generator) and type(value) is bytes:
            if len(value) != obj.get_state().numel():
                raise ChannelError("a random generator came back with a bad state")
            obj.set_state(torch.frombuffer(bytearray(value), dtype=torch.uint8))
        elif kind == "container" and type(obj) is type(value):
            if type(obj) is list:
                obj[:] = value
            elif type(obj) is dict:
                obj.clear()
                obj.update(value)
            else:
                obj.clear()
                obj.update(value)
        else:
            raise ChannelError(f"argument object {index} came back as a {kind}")


def _set_tensor(obj: torch.Tensor, value: torch.Tensor) -> None:
    if value.dtype != obj.dtype:
        raise ChannelError(f"a {obj.dtype} argument came back as {value.dtype}")
    with torch.no_grad():
        if value.shape == obj.shape:
            obj.copy_(value)
        else:
            obj.data = value.detach().clone()
    if obj.requires_grad or value.grad is not None:
        obj.grad = None if value.grad is None else value.grad.to(obj.dtype).clone()

