"""Learning-rate schedulers: the lr sequences against PyTorch's (element by element, 1e-10),
training with a schedule, state_dict round trips and argument errors."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.optim import lr_scheduler
from parity import GOLDEN_DIR, RTOL, assert_matches_torch, torch

BASE_LR = 0.1


def make_optimizer(lr: float = BASE_LR) -> optim.SGD:
    return optim.SGD(nn.Linear(3, 2), lr=lr)


def minitorch_lrs(make_scheduler, steps: int) -> np.ndarray:
    """``[lr at epoch 0, lr at epoch 1, ...]``: what optimizer.lr is during each epoch."""
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    lrs = [optimizer.lr]
    for _ in range(steps):
        scheduler.step()
        assert scheduler.get_last_lr() == [optimizer.lr]
        lrs.append(optimizer.lr)
    return np.array(lrs)


def torch_lrs(make_scheduler, steps: int) -> np.ndarray:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    scheduler = make_scheduler(optimizer)
    lrs = [optimizer.param_groups[0]["lr"]]
    with warnings.catch_warnings():  # "scheduler.step() before optimizer.step()": no training here
        warnings.simplefilter("ignore")
        for _ in range(steps):
            scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
    return np.array(lrs)


def assert_lrs_match(case: str, ours: np.ndarray, theirs, every: int = 1) -> None:
    """Compare with PyTorch (live and golden), then element by element against the golden file.

    The harness measures differences relative to the largest lr; a schedule that decays by
    orders of magnitude needs each lr compared with its own size, which the second check does.
    ``every`` keeps one lr in ``every`` (long schedules; their drift is systematic).
    """
    ours = ours[::every]
    assert_matches_torch(case, {"lr": ours}, lambda: {"lr": theirs()[::every]})
    with np.load(GOLDEN_DIR / f"{case}.npz") as golden:
        expected = golden["lr"]
    zero = expected == 0
    assert np.all(ours[zero] == 0), f"{case}: PyTorch's lr is exactly 0 where ours is not"
    relative = np.abs(ours[~zero] - expected[~zero]) / np.abs(expected[~zero])
    assert relative.max(initial=0) <= RTOL, f"{case}: lr differs by {relative.max():.2e}"


T = torch.optim.lr_scheduler if torch is not None else None


def nanogpt_get_lr(it, learning_rate, warmup_iters, lr_decay_iters, min_lr):
    """nanoGPT's get_lr (train.py), as it is written there: WarmupCosineLR's oracle."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def nanogpt_lambda(*settings):
    """nanoGPT's schedule as a torch LambdaLR factor of the base learning rate."""
    return lambda it: nanogpt_get_lr(it, BASE_LR, *settings) / BASE_LR


