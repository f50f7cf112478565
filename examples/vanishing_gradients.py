"""Vanishing gradients: how much of the loss reaches each earlier time step, tanh RNN vs LSTM.

    python examples/vanishing_gradients.py [--seq-len 50] [--iterations 1500] [--out DIR]

The task is the adding problem (``minitorch.datasets.make_adding_problem``): T numbers, two of
them marked, one in each half; the target is their sum. A network reads the whole sequence and
answers at the last step, so the first marked number must survive up to T steps. Predicting
the mean (1.0) always gives an MSE of 1/6 ≈ 0.167: a network that beats it remembers.

Two networks of the same hidden size H read it: ``nn.RNN(2, H)`` (tanh) and ``nn.LSTM(2, H)``,
each followed by ``nn.Linear(H, 1)`` on the last step's output. The loss is the MSE of that
one prediction, so the gradient reaching step t is carried back by the recurrence alone:

    tanh RNN:  dh_{t−1} = (dh_t ⊙ (1 − h_t²)) W_hhᵀ    a product of T − t such factors: it
                                                       shrinks (or grows) geometrically
    LSTM:      dc_{t−1} = dc_t ⊙ f_t                    the cell's path multiplies by the
                                                       forget gate only, near 1 when it learns to

The figure's first panel is ``‖dL/dx_t‖``, the norm of the gradient of the loss with respect
to the input at step t (the mean over a batch), for t = 1..T on a log scale, at the start of
training and at its end. The layers return dx, the input gradient of every step, and
dx_t = da_t W_ihᵀ, a fixed linear map of the gradient reaching that step's pre-activations, so
it falls with t exactly as the gradient reaching h_t does. The second panel is the test MSE
during training.

It writes DIR/vanishing_gradients.png (``--out DIR``, default runs/vanishing_gradients); the
README's docs/vanishing_gradients.png was made with ``--out docs`` and the defaults, in about
two minutes of one CPU core (``OPENBLAS_NUM_THREADS=1`` on a busy machine).
"""

import argparse
import time
from pathlib import Path

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import make_adding_problem

BASELINE = 1 / 6  # the MSE of always answering 1.0, the mean of the sum


