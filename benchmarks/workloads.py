"""The suite's workloads: each one in minitorch, in PyTorch and, where the suite has one, in
straight-line NumPy, built from the same data and the same initial weights.

Data that trains, never uniform noise with random labels (a network that cannot learn
collapses, fills its momentum with subnormal floats and measures denormal stalls instead):

* the MLPs and the CNN train on the bundled MNIST subset (5,000 real digits, pixels / 255),
  the tiny MLP on the bundled UCI digits (8 x 8 = 64 features, / 16), the GPT on the bundled
  Tiny Shakespeare (nanoGPT's character batches);
* the DataLoader epoch reads 60,000 samples: the MNIST subset twelve times over.

The NumPy references are the ceiling for "NumPy doing only the necessary work": the math of
the step written out once, in place where it can be, no input gradient for the data, no checks.
Each builder returns ``{framework: Runner}`` (see ``harness.Runner``).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from typing import Any

import networks as N
import numpy as np
from harness import Runner

try:
    import torch
except ImportError:  # pragma: no cover - the suite then times minitorch and NumPy alone
    torch = None

LR, MOMENTUM = 0.01, 0.9
#: Every framework a builder can build; a worker asks for its own (``quick_suite``).
ALL = ("minitorch", "PyTorch", "NumPy")
MLP_SIZES = (784, 512, 256, 10)
TINY_SIZES = (64, 64, 64, 10)
#: The tiny MLP steps on one or eight samples: at lr 0.01 with momentum 0.9 its batch-1 run
#: kills most of its ReLUs within a few thousand steps (and fills its momentum with subnormals).
TINY_LR = 0.003


# ---------------------------------------------------------------------- data
@functools.cache
def mnist() -> tuple[np.ndarray, np.ndarray]:
    """The bundled 5,000 MNIST digits: x (5000, 784) float32 in [0, 1], y (5000,) int64."""
    from minitorch.datasets._bundled import load_mnist5k

    images, labels = load_mnist5k()
    order = np.random.default_rng(0).permutation(len(images))  # the file is sorted by class
    x = images[order].reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return x, labels[order].astype(np.int64)


@functools.cache
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The bundled UCI digits: x (1797, 64) float32 in [0, 1], y (1797,) int64."""
    from minitorch.datasets._bundled import load_digits

    images, labels = load_digits()
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(16)
    return x, labels.astype(np.int64)


def sixty_thousand() -> tuple[np.ndarray, np.ndarray]:
    x, y = mnist()
    return np.tile(x, (12, 1)), np.tile(y, 12)


