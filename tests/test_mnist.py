"""Tests of minitorch.datasets.MNIST and FashionMNIST: reading IDX files, damaged files, downloads.

Every file is small and made here. The download path runs for real, over HTTP, against a server
the test starts on 127.0.0.1 (http.server in a thread): no test touches the network.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch import transforms as T
from minitorch.datasets import MNIST, FashionMNIST, _download
from minitorch.datasets.mnist import DownloadError
from minitorch.utils.data import BatchedSamples, DataLoader, default_collate, random_split

CLASSES = [pytest.param(MNIST, id="MNIST"), pytest.param(FashionMNIST, id="FashionMNIST")]
STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
SIZES = {"train": 12, "t10k": 7}


# ----------------------------------------------------------------------------------------------
# Making IDX files
# ----------------------------------------------------------------------------------------------


def idx_images(images: np.ndarray, count: int | None = None) -> bytes:
    """An IDX image file: magic 2051, N, rows, columns, then the pixels."""
    n, rows, columns = images.shape
    return struct.pack(">IIII", 2051, n if count is None else count, rows, columns) + (
        images.astype(np.uint8).tobytes()
    )


def idx_labels(labels: np.ndarray, count: int | None = None) -> bytes:
    """An IDX label file: magic 2049, N, then the labels."""
    return struct.pack(">II", 2049, len(labels) if count is None else count) + (
        labels.astype(np.uint8).tobytes()
    )


def make_split(split: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, len(split)])
    n = SIZES[split]
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n)


def write_split(folder: Path, split: str, *, gz: bool, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Write the two files of ``split`` into ``folder``; return (images, labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    images, labels = make_split(split, seed)
    for stem, content in zip(STEMS[split], (idx_images(images), idx_labels(labels)), strict=True):
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(content, mtime=0))
        else:
            (folder / stem).write_bytes(content)
    return images, labels


# ----------------------------------------------------------------------------------------------
# Reading the files
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("layout", ["root", "torchvision"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_reads_the_standard_files_where_a_student_has_them(cls, layout, gz, train, tmp_path):
    folder = tmp_path if layout == "root" else tmp_path / cls.folder / "raw"
    split = "train" if train else "t10k"
    images, labels = write_split(folder, split, gz=gz)
    dataset = cls(tmp_path, train=train)
    assert len(dataset) == SIZES[split]
    assert dataset.data.dtype == np.uint8 and dataset.data.shape == (SIZES[split], 28, 28)
    assert dataset.targets.dtype == np.int64
    np.testing.assert_array_equal(dataset.data, images)
    np.testing.assert_array_equal(dataset.targets, labels)
    assert dataset.image_file == folder / (STEMS[split][0] + (".gz" if gz else ""))
    assert dataset.classes == cls.classes and len(dataset.classes) == 10
    assert dataset.class_to_idx[dataset.classes[3]] == 3
    assert (dataset.task, dataset.num_classes, dataset.input_dim, dataset.output_dim) == (
        "classification",
        10,
        784,
        10,
    )
    assert f"Dataset {cls.__name__}" in repr(dataset)
    assert ("Split: Train" if train else "Split: Test") in repr(dataset)


def test_items_are_float_images_in_0_1_and_int_labels(tmp_path):
    images, labels = write_split(tmp_path, "train", gz=True)
    dataset = MNIST(tmp_path)
    image, label = dataset[3]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    np.testing.assert_array_equal(image[0], images[3].astype(np.float32) / np.float32(255))
    assert type(label) is int and label == labels[3]
    assert dataset[-1][1] == labels[-1]
    assert image.min() >= 0.0 and image.max() <= 1.0
    with pytest.raises(IndexError, match="MNIST index 12 is out of range"):
        dataset[12]
    with pytest.raises(TypeError, match="MNIST indices must be integers"):
        dataset[1.5]


def test_batched_fetch_returns_the_samples_as_one_batch(tmp_path):
    write_split(tmp_path, "train", gz=False)
    dataset = MNIST(tmp_path)
    indices = np.array([5, 0, 11, -1])
    samples = dataset.__getitems__(indices)
    assert isinstance(samples, BatchedSamples) and len(samples) == 4
    images, labels = default_collate(samples)
    assert images.shape == (4, 1, 28, 28) and images.dtype == np.float32
    assert labels.dtype == np.int64
    for k, index in enumerate(indices):
        image, label = dataset[int(index)]
        np.testing.assert_array_equal(images[k], image)
        assert labels[k] == label
    assert len(dataset.__getitems__([1, 2])) == 2  # a list, as PyTorch's DataLoader passes
    with pytest.raises(IndexError, match=r"MNIST.__getitems__: index 12 is out of range"):
        dataset.__getitems__([0, 12])


def test_a_dataloader_batches_every_sample_once(tmp_path):
    _, labels = write_split(tmp_path, "train", gz=True)
    loader = DataLoader(MNIST(tmp_path), batch_size=5, shuffle=True)
    seen = []
    for images, batch_labels in loader:
        assert images.shape[1:] == (1, 28, 28) and images.dtype == np.float32
        seen.extend(batch_labels.tolist())
    assert sorted(seen) == sorted(labels.tolist())


def test_splits_and_torchs_dataloader_use_the_batched_fetch(tmp_path):
    _, labels = write_split(tmp_path, "train", gz=True)
    _, held_out = random_split(MNIST(tmp_path), [8, 4])
    images, batch_labels = next(iter(DataLoader(held_out, batch_size=4)))
    assert images.shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(batch_labels, labels[held_out.indices])
    torch = pytest.importorskip("torch")
    images, batch_labels = next(iter(torch.utils.data.DataLoader(MNIST(tmp_path), batch_size=5)))
    assert images.shape == (5, 1, 28, 28) and images.dtype == torch.float32
    assert batch_labels.tolist() == labels[:5].tolist()


class CountingTransform:
    """A batched transform that counts its calls and the images it saw."""

    batched = True

    def __init__(self) -> None:
        self.calls: list[tuple[int, ...]] = []

    def __call__(self, x: np.ndarray) -> np.ndarray:
        self.calls.append(x.shape)
        return x * 2


def test_a_batched_transform_is_called_once_per_batch_and_once_per_sample(tmp_path):
    write_split(tmp_path, "train", gz=True)
    transform = CountingTransform()
    dataset = MNIST(tmp_path, transform=transform)
    images, _ = default_collate(dataset.__getitems__([0, 1, 2]))
    assert transform.calls == [(3, 1, 28, 28)]
    image, _ = dataset[0]
    assert transform.calls[-1] == (1, 28, 28)
    np.testing.assert_array_equal(images[0], image)


def test_any_other_callable_is_applied_one_image_at_a_time(tmp_path):
    write_split(tmp_path, "train", gz=True)
    shapes = []

    def standardise(x):  # per image; on a batch it would mix the images' statistics
        shapes.append(x.shape)
        return (x - x.mean()) / x.std()

    dataset = MNIST(tmp_path, transform=standardise)
    images, labels = default_collate(dataset.__getitems__([4, 7]))
    assert shapes == [(1, 28, 28), (1, 28, 28)]
    np.testing.assert_allclose(images.mean(axis=(1, 2, 3)), 0.0, atol=1e-6)
    assert labels.dtype == np.int64


def test_random_transforms_on_batches_are_reproducible_with_a_seed(tmp_path):
    write_split(tmp_path, "train", gz=True)
    augment = T.Compose([T.RandomShift(2), T.Normalize((0.1307,), (0.3081,))])
    dataset = MNIST(tmp_path, transform=augment)

    def epoch(seed):
        minitorch.manual_seed(seed)
        return np.concatenate([x for x, _ in DataLoader(dataset, batch_size=4, shuffle=True)])

    np.testing.assert_array_equal(epoch(1), epoch(1))
    assert not np.array_equal(epoch(1), epoch(2))


def test_a_batched_transform_that_loses_images_is_refused(tmp_path):
    write_split(tmp_path, "train", gz=True)
    dataset = MNIST(tmp_path, transform=T.Lambda(lambda x: x.reshape(-1), batched=True))
    with pytest.raises(ValueError, match=r"returned \(9408,\) for a batch of 12 images"):
        dataset.__getitems__(np.arange(12))


def test_missing_files_say_where_to_put_them(tmp_path):
    write_split(tmp_path, "train", gz=True)
    with pytest.raises(FileNotFoundError) as info:
        MNIST(tmp_path, train=False)
    message = str(info.value)
    assert "\n" not in message and "download=True" in message
    raw = tmp_path.absolute() / "MNIST" / "raw"
    assert f"{raw / 't10k-images-idx3-ubyte.gz'} and {raw / 't10k-labels-idx1-ubyte.gz'}" in (
        message
    )
    with pytest.raises(FileNotFoundError, match=r"FashionMNIST: the training files"):
        FashionMNIST(tmp_path / "FashionMNIST-elsewhere")


@pytest.mark.parametrize(
    ("arguments", "error", "words"),
    [
        ({"root": 3}, TypeError, "root must be the path of a folder"),
        ({"train": "yes"}, TypeError, "train must be True or False"),
        ({"download": 1}, TypeError, "download must be True or False"),
        ({"transform": "flip"}, TypeError, "transform must be a callable"),
    ],
    ids=["root", "train", "download", "transform"],
)
def test_bad_arguments_are_refused(arguments, error, words, tmp_path):
    arguments = {"root": tmp_path, **arguments}
    with pytest.raises(error, match=words):
        MNIST(**arguments)


def test_root_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="is a file; give its folder"):
        MNIST(tmp_path / "data")


# ----------------------------------------------------------------------------------------------
# Damaged files: one row per kind of damage
# ----------------------------------------------------------------------------------------------

IMAGES, LABELS = make_split("train")
IMAGE_BYTES, LABEL_BYTES = idx_images(IMAGES), idx_labels(LABELS)


def _flip_byte(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


def _gz(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)


# (id, file damaged ("images" or "labels"), written as ".gz"?, its bytes, words of the message,
# and optionally the other file's bytes)
DAMAGE = [
    ("empty", "images", False, b"", "holds only 0 bytes, not even a magic number"),
    ("magic-cut", "labels", False, b"\x00\x00", "holds only 2 bytes"),
    ("header-cut", "images", False, IMAGE_BYTES[:10], "ends inside its 16-byte header"),
    ("wrong-magic", "images", False, _flip_byte(IMAGE_BYTES, 3), "not an IDX image file"),
    ("wrong-label-magic", "labels", True, _gz(_flip_byte(LABEL_BYTES, 2)), "after decompression"),
    ("swapped", "images", False, LABEL_BYTES, "names swapped?"),
    ("zero-images", "images", False, idx_images(IMAGES[:0]), "declares 0 images"),
    ("32x32", "images", False, idx_images(np.zeros((2, 32, 32))), "images of 32×32 pixels"),
    ("data-cut", "images", False, IMAGE_BYTES[:-100], "is truncated: its header declares 12"),
    ("huge-count", "images", False, idx_images(IMAGES, 2**32 - 1), "4,294,967,295 images"),
    (
        "huge-count-gz",  # both headers claim 2**32 - 1 samples, so the counts agree
        "images",
        True,
        _gz(idx_images(IMAGES, 2**32 - 1)),
        "4,294,967,295 images of 28×28 pixels",
        _gz(idx_labels(LABELS, 2**32 - 1)),
    ),
    (  # zeros deflate 1000:1: refused before inflating, by the file's size
        "gzip-bomb",
        "images",
        True,
        _gz(idx_images(IMAGES, 2**32 - 1) + bytes(1 << 20)),
        "holds at most",
        _gz(idx_labels(LABELS, 2**32 - 1)),
    ),
    ("extra-bytes", "labels", False, LABEL_BYTES + b"\x01", "is longer than its header says"),
    ("extra-bytes-gz", "images", True, _gz(IMAGE_BYTES + b"\x00"), "longer than its header"),
    ("gzip-cut", "images", True, _gz(IMAGE_BYTES)[:-200], "not a valid gzip file"),
    ("gzip-corrupt", "images", True, _flip_byte(_gz(IMAGE_BYTES), 10), "invalid block type"),
    ("gzip-data-crc", "images", True, _flip_byte(_gz(IMAGE_BYTES), 40), "CRC check failed"),
    ("gzip-crc", "labels", True, _flip_byte(_gz(LABEL_BYTES), -6), "CRC check failed"),
    ("gz-not-gzip", "labels", True, LABEL_BYTES, "not a valid gzip file"),
    ("label-10", "labels", False, idx_labels(np.r_[LABELS[:-1], 10]), "holds the label 10 at"),
    ("count-mismatch", "labels", False, idx_labels(LABELS[:-1]), "holds 12 images but"),
]


@pytest.mark.parametrize(
    ("which", "gz", "content", "words"),
    [pytest.param(*row[1:5], id=row[0]) for row in DAMAGE],
)
def test_a_damaged_file_is_a_value_error_naming_it(which, gz, content, words, tmp_path, request):
    (row,) = [row for row in DAMAGE if row[0] == request.node.callspec.id]
    image_name, label_name = STEMS["train"]
    damaged = (image_name if which == "images" else label_name) + (".gz" if gz else "")
    other_name, other_content = (
        (label_name, LABEL_BYTES) if which == "images" else (image_name, IMAGE_BYTES)
    )
    if len(row) > 5:
        other_name, other_content = other_name + ".gz", row[5]
    (tmp_path / damaged).write_bytes(content)
    (tmp_path / other_name).write_bytes(other_content)
    with pytest.raises(ValueError) as info:
        MNIST(tmp_path)
    message = str(info.value)
    assert message.startswith("MNIST: ") and "\n" not in message
    assert str(tmp_path / damaged) in message
    assert words in message, message
    if row[0] == "count-mismatch":
        assert str(tmp_path / other_name) in message  # both files named
    elif row[0] != "swapped":
        assert "Delete the file and fetch it again (MNIST(root, download=True)" in message


def _publish_md5s(cls: type[MNIST], folder: Path, monkeypatch) -> None:
    """Make the gzip files in ``folder`` the ones whose MD5s ``cls`` publishes."""
    resources = [
        (path.name, hashlib.md5(path.read_bytes()).hexdigest()) for path in folder.iterdir()
    ]
    monkeypatch.setattr(cls, "resources", sorted(resources))


def test_a_file_of_the_other_data_set_is_recognised_by_its_md5(tmp_path, monkeypatch):
    """Fashion-MNIST's folder holding MNIST's pristine files: a mix-up no header check sees."""
    raw = tmp_path / "FashionMNIST" / "raw"
    write_split(raw, "train", gz=True)
    _publish_md5s(MNIST, raw, monkeypatch)
    with pytest.raises(ValueError, match=r"is MNIST's train-images-idx3-ubyte.gz \(its MD5"):
        FashionMNIST(tmp_path)


def test_test_files_saved_under_the_training_names_are_recognised(tmp_path, monkeypatch):
    originals = tmp_path / "originals"
    write_split(originals, "train", gz=True)
    write_split(originals, "t10k", gz=True)
    _publish_md5s(MNIST, originals, monkeypatch)
    for kind in ("images-idx3", "labels-idx1"):
        content = (originals / f"t10k-{kind}-ubyte.gz").read_bytes()
        (tmp_path / f"train-{kind}-ubyte.gz").write_bytes(content)
    with pytest.raises(ValueError, match=r"is MNIST's t10k-images-idx3-ubyte.gz \(its MD5"):
        MNIST(tmp_path)


def test_a_file_compressed_anew_is_checked_by_its_structure_only(tmp_path, monkeypatch):
    write_split(tmp_path, "train", gz=True)
    _publish_md5s(MNIST, tmp_path, monkeypatch)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1))
    np.testing.assert_array_equal(MNIST(tmp_path).data, make_split("train")[0])


# ----------------------------------------------------------------------------------------------
# Downloads, against a server on 127.0.0.1
# ----------------------------------------------------------------------------------------------


class Server:
    """An HTTP server in a thread: ``files`` maps a path to its bytes; ``short`` lists paths
    whose response announces more bytes than it sends; ``requests`` logs every path asked."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.short: set[str] = set()
        self.trickle: set[str] = set()  # paths sent a byte at a time, 20 ms apart
        self.requests: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(self.path)
                content = owner.files.get(self.path)
                if content is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                announced = len(content) + (1000 if self.path in owner.short else 0)
                self.send_header("Content-Length", str(announced))
                self.end_headers()
                if self.path in owner.trickle:
                    with contextlib.suppress(OSError):  # the client gives up: a closed pipe
                        for byte in content:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.02)
                    return
                self.wfile.write(
                    content[: len(content) // 2] if self.path in owner.short else content
                )

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(monkeypatch) -> Iterator[Server]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv(MNIST.mirror_env, raising=False)
    monkeypatch.delenv(FashionMNIST.mirror_env, raising=False)
    running = Server()
    yield running
    running.close()


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def published(server, monkeypatch) -> Callable[..., dict[str, bytes]]:
    """Serve a small data set under ``/<cls.folder>/`` and make it ``cls``'s published one."""

    def publish(cls: type[MNIST] = MNIST, *, seed: int = 0) -> dict[str, bytes]:
        files = {}
        for split in ("train", "t10k"):
            images, labels = make_split(split, seed)
            for stem, content in zip(
                STEMS[split], (idx_images(images), idx_labels(labels)), strict=True
            ):
                files[f"{stem}.gz"] = _gz(content)
        for name, content in files.items():
            server.files[f"/{cls.folder}/{name}"] = content
        resources = [(name, hashlib.md5(content).hexdigest()) for name, content in files.items()]
        monkeypatch.setattr(cls, "resources", resources)
        monkeypatch.setattr(cls, "mirrors", [f"{server.url}/{cls.folder}/"])
        return files

    return publish


def test_download_fetches_checks_saves_and_reuses_the_four_files(
    published, server, tmp_path, capsys
):
    files = published()
    train = MNIST(tmp_path / "data", download=True)
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(files)  # no temporary file left
    for name, content in files.items():
        assert (raw / name).read_bytes() == content
    assert sorted(server.requests) == sorted(f"/MNIST/{name}" for name in files)
    np.testing.assert_array_equal(train.data, make_split("train")[0])
    assert "MNIST: downloading train-images-idx3-ubyte.gz" in capsys.readouterr().err
    # Next time: no request at all, for either split.
    server.requests.clear()
    test = MNIST(tmp_path / "data", train=False, download=True)
    np.testing.assert_array_equal(test.targets, make_split("t10k")[1])
    assert server.requests == []


def test_files_already_there_are_not_downloaded_again(published, server, tmp_path):
    published()
    write_split(tmp_path, "train", gz=False, seed=5)  # the student's own copy, in root
    dataset = MNIST(tmp_path, download=True)
    assert sorted(server.requests) == [
        "/MNIST/t10k-images-idx3-ubyte.gz",
        "/MNIST/t10k-labels-idx1-ubyte.gz",
    ]
    np.testing.assert_array_equal(dataset.data, make_split("train", seed=5)[0])


def test_fashion_mnist_downloads_into_its_own_folder(published, tmp_path):
    published(FashionMNIST, seed=3)
    dataset = FashionMNIST(tmp_path, download=True)
    assert (tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    assert not (tmp_path / "MNIST").exists()
    np.testing.assert_array_equal(dataset.targets, make_split("train", seed=3)[1])


@pytest.mark.parametrize("cls", CLASSES)
def test_the_environment_variable_replaces_the_mirrors(
    cls, published, server, tmp_path, monkeypatch
):
    published(cls)
    monkeypatch.setattr(cls, "mirrors", [f"http://127.0.0.1:{_unused_port()}/nothing/"])
    monkeypatch.setenv(cls.mirror_env, f"{server.url}/{cls.folder}")  # no trailing slash
    assert len(cls(tmp_path, download=True)) == SIZES["train"]


def test_the_next_mirror_is_tried_when_one_fails(published, server, tmp_path, monkeypatch):
    published()
    monkeypatch.setattr(MNIST, "mirrors", [f"{server.url}/missing/", f"{server.url}/MNIST/"])
    MNIST(tmp_path, download=True)
    assert server.requests[:2] == [
        "/missing/train-images-idx3-ubyte.gz",
        "/MNIST/train-images-idx3-ubyte.gz",
    ]


def _assert_nothing_saved(root: Path) -> None:
    raw = root / "MNIST" / "raw"
    assert not raw.exists() or list(raw.iterdir()) == [], list(raw.iterdir())


# (id, how the server or table is spoiled, words of the message)
DOWNLOAD_FAILURES = [
    ("wrong-md5", "md5", "not the published 00000000000000000000000000000000"),
    ("cut-short", "short", "cut short: "),
    ("not-found", "404", "HTTP 404"),
    ("too-large", "limit", "more than the 100 expected"),
    ("offline", "offline", "Connection refused"),
    ("not-http", "ftp", "not an http:// or https:// address"),
    ("trickling", "trickle", "s in all ("),  # each byte within the timeout, the whole not
]


@pytest.mark.parametrize(
    ("spoil", "words"), [pytest.param(*row[1:], id=row[0]) for row in DOWNLOAD_FAILURES]
)
def test_a_failed_download_saves_nothing_and_says_where_to_put_the_files(
    spoil, words, published, server, tmp_path, monkeypatch
):
    files = published()
    first = "/MNIST/train-images-idx3-ubyte.gz"
    if spoil == "md5":
        monkeypatch.setattr(MNIST, "resources", [("train-images-idx3-ubyte.gz", "0" * 32)])
    elif spoil == "short":
        server.short.add(first)
    elif spoil == "404":
        del server.files[first]
    elif spoil == "limit":
        monkeypatch.setattr(MNIST, "max_download_bytes", 100)
    elif spoil == "offline":
        monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{_unused_port()}/"])
    elif spoil == "ftp":
        monkeypatch.setattr(MNIST, "mirrors", ["ftp://127.0.0.1/"])
    elif spoil == "trickle":
        server.trickle.add(first)
        monkeypatch.setattr(_download, "DEADLINE_SLACK_SECONDS", 0.3)
        monkeypatch.setattr(_download, "MIN_BYTES_PER_SECOND", 1e12)
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, download=True)
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert message.startswith("MNIST: could not download train-images-idx3-ubyte.gz (")
    assert words in message, message
    assert "\n" not in message
    raw = tmp_path.absolute() / "MNIST" / "raw"
    assert "Without a network, fetch the files elsewhere and put them at " in message
    for stem in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        if spoil != "md5":  # that table lists one file only
            assert str(raw / f"{stem}.gz") in message
    _assert_nothing_saved(tmp_path)
    if spoil in ("md5", "short"):
        assert len(files[first.rsplit("/", 1)[1]]) > 100  # a real, non-empty file was refused


def test_the_published_tables_are_torchvisions():
    assert [name for name, _ in MNIST.resources] == [name for name, _ in FashionMNIST.resources]
    assert [name for name, _ in MNIST.resources] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert MNIST.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert FashionMNIST.mirrors == ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    assert dict(MNIST.resources)["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert (
        dict(FashionMNIST.resources)["t10k-labels-idx1-ubyte.gz"]
        == "bb300cfdad3c16e7a12a480ee83cd310"
    )
