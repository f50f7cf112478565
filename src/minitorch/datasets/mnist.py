"""MNIST and Fashion-MNIST read from the standard IDX files, as torchvision reads them.

The four files of each data set (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, gzipped or not) are looked for in
torchvision's layout, ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``), and then in ``root``
itself, so files a student already has are found. ``download=True`` fetches the missing ones into
``root/MNIST/raw/`` (see :mod:`minitorch.datasets._download`).

The IDX format (http://yann.lecun.com/exdb/mnist/) is a header and then raw bytes. The header
is a big-endian 32-bit *magic number* ``0x0000TTDD``, where ``TT = 0x08`` means unsigned bytes
and ``DD`` is the number of dimensions, followed by one 32-bit size per dimension:

==============================  =======================  ===============================
file                             magic number             sizes, then the data
==============================  =======================  ===============================
``*-images-idx3-ubyte``          2051 (``0x00000803``)    N, 28, 28; then N·28·28 pixels
``*-labels-idx1-ubyte``          2049 (``0x00000801``)    N; then N labels, 0 to 9
==============================  =======================  ===============================

Files come from outside, so nothing is taken on trust: the magic number, the sizes and the
length of the data are checked against each other and against the file before any array is
allocated, the images and labels must be as many, and a gzip file must decompress cleanly to its
end (which checks its CRC-32). Whatever is wrong is a ``ValueError`` naming the file and the
problem.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import math
import os
import struct
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np

from ..utils.data import BatchedSamples, Dataset
from ..utils.data._checks import _check_index, _check_indices
from ._download import DownloadError, fetch
from .base import CLASSIFICATION, DIGIT_CLASSES

__all__ = ["IMAGE_MAGIC", "LABEL_MAGIC", "MNIST", "DownloadError", "FashionMNIST"]

IMAGE_MAGIC = 2051
"""Magic number of an IDX file of images: ``0x00000803``, unsigned bytes in 3 dimensions."""

LABEL_MAGIC = 2049
"""Magic number of an IDX file of labels: ``0x00000801``, unsigned bytes in 1 dimension."""

_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 22

#: Deflate's largest compression ratio (a run of one byte: 258 bytes per 2 bits, about 1032:1);
#: a gzip file never inflates to more than this many times its size.
_DEFLATE_MAX_RATIO = 1032
_KIND = {IMAGE_MAGIC: "image", LABEL_MAGIC: "label"}


# ----------------------------------------------------------------------------------------------
# Reading one IDX file, header first
# ----------------------------------------------------------------------------------------------


class _IdxReader:
    """An open IDX file (gzipped or not) whose header has been read and checked.

    ``_IdxReader(path, magic, shape, owner)`` reads the header and checks the magic number and
    the sizes against ``shape`` (``None`` for a size that may be anything but 0) and, for an
    uncompressed file, the file's length. Only then does :meth:`read` allocate and read the
    data. Use it as a context manager.
    """

    def __init__(self, path: Path, magic: int, shape: tuple[int | None, ...], owner: str) -> None:
        self.path = path
        self.owner = owner
        self.kind = _KIND[magic]
        self._exit = contextlib.ExitStack()
        raw = self._exit.enter_context(open(path, "rb"))  # noqa: SIM115 - closed by close()
        try:
            self.compressed = path.name.endswith(".gz") or raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            self._stream: IO[bytes] = (
                self._exit.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
                if self.compressed
                else raw
            )
            header_bytes = 4 + 4 * len(shape)
            header = self._read(header_bytes)
            self._check_magic(header, magic)
            if len(header) < header_bytes:
                self.fail(
                    f"is truncated: it ends inside its {header_bytes}-byte header "
                    f"({len(header)} bytes)"
                )
            self.shape = struct.unpack(f">{len(shape)}I", header[4:])
            self._check_shape(shape)
            self.data_bytes = math.prod(self.shape)
            file_bytes = os.fstat(raw.fileno()).st_size
            if self.compressed:
                self._check_inflation(file_bytes, header_bytes)
            else:
                self._check_file_length(file_bytes, header_bytes)
        except BaseException:
            self.close()
            raise

    # -- errors ---------------------------------------------------------------------------------

    def fail(self, problem: str, fix: str | None = None) -> None:
        """Raise the ``ValueError`` for this file: its path, the problem, and what to do."""
        if fix is None:
            fix = (
                f"Delete the file and fetch it again ({self.owner}(root, download=True) "
                "downloads the missing files)"
            )
        raise ValueError(f"{self.owner}: {self.path} {problem}. {fix}")

    def _contents(self) -> str:
        """What the header declares, e.g. ``12 images of 28×28 pixels``."""
        if self.kind == "image":
            return f"{self.shape[0]:,} images of {self.shape[1]}×{self.shape[2]} pixels"
        return f"{self.shape[0]:,} labels"

    def _check_magic(self, header: bytes, magic: int) -> None:
        if len(header) < 4:
            self.fail(f"is truncated: it holds only {len(header)} bytes, not even a magic number")
        found = int.from_bytes(header[:4], "big")
        if found == magic:
            return
        if found in _KIND:
            self.fail(
                f"is an IDX {_KIND[found]} file (magic number {found}), but the {self.kind} file "
                f"(magic number {magic}) belongs here",
                "Are the image and label files' names swapped?",
            )
        compressed = " after decompression" if self.compressed else ""
        self.fail(
            f"is not an IDX {self.kind} file: it starts with 0x{found:08X}{compressed}, not the "
            f"magic number {magic} (0x{magic:08X})"
        )

    def _check_shape(self, expected: tuple[int | None, ...]) -> None:
        names = ("images", "rows", "columns") if self.kind == "image" else ("labels",)
        for name, size, wanted in zip(names, self.shape, expected, strict=True):
            if wanted is None and size == 0:
                self.fail(f"declares 0 {name}")
            if wanted is not None and size != wanted:
                declared = "×".join(str(s) for s in self.shape[1:])
                want = "×".join(str(s) for s in expected[1:])
                self.fail(f"declares images of {declared} pixels; {self.owner} images are {want}")

    def _check_file_length(self, file_bytes: int, header_bytes: int) -> None:
        expected = header_bytes + self.data_bytes
        if file_bytes == expected:
            return
        what = self._contents()
        if file_bytes < expected:
            self.fail(
                f"is truncated: its header declares {what}, {expected:,} bytes with the "
                f"header, but the file has {file_bytes:,}"
            )
        self.fail(
            f"is longer than its header says: it declares {what}, {expected:,} bytes with the "
            f"header, but the file has {file_bytes:,}"
        )

    def _check_inflation(self, file_bytes: int, header_bytes: int) -> None:
        """A gzip file cannot hold more than ``_DEFLATE_MAX_RATIO`` times its size: refuse a
        header that declares more before inflating anything (a 100 KB file that claims 4·10⁹
        images), so memory is bounded by the file as well as by the header."""
        expected = header_bytes + self.data_bytes
        if expected > _DEFLATE_MAX_RATIO * file_bytes:
            self.fail(
                f"is damaged or not what it claims: its header declares {self._contents()}, "
                f"{expected:,} bytes, but a gzip file of {file_bytes:,} bytes holds at most "
                f"{_DEFLATE_MAX_RATIO * file_bytes:,}"
            )

    # -- reading --------------------------------------------------------------------------------

    def _read(self, count: int) -> bytearray:
        """Up to ``count`` bytes, fewer at the end of the file; memory grows only as data come."""
        buffer = bytearray()
        try:
            while len(buffer) < count:
                chunk = self._stream.read(min(_READ_CHUNK, count - len(buffer)))
                if not chunk:
                    break
                buffer += chunk
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            self.fail(f"is not a valid gzip file (damaged or truncated: {error})")
        return buffer

    def read(self) -> np.ndarray:
        """The data, as a writable uint8 array of the declared shape."""
        data = self._read(self.data_bytes)
        if len(data) < self.data_bytes:
            self.fail(
                f"is truncated: its header declares {self._contents()} "
                f"({self.data_bytes:,} bytes after the header), but only {len(data):,} follow"
            )
        # Reading on to the end makes gzip check the CRC-32 and length of the whole stream.
        if self._read(1):
            self.fail(
                f"is longer than its header says: it declares {self._contents()} "
                f"({self.data_bytes:,} bytes after the header), but more follow"
            )
        return np.frombuffer(data, dtype=np.uint8).reshape(self.shape)

    def close(self) -> None:
        self._exit.close()

    def __enter__(self) -> _IdxReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# ----------------------------------------------------------------------------------------------
# The data sets
# ----------------------------------------------------------------------------------------------


class MNIST(Dataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images of 28×28 pixels).

    Parameters
    ----------
    root : str or path-like
        The folder of the data. The files are looked for in ``root/MNIST/raw/`` (torchvision's
        layout, where ``download=True`` puts them) and then in ``root`` itself, each gzipped
        (``train-images-idx3-ubyte.gz``) or not (``train-images-idx3-ubyte``).
    train : bool
        ``True`` for the training set (``train-*`` files), ``False`` for the test set
        (``t10k-*`` files).
    download : bool
        Fetch whichever of the four files is not found yet, from :attr:`mirrors`, check each
        against its published MD5 in :attr:`resources`, and save it to ``root/MNIST/raw/``
        (through a temporary file, renamed once complete and verified). Files found are used
        as they are, with no network access.
    transform : callable, optional
        Applied to every image. A transform of :mod:`minitorch.transforms` (or any callable
        with ``batched = True``) is applied to a whole batch ``(B, 1, 28, 28)`` at once by
        ``__getitems__``; any other callable gets one image ``(1, 28, 28)`` at a time.

    Attributes
    ----------
    data : ndarray of uint8, shape (N, 28, 28)
        The images as stored: grey levels 0 (background) to 255 (ink), as torchvision's
        ``data``.
    targets : ndarray of int64, shape (N,)
        The labels, 0 to 9.
    classes : list of str
        ``["0 - zero", ..., "9 - nine"]`` (torchvision's names); :attr:`class_to_idx` maps them
        back.
    image_file, label_file : Path
        The files read.
    task, num_classes, input_dim, output_dim
        What a trainer needs to build a model: ``'classification'``, 10, 784 (the values of one
        image before any transform) and 10.

    Class attributes
    ----------------
    mirrors : list of str
        Base URLs the files are downloaded from, tried in order. The environment variable named
        by :attr:`mirror_env` (``MINITORCH_MNIST_MIRROR``), when set, replaces them (one URL or
        several separated by spaces), e.g. a course's own server.
    resources : list of (str, str)
        Each file to download and its published MD5, as in torchvision.

    Notes
    -----
    Sample ``i`` is ``(image, label)``: ``image`` a float32 array of shape ``(1, 28, 28)``,
    ``data[i] / 255`` (torchvision's ``ToTensor`` convention, values in [0, 1]), then
    ``transform``; ``label`` an ``int``. ``__getitems__(indices)`` returns the samples of a batch
    as a :class:`~minitorch.utils.data.BatchedSamples` holding ``(images, labels)`` of shapes
    ``(B, 1, 28, 28)`` and ``(B,)``, computed with one fancy index (the DataLoader's fast path).
    No float copy of the whole data set is kept: each batch is converted when fetched.

    Source: Y. LeCun, C. Cortes and C. J. C. Burges, http://yann.lecun.com/exdb/mnist/ (CC BY-SA
    3.0). The downloads come from the mirrors torchvision uses.

    Examples
    --------
    >>> from minitorch import transforms as T
    >>> train = MNIST("data", train=True, download=True,
    ...               transform=T.Normalize((0.1307,), (0.3081,)))
    >>> image, label = train[0]                      # (1, 28, 28) float32, and 5
    >>> loader = DataLoader(train, batch_size=64, shuffle=True)
    """

    mirrors: ClassVar[list[str]] = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]
    resources: ClassVar[list[tuple[str, str]]] = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    mirror_env: ClassVar[str] = "MINITORCH_MNIST_MIRROR"
    folder: ClassVar[str] = "MNIST"
    classes: ClassVar[list[str]] = list(DIGIT_CLASSES)
    image_size: ClassVar[tuple[int, int]] = (28, 28)
    max_download_bytes: ClassVar[int] = 64 << 20
    """No file of the data set is larger (gzipped); a larger response is refused."""

    task = CLASSIFICATION

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        download: bool = False,
        transform: Callable[[np.ndarray], Any] | None = None,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(
                f"{owner}: root must be the path of a folder, such as 'data', got "
                f"{type(root).__name__}"
            )
        for option, value in (("train", train), ("download", download)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{owner}: {option} must be True or False, got {value!r}")
        if transform is not None and not callable(transform):
            raise TypeError(
                f"{owner}: transform must be a callable such as transforms.Normalize(...), got "
                f"{type(transform).__name__}"
            )
        self.root = Path(root).expanduser()
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"{owner}: root {self.root} is a file; give its folder")
        self.train = bool(train)
        self.transform = transform
        if download:
            self.download()
        split = "train" if self.train else "t10k"
        stems = (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte")
        image_file, label_file = (self._find(stem) for stem in stems)
        missing = [
            stem
            for stem, found in zip(stems, (image_file, label_file), strict=True)
            if found is None
        ]
        if missing:
            what = "training" if self.train else "test"
            raise FileNotFoundError(
                f"{owner}: the {what} files are not in {self.root.absolute()}: put "
                f"{self._where(missing)} (gzipped or not; directly in root works too), or pass "
                "download=True to fetch them"
            )
        assert image_file is not None and label_file is not None
        self.image_file, self.label_file = image_file, label_file
        self.data, self.targets = self._load(image_file, label_file)

    # -- files ----------------------------------------------------------------------------------

    @property
    def raw_folder(self) -> Path:
        """``root/MNIST/raw``: torchvision's folder for the files, where downloads go."""
        return self.root / self.folder / "raw"

    def _find(self, stem: str) -> Path | None:
        """The first of ``raw_folder/stem``, ``raw_folder/stem.gz``, ``root/stem``,
        ``root/stem.gz`` that exists, or ``None``."""
        for folder in (self.raw_folder, self.root):
            for name in (stem, f"{stem}.gz"):
                if (folder / name).is_file():
                    return folder / name
        return None

    def _where(self, stems: Sequence[str]) -> str:
        """The full paths where the files ``stems`` belong, for messages."""
        paths = [str(self.raw_folder.absolute() / f"{stem}.gz") for stem in stems]
        return " and ".join(paths) if len(paths) <= 2 else ", ".join(paths)

    def _mirrors(self) -> list[str]:
        override = os.environ.get(self.mirror_env, "").split()
        return override if override else list(self.mirrors)

    def download(self) -> None:
        """Fetch each file of :attr:`resources` that is not found yet into :attr:`raw_folder`.

        Raises
        ------
        DownloadError
            If a file cannot be fetched from any mirror (no network, an HTTP error, a download
            cut short, a wrong MD5). The one-line message gives each mirror's reason and where
            to put the files by hand. Nothing incomplete is ever left on disk.
        """
        owner = type(self).__name__
        wanted = [
            (filename, md5)
            for filename, md5 in self.resources
            if self._find(filename.removesuffix(".gz")) is None
        ]
        if not wanted:
            return
        self.raw_folder.mkdir(parents=True, exist_ok=True)
        for filename, md5 in wanted:
            urls = [f"{mirror.rstrip('/')}/{filename}" for mirror in self._mirrors()]
            print(f"{owner}: downloading {filename} to {self.raw_folder}", file=sys.stderr)
            try:
                fetch(urls, self.raw_folder / filename, md5, max_bytes=self.max_download_bytes)
            except DownloadError as error:
                stems = [name.removesuffix(".gz") for name, _ in self.resources]
                raise DownloadError(
                    f"{owner}: could not download {filename} ({error}). Without a network, fetch "
                    f"the files elsewhere and put them at {self._where(stems)} (gzipped or not)"
                ) from None

    # -- loading --------------------------------------------------------------------------------

    def _load(self, image_file: Path, label_file: Path) -> tuple[np.ndarray, np.ndarray]:
        """Read and check both files; every header is checked before any data are read."""
        owner = type(self).__name__
        self._check_not_another_file(image_file)
        self._check_not_another_file(label_file)
        with (
            _IdxReader(image_file, IMAGE_MAGIC, (None, *self.image_size), owner) as images,
            _IdxReader(label_file, LABEL_MAGIC, (None,), owner) as labels,
        ):
            if images.shape[0] != labels.shape[0]:
                raise ValueError(
                    f"{owner}: {image_file} holds {images.shape[0]:,} images but {label_file} "
                    f"holds {labels.shape[0]:,} labels; the two files must come from the same "
                    "set (both train-* or both t10k-*, of the same data set)"
                )
            data = images.read()
            label_bytes = labels.read()
        if label_bytes.size and int(label_bytes.max()) >= len(self.classes):
            position = int(np.argmax(label_bytes >= len(self.classes)))
            labels.fail(
                f"holds the label {int(label_bytes[position])} at position {position}; labels "
                f"are 0 to {len(self.classes) - 1}"
            )
        return data, label_bytes.astype(np.int64)

    def _check_not_another_file(self, path: Path) -> None:
        """Refuse a pristine download of *another* file saved under this file's name.

        The published MD5s identify the original gzip files; one that matches another file's
        MD5 (Fashion-MNIST's for MNIST, or the test images for the training images) is a
        mix-up no header check can see. Files with no known MD5 (uncompressed, or compressed
        anew) are checked by their structure only.
        """
        if not path.name.endswith(".gz"):
            return
        known = {
            md5: (cls.__name__, filename)
            for cls in (MNIST, FashionMNIST, type(self))
            for filename, md5 in cls.resources
        }
        expected = dict(type(self).resources).get(path.name)
        md5 = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as file:
            while chunk := file.read(_READ_CHUNK):
                md5.update(chunk)
        digest = md5.hexdigest()
        if digest == expected or digest not in known:
            return
        dataset, filename = known[digest]
        raise ValueError(
            f"{type(self).__name__}: {path} is {dataset}'s {filename} (its MD5 says so), not "
            f"{type(self).__name__}'s {path.name}; keep each data set in its own folder "
            f"({type(self).__name__} reads {self.raw_folder})"
        )

    # -- the Dataset interface --------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.data)

    def _images(self, raw: np.ndarray) -> np.ndarray:
        """uint8 ``(..., 28, 28)`` to float32 ``(..., 1, 28, 28)`` in [0, 1], as ToTensor does."""
        images = raw.astype(np.float32)
        images /= np.float32(255.0)
        return images[..., None, :, :]

    def __getitem__(self, index: int) -> tuple[Any, int]:
        position = _check_index(index, len(self), type(self).__name__)
        image = self._images(self.data[position])
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[position])

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> BatchedSamples | list:
        """The samples at ``indices``: one fancy index, one conversion, and the transform once
        for the whole batch when it is batched (else once per image)."""
        owner = f"{type(self).__name__}.__getitems__"
        positions = _check_indices(indices, len(self), owner)
        if self.transform is not None and getattr(self.transform, "batched", False) is not True:
            return [self[int(position)] for position in positions]
        images = self._images(self.data[positions])
        if self.transform is not None:
            images = self.transform(images)
            if not isinstance(images, np.ndarray) or images.shape[:1] != positions.shape:
                got = images.shape if isinstance(images, np.ndarray) else type(images).__name__
                raise ValueError(
                    f"{owner}: the transform {self.transform!r} returned {got} for a batch of "
                    f"{len(positions)} images; a batched transform must return an array of one "
                    "image per input image"
                )
        return BatchedSamples((images, self.targets[positions]))

    # -- what a trainer needs -------------------------------------------------------------------

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label."""
        return {name: label for label, name in enumerate(self.classes)}

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_dim(self) -> int:
        """Values in one image before any transform: 784."""
        return math.prod(self.image_size)

    @property
    def output_dim(self) -> int:
        """Logits a classifier needs: one per class."""
        return len(self.classes)

    def __repr__(self) -> str:
        lines = [
            f"Dataset {type(self).__name__}",
            f"Number of datapoints: {len(self)}",
            f"Root location: {self.root}",
            f"Split: {'Train' if self.train else 'Test'}",
            f"Files: {self.image_file}, {self.label_file}",
        ]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}")
        return "\n    ".join(lines)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 70,000 28×28 grey images of clothes in 10 classes, as MNIST.

    A drop-in replacement for :class:`MNIST` (same files, sizes and split, 60,000 training and
    10,000 test images) that is harder to classify. Everything :class:`MNIST` says holds, with
    ``root/FashionMNIST/raw/`` as the folder and ``MINITORCH_FASHION_MNIST_MIRROR`` as the
    environment variable that replaces the mirrors. Keep the two data sets in their own folders:
    their files have the same names.

    Classes: ``T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag,
    Ankle boot``.

    Source: H. Xiao, K. Rasul and R. Vollgraf (2017),
    https://github.com/zalandoresearch/fashion-mnist (MIT licence).
    """

    mirrors: ClassVar[list[str]] = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources: ClassVar[list[tuple[str, str]]] = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    mirror_env: ClassVar[str] = "MINITORCH_FASHION_MNIST_MIRROR"
    folder: ClassVar[str] = "FashionMNIST"
    classes: ClassVar[list[str]] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]
