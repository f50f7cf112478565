"""The public checks of the first assignments: 01-linear to 04-optimizers.

Each row of :data:`BASIC_CHECKS` says how a task is checked (see :mod:`.check_core`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .check_core import Arrays, Check, at_index, load_cache, number, store_cache

__all__ = ["BASIC_CHECKS"]


# ----------------------------------------------------------------- 01-linear
def _linear_forward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    return {
        "bias": {"x": x, "W": W, "b": b},
        "no_bias": {"x": x, "W": W},
        "batch_of_sequences": {"x": rng.standard_normal((2, 5, 4)), "W": W, "b": b},
    }


def _linear_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    y, cache = fn(a["x"], a["W"], a.get("b"))
    return {"y": y, "cache.x": cache.x, "cache.W": cache.W, "cache.b": cache.b}


def _linear_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    G = rng.standard_normal((5, 3))
    return {
        "bias": {"grad_output": G, "x": x, "W": W, "b": b},
        "no_bias": {"grad_output": G, "x": x, "W": W},
        "no_input_grad": {"grad_output": G, "x": x, "W": W, "b": b},
        "batch_of_sequences": {
            "grad_output": rng.standard_normal((2, 5, 3)),
            "x": rng.standard_normal((2, 5, 4)),
            "W": W,
            "b": b,
        },
    }


def _linear_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import LinearCache

    cache = LinearCache(a["x"], a["W"], a.get("b"))
    dx, dW, db = fn(a["grad_output"], cache, input_grad=case != "no_input_grad")
    return {"dx": dx, "dW": dW, "db": db}


def _linear_gradcheck(fn: Callable) -> str | None:
    """The Linear layer, which calls the student's pair, against central differences (its
    weights drawn here, so that the check does not need kaiming_std, a later task)."""
    from minitorch.nn import Linear
    from minitorch.testing import gradcheck

    rng = np.random.default_rng(7)

    class Drawn(Linear):
        def reset_parameters(self) -> None:
            self.W[...] = rng.standard_normal(self.W.shape)
            self.b[...] = rng.standard_normal(self.b.shape)

    layer = Drawn(4, 3, dtype=np.float64)
    report = gradcheck(layer, rng.standard_normal((6, 4)), raise_exception=False)
    for row in report.rows:
        if not row.ok:
            where = f" at {at_index(row.worst_index)}" if row.worst_index is not None else ""
            return (
                f"linear_backward: gradcheck of nn.Linear: {row.name} differs{where} from "
                f"central differences (yours {number(row.analytic)}, numeric {number(row.numeric)})"
            )
    return None


_KAIMING_CASES = {  # shape, a, mode, nonlinearity
    "linear_default": ((5, 3), 0.0, "fan_in", "leaky_relu"),
    "linear_fan_out_relu": ((5, 3), 0.0, "fan_out", "relu"),
    "pytorch_linear_a_sqrt5": ((7, 4), 5**0.5, "fan_in", "leaky_relu"),
    "tanh": ((7, 4), 0.0, "fan_in", "tanh"),
    "kernel_fan_in": ((8, 3, 3, 3), 0.0, "fan_in", "relu"),
    "kernel_fan_out_linear": ((8, 3, 3, 3), 0.0, "fan_out", "linear"),
}


def _kaiming_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {case: {"shape": np.array(shape)} for case, (shape, *_) in _KAIMING_CASES.items()}


def _kaiming_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    _, slope, mode, nonlinearity = _KAIMING_CASES[case]
    shape = tuple(int(n) for n in a["shape"])
    return {"std": fn(np.empty(shape), a=slope, mode=mode, nonlinearity=nonlinearity)}


def _kaiming_drawn(fn: Callable) -> str | None:
    """nn.Linear draws its weights with the student's std: N(0, 2 / input_dim), b zeros."""
    import minitorch
    from minitorch.nn import Linear

    minitorch.manual_seed(0)
    layer = Linear(400, 300, dtype=np.float64)
    expected = (2 / 400) ** 0.5
    std, mean = float(layer.W.std()), float(layer.W.mean())
    if abs(std / expected - 1) > 0.01 or abs(mean) > 0.01 * expected:
        return (
            f"kaiming_std: nn.Linear(400, 300)'s W has std {number(std)} and mean "
            f"{number(mean)}, expected std {number(expected)} (√(2 / 400)) and mean 0: "
            "kaiming_normal_ draws N(0, kaiming_std(W)²)"
        )
    if np.any(layer.b != 0):
        return "kaiming_std: nn.Linear's b should start at zeros"
    return None


