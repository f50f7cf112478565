"""The public checks of 05-data (Dataset, DataLoader) and 06-training (the loop, evaluation).

The data tasks are checked by behaviour (:attr:`Check.behaviour`): what a batch holds, which
order an epoch draws. The training loop is checked against stored values: a small float64
model trained for one epoch by the reference (its weights after the epoch, the epoch's totals).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .check_core import Arrays, Check

__all__ = ["DATA_CHECKS"]


def _dataset(n: int = 10) -> Any:
    from minitorch.utils.data import TensorDataset

    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    return TensorDataset(X, np.arange(n) % 4)


def _getitem_behaviour(fn: Callable) -> str | None:
    dataset = _dataset()
    X, y = dataset.tensors
    for index in (3, -1, np.int64(7)):
        sample = fn(dataset, index)
        if not isinstance(sample, tuple) or len(sample) != 2:
            return (
                f"TensorDataset.__getitem__: dataset[{index}] should be a tuple (x, y), one "
                f"entry per array, got {type(sample).__name__}"
            )
        if not (np.array_equal(sample[0], X[index]) and sample[1] == y[index]):
            return (
                f"TensorDataset.__getitem__: dataset[{index}] should be (X[{index}], "
                f"y[{index}]): the same row of every array"
            )
    try:
        fn(dataset, 10)
    except IndexError:
        return None
    except Exception as error:
        return (
            "TensorDataset.__getitem__: dataset[10] of 10 samples should raise IndexError, "
            f"raised {type(error).__name__}"
        )
    return "TensorDataset.__getitem__: dataset[10] of 10 samples should raise IndexError"


def _len_behaviour(fn: Callable) -> str | None:
    from minitorch.utils.data import DataLoader

    for n, size, drop_last, expected in ((10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3),
                                         (2, 5, True, 0)):
        loader = DataLoader(_dataset(n), batch_size=size, drop_last=drop_last)
        got = fn(loader)
        if got != expected:
            return (
                f"DataLoader.__len__: {n} samples in batches of {size} (drop_last={drop_last}) "
                f"make {expected} batches, got {got}; ceil(n / batch_size), or floor with "
                "drop_last"
            )
    return None


def _iter_behaviour(fn: Callable) -> str | None:
    from minitorch.utils.data import DataLoader

    dataset = _dataset()
    for shuffle, drop_last in ((False, False), (True, False), (True, True)):
        loader = DataLoader(dataset, batch_size=3, shuffle=shuffle, drop_last=drop_last,
                            generator=np.random.default_rng(5))
        seen: list[Any] = []
        loader._batches = lambda order, fetch, seen=seen: seen.append((order, fetch)) or iter(())
        fn(loader)
        if len(seen) != 1:
            return "DataLoader.__iter__: it should hand the epoch's order to self._batches once"
        order, fetch = seen[0]
        expected = np.random.default_rng(5).permutation(10) if shuffle else np.arange(10)
        if drop_last:
            expected = expected[:9]
        if not np.array_equal(np.asarray(order), expected):
            return (
                f"DataLoader.__iter__: with shuffle={shuffle}, drop_last={drop_last} the order "
                f"should be {expected.tolist()}, got {np.asarray(order).tolist()}; "
                "generator.permutation(n) when shuffling, np.arange(n) otherwise, the last "
                "incomplete batch cut with drop_last"
            )
        if fetch != dataset.__getitems__:
            return (
                "DataLoader.__iter__: a dataset with __getitems__ (TensorDataset) should be "
                "fetched a batch at a time: pass dataset.__getitems__ to _batches"
            )
    return None


def _batches_behaviour(fn: Callable) -> str | None:
    from minitorch.utils.data import DataLoader

    dataset = _dataset()
    X, y = dataset.tensors
    order = np.array([9, 2, 5, 0, 7, 1, 3, 8, 6, 4])
    loader = DataLoader(dataset, batch_size=4)
    for fetch in (None, dataset.__getitems__):
        batches = list(fn(loader, order, fetch))
        sizes = [len(b[1]) for b in batches]
        if sizes != [4, 4, 2]:
            return (
                f"DataLoader._batches: 10 samples in batches of 4 should give batches of "
                f"[4, 4, 2] samples, got {sizes}"
            )
        for number, (inputs, targets) in enumerate(batches):
            rows = order[number * 4 : number * 4 + 4]
            if not (np.array_equal(inputs, X[rows]) and np.array_equal(targets, y[rows])):
                how = "dataset[i] for each i" if fetch is None else "fetch_batch(indices)"
                return (
                    f"DataLoader._batches: batch {number} should hold samples {rows.tolist()} "
                    f"in that order ({how}, then self.collate_fn)"
                )
    return None


def _random_split_behaviour(fn: Callable) -> str | None:
    dataset = _dataset()
    parts = fn(dataset, [7, 3], generator=np.random.default_rng(11))
    permutation = np.random.default_rng(11).permutation(10)
    indices = [np.asarray(part.indices).tolist() for part in parts]
    expected = [permutation[:7].tolist(), permutation[7:].tolist()]
    if indices != expected:
        return (
            f"random_split: [7, 3] with default_rng(11) should give the indices {expected}, got "
            f"{indices}; one permutation of all n samples, cut into consecutive pieces"
        )
    sizes = [len(part) for part in fn(dataset, [0.25, 0.25, 0.5])]
    if sizes != [3, 2, 5]:
        return (
            f"random_split: fractions [0.25, 0.25, 0.5] of 10 samples should give [3, 2, 5] "
            f"samples, got {sizes}"
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
    "TensorDataset.__getitem__": Check(behaviour=_getitem_behaviour),
    "DataLoader.__len__": Check(behaviour=_len_behaviour),
    "DataLoader.__iter__": Check(behaviour=_iter_behaviour),
    "DataLoader._batches": Check(behaviour=_batches_behaviour),
    "random_split": Check(behaviour=_random_split_behaviour),
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
