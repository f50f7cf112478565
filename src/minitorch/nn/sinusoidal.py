"""SinusoidalEmbedding: a number (a timestep, a coordinate) as ``size`` sines and cosines."""

from __future__ import annotations

import numpy as np

from .._validation import check_float, float_input
from . import functional as F
from .functional.sinusoidal import embedding_frequencies
from .module import Module


class SinusoidalEmbedding(Module):
    r"""DDPM's sinusoidal embedding of each entry of t (tiny-diffusion's ``SinusoidalEmbedding``).

    Parameters
    ----------
    size : int
        The embedding's length d, even and at least 4.
    scale : float
        t is multiplied by ``scale`` first (default 1; tiny-diffusion embeds the coordinates of
        a 2-D point with 25).
    max_period : float
        The slowest frequency is 1 / max_period (default 10000).

    Math
    ----
    The code: ``F.sinusoidal_embedding_forward`` / ``F.sinusoidal_embedding_backward``
    (``nn/functional/sinusoidal.py``, which also names the transformer's interleaved layout).
    With half = d / 2, ω_i = max_period^(−i / (half − 1)) and θ = scale · t · ω::

        forward:   emb = [sin θ_0 … sin θ_{half−1}, cos θ_0 … cos θ_{half−1}]     (..., d)
        backward:  dt  = Σ_i scale · ω_i · (G_s,i cos θ_i − G_c,i sin θ_i)         (...)

    No parameters. An integer t (timesteps) gives an embedding in the default dtype (float32)
    and no input gradient (``backward`` returns ``None``); a floating t keeps its dtype and gets
    dt (``None`` too with ``needs_input_grad = False``).
    """

    def __init__(self, size: int, scale: float = 1.0, max_period: float = 10000.0) -> None:
        super().__init__()
        embedding_frequencies(size, max_period)  # refuses an odd or too small size
        self.size = int(size)
        self.scale = check_float("SinusoidalEmbedding", "scale", scale)
        self.max_period = check_float(
            "SinusoidalEmbedding", "max_period", max_period, 1, low_inclusive=False
        )
        self.cache: F.SinusoidalEmbeddingCache | None = None
        self._integer_input = False

    def forward(self, t: np.ndarray) -> np.ndarray:
        integer = isinstance(t, np.ndarray) and np.issubdtype(t.dtype, np.integer)
        if not integer:  # values (coordinates): minitorch's input policy, bool and lists too
            t = float_input(t, "SinusoidalEmbedding")
        self._integer_input = integer
        emb, self.cache = F.sinusoidal_embedding_forward(t, self.size, self.scale, self.max_period)
        return emb

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        G, input_grad = self._begin_backward(grad_output)
        if not input_grad or self._integer_input:
            return None
        return F.sinusoidal_embedding_backward(G, self.cache)

    def extra_repr(self) -> str:
        text = f"{self.size}, scale={self.scale:g}"
        return text + (f", max_period={self.max_period:g}" if self.max_period != 10000 else "")
