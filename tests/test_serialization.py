"""minitorch.save / minitorch.load: npz round trips, no pickle, atomic writes."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

import minitorch
from minitorch import nn


def test_round_trip_of_a_model(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    path = minitorch.save(model.state_dict(), tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    other.load_state_dict(minitorch.load(path))
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(model(x), other(x))


def test_nested_dicts_numbers_and_strings(tmp_path):
    state = {
        "model": {"0.W": np.arange(6.0).reshape(2, 3), "0.b": np.zeros((1, 3), np.float32)},
        "optimizer": {"lr": 0.1, "betas": [0.9, 0.999], "name": "Adam"},
        "epoch": 7,
    }
    loaded = minitorch.load(minitorch.save(state, tmp_path / "ckpt.npz"))
    np.testing.assert_array_equal(loaded["model"]["0.W"], state["model"]["0.W"])
    assert loaded["model"]["0.b"].dtype == np.float32
    assert loaded["optimizer"]["lr"] == 0.1 and isinstance(loaded["optimizer"]["lr"], float)
    np.testing.assert_array_equal(loaded["optimizer"]["betas"], [0.9, 0.999])
    assert loaded["optimizer"]["name"] == "Adam" and loaded["epoch"] == 7


def test_suffix_is_added(tmp_path):
    path = minitorch.save({"a": np.ones(2)}, tmp_path / "weights")
    assert path.name == "weights.npz" and path.exists()
    np.testing.assert_array_equal(minitorch.load(tmp_path / "weights")["a"], np.ones(2))


def test_file_is_a_plain_npz_without_pickle(tmp_path):
    path = minitorch.save({"W": np.ones((2, 2))}, tmp_path / "w.npz")
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["W.npy"]
    with np.load(path, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["W"], np.ones((2, 2)))


def test_objects_that_need_pickle_are_refused(tmp_path):
    with pytest.raises(TypeError, match="only arrays, numbers, strings"):
        minitorch.save({"f": lambda x: x}, tmp_path / "bad.npz")
    with pytest.raises(TypeError, match="None"):
        minitorch.save({"x": None}, tmp_path / "bad.npz")
    with pytest.raises(TypeError, match="expects a dict"):
        minitorch.save([np.ones(2)], tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="may not contain"):
        minitorch.save({"a/b": np.ones(2)}, tmp_path / "bad.npz")
    assert not list(tmp_path.iterdir())


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = minitorch.save({"W": np.ones(3)}, tmp_path / "ckpt.npz")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        minitorch.save({"W": np.zeros(3)}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    np.testing.assert_array_equal(minitorch.load(path)["W"], np.ones(3))


def test_pickled_file_is_not_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        minitorch.load(path)
