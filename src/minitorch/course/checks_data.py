"""The public checks of 05-data (Dataset, DataLoader) and 06-training (the loop, evaluation).

The data tasks are checked by behaviour: the student's code only observes (what a batch
holds, which order an epoch draws, on inputs drawn from the case's generator: sizes, seeds,
batch sizes, ``drop_last``) and the check's ``judge`` compares the observations with the
reference's, in the process that grades. The training loop is checked against stored
values: a small float64 model trained for one epoch by the reference (its weights after the
epoch, the epoch's totals).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .check_core import Arrays, Check

__all__ = ["DATA_CHECKS"]


def _dataset(a: Arrays) -> Any:
    from minitorch.utils.data import TensorDataset

    return TensorDataset(a["X"], a["y"].astype(np.int64))


def _samples(rng: np.random.Generator, low: int = 6, high: int = 16) -> Arrays:
    """A dataset of n samples (n drawn): X of shape (n, 3), integer labels y."""
    n = int(rng.integers(low, high))
    return {"X": rng.standard_normal((n, 3)), "y": rng.integers(0, 4, n).astype(np.float64)}


def _number(value: Any) -> int:
    return int(np.asarray(value).item())


def _flag(value: Any) -> bool:
    """An observation that is a yes/no flag (``None`` or anything else is no)."""
    return isinstance(value, np.ndarray) and value.size == 1 and float(value.item()) == 1.0


def _same(yours: Any, expected: Any) -> bool:
    """The observation is the reference's: the same shape, the same values."""
    numbers = (np.ndarray, np.generic)
    if not (isinstance(yours, numbers) and isinstance(expected, numbers)):
        return False
    yours, expected = np.asarray(yours), np.asarray(expected)
    return yours.shape == expected.shape and np.array_equal(yours, expected)


def _listed(value: Any) -> Any:
    """An observation as the message shows it: a list of ints, a number, a type's name."""
    if isinstance(value, (np.ndarray, np.generic)):
        value = np.asarray(value)
        return value.astype(np.int64).tolist() if np.all(np.isfinite(value)) else value.tolist()
    return getattr(value, "type_name", value)


# ----------------------------------------------------------------- TensorDataset.__getitem__
def _getitem_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    a = _samples(rng)
    n = len(a["y"])
    indices = [rng.integers(0, n), -rng.integers(1, n + 1), rng.integers(0, n)]
    return {"rows": {**a, "indices": np.array(indices, dtype=np.float64)}}


def _getitem_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    dataset = _dataset(a)
    i, j, k = (int(v) for v in a["indices"])
    xs, ys, wrong = [], [], None
    for index in (i, j, np.int64(k)):  # a positive, a negative and a NumPy integer index
        sample = fn(dataset, index)
        if not isinstance(sample, tuple) or len(sample) != 2:
            wrong = type(sample).__name__
            break
        xs.append(sample[0])
        ys.append(sample[1])
    observed: dict[str, Any] = {"not a pair": wrong}
    if wrong is None:
        observed.update({"x": np.stack(xs), "y": np.array(ys)})
    try:
        fn(dataset, len(dataset))
        observed["past the end"] = "no error"
    except Exception as error:  # what the student's code raised is the observation
        observed["past the end"] = type(error).__name__
    return observed


def _getitem_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    where = "TensorDataset.__getitem__"
    if yours["not a pair"] is not None or not isinstance(yours["x"], np.ndarray):
        got = yours["not a pair"] or "something else"
        return f"{where}: dataset[i] should be a tuple (x, y), one entry per array, got {got}"
    for number, index in enumerate(a["indices"].astype(np.int64).tolist()):
        if not (_same(yours["x"][number], expected["x"][number])
                and _same(yours["y"][number], expected["y"][number])):
            return (
                f"{where}: dataset[{index}] should be (X[{index}], y[{index}]): the same row of "
                "every array"
            )
    n = len(a["y"])
    if yours["past the end"] != "IndexError":
        raised = yours["past the end"]
        got = ", raised nothing" if raised == "no error" else f", raised {raised}"
        return f"{where}: dataset[{n}] of {n} samples should raise IndexError{got}"
    return None


