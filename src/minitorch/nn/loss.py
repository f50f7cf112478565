"""Loss modules: the last step of the forward pass and the first of the backward pass.

A loss compares the model's ``predictions`` with the ``targets`` and returns one number (or,
with ``reduction='none'``, one number per element or sample); its ``backward()`` returns
dL/d(predictions), which the training loop hands to ``model.backward``::

    loss = criterion(model(x), y)        # forward: a NumPy scalar, float(loss) works
    model.backward(criterion.backward())  # backward: dL/d(predictions), shaped like them

Each loss is a pair of formulas from :mod:`minitorch.nn.functional`; the :class:`Loss` base runs
them and keeps the forward cache. All reductions and their backward scaling are written once, in
:func:`minitorch.nn.functional.reduce_loss_forward` / ``reduce_loss_backward``. Semantics, defaults
and error cases follow PyTorch's losses of the same names.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_float, check_int
from . import functional as F
from .module import Module


def _optional_array(name: str, what: str, value, ndim: int | None = None) -> np.ndarray | None:
    """A weight given at construction as a float array (None stays None)."""
    if value is None:
        return None
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{name}: {what} must be numeric, got dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{name}: {what} must be a 1-D array with one value per class, shape (C,), "
            f"got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return array


class Loss(Module):
    """Base class of the losses: ``loss = criterion(predictions, targets)``, then ``backward()``.

    A subclass provides the formula pair

    * ``_forward(predictions, targets) -> (loss, cache)``, and
    * ``_backward(grad_output, cache) -> dL/d(predictions)``,

    usually by calling a pair from :mod:`minitorch.nn.functional` with ``self.reduction``.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
        How the unreduced loss ℓ (one value per element or per sample) becomes the result:
        its mean (the default), its sum, or ℓ itself.

    forward(predictions, targets) returns
        ``'mean'``/``'sum'``: a NumPy floating scalar of the predictions' dtype
        (``float(loss)`` and ``loss.item()`` work); ``'none'``: the array ℓ.
    backward(grad_output=None) returns
        dL/d(predictions), with the predictions' shape and dtype. ``grad_output`` is, for
        ``'mean'``/``'sum'``, an optional scalar multiplier (default 1); for ``'none'``, an array
        shaped like ℓ holding dL_total/dℓ (default: ones), so a loss with ``'none'`` can be
        weighted per sample and still backpropagated.

    Losses have no parameters: ``parameters()`` and ``grads()`` are ``[]``.

    Attributes
    ----------
    reduction : str
    cache : tuple or None
        What the last forward kept for backward; ``None`` before the first forward.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F.check_reduction(reduction, type(self).__name__)
        self.cache = None

    def __call__(self, predictions: np.ndarray, targets: np.ndarray) -> np.floating | np.ndarray:
        # Unlike a layer, a loss does not count its forwards: it is routinely called on
        # validation batches between training steps, and its backward always means its last
        # forward. (A model run twice before its backward is still refused by the model.)
        return self.forward(predictions, targets)

    def forward(self, predictions: np.ndarray, targets: np.ndarray) -> np.floating | np.ndarray:
        loss, self.cache = self._forward(predictions, targets)
        return loss

    def backward(self, grad_output: float | np.ndarray | None = None) -> np.ndarray:
        cache = self._saved(self.cache, "forward pass (predictions and targets)")
        return self._backward(grad_output, cache)

    def _forward(self, predictions: np.ndarray, targets: np.ndarray) -> tuple[object, object]:
        raise NotImplementedError(
            f"{type(self).__name__} must implement forward(predictions, targets)"
        )

    def _backward(self, grad_output, cache) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")

    @property
    def _name(self) -> str:
        return type(self).__name__

    def parameters(self) -> list[np.ndarray]:
        return []

    def grads(self) -> list[np.ndarray | None]:
        return []

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(Loss):
    """Mean squared error, for regression.

    forward:  ℓ = (x − y)², reduced (default: mean over all elements).
    backward: dL/dx = 2(x − y) ⊙ s, with s = 1/numel for ``'mean'``, 1 for ``'sum'``,
              ``grad_output`` for ``'none'``.

    Shapes: predictions x and targets y the same shape (any), e.g. (N, D); ℓ the same.
    Predictions (N, 1) against targets (N,) raise instead of broadcasting to (N, N).
    """

    def _forward(self, predictions, targets):
        return F.mse_loss_forward(predictions, targets, self.reduction, name=self._name)

    def _backward(self, grad_output, cache):
        return F.mse_loss_backward(grad_output, cache)


