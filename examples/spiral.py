"""Classification: three interleaved spirals, CrossEntropyLoss and AdamW.

    python examples/spiral.py [--plot spiral.png]

A linear model cannot separate the spirals (about 50% accuracy); two hidden ReLU layers can.
"""

import argparse

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import make_spiral
from minitorch.utils.data import DataLoader, TensorDataset


def main(epochs: int = 200, seed: int = 0, plot: str | None = None) -> float:
    minitorch.manual_seed(seed)
    x, y = make_spiral(n_samples=300, n_classes=3, noise=0.2, seed=seed)  # (300, 2), (300,)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

    model = nn.Sequential(
        nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)
    )
    model.needs_input_grad = False  # the input is data: the first layer skips dL/dx
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.AdamW(model, lr=0.01, weight_decay=1e-4)

    for epoch in range(epochs):
        for x_batch, y_batch in loader:
            logits = model(x_batch)
            loss = loss_fn(logits, y_batch)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()
        if epoch % 40 == 0 or epoch == epochs - 1:
            with minitorch.no_grad():  # a forward for monitoring only: no backward follows
                accuracy = np.mean(model(x).argmax(axis=1) == y)
            print(f"epoch {epoch:3d}  loss {float(loss):.4f}  train accuracy {accuracy:.1%}")

    accuracy = float(np.mean(model(x).argmax(axis=1) == y))
    print(f"final training accuracy: {accuracy:.1%}")
    if plot:
        from minitorch.viz import plot_decision_boundary  # matplotlib only when asked for

        plot_decision_boundary(model, x, y).savefig(plot, dpi=120)
        print(f"decision boundary written to {plot}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=200, help="passes over the data")
    parser.add_argument("--seed", type=int, default=0, help="seed of minitorch.manual_seed")
    parser.add_argument("--plot", help="write the decision boundary to this PNG file")
    args = parser.parse_args()
    main(epochs=args.epochs, seed=args.seed, plot=args.plot)
