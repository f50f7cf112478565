"""The VAE against tests/vae_torch.py (pytorch/examples' model and loss in torch): the two
stateless pairs (reparameterisation and KL) gradchecked in float64 and matched with torch
autograd, the model's loss and every gradient (<= 1e-10, same weights, same ε), the noise's
determinism, the errors, and tiny runs of examples/vae_mnist.py with its promise at small scale.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch
import minitorch.nn.functional as F
from minitorch.models import VAE, VAELoss

torch = pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).parent))
import vae_torch as reference  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
import vae_mnist  # noqa: E402

TOL = 1e-10


def numeric_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f() with respect to x (changed in place, restored)."""
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


# -------------------------------------------------------------- the two stateless pairs
# (name, forward(mu, logvar, eps) -> (value, cache), backward(G, cache) -> (dmu, dlogvar),
#  torch's formula): the table of the VAE's pairs; a new pair is one more row
def _reparameterize(mu, logvar, eps):
    return F.reparameterize_forward(mu, logvar, eps)


def _kl(mu, logvar, eps):
    return F.kl_normal_forward(mu, logvar)


def _kl_mean(mu, logvar, eps):
    return F.kl_normal_forward(mu, logvar, reduction="mean")


PAIRS = [
    pytest.param(
        _reparameterize, F.reparameterize_backward,
        lambda mu, logvar, eps: mu + eps * torch.exp(0.5 * logvar), id="reparameterize",
    ),
    pytest.param(
        _kl, F.kl_normal_backward,
        lambda mu, logvar, eps: -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()),
        id="kl-sum",
    ),
    pytest.param(
        _kl_mean, F.kl_normal_backward,
        lambda mu, logvar, eps: -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp()),
        id="kl-mean",
    ),
]  # fmt: skip
SHAPES = [(1, 1), (4, 3), (7, 20)]


def _inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.uniform(-3, 2, shape), rng.standard_normal(shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("forward", "backward", "torch_formula"), PAIRS)
def test_pair_gradcheck_float64(forward, backward, torch_formula, shape):
    mu, logvar, eps = _inputs(shape)
    value, cache = forward(mu, logvar, eps)
    G = np.random.default_rng(1).standard_normal(np.shape(value))
    dmu, dlogvar = backward(G if np.ndim(value) else float(G), cache)

    def objective():
        return float(np.sum(G * forward(mu, logvar, eps)[0]))

    np.testing.assert_allclose(dmu, numeric_gradient(objective, mu), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(dlogvar, numeric_gradient(objective, logvar), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("forward", "backward", "torch_formula"), PAIRS)
def test_pair_matches_torch_autograd(forward, backward, torch_formula, shape):
    mu, logvar, eps = _inputs(shape, seed=2)
    value, cache = forward(mu, logvar, eps)
    G = np.random.default_rng(3).standard_normal(np.shape(value))
    dmu, dlogvar = backward(G if np.ndim(value) else float(G), cache)

    mu_t, logvar_t = (torch.tensor(a, requires_grad=True) for a in (mu, logvar))
    expected = torch_formula(mu_t, logvar_t, torch.tensor(eps))
    expected.backward(torch.tensor(G))
    assert np.asarray(value).dtype == np.float64
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(dmu, mu_t.grad.numpy(), rtol=0, atol=TOL)
    np.testing.assert_allclose(dlogvar, logvar_t.grad.numpy(), rtol=0, atol=TOL)


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    zeros = np.zeros((3, 5))
    kl, _ = F.kl_normal_forward(zeros, zeros)
    assert kl == 0.0
    mu, logvar, _ = _inputs((3, 5))
    assert F.kl_normal_forward(mu, logvar, reduction="none")[0].min() > 0


def test_same_seed_gives_the_same_noise_and_dtype_follows_mu():
    mu, logvar = np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32)
    minitorch.manual_seed(5)
    z1, cache1 = F.reparameterize_forward(mu, logvar)
    minitorch.manual_seed(5)
    z2, _ = F.reparameterize_forward(mu, logvar)
    z3, _ = F.reparameterize_forward(mu, logvar)
    assert z1.dtype == np.float32 and cache1.eps.dtype == np.float32
    np.testing.assert_array_equal(z1, z2)  # σ = 1, μ = 0: z is ε itself
    assert not np.array_equal(z2, z3)
    own = F.reparameterize_forward(mu, logvar, generator=np.random.default_rng(0))[0]
    expected = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(own, expected)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.reparameterize_forward(np.zeros((2, 3)), np.zeros((2, 4))), "one shape"),
        (lambda: F.reparameterize_forward(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(3)),
         "eps must have the shape of mu"),
        (lambda: F.kl_normal_forward(np.zeros((2, 3)), np.zeros((3, 2))), "one shape"),
        (lambda: VAE()(np.zeros((2, 28, 28))), r"flatten them first"),
        (lambda: VAE(latent_dim=0), "latent_dim"),
    ],
)  # fmt: skip
def test_bad_inputs_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backward_wants_the_three_gradients():
    model = VAE(8, 5, 2)
    model(np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match="dlogits, dmu, dlogvar"):
        model.backward(np.zeros((3, 8), np.float32))


