"""What crosses between a test and a student's function, both ways (in one process here:
the sandbox's side decodes exactly as it would in the kernel)."""
from __future__ import annotations

import pytest
import torch

import gradkit
from gradkit.course.channel import ChannelError, decode, encode
from gradkit.course.crossing import (SandboxEncoder, TrustedEncoder, apply_changes, changes,
                                     sandbox_tags, trusted_tags)


def to_sandbox(value):
    """The value as the student's function receives it, with the objects sent by index."""
    hook, sent = TrustedEncoder(), {}
    tree, buffers = encode(value, hook=hook, objects=sent)
    received = {}
    got = decode(tree, buffers, tags=sandbox_tags(lambda k: ("remote", k)), objects=received)
    return got, hook, sent, received


def back(sent, received, result=None):
    """The result and the after-call states, as the test sees them."""
    mutable = {i: o for i, o in received.items() if isinstance(o, (torch.Tensor, torch.nn.Module,
               torch.Generator)) or type(o) in (list, dict, set)}
    hook = SandboxEncoder({id(o): i for i, o in received.items()})
    value_tree, value_buffers = encode(result, hook=hook)
    change_tree, change_buffers = changes(mutable, hook)
    tags = trusted_tags(sent)
    value = decode(value_tree, value_buffers, tags=tags)
    apply_changes(sent, change_tree, change_buffers, tags)
    return value


def test_in_place_updates_of_tensors_grads_and_dicts_come_back():
    p = torch.zeros(3, requires_grad=True)
    p.grad = torch.ones(3)
    state = {}
    (q, st), _, sent, received = to_sandbox([p, state])
    with torch.no_grad():
        q.add_(2.0)
    q.grad.mul_(0.5)
    st["v"] = torch.full((3,), 7.0)
    back(sent, received)
    assert torch.equal(p.detach(), torch.full((3,), 2.0))
    assert torch.equal(p.grad, torch.full((3,), 0.5))
    assert torch.equal(state["v"], torch.full((3,), 7.0))


def test_a_returned_argument_is_the_tests_own_object():
    model = gradkit.MLP(2, 4)
    (m,), _, sent, received = to_sandbox([model])
    with torch.no_grad():
        for w in m.parameters():
            w.fill_(0.25)
    got = back(sent, received, result=m)
    assert got is model
    assert all(torch.all(w == 0.25) for w in model.parameters())


def test_models_landscapes_generators_iterators_and_library_classes_cross():
    gen = torch.Generator().manual_seed(3)
    value = [gradkit.MLP(3, 5, activation="relu").double(), gradkit.landscapes.Quadratic(10),
             gen, iter([torch.ones(2)]), torch.optim.Adam, torch.float64, lambda x: x]
    (m, q, g, it, adam, dtype, fn), hook, sent, received = to_sandbox(value)
    assert isinstance(m, gradkit.MLP) and m.config.activation == "relu"
    assert next(m.parameters()).dtype == torch.float64
    assert q == gradkit.landscapes.Quadratic(10)
    assert torch.equal(torch.randn(4, generator=g), torch.randn(4, generator=gen))
    assert torch.equal(next(it), torch.ones(2)) and next(it, None) is None
    assert adam is torch.optim.Adam and dtype is torch.float64
    assert fn == ("remote", 0) and len(hook.callables) == 1


def test_a_generator_advanced_in_the_sandbox_is_advanced_for_the_test():
    gen = torch.Generator().manual_seed(5)
    twin = torch.Generator().manual_seed(5)
    (g,), _, sent, received = to_sandbox([gen])
    torch.randn(10, generator=g)
    back(sent, received)
    torch.randn(10, generator=twin)
    assert torch.equal(torch.randn(3, generator=gen), torch.randn(3, generator=twin))


def test_a_student_cannot_claim_an_object_that_was_not_sent_or_a_foreign_class():
    with pytest.raises(ChannelError, match="not sent"):
        decode({"sent": 9}, [], tags=trusted_tags({}))
    with pytest.raises(ChannelError, match="may cross"):
        decode({"dataclass": {"class": "os.system", "fields": {"D": []}}}, [],
               tags=trusted_tags({}))
    with pytest.raises(ChannelError, match="unknown tag"):
        decode({"import": "os:system"}, [], tags=trusted_tags({}))


def test_a_model_whose_parameters_do_not_match_its_config_is_refused():
    model = gradkit.MLP(2, 4)
    tree, buffers = encode(model, hook=SandboxEncoder())
    tree["module"]["config"]["dataclass"]["fields"]["D"][1][1] = 1000   # width 4 -> 1000
    with pytest.raises(ChannelError, match="do not match"):
        decode(tree, buffers, tags=trusted_tags({}))
