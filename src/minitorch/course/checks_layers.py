"""The public checks of the layer assignments: convolution, batch norm, attention, the GAN's loss.

Each row of :data:`LAYER_CHECKS` says how a task is checked (see :mod:`.check_core`). A
backward is checked on the cache the reference's forward made (stored with the inputs, so the
student's backward does not depend on their forward); ``cases`` runs only on the reference,
when :mod:`.make_golden` stores the values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .check_core import Arrays, Check, load_cache, store_cache

__all__ = ["LAYER_CHECKS"]

_F = "minitorch.nn.functional"


def _reference(name: str) -> Callable:
    """The reference's function ``name`` of nn.functional (called only by ``cases``)."""
    from minitorch.nn import functional

    return getattr(functional, name)


# ----------------------------------------------------------------- 07-conv
_CONV = {  # kernel_size, stride, padding, dilation; the input's shape
    "plain": ((3, 3), (1, 1), (0, 0), (1, 1), (2, 3, 5, 5)),
    "stride_padding": ((3, 3), (2, 2), (1, 1), (1, 1), (2, 2, 6, 7)),
    "dilation": ((2, 3), (1, 2), (1, 0), (2, 1), (1, 2, 7, 6)),
}


def _conv(case: str) -> dict[str, Any]:
    k, s, p, d, _ = _CONV[case]
    return {"stride": s, "padding": p, "dilation": d, "kernel": k}


def _im2col_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {case: {"x": rng.standard_normal(spec[4])} for case, spec in _CONV.items()}


def _im2col_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    c = _conv(case)
    return {"cols": fn(a["x"], c["kernel"], c["stride"], c["padding"], c["dilation"])}


def _col2im_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, (k, s, p, d, shape) in _CONV.items():
        cols = _reference("im2col")(np.zeros(shape), k, s, p, d)
        cases[case] = {"cols": rng.standard_normal(cols.shape), "x_shape": np.array(shape)}
    return cases


def _col2im_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    c = _conv(case)
    shape = tuple(int(v) for v in a["x_shape"])
    return {"dx": fn(a["cols"], shape, c["kernel"], c["stride"], c["padding"], c["dilation"])}


def _conv_forward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, (k, _, _, _, shape) in _CONV.items():
        cases[case] = {
            "x": rng.standard_normal(shape),
            "W": rng.standard_normal((4, shape[1], *k)),
            "b": rng.standard_normal((1, 4, 1, 1)),
        }
    return cases


def _conv_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    c = _conv(case)
    y, cache = fn(a["x"], a["W"], a["b"], c["stride"], c["padding"], c["dilation"])
    return {"y": y, "cache.cols": cache.cols}


def _conv_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, arrays in _conv_forward_cases(rng).items():
        c = _conv(case)
        y, cache = _reference("conv2d_forward")(
            arrays["x"], arrays["W"], arrays["b"], c["stride"], c["padding"], c["dilation"]
        )
        cases[case] = {"grad_output": rng.standard_normal(y.shape), **store_cache(cache)}
    return cases


def _conv_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import Conv2dCache

    dx, dW, db = fn(a["grad_output"], load_cache(Conv2dCache, a))
    return {"dx": dx, "dW": dW, "db": db}


_POOL = {  # kernel_size, stride, padding; the input's shape
    "2x2": ((2, 2), (2, 2), (0, 0), (2, 3, 6, 6)),
    "3x3_overlapping_padded": ((3, 3), (2, 2), (1, 1), (2, 2, 7, 6)),
}


def _pool_forward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {case: {"x": rng.standard_normal(spec[3])} for case, spec in _POOL.items()}


def _pool_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    k, s, p, _ = _POOL[case]
    y, cache = fn(a["x"], k, s, p)
    return {"y": y, "cache.is_max": cache.is_max}


def _pool_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, (k, s, p, shape) in _POOL.items():
        y, cache = _reference("max_pool2d_forward")(rng.standard_normal(shape), k, s, p)
        cases[case] = {"grad_output": rng.standard_normal(y.shape), **store_cache(cache)}
    return cases


