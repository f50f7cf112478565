"""A NumPy generator's complete state as a JSON string, and back: what a checkpoint stores.

``minitorch train`` saves minitorch's global generator (dropout) and the shuffling or batch
generator of a run this way, so a resumed run draws the very numbers an uninterrupted one would.
"""

from __future__ import annotations

import json

import numpy as np

__all__ = ["generator_state", "set_generator_state"]


def generator_state(generator: np.random.Generator) -> str:
    """The complete state of a NumPy generator as a JSON string.

    PCG64's state holds 128-bit integers, which no NumPy dtype can store; JSON keeps them
    exactly, and a string fits in an ``.npz`` file without pickle.
    """
    return json.dumps(generator.bit_generator.state)


def set_generator_state(generator: np.random.Generator, state: str) -> None:
    """Put ``generator`` back in the state :func:`generator_state` recorded (in place)."""
    generator.bit_generator.state = json.loads(state)
