"""Regression: fit a noisy sine wave with an MLP and MSELoss.

    python examples/regression.py

The spec's standard training loop, written out: epochs, mini-batches from a DataLoader, forward,
loss, zero_grad, backward through the loss and the model, optimizer step.
"""

import argparse

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import make_sine
from minitorch.utils.data import DataLoader, TensorDataset


def main(epochs: int = 300, seed: int = 0) -> float:
    minitorch.manual_seed(seed)
    x, y = make_sine(n_samples=512, noise=0.1, seed=seed)  # x (512, 1), y (512, 1), float32
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)

    model = nn.Sequential(
        nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    )
    model.needs_input_grad = False  # the input is data: the first layer skips dL/dx
    loss_fn = nn.MSELoss()
    optimizer = optim.Adam(model, lr=0.01)

    for epoch in range(epochs):
        for x_batch, y_batch in loader:
            predictions = model(x_batch)  # forward pass
            loss = loss_fn(predictions, y_batch)  # loss calculation
            optimizer.zero_grad()  # zero gradients
            model.backward(loss_fn.backward())  # backward pass: loss, then the model
            optimizer.step()  # parameter update
        if epoch % 50 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {float(loss):.4f}")

    model.eval()
    grid = np.linspace(-np.pi, np.pi, 200, dtype=np.float32)[:, None]
    mse_to_truth = float(np.mean((model(grid) - np.sin(grid)) ** 2))
    print(f"MSE against the noise-free sine: {mse_to_truth:.4f} (noise variance 0.01)")
    return mse_to_truth


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=300, help="passes over the data")
    parser.add_argument("--seed", type=int, default=0, help="seed of minitorch.manual_seed")
    arguments = parser.parse_args()
    main(epochs=arguments.epochs, seed=arguments.seed)