class L1Loss(Loss):
    """Mean absolute error.

    forward:  ℓ = |x − y|, reduced.
    backward: dL/dx = sign(x − y) ⊙ s, with sign(0) = 0 (as PyTorch).

    Shapes: predictions and targets the same shape (any); ℓ the same.
    """

    def _forward(self, predictions, targets):
        return F.l1_loss_forward(predictions, targets, self.reduction, name=self._name)

    def _backward(self, grad_output, cache):
        return F.l1_loss_backward(grad_output, cache)


class HuberLoss(Loss):
    """Huber loss: squared error for small errors, absolute error for large ones.

    forward:  with d = x − y,  ℓ = ½d²  if |d| < δ,  else  δ·(|d| − ½δ).
    backward: dL/dx = clip(d, −δ, δ) ⊙ s.

    Parameters
    ----------
    reduction : {'mean', 'sum', 'none'}
    delta : float
        δ > 0, where the loss turns from quadratic to linear (default 1.0).

    Shapes: predictions and targets the same shape (any); ℓ the same.
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_float("HuberLoss", "delta", delta, 0, low_inclusive=False)

    def _forward(self, predictions, targets):
        return F.huber_loss_forward(
            predictions, targets, self.reduction, self.delta, name=self._name
        )

    def _backward(self, grad_output, cache):
        return F.huber_loss_backward(grad_output, cache)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"


class BCELoss(Loss):
    """Binary cross-entropy on probabilities (the output of a Sigmoid).

    forward:  ℓ = −w·(y·log x + (1 − y)·log(1 − x)), each log clamped at −100 (as PyTorch),
              so probabilities of exactly 0 or 1 give a finite loss.
    backward: dL/dx = w·(x − y) / max(x(1 − x), 1e-12) ⊙ s.

    Parameters
    ----------
    weight : array, optional
        A rescaling weight w that broadcasts to the predictions' shape (e.g. (N, 1) per sample).
    reduction : {'mean', 'sum', 'none'}

    Shapes: predictions x ∈ [0, 1] and targets y ∈ [0, 1] the same shape (any); ℓ the same.
    Predictions outside [0, 1] raise: for logits use :class:`BCEWithLogitsLoss`, which is also
    more stable (Sigmoid followed by BCELoss loses precision for large logits).
    """

    def __init__(self, weight: np.ndarray | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _optional_array(self._name, "weight", weight)

    def _forward(self, predictions, targets):
        return F.binary_cross_entropy_forward(
            predictions, targets, self.weight, self.reduction, name=self._name
        )

    def _backward(self, grad_output, cache):
        return F.binary_cross_entropy_backward(grad_output, cache)


class BCEWithLogitsLoss(Loss):
    """Sigmoid + binary cross-entropy in one numerically stable step, on logits.

    forward:  with σ the sigmoid, p = pos_weight and w = weight (both default 1),
              ℓ = w·[(1 − y)·x − (1 + (p − 1)·y)·log σ(x)]
                = −w·[p·y·log σ(x) + (1 − y)·log(1 − σ(x))],
              with log σ(x) = min(x, 0) − log(1 + e^{−|x|}), finite for any x (±1e4 included).
    backward: dL/dx = w·[(p·y + 1 − y)·σ(x) − p·y] ⊙ s  (= w·(σ(x) − y) ⊙ s when p = 1).

    Parameters
    ----------
    weight : array, optional
        A rescaling weight that broadcasts to the predictions' shape.
    reduction : {'mean', 'sum', 'none'}
    pos_weight : array, optional
        Weight of the positive examples, broadcast along the last axis: shape (C,) for
        predictions (N, C). pos_weight > 1 raises recall, < 1 raises precision.

    Shapes: logits x and targets y ∈ [0, 1] the same shape (any), e.g. (N, C); ℓ the same.
    """

    def __init__(
        self,
        weight: np.ndarray | None = None,
        reduction: str = "mean",
        pos_weight: np.ndarray | None = None,
    ) -> None:
        super().__init__(reduction)
        self.weight = _optional_array(self._name, "weight", weight)
        self.pos_weight = _optional_array(self._name, "pos_weight", pos_weight)

    def _forward(self, predictions, targets):
        return F.binary_cross_entropy_with_logits_forward(
            predictions, targets, self.weight, self.reduction, self.pos_weight, name=self._name
        )

    def _backward(self, grad_output, cache):
        return F.binary_cross_entropy_with_logits_backward(grad_output, cache)


class NLLLoss(Loss):
    """Negative log-likelihood of class-index targets, on log-probabilities (LogSoftmax output).

    forward:  ℓᵢ = −w[yᵢ]·log pᵢ[yᵢ], and ℓᵢ = 0 where yᵢ = ignore_index;
              ``'mean'`` = Σℓᵢ / Σ w[yᵢ] over the non-ignored targets (a weighted mean).
    backward: dL/d(log pᵢ) = −sᵢ·w[yᵢ] at the target class, 0 at the others.

    Parameters
    ----------
    weight : array (C,), optional
        One weight per class, e.g. to counter class imbalance (default: all 1).
    ignore_index : int
        Targets equal to it contribute neither loss nor gradient (default -100).
    reduction : {'mean', 'sum', 'none'}

    Shapes: log-probabilities (N, C), (N, C, d1, ...) or unbatched (C,); targets integers in
    [0, C) of shape (N,), (N, d1, ...) or (); ℓ (N,), (N, d1, ...) or (). For logits use
    :class:`CrossEntropyLoss`, which is LogSoftmax + NLLLoss in one faster, stabler step.
    """

    def __init__(
        self,
        weight: np.ndarray | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.weight = _optional_array(self._name, "weight", weight, ndim=1)
        self.ignore_index = check_int(self._name, "ignore_index", ignore_index)

    def _forward(self, predictions, targets):
        return F.nll_loss_forward(
            predictions, targets, self.weight, self.ignore_index, self.reduction, name=self._name
        )

    def _backward(self, grad_output, cache):
        return F.nll_loss_backward(grad_output, cache)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, ignore_index={self.ignore_index}"


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits: the loss of every classifier.

    With log pᵢ = log_softmax(xᵢ) over the classes, C classes, ε = label_smoothing and class
    weights w (all 1 by default):

    forward, class-index targets yᵢ (integers):
        ℓᵢ = (1 − ε)·w[yᵢ]·(−log pᵢ[yᵢ]) + (ε/C)·Σ_c w_c·(−log pᵢ_c),  0 where yᵢ = ignore_index;
        ``'mean'`` = Σℓᵢ / Σ w[yᵢ] over the non-ignored targets (a weighted mean, as PyTorch).
    forward, class-probability targets tᵢ (floats, shaped like the logits):
        ℓᵢ = −Σ_c w_c·t'ᵢ_c·log pᵢ_c  with  t' = (1 − ε)·t + ε/C;
        ``'mean'`` = Σℓᵢ / (number of samples N·d1·...).
    backward (p = softmax(x), cached by forward; sᵢ the reduction's scale):
        class indices, ε = 0:  dL/dxᵢ = sᵢ·w[yᵢ]·(pᵢ − onehot(yᵢ)),
        computed as p scaled per row, minus sᵢ·w[yᵢ] at the target class (no one-hot matrix);
        with ε > 0:  sᵢ·[((1 − ε)·w[yᵢ] + (ε/C)·Σ_c w_c)·pᵢ − (1 − ε)·w[yᵢ]·onehot(yᵢ) − (ε/C)·w];
        probabilities:  sᵢ·[pᵢ·Σ_c w_c·t'ᵢ_c − w ⊙ t'ᵢ].

    Parameters
    ----------
    weight : array (C,), optional
        One weight per class (default: all 1).
    ignore_index : int
        Class-index targets equal to it are skipped (default -100). Not for probability targets.
    reduction : {'mean', 'sum', 'none'}
    label_smoothing : float
        ε ∈ [0, 1]: the target mixes (1 − ε)·(the true class) with ε spread evenly over all
        classes (default 0).

    Shapes: logits (N, C), (N, C, d1, ...) (e.g. per-pixel classes) or unbatched (C,); targets
    class indices (N,), (N, d1, ...) or () of an integer dtype, or class probabilities shaped
    like the logits; ℓ (N,), (N, d1, ...) or (). Logits of ±1e4 give finite results.
    """

    def __init__(
        self,
        weight: np.ndarray | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.weight = _optional_array(self._name, "weight", weight, ndim=1)
        self.ignore_index = check_int(self._name, "ignore_index", ignore_index)
        self.label_smoothing = check_float(
            "CrossEntropyLoss", "label_smoothing", label_smoothing, 0.0, 1.0
        )

    def _forward(self, predictions, targets):
        return F.cross_entropy_forward(
            predictions,
            targets,
            self.weight,
            self.ignore_index,
            self.reduction,
            self.label_smoothing,
            name=self._name,
        )

    def _backward(self, grad_output, cache):
        return F.cross_entropy_backward(grad_output, cache)

    def extra_repr(self) -> str:
        text = f"reduction={self.reduction!r}, ignore_index={self.ignore_index}"
        if self.label_smoothing:
            text += f", label_smoothing={self.label_smoothing}"
        return text
