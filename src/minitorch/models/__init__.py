"""Ready-made models built from :mod:`minitorch.nn`: ``from minitorch.models import GPT``."""

from .cnn import build_cnn, cnn_layout
from .gpt import GPT
from .mlp import ACTIVATIONS, build_mlp

__all__ = ["GPT"]
__all__ += ["ACTIVATIONS", "build_cnn", "build_mlp", "cnn_layout"]
