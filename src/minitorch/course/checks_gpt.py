"""The public checks of 10-gpt: the model's forward and backward, the LM loss, sampling.

A small float64 GPT (2 layers, 2 heads, 8 features) with the reference's weights (stored)
is run on stored token indices. ``GPT.backward`` runs after the student's ``GPT.forward``
(the backward reads what the forward's layers cached), so it is checked once the forward is
written. Sampling is judged by the frequencies of the tokens drawn (in the grading process),
which any correct sampler matches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .check_core import Arrays, Check

__all__ = ["GPT_CHECKS"]

_SIZES = {"vocab_size": 11, "block_size": 8, "n_layer": 2, "n_head": 2, "n_embd": 8}


def _gpt_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    import minitorch
    from minitorch.models import GPT

    cases = {}
    for case, tie in (("untied", False), ("tied", True)):
        minitorch.manual_seed(int(rng.integers(1 << 30)))
        model = GPT(**_SIZES, tie_weights=tie, dtype=np.float64)
        arrays = {f"state.{k}": np.asarray(v) for k, v in model.state_dict().items()}
        arrays["idx"] = rng.integers(0, _SIZES["vocab_size"], (2, 6)).astype(np.float64)
        arrays["grad_output"] = rng.standard_normal((2, 6, _SIZES["vocab_size"]))
        arrays["targets"] = rng.integers(0, _SIZES["vocab_size"], (2, 6)).astype(np.float64)
        cases[case] = arrays
    return cases


def _model(case: str, a: Arrays) -> Any:
    from minitorch.models import GPT

    model = GPT(**_SIZES, tie_weights=case == "tied", dtype=np.float64)
    model.load_state_dict({k[len("state.") :]: v for k, v in a.items() if k.startswith("state.")})
    return model


def _forward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    return {"logits": fn(_model(case, a), a["idx"].astype(np.int64))}


def _backward_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    model = _model(case, a)
    model.zero_grad()
    model(a["idx"].astype(np.int64))
    returned = fn(model, a["grad_output"])
    grads = dict(zip([n for n, _ in model.named_parameters()], model.grads(), strict=True))
    return {"returned (None)": returned, **{f"d({name})": g for name, g in grads.items()}}


def _lm_loss_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    model = _model(case, a)
    idx, targets = a["idx"].astype(np.int64), a["targets"].astype(np.int64)
    batches = [(idx[:1], targets[:1]), (idx[1:], targets[1:])]
    loss = fn(model, batches, chunk=1)
    return {"loss": loss, "model.training after": float(model.training)}


_DRAWS = 40000  # rows of the same logits: the frequencies of the tokens drawn


def _sample_cases(rng: np.random.Generator) -> dict[str, Arrays]:
    cases = {}
    for case in ("softmax", "top_k"):
        vocab = int(rng.integers(3, 8))
        cases[case] = {"logits": rng.standard_normal((1, vocab)) * 1.5,
                       "seed": np.array(float(rng.integers(1 << 31)))}
        if case == "top_k":
            cases[case]["top_k"] = np.array(float(rng.integers(1, vocab)))
    return cases


def _sample_run(fn: Callable, case: str, a: Arrays) -> dict[str, Any]:
    """Observe sample_next_token: the tokens it draws for many rows of the same logits."""
    import minitorch

    minitorch.manual_seed(int(a["seed"]))
    top_k = int(a["top_k"]) if "top_k" in a else None
    tokens = np.asarray(fn(np.repeat(a["logits"], _DRAWS, axis=0), top_k=top_k))
    return {"tokens": tokens, "integer tokens": float(tokens.dtype.kind in "iu")}


def _sample_judge(case: str, a: Arrays, yours: dict, expected: dict) -> str | None:
    """Any correct sampler draws each token about as often as softmax(logits) says: judged by
    the frequencies (within five standard errors), not by the reference's own draw."""
    logits = a["logits"][0]
    top_k = int(a["top_k"]) if "top_k" in a else None
    tokens, integer = yours.get("tokens"), yours.get("integer tokens")
    if not (isinstance(tokens, np.ndarray) and tokens.shape == (_DRAWS,)
            and isinstance(integer, np.ndarray) and integer.item() == 1.0):
        shape = tokens.shape if isinstance(tokens, np.ndarray) else None
        return (
            "sample_next_token: it should return one integer token per row of logits, "
            f"shape ({_DRAWS},), got shape {shape}"
        )
    wanted = np.exp(logits - logits.max())
    if top_k is not None:
        wanted[np.argsort(logits)[:-top_k]] = 0
    wanted /= wanted.sum()
    if tokens.min() < 0 or tokens.max() >= len(wanted):
        return f"sample_next_token: tokens should lie in [0, {len(wanted)}), one per logit"
    seen = np.bincount(tokens.astype(np.int64), minlength=len(wanted)) / _DRAWS
    allowed = 5 * np.sqrt(wanted * (1 - wanted) / _DRAWS) + 1e-3
    worst = int(np.argmax(np.abs(seen - wanted) - allowed))
    if abs(seen[worst] - wanted[worst]) > allowed[worst]:
        return (
            f"sample_next_token: with top_k={top_k} token {worst} was drawn "
            f"{seen[worst]:.3f} of the time, softmax(logits) gives it {wanted[worst]:.3f}; "
            "draw from softmax of the logits (only the top_k largest compete)"
        )
    return None


GPT_CHECKS: dict[str, Check] = {
    "GPT.forward": Check(
        cases=_gpt_cases,
        run=_forward_run,
        hints={"logits": "x = drop(wte(idx) + wpe(arange(T))); each block; ln_f; head: logits "
               "of shape (N, T, vocab_size)"},
        atol=1e-8, rtol=1e-6,
    ),
    "GPT.backward": Check(
        cases=_gpt_cases,
        run=_backward_run,
        hints={
            "returned (None)": "token indices have no gradient: return None",
            "d(*": (
                "g = head.backward(G as (N·T, V)); ln_f.backward; each block's backward, last "
                "first; drop.backward; wpe gets Σₙ g[n]; wte.backward(g)"
            ),
        },
        atol=1e-8, rtol=1e-6,
    ),
    "lm_loss": Check(
        cases=_gpt_cases,
        run=_lm_loss_run,
        hints={"loss": "the mean cross-entropy per token over every batch, in eval() mode and "
               "under no_grad", "model.training after": "restore the model's mode"},
        atol=1e-8, rtol=1e-6,
    ),
    "sample_next_token": Check(cases=_sample_cases, run=_sample_run, judge=_sample_judge,
                               keeps_expected=False),
}