# (case, minitorch factory, torch factory, steps, keep every n-th lr)
SCHEDULES = [
    ("steplr_3_0.1", lambda o: lr_scheduler.StepLR(o, 3), lambda o: T.StepLR(o, 3), 30, 1),
    (
        "steplr_7_0.5",
        lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
        lambda o: T.StepLR(o, step_size=7, gamma=0.5),
        60,
        1,
    ),
    (
        "steplr_1_0.9_long",
        lambda o: lr_scheduler.StepLR(o, 1, 0.9),
        lambda o: T.StepLR(o, 1, 0.9),
        2000,
        20,
    ),
    (
        "multisteplr_repeated",  # a milestone listed twice decays twice
        lambda o: lr_scheduler.MultiStepLR(o, [2, 5, 5, 9]),
        lambda o: T.MultiStepLR(o, [2, 5, 5, 9]),
        20,
        1,
    ),
    (
        "multisteplr_unsorted_from_0",
        lambda o: lr_scheduler.MultiStepLR(o, milestones=[7, 0, 3], gamma=0.5),
        lambda o: T.MultiStepLR(o, milestones=[7, 0, 3], gamma=0.5),
        12,
        1,
    ),
    (
        "exponentiallr_0.9",
        lambda o: lr_scheduler.ExponentialLR(o, 0.9),
        lambda o: T.ExponentialLR(o, 0.9),
        300,
        1,
    ),
    (
        "exponentiallr_0.99_long",
        lambda o: lr_scheduler.ExponentialLR(o, gamma=0.99),
        lambda o: T.ExponentialLR(o, gamma=0.99),
        5000,
        25,
    ),
    (
        "exponentiallr_1.01",
        lambda o: lr_scheduler.ExponentialLR(o, 1.01),
        lambda o: T.ExponentialLR(o, 1.01),
        200,
        1,
    ),
    (
        "cosine_10",
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10),
        lambda o: T.CosineAnnealingLR(o, T_max=10),
        30,
        1,
    ),
    (
        "cosine_10_eta_min",
        lambda o: lr_scheduler.CosineAnnealingLR(o, 10, eta_min=1e-3),
        lambda o: T.CosineAnnealingLR(o, 10, eta_min=1e-3),
        30,
        1,
    ),
    (
        "cosine_7_eta_min",
        lambda o: lr_scheduler.CosineAnnealingLR(o, 7, 0.05),
        lambda o: T.CosineAnnealingLR(o, 7, 0.05),
        21,
        1,
    ),
    (
        "cosine_1",
        lambda o: lr_scheduler.CosineAnnealingLR(o, 1),
        lambda o: T.CosineAnnealingLR(o, 1),
        6,
        1,
    ),
    (
        "cosine_100",
        lambda o: lr_scheduler.CosineAnnealingLR(o, 100, 1e-4),
        lambda o: T.CosineAnnealingLR(o, 100, 1e-4),
        300,
        1,
    ),
    (
        # Here the closed formula drifts 5e-10 from PyTorch's recursion: we must recurse too.
        "cosine_10000_eta_min_long",
        lambda o: lr_scheduler.CosineAnnealingLR(o, 10000, eta_min=0.05),
        lambda o: T.CosineAnnealingLR(o, 10000, eta_min=0.05),
        30000,
        100,
    ),
    (
        "lambdalr_power",
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.95**epoch),
        lambda o: T.LambdaLR(o, lambda epoch: 0.95**epoch),
        50,
        1,
    ),
    (
        "lambdalr_warmup",
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: min(1.0, (epoch + 1) / 5)),
        lambda o: T.LambdaLR(o, lambda epoch: min(1.0, (epoch + 1) / 5)),
        12,
        1,
    ),
    (
        "lambdalr_integer_factor",  # the factor is 0 at first: lr 0, then 1·base, 2·base, ...
        lambda o: lr_scheduler.LambdaLR(o, lambda epoch: epoch // 3),
        lambda o: T.LambdaLR(o, lambda epoch: epoch // 3),
        12,
        1,
    ),
    (
        "linearlr_defaults",
        lambda o: lr_scheduler.LinearLR(o),
        lambda o: T.LinearLR(o),
        12,
        1,
    ),
    (
        "linearlr_down_to_zero",
        lambda o: lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10),
        lambda o: T.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10),
        20,
        1,
    ),
    (
        "linearlr_0.5_0.2_7",
        lambda o: lr_scheduler.LinearLR(o, 0.5, 0.2, 7),
        lambda o: T.LinearLR(o, 0.5, 0.2, 7),
        21,
        1,
    ),
    (
        "warmup_cosine_5_20",
        lambda o: lr_scheduler.WarmupCosineLR(o, 5, 20, min_lr=1e-3),
        lambda o: T.LambdaLR(o, nanogpt_lambda(5, 20, 1e-3)),
        30,
        1,
    ),
    (
        "warmup_cosine_no_warmup",
        lambda o: lr_scheduler.WarmupCosineLR(o, warmup_iters=0, lr_decay_iters=10),
        lambda o: T.LambdaLR(o, nanogpt_lambda(0, 10, 0.0)),
        15,
        1,
    ),
    (
        "warmup_cosine_100_2000_long",  # the CLI's GPT defaults
        lambda o: lr_scheduler.WarmupCosineLR(o, 100, 2000, min_lr=0.01),
        lambda o: T.LambdaLR(o, nanogpt_lambda(100, 2000, 0.01)),
        2500,
        5,
    ),
    (
        "linearlr_1000_long",
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=1000),
        lambda o: T.LinearLR(o, start_factor=0.01, total_iters=1000),
        3000,
        10,
    ),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    ("case", "ours", "theirs", "steps", "every"), SCHEDULES, ids=[s[0] for s in SCHEDULES]
)
def test_lr_sequence_matches_torch(case, ours, theirs, steps, every):
    assert_lrs_match(
        f"sched_{case}", minitorch_lrs(ours, steps), lambda: torch_lrs(theirs, steps), every
    )


# ---------------------------------------------------------------------- training with a schedule
def train_with_schedule(make_optimizer, make_scheduler, steps: int = 12):
    """A float64 Linear(4 -> 3) trained with gradients G_t + 0.3·θ; the weights after each step."""
    layer = nn.Linear(4, 3, dtype=np.float64)
    initial = [layer.W.copy(), layer.b.copy()]
    optimizer = make_optimizer(layer)
    scheduler = make_scheduler(optimizer)
    rng = np.random.default_rng(3)
    trajectory = []
    for _ in range(steps):
        layer.dW = rng.standard_normal(layer.W.shape) + 0.3 * layer.W
        layer.db = rng.standard_normal(layer.b.shape) + 0.3 * layer.b
        optimizer.step()
        scheduler.step()
        trajectory.append(np.concatenate([layer.W.ravel(), layer.b.ravel()]))
    return initial, np.stack(trajectory)


def torch_train_with_schedule(initial, make_optimizer, make_scheduler, steps: int = 12):
    weight = torch.tensor(initial[0].T.copy(), requires_grad=True)
    bias = torch.tensor(initial[1].reshape(-1).copy(), requires_grad=True)
    optimizer = make_optimizer([weight, bias])
    scheduler = make_scheduler(optimizer)
    rng = np.random.default_rng(3)
    trajectory = []
    for _ in range(steps):
        weight.grad = torch.tensor(rng.standard_normal(initial[0].shape).T) + 0.3 * weight.detach()
        bias.grad = torch.tensor(rng.standard_normal(initial[1].shape)[0]) + 0.3 * bias.detach()
        optimizer.step()
        scheduler.step()
        w, b = weight.detach().numpy(), bias.detach().numpy()
        trajectory.append(np.concatenate([w.T.ravel(), b.ravel()]))
    return np.stack(trajectory)


