"""A LeNet-style convolutional network: two conv blocks, then a multilayer perceptron.

>>> from minitorch.models import build_cnn
>>> build_cnn((1, 28, 28), [6, 16], [120], 10)[0]
Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import nn
from .mlp import ACTIVATIONS, build_mlp

__all__ = ["build_cnn", "cnn_layout"]


def cnn_layout(image_shape: Sequence[int]) -> list[tuple[int, int]]:
    """``[(kernel_size, padding), (kernel_size, padding)]`` of :func:`build_cnn`'s two convolutions.

    LeNet's layout on 28×28 images: 5×5 kernels, the first padded by 2 (the map keeps its
    size), the second unpadded (28 → 14 after pooling → 10 → 5). Smaller images (the 8×8
    digits) get 3×3 kernels, and the second convolution is padded too when an unpadded one
    would leave less than a 2×2 map after pooling (8 → 4 → 4 → 2).
    """
    _, height, width = (int(size) for size in image_shape)
    side = min(height, width)
    kernel = 5 if side >= 16 else 3
    after_first = side // 2
    valid = after_first - kernel + 1
    second_padding = 0 if valid // 2 >= 2 else kernel // 2
    return [(kernel, kernel // 2), (kernel, second_padding)]


def build_cnn(
    image_shape: Sequence[int],
    channels: Sequence[int],
    hidden_sizes: Sequence[int],
    output_dim: int,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """A LeNet-style convolutional network: two conv blocks, then an MLP on the flattened maps.

    Each block is ``Conv2d → [BatchNorm2d] → activation → MaxPool2d(2)``; then ``Flatten`` and
    ``Linear → activation [→ Dropout]`` per hidden size, and a last ``Linear`` (so the default
    ``hidden_sizes=[120]`` gives LeNet's two linear layers). The kernels and paddings follow
    :func:`cnn_layout`.

    Parameters
    ----------
    image_shape : (C, H, W)
        The shape of one input image, e.g. ``(1, 28, 28)``.
    channels : (int, int)
        Output channels of the two convolutions (LeNet: 6 and 16).
    hidden_sizes : sequence of int
        Widths of the hidden linear layers after the convolutions.
    output_dim : int
        Number of classes.
    activation, dropout
        As for :func:`build_mlp`: the non-linearity after every convolution and hidden layer,
        and the dropout after each hidden linear layer.
    batch_norm : bool
        Put a ``BatchNorm2d`` after each convolution.

    Examples
    --------
    >>> build_cnn((1, 28, 28), [6, 16], [120], 10)[7]
    Linear(input_dim=400, output_dim=120, bias=True)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"build_cnn: unknown activation {activation!r}; choose one of: "
            + ", ".join(ACTIVATIONS)
        )
    shape = tuple(int(size) for size in image_shape)
    if len(shape) != 3 or min(shape) <= 0:
        raise ValueError(f"build_cnn: image_shape must be (C, H, W), got {tuple(image_shape)}")
    channels = [int(c) for c in channels]
    if len(channels) != 2 or min(channels) <= 0:
        raise ValueError(
            f"build_cnn: channels must be two positive numbers (LeNet: [6, 16]), got {channels}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"build_cnn: dropout must be in [0, 1), got {dropout}")
    in_channels, height, width = shape
    layers: list[nn.Module] = []
    for out_channels, (kernel, padding) in zip(channels, cnn_layout(shape), strict=True):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel, padding=padding))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        layers += [ACTIVATIONS[activation](), nn.MaxPool2d(2)]
        height = (height + 2 * padding - kernel + 1) // 2
        width = (width + 2 * padding - kernel + 1) // 2
        in_channels = out_channels
    if min(height, width) < 1:
        raise ValueError(f"build_cnn: images of {shape[1]}x{shape[2]} pixels are too small")
    head = build_mlp(in_channels * height * width, hidden_sizes, output_dim, activation, dropout)
    return nn.Sequential(*layers, nn.Flatten(), *head)
