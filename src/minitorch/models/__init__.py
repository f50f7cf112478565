"""Ready-made models built from :mod:`minitorch.nn`: ``from minitorch.models import GPT``."""

from .char_rnn import CHAR_RNN_RECIPE, CharRNN, CharRNNRecipe
from .cnn import build_cnn, cnn_layout
from .diffusion import DiffusionMLP, NoiseScheduler, chamfer_distance, noisy_batch, sample
from .gpt import GPT
from .mlp import ACTIVATIONS, build_mlp
from .vae import VAE, VAELoss

__all__ = ["GPT"]
__all__ += ["CHAR_RNN_RECIPE", "CharRNN", "CharRNNRecipe"]
__all__ += ["DiffusionMLP", "NoiseScheduler", "chamfer_distance", "noisy_batch", "sample"]
__all__ += ["VAE", "VAELoss"]
__all__ += ["ACTIVATIONS", "build_cnn", "build_mlp", "cnn_layout"]