def initial_weights(sizes: tuple[int, ...], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-normal W (in, out) and zero b (1, out) per layer, float32: minitorch's default init."""
    rng = np.random.default_rng(seed)
    return [
        (
            rng.standard_normal((i, o)).astype(np.float32) * np.float32(np.sqrt(2 / i)),
            np.zeros((1, o), np.float32),
        )
        for i, o in itertools.pairwise(sizes)
    ]


def _sliced(x: Any, y: Any, batch_size: int) -> Iterator[tuple[Any, Any]]:
    """The batches x[0:b], x[b:2b], ... (whole batches only), over and over."""
    batches = [
        (x[i : i + batch_size], y[i : i + batch_size])
        for i in range(0, len(x) - batch_size + 1, batch_size)
    ]
    return itertools.cycle(batches)


def _epochs(loader: Any) -> Iterator[Any]:
    """A loader's batches, one epoch after another (each epoch reshuffled by the loader)."""
    while True:
        yield from loader


def _numpy_loader(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int = 0):
    """Straight-line NumPy shuffling: a permutation per epoch and one fancy index per batch."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            index = order[i : i + batch_size]
            yield x[index], y[index]


def _torch_state(optimizers: list[Any]) -> list[np.ndarray]:
    return [
        value.detach().numpy()
        for optimizer in optimizers
        for state in optimizer.state.values()
        for value in state.values()
        if torch.is_tensor(value) and value.is_floating_point() and value.dim() > 0
    ]


def _minitorch_state(optimizers: list[Any]) -> list[np.ndarray]:
    return [
        value
        for optimizer in optimizers
        for state in optimizer.state.values()
        for value in state.values()
        if isinstance(value, np.ndarray)
    ]


def _minitorch_loop(
    model: Any, optimizer: Any, batches: Iterator[Any], nll: bool = False
) -> Runner:
    """The spec's standard loop with cross-entropy (``nll``: NLLLoss, after a LogSoftmax):
    forward, loss, zero_grad, backward, step."""
    from minitorch import nn

    loss_fn = nn.NLLLoss() if nll else nn.CrossEntropyLoss()
    last = [float("nan")]

    def run(steps: int) -> None:
        for _ in range(steps):
            xb, yb = next(batches)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()
        last[0] = float(loss)

    return Runner(run, lambda: _minitorch_state([optimizer]), lambda: last[0])


def _torch_loop(model: Any, optimizer: Any, batches: Iterator[Any], nll: bool = False) -> Runner:
    """PyTorch's standard loop with cross-entropy (or NLL), the same steps in the same order."""
    loss_fn = torch.nn.NLLLoss() if nll else torch.nn.CrossEntropyLoss()
    last = [float("nan")]

    def run(steps: int) -> None:
        for _ in range(steps):
            xb, yb = next(batches)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        last[0] = loss.item()

    return Runner(run, lambda: _torch_state([optimizer]), lambda: last[0])


# ---------------------------------------------------------------------- MLPs
def mlp_flops(sizes: tuple[int, ...], batch_size: int, input_grad: bool) -> float:
    """Matrix-multiply FLOPs of one training step: y = xW, dW = xᵀG, dx = GWᵀ (not for data)."""
    products = [2 * batch_size * i * o for i, o in itertools.pairwise(sizes)]
    return 2 * sum(products) + sum(products[0 if input_grad else 1 :])


def mlp_runners(
    sizes: tuple[int, ...],
    data: tuple[np.ndarray, np.ndarray],
    batch_size: int,
    loader: bool = False,
    input_grad: bool = False,
    frameworks: tuple[str, ...] = ALL,
    lr: float = LR,
) -> dict[str, Runner]:
    """The spec's standard loop (forward, loss, zero_grad, backward, SGD with momentum 0.9)."""
    weights = initial_weights(sizes)
    x, y = data
    runners = {}
    if "minitorch" in frameworks:
        runners["minitorch"] = _minitorch_mlp(weights, x, y, batch_size, loader, input_grad, lr)
    if torch is not None and "PyTorch" in frameworks:
        runners["PyTorch"] = _torch_mlp(weights, x, y, batch_size, loader, lr)
    if "NumPy" in frameworks:
        runners["NumPy"] = _numpy_mlp(weights, x, y, batch_size, loader, input_grad, lr)
    return runners


def _minitorch_mlp(weights, x, y, batch_size, loader, input_grad, lr) -> Runner:
    import minitorch
    from minitorch import nn, optim
    from minitorch.utils.data import DataLoader, TensorDataset

    minitorch.manual_seed(0)
    layers = []
    for W, b in weights:
        linear = nn.Linear(*W.shape)
        linear.W[...], linear.b[...] = W, b
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(layers[:-1])
    if not input_grad:
        model.needs_input_grad = False  # the standard loop's habit (README): the input is data
    optimizer = optim.SGD(model, lr=lr, momentum=MOMENTUM)
    if loader:
        batches = _epochs(DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True))
    else:
        batches = _sliced(x, y, batch_size)
    return _minitorch_loop(model, optimizer, batches)


def _torch_mlp(weights, x, y, batch_size, loader, lr) -> Runner:
    torch.manual_seed(0)
    layers = []
    for W, b in weights:
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b[0]))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if loader:
        dataset = torch.utils.data.TensorDataset(xt, yt)
        batches = _epochs(torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True))
    else:
        batches = _sliced(xt, yt, batch_size)
    return _torch_loop(model, optimizer, batches)


def _numpy_mlp(weights, x, y, batch_size, loader, input_grad, lr) -> Runner:
    """The straight-line reference for any layer sizes: each gradient written once, in place;
    the input gradient G Wᵀ of the first layer only with ``input_grad`` (as minitorch's)."""
    params = [(W.copy(), b.copy()) for W, b in weights]
    buffers: list[tuple[np.ndarray, np.ndarray]] = []
    batches = _numpy_loader(x, y, batch_size) if loader else _sliced(x, y, batch_size)
    last = [float("nan")]
    lr, momentum = np.float32(lr), np.float32(MOMENTUM)

    def run(steps: int) -> None:
        for _ in range(steps):
            xb, yb = next(batches)
            hs = [xb]
            for k, (W, b) in enumerate(params):
                h = hs[-1] @ W
                h += b
                if k < len(params) - 1:
                    np.maximum(h, 0, out=h)
                hs.append(h)
            logits = hs[-1]
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = np.exp(shifted)
            total = probs.sum(axis=1, keepdims=True)
            rows = np.arange(len(yb))
            last[0] = float(np.mean(np.log(total[:, 0]) - shifted[rows, yb]))
            probs /= total
            probs[rows, yb] -= 1
            g = probs
            g /= np.float32(len(yb))
            grads = []
            for k in range(len(params) - 1, -1, -1):
                W, _ = params[k]
                grads.append((hs[k].T @ g, g.sum(axis=0, keepdims=True)))
                if k > 0:
                    g = g @ W.T
                    g *= hs[k] > 0
                elif input_grad:
                    g = g @ W.T  # dL/dx, which nobody reads: the work the input gradient costs
            grads.reverse()
            if not buffers:
                buffers.extend((dW.copy(), db.copy()) for dW, db in grads)
            else:
                for (bW, bb), (dW, db) in zip(buffers, grads, strict=True):
                    bW *= momentum
                    bW += dW
                    bb *= momentum
                    bb += db
            for (W, b), (bW, bb) in zip(params, buffers, strict=True):
                W -= lr * bW
                b -= lr * bb

    return Runner(run, lambda: [a for pair in buffers for a in pair], lambda: last[0])


