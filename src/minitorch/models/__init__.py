"""Ready-made models built from :mod:`minitorch.nn`: ``from minitorch.models import GPT``."""

from .gpt import GPT, ParameterGroup, decays_weight, weight_decay_groups

__all__ = ["GPT", "ParameterGroup", "decays_weight", "weight_decay_groups"]