TRAINING = [
    (
        "sgd_momentum_steplr",
        lambda m: optim.SGD(m, lr=0.1, momentum=0.9),
        lambda o: lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False),
        lambda o: T.StepLR(o, step_size=4, gamma=0.5),
    ),
    (
        "adam_cosine",
        lambda m: optim.Adam(m, lr=0.05),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
        lambda p: torch.optim.Adam(p, lr=0.05, foreach=False),
        lambda o: T.CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
    ),
    (
        "adagrad_linearlr",
        lambda m: optim.Adagrad(m, lr=0.1, lr_decay=0.1),
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=6),
        lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.1, foreach=False),
        lambda o: T.LinearLR(o, start_factor=0.25, total_iters=6),
    ),
    (  # W and b in two groups with their own lr and weight decay: each group's own base_lr
        "adamw_groups_cosine",
        lambda m: optim.AdamW(
            [
                {"params": optim.ParameterGroup(m, ["W"]), "weight_decay": 0.1},
                {"params": optim.ParameterGroup(m, ["b"]), "lr": 0.02, "weight_decay": 0.0},
            ],
            lr=0.05,
        ),
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
        lambda p: torch.optim.AdamW(
            [
                {"params": [p[0]], "weight_decay": 0.1},
                {"params": [p[1]], "lr": 0.02, "weight_decay": 0.0},
            ],
            lr=0.05,
            foreach=False,
        ),
        lambda o: T.CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
    ),
    (
        "adamw_warmup_cosine",
        lambda m: optim.AdamW(m, lr=BASE_LR, betas=(0.9, 0.99), weight_decay=0.1),
        lambda o: lr_scheduler.WarmupCosineLR(o, warmup_iters=3, lr_decay_iters=9, min_lr=1e-3),
        lambda p: torch.optim.AdamW(
            p, lr=BASE_LR, betas=(0.9, 0.99), weight_decay=0.1, foreach=False
        ),
        lambda o: T.LambdaLR(o, nanogpt_lambda(3, 9, 1e-3)),
    ),
]


@pytest.mark.parity
@pytest.mark.parametrize(
    ("case", "ours_opt", "ours_sched", "torch_opt", "torch_sched"),
    TRAINING,
    ids=[t[0] for t in TRAINING],
)
def test_training_with_a_schedule_matches_torch(case, ours_opt, ours_sched, torch_opt, torch_sched):
    initial, trajectory = train_with_schedule(ours_opt, ours_sched)
    assert_matches_torch(
        f"sched_train_{case}",
        {"params": trajectory},
        lambda: {"params": torch_train_with_schedule(initial, torch_opt, torch_sched)},
    )


def test_the_optimizer_reads_the_scheduled_lr_at_every_step():
    layer = nn.Linear(2, 2, bias=False)
    layer.W[...] = 0
    layer.dW = np.ones_like(layer.W)
    optimizer = optim.SGD(layer, lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for expected_w in (-1.0, -1.5, -1.75, -1.875):  # steps of lr 1, 0.5, 0.25, 0.125: exact
        optimizer.step()
        scheduler.step()
        assert np.array_equal(layer.W, np.full((2, 2), expected_w))


# ---------------------------------------------------------------------- the scheduler's own API
def test_construction_sets_the_lr_of_epoch_0():
    cases = [
        (lambda o: lr_scheduler.StepLR(o, 2), BASE_LR),
        (lambda o: lr_scheduler.MultiStepLR(o, [0, 4], gamma=0.5), BASE_LR * 0.5),
        (lambda o: lr_scheduler.ExponentialLR(o, 0.5), BASE_LR),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, 10), BASE_LR),
        (lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 0.1 * (epoch + 1)), BASE_LR * 0.1),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0.25), BASE_LR * 0.25),
        (lambda o: lr_scheduler.WarmupCosineLR(o, 3, 10), BASE_LR / 4),
        (  # max_lr / div_factor (the cosine's start rounds 1 ulp off it, as PyTorch's)
            lambda o: lr_scheduler.OneCycleLR(
                o, 2.5, 10, cycle_momentum=False, anneal_strategy="linear"
            ),
            BASE_LR,
        ),
    ]
    for make, expected in cases:
        optimizer = make_optimizer()
        scheduler = make(optimizer)
        assert scheduler.last_epoch == 0
        assert scheduler.base_lrs == [BASE_LR]
        assert optimizer.lr == expected and scheduler.get_last_lr() == [expected]


def test_closed_forms_give_the_documented_values():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.1)
    for _ in range(7):
        scheduler.step()
    assert scheduler.last_epoch == 7 and optimizer.lr == BASE_LR * 0.1**2
    optimizer = make_optimizer()
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.5, end_factor=1.0, total_iters=4)
    scheduler.step()
    assert optimizer.lr == pytest.approx(BASE_LR * 0.625, rel=1e-15)
    optimizer = make_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.01)
    for _ in range(2):
        scheduler.step()
    assert optimizer.lr == pytest.approx(0.01 + (BASE_LR - 0.01) / 2, rel=1e-14)


SAVED_SCHEDULES = [
    lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    lambda o: lr_scheduler.MultiStepLR(o, [1, 4, 4, 6], gamma=0.5),
    lambda o: lr_scheduler.ExponentialLR(o, 0.9),
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=3, eta_min=0.01),
    lambda o: lr_scheduler.LambdaLR(o, lambda epoch: 1 / (epoch + 1)),
    lambda o: lr_scheduler.LinearLR(o, 0.2, 0.9, 5),
    lambda o: lr_scheduler.WarmupCosineLR(o, 3, 8, min_lr=0.01),
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=20, cycle_momentum=False),
    lambda o: lr_scheduler.OneCycleLR(o, [0.5], epochs=4, steps_per_epoch=5, three_phase=True,
                                      anneal_strategy="linear", cycle_momentum=False),
]
SAVED_IDS = [
    "step", "multistep", "exponential", "cosine", "lambda", "linear", "warmup_cosine",
    "one_cycle", "one_cycle_three_phase",
]


