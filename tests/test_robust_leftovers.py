"""Leftovers of the first round (issue 16, category 8): ``to_dtype`` to an integer or complex
dtype is refused as a constructor refuses it (PyTorch's ``Module.to`` accepts only floating
dtypes too), and so is an ``nn.init`` random fill of an integer or bool array; a GPT run
whose minimum learning rate is above its learning rate, or whose
warm-up is not shorter than the run, is refused before anything is written. (Orphaned
temporary files of any save in a folder: tests/test_serialization.py, the ``ORPHANS`` rows.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from minitorch import nn, optim
from minitorch.cli import main
from parity import HAVE_TORCH, torch

# (id, dtype, error words)
BAD_DTYPES = [
    ("int32", np.int32, "got dtype int32"),
    ("int64-name", "int64", "got dtype int64"),
    ("complex", np.complex64, "got dtype complex64"),
    ("bool", bool, "got dtype bool"),
    ("not-a-dtype", "nonsense", "dtype must be a NumPy dtype"),
    ("none", None, "give a dtype"),
]


@pytest.mark.parametrize("dtype, words", [r[1:] for r in BAD_DTYPES],
                         ids=[r[0] for r in BAD_DTYPES])  # fmt: skip
def test_to_dtype_refuses_what_parameters_cannot_be_and_changes_nothing(dtype, words):
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    before = model.state_dict()
    with pytest.raises(TypeError) as caught:
        model.to_dtype(dtype)
    assert "Sequential.to_dtype" in str(caught.value) and words in str(caught.value)
    for name, array in model.state_dict().items():
        assert array.dtype == before[name].dtype, name


def test_to_dtype_still_converts_to_every_float_dtype():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    for dtype in (np.float64, "float16", np.float32):
        model.to_dtype(dtype)
        assert model[0].W.dtype == np.dtype(dtype) and model[1].running_var.dtype == dtype
        assert model[1].num_batches_tracked.dtype == np.int64


# (id, nn.init fill, dtype): every random fill refuses an array that cannot hold its draws
# (torch: NotImplementedError "normal_kernel_cpu" not implemented for 'Int'), array untouched
INIT_FILLS = [
    (f"{name}-{np.dtype(dtype)}", name, dtype)
    for name in ("kaiming_normal_", "kaiming_uniform_", "xavier_normal_", "xavier_uniform_",
                 "normal_", "uniform_", "he_normal_")
    for dtype in (np.int32, np.int64, np.uint8, bool, np.complex64)
]  # fmt: skip


@pytest.mark.parametrize("name, dtype", [r[1:] for r in INIT_FILLS],
                         ids=[r[0] for r in INIT_FILLS])  # fmt: skip
def test_random_init_fills_refuse_an_integer_or_bool_array_naming_the_function(name, dtype):
    array = np.full((3, 4), 7, dtype=dtype)
    with pytest.raises(TypeError) as caught:
        getattr(nn.init, name)(array)
    message = str(caught.value)
    owner = "kaiming_normal_" if name == "he_normal_" else name
    assert message.startswith(f"{owner}: cannot fill an array of dtype {np.dtype(dtype)} ")
    assert "W = W.astype(np.float32)" in message and "PyTorch refuses it too" in message
    assert (array == np.full((3, 4), 7, dtype=dtype)).all()
    if HAVE_TORCH and dtype is not np.complex64:  # torch draws complex normals; minitorch refuses
        tensor = torch.zeros(3, 4, dtype=torch.from_numpy(np.zeros(1, dtype)).dtype)
        with pytest.raises(NotImplementedError, match="not implemented for"):
            getattr(torch.nn.init, "kaiming_normal_" if name == "he_normal_" else name)(tensor)


def test_constant_fills_keep_any_dtype_as_torchs_do():
    for dtype in (np.int32, bool, np.float32):
        assert (nn.init.ones_(np.zeros((2, 3), dtype)) == 1).all()
        assert (nn.init.constant_(np.ones((2, 3), dtype), 0) == 0).all()


# (id, options of 'minitorch train --model gpt', the one line): a new run names the options,
# not RUN/config.json (not written yet), and does not say "start a new run" (it is one)
GPT_SCHEDULES = [
    ("min-lr-above-lr", ["--lr", "0.001", "--min-lr", "0.01"],
     "--min-lr 0.01 is above --lr 0.001: the cosine decay would raise the learning rate; give "
     "--min-lr at most --lr"),
    ("warm-up-longer", ["--iters", "20", "--warmup-iters", "50"],
     "--warmup-iters 50 is not shorter than the run (--iters 20): the learning rate would never "
     "reach --lr nor decay; give --warmup-iters below --iters"),
    ("warm-up-the-whole-run", ["--iters", "20", "--warmup-iters", "20"],
     "--warmup-iters 20 is not shorter than the run (--iters 20): the learning rate would never "
     "reach --lr nor decay; give --warmup-iters below --iters"),
]  # fmt: skip


@pytest.mark.parametrize("options, message", [r[1:] for r in GPT_SCHEDULES],
                         ids=[r[0] for r in GPT_SCHEDULES])  # fmt: skip
def test_a_schedule_that_cannot_work_is_refused_before_the_run(options, message, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "gpt", *options, "--out", str(run)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"minitorch: error: {message}"]
    assert not run.exists()


# (id, config.json edit of a resumed GPT run, the one line after "RUN/config.json: "): an edited
# file is named, with its keys, and the fix
EDITED_SCHEDULES = [
    ("min-lr-above-lr", {"min_lr": 0.01},
     '"scheduler.min_lr" (0.01) is above "optimizer_options.lr" (0.001): the cosine decay would '
     "raise the learning rate; give --min-lr at most --lr; correct it, or start a new run with "
     "'minitorch train'"),
    ("warm-up-the-whole-run", {"warmup_iters": 2},
     '"scheduler.warmup_iters" (2) is not shorter than the run ("scheduler.decay_iters" 2): the '
     "learning rate would never reach --lr nor decay; give --warmup-iters below --iters; correct "
     "it, or start a new run with 'minitorch train'"),
]  # fmt: skip


@pytest.mark.parametrize("edit, message", [r[1:] for r in EDITED_SCHEDULES],
                         ids=[r[0] for r in EDITED_SCHEDULES])  # fmt: skip
def test_an_edited_schedule_of_a_resumed_run_names_its_config_json(edit, message, tmp_path,
                                                                    capsys):
    run = tmp_path / "run"
    tiny = ["--n-layer", "1", "--n-head", "1", "--n-embd", "8", "--block-size", "8",
            "--batch-size", "2", "--eval-batches", "1", "--eval-interval", "2", "--quiet"]
    assert main(["train", "--model", "gpt", "--iters", "2", "--lr", "0.001", "--min-lr",
                 "0.0001", "--warmup-iters", "1", *tiny, "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    config["scheduler"].update(edit)
    (run / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert main(["train", "--resume", str(run)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("minitorch: error: ")
    assert lines[0].endswith(f"config.json: {message}")


# --------------------------------------------- cross-entropy with class-probability targets
def _soft(rows, dtype=np.float64):
    return np.array(rows, dtype=dtype)


# (id, targets (2, 3), words of the ValueError: the argument, the sample, the cause)
BAD_SOFT_TARGETS = [
    ("negative", _soft([[0.5, 0.6, -0.1], [0, 0, 1]]), ["targets", "sample 0", "-0.1 at class 2",
                                                        "cannot be negative"]),
    ("negative-second-row", _soft([[0, 0, 1], [1.2, -0.2, 0]]), ["sample 1", "-0.2 at class 1"]),
    ("sums-above-one", _soft([[0, 0, 1], [0.5, 0.5, 0.5]]), ["sample 1", "sum to 1.5, not 1",
                                                             "targets.sum(axis=1"]),
    ("sums-below-one", _soft([[0.2, 0.2, 0.2], [0, 0, 1]]), ["sample 0", "sum to 0.6"]),
    ("multi-hot", _soft([[1, 1, 0], [0, 0, 1]]), ["sum to 2", "BCEWithLogitsLoss"]),
    ("counts", _soft([[3, 0, 1], [0, 2, 0]]), ["sample 0", "sum to 4"]),
    ("nan", _soft([[np.nan, 0, 1], [0, 0, 1]]), ["sample 0", "NaN or inf"]),
    ("inf", _soft([[0, 0, 1], [np.inf, 0, 0]]), ["sample 1", "NaN or inf"]),
    ("float32-off-by-1e-4", _soft([[0.3, 0.3, 0.4001], [0, 0, 1]], np.float32), ["sample 0",
                                                                                "not 1"]),
]  # fmt: skip


@pytest.mark.parametrize("targets, words", [r[1:] for r in BAD_SOFT_TARGETS],
                         ids=[r[0] for r in BAD_SOFT_TARGETS])  # fmt: skip
@pytest.mark.parametrize("call", ["module", "functional"])
def test_soft_targets_that_are_no_distribution_are_refused(targets, words, call):
    """PyTorch documents the rule (each sample's targets a distribution) but does not check it
    and returns a number; minitorch refuses it (README's table of differences)."""
    logits = np.linspace(-1, 1, 6).reshape(2, 3).astype(targets.dtype)
    with pytest.raises(ValueError) as caught:
        if call == "module":
            nn.CrossEntropyLoss()(logits, targets)
        else:
            nn.functional.cross_entropy_forward(logits, targets)
    message = str(caught.value)
    assert message.startswith("CrossEntropyLoss:" if call == "module" else "cross_entropy:")
    for word in words:
        assert word in message, message


def test_soft_targets_of_more_dimensions_name_the_position():
    logits, targets = np.zeros((2, 3, 4)), np.full((2, 3, 4), 1 / 3)
    targets[1, :, 2] = [0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match=r"targets of sample \(1, 2\).*sum to 1.5"):
        nn.CrossEntropyLoss()(logits, targets)


# (id, targets, dtype): distributions within rounding, and all-zero samples (skipped)
GOOD_SOFT_TARGETS = [
    ("dirichlet-float64", np.random.default_rng(0).dirichlet(np.ones(7), 5), np.float64),
    ("float32-softmax", None, np.float32),
    ("float32-1000-classes", np.random.default_rng(1).dirichlet(np.ones(1000), 4), np.float32),
    ("all-zero-sample", np.array([[0.0, 0, 0], [0.2, 0.3, 0.5]]), np.float64),
    ("one-hot", np.eye(4)[[3, 0, 1]], np.float64),
]


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")
@pytest.mark.parametrize("targets, dtype", [r[1:] for r in GOOD_SOFT_TARGETS],
                         ids=[r[0] for r in GOOD_SOFT_TARGETS])  # fmt: skip
def test_soft_targets_that_are_distributions_give_torchs_loss(targets, dtype):
    rng = np.random.default_rng(2)
    if targets is None:  # a float32 softmax: rows sum to 1 within a few ulp, not exactly
        targets = nn.functional.softmax(rng.standard_normal((6, 50)).astype(np.float32) * 3)
    targets = targets.astype(dtype)
    logits = rng.standard_normal(targets.shape).astype(dtype)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(logits, targets)
    grad = loss_fn.backward()
    x = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(x, torch.tensor(targets))
    expected.backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(loss, expected.item(), rtol=tol)
    np.testing.assert_allclose(grad, x.grad.numpy(), rtol=tol, atol=tol * 1e-3)


# ------------------------------------------------- regression losses at the float32 limit
# (id, x, y): float32 values whose difference or square overflows, and infinities
HUGE_REGRESSION = [
    ("3e38-minus-minus-3e38", 3e38, -3e38),
    ("square-of-3e38", 3e38, 0.0),
    ("minus-3e38-minus-3e38", -3e38, 3e38),
    ("inf-minus-inf", np.inf, np.inf),
    ("inf", np.inf, 0.0),
    ("minus-inf", -np.inf, 1.0),
]


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")
@pytest.mark.parametrize("x, y", [r[1:] for r in HUGE_REGRESSION],
                         ids=[r[0] for r in HUGE_REGRESSION])  # fmt: skip
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss", "HuberLoss"])
def test_regression_losses_overflow_quietly_to_torchs_values(loss, reduction, x, y):
    """No RuntimeWarning (the suite makes it an error): PyTorch's inf or NaN, forward and
    backward."""
    predictions = np.array([x, 1.5, -2.0], dtype=np.float32)
    targets = np.array([y, 1.0, -2.0], dtype=np.float32)
    loss_fn = getattr(nn, loss)(reduction=reduction)
    value = loss_fn(predictions, targets)
    grad_output = np.ones(3, np.float32) if reduction == "none" else None
    grad = loss_fn.backward(grad_output) if grad_output is not None else loss_fn.backward()
    xt = torch.tensor(predictions, requires_grad=True)
    expected = getattr(torch.nn, loss)(reduction=reduction)(xt, torch.tensor(targets))
    expected.backward(torch.ones(3) if reduction == "none" else None)
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-6)
    expected_grad = xt.grad.numpy()
    if loss == "L1Loss" and x == y == np.inf:
        # PyTorch's sign(NaN) is 0, hiding the NaN input; minitorch's gradient keeps it
        assert np.isnan(grad[0]) and expected_grad[0] == 0
        grad, expected_grad = grad[1:], expected_grad[1:]
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)
    assert np.asarray(value).dtype == np.float32 and grad.dtype == np.float32


