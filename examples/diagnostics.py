"""Diagnostics: why a deep sigmoid network does not learn and a ReLU network with He init does.

    python examples/diagnostics.py [--out runs/diagnostics] [--steps 30]

Two networks of the same shape (10 Linear layers, 64 units wide) classify the bundled 8x8 digits:

* sigmoid activations and a naive initialisation, weights ~ N(0, 0.1²);
* ReLU activations and He initialisation, weights ~ N(0, 2 / fan_in) (minitorch's default).

After one forward and backward pass the script prints, layer by layer, what the modules hold:
the sigmoid network's gradient norms shrink by a roughly constant factor per layer on the way
back to the input (σ' ≤ 1/4, times small weights), so its first layers barely get a gradient,
while the ReLU network's stay within a small factor of each other. Forward, the same factor
erases the input: the sigmoid network's activations vary less and less from sample to sample
(their std over the batch falls towards 0), so its last layers see the same vector for every
digit; the ReLU network's keep their spread. It then trains both for a few
SGD steps, recording the update-to-weight ratio ‖Δp‖/‖p‖ of every step, and writes the
diagnostic figures of :mod:`minitorch.viz` as PNG files. It runs in a few seconds.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import minitorch
from minitorch import diagnostics, nn, optim, viz
from minitorch.datasets import Digits

DEPTH = 10  # Linear layers
WIDTH = 64  # units per hidden layer
NAIVE_STD = 0.1  # the "small random numbers" initialisation


def build(activation: type[nn.Module], naive_std: float | None) -> nn.Sequential:
    """DEPTH Linear layers with ``activation`` between them; He init unless ``naive_std`` is set."""
    layers: list[nn.Module] = []
    sizes = [64] + [WIDTH] * (DEPTH - 1) + [10]
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        linear = nn.Linear(fan_in, fan_out)  # He normal by default
        if naive_std is not None:
            nn.init.normal_(linear.W, std=naive_std)
        layers.append(linear)
        if i < DEPTH - 1:
            layers.append(activation())
    return nn.Sequential(layers)


def train(model: nn.Sequential, x: np.ndarray, y: np.ndarray, steps: int, lr: float):
    """Full-batch SGD on (x, y); returns the losses and the update ratios of every step.

    The last forward/backward pass stays in the modules' caches for the diagnostics.
    """
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model, lr=lr)
    losses, ratios = [], []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        model.backward(loss_fn.backward())
        snapshot = diagnostics.parameter_snapshot(model)
        optimizer.step()
        ratios.append(diagnostics.update_ratios(model, snapshot))
        losses.append(float(loss))
    # One more forward and backward (no step), so that the caches and gradients describe the
    # parameters the model has now.
    loss_fn(model(x), y)
    optimizer.zero_grad()
    model.backward(loss_fn.backward())
    return losses, ratios


def first_pass(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> None:
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), y)
    model.zero_grad()
    model.backward(loss_fn.backward())


def print_layers(networks: dict[str, nn.Sequential]) -> None:
    """Per layer, side by side: how much the activations still depend on the input (their std
    over the batch, averaged over units) and the norm of the weights' gradient."""
    names = list(networks)
    activations = {n: list(diagnostics.activation_stats(m).values()) for n, m in networks.items()}
    gradients = {
        n: list(diagnostics.gradient_stats(m, include_bias=False).values())
        for n, m in networks.items()
    }
    header = f"{'layer':<6}" + "".join(f"{n + ': batch std':>28}{'‖dL/dW‖':>11}" for n in names)
    print(header)
    for layer in range(DEPTH):
        row = f"{layer:<6}"
        for n in names:
            # Layer k's activation follows Linear k; the last Linear gives the logits.
            act = activations[n][layer]["sample_std"] if layer < DEPTH - 1 else None
            act_text = f"{act:.2e}" if act is not None else "(logits)"
            row += f"{act_text:>28}{gradients[n][layer]['norm']:>11.2e}"
        print(row)
    for n in names:
        norms = [g["norm"] for g in gradients[n]]
        per_layer = (norms[0] / norms[-1]) ** (1 / (DEPTH - 1))
        print(
            f"{n}: ‖dL/dW‖ of the first layer / of the last = {norms[0] / norms[-1]:.2e}, "
            f"a factor of {per_layer:.2f} per layer towards the input"
        )