@pytest.mark.parametrize("make_scheduler", SAVED_SCHEDULES, ids=SAVED_IDS)
def test_state_dict_round_trip_through_save_and_load_resumes_exactly(tmp_path, make_scheduler):
    reference = make_scheduler(make_optimizer())
    expected = []
    for _ in range(12):
        reference.step()
        expected.append(reference.get_last_lr()[0])

    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    for _ in range(5):
        scheduler.step()
    state = scheduler.state_dict()
    for value in state.values():  # what minitorch.save writes without pickle
        assert isinstance(value, (int, float, str)) or all(
            isinstance(v, (int, float)) for v in value
        )
    path = minitorch.save(
        {"optimizer": optimizer.state_dict(), "scheduler": state}, tmp_path / "ckpt.npz"
    )

    resumed_optimizer = make_optimizer(lr=7.0)  # wrong lr: both state dicts must fix it
    resumed = make_scheduler(resumed_optimizer)
    loaded = minitorch.load(path)
    resumed.load_state_dict(loaded["scheduler"])
    assert resumed_optimizer.lr == optimizer.lr and resumed.last_epoch == 5
    resumed_optimizer.load_state_dict(loaded["optimizer"])
    got = []
    for _ in range(7):
        resumed.step()
        got.append(resumed.get_last_lr()[0])
    assert got == expected[5:]


def test_lambda_lr_does_not_save_its_function():
    scheduler = lr_scheduler.LambdaLR(make_optimizer(), lambda epoch: 0.5)
    assert set(scheduler.state_dict()) == {"last_epoch", "base_lrs", "last_lr"}


def test_load_state_dict_refuses_another_schedulers_state():
    step_state = lr_scheduler.StepLR(make_optimizer(), 3).state_dict()
    cosine = lr_scheduler.CosineAnnealingLR(make_optimizer(), 10)
    with pytest.raises(KeyError, match=r"missing: \['T_max', 'eta_min'\]; unexpected: \['gamma'"):
        cosine.load_state_dict(step_state)
    scheduler = lr_scheduler.StepLR(make_optimizer(), 3)
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: step_size must be a positive"):
        scheduler.load_state_dict({**step_state, "step_size": 0})
    assert scheduler.step_size == 3


def test_repr_shows_settings_epoch_and_lr():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=30, gamma=0.1)
    assert repr(scheduler) == "StepLR(step_size=30, gamma=0.1, last_epoch=0, lr=0.1)"


class HalvingLR(lr_scheduler.LRScheduler):
    """A student's schedule written as in PyTorch."""

    def get_lr(self):
        return [base_lr * 0.5**self.last_epoch for base_lr in self.base_lrs]


def test_a_custom_scheduler_needs_only_get_lr():
    optimizer = make_optimizer(lr=1.0)
    scheduler = HalvingLR(optimizer)
    scheduler.step()
    scheduler.step()
    assert optimizer.lr == 0.25 and scheduler.get_last_lr() == [0.25]


