"""gradkit.sequences: the copy-first and position tasks, their guarantees and errors."""
import pytest
import torch

from gradkit.data import Dataset
from gradkit.sequences import copy_first_task, position_task


def test_copy_first_task_one_hot_and_tokens():
    d = copy_first_task(64, 12, vocab=5, seed=3)
    assert isinstance(d, Dataset) and d.task == "classification"
    assert d.X.shape == (64, 12, 5) and d.X.dtype == torch.float32 and d.y.shape == (64,)
    assert d.X.sum(-1).eq(1).all()                                   # one-hot
    torch.testing.assert_close(d.X[:, 0].argmax(-1), d.y)
    t = copy_first_task(64, 12, vocab=5, seed=3, one_hot=False)
    assert t.X.shape == (64, 12) and t.X.dtype == torch.int64
    torch.testing.assert_close(t.X, d.X.argmax(-1))
    assert t.X.min() >= 0 and t.X.max() < 5


def test_copy_first_task_is_seeded_and_balanced():
    a, b, c = copy_first_task(4000, 8, seed=1), copy_first_task(4000, 8, seed=1), \
        copy_first_task(4000, 8, seed=2)
    assert torch.equal(a.X, b.X) and torch.equal(a.y, b.y) and not torch.equal(a.X, c.X)
    freq = torch.bincount(a.y, minlength=4).float() / 4000
    torch.testing.assert_close(freq, torch.full((4,), 0.25), atol=0.03, rtol=0)


@pytest.mark.parametrize("seq_len, vocab, position", [(16, 4, 0), (10, 3, 4), (8, 8, -1)])
def test_position_task_every_sequence_has_the_same_bag(seq_len, vocab, position):
    d = position_task(500, seq_len, vocab, position=position, seed=0)
    assert d.X.shape == (500, seq_len) and d.X.dtype == torch.int64 and d.y.shape == (500,)
    torch.testing.assert_close(d.y, d.X[:, position])
    bag = torch.sort(torch.arange(seq_len) % vocab).values
    assert torch.equal(torch.sort(d.X, dim=1).values, bag.expand(500, -1))
    # the sequences really are shuffled: the label position holds every token
    assert set(d.y.tolist()) == set(range(vocab))


def test_position_task_labels_carry_no_bag_information():
    d = position_task(8000, 16, 4, seed=0)
    counts = torch.nn.functional.one_hot(d.X, 4).sum(1)             # (n, vocab) bags
    assert counts.eq(4).all()                                        # identical for all
    freq = torch.bincount(d.y, minlength=4).float() / 8000
    torch.testing.assert_close(freq, torch.full((4,), 0.25), atol=0.02, rtol=0)


def test_position_task_one_hot_and_seed():
    d = position_task(32, 6, 3, seed=5, one_hot=True)
    assert d.X.shape == (32, 6, 3) and d.X.dtype == torch.float32
    assert torch.equal(d.X.argmax(-1), position_task(32, 6, 3, seed=5).X)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: copy_first_task(0), ValueError, r"n=0 must be an integer >= 1"),
    (lambda: copy_first_task(8, seq_len=0), ValueError, r"seq_len=0 must be an integer >= 1"),
    (lambda: copy_first_task(8, vocab=1), ValueError, r"vocab=1 must be an integer >= 2"),
    (lambda: copy_first_task(8, seed=0.5), TypeError, r"seed=0.5 must be an integer"),
    (lambda: copy_first_task(8, one_hot="yes"), TypeError,
     r"one_hot='yes' must be True or False"),
    (lambda: position_task(8, seq_len=1), ValueError, r"seq_len=1 must be an integer >= 2"),
    (lambda: position_task(8, seq_len=4, vocab=5), ValueError,
     r"vocab=5 must be <= seq_len=4"),
    (lambda: position_task(8, seq_len=4, position=4), ValueError,
     r"position=4 must be in \[-4, 3\]"),
    (lambda: position_task(8, seq_len=4, position=-5), ValueError,
     r"position=-5 must be in \[-4, 3\]"),
    (lambda: position_task(8, vocab=True), TypeError, r"vocab=True must be an integer"),
])
def test_errors_name_argument_and_value(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
