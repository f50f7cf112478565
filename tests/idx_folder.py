"""A tiny MNIST-like folder of IDX files, so the trainer's tests read real files, not the network.

``write_idx_folder(root)`` writes ``root/MNIST/raw/`` and ``root/FashionMNIST/raw/`` in
torchvision's layout: the four standard files of each, uncompressed, with ``train`` and
``test`` images of 28×28 pixels. Each image shows its label as a bright bar at a height that
depends on the label (over a noisy background), so a small network learns them in an epoch.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


def idx_images(images: np.ndarray) -> bytes:
    """An IDX image file: magic 2051, N, rows, columns, then the pixels."""
    return struct.pack(">4I", 2051, *images.shape) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    """An IDX label file: magic 2049, N, then the labels."""
    return struct.pack(">2I", 2049, len(labels)) + labels.astype(np.uint8).tobytes()


def write_idx_folder(root: Path, train: int = 120, test: int = 40, seed: int = 0) -> Path:
    """Write both data sets' files under ``root``; return ``root``."""
    rng = np.random.default_rng(seed)
    for folder in FOLDERS.values():
        raw = Path(root) / folder / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for split, count in (("train", train), ("t10k", test)):
            labels = np.arange(count) % 10
            rng.shuffle(labels)
            images = (rng.random((count, 28, 28)) * 80).astype(np.uint8)
            for k, label in enumerate(labels):
                images[k, 2 + 2 * label : 5 + 2 * label, 4:24] = 255
            (raw / f"{split}-images-idx3-ubyte").write_bytes(idx_images(images))
            (raw / f"{split}-labels-idx1-ubyte").write_bytes(idx_labels(labels))
    return Path(root)