# ----------------------------------------------------------------- DataLoader.__len__
def _len_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    configs = [(10, 3, 0), (10, 3, 1), (9, 3, 0), (2, 5, 1)]  # the edges: exact, cut, too few
    for _ in range(4):
        configs.append((int(rng.integers(5, 40)), int(rng.integers(1, 9)), int(rng.integers(2))))
    return {"configs": {"configs": np.array(configs, dtype=np.float64)}}


def _len_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.utils.data import DataLoader, TensorDataset

    lengths = []
    for n, size, drop_last in a["configs"].astype(np.int64).tolist():
        loader = DataLoader(TensorDataset(np.zeros((n, 1))), batch_size=size,
                            drop_last=bool(drop_last))
        lengths.append(fn(loader))
    return {"len": lengths}


def _len_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    got = yours["len"]
    one_each = isinstance(got, np.ndarray) and got.shape == expected["len"].shape
    for row, (n, size, drop_last) in enumerate(a["configs"].astype(np.int64).tolist()):
        mine = got[row] if one_each else got
        if not (one_each and _same(mine, expected["len"][row])):
            return (
                f"DataLoader.__len__: {n} samples in batches of {size} (drop_last="
                f"{bool(drop_last)}) make {int(expected['len'][row])} batches, got "
                f"{_listed(mine)}; ceil(n / batch_size), or floor with drop_last"
            )
    return None


# ----------------------------------------------------------------- DataLoader.__iter__
def _iter_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for name, shuffle, drop_last in (("in_order", 0, 0), ("shuffled", 1, 0),
                                     ("shuffled_drop_last", 1, 1)):
        size = int(rng.integers(2, 6))
        n = size * int(rng.integers(2, 6)) + int(rng.integers(1, size))  # a last, short batch
        cases[name] = {
            key: np.array(float(value)) for key, value in (
                ("n", n), ("batch_size", size), ("shuffle", shuffle), ("drop_last", drop_last),
                ("seed", rng.integers(1 << 31)))
        }
    return cases


def _iter_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.utils.data import DataLoader, TensorDataset

    dataset = TensorDataset(np.arange(_number(a["n"]), dtype=np.float64))
    generator = np.random.default_rng(_number(a["seed"]))
    loader = DataLoader(
        dataset, batch_size=_number(a["batch_size"]), shuffle=bool(_number(a["shuffle"])),
        drop_last=bool(_number(a["drop_last"])), generator=generator,
    )
    observed: dict[str, Any] = {}
    for epoch in ("first", "second"):
        seen: list[Any] = []
        loader._batches = lambda order, fetch, seen=seen: seen.append((order, fetch)) or iter(())
        for _ in fn(loader):
            pass
        observed[f"calls, {epoch} epoch"] = len(seen)
        if len(seen) == 1:
            observed[f"order, {epoch} epoch"] = np.asarray(seen[0][0])
            fetch = seen[0][1]
            observed["fetches a batch at a time"] = float(
                callable(fetch) and fetch == dataset.__getitems__
            )
    return observed


def _iter_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    where = "DataLoader.__iter__"
    shuffle, drop_last = bool(_number(a["shuffle"])), bool(_number(a["drop_last"]))
    for epoch in ("first", "second"):
        if not _same(yours[f"calls, {epoch} epoch"], expected[f"calls, {epoch} epoch"]):
            return f"{where}: it should hand the epoch's order to self._batches once per epoch"
        order, wanted = yours[f"order, {epoch} epoch"], expected[f"order, {epoch} epoch"]
        if not _same(order, wanted):
            fresh = " (a fresh permutation every epoch: draw it in __iter__)" if (
                epoch == "second" and _same(order, yours["order, first epoch"])) else ""
            return (
                f"{where}: with shuffle={shuffle}, drop_last={drop_last} the {epoch} epoch's "
                f"order should be {_listed(wanted)}, got {_listed(order)}{fresh}; "
                "self.generator.permutation(n) when shuffling, np.arange(n) otherwise, the last "
                "incomplete batch cut with drop_last"
            )
    if not _flag(yours["fetches a batch at a time"]):
        return (
            f"{where}: a dataset with __getitems__ (TensorDataset) should be fetched a batch at "
            "a time: pass dataset.__getitems__ to _batches"
        )
    return None