# ------------------------------------- averaging factors of 1 or more: PyTorch accepts, they harm
# (id, optimizer, the argument, its value, words of why)
DIVERGING_FACTORS = [
    ("sgd-momentum-1.5", "SGD", "momentum", 1.5, "never forgets an old step"),
    ("sgd-momentum-1", "SGD", "momentum", 1, "never forgets an old step"),
    ("sgd-momentum-huge", "SGD", "momentum", 1e20, "grow without bound"),
    ("rmsprop-momentum-1.1", "RMSprop", "momentum", 1.1, "never forgets an old step"),
    ("rmsprop-alpha-1", "RMSprop", "alpha", 1.0, "keeps v at 0"),
    ("rmsprop-alpha-1.5", "RMSprop", "alpha", 1.5, "drives v below 0"),
]


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")
@pytest.mark.parametrize("owner, argument, value, why", [r[1:] for r in DIVERGING_FACTORS],
                         ids=[r[0] for r in DIVERGING_FACTORS])  # fmt: skip
@pytest.mark.parametrize("where", ["constructor", "parameter group", "load_state_dict"])
def test_averaging_factors_of_one_or_more_are_refused_saying_why(owner, argument, value, why,
                                                                 where):  # fmt: skip
    getattr(torch.optim, owner)([torch.nn.Parameter(torch.ones(2))], lr=0.1, **{argument: value})
    model = nn.Linear(2, 2)
    cls = getattr(optim, owner)
    with pytest.raises(ValueError) as caught:
        if where == "constructor":
            cls(model, lr=0.1, **{argument: value})
        elif where == "parameter group":
            cls([{"params": model, argument: value}], lr=0.1)
        else:
            optimizer = cls(model, lr=0.1)
            state = optimizer.state_dict()
            state["param_groups"]["0"][argument] = value
            optimizer.load_state_dict(state)
    message = str(caught.value)
    assert message.startswith(owner) and f"{argument} must be in [0, 1), got {value!r}" in message
    assert why in message and "PyTorch accepts it" in message, message


def test_averaging_factors_below_one_still_train():
    for cls, options in ((optim.SGD, {"momentum": 0.99}), (optim.RMSprop, {"alpha": 0.999,
                                                                           "momentum": 0.99})):
        model = nn.Linear(2, 2)
        optimizer = cls(model, lr=0.1, **options)
        model.dW, model.db = np.ones_like(model.W), np.ones_like(model.b)
        optimizer.step()
        assert np.isfinite(model.W).all()
