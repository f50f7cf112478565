"""Image transforms in torchvision's shape, applied to one image or to a whole batch at once.

Every transform takes a NumPy array of shape ``(C, H, W)`` (one image) or ``(N, C, H, W)`` (a
batch) and returns a new array of the same kind; the input is never modified. On a batch, each
image is transformed independently (its own crop, its own coin flip), but with whole-array NumPy
operations, never a Python loop over the images::

    from minitorch import transforms as T

    augment = T.Compose([
        T.RandomCrop(28, padding=4),                # a random 28×28 window of the padded image
        T.RandomHorizontalFlip(p=0.5),              # mirror half of the images
        T.Normalize(mean=(0.1307,), std=(0.3081,)), # MNIST's mean and standard deviation
    ])
    one = augment(image)                            # image: (1, 28, 28)
    many = augment(images)                          # images: (64, 1, 28, 28), one call

Random draws come from minitorch's global generator (:func:`minitorch.generator`), so
:func:`minitorch.manual_seed` makes them reproducible. One image draws what a batch of one
draws: ``t(x)`` and ``t(x[None])[0]`` agree under the same seed.

A dataset such as :class:`minitorch.datasets.MNIST` applies its ``transform`` to a whole batch
when the transform says it can (``transform.batched`` is ``True``: every transform here, and a
:class:`Compose` of such transforms); any other callable is applied one image at a time.

:func:`pad`, :func:`crop` and :func:`hflip` are the deterministic operations the random
transforms are made of, for batches, with the place of each image's window given.

Unlike torchvision, the images are NumPy arrays: there is no PIL image and no ``ToTensor``
(minitorch's data sets already hand out float32 images scaled to [0, 1]).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _state

__all__ = [
    "Compose",
    "Lambda",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomShift",
    "Transform",
    "crop",
    "hflip",
    "pad",
]

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


# ----------------------------------------------------------------------------------------------
# Checking arguments and inputs
# ----------------------------------------------------------------------------------------------


def _check_images(x: Any, owner: str) -> np.ndarray:
    """``x`` if it is an array of shape (C, H, W) or (N, C, H, W), else an error that explains."""
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{owner} expects a NumPy array of shape (C, H, W) or (N, C, H, W), got "
            f"{type(x).__name__}; convert it with np.asarray(x)"
        )
    if x.ndim not in (3, 4):
        hint = "; add the channel axis with x[None] (one image) or x[:, None] (a batch)"
        raise ValueError(
            f"{owner} expects one image (C, H, W) or a batch (N, C, H, W), got shape "
            f"{x.shape}{hint if x.ndim == 2 else ''}"
        )
    return x


def _is_int(value: Any) -> bool:
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def _pair(value: Any, owner: str, name: str, *, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (at least ``minimum``) as ``(height, width)``."""
    if _is_int(value):
        values = (int(value), int(value))
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(_is_int(v) for v in value)
    ):
        values = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{owner}: {name} must be an int or a pair of ints (h, w), got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value!r}")
    return values


def _padding(value: Any, owner: str) -> tuple[int, int, int, int]:
    """torchvision's padding forms as ``(left, top, right, bottom)``."""
    if value is None:
        return (0, 0, 0, 0)
    if _is_int(value):
        values: tuple[int, ...] = (int(value),) * 4
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) in (2, 4)
        and all(_is_int(v) for v in value)
    ):
        values = tuple(int(v) for v in value)
        if len(values) == 2:  # (left and right, top and bottom)
            values = (values[0], values[1], values[0], values[1])
    else:
        raise TypeError(
            f"{owner}: padding must be an int, a pair (left/right, top/bottom) or four ints "
            f"(left, top, right, bottom), got {value!r}"
        )
    if min(values) < 0:
        raise ValueError(f"{owner}: padding must not be negative, got {value!r}")
    return values  # type: ignore[return-value]


def _check_fill(fill: Any, owner: str) -> float:
    if isinstance(fill, bool) or not isinstance(fill, (numbers.Real, np.number)):
        raise TypeError(
            f"{owner}: fill must be a number (the value of padded pixels), got {fill!r}"
        )
    if not np.isfinite(fill):
        raise ValueError(f"{owner}: fill must be finite, got {fill!r}")
    return float(fill)