# ----------------------------------------------------------------- DataLoader._batches
def _batches_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    a = _samples(rng, 7, 20)
    a["batch_size"] = np.array(float(rng.integers(2, 6)))
    a["order"] = rng.permutation(len(a["y"])).astype(np.float64)
    return {"per_sample": a, "fetch_batch": dict(a)}


def _batches_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.utils.data import DataLoader

    dataset = _dataset(a)
    loader = DataLoader(dataset, batch_size=_number(a["batch_size"]))
    fetch = dataset.__getitems__ if case == "fetch_batch" else None
    batches = list(fn(loader, a["order"].astype(np.int64), fetch))
    return {
        "sizes": [len(targets) for _, targets in batches],
        "inputs": np.concatenate([inputs for inputs, _ in batches]) if batches else None,
        "targets": np.concatenate([targets for _, targets in batches]) if batches else None,
    }


def _batches_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    where = "DataLoader._batches"
    n, size = len(a["y"]), _number(a["batch_size"])
    if not _same(yours["sizes"], expected["sizes"]):
        return (
            f"{where}: {n} samples in batches of {size} should give batches of "
            f"{_listed(expected['sizes'])} samples, got {_listed(yours['sizes'])}"
        )
    order = a["order"].astype(np.int64)
    for number, start in enumerate(range(0, n, size)):
        rows = slice(start, start + size)
        if not (_same(yours["inputs"][rows], expected["inputs"][rows])
                and _same(yours["targets"][rows], expected["targets"][rows])):
            how = "fetch_batch(indices)" if case == "fetch_batch" else "dataset[i] for each i"
            return (
                f"{where}: batch {number} should hold samples {order[rows].tolist()} in that "
                f"order ({how}, then self.collate_fn)"
            )
    return None


# ----------------------------------------------------------------- random_split
_FRACTIONS = ([0.25, 0.25, 0.5], [0.5, 0.5], [0.1, 0.3, 0.6], [0.7, 0.3])


def _split_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    n = int(rng.integers(8, 30))
    first = int(rng.integers(1, n))
    fractions = _FRACTIONS[int(rng.integers(len(_FRACTIONS)))]
    return {
        "counts": {"n": np.array(float(n)), "lengths": np.array([first, n - first], float),
                   "seed": np.array(float(rng.integers(1 << 31)))},
        "fractions": {"n": np.array(float(rng.integers(8, 30))), "lengths": np.array(fractions),
                      "seed": np.array(float(rng.integers(1 << 31)))},
    }


def _split_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.utils.data import TensorDataset

    dataset = TensorDataset(np.arange(_number(a["n"]), dtype=np.float64))
    lengths = a["lengths"].tolist() if case == "fractions" else a["lengths"].astype(int).tolist()
    parts = fn(dataset, lengths, generator=np.random.default_rng(_number(a["seed"])))
    return {
        "sizes": [len(part) for part in parts],
        "indices": np.concatenate([np.asarray(part.indices) for part in parts]),
    }


def _split_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    n, lengths = _number(a["n"]), a["lengths"].tolist()
    if case == "counts":
        lengths = [int(v) for v in lengths]
    if not _same(yours["sizes"], expected["sizes"]):
        return (
            f"random_split: {lengths} of {n} samples should give {_listed(expected['sizes'])} "
            f"samples, got {_listed(yours['sizes'])}; fractions: floor(n · f) each, the "
            "leftover samples one per split from the first"
        )
    if not _same(yours["indices"], expected["indices"]):
        seed = _number(a["seed"])
        return (
            f"random_split: {lengths} with default_rng({seed}) should give the indices "
            f"{_listed(expected['indices'])} (in order), got {_listed(yours['indices'])}; one "
            "permutation of all n samples, cut into consecutive pieces"
        )
    return None


