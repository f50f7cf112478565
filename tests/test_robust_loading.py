"""Loading is all or nothing (issue 16, category 6).

``Module.load_state_dict`` checks every key, shape and dtype before it writes any array, so a
bad entry (even the last one) leaves the model exactly as it was; a float
``num_batches_tracked`` is refused, not truncated (PyTorch's ``copy_`` truncates 2.7 to 2),
and a float64 value beyond float32's range is refused, not loaded as inf. The optimizers' and
schedulers' ``load_state_dict`` name the entry that is wrong, never NumPy's or Python's words
("invalid literal for int()", "'int' object has no attribute 'items'").
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from minitorch import nn, optim


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


# (id, key, bad value, words of the message); every state dict also changes 0.b first
BAD_ENTRIES = [
    ("wrong-shape-last", "2.b", np.zeros((1, 3), np.float32), ["'2.b'", "(1, 3)", "(1, 2)"]),
    ("float-count", "1.num_batches_tracked", np.array(2.7), ["num_batches_tracked", "whole"]),
    ("integral-float-count", "1.num_batches_tracked", np.array(3.0), ["num_batches_tracked"]),
    ("bool-count", "1.num_batches_tracked", np.array(True), ["num_batches_tracked"]),
    ("beyond-float32", "0.W", np.full((3, 4), 1e39), ["'0.W'", "float32's range", "float64"]),
    ("strings", "2.W", np.full((4, 2), "a"), ["'2.W'", "real numbers"]),
    ("complex", "1.gamma", np.ones(4, np.complex64).reshape(1, 4), ["'1.gamma'", "complex"]),
    ("objects", "1.beta", np.array([[None] * 4]), ["'1.beta'", "object"]),
    ("bools", "1.running_var", np.ones((1, 4), bool), ["'1.running_var'", "bool"]),
    ("ragged", "0.b", [[1.0, 2.0], [3.0]], ["'0.b'"]),
    ("count-beyond-int64", "1.num_batches_tracked", np.array(2**64 - 1, np.uint64), ["range"]),
]  # fmt: skip


@pytest.mark.parametrize("key, value, words", [r[1:] for r in BAD_ENTRIES],
                         ids=[r[0] for r in BAD_ENTRIES])  # fmt: skip
def test_a_bad_entry_is_refused_and_nothing_is_loaded(key, value, words):
    model = _model()
    before = model.state_dict()
    state = model.state_dict()
    state["0.b"] = np.ones((1, 4), np.float32)  # a good entry, checked before the bad one
    state[key] = value
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(state)
    for word in words:
        assert word in str(caught.value)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)


# (id, key, value that fits): PyTorch's copy_ casts these, and so does minitorch
GOOD_ENTRIES = [
    ("float64-into-float32", "0.W", np.full((3, 4), 0.5)),
    ("ints-into-floats", "2.b", np.array([[1, 2]])),
    ("int32-count", "1.num_batches_tracked", np.array(7, np.int32)),
    ("inf-stays-inf", "1.running_var", np.full((1, 4), np.inf)),
]


@pytest.mark.parametrize("key, value", [r[1:] for r in GOOD_ENTRIES],
                         ids=[r[0] for r in GOOD_ENTRIES])  # fmt: skip
def test_an_entry_that_fits_is_loaded(key, value):
    model = _model()
    state = model.state_dict()
    state[key] = value
    model.load_state_dict(state)
    loaded = model.state_dict()[key]
    np.testing.assert_array_equal(loaded, value)
    assert loaded.dtype == _model().state_dict()[key].dtype


def test_a_missing_key_loads_nothing():
    model = _model()
    before = model.state_dict()
    state = {**model.state_dict(), "0.W": np.ones((3, 4), np.float32)}
    del state["2.b"]
    with pytest.raises(KeyError, match=r"missing: \['2.b'\]"):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model[0].W, before["0.W"])


# ---------------------------------------------------------------------- optimizers, schedulers
def _trained_adam():
    model = nn.Linear(3, 2)
    adam = optim.Adam(model, lr=0.01)
    model(np.ones((2, 3), np.float32))
    model.backward(np.ones((2, 2), np.float32))
    adam.step()
    return adam


def _group(state):
    return state["param_groups"]["0"]


# (id, change of Adam's state dict, error type, words of the message)
BAD_OPTIMIZER_STATES = [
    ("state-not-a-dict", lambda s: s.update(state=[1, 2]), ValueError, ["'state' must be a dict"]),
    ("state-key-a-word", lambda s: s["state"].update(x=s["state"].pop("0")), ValueError,
     ["parameter positions", "'x'"]),
    ("state-key-a-fraction", lambda s: s["state"].update({"1.5": {}}), ValueError, ["'1.5'"]),
    ("entries-not-a-dict", lambda s: s["state"].update({"0": 5}), ValueError,
     ["dicts of entries", "'0': int"]),
    ("groups-not-a-dict", lambda s: s.update(param_groups=5), ValueError, ["'param_groups'"]),
    ("group-not-a-dict", lambda s: s["param_groups"].update({"0": 5}), ValueError,
     ["parameter group 0", "dict of hyperparameters"]),
    ("params-words", lambda s: _group(s).update(params="ab"), ValueError, ["'params'", "whole"]),
    ("params-fractions", lambda s: _group(s).update(params=[0.5, 1]), ValueError, ["'params'"]),
    ("betas-one-number", lambda s: _group(s).update(betas=0.9), TypeError,
     ["parameter group 0", "betas must be a pair"]),
    ("lr-a-word", lambda s: _group(s).update(lr="x"), TypeError,
     ["Adam.load_state_dict: parameter group 0: lr must be a number"]),
    ("exp_avg-a-list", lambda s: s["state"]["0"].update(exp_avg=[[1.0]]), ValueError,
     ["'exp_avg' of parameter 0"]),
    ("step-a-word", lambda s: s["state"]["0"].update(step="x"), ValueError, ["'step'"]),
]  # fmt: skip


@pytest.mark.parametrize("change, error, words", [r[1:] for r in BAD_OPTIMIZER_STATES],
                         ids=[r[0] for r in BAD_OPTIMIZER_STATES])  # fmt: skip
def test_an_optimizer_names_the_entry_that_is_wrong(change, error, words):
    adam = _trained_adam()
    state = copy.deepcopy(adam.state_dict())
    before = copy.deepcopy(adam.state_dict())
    change(state)
    with pytest.raises(error) as caught:
        adam.load_state_dict(state)
    for word in words:
        assert word in str(caught.value)
    _speaks_no_numpy(str(caught.value))
    after = adam.state_dict()
    assert after["param_groups"] == before["param_groups"]
    np.testing.assert_array_equal(after["state"]["0"]["exp_avg"], before["state"]["0"]["exp_avg"])


# What Python or NumPy say of a bad entry, which a load_state_dict message must not repeat
NUMPY_SPEAK = ("invalid literal", "object has no", "could not convert", "setting an array element",
               "only length-1 arrays", "truth value of an array", "float() argument",
               "int() argument", "unsupported operand", "not subscriptable")  # fmt: skip


def _speaks_no_numpy(message: str) -> None:
    for words in NUMPY_SPEAK:
        assert words not in message, message


# (id, key, value, error type, words)
BAD_SCHEDULER_STATES = [
    ("base_lrs-a-word", "base_lrs", "x", TypeError, ["StepLR.load_state_dict: base_lrs"]),
    ("base_lrs-nan", "base_lrs", [float("nan")], ValueError, ["load_state_dict: base_lrs"]),
    ("last_lr-an-object", "last_lr", object(), TypeError, ["load_state_dict: last_lr"]),
    ("step_size-a-word", "step_size", "x", TypeError, ["load_state_dict: step_size"]),
    ("gamma-an-array", "gamma", np.array([1.0, 2.0]), TypeError, ["load_state_dict: gamma"]),
    ("last_epoch-a-word", "last_epoch", "x", ValueError, ["load_state_dict: last_epoch"]),
]


@pytest.mark.parametrize("key, value, error, words", [r[1:] for r in BAD_SCHEDULER_STATES],
                         ids=[r[0] for r in BAD_SCHEDULER_STATES])  # fmt: skip
def test_a_scheduler_names_the_entry_that_is_wrong(key, value, error, words):
    scheduler = optim.lr_scheduler.StepLR(_trained_adam(), step_size=2)
    before = scheduler.state_dict()
    with pytest.raises(error) as caught:
        scheduler.load_state_dict({**before, key: value})
    for word in words:
        assert word in str(caught.value)
    _speaks_no_numpy(str(caught.value))
    assert scheduler.state_dict() == before