# ----------------------------------------------------------------------------------------------
# The deterministic operations the random transforms are made of (all on batches)
# ----------------------------------------------------------------------------------------------


def pad(
    batch: np.ndarray,
    padding: tuple[int, int, int, int],
    *,
    fill: float = 0.0,
    mode: str = "constant",
) -> np.ndarray:
    """Pad the last two axes of ``batch`` by ``(left, top, right, bottom)`` pixels.

    ``mode`` is NumPy's (and torchvision's) ``'constant'`` (every new pixel is ``fill``),
    ``'edge'``, ``'reflect'`` or ``'symmetric'``. Returns a new array.
    """
    left, top, right, bottom = padding
    widths = [(0, 0)] * (batch.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(batch, widths, mode="constant", constant_values=np.asarray(fill, batch.dtype))
    return np.pad(batch, widths, mode=mode)


def crop(
    batch: np.ndarray, tops: np.ndarray, lefts: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """Cut one window of ``size = (h, w)`` out of every image of ``batch``, each at its own place.

    Image ``n`` gives ``batch[n, :, tops[n]:tops[n] + h, lefts[n]:lefts[n] + w]``. All the
    windows come out of one fancy index into a strided view of every possible window
    (``sliding_window_view``), not from a loop over the images.

    Parameters
    ----------
    batch : ndarray, shape (N, C, H, W)
    tops, lefts : ndarray of int, shape (N,)
        Row and column of each window's top-left corner, ``0 <= tops <= H - h`` and
        ``0 <= lefts <= W - w``.
    size : (int, int)
        ``(h, w)``.

    Returns
    -------
    ndarray, shape (N, C, h, w)
        A new array.
    """
    h, w = size
    # windows[n, c, i, j] is the h×w window whose top-left corner is (i, j): a view, no copy.
    windows = sliding_window_view(batch, (h, w), axis=(2, 3))
    # Advanced indices on axes 0, 2 and 3 (apart from the slice on axis 1) put the batch axis
    # first: the result has shape (N, C, h, w).
    return windows[np.arange(len(batch)), :, tops, lefts]


def hflip(batch: np.ndarray) -> np.ndarray:
    """Mirror images left to right (reverse the last axis). Returns a new array."""
    return batch[..., ::-1].copy()


# ----------------------------------------------------------------------------------------------
# Transforms
# ----------------------------------------------------------------------------------------------


class Transform:
    """Base class: ``transform(x)`` for one image ``(C, H, W)`` or a batch ``(N, C, H, W)``.

    A subclass implements :meth:`apply_batch` for batches only; ``__call__`` checks the input and
    turns one image into a batch of one and back. Subclasses must transform each image of a batch
    on its own (what :attr:`batched` promises to the data sets).
    """

    batched: bool = True
    """Whether the transform accepts a batch ``(N, C, H, W)`` and treats its images independently
    (data sets then call it once per batch)."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = _check_images(x, type(self).__name__)
        if x.ndim == 3:
            return self.apply_batch(x[None])[0]
        return self.apply_batch(x)

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        """Transform a batch of shape ``(N, C, H, W)`` into a new array."""
        raise NotImplementedError(f"{type(self).__name__} must implement apply_batch(batch)")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Compose:
    """Apply several transforms one after another: ``Compose([t1, t2])(x) == t2(t1(x))``.

    Parameters
    ----------
    transforms : sequence of callable
        Transforms of this module, or any function of one argument.

    Attributes
    ----------
    batched : bool
        ``True`` when every transform is batched (then a data set calls the whole chain once
        per batch); a plain function makes the chain run one image at a time.
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        if isinstance(transforms, (str, bytes)) or not isinstance(transforms, Sequence):
            raise TypeError(
                f"Compose expects a list of transforms, got {type(transforms).__name__}; "
                "write Compose([t1, t2]), not Compose(t1, t2)"
            )
        for position, transform in enumerate(transforms):
            if not callable(transform):
                raise TypeError(
                    f"Compose: transforms[{position}] is {type(transform).__name__}, which is "
                    "not callable; every item must be a transform or a function of one image"
                )
        self.transforms = list(transforms)

    @property
    def batched(self) -> bool:
        return all(getattr(transform, "batched", False) is True for transform in self.transforms)

    def __call__(self, x: Any) -> Any:
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self) -> str:
        lines = "".join(f"\n    {transform!r}" for transform in self.transforms)
        return f"Compose({lines}\n)"


class Lambda:
    """A function of your own used as a transform: ``Lambda(lambda x: x * 2, batched=True)``.

    Parameters
    ----------
    function : callable
        Takes an image (or a batch, when ``batched``) and returns the transformed one.
    batched : bool
        Set it to ``True`` only if ``function`` handles a batch ``(N, C, H, W)`` and treats its
        images independently (``x * 2`` does; ``(x - x.mean()) / x.std()`` does not: on a batch
        it would use the statistics of the whole batch). Default ``False``: data sets then call
        it once per image.
    """

    def __init__(self, function: Callable[[Any], Any], *, batched: bool = False) -> None:
        if not callable(function):
            raise TypeError(f"Lambda expects a function, got {type(function).__name__}")
        if not isinstance(batched, bool):
            raise TypeError(f"Lambda: batched must be True or False, got {batched!r}")
        self.function = function
        self.batched = batched

    def __call__(self, x: Any) -> Any:
        return self.function(x)

    def __repr__(self) -> str:
        name = getattr(self.function, "__name__", repr(self.function))
        return f"Lambda({name}, batched={self.batched})"


class Normalize(Transform):
    """Standardise each channel: ``out[c] = (x[c] - mean[c]) / std[c]``.

    Parameters
    ----------
    mean, std : float or sequence of float
        One value per channel, or a single value for all channels. For MNIST, ``(0.1307,)`` and
        ``(0.3081,)``, its training set's mean and standard deviation after scaling to [0, 1],
        give inputs of mean about 0 and standard deviation about 1. ``std`` must be positive.

    Notes
    -----
    The input must be floating point; the result has its dtype (``mean`` and ``std`` are cast
    to it first, as torchvision does, so float32 images give exactly the float32 ``(x - m) / s``).
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = self._values(mean, "mean")
        self.std = self._values(std, "std")
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise ValueError(
                f"Normalize: mean has {len(self.mean)} values but std has {len(self.std)}; "
                "give one of each per channel"
            )
        if np.any(self.std <= 0):
            raise ValueError(
                f"Normalize: std must be positive (it divides), got {self.std.tolist()}"
            )

    @staticmethod
    def _values(value: Any, name: str) -> np.ndarray:
        try:
            values = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"Normalize: {name} must be a number or a sequence of numbers, got {value!r}"
            ) from None
        if values.ndim > 1 or values.size == 0:
            raise ValueError(
                f"Normalize: {name} must be a number or a non-empty list of numbers (one per "
                f"channel), got {value!r}"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError(f"Normalize: {name} must be finite, got {value!r}")
        return values.reshape(-1)

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        if batch.dtype.kind != "f":
            raise TypeError(
                f"Normalize expects floating-point images, got dtype {batch.dtype}; scale them "
                "to [0, 1] first, e.g. x.astype(np.float32) / 255 (minitorch's data sets do)"
            )
        channels = batch.shape[1]
        count = max(len(self.mean), len(self.std))
        if count not in (1, channels):
            raise ValueError(
                f"Normalize has {count} values of mean and std but the images have {channels} "
                f"channel(s) (shape {batch.shape[1:]} per image); give one value per channel"
            )
        mean = self.mean.astype(batch.dtype).reshape(-1, 1, 1)
        std = self.std.astype(batch.dtype).reshape(-1, 1, 1)
        return (batch - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class RandomCrop(Transform):
    """Pad each image, then cut out a window of ``size`` at a random place, one per image.

    Parameters
    ----------
    size : int or (int, int)
        ``(h, w)`` of the output (an int gives a square).
    padding : int, pair or four ints, optional
        Pixels added around the image first: one number for every side, ``(left/right,
        top/bottom)``, or ``(left, top, right, bottom)``, as in torchvision.
    fill : float
        Value of the added pixels when ``padding_mode='constant'`` (default 0: black).
    padding_mode : {'constant', 'edge', 'reflect', 'symmetric'}
        How the border is filled, as in torchvision.

    Notes
    -----
    For padded images of ``Hp × Wp``, each image's window starts at row ``top`` and column
    ``left``, drawn independently and uniformly from ``0 .. Hp - h`` and ``0 .. Wp - w`` (all
    the tops of the batch are drawn first, then all the lefts). ``RandomCrop(28, padding=4)``
    on 28×28 digits shifts each digit by up to 4 pixels in each direction: see
    :class:`RandomShift`.
    """

    def __init__(
        self,
        size: int | tuple[int, int],
        padding: int | Sequence[int] | None = None,
        fill: float = 0.0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _pair(size, "RandomCrop", "size", minimum=1)
        self.padding = _padding(padding, "RandomCrop")
        self.fill = _check_fill(fill, "RandomCrop")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"RandomCrop: padding_mode must be one of {', '.join(_PADDING_MODES)}, got "
                f"{padding_mode!r}"
            )
        self.padding_mode = padding_mode

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        padded = pad(batch, self.padding, fill=self.fill, mode=self.padding_mode)
        h, w = self.size
        height, width = padded.shape[2:]
        if h > height or w > width:
            raise ValueError(
                f"RandomCrop(size={self.size}): the images are {batch.shape[2]}×{batch.shape[3]}, "
                f"{height}×{width} with padding {self.padding} (left, top, right, bottom), "
                f"smaller than the crop; use a smaller size or more padding"
            )
        rng = _state.generator()
        tops = rng.integers(0, height - h + 1, size=len(batch))
        lefts = rng.integers(0, width - w + 1, size=len(batch))
        return crop(padded, tops, lefts, self.size)

    def __repr__(self) -> str:
        return (
            f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill:g}, "
            f"padding_mode={self.padding_mode!r})"
        )


class RandomHorizontalFlip(Transform):
    """Mirror each image left to right with probability ``p``, independently.

    Parameters
    ----------
    p : float
        Probability that an image is flipped, between 0 and 1 (default 0.5).

    Notes
    -----
    One uniform number per image, ``u < p`` meaning "flip". Left-right mirroring suits
    photographs and clothes (Fashion-MNIST); it turns some digits into other shapes, so it is
    a poor augmentation for MNIST.
    """

    def __init__(self, p: float = 0.5) -> None:
        if isinstance(p, bool) or not isinstance(p, (numbers.Real, np.number)):
            raise TypeError(f"RandomHorizontalFlip: p must be a number, got {p!r}")
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p is a probability, 0 to 1, got {p!r}")
        self.p = float(p)

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        flip = _state.generator().random(len(batch)) < self.p
        out = batch.copy()
        out[flip] = hflip(batch[flip])
        return out

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p:g})"


class RandomShift(Transform):
    """Move each image by a random whole number of pixels, filling the uncovered border.

    Image ``n`` is shifted down by ``dy`` and right by ``dx`` (negative: up, left):
    ``out[n, :, y, x] = x[n, :, y - dy, x - dx]``, or ``fill`` where that lies outside the
    image. ``dy`` and ``dx`` are drawn independently and uniformly from ``-max_dy .. max_dy`` and
    ``-max_dx .. max_dx``. The output has the input's size.

    Parameters
    ----------
    max_shift : int or (int, int)
        The largest shift, in pixels: one number for both directions, or ``(max_dy, max_dx)``.
    fill : float
        Value of the pixels shifted in (default 0: black background, as in MNIST).

    Notes
    -----
    torchvision has no transform of this name: it is ``RandomAffine(degrees=0,
    translate=(max_dx / W, max_dy / H), fill=fill)`` in whole pixels, and exactly
    ``RandomCrop((H, W), padding=(max_dx, max_dy), fill=fill)`` for ``H × W`` images (pad by
    the largest shift, cut a window of the original size): with the same seed both give the
    same images. Unlike ``RandomCrop`` it needs no image size.
    """

    def __init__(self, max_shift: int | tuple[int, int], fill: float = 0.0) -> None:
        self.max_shift = _pair(max_shift, "RandomShift", "max_shift", minimum=0)
        self.fill = _check_fill(fill, "RandomShift")

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        max_dy, max_dx = self.max_shift
        padded = pad(batch, (max_dx, max_dy, max_dx, max_dy), fill=self.fill)
        rng = _state.generator()
        # The window at (top, left) of the padded image is the image shifted by
        # dy = max_dy - top and dx = max_dx - left.
        tops = rng.integers(0, 2 * max_dy + 1, size=len(batch))
        lefts = rng.integers(0, 2 * max_dx + 1, size=len(batch))
        return crop(padded, tops, lefts, batch.shape[2:])

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill:g})"