# ----------------------------------------------------------------- 06-training
def _training_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {
        "classification": {
            "W": rng.standard_normal((4, 3)) * 0.5, "b": rng.standard_normal((1, 3)) * 0.1,
            "X": rng.standard_normal((12, 4)), "y": rng.integers(0, 3, 12).astype(np.float64),
        },
        "regression": {
            "W": rng.standard_normal((4, 3)) * 0.5, "b": rng.standard_normal((1, 3)) * 0.1,
            "X": rng.standard_normal((12, 4)), "y": rng.standard_normal((12, 3)),
        },
    }


def _setup(case: str, a: Arrays) -> tuple[Any, Any, Any]:
    from minitorch import nn
    from minitorch.utils.data import TensorDataset

    model = nn.Linear(4, 3, dtype=np.float64)
    model.W[...], model.b[...] = a["W"], a["b"]
    if case == "classification":
        return model, TensorDataset(a["X"], a["y"].astype(np.int64)), nn.CrossEntropyLoss()
    return model, TensorDataset(a["X"], a["y"]), nn.MSELoss()


def _train_epoch_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.optim import SGD
    from minitorch.utils.data import DataLoader

    model, dataset, loss_fn = _setup(case, a)
    progress, finished = fn(model, DataLoader(dataset, batch_size=5), loss_fn,
                            SGD(model, lr=0.1, momentum=0.9), task=case)
    return {
        "W": model.W, "b": model.b, "finished": float(finished),
        "progress.batches": progress.batches, "progress.samples": progress.samples,
        "progress.loss_sum": progress.loss_sum, "progress.correct": progress.correct,
    }


def _evaluate_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    model, dataset, loss_fn = _setup(case, a)
    result = fn(model, dataset, loss_fn, task=case, batch_size=5)
    return {
        "loss": result.loss,
        "accuracy": result.accuracy,
        "predictions": result.predictions,
        "model.training after": float(model.training),
    }


_STEP = (
    "per batch: predictions = model(inputs); loss = loss_fn(predictions, targets); "
    "optimizer.zero_grad(); model.backward(loss_fn.backward()); optimizer.step()"
)

DATA_CHECKS: dict[str, Check] = {
    "TensorDataset.__getitem__": Check(cases=_getitem_cases, run=_getitem_run,
                                       judge=_getitem_judge),
    "DataLoader.__len__": Check(cases=_len_cases, run=_len_run, judge=_len_judge),
    "DataLoader.__iter__": Check(cases=_iter_cases, run=_iter_run, judge=_iter_judge),
    "DataLoader._batches": Check(cases=_batches_cases, run=_batches_run, judge=_batches_judge),
    "random_split": Check(cases=_split_cases, run=_split_run, judge=_split_judge),
    "train_epoch": Check(
        cases=_training_cases,
        run=_train_epoch_run,
        hints={
            "W": _STEP, "b": _STEP,
            "finished": "return (progress, True) after the last batch",
            "progress.batches": "count every batch trained",
            "progress.samples": "count the samples: len(targets) per batch",
            "progress.loss_sum": "add loss × len(targets) per batch (the mean is loss_sum / "
            "samples)",
            "progress.correct": "classification: add the count of argmax(predictions, axis=1) "
            "== targets",
        },
    ),
    "evaluate": Check(
        cases=_training_cases,
        run=_evaluate_run,
        hints={
            "loss": "the mean loss over every sample: Σ loss × batch size / n, in eval() mode",
            "accuracy": "classification: mean(argmax(outputs, axis=1) == targets); None for "
            "regression",
            "predictions": "classification: the argmax class of each sample; regression: the "
            "outputs",
            "model.training after": "put the model back in the mode it was in (model.train("
            "was_training))",
        },
    ),
}