# ---------------------------------------------------------------------- the CNNs
def cnn_config(name: str) -> tuple[int, int, bool, int, str]:
    """The CNN ``name`` of ``networks.CNN_MODELS``: (c1, c2, batch norm, hidden, optimizer)."""
    return N.CNN_MODELS[name]


def cnn_flops(name: str, batch_size: int) -> float:
    """Convolutions and linear layers: forward, dW for all, dx for all but the first conv."""
    c1, c2, _, hidden, _ = cnn_config(name)
    conv1 = 2 * batch_size * c1 * 28 * 28 * 1 * 25
    conv2 = 2 * batch_size * c2 * 10 * 10 * c1 * 25
    linear = 2 * batch_size * (25 * c2 * hidden + hidden * 10)
    forward = conv1 + conv2 + linear
    return 3 * forward - conv1


def cnn_runners(
    name: str, batch_size: int = 64, frameworks: tuple[str, ...] = ALL
) -> dict[str, Runner]:
    """The CNN ``name`` and its PyTorch copy (same initial weights), on the MNIST subset; Adam
    (lr 1e-3) or SGD (lr 0.01, momentum 0.9), as ``networks.CNN_MODELS`` says."""
    import minitorch
    from minitorch import optim

    c1, c2, batchnorm, hidden, optimizer_name = cnn_config(name)
    x, y = mnist()
    x = x.reshape(-1, 1, 28, 28)
    minitorch.manual_seed(0)
    model = N.minitorch_cnn(c1, c2, batchnorm, hidden)
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        theirs = N.torch_cnn(model)  # minitorch's initial weights
        if optimizer_name == "adam":
            opt_t = torch.optim.Adam(theirs.parameters(), lr=1e-3)
        else:
            opt_t = torch.optim.SGD(theirs.parameters(), lr=LR, momentum=MOMENTUM)
        batches_t = _sliced(torch.from_numpy(x), torch.from_numpy(y), batch_size)
        runners["PyTorch"] = _torch_loop(theirs, opt_t, batches_t)
    if "minitorch" not in frameworks:
        return runners
    model.needs_input_grad = False
    if optimizer_name == "adam":
        opt_m = optim.Adam(model, lr=1e-3)
    else:
        opt_m = optim.SGD(model, lr=LR, momentum=MOMENTUM)
    return {"minitorch": _minitorch_loop(model, opt_m, _sliced(x, y, batch_size)), **runners}


# ---------------------------------------------------------------------- the GPT
def gpt_flops() -> float:
    """nanoGPT's estimate for one step: 6·N per token (N without wpe, wte once) + attention."""
    c = N.GPT_CONFIG
    E, L, T, V = c["n_embd"], c["n_layer"], c["block_size"], c["vocab_size"]
    per_block = 4 * E * E + 4 * E + 8 * E * E + 5 * E + 4 * E  # attention, MLP, 2 LayerNorms
    n = V * E + L * per_block + 2 * E
    tokens = N.GPT_BATCH * T
    return (6 * n + 12 * L * E * T) * tokens


def gpt_runners(n_batches: int = 16, frameworks: tuple[str, ...] = ALL) -> dict[str, Runner]:
    """nanoGPT's recipe step (tied weights, AdamW, clipping; ``networks.minitorch_gpt_step``) on
    Tiny Shakespeare."""
    import minitorch
    from minitorch.datasets import TinyShakespeare
    from minitorch.models import GPT

    c = N.GPT_CONFIG
    text = TinyShakespeare(train=True)
    rng = np.random.default_rng(0)
    batches = [
        text.get_batch(N.GPT_BATCH, c["block_size"], generator=rng) for _ in range(n_batches)
    ]
    minitorch.manual_seed(0)
    ours = GPT(**c, tie_weights=True)
    runners = {}
    if torch is not None and "PyTorch" in frameworks:
        theirs_step = N.torch_gpt_step(N.TorchGPT(ours))
        torch_batches = itertools.cycle(
            [(torch.from_numpy(a), torch.from_numpy(b)) for a, b in batches]
        )
        last_t = [float("nan")]

        def run_torch(steps: int) -> None:
            for _ in range(steps):
                last_t[0] = theirs_step(*next(torch_batches))

        runners["PyTorch"] = Runner(
            run_torch, lambda: _torch_state([theirs_step.optimizer]), lambda: last_t[0]
        )
    if "minitorch" not in frameworks:
        return runners
    ours_step = N.minitorch_gpt_step(ours)
    our_batches = itertools.cycle(batches)
    last_m = [float("nan")]

    def run_minitorch(steps: int) -> None:
        for _ in range(steps):
            last_m[0] = ours_step(*next(our_batches))

    return {
        "minitorch": Runner(
            run_minitorch, lambda: _minitorch_state(ours_step.optimizers), lambda: last_m[0]
        ),
        **runners,
    }


