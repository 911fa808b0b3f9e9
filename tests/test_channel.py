"""The channel carries plain data only, both ways, and rejects anything else clearly."""
from __future__ import annotations

import math
import socket
import threading

import numpy as np
import pytest
import torch

from gradkit.course.channel import (ChannelError, NotPlainData, decode, encode, recv, send)


def roundtrip(value):
    return decode(*encode(value))


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2 ** 80, 0.25, "päd", b"\x00\xff", [], (), {}, set(),
    [1, (2.5, "x"), {"k": [None]}], {(1, 2): {3}, 4: frozenset({"a"})},
])
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    got = roundtrip(value)
    assert got == value and type(got) is type(value)


def test_non_finite_floats_come_back():
    got = roundtrip([math.nan, math.inf, -math.inf])
    assert math.isnan(got[0]) and got[1:] == [math.inf, -math.inf]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool,
                                   torch.bfloat16, torch.complex64, torch.uint8])
def test_tensors_come_back_bit_for_bit(dtype):
    t = (torch.randn(3, 4, 5) * 100).to(dtype)
    got = roundtrip(t)
    assert got.dtype == dtype and got.shape == t.shape and torch.equal(got, t)


def test_non_contiguous_empty_and_zero_dim_tensors():
    t = torch.arange(12.0).reshape(3, 4).t()
    assert torch.equal(roundtrip(t), t)
    assert roundtrip(torch.empty(0, 3)).shape == (0, 3)
    assert roundtrip(torch.tensor(2.5)).shape == ()


def test_requires_grad_and_grad_cross():
    p = torch.randn(4, requires_grad=True)
    p.grad = torch.ones(4)
    got = roundtrip(p)
    assert got.requires_grad and torch.equal(got.grad, p.grad) and torch.equal(got, p.detach())


def test_aliasing_is_kept():
    t = torch.zeros(2)
    shared = [1]
    a, b, c, d = roundtrip([t, t, shared, shared])
    assert a is b and c is d


def test_library_containers_arrive_as_the_plain_type_they_extend():
    import collections
    got = roundtrip([torch.Size([2, 3]), collections.defaultdict(int, a=1),
                     collections.OrderedDict(b=2), collections.Counter("aab")])
    assert got == [(2, 3), {"a": 1}, {"b": 2}, {"a": 2, "b": 1}]
    assert [type(g) for g in got] == [tuple, dict, dict, dict]


def test_numpy_arrays_and_scalars():
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = roundtrip(arr)
    assert got.dtype == arr.dtype and (got == arr).all()
    assert type(roundtrip(np.float64(0.5))) is float


class Liar(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class Sneaky(float):
    def __float__(self):
        return 42.0


@pytest.mark.parametrize("value, where", [
    (Liar("B"), "a subclass of str"), (Sneaky(1.0), "a subclass of float"), (lambda: 1, "function"),
    ([1, object()], "value[1] is a builtins.object"), ({"a": Liar("x")}, "value['a']"),
    (np.array([object()]), "array of Python objects"),
])
def test_objects_that_are_not_plain_data_are_refused_naming_where(value, where):
    with pytest.raises(NotPlainData, match="value") as info:
        encode(value)
    assert where in str(info.value)


@pytest.mark.parametrize("tree, buffers", [
    ({"tensor": {"dtype": "float32", "shape": [4], "buf": 0}}, [b"\x00" * 15]),
    ({"tensor": {"dtype": "object", "shape": [1], "buf": 0}}, [b"\x00" * 8]),
    ({"tensor": {"dtype": "float32", "shape": [-1], "buf": 0}}, [b""]),
    ({"tensor": {"dtype": "float32", "shape": [1], "buf": 3}}, []),
    ({"pickle": "gASVAAAA"}, []),
    ({"S": [{"L": []}]}, []),
    ({"ref": 5}, []),
    ({"float": "1e999"}, []),
    ([1, 2], []),
    ({"ndarray": {"dtype": "|O", "shape": [1], "buf": 0}}, [b"\x00" * 8]),
])
def test_malformed_messages_are_refused(tree, buffers):
    with pytest.raises(ChannelError):
        decode(tree, buffers)


def test_deep_nesting_is_refused_both_ways():
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(NotPlainData, match="levels deep"):
        encode(deep)
    tree = {"L": []}
    for _ in range(200):
        tree = {"L": [tree]}
    with pytest.raises(ChannelError, match="levels deep"):
        decode(tree, [])


def test_extra_tags_are_only_decoded_when_given():
    tree = {"callable": 3}
    with pytest.raises(ChannelError, match="unknown tag"):
        decode(tree, [])
    assert decode(tree, [], tags={"callable": lambda body, *_: ("fn", body)}) == ("fn", 3)


def test_messages_cross_a_socket_and_limits_hold():
    a, b = socket.socketpair()
    value = {"x": torch.randn(100, 100), "s": "hi"}
    tree, buffers = encode(value)
    sender = threading.Thread(target=send, args=(a, {"op": "reply", "value": tree}, buffers))
    sender.start()
    header, got_buffers = recv(b)
    sender.join()
    got = decode(header["value"], got_buffers)
    assert torch.equal(got["x"], value["x"]) and got["s"] == "hi"
    sender = threading.Thread(target=send, args=(a, {"v": tree}, buffers))
    sender.start()
    with pytest.raises(ChannelError, match="more than"):
        recv(b, limit=1000)
    sender.join()
    a.close()
    b.close()


def test_a_closed_channel_is_an_eof():
    a, b = socket.socketpair()
    a.close()
    with pytest.raises(EOFError):
        recv(b)
    b.close()