class Reader(nn.Module):
    """A recurrent layer over the sequence, then a Linear on its last step's output."""

    def __init__(self, cell: str, hidden: int) -> None:
        super().__init__()
        layer = {"tanh RNN": nn.RNN, "LSTM": nn.LSTM}[cell]
        self.rnn = layer(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        output, _ = self.rnn(x)  # (N, T, H): every step's hidden state
        self.output_shape = output.shape
        return self.head(output[:, -1])  # (N, 1): the answer at the last step

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """dL/dx (N, T, 2): the gradient reaching each step's input."""
        G, _ = self._begin_backward(grad_output)
        grad_hs = np.zeros(self.output_shape, G.dtype)  # only the last step was read
        grad_hs[:, -1] = self.head.backward(G)
        return self.rnn.backward(grad_hs)


def gradient_per_step(model: Reader, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖dL/dx_t‖ for t = 1..T, the mean over the batch (T,); no parameter is changed."""
    loss_fn = nn.MSELoss()
    model.zero_grad()
    loss_fn(model(X), y)
    dx = model.backward(loss_fn.backward())
    model.zero_grad()
    return np.linalg.norm(dx, axis=-1).mean(axis=0)


def train(cell, hidden, seq_len, iterations, batch_size, lr, seed, log_every=100) -> dict:
    """Train one network on fresh batches; the gradient profile before and after, the MSEs."""
    minitorch.manual_seed(seed)
    model = Reader(cell, hidden)
    X_test, y_test = make_adding_problem(1000, seq_len, seed=12345)  # the same for both
    probe = X_test[:256], y_test[:256]
    loss_fn = nn.MSELoss()
    optimizer = optim.Adam(model, lr=lr)
    result = {"before": gradient_per_step(model, *probe), "steps": [], "test_mse": []}

    def test_mse() -> float:
        model.eval()
        with minitorch.no_grad():
            mse = float(loss_fn(model(X_test), y_test))
        model.train()
        return mse

    result["steps"].append(0)
    result["test_mse"].append(test_mse())
    start = time.perf_counter()
    for it in range(1, iterations + 1):
        X, y = make_adding_problem(batch_size, seq_len)  # from minitorch's generator
        optimizer.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        nn.utils.clip_grad_norm_(model, 1.0)
        optimizer.step()
        if it % log_every == 0 or it == iterations:
            result["steps"].append(it)
            result["test_mse"].append(test_mse())
            print(f"{cell:>8}: iteration {it:5d}: test MSE {result['test_mse'][-1]:.4f}")
    result["seconds"] = time.perf_counter() - start
    result["after"] = gradient_per_step(model, *probe)
    return result


def plot(results: dict, seq_len: int, hidden: int, path: Path) -> None:
    """Left: ‖dL/dx_t‖ over t (log scale), before and after; right: the test MSE."""
    from matplotlib.figure import Figure  # matplotlib only when a figure is asked for

    fig = Figure(figsize=(12, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    steps = np.arange(1, seq_len + 1)
    colours = {"tanh RNN": "tab:red", "LSTM": "tab:blue"}
    for cell, result in results.items():
        c = colours[cell]
        left.semilogy(steps, result["before"], c=c, ls="--", label=f"{cell}, at the start")
        left.semilogy(steps, result["after"], c=c, label=f"{cell}, after training")
        right.plot(
            result["steps"], result["test_mse"], c=c,
            label=f"{cell}: {result['test_mse'][-1]:.3f} at the end",
        )  # fmt: skip
    left.set(
        xlabel="time step t (the loss is at t = T)",
        ylabel="‖dL/dx_t‖ (mean over 256 sequences)",
        title="the gradient reaching each earlier step",
    )
    left.legend(fontsize=8)
    right.axhline(BASELINE, c="0.5", ls=":", label="always answering 1.0 (1/6)")
    right.set(
        xlabel="iteration", ylabel="test MSE (1,000 sequences)", ylim=(0, 0.25),
        title="what each learns",
    )  # fmt: skip
    right.legend(fontsize=8)
    fig.suptitle(f"The adding problem, T = {seq_len}: a tanh RNN and an LSTM of {hidden} units")
    fig.savefig(path, dpi=100)


def main(
    seq_len: int = 50,
    hidden: int = 32,
    iterations: int = 1500,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
    out: str | Path | None = "runs/vanishing_gradients",
) -> dict:
    results = {}
    for cell in ("tanh RNN", "LSTM"):
        results[cell] = train(cell, hidden, seq_len, iterations, batch_size, lr, seed)
    for cell, result in results.items():
        ratio = result["before"][0] / result["before"][-1]
        print(
            f"{cell}: at the start ‖dL/dx_1‖ / ‖dL/dx_T‖ = {ratio:.1e}; after training "
            f"{result['after'][0] / result['after'][-1]:.1e}; test MSE {result['test_mse'][-1]:.4f}"
            f" (always 1.0: {BASELINE:.4f}); {result['seconds']:.0f} s"
        )
    if out is not None:
        figure = Path(out) / "vanishing_gradients.png"
        figure.parent.mkdir(parents=True, exist_ok=True)
        plot(results, seq_len, hidden, figure)
        print(f"figure written to {figure}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--seq-len", type=int, default=50, help="T, the steps of a sequence")
    parser.add_argument("--hidden", type=int, default=32, help="H, both networks' hidden size")
    parser.add_argument("--iterations", type=int, default=1500, help="training iterations")
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per batch")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam's learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of minitorch.manual_seed")
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="runs/vanishing_gradients",
        help="folder for vanishing_gradients.png (relative to the working directory)",
    )
    args = parser.parse_args()
    main(
        args.seq_len, args.hidden, args.iterations, args.batch_size, args.lr, args.seed, args.out
    )