# ---------------------------------------------------------------------- the optimizer alone
def optimizer_runners(name: str, frameworks: tuple[str, ...] = ALL) -> dict[str, Runner]:
    """``step()`` alone on the 784-1024-256 model of ``networks.optim_model`` (1,066,240 float32
    parameters), fixed gradients, the same values in all three; PyTorch's default (for-loop)
    implementation."""
    from minitorch import optim

    model = N.optim_model()
    params, grads = model.parameters(), model.grads()
    ours = optim.SGD(model, lr=1e-3, momentum=MOMENTUM) if name == "SGD" else optim.Adam(model)
    runners = {}
    if "minitorch" in frameworks:
        runners["minitorch"] = _repeat(ours.step, lambda: _minitorch_state([ours]))
    if torch is not None and "PyTorch" in frameworks:
        tensors = []
        for p, g in zip(params, grads, strict=True):
            t = torch.from_numpy(p.copy()).requires_grad_()
            t.grad = torch.from_numpy(g.copy())
            tensors.append(t)
        if name == "SGD":
            theirs = torch.optim.SGD(tensors, lr=1e-3, momentum=MOMENTUM)
        else:
            theirs = torch.optim.Adam(tensors)

        def torch_step() -> None:
            with torch.no_grad():
                theirs.step()

        runners["PyTorch"] = _repeat(torch_step, lambda: _torch_state([theirs]))
    if "NumPy" in frameworks:
        arrays = [(p.copy(), g.copy()) for p, g in zip(params, grads, strict=True)]
        runners["NumPy"] = _numpy_optimizer(name, arrays)
    return runners


def _repeat(step, state) -> Runner:
    def run(steps: int) -> None:
        for _ in range(steps):
            step()

    return Runner(run, state)


def _numpy_optimizer(name: str, arrays: list[tuple[np.ndarray, np.ndarray]]) -> Runner:
    """The plain rule on whole arrays, as a student would write it in NumPy (PyTorch's math)."""
    state: list[list[np.ndarray]] = []
    count = [0]
    f32 = np.float32

    def run(steps: int) -> None:
        for _ in range(steps):
            count[0] += 1
            t = count[0]
            if not state:
                state.extend(
                    [g.copy()] if name == "SGD" else [np.zeros_like(p), np.zeros_like(p)]
                    for p, g in arrays
                )
                if name == "SGD":
                    for (p, _), (buf,) in zip(arrays, state, strict=True):
                        p -= f32(1e-3) * buf
                    continue
            for (p, g), entries in zip(arrays, state, strict=True):
                if name == "SGD":
                    (buf,) = entries
                    buf *= f32(MOMENTUM)
                    buf += g
                    p -= f32(1e-3) * buf
                else:
                    m, v = entries
                    m += f32(0.1) * (g - m)
                    v *= f32(0.999)
                    v += f32(0.001) * g * g
                    denominator = np.sqrt(v) / f32((1 - 0.999**t) ** 0.5) + f32(1e-8)
                    p -= f32(1e-3 / (1 - 0.9**t)) * m / denominator

    return Runner(run, lambda: [a for entries in state for a in entries])


# ---------------------------------------------------------------------- the DataLoader alone
def dataloader_runners(
    batch_size: int = 128, frameworks: tuple[str, ...] = ALL
) -> dict[str, Runner]:
    """One shuffled epoch over 60,000 MNIST-sized samples (every batch drawn, nothing trained)."""
    from minitorch.utils.data import DataLoader, TensorDataset

    x, y = sixty_thousand()
    ours = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    runners = {"minitorch": _epoch_runner(lambda: ours)} if "minitorch" in frameworks else {}
    if torch is not None and "PyTorch" in frameworks:
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        theirs = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
        runners["PyTorch"] = _epoch_runner(lambda: theirs)
    rng = np.random.default_rng(0)

    def numpy_epoch():
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            index = order[i : i + batch_size]
            yield x[index], y[index]

    if "NumPy" in frameworks:
        runners["NumPy"] = _epoch_runner(numpy_epoch)
    return runners


def _epoch_runner(make_epoch) -> Runner:
    def run(epochs: int) -> None:
        for _ in range(epochs):
            for _batch in make_epoch():
                pass

    return Runner(run)