def _pool_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import MaxPool2dCache

    return {"dx": fn(a["grad_output"], load_cache(MaxPool2dCache, a))}


# ----------------------------------------------------------------- 08-batchnorm
_BN = {"training_2d": (True, (8, 3)), "training_4d": (True, (4, 3, 3, 2)),
       "evaluation_4d": (False, (4, 3, 3, 2))}


def _bn_forward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {
        case: {
            "x": rng.standard_normal(shape) * 2 + 1,
            "gamma": rng.standard_normal(3),
            "beta": rng.standard_normal(3),
            "running_mean": rng.standard_normal(3),
            "running_var": rng.random(3) + 0.5,
        }
        for case, (_, shape) in _BN.items()
    }


def _bn_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    running_mean, running_var = a["running_mean"].copy(), a["running_var"].copy()
    y, cache = fn(a["x"], a["gamma"], a["beta"], running_mean, running_var,
                  training=_BN[case][0], momentum=0.1, eps=1e-5)
    return {"y": y, "running_mean": running_mean, "running_var": running_var,
            "cache.x_hat": cache.x_hat, "cache.inv_std": cache.inv_std}


def _bn_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, a in _bn_forward_cases(rng).items():
        y, cache = _reference("batch_norm_forward")(
            a["x"], a["gamma"], a["beta"], a["running_mean"], a["running_var"],
            training=_BN[case][0],
        )
        cases[case] = {"grad_output": rng.standard_normal(y.shape), **store_cache(cache)}
    return cases


def _bn_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import BatchNormCache

    dx, dgamma, dbeta = fn(a["grad_output"], load_cache(BatchNormCache, a))
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


# ----------------------------------------------------------------- 09-attention
def _softmax_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    x = rng.standard_normal((4, 6)) * 3
    large = x.copy()
    large[1] += 1000.0
    return {
        "rows": {"x": x, "grad_output": rng.standard_normal(x.shape)},
        "large_logits": {"x": large, "grad_output": rng.standard_normal(x.shape)},
        "dim_0": {"x": x.T.copy(), "grad_output": rng.standard_normal(x.T.shape)},
    }


def _dim(case: str) -> int:
    return 0 if case == "dim_0" else -1


def _softmax_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    return {"y": fn(a["x"], dim=_dim(case))}


def _softmax_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    drawn = _softmax_cases(rng)
    for case, a in drawn.items():
        a["y"] = _reference("softmax")(a["x"], dim=_dim(case))
    return drawn


def _softmax_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import SoftmaxCache

    return {"dx": fn(a["grad_output"], SoftmaxCache(a["y"], _dim(case)))}


def _attention_forward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    shape = (2, 2, 5, 4)  # (N, H, T, d)
    return {
        case: {name: rng.standard_normal(shape) for name in ("q", "k", "v")}
        for case in ("causal", "no_mask")
    }


def _mask(case: str) -> np.ndarray | None:
    from minitorch.nn.functional import causal_mask

    return causal_mask(5, dtype=np.float64) if case == "causal" else None


def _attention_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    output, cache = fn(a["q"], a["k"], a["v"], mask=_mask(case))
    return {"O": output, "cache.weights": cache.weights}


def _attention_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, a in _attention_forward_cases(rng).items():
        output, cache = _reference("attention_forward")(a["q"], a["k"], a["v"], mask=_mask(case))
        cases[case] = {"grad_output": rng.standard_normal(output.shape), **store_cache(cache)}
    return cases


def _attention_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import AttentionCache

    dq, dk, dv = fn(a["grad_output"], load_cache(AttentionCache, a))
    return {"dq": dq, "dk": dk, "dv": dv}


_LN = {"rows": (4, 6), "sequences": (2, 3, 6)}


def _ln_forward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    return {
        case: {"x": rng.standard_normal(shape) * 2 + 1, "gamma": rng.standard_normal(6),
               "beta": rng.standard_normal(6)}
        for case, shape in _LN.items()
    }