# ----------------------------------------------------------------- 04-optimizers
_SGD_CASES = {
    "plain": {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
    "momentum": {"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False},
    "momentum_dampening_decay": {
        "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01, "nesterov": False,
    },
    "nesterov": {"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01, "nesterov": True},
}
_STEPS = 3


def _optimizer_cases(names: Any) -> Callable[[np.random.Generator], dict[str, Arrays]]:
    def cases(rng: np.random.Generator) -> dict[str, Arrays]:
        return {
            name: {
                "param": rng.standard_normal((4, 3)),
                "grads": rng.standard_normal((_STEPS, 4, 3)),
            }
            for name in names
        }

    return cases


def _sgd_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    settings = _SGD_CASES[case]
    param = a["param"].copy()
    buf = np.empty_like(param) if settings["momentum"] else None
    scratch = (np.empty_like(param), np.empty_like(param))
    for step in range(_STEPS):
        fn(param, a["grads"][step], buf, scratch, lr=0.1, maximize=False,
           first_step=step == 0, **settings)
    return {"momentum_buffer": buf, "param": param}  # the buffer first: where errors start


_ADAM_CASES = {
    "adam": {"weight_decay": 0.0, "decoupled_weight_decay": False, "amsgrad": False},
    "adam_l2": {"weight_decay": 0.1, "decoupled_weight_decay": False, "amsgrad": False},
    "adamw": {"weight_decay": 0.1, "decoupled_weight_decay": True, "amsgrad": False},
    "adamw_amsgrad": {"weight_decay": 0.1, "decoupled_weight_decay": True, "amsgrad": True},
}


def _adam_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    settings = _ADAM_CASES[case]
    param = a["param"].copy()
    exp_avg, exp_avg_sq = np.zeros_like(param), np.zeros_like(param)
    max_exp_avg_sq = np.zeros_like(param) if settings["amsgrad"] else None
    scratch = (np.empty_like(param), np.empty_like(param))
    for step in range(_STEPS):
        fn(param, a["grads"][step], exp_avg, exp_avg_sq, max_exp_avg_sq, scratch,
           step=step + 1, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, maximize=False,
           **settings)
    return {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq, "param": param}  # the moments first


_GRADS = ("0.dW", "0.db", "2.dW", "2.db")  # the two Linear layers of a Sequential


def _zero_grad_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    i, h, o = (int(v) for v in rng.integers(2, 6, 3))
    shapes = ((i, h), (1, h), (h, o), (1, o))
    grads = {f"grad {name}": rng.standard_normal(shape) for name, shape in zip(
        _GRADS, shapes, strict=True)}
    return {"two_layers": {"sizes": np.array([i, h, o], dtype=np.float64), **grads}}


def _zero_grad_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    """Observe Optimizer.zero_grad on Linear, ReLU, Linear: which gradients are None after
    zero_grad(), and after zero_grad(set_to_none=False) whether each is the same array, and
    its values."""
    from minitorch.nn import Linear, ReLU, Sequential
    from minitorch.optim import SGD

    i, h, o = (int(v) for v in a["sizes"])
    model = Sequential(Linear(i, h, dtype=np.float64), ReLU(), Linear(h, o, dtype=np.float64))
    optimizer = SGD(model, lr=0.1)
    slots = [(model[int(name[0])], name[2:]) for name in _GRADS]

    def given() -> list[np.ndarray]:
        for (layer, field), name in zip(slots, _GRADS, strict=True):
            setattr(layer, field, a[f"grad {name}"].copy())
        return [getattr(layer, field) for layer, field in slots]

    given()
    fn(optimizer)
    none = [float(getattr(layer, field) is None) for layer, field in slots]
    before = given()
    fn(optimizer, set_to_none=False)
    after = [getattr(layer, field) for layer, field in slots]
    values = [np.full(g.size, np.nan) if v is None else np.ravel(v) for g, v in zip(
        before, after, strict=True)]
    return {
        "None after zero_grad()": none,
        "the same arrays after zero_grad(set_to_none=False)": [
            float(v is g) for g, v in zip(before, after, strict=True)],
        "values after zero_grad(set_to_none=False)": np.concatenate(values),
    }


def _zero_grad_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    def same(name: str) -> bool:
        mine, wanted = yours[name], expected[name]
        return (isinstance(mine, np.ndarray) and mine.shape == wanted.shape
                and np.array_equal(mine, wanted))

    if not same("None after zero_grad()"):
        return (
            "zero_grad: after zero_grad() every layer's dW and db should be None (set_to_none="
            "True is the default, as in PyTorch); call each module's zero_grad(set_to_none=...)"
        )
    if not (same("the same arrays after zero_grad(set_to_none=False)")
            and same("values after zero_grad(set_to_none=False)")):
        return (
            "zero_grad: zero_grad(set_to_none=False) should fill every dW and db with zeros in "
            "place (the same array, every value 0); pass set_to_none on to each module's "
            "zero_grad"
        )
    return None


# ----------------------------------------------------------------- 02-activations
def _x_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    x = rng.standard_normal((6, 5)) * 3
    x[0, :2] = (0.0, -0.0)  # the kink of ReLU: its derivative is 0 there, as in PyTorch
    return {"matrix": {"x": x}, "batch_of_images": {"x": rng.standard_normal((2, 3, 4, 4))}}


def _grad_x_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {
        case: {**arrays, "grad_output": rng.standard_normal(arrays["x"].shape)}
        for case, arrays in _x_cases(rng).items()
    }


def _forward_run(*cache_fields: str, **settings: Any) -> Callable:
    """Run ``fn(x, **settings) -> (y, cache)``; outputs y and the named cache fields."""

    def run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
        y, cache = fn(a["x"], **settings)
        return {"y": y, **{f"cache.{f}": getattr(cache, f) for f in cache_fields}}

    return run


def _backward_run(make_cache: Callable[[Arrays], Any]) -> Callable:
    """Run ``fn(grad_output, cache)`` with the cache the reference's forward would make."""

    def run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
        return {"dx": fn(a["grad_output"], make_cache(a))}

    return run


def _relu_cache(a: Arrays) -> Any:
    from minitorch.nn.functional import ReLUCache

    return ReLUCache(a["x"])


def _sigmoid_cache(a: Arrays) -> Any:
    from minitorch.nn.functional import SigmoidCache

    return load_cache(SigmoidCache, a)


def _with_reference_cache(forward: str, **settings: Any) -> Callable:
    """Cases with the cache the reference's ``forward`` makes of x stored beside x (called
    only on the reference, by make_golden: the edition holds the values, not the code)."""

    def cases(rng: np.random.Generator) -> dict[str, Arrays]:
        from minitorch.nn import functional

        drawn = _grad_x_cases(rng)
        for arrays in drawn.values():
            _, cache = getattr(functional, forward)(arrays["x"], **settings)
            arrays.update(store_cache(cache))
        return drawn

    return cases


def _gelu_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    exact, exact_cache = fn(a["x"])
    tanh, _ = fn(a["x"], approximate="tanh")
    return {"y": exact, "cache.slope": exact_cache.slope, "y (approximate='tanh')": tanh}


def _gelu_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import GELUCache

    G = a["grad_output"]
    return {
        "dx": fn(G, load_cache(GELUCache, a, approximate="none")),
        "dx (approximate='tanh')": fn(G, load_cache(GELUCache, a, approximate="tanh", slope=None)),
    }


# ----------------------------------------------------------------- 03-losses
_REDUCTIONS = ("mean", "sum", "none")


def _mse_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    shape = (4, 3)
    return {
        reduction: {
            "predictions": rng.standard_normal(shape),
            "targets": rng.standard_normal(shape),
            "grad_output": rng.standard_normal(shape) if reduction == "none" else np.array(0.7),
        }
        for reduction in _REDUCTIONS
    }


def _mse_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    loss, cache = fn(a["predictions"], a["targets"], reduction=case)
    return {"loss": loss, "cache.diff": cache.diff}


def _mse_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    from minitorch.nn import functional

    drawn = _mse_cases(rng)
    for case, a in drawn.items():
        _, cache = functional.mse_loss_forward(a["predictions"], a["targets"], reduction=case)
        a.update(store_cache(cache))
    return drawn


def reduction_cache(shape: tuple[int, ...], reduction: str, name: str) -> Any:
    """The ReductionCache of a loss of this shape (reduce_loss_forward is no task)."""
    from minitorch.nn.functional.reduction import reduce_loss_forward

    return reduce_loss_forward(np.zeros(shape), reduction, name=name)[1]


def _mse_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional.regression_loss import MSELossCache

    reduction = reduction_cache(a["cache.diff"].shape, case, "mse_loss")
    return {"dx": fn(a["grad_output"], load_cache(MSELossCache, a, reduction=reduction))}


def _log_softmax_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    logits = rng.standard_normal((4, 6)) * 3
    huge = logits.copy()
    huge[1] += 1000.0  # exp overflows here unless the maximum is subtracted first
    huge[2] -= 1000.0
    return {
        "rows": {"x": logits, "grad_output": rng.standard_normal(logits.shape)},
        "large_logits": {"x": huge, "grad_output": rng.standard_normal(logits.shape)},
        "dim_0": {"x": logits.T.copy(), "grad_output": rng.standard_normal(logits.T.shape)},
    }


def _dim(case: str) -> int:
    return 0 if case == "dim_0" else -1


def _log_softmax_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    return {"y": fn(a["x"], dim=_dim(case))}


def _log_softmax_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    from minitorch.nn import functional

    drawn = _log_softmax_cases(rng)
    for case, a in drawn.items():
        a["y"] = functional.log_softmax(a["x"], dim=_dim(case))
    return drawn


def _log_softmax_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import LogSoftmaxCache

    return {"dx": fn(a["grad_output"], LogSoftmaxCache(a["y"], _dim(case)))}


def _cross_entropy_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    logits = rng.standard_normal((5, 4)) * 3
    huge = logits.copy()
    huge[1] += 1000.0  # exp overflows here unless the maximum is subtracted first
    return {
        case: {"x": x, "targets": rng.integers(0, 4, 5), "grad_output": np.array(g)}
        for case, x, g in (("rows", logits, 1.0), ("large_logits", huge, 0.5))
    }


def _cross_entropy_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    loss, cache = fn(a["x"], a["targets"])
    return {"loss": loss, "cache.probs": cache.probs, "cache.targets": cache.targets}


def _cross_entropy_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    from minitorch.nn import functional

    drawn = _cross_entropy_cases(rng)
    for a in drawn.values():
        _, cache = functional.softmax_cross_entropy_forward(a["x"], a["targets"])
        a.update(store_cache(cache))
    return drawn


def _cross_entropy_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import SoftmaxCrossEntropyCache

    cache = SoftmaxCrossEntropyCache(a["cache.probs"], a["cache.targets"])
    return {"dx": fn(float(a["grad_output"]), cache)}


_ADAM_HINTS = {
    "exp_avg": "m = β₁ m + (1 − β₁) g (lerp_(m, g, 1 − β₁)), after the weight decay",
    "exp_avg_sq": "v = β₂ v + (1 − β₂) g² (addcmul_(mul_(v, β₂), g, g, value=1 − β₂))",
    "param": (
        "θ −= (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε); AdamW shrinks θ by (1 − lr·λ) "
        "first, Adam adds λθ to g; amsgrad uses max(v̂, v) for v"
    ),
}

BASIC_CHECKS: dict[str, Check] = {
    "linear_forward": Check(
        cases=_linear_forward_cases,
        run=_linear_forward_run,
        hints={
            "y": "y = x @ W + b, y of shape (..., out); b of shape (1, out) broadcasts over rows",
            "cache.x": "return (y, LinearCache(x, W, b)): the backward needs x",
            "cache.W": "return (y, LinearCache(x, W, b)): the backward needs W",
            "cache.b": "return (y, LinearCache(x, W, b)), b None without a bias",
        },
    ),
    "linear_backward": Check(
        cases=_linear_backward_cases,
        run=_linear_backward_run,
        hints={
            "dW": "dW has the shape of W, (in, out): x.T @ grad_output (rows of x flattened)",
            "dx": "dx has the shape of x: grad_output @ W.T, or None when input_grad is False",
            "db": "db has the shape of b, (1, out): grad_output summed over the rows; None "
            "without a bias",
        },
        behaviour=_linear_gradcheck,
    ),
    "relu_forward": Check(
        cases=_x_cases,
        run=_forward_run("x"),
        hints={"y": "y = max(0, x), element by element", "cache.x": "return (y, ReLUCache(x))"},
    ),
    "relu_backward": Check(
        cases=_grad_x_cases,
        run=_backward_run(_relu_cache),
        hints={"dx": "dx = grad_output ⊙ [x > 0]: the gradient passes where x > 0, is 0 at x = 0"},
    ),
    "sigmoid_forward": Check(
        cases=_x_cases,
        run=_forward_run("y"),
        hints={
            "y": "y = 1 / (1 + exp(−x))",
            "cache.y": "return (y, SigmoidCache(y)): the backward needs the output y",
        },
    ),
    "sigmoid_backward": Check(
        cases=_with_reference_cache("sigmoid_forward"),
        run=_backward_run(_sigmoid_cache),
        hints={"dx": "dx = grad_output ⊙ y ⊙ (1 − y), y = σ(x) the cached output"},
    ),
    "gelu_forward": Check(
        cases=_x_cases,
        run=_gelu_forward_run,
        hints={
            "y": "GELU(x) = x·Φ(x), Φ the standard normal CDF (normal_cdf)",
            "cache.slope": "cache the derivative slope = Φ(x) + x·φ(x), φ the normal density",
            "y (approximate='tanh')": "0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))",
        },
        atol=1e-7,
        rtol=1e-6,
    ),
    "gelu_backward": Check(
        cases=_with_reference_cache("gelu_forward"),
        run=_gelu_backward_run,
        hints={
            "dx": "exact: dx = grad_output ⊙ cache.slope",
            "dx (approximate='tanh')": (
                "0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²), times "
                "grad_output"
            ),
        },
        atol=1e-7,
        rtol=1e-6,
    ),
    "mse_loss_forward": Check(
        cases=_mse_cases,
        run=_mse_forward_run,
        hints={
            "loss": "ℓ = (x − y)² element by element, then reduced: mean, sum or none "
            "(reduce_loss_forward)",
            "cache.diff": "cache diff = predictions − targets for the backward",
        },
    ),
    "mse_loss_backward": Check(
        cases=_mse_backward_cases,
        run=_mse_backward_run,
        hints={"dx": "dx = 2 (x − y) ⊙ s, s = reduce_loss_backward(grad_output, ...) (1/N for "
               "mean)"},
    ),
    "log_softmax": Check(
        cases=_log_softmax_cases,
        run=_log_softmax_run,
        hints={"y": "(x − max x) − log Σ exp(x − max x) along dim: subtract the maximum first, "
               "or exp overflows"},
    ),
    "log_softmax_backward": Check(
        cases=_log_softmax_backward_cases,
        run=_log_softmax_backward_run,
        hints={"dx": "dx = g − exp(y) · Σ_dim g, y the cached log-softmax"},
    ),
    "kaiming_std": Check(
        cases=_kaiming_cases,
        run=_kaiming_run,
        hints={"std": "std = gain / √fan: fan = shape[0] (fan_in) or shape[1] (fan_out) for a "
               "(in, out) weight, times kH·kW for a kernel (C_out, C_in, kH, kW), whose fan_in "
               "is C_in·kH·kW; gain = calculate_gain(nonlinearity, a)"},
        behaviour=_kaiming_drawn,
    ),
    "softmax_cross_entropy_forward": Check(
        cases=_cross_entropy_cases,
        run=_cross_entropy_forward_run,
        hints={
            "loss": "L = −(1/N) Σᵢ log pᵢ[yᵢ], log p = log_softmax(x) along the classes (the "
            "maximum subtracted first)",
            "cache.probs": "cache p = softmax(x), (N, C), for the backward",
            "cache.targets": "cache the targets (N,) as given",
        },
    ),
    "softmax_cross_entropy_backward": Check(
        cases=_cross_entropy_backward_cases,
        run=_cross_entropy_backward_run,
        hints={"dx": "dx = (grad_output / N)·(p − onehot(y)): p times the scale, the scale "
               "subtracted at each row's target class"},
    ),
    "Optimizer.zero_grad": Check(cases=_zero_grad_cases, run=_zero_grad_run,
                                 judge=_zero_grad_judge),
    "sgd": Check(
        cases=_optimizer_cases(_SGD_CASES),
        run=_sgd_run,
        hints={
            "param": (
                "g += λθ (weight decay); b = g at the first step, else b = μ b + (1 − dampening) "
                "g; nesterov uses g + μ b; θ −= lr · b"
            ),
            "momentum_buffer": "b = g at the first step, then b = μ b + (1 − dampening) g",
        },
    ),
    "adam": Check(cases=_optimizer_cases(_ADAM_CASES), run=_adam_run, hints=_ADAM_HINTS),
}