BAD_SCHEDULERS = [
    (lambda o: lr_scheduler.StepLR(o, 0), ValueError, "StepLR: step_size must be a positive"),
    (lambda o: lr_scheduler.StepLR(o, 2.5), TypeError, "StepLR: step_size must be an int"),
    (lambda o: lr_scheduler.StepLR(o, True), TypeError, "StepLR: step_size must be an int"),
    (lambda o: lr_scheduler.StepLR(o, 3, gamma=0), ValueError, "StepLR: gamma is the factor"),
    (lambda o: lr_scheduler.StepLR(o, 3, gamma="0.1"), TypeError, "StepLR: gamma must be a num"),
    (lambda o: lr_scheduler.MultiStepLR(o, [3, -1]), ValueError, "milestones must be non-neg"),
    (lambda o: lr_scheduler.MultiStepLR(o, [2.5]), ValueError, "MultiStepLR: milestones must"),
    (lambda o: lr_scheduler.MultiStepLR(o, 30), TypeError, "milestones must be a list of epochs"),
    (lambda o: lr_scheduler.MultiStepLR(o, [3], gamma=-1), ValueError, "MultiStepLR: gamma"),
    (lambda o: lr_scheduler.ExponentialLR(o, 0.0), ValueError, "ExponentialLR: gamma is the"),
    (
        lambda o: lr_scheduler.LinearLR(o, start_factor=0),
        ValueError,
        "LinearLR: start_factor must be in (0, 1], got 0.0",
    ),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=1.5), ValueError, "start_factor must be"),
    (
        lambda o: lr_scheduler.LinearLR(o, end_factor=-0.1),
        ValueError,
        "LinearLR: end_factor must be in [0, 1], got -0.1",
    ),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2), ValueError, "end_factor must be in [0, 1]"),
    (lambda o: lr_scheduler.LinearLR(o, total_iters=0), ValueError, "total_iters must be a pos"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 0), ValueError, "T_max must be a positive"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, 10, -1e-3), ValueError, "eta_min must be >= 0"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.95), TypeError, "LambdaLR: lr_lambda must be a func"),
    (lambda o: lr_scheduler.WarmupCosineLR(o, -1, 10), ValueError, "warmup_iters must be >= 0"),
    (lambda o: lr_scheduler.WarmupCosineLR(o, 2, 1.5), TypeError, "lr_decay_iters must be an int"),
    (lambda o: lr_scheduler.WarmupCosineLR(o, 2, 9, -1), ValueError, "min_lr must be >= 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="minimum"), ValueError,
     "ReduceLROnPlateau: mode must be 'min' or 'max', got 'minimum'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError,
     "ReduceLROnPlateau: factor must be in [0, 1), got 1.0 (1 or more would never lower"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=-0.1), ValueError,
     "ReduceLROnPlateau: factor must be in [0, 1), got -0.1"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=-1), ValueError,
     "ReduceLROnPlateau: patience must be >= 0, got -1"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=2.5), TypeError,
     "ReduceLROnPlateau: patience must be an int"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold=-1e-4), ValueError,
     "ReduceLROnPlateau: threshold must be >= 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="relative"), ValueError,
     "ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, cooldown=-2), ValueError,
     "ReduceLROnPlateau: cooldown must be >= 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=-1), ValueError,
     "ReduceLROnPlateau: min_lr must be >= 0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError,
     "ReduceLROnPlateau: min_lr has 2 values but the optimizer has 1 parameter groups"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, eps="1e-8"), TypeError,
     "ReduceLROnPlateau: eps must be a number"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1), ValueError,
     "OneCycleLR: give total_steps, or epochs and steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=3), ValueError,
     "OneCycleLR: give total_steps, or epochs and steps_per_epoch"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 0), ValueError,
     "OneCycleLR: total_steps must be >= 1, got 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10.0), TypeError,
     "OneCycleLR: total_steps must be an int"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=5), ValueError,
     "OneCycleLR: epochs must be >= 1"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=-5), ValueError,
     "OneCycleLR: steps_per_epoch must be >= 1"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 12, epochs=2, steps_per_epoch=5), ValueError,
     "OneCycleLR: total_steps=12 but epochs · steps_per_epoch = 2 · 5 = 10"),
    (lambda o: lr_scheduler.OneCycleLR(o, -0.1, 10), ValueError,
     "OneCycleLR: max_lr must be >= 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, [0.1, 0.2], 10), ValueError,
     "OneCycleLR: max_lr has 2 values but the optimizer has 1 parameter groups"),
    (lambda o: lr_scheduler.OneCycleLR(o, "0.1", 10), TypeError,
     "OneCycleLR: max_lr must be a number"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError,
     "OneCycleLR: pct_start must be"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, anneal_strategy="cosine"), ValueError,
     "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'cosine'"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, base_momentum=1.0), ValueError,
     "OneCycleLR: base_momentum must be"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, max_momentum=[0.9, 0.9]), ValueError,
     "OneCycleLR: max_momentum has 2 values"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, div_factor=0), ValueError,
     "OneCycleLR: div_factor must be"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, final_div_factor=-1), ValueError,
     "OneCycleLR: final_div_factor must be"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, three_phase="yes"), TypeError,
     "OneCycleLR: three_phase must be True or False"),
    (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10, cycle_momentum=1), TypeError,
     "OneCycleLR: cycle_momentum must be True or False"),
    (lambda o: lr_scheduler.OneCycleLR(nn.Linear(2, 2), 0.1, 10), TypeError,
     "OneCycleLR expects an optimizer such as optim.SGD(model, lr=0.1), got Linear"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(nn.Linear(2, 2)), TypeError,
     "ReduceLROnPlateau expects an optimizer"),
]


@pytest.mark.parametrize(("make", "error", "message"), BAD_SCHEDULERS)
def test_bad_scheduler_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make(make_optimizer())


def test_a_scheduler_needs_an_optimizer():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"StepLR expects an optimizer such as optim.SGD"):
        lr_scheduler.StepLR(model, 10)


def test_cosine_annealing_follows_the_cosine_back_up_after_t_max():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    lrs = [optimizer.lr]
    for _ in range(8):
        scheduler.step()
        lrs.append(optimizer.lr)
    closed = [BASE_LR * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    assert lrs[4] == 0.0
    np.testing.assert_allclose(lrs, closed, rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("base_lrs", [-1.0], "base_lrs must be >= 0"),
        ("base_lrs", [0.1, 0.1], "base_lrs holds 2 learning rates, but the optimizer has 1 par"),
        ("last_lr", [float("nan")], "last_lr must be a finite number"),
        ("last_lr", ["0.1"], "last_lr must be a number"),
        ("last_epoch", 2.5, "last_epoch must be a whole number >= -1"),
        ("last_epoch", -7, "last_epoch must be a whole number >= -1"),
    ],
)
def test_load_state_dict_validates_the_numbers(key, value, words):
    from minitorch import nn, optim
    from minitorch.optim.lr_scheduler import StepLR

    optimizer = optim.SGD(nn.Linear(2, 2), lr=0.1)
    scheduler = StepLR(optimizer, step_size=2)
    state = scheduler.state_dict()
    state[key] = value
    with pytest.raises((TypeError, ValueError), match=words):
        StepLR(optim.SGD(nn.Linear(2, 2), lr=0.1), step_size=2).load_state_dict(state)
    assert scheduler.last_epoch == 0 and optimizer.lr == 0.1