# ------------------------------------------------------------------ the model against torch
def _copy_weights(ours: VAE, theirs) -> None:
    """pytorch/examples' names map one to one: fc1.weight -> fc1.W (transposed), bias -> b."""
    for name, tensor in theirs.state_dict().items():
        layer, kind = name.split(".")
        target = getattr(ours, layer).W if kind == "weight" else getattr(ours, layer).b
        value = tensor.numpy().T if kind == "weight" else tensor.numpy()
        target[...] = value.reshape(target.shape)


# (input_dim, hidden_dim, latent_dim, batch, needs_input_grad)
MODELS = [
    pytest.param(784, 400, 20, 16, False, id="pytorch-examples-784-400-20"),
    pytest.param(784, 400, 2, 5, True, id="latent-2-with-dx"),
    pytest.param(6, 7, 3, 1, True, id="tiny-one-image"),
]


@pytest.mark.parametrize(("input_dim", "hidden", "latent", "batch", "dx"), MODELS)
def test_loss_and_every_gradient_match_torch(input_dim, hidden, latent, batch, dx):
    torch.manual_seed(0)
    theirs = reference.VAE(input_dim, hidden, latent).double()
    ours = VAE(input_dim, hidden, latent).double()
    _copy_weights(ours, theirs)
    ours.needs_input_grad = dx
    rng = np.random.default_rng(batch)
    x = rng.uniform(0, 1, (batch, input_dim))
    eps = rng.standard_normal((batch, latent))

    loss_fn = VAELoss()
    logits, mu, logvar = ours(x, eps=eps)
    loss = loss_fn(logits, x, mu, logvar)
    ours.zero_grad()
    dx_ours = ours.backward(loss_fn.backward())

    x_t = torch.tensor(x, requires_grad=True)
    out = theirs(x_t, eps=torch.tensor(eps))
    expected = reference.loss_function(*out[:1], x_t.detach(), *out[1:])
    expected.backward()
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss, expected.item(), rtol=TOL, atol=0)
    for name, tensor in zip(("logits", "mu", "logvar"), out, strict=True):
        np.testing.assert_allclose(locals()[name], tensor.detach().numpy(), rtol=0, atol=TOL)
    named = dict(zip([n for n, _ in ours.named_parameters()], ours.grads(), strict=True))
    for name, param in theirs.named_parameters():
        layer, kind = name.split(".")
        grad = named[f"{layer}.W"] if kind == "weight" else named[f"{layer}.b"]
        theirs_grad = param.grad.numpy().T if kind == "weight" else param.grad.numpy()
        np.testing.assert_allclose(grad, theirs_grad.reshape(grad.shape), rtol=0, atol=TOL)
    if dx:
        np.testing.assert_allclose(dx_ours, x_t.grad.numpy(), rtol=0, atol=TOL)
    else:
        assert dx_ours is None


def test_eval_mode_samples_as_pytorch_examples_and_the_seed_fixes_it():
    model = VAE(12, 6, 3)
    x = np.random.default_rng(0).uniform(0, 1, (4, 12)).astype(np.float32)
    model.eval()
    with minitorch.no_grad():
        minitorch.manual_seed(1)
        first = model(x)[0]
        second = model(x)[0]
        minitorch.manual_seed(1)
        again = model(x)[0]
        mu, _ = model.encode(x)
    assert not np.array_equal(first, second)  # z is drawn in eval mode too
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.float32 and mu.shape == (4, 3)
    assert model.decode(np.zeros((2, 3))).shape == (2, 12)


# ---------------------------------------------------------------------------- the example
def test_tiny_run_of_the_example_writes_its_figures(tmp_path):
    result = vae_mnist.main(epochs=1, latent=2, out=tmp_path, train_size=256)
    assert len(result["losses"]) == 1 and np.isfinite(result["losses"][0])
    for name in ("vae_reconstructions.png", "vae_manifold.png", "vae_latent.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_the_example_promise_at_small_scale():
    """Three epochs on 1,000 training digits: the test loss falls every epoch, and the torch
    copy's loop (tests/vae_torch.py) from the same initial weights ends within 2% of it."""
    train_x, _ = vae_mnist.mnist_rows(True, 1000)
    test_x, _ = vae_mnist.mnist_rows(False)
    minitorch.manual_seed(1)
    start = VAE()  # the weights train() begins from: it builds its VAE first, on the same seed
    minitorch.manual_seed(1)
    _, losses = vae_mnist.train(train_x, test_x, epochs=3)
    torch_losses = reference.train(train_x, test_x, epochs=3, log=lambda line: None, start=start)
    assert losses[0] > losses[1] > losses[2]
    assert abs(losses[-1] / torch_losses[-1] - 1) <= 0.02, (losses, torch_losses)


@pytest.mark.slow
def test_the_full_example_reaches_its_number_and_the_torch_copy():
    """The defaults (30 epochs, 4,000 / 1,000 digits) with --compare: minitorch's test loss at
    epoch 30 is <= 151 nats per image and the torch copy on the same split is within 2%."""
    result = vae_mnist.main(compare=True, out=None)
    assert result["losses"][-1] <= 151.0, result["losses"]
    assert abs(result["losses"][-1] / result["torch_losses"][-1] - 1) <= 0.02


def test_help_shows_the_defaults():
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "vae_mnist.py"), "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    for default in ("default: 30", "default: 128", "default: 0.001", "default: 20",
                    "default: runs/vae_mnist"):  # fmt: skip
        assert default in result.stdout
