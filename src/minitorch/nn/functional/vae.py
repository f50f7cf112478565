"""The two pieces of a variational autoencoder's loss that are not layers, as stateless pairs.

- :func:`reparameterize_forward` / :func:`reparameterize_backward`: the reparameterisation
  trick, z = μ + σ ⊙ ε with σ = exp(½ log σ²) and ε ~ N(0, I), so that the sample z is a
  differentiable function of the encoder's outputs μ and log σ².
- :func:`kl_normal_forward` / :func:`kl_normal_backward`: the KL divergence of the encoder's
  N(μ, diag σ²) from the prior N(0, I), in closed form (Kingma & Welling 2014, appendix B).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import _state
from .reduction import ReductionCache, reduce_loss_backward, reduce_loss_forward


class ReparameterizeCache(NamedTuple):
    """What the backward of the reparameterisation needs from its forward."""

    eps: np.ndarray  # ε, shaped like μ
    std: np.ndarray  # σ = exp(½ log σ²), shaped like μ


class KLNormalCache(NamedTuple):
    """What the backward of the KL term needs from its forward."""

    mu: np.ndarray
    var: np.ndarray  # σ² = exp(log σ²)
    reduction: ReductionCache


def reparameterize_forward(
    mu: np.ndarray,
    logvar: np.ndarray,
    eps: np.ndarray | None = None,
    generator: np.random.Generator | None = None,
) -> tuple[np.ndarray, ReparameterizeCache]:
    """Draw z ~ N(μ, diag σ²) as a differentiable function of μ and log σ².

    Math
    ----
    ::

        σ = exp(½ logvar),   z = μ + σ ⊙ ε,   ε ~ N(0, I)

    Shapes: mu, logvar, eps and z are (N, D). ε is drawn from minitorch's global generator
    (``minitorch.manual_seed`` fixes it) unless ``generator`` or ``eps`` itself is given, in
    the dtype of ``mu``. Returns ``(z, ReparameterizeCache(eps, std))``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"reparameterize_forward: mu and logvar must have one shape, got {mu.shape} and "
            f"{logvar.shape}"
        )
    if eps is None:
        rng = _state.generator() if generator is None else generator
        eps = rng.standard_normal(mu.shape).astype(mu.dtype, copy=False)
    elif eps.shape != mu.shape:
        raise ValueError(
            f"reparameterize_forward: eps must have the shape of mu, {mu.shape}, got {eps.shape}"
        )
    std = np.exp(0.5 * logvar)
    z = mu + std * eps
    return z, ReparameterizeCache(eps, std)


def reparameterize_backward(
    grad_z: np.ndarray, cache: ReparameterizeCache
) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of z = μ + exp(½ logvar) ⊙ ε with respect to μ and logvar (ε held fixed).

    Math
    ----
    ::

        dμ      = dz
        dlogvar = dz ⊙ ε ⊙ ∂σ/∂logvar = ½ · dz ⊙ ε ⊙ σ

    Shapes: grad_z, dμ and dlogvar are (N, D). Returns ``(dmu, dlogvar)``.
    """
    eps, std = cache
    dmu = grad_z
    dlogvar = 0.5 * grad_z * eps * std
    return dmu, dlogvar


def kl_normal_forward(
    mu: np.ndarray, logvar: np.ndarray, reduction: str = "sum"
) -> tuple[np.floating | np.ndarray, KLNormalCache]:
    """KL(N(μ, diag σ²) ‖ N(0, I)), one term per latent coordinate, summed by default.

    Math
    ----
    ::

        ℓ  = −½ (1 + logvar − μ² − exp(logvar))        (N, D), each term ≥ 0
        KL = Σ ℓ   ('sum', the VAE paper's and pytorch/examples'; 'mean' and 'none' as losses)

    Shapes: mu and logvar (N, D); KL a scalar ((N, D) with ``reduction='none'``).
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"kl_normal_forward: mu and logvar must have one shape, got {mu.shape} and "
            f"{logvar.shape}"
        )
    var = np.exp(logvar)
    unreduced = -0.5 * (1 + logvar - mu * mu - var)
    kl, reduction_cache = reduce_loss_forward(unreduced, reduction, name="kl_normal")
    return kl, KLNormalCache(mu, var, reduction_cache)


def kl_normal_backward(
    grad_output: float | np.ndarray | None, cache: KLNormalCache
) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of the KL term with respect to μ and logvar.

    Math
    ----
    ::

        ∂ℓ/∂μ      = μ
        ∂ℓ/∂logvar = ½ (exp(logvar) − 1)

    each times the reduction's scale s (1 for 'sum' with the default grad_output). Shapes:
    dμ and dlogvar (N, D). Returns ``(dmu, dlogvar)``.
    """
    mu, var, reduction = cache
    s = reduce_loss_backward(grad_output, reduction)
    dmu = mu * s
    dlogvar = 0.5 * (var - 1) * s
    return dmu, dlogvar