def _ln_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    y, cache = fn(a["x"], (6,), a["gamma"], a["beta"], eps=1e-5)
    return {"y": y, "cache.xhat": cache.xhat, "cache.rstd": cache.rstd}


def _ln_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case, a in _ln_forward_cases(rng).items():
        y, cache = _reference("layer_norm_forward")(a["x"], (6,), a["gamma"], a["beta"])
        cases[case] = {"grad_output": rng.standard_normal(y.shape), **store_cache(cache)}
    return cases


def _ln_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional import LayerNormCache

    dx, dgamma, dbeta = fn(a["grad_output"], load_cache(LayerNormCache, a))
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


# ----------------------------------------------------------------- 11-gan
_BCE = {"mean": "mean", "sum": "sum", "none": "none", "pos_weight": "mean"}


def _bce_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case in _BCE:
        logits = rng.standard_normal((5, 3)) * 4
        logits[0, 0] = 60.0  # e^{-x} underflows, e^{x} overflows: the stable form is needed
        logits[0, 1] = -60.0
        arrays = {"logits": logits, "targets": (rng.random((5, 3)) > 0.5).astype(np.float64)}
        arrays["grad_output"] = rng.standard_normal((5, 3)) if case == "none" else np.array(0.7)
        if case == "pos_weight":
            arrays["pos_weight"] = rng.random(3) + 0.5
        cases[case] = arrays
    return cases


def _bce_forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    loss, cache = fn(a["logits"], a["targets"], reduction=_BCE[case],
                     pos_weight=a.get("pos_weight"))
    return {"loss": loss, "cache.exp_neg_abs": cache.exp_neg_abs}


def _bce_backward_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    drawn = _bce_cases(rng)
    for case, a in drawn.items():
        _, cache = _reference("binary_cross_entropy_with_logits_forward")(
            a["logits"], a["targets"], reduction=_BCE[case], pos_weight=a.get("pos_weight")
        )
        a.update(store_cache(cache))
    return drawn


def _bce_backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    from minitorch.nn.functional.binary_loss import BCEWithLogitsLossCache

    from .checks_basics import reduction_cache

    name = "binary_cross_entropy_with_logits"
    reduction = reduction_cache(a["logits"].shape, _BCE[case], name)
    return {"dx": fn(a["grad_output"], load_cache(BCEWithLogitsLossCache, a, reduction=reduction))}


_DX_LIKE_X = "dx has the shape of x"