def side_by_side(panels: dict[str, Callable[..., object]], path: Path) -> Path:
    """One panel per network, drawn by ``viz`` functions into axes sharing the same y scale.

    Each panel sets the y range its own values need; with a shared axis the last one would win
    and hide the other network's bars, so the shared range is made to cover every panel's.
    """
    fig = Figure(figsize=(6 * len(panels), 4), layout="constrained")
    axes = fig.subplots(1, len(panels), sharey=True)
    ranges = []
    for ax, draw in zip(axes, panels.values(), strict=True):
        draw(ax=ax)
        ranges.append(ax.get_ylim())
    axes[0].set_ylim(min(low for low, _ in ranges), max(high for _, high in ranges))
    fig.savefig(path, dpi=100)
    return path


def main(out: str | Path = "runs/diagnostics", steps: int = 30, seed: int = 0) -> dict:
    minitorch.manual_seed(seed)
    digits = Digits(train=True, flatten=True)
    x, y = digits.data[:512], digits.targets[:512]  # (512, 64) float32, (512,) int64

    networks = {
        "sigmoid, N(0, 0.1²)": build(nn.Sigmoid, naive_std=NAIVE_STD),
        "ReLU, He": build(nn.ReLU, naive_std=None),
    }
    stems = {"sigmoid, N(0, 0.1²)": "sigmoid", "ReLU, He": "relu_he"}
    print(f"{DEPTH} Linear layers of width {WIDTH} on {len(x)} digits\n")
    print("After one forward and backward pass:")
    for model in networks.values():
        first_pass(model, x, y)
    print_layers(networks)
    first_over_last = {}
    for name, model in networks.items():
        stats = diagnostics.gradient_stats(model, include_bias=False)
        norms = [s["norm"] for s in stats.values()]
        first_over_last[name] = norms[0] / norms[-1]

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in networks.items():
        written.append(out / f"{stems[name]}_first_pass.png")
        viz.plot_diagnostics(model, title=f"{name}: first pass", path=written[-1])
    written.append(
        side_by_side(
            {
                name: partial(viz.plot_gradient_norms, model, title=f"{name}: gradient norms")
                for name, model in networks.items()
            },
            out / "gradient_norms.png",
        )
    )

    print(f"\nTraining each for {steps} steps of full-batch SGD (lr 0.1):")
    results: dict = {"gradient_norm_first_over_last": first_over_last}
    for name, model in networks.items():
        losses, ratios = train(model, x, y, steps=steps, lr=0.1)
        dead = diagnostics.dead_relu_fraction(model)
        last_ratios = [r for k, r in ratios[-1].items() if not diagnostics.is_bias(k)]
        print(
            f"{name}: loss {losses[0]:.3f} -> {losses[-1]:.3f}; median update ratio "
            f"‖Δp‖/‖p‖ at the last step {np.median(last_ratios):.1e}"
            + (f"; dead ReLUs up to {max(dead.values()):.0%} of a layer" if dead else "")
        )
        results[name] = {"losses": losses, "ratios": ratios}
    written.append(
        side_by_side(
            {
                name: partial(
                    viz.plot_update_ratios, results[name]["ratios"], title=f"{name}: ‖Δp‖/‖p‖"
                )
                for name in networks
            },
            out / "update_ratios.png",
        )
    )
    print(f"\nFigures written to {out.resolve()}:")
    for path in written:
        print(f"  {path.name}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", default="runs/diagnostics", help="folder for the PNG files")
    parser.add_argument("--steps", type=int, default=30, help="SGD steps per network")
    args = parser.parse_args()
    main(out=args.out, steps=args.steps)