# ---------------------------------------------------------------------- parameter groups
def two_groups(lrs=(0.1, 0.02)):
    """SGD on a Linear whose W and b are two parameter groups with their own learning rates."""
    layer = nn.Linear(3, 2)
    weight, bias = optim.ParameterGroup(layer, ["W"]), optim.ParameterGroup(layer, ["b"])
    return optim.SGD([{"params": weight}, {"params": bias, "lr": lrs[1]}], lr=lrs[0])


def test_a_scheduler_sets_every_groups_lr_from_its_own_base_lr():
    optimizer = two_groups()
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.step()
    assert scheduler.base_lrs == [0.1, 0.02]
    assert [group["lr"] for group in optimizer.param_groups] == [0.05, 0.01]
    assert scheduler.get_last_lr() == [0.05, 0.01]
    with pytest.raises(AttributeError, match=r"groups have different values \(0.05, 0.01\)"):
        optimizer.lr  # noqa: B018
    resumed = lr_scheduler.StepLR(two_groups(), step_size=1, gamma=0.5)
    resumed.load_state_dict(scheduler.state_dict())
    assert [group["lr"] for group in resumed.optimizer.param_groups] == [0.05, 0.01]
    with pytest.raises(ValueError, match=r"base_lrs holds 2 learning rates, but the optimizer"):
        lr_scheduler.StepLR(make_optimizer(), step_size=1).load_state_dict(scheduler.state_dict())


def test_a_state_dict_saved_before_parameter_groups_still_loads():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=2)
    scheduler.load_state_dict(
        {"last_epoch": 4, "base_lr": 0.5, "last_lr": 0.125, "step_size": 2, "gamma": 0.5}
    )
    assert scheduler.base_lrs == [0.5] and scheduler.optimizer.lr == 0.125


WARMUP_COSINE = [  # (warmup_iters, decay_iters of training.warmup_cosine_lr, min_lr)
    (3, 12, 1e-4),
    (0, 10, 0.0),
    (100, 2000, 1e-4),
    (5, 6, 0.01),  # the cosine is one iteration long
    (8, 4, 0.01),  # decay ends inside the warm-up: min_lr from there
]


def counted_from_1(step, lr, min_lr, warmup_iters, decay_iters):
    """The CLI's schedule as training.warmup_cosine_lr wrote it before WarmupCosineLR
    (iterations from 1, decay_iters the iteration that trains with min_lr)."""
    if step <= warmup_iters:
        return lr * step / (warmup_iters + 1)
    if step >= decay_iters:
        return min_lr
    ratio = (step - 1 - warmup_iters) / (decay_iters - 1 - warmup_iters)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


@pytest.mark.parametrize(("warmup", "decay", "min_lr"), WARMUP_COSINE)
def test_warmup_cosine_is_the_former_warmup_cosine_lr_to_the_bit(warmup, decay, min_lr):
    """The former training.warmup_cosine_lr counted iterations from 1 and named the last cosine
    iteration decay_iters; WarmupCosineLR counts from 0 (last_epoch, nanoGPT's it), so
    lr_decay_iters = decay_iters - 1 gives the same bits (the CLI's GPT runs rely on it)."""
    optimizer = make_optimizer(lr=1e-3)
    scheduler = lr_scheduler.WarmupCosineLR(optimizer, warmup, decay - 1, min_lr=min_lr)
    for step in range(1, decay + 20):
        expected = counted_from_1(step, 1e-3, min_lr, warmup, decay)
        assert optimizer.lr == expected, step
        settings = {"warmup_iters": warmup, "lr_decay_iters": decay - 1, "min_lr": min_lr}
        assert lr_scheduler.WarmupCosineLR.lr_at(step - 1, 1e-3, **settings) == expected
        scheduler.step()


# ------------------------------------------------------------ OneCycleLR, ReduceLROnPlateau
# Two parameter groups with their own lr (and momentum), as PyTorch's: each schedule acts on both.
OPTIMIZER_KINDS = {  # name: (the optimizer class name in both, its options)
    "sgd": ("SGD", dict(momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(momentum=0.5, nesterov=True)),
    "adam": ("Adam", dict(betas=(0.8, 0.99))),
    "adamw": ("AdamW", dict()),
    "rmsprop": ("RMSprop", dict(momentum=0.5)),
    "adagrad": ("Adagrad", dict()),
    "adadelta": ("Adadelta", dict()),
}


def two_group_optimizer(kind: str):
    name, options = OPTIMIZER_KINDS[kind]
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2))
    groups = [{"params": model[0]}, {"params": model[1], "lr": 0.02}]
    return getattr(optim, name)(groups, lr=0.1, **options)


def two_group_torch_optimizer(kind: str):
    name, options = OPTIMIZER_KINDS[kind]
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.02}]
    return getattr(torch.optim, name)(groups, lr=0.1, **options)


def group_values(optimizer) -> list[float]:
    """Each group's lr, then each group's momentum (SGD, RMSprop) or betas[0] (Adam)."""
    groups = optimizer.param_groups
    momenta = [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in groups]
    return [float(g["lr"]) for g in groups] + [float(m) for m in momenta]