LAYER_CHECKS: dict[str, Check] = {
    "im2col": Check(
        cases=_im2col_cases, run=_im2col_run,
        hints={"cols": "cols has one row per (channel, kernel row, kernel column) and one column "
               "per (output row, output column, sample): (C·kH·kW, Ho·Wo·N)"},
    ),
    "col2im": Check(
        cases=_col2im_cases, run=_col2im_run,
        hints={"dx": "col2im adds every column back onto the pixels its patch came from "
               "(overlapping patches add up), then drops the padding"},
    ),
    "conv2d_forward": Check(
        cases=_conv_forward_cases, run=_conv_forward_run,
        hints={"y": "Y = W.reshape(F, -1) @ im2col(x), plus b, reshaped to (N, F, Ho, Wo)",
               "cache.cols": "cache cols = im2col(x), as Conv2dCache says"},
    ),
    "conv2d_backward": Check(
        cases=_conv_backward_cases, run=_conv_backward_run,
        hints={"dW": "dW = G_col @ colsᵀ reshaped like W, G_col = G as (F, Ho·Wo·N)",
               "db": "db = G summed over n, rows and columns, shaped (1, F, 1, 1)",
               "dx": f"{_DX_LIKE_X}: col2im(W_colᵀ @ G_col)"},
    ),
    "max_pool2d_forward": Check(
        cases=_pool_forward_cases, run=_pool_forward_run,
        hints={"y": "the maximum of each window, the padding being −∞",
               "cache.is_max": "is_max[k] marks the windows whose maximum is at offset k "
               "(the first maximum on ties)"},
    ),
    "max_pool2d_backward": Check(
        cases=_pool_backward_cases, run=_pool_backward_run,
        hints={"dx": f"{_DX_LIKE_X}: each window's gradient goes to its maximum only "
               "(overlapping windows add up)"},
    ),
    "batch_norm_forward": Check(
        cases=_bn_forward_cases, run=_bn_forward_run,
        hints={"y": "y = γ x̂ + β, x̂ = (x − μ)/√(σ² + ε) per channel (axis 1), the batch's "
               "biased σ² in training, the running ones in evaluation",
               "running_mean": "running_mean ← (1 − momentum)·running_mean + momentum·μ, in "
               "place, in training only",
               "running_var": "running_var ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1) "
               "(unbiased), in place",
               "cache.x_hat": "cache x̂ as (N, C, L)", "cache.inv_std": "cache 1/√(σ² + ε)"},
    ),
    "batch_norm_backward": Check(
        cases=_bn_backward_cases, run=_bn_backward_run,
        hints={"dbeta": "dβ = Σ G per channel", "dgamma": "dγ = Σ G ⊙ x̂ per channel",
               "dx": "training: dx = γ/(m·√(σ² + ε)) ⊙ (m·G − dβ − x̂ ⊙ dγ); evaluation: "
               "γ/√(σ² + ε) ⊙ G"},
    ),
    "softmax": Check(
        cases=_softmax_cases, run=_softmax_run,
        hints={"y": "exp(x − max x) / Σ exp(x − max x) along dim: subtract the maximum first"},
    ),
    "softmax_backward": Check(
        cases=_softmax_backward_cases, run=_softmax_backward_run,
        hints={"dx": "dx = y ⊙ (g − Σ_dim g ⊙ y)"},
    ),
    "attention_forward": Check(
        cases=_attention_forward_cases, run=_attention_forward_run,
        hints={"O": "O = softmax(q kᵀ/√d + mask) v, softmax over the keys (the last axis)",
               "cache.weights": "cache P = softmax(q kᵀ/√d + mask), the attention weights"},
    ),
    "attention_backward": Check(
        cases=_attention_backward_cases, run=_attention_backward_run,
        hints={"dv": "dv = Pᵀ G", "dq": "dS = P ⊙ (dP − Σ_j dP ⊙ P), dP = G vᵀ; dq = dS k / √d",
               "dk": "dk = dSᵀ q / √d"},
    ),
    "layer_norm_forward": Check(
        cases=_ln_forward_cases, run=_ln_forward_run,
        hints={"y": "y = γ x̂ + β, x̂ = (x − μ)/√(σ² + ε) over the last D features, σ² biased",
               "cache.xhat": "cache x̂ as (M, D) rows", "cache.rstd": "cache 1/√(σ² + ε), (M, 1)"},
    ),
    "layer_norm_backward": Check(
        cases=_ln_backward_cases, run=_ln_backward_run,
        hints={"dx": "dx = rstd ⊙ (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)), ĝ = G ⊙ γ",
               "dgamma": "dγ = Σ_rows G ⊙ x̂", "dbeta": "dβ = Σ_rows G"},
    ),
    "binary_cross_entropy_with_logits_forward": Check(
        cases=_bce_cases, run=_bce_forward_run,
        hints={"loss": "ℓ = max(x, 0) − x·y + log(1 + e^{−|x|}) (with pos_weight p: "
               "(1 − y)·x + (1 + (p − 1)·y)·(log(1 + e^{−|x|}) + max(−x, 0))), then reduced",
               "cache.exp_neg_abs": "cache e^{−|x|}"},
    ),
    "binary_cross_entropy_with_logits_backward": Check(
        cases=_bce_backward_cases, run=_bce_backward_run,
        hints={"dx": "dℓ/dx = (p·y + 1 − y)·σ(x) − p·y (σ(x) − y when p = 1), times s"},
    ),
}
