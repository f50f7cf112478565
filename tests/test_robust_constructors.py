"""Every constructor refuses what cannot work, through the one hyperparameter helper (issue 16,
category 3): ``_validation.check_float``/``check_int``/``check_flag`` and
``_state.parameter_dtype``. One row per bad argument: the error type, and a message naming the
module and the argument. ``clip_grad_norm_`` refuses a negative ``max_norm`` and a
``norm_type`` of 0, a negative one or −inf, which PyTorch accepts and which only harm (see the
README's table of differences); the rows it shares with PyTorch are compared with torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from minitorch import nn
from minitorch.nn.utils import clip_grad_norm_
from parity import HAVE_TORCH, torch

# (id, constructor call, error type, words of the message)
BAD_CONSTRUCTORS = [
    ("conv-int-dtype", lambda: nn.Conv2d(1, 2, 3, dtype=np.int32), TypeError, ["Conv2d", "int32"]),
    ("conv-complex-dtype", lambda: nn.Conv2d(1, 2, 3, dtype=np.complex64), TypeError,
     ["Conv2d", "complex64"]),
    ("batchnorm2d-int-dtype", lambda: nn.BatchNorm2d(3, dtype=np.int64), TypeError,
     ["BatchNorm2d", "int64"]),
    ("batchnorm1d-complex-dtype", lambda: nn.BatchNorm1d(3, dtype=np.complex128), TypeError,
     ["BatchNorm1d", "complex128"]),
    ("layernorm-int-dtype", lambda: nn.LayerNorm(3, dtype=np.int16), TypeError, ["LayerNorm"]),
    ("embedding-int-dtype", lambda: nn.Embedding(3, 4, dtype=np.int64), TypeError,
     ["Embedding"]),
    ("attention-int-dtype", lambda: nn.MultiheadAttention(4, 2, dtype=np.uint8), TypeError,
     ["MultiheadAttention"]),
    ("dropout-p-string", lambda: nn.Dropout("0.5"), TypeError, ["Dropout", "p must be a number"]),
    ("dropout2d-p-string", lambda: nn.Dropout2d("0.5"), TypeError, ["Dropout2d", "p"]),
    ("dropout-p-bool", lambda: nn.Dropout(True), TypeError, ["Dropout", "p", "bool"]),
    ("dropout-p-nan", lambda: nn.Dropout(float("nan")), ValueError, ["Dropout", "p"]),
    ("dropout-p-above-1", lambda: nn.Dropout(1.5), ValueError, ["Dropout", "p must be in [0, 1]"]),
    ("embedding-padding-bool", lambda: nn.Embedding(3, 4, padding_idx=True), TypeError,
     ["Embedding", "padding_idx must be an int"]),
    ("embedding-padding-float", lambda: nn.Embedding(3, 4, padding_idx=1.0), TypeError,
     ["padding_idx"]),
    ("batchnorm-momentum-string", lambda: nn.BatchNorm2d(3, momentum="0.1"), TypeError,
     ["BatchNorm2d", "momentum"]),
    ("batchnorm-eps-negative", lambda: nn.BatchNorm2d(3, eps=-1), ValueError, ["eps"]),
    ("conv-padding-string", lambda: nn.Conv2d(1, 2, 3, padding="same"), TypeError,
     ["Conv2d", "padding"]),
    ("conv-kernel-float", lambda: nn.Conv2d(1, 2, 2.5), TypeError, ["kernel_size"]),
    ("conv-transpose-int-dtype", lambda: nn.ConvTranspose2d(1, 2, 3, dtype=np.int32), TypeError,
     ["ConvTranspose2d", "int32"]),
    ("conv-transpose-output-padding-float", lambda: nn.ConvTranspose2d(1, 2, 3, stride=2,
     output_padding=0.5), TypeError, ["ConvTranspose2d", "output_padding"]),
    ("conv-transpose-groups-bool", lambda: nn.ConvTranspose2d(2, 2, 3, groups=True), TypeError,
     ["ConvTranspose2d", "groups"]),
    ("groupnorm-int-dtype", lambda: nn.GroupNorm(2, 4, dtype=np.int64), TypeError,
     ["GroupNorm", "int64"]),
    ("groupnorm-eps-string", lambda: nn.GroupNorm(2, 4, eps="1e-5"), TypeError,
     ["GroupNorm", "eps"]),
    ("upsample-scale-nan", lambda: nn.Upsample(scale_factor=float("nan")), ValueError,
     ["Upsample", "scale_factor"]),
    ("upsample-size-bool", lambda: nn.Upsample(size=True), TypeError, ["Upsample", "size"]),
    ("pool-stride-string", lambda: nn.MaxPool2d(2, stride="2"), TypeError, ["stride"]),
    ("adaptive-size-0", lambda: nn.AdaptiveAvgPool2d(0), ValueError, ["output_size"]),
    ("layernorm-eps-string", lambda: nn.LayerNorm(3, eps="1e-5"), TypeError, ["eps"]),
]  # fmt: skip


@pytest.mark.parametrize("build, error, words", [r[1:] for r in BAD_CONSTRUCTORS],
                         ids=[r[0] for r in BAD_CONSTRUCTORS])  # fmt: skip
def test_a_constructor_refuses_what_cannot_work(build, error, words):
    with pytest.raises(error) as caught:
        build()
    for word in words:
        assert word in str(caught.value)


def _model_with_gradients():
    model = nn.Linear(1, 3, bias=False, dtype=np.float64)
    model.dW = np.array([[3.0, 0.0, 4.0]])
    return model


HARMS = "PyTorch accepts it, minitorch refuses it as it only harms"  # the optimizers' words too
# (id, keyword arguments, error type, words; harmful: PyTorch accepts it)
BAD_CLIPPING = [
    ("max_norm-negative", {"max_norm": -1.0}, ValueError,
     ["max_norm must be non-negative, got -1.0", "the step becomes gradient ascent", HARMS], True),
    ("max_norm-minus-inf", {"max_norm": -math.inf}, ValueError,
     ["max_norm must be non-negative, got -inf", "gradient ascent", HARMS], True),
    ("max_norm-nan", {"max_norm": math.nan}, ValueError, ["max_norm"], False),
    ("max_norm-string", {"max_norm": "1.0"}, TypeError, ["max_norm", "str"], False),
    ("max_norm-bool", {"max_norm": True}, TypeError, ["max_norm", "bool"], True),
    ("norm_type-0", {"max_norm": 1.0, "norm_type": 0}, ValueError,
     ["norm_type must be positive, got 0", "counts the non-zero entries, which is not a norm",
      HARMS], True),
    ("norm_type-negative", {"max_norm": 1.0, "norm_type": -1}, ValueError,
     ["norm_type must be positive, got -1", "a negative norm_type is not a norm",
      "nothing is ever clipped", HARMS], True),
    ("norm_type-minus-inf", {"max_norm": 1.0, "norm_type": -math.inf}, ValueError,
     ["norm_type must be positive, got -inf", "the smallest magnitude", HARMS], True),
    ("norm_type-nan", {"max_norm": 1.0, "norm_type": math.nan}, ValueError, ["norm_type"], True),
    ("norm_type-fro", {"max_norm": 1.0, "norm_type": "fro"}, TypeError, ["norm_type", "'fro'"],
     False),
    ("norm_type-bool", {"max_norm": 1.0, "norm_type": True}, TypeError, ["norm_type"], True),
]  # fmt: skip


@pytest.mark.parametrize("kwargs, error, words, harmful", [r[1:] for r in BAD_CLIPPING],
                         ids=[r[0] for r in BAD_CLIPPING])  # fmt: skip
def test_clip_grad_norm_refuses_what_cannot_clip_and_leaves_the_gradients(
    kwargs, error, words, harmful
):
    model = _model_with_gradients()
    with pytest.raises(error) as caught:
        clip_grad_norm_(model, **kwargs)
    for word in words:
        assert word in str(caught.value)
    np.testing.assert_array_equal(model.dW, [[3.0, 0.0, 4.0]])
    if HAVE_TORCH and harmful:  # PyTorch accepts it: why it is a row of the differences
        p = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
        p.grad = torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
        torch.nn.utils.clip_grad_norm_([p], **kwargs)


# (id, keyword arguments) that PyTorch and minitorch both accept: the same norm and gradients
GOOD_CLIPPING = [
    ("default", {"max_norm": 1.0}),
    ("no-clipping", {"max_norm": math.inf}),
    ("zero", {"max_norm": 0.0}),
    ("inf-norm", {"max_norm": 1.0, "norm_type": math.inf}),
    ("inf-norm-string", {"max_norm": 1.0, "norm_type": "inf"}),
    ("half-norm", {"max_norm": 1.0, "norm_type": 0.5}),
    ("numpy-float", {"max_norm": np.float32(2.0), "norm_type": np.int64(1)}),
]


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")
@pytest.mark.parametrize("kwargs", [r[1] for r in GOOD_CLIPPING],
                         ids=[r[0] for r in GOOD_CLIPPING])  # fmt: skip
def test_clip_grad_norm_matches_pytorch_where_both_accept(kwargs):
    model = _model_with_gradients()
    total = clip_grad_norm_(model, **kwargs)
    p = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    p.grad = torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
    torch_kwargs = {k: (float(v) if isinstance(v, np.generic) else v) for k, v in kwargs.items()}
    expected = torch.nn.utils.clip_grad_norm_([p], **torch_kwargs)
    np.testing.assert_allclose(float(total), float(expected), rtol=1e-12)
    np.testing.assert_allclose(model.dW[0], p.grad.numpy(), rtol=1e-12, atol=1e-300)
