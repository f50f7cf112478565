r"""A variational autoencoder (Kingma & Welling 2014) as pytorch/examples' ``vae/main.py`` has it.

The encoder maps an image x (784 pixels in [0, 1]) to the mean μ and the log-variance log σ² of
a Gaussian over a 20-dimensional latent code; a code z is drawn from it with the
reparameterisation trick, and the decoder maps z back to 784 logits, one Bernoulli per pixel.
Training minimises the negative evidence lower bound, in nats per image::

    loss = BCE(sigmoid(logits), x) summed over pixels  +  KL(N(μ, σ²) ‖ N(0, I)) summed

Pieces: :class:`VAE` (the network: ``forward(x) -> (logits, mu, logvar)``) and
:class:`VAELoss` (the two terms: ``forward(logits, x, mu, logvar) -> loss``, ``backward() ->
(dlogits, dmu, dlogvar)``, exactly what ``VAE.backward`` takes).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from .._validation import check_int, float_input
from ..nn import functional as F
from ..nn import init

__all__ = ["VAE", "VAELoss"]


class VAE(nn.Module):
    r"""pytorch/examples' VAE: 784-400-20 with ReLU, its layer names (a torch state dict maps).

    Math
    ----
    ::

        h₁     = ReLU(fc1(x))                       (N, 784) -> (N, 400)
        μ      = fc21(h₁),  logvar = fc22(h₁)       (N, 20) each
        z      = μ + exp(½ logvar) ⊙ ε,  ε ~ N(0, I) (F.reparameterize_forward)
        logits = fc4(ReLU(fc3(z)))                  (N, 20) -> (N, 400) -> (N, 784)

        backward, given (dlogits, dμ, dlogvar) — the loss's gradients with respect to the
        three outputs (the KL term's reach μ and logvar directly):
            dz                 = fc3.backward(ReLU'.(fc4.backward(dlogits)))
            dμ', dlogvar'      = F.reparameterize_backward(dz)   (dz and ½ dz ε σ)
            dh₁                = fc21.backward(dμ + dμ') + fc22.backward(dlogvar + dlogvar')
            dx                 = fc1.backward(ReLU'.(dh₁))

    ``forward`` returns the decoder's *logits* (pytorch/examples' ``decode`` ends in a sigmoid;
    the loss here takes logits, :class:`~minitorch.nn.BCEWithLogitsLoss`, which is the same
    loss computed stably; ``decode(z)`` applies the sigmoid for pictures). As in
    pytorch/examples, z is *sampled in both train and eval mode* (its test loss is a one-sample
    estimate); ``encode(x)`` gives μ, the usual deterministic code. ε comes from minitorch's
    global generator, so ``minitorch.manual_seed`` fixes it; ``forward(x, eps=...)`` takes a
    given ε instead (the parity tests feed torch the same one). With ``needs_input_grad =
    False`` (x is data: the usual case), ``backward`` stops at fc1's parameters and returns
    ``None``.
    """

    def __init__(self, input_dim: int = 784, hidden_dim: int = 400, latent_dim: int = 20) -> None:
        super().__init__()
        self.input_dim = check_int("VAE", "input_dim", input_dim, 1)
        self.hidden_dim = check_int("VAE", "hidden_dim", hidden_dim, 1)
        self.latent_dim = check_int("VAE", "latent_dim", latent_dim, 1)
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.relu1 = nn.ReLU()
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.relu3 = nn.ReLU()
        self.fc4 = nn.Linear(hidden_dim, input_dim)
        self._reparameterize_cache: F.ReparameterizeCache | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's ``nn.Linear`` initialisation, which pytorch/examples' VAE trains from:
        W and b ~ U(−1/√input_dim, 1/√input_dim) per layer (minitorch's Linear default is He
        normal with b = 0; this VAE learns faster from it but is no longer pytorch/examples')."""
        for layer in (self.fc1, self.fc21, self.fc22, self.fc3, self.fc4):
            bound = 1.0 / np.sqrt(layer.input_dim)
            init.uniform_(layer.W, -bound, bound)
            init.uniform_(layer.b, -bound, bound)

    @property
    def needs_input_grad(self) -> bool:
        return self.fc1.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        self.fc1.needs_input_grad = bool(value)

    def _input(self, x: np.ndarray) -> np.ndarray:
        x = float_input(x, "VAE", self.fc1.W.dtype)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(
                f"VAE expects images as rows of {self.input_dim} values, shape (N, "
                f"{self.input_dim}), got {x.shape}; flatten them first (x.reshape(len(x), -1))"
            )
        return x

    def encode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(μ, logvar) of q(z | x), each (N, latent_dim)."""
        h1 = self.relu1(self.fc1(self._input(x)))
        return self.fc21(h1), self.fc22(h1)

    def decode_logits(self, z: np.ndarray) -> np.ndarray:
        """The decoder's 784 logits for codes z (N, latent_dim)."""
        return self.fc4(self.relu3(self.fc3(z)))

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Pixel probabilities sigmoid(logits) for codes z (N, latent_dim): pictures."""
        z = float_input(z, "VAE.decode", self.fc3.W.dtype)
        return F.sigmoid(self.decode_logits(z))

    def forward(
        self, x: np.ndarray, eps: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mu, logvar = self.encode(x)
        if eps is not None:
            eps = float_input(eps, "VAE", mu.dtype, "eps")
        z, self._reparameterize_cache = F.reparameterize_forward(mu, logvar, eps)
        return self.decode_logits(z), mu, logvar

    def backward(
        self, grad_output: tuple[np.ndarray, np.ndarray, np.ndarray]
    ) -> np.ndarray | None:
        grads, _ = self._begin_backward(grad_output)
        cache = self._saved(self._reparameterize_cache, "sample z")
        if not isinstance(grads, tuple) or len(grads) != 3:
            raise ValueError(
                "VAE.backward expects the loss's gradients with respect to the three outputs, "
                "(dlogits, dmu, dlogvar), e.g. VAELoss.backward()'s"
            )
        dlogits, dmu, dlogvar = grads
        dz = self.fc3.backward(self.relu3.backward(self.fc4.backward(dlogits)))
        dmu_z, dlogvar_z = F.reparameterize_backward(dz, cache)
        dh1 = self.fc21.backward(dmu + dmu_z)
        dh1 = dh1 + self.fc22.backward(dlogvar + dlogvar_z)
        return self.fc1.backward(self.relu1.backward(dh1))

    def extra_repr(self) -> str:
        return f"{self.input_dim}-{self.hidden_dim}-{self.latent_dim}"


class VAELoss(nn.Module):
    r"""pytorch/examples' ``loss_function``: summed binary cross-entropy plus the summed KL term.

    Math
    ----
    ::

        loss = Σ BCEWithLogits(logits, x)  +  Σ −½ (1 + logvar − μ² − exp(logvar))
        backward() -> (dlogits, dμ, dlogvar) = (σ(logits) − x,  μ,  ½ (exp(logvar) − 1))

    Both sums run over the batch too, so ``loss / N`` is nats per image (the number the
    example prints). ``forward`` also keeps the two terms as ``self.bce`` and ``self.kl``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reconstruction = nn.BCEWithLogitsLoss(reduction="sum")
        self._kl_cache: F.KLNormalCache | None = None
        self.bce = self.kl = None

    def forward(self, logits, x, mu, logvar):
        self.bce = self.reconstruction(logits, x)
        self.kl, self._kl_cache = F.kl_normal_forward(mu, logvar, reduction="sum")
        return self.bce + self.kl

    def backward(self, grad_output: float | None = None):
        cache = self._saved(self._kl_cache, "KL term")
        dlogits = self.reconstruction.backward(grad_output)
        dmu, dlogvar = F.kl_normal_backward(grad_output, cache)
        return dlogits, dmu, dlogvar