def run_schedule(optimizer, scheduler, steps: int, metrics=None) -> np.ndarray:
    """The groups' values after construction and after each ``step()`` (``step(metric)``)."""
    values = [group_values(optimizer)]
    with warnings.catch_warnings():  # torch: "scheduler.step() before optimizer.step()"
        warnings.simplefilter("ignore")
        for step in range(steps):
            scheduler.step() if metrics is None else scheduler.step(metrics[step])
            values.append(group_values(optimizer))
    return np.array(values)


# (case, optimizer kind, OneCycleLR's keyword arguments): the run is total_steps long.
ONE_CYCLE = [
    ("sgd_defaults", "sgd", dict(max_lr=0.5, total_steps=100)),
    ("sgd_max_lr_per_group", "sgd", dict(max_lr=[1.0, 0.3], total_steps=57)),
    ("adam_betas", "adam", dict(max_lr=0.01, epochs=5, steps_per_epoch=11)),
    (
        "adamw_three_phase_linear",
        "adamw",
        dict(max_lr=[0.02, 0.01], total_steps=40, three_phase=True, anneal_strategy="linear"),
    ),
    (
        "sgd_momenta_per_group",
        "sgd_nesterov",
        dict(max_lr=0.2, total_steps=30, base_momentum=[0.8, 0.6], max_momentum=[0.9, 0.95],
             pct_start=0.5, div_factor=10, final_div_factor=100),
    ),
    ("rmsprop_three_phase", "rmsprop", dict(max_lr=0.05, total_steps=25, three_phase=True)),
    ("adagrad_no_momentum", "adagrad", dict(max_lr=0.1, total_steps=20, cycle_momentum=False)),
    ("sgd_pct_start_0", "sgd", dict(max_lr=0.1, total_steps=12, pct_start=0.0)),
    ("sgd_one_step", "sgd", dict(max_lr=0.1, total_steps=1)),
    ("sgd_long", "sgd", dict(max_lr=0.4, total_steps=5000, pct_start=0.25)),
]


@pytest.mark.parity
@pytest.mark.parametrize(("case", "kind", "options"), ONE_CYCLE, ids=[c[0] for c in ONE_CYCLE])
def test_one_cycle_lr_and_momentum_of_every_group_match_torch(case, kind, options):
    optimizer = two_group_optimizer(kind)
    scheduler = lr_scheduler.OneCycleLR(optimizer, **options)
    steps = scheduler.total_steps  # every step of the cycle, and the one past its end

    def theirs():
        torch_optimizer = two_group_torch_optimizer(kind)
        torch_scheduler = T.OneCycleLR(torch_optimizer, **options)
        return {"values": run_schedule(torch_optimizer, torch_scheduler, steps)}

    ours = run_schedule(optimizer, scheduler, steps)
    assert scheduler.get_last_lr() == [float(g["lr"]) for g in optimizer.param_groups]
    assert_matches_torch(f"sched_onecycle_{case}", {"values": ours}, theirs)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_refuses_a_step_past_total_steps_as_torch_does(kind):
    optimizer = two_group_optimizer(kind)
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=5)
    torch_scheduler = T.OneCycleLR(two_group_torch_optimizer(kind), max_lr=0.1, total_steps=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(5):
            scheduler.step()
            torch_scheduler.step()
        with pytest.raises(ValueError, match="Tried to step 6 times"):
            torch_scheduler.step()
    before = group_values(optimizer)
    with pytest.raises(ValueError, match=r"OneCycleLR: tried to step 6 times, but the cycle has "
                                         r"total_steps=5: build the scheduler with the number"):
        scheduler.step()
    assert group_values(optimizer) == before and scheduler.last_epoch == 5


@pytest.mark.parametrize("kind", ["adagrad", "adadelta"])
def test_one_cycle_refuses_to_cycle_a_momentum_the_optimizer_lacks(kind):
    name = OPTIMIZER_KINDS[kind][0]
    with pytest.raises(ValueError, match=rf"needs an optimizer with a momentum.*{name} has neith"):
        lr_scheduler.OneCycleLR(two_group_optimizer(kind), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        T.OneCycleLR(two_group_torch_optimizer(kind), max_lr=0.1, total_steps=10)


# A metric sequence with improvements, plateaus, a tiny gain under the threshold, and a rise.
METRICS = [1.0, 0.9, 0.9, 0.9, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
           0.49999, 0.5, 0.5, 0.7, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2] * 2
# (case, optimizer kind, ReduceLROnPlateau's keyword arguments, the metrics)
PLATEAU = [
    ("defaults", "sgd", dict(), METRICS * 2),
    ("patience_2", "sgd", dict(patience=2), METRICS),
    ("max_abs_cooldown_min_lrs", "adam",
     dict(mode="max", patience=1, threshold_mode="abs", threshold=0.01, cooldown=2, factor=0.5,
          min_lr=[0.01, 0.001]), METRICS),
    ("min_abs", "sgd", dict(patience=1, threshold_mode="abs", threshold=0.05), METRICS),
    ("max_rel", "adagrad", dict(mode="max", patience=3, threshold=0.1), METRICS),
    ("eps_stops_small_reductions", "sgd", dict(patience=0, factor=0.5, eps=0.01, min_lr=0.005),
     METRICS),
    ("factor_0", "rmsprop", dict(patience=4, factor=0.0, min_lr=1e-3), METRICS),
    ("infinite_metrics", "sgd", dict(patience=1), [float("inf"), 3.0, float("inf"), -1e300] * 5),
]


@pytest.mark.parity
@pytest.mark.parametrize(("case", "kind", "options", "metrics"), PLATEAU,
                         ids=[c[0] for c in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch_for_every_group(case, kind, options, metrics):
    optimizer = two_group_optimizer(kind)
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, **options)

    def theirs():
        torch_optimizer = two_group_torch_optimizer(kind)
        torch_scheduler = T.ReduceLROnPlateau(torch_optimizer, **options)
        return {"values": run_schedule(torch_optimizer, torch_scheduler, len(metrics), metrics)}

    ours = run_schedule(optimizer, scheduler, len(metrics), metrics)
    assert scheduler.get_last_lr() == [float(g["lr"]) for g in optimizer.param_groups]
    assert scheduler.last_epoch == len(metrics)
    assert_matches_torch(f"sched_plateau_{case}", {"values": ours}, theirs)


@pytest.mark.parametrize(
    ("metric", "error", "words"),
    [
        (None, TypeError, r"metrics must be a number \(a loss or an accuracy\), got NoneType"),
        ("0.5", TypeError, "metrics must be a number"),
        (np.array([0.5, 0.4]), TypeError, "metrics must be a number"),
        (float("nan"), ValueError, r"the metric is NaN.*diverged"),
        (np.float32("nan"), ValueError, "the metric is NaN"),
    ],
    ids=["none", "string", "two-values", "nan", "numpy-nan"],
)
def test_reduce_lr_on_plateau_refuses_what_is_not_a_metric(metric, error, words):
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer())
    with pytest.raises(error, match=words):
        scheduler.step(metric)
    assert scheduler.last_epoch == 0 and scheduler.best == math.inf


def test_reduce_lr_on_plateau_step_without_a_metric_says_what_to_pass():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer())
    with pytest.raises(TypeError, match=r"step\(metrics\) needs the number it watches, e\.g\. "
                                        r"scheduler\.step\(validation_loss\)"):
        scheduler.step()
    for metric in (np.float32(0.5), np.array(0.25), np.array([0.125]), 1):  # numbers it takes
        scheduler.step(metric)
    assert scheduler.best == 0.125 and scheduler.last_epoch == 4


def test_reduce_lr_on_plateau_takes_a_new_group_when_min_lr_is_one_number():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=0.001)
    optimizer.add_param_group({"params": nn.Linear(2, 2), "lr": 0.5})
    scheduler.step(1.0)
    scheduler.step(1.0)
    assert [g["lr"] for g in optimizer.param_groups] == [BASE_LR * 0.1, 0.05]
    listed = lr_scheduler.ReduceLROnPlateau(make_optimizer(), patience=0, min_lr=[0.001])
    listed.optimizer.add_param_group({"params": nn.Linear(2, 2)})
    listed.step(1.0)
    with pytest.raises(RuntimeError, match=r"has 2 parameter groups, and had 1 when the sched"):
        listed.step(1.0)


PLATEAU_SAVED = [
    dict(patience=1, cooldown=2, factor=0.5),
    dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0, min_lr=[0.01]),
]


@pytest.mark.parametrize("options", PLATEAU_SAVED, ids=["min", "max"])
def test_reduce_lr_on_plateau_state_dict_resumes_exactly(tmp_path, options):
    metrics = METRICS[:25]
    reference = lr_scheduler.ReduceLROnPlateau(make_optimizer(), **options)
    expected = []
    for metric in metrics:
        reference.step(metric)
        expected.append(reference.get_last_lr())
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), **options)
    for metric in metrics[:12]:
        scheduler.step(metric)
    path = minitorch.save({"scheduler": scheduler.state_dict()}, tmp_path / "ckpt.npz")
    resumed = lr_scheduler.ReduceLROnPlateau(make_optimizer(lr=7.0), **options)
    resumed.load_state_dict(minitorch.load(path)["scheduler"])
    assert (resumed.best, resumed.num_bad_epochs, resumed.cooldown_counter) == (
        scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter
    )
    got = []
    for metric in metrics[12:]:
        resumed.step(metric)
        got.append(resumed.get_last_lr())
    assert got == expected[12:]


@pytest.mark.parametrize(
    ("make", "entry", "value", "words"),
    [
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), "num_bad_epochs", -1, "num_bad_epochs must"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), "best", float("nan"), "best must be a fin"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), "mode", "up", "mode must be 'min' or 'max"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o), "min_lrs", [0.1, 0.2], "min_lr has 2 val"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10), "max_lrs", [-1.0], r"max_lr\[0\] must be"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10), "anneal_strategy", "exp", "anneal_strat"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10), "total_steps", 0, "total_steps must be"),
    ],
)
def test_load_state_dict_names_the_bad_entry_and_loads_nothing(make, entry, value, words):
    scheduler = make(make_optimizer())
    state = scheduler.state_dict()
    before = dict(vars(scheduler))
    state[entry] = value
    with pytest.raises((TypeError, ValueError), match=f"load_state_dict: {words}") as caught:
        scheduler.load_state_dict(state)
    for numpy_speak in ("invalid literal", "object has no", "could not convert",
                        "setting an array element", "truth value of an array"):  # fmt: skip
        assert numpy_speak not in str(caught.value)
    assert {k: v for k, v in vars(scheduler).items()} == before
