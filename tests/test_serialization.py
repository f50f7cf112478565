"""minitorch.save / minitorch.load: every key round-trips, no file is taken on trust, writes are
atomic, permissions follow the umask.

The damaged-file tests are one table (``DAMAGED``): a row per kind of bad file, the bytes it
holds and a phrase the error must contain. The next bad file is one more row.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import re
import signal
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch import nn
from minitorch._atomic import STALE_AFTER_SECONDS
from minitorch.serialization import MANIFEST, CheckpointFileError


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ====================================================================== round trips
def test_round_trip_of_a_model(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    path = minitorch.save(model.state_dict(), tmp_path / "model.npz")
    assert path == tmp_path / "model.npz"
    other = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    other.load_state_dict(minitorch.load(path))
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(model(x), other(x))


def test_nested_dicts_numbers_and_strings(tmp_path):
    state = {
        "model": {"0.W": np.arange(6.0).reshape(2, 3), "0.b": np.zeros((1, 3), np.float32)},
        "optimizer": {"lr": 0.1, "betas": [0.9, 0.999], "name": "Adam"},
        "epoch": 7,
    }
    loaded = minitorch.load(minitorch.save(state, tmp_path / "ckpt.npz"))
    np.testing.assert_array_equal(loaded["model"]["0.W"], state["model"]["0.W"])
    assert loaded["model"]["0.b"].dtype == np.float32
    assert loaded["optimizer"]["lr"] == 0.1 and isinstance(loaded["optimizer"]["lr"], float)
    np.testing.assert_array_equal(loaded["optimizer"]["betas"], [0.9, 0.999])
    assert loaded["optimizer"]["name"] == "Adam" and loaded["epoch"] == 7


#: Keys that NumPy's savez drops, rejects or mangles, and other awkward names.
AWKWARD_KEYS = {
    "savez's file argument": "file",
    "savez's allow_pickle argument": "allow_pickle",
    "savez's args": "args",
    "savez's kwds": "kwds",
    "savez's positional name": "arr_0",
    "a slash": "a/b",
    "a leading slash": "/root",
    "only slashes": "//",
    "empty": "",
    "a dot": ".",
    "two dots": "..",
    "a path out of the archive": "../../etc/passwd",
    "a backslash": "a\\b",
    "a percent sign": "%",
    "an escape-looking name": "%2F",
    "two percent signs": "%%0",
    "ends in .npy": "weights.npy",
    "the manifest's name": MANIFEST,
    "the manifest's stem": "minitorch",
    "a space and a tab": "layer 1\tW",
    "non-ASCII": "größe·λ",
    "an emoji": "\N{BRAIN}",
    "a NUL byte": "a\x00b",
    "a newline": "a\nb",
    "a lone surrogate (os.fsdecode of bad UTF-8)": "caf\udce9",
    "very long": "k" * 5000,
    "dunder": "__class__",
    "zip signature": "PK\x03\x04",
}


@pytest.mark.parametrize("key", list(AWKWARD_KEYS.values()), ids=list(AWKWARD_KEYS))
def test_every_key_round_trips_at_every_depth(key, tmp_path):
    value = np.arange(3, dtype=np.int16)
    state = {key: value, "nested": {key: {key: value, "other": 1.5}}, "empty": {key: {}}}
    loaded = minitorch.load(minitorch.save(state, tmp_path / "ckpt.npz"))
    assert list(loaded) == [key, "nested", "empty"]
    np.testing.assert_array_equal(loaded[key], value)
    assert loaded[key].dtype == np.int16
    assert list(loaded["nested"][key]) == [key, "other"]
    np.testing.assert_array_equal(loaded["nested"][key][key], value)
    assert loaded["empty"] == {key: {}}


def test_all_awkward_keys_together_and_numpy_still_reads_plain_names(tmp_path):
    state = {key: np.full(2, index) for index, key in enumerate(AWKWARD_KEYS.values())}
    state["model"] = {"0.W": np.ones((2, 2))}
    path = minitorch.save(state, tmp_path / "ckpt.npz")
    loaded = minitorch.load(path)
    assert list(loaded) == list(state)
    for key, value in state.items():
        if key != "model":
            np.testing.assert_array_equal(loaded[key], value)
    with np.load(path, allow_pickle=False) as archive:  # a plain .npz to NumPy
        np.testing.assert_array_equal(archive["model/0.W"], np.ones((2, 2)))
        np.testing.assert_array_equal(archive["file"], state["file"])
    with zipfile.ZipFile(path) as archive:
        assert all(".." not in name.split("/") for name in archive.namelist())


def test_empty_dicts_round_trip(tmp_path):
    state = {"optimizer": {"state": {}, "hyperparameters": {"lr": 0.1}}, "none": {}}
    assert minitorch.load(minitorch.save(state, tmp_path / "a.npz")) == {
        "optimizer": {"state": {}, "hyperparameters": {"lr": 0.1}},
        "none": {},
    }
    assert minitorch.load(minitorch.save({}, tmp_path / "b.npz")) == {}


VALUES = {
    "float16": np.array([1.5, -2.25], np.float16),
    "float32": np.arange(6, dtype=np.float32).reshape(2, 3),
    "float64": np.linspace(0, 1, 7),
    "int8": np.array([-128, 127], np.int8),
    "uint64": np.array([2**64 - 1], np.uint64),
    "bool": np.array([True, False]),
    "complex": np.array([1 + 2j]),
    "big-endian": np.arange(4, dtype=">f8"),
    "Fortran order": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    "non-contiguous": np.arange(20.0)[::3],
    "empty (0, 3)": np.zeros((0, 3), np.float32),
    "0-d array": np.array(2.5, np.float32),
    "unicode strings": np.array(["relu", "größe"]),
    "bytes": np.array([b"ab", b"c"]),
    "structured": np.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")]),
    "datetime": np.array(["2026-01-01"], dtype="datetime64[D]"),
    "7-d": np.zeros((1, 2, 1, 2, 1, 2, 1)),
}


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_arrays_keep_dtype_shape_and_values(value, tmp_path):
    loaded = minitorch.load(minitorch.save({"x": value}, tmp_path / "a.npz"))["x"]
    if value.ndim == 0:
        assert loaded == value.item() and isinstance(loaded, float)
        return
    assert loaded.dtype == value.dtype and loaded.shape == value.shape
    np.testing.assert_array_equal(loaded, value)
    assert loaded.flags.writeable  # the caller may change it in place


PYTHON_VALUES = {
    "int": 7,
    "negative int": -(2**63),
    "float": 0.1,
    "bool": True,
    "str": "Adam",
    "empty str": "",
    "bytes": b"\x00\xff",
    "complex": 1 - 1j,
    "numpy scalar": np.float32(0.5),
}


@pytest.mark.parametrize("value", list(PYTHON_VALUES.values()), ids=list(PYTHON_VALUES))
def test_numbers_and_strings_come_back_as_python_scalars(value, tmp_path):
    loaded = minitorch.load(minitorch.save({"v": value}, tmp_path / "a.npz"))["v"]
    assert loaded == value and type(loaded) is type(np.asarray(value).item())


def test_the_same_state_gives_the_same_bytes(tmp_path):
    state = {"W": np.ones((3, 3)), "epoch": 3}
    first = minitorch.save(state, tmp_path / "a.npz").read_bytes()
    time.sleep(0.01)
    assert minitorch.save(state, tmp_path / "b.npz").read_bytes() == first


def test_files_of_earlier_versions_and_numpy_archives_load(tmp_path):
    old = tmp_path / "old.npz"  # what the earlier minitorch.save wrote: np.savez, '/' names
    np.savez(old, **{"model/0.W": np.ones(2), "epoch": np.array(3), "name": np.array("Adam")})
    assert minitorch.load(old)["model"]["0.W"].tolist() == [1.0, 1.0]
    assert minitorch.load(old)["epoch"] == 3 and minitorch.load(old)["name"] == "Adam"
    compressed = tmp_path / "compressed.npz"
    np.savez_compressed(compressed, W=np.zeros((100, 100)))
    np.testing.assert_array_equal(minitorch.load(compressed)["W"], np.zeros((100, 100)))
    (tmp_path / "weights.npz").write_bytes(old.read_bytes())  # saved as "weights" back then
    assert minitorch.load(tmp_path / "weights")["epoch"] == 3


# ====================================================================== what save refuses
@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        ({"f": lambda x: x}, TypeError, "only arrays, numbers, strings"),
        ({"x": None}, TypeError, "None"),
        ({"x": {"y": [1, [2, 3]]}}, TypeError, "'x/y' cannot be stored as an array"),
        ({"x": [0.5, "relu"]}, TypeError, "mixes strings and numbers"),
        ({"x": 2**70}, TypeError, "too large for 64 bits"),
        ({1: np.ones(2)}, TypeError, "keys must be strings, got 1 (int)"),
        ({"m": {("a",): 1}}, TypeError, "keys must be strings"),
        ([np.ones(2)], TypeError, "expects a dict"),
    ],
    ids=["object", "None", "ragged", "mixed list", "huge int", "int key", "tuple key", "list"],
)
def test_what_cannot_be_saved_without_pickle_is_refused(state, error, message, tmp_path):
    with pytest.raises(error, match=re.escape(message)):
        minitorch.save(state, tmp_path / "bad.npz")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("model.pt", "model.npz"),
        ("model.pth", "model.npz"),
        ("MODEL.PT", "MODEL.npz"),
        ("ckpt.pth.tar", "ckpt.npz"),
        ("v1.2.pt", "v1.2.npz"),
    ],
)
def test_pytorch_suffixes_are_refused_with_the_name_to_use(name, suggestion, tmp_path):
    with pytest.raises(ValueError, match=r"minitorch checkpoint is a NumPy \.npz") as info:
        minitorch.save({"W": np.ones(2)}, tmp_path / name)
    assert f"save it as '{tmp_path / suggestion}'" in str(info.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["model.npz", "model.pt.npz", "model.ckpt", "weights"])
def test_the_file_is_written_exactly_where_asked(name, tmp_path):
    path = minitorch.save({"W": np.ones(2)}, tmp_path / "sub" / name)
    assert path == tmp_path / "sub" / name
    assert [p.name for p in (tmp_path / "sub").iterdir()] == [name]
    np.testing.assert_array_equal(minitorch.load(path)["W"], np.ones(2))


# ====================================================================== permissions
@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_files_get_the_umask_permissions(umask, tmp_path):
    previous = os.umask(umask)
    try:
        path = minitorch.save({"W": np.ones(2)}, tmp_path / "ckpt.npz")
        (tmp_path / "plain.txt").write_text("a file like any other")
    finally:
        os.umask(previous)
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~umask)
    assert path.stat().st_mode & 0o777 == (tmp_path / "plain.txt").stat().st_mode & 0o777


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_replacing_a_file_keeps_its_permissions_and_a_symlink_stays_a_symlink(tmp_path):
    path = minitorch.save({"W": np.ones(2)}, tmp_path / "ckpt.npz")
    path.chmod(0o640)
    minitorch.save({"W": np.zeros(2)}, path)
    assert path.stat().st_mode & 0o777 == 0o640
    link = tmp_path / "latest.npz"
    link.symlink_to(path.name)
    minitorch.save({"W": np.full(2, 3.0)}, link)
    assert link.is_symlink() and minitorch.load(path)["W"].tolist() == [3.0, 3.0]


# ====================================================================== atomic writes
def _fail_mid_write(exception: BaseException) -> Callable:
    """A write_array that writes part of an array, then fails as a full disk would."""
    real = np.lib.format.write_array

    def write_array(stream, array, **kwargs):
        buffer = io.BytesIO()
        real(buffer, array, **kwargs)
        stream.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise exception

    return write_array


FAILURES = {
    "disk full": (OSError(errno.ENOSPC, "No space left on device"), OSError),
    "Ctrl-C": (KeyboardInterrupt(), KeyboardInterrupt),
    "out of memory": (MemoryError(), MemoryError),
}


@pytest.mark.parametrize(("failure", "raised"), list(FAILURES.values()), ids=list(FAILURES))
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    failure, raised, tmp_path, monkeypatch
):
    path = minitorch.save({"W": np.ones(3)}, tmp_path / "ckpt.npz")
    monkeypatch.setattr(np.lib.format, "write_array", _fail_mid_write(failure))
    with pytest.raises(raised):
        minitorch.save({"W": np.zeros(3)}, path)
    with pytest.raises(raised):
        minitorch.save({"W": np.zeros(3)}, tmp_path / "new.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    monkeypatch.undo()
    np.testing.assert_array_equal(minitorch.load(path)["W"], np.ones(3))


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failure_after_the_data_is_written_keeps_the_old_file(step, tmp_path, monkeypatch):
    path = minitorch.save({"W": np.ones(3)}, tmp_path / "ckpt.npz")

    def fail(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match="No space left"):
        minitorch.save({"W": np.zeros(3)}, path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]
    np.testing.assert_array_equal(minitorch.load(path)["W"], np.ones(3))


@pytest.mark.skipif(os.name != "posix", reason="kill -9 and process ids")
def test_a_process_killed_mid_save_leaves_the_old_file_and_the_next_save_tidies_up(tmp_path):
    path = minitorch.save({"W": np.ones(3)}, tmp_path / "ckpt.npz")
    child = textwrap.dedent(
        f"""
        import sys, time, numpy as np, minitorch
        real = np.lib.format.write_array
        def write_array(stream, array, **kwargs):
            real(stream, array, **kwargs)
            print("writing", flush=True)
            time.sleep(60)
        np.lib.format.write_array = write_array
        minitorch.save({{"W": np.zeros(3)}}, {str(path)!r})
        """
    )
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline() == "writing\n"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    (stale,) = temporaries(tmp_path)
    np.testing.assert_array_equal(minitorch.load(path)["W"], np.ones(3))  # the old file

    minitorch.save({"W": np.full(3, 2.0)}, path)  # too recent to be called stale yet
    assert temporaries(tmp_path) == [stale]
    old = time.time() - 2 * STALE_AFTER_SECONDS
    os.utime(tmp_path / stale, (old, old))
    minitorch.save({"W": np.full(3, 2.0)}, path)
    assert temporaries(tmp_path) == []
    np.testing.assert_array_equal(minitorch.load(path)["W"], np.full(3, 2.0))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


# (id, the name of the orphan beside the file saved: ckpt.npz), all of a process that is gone
ORPHANS = [
    ("same-file", ".ckpt.npz.{pid}-0123456789abcdef.tmp"),
    ("another-checkpoint", ".epoch-3.npz.{pid}-0123456789abcdef.tmp"),
    ("the-run-config", ".config.json.{pid}-fedcba9876543210.tmp"),
    ("a-dotted-name", ".run.v2.metrics.csv.{pid}-00000000000000ff.tmp"),
]


@pytest.mark.parametrize("name", [r[1] for r in ORPHANS], ids=[r[0] for r in ORPHANS])
def test_the_next_save_to_a_folder_removes_every_orphan_of_a_killed_process(name, tmp_path):
    orphan = tmp_path / name.format(pid=_dead_pid())
    orphan.write_bytes(b"x" * 1000)
    old = time.time() - 2 * STALE_AFTER_SECONDS
    os.utime(orphan, (old, old))
    minitorch.save({"W": np.ones(2)}, tmp_path / "ckpt.npz")
    assert not orphan.exists()
    assert temporaries(tmp_path) == []


def test_temporaries_of_running_processes_and_other_files_are_left_alone(tmp_path):
    old = time.time() - 2 * STALE_AFTER_SECONDS
    mine = tmp_path / f".ckpt.npz.{os.getpid()}-{'0' * 16}.tmp"  # a save in progress here
    other = tmp_path / ".ckpt.npz.backup.tmp"  # not a name minitorch makes
    for file in (mine, other):
        file.write_bytes(b"x")
        os.utime(file, (old, old))
    minitorch.save({"W": np.ones(2)}, tmp_path / "ckpt.npz")
    assert temporaries(tmp_path) == sorted([mine.name, other.name])


# ====================================================================== what load refuses
def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_with_header(header: str, data: bytes = b"", version: int = 1) -> bytes:
    """A .npy member with a hand-written header (which may lie)."""
    raw = header.encode("latin1")
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + data
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(raw)) + raw + data


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def checkpoint_bytes(tmp_path: Path, state: dict | None = None) -> bytes:
    state = state or {"model": {"0.W": np.arange(64.0), "0.b": np.zeros(4)}, "epoch": 3}
    return minitorch.save(state, tmp_path / "source.npz").read_bytes()


def patched(data: bytes, name: str, **fields: int) -> bytes:
    """``data`` with fields of member ``name`` changed in its local and central headers.

    Fields: ``compress_size``, ``file_size``, ``flag_bits``, ``header_offset`` (central only).
    """
    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
    local = info.header_offset
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    offsets = {
        "flag_bits": ((local + 6, central + 8), "<H"),
        "compress_size": ((local + 18, central + 20), "<I"),
        "file_size": ((local + 22, central + 24), "<I"),
        "header_offset": ((central + 42,), "<I"),
    }
    for field, value in fields.items():
        places, form = offsets[field]
        for place in places:
            struct.pack_into(form, data, place, value)
    return bytes(data)


def corrupt_last_data_byte(data: bytes, array: np.ndarray) -> bytes:
    at = data.index(array.tobytes()) + array.nbytes - 1
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def two_members_at_one_place(tmp_path: Path) -> bytes:
    data = zip_bytes({"a.npy": npy_bytes(np.ones(4)), "b.npy": npy_bytes(np.ones(4))})
    return patched(data, "b.npy", header_offset=0)


def honest_zip_bomb() -> bytes:
    """80 MiB of float64 zeros, deflated to about 80 KiB: no size in it lies."""
    count = 80 * 2**20 // 8
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("W.npy", "w", force_zip64=True) as stream,
    ):
        header = {"descr": "<f8", "fortran_order": False, "shape": (count,)}
        np.lib.format.write_array_header_1_0(stream, header)
        chunk = bytes(2**20)
        for _ in range(80):
            stream.write(chunk)
    return buffer.getvalue()


def torch_file(tmp_path: Path, legacy: bool) -> bytes:
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(2, 2)}, path, _use_new_zipfile_serialization=not legacy)
    return path.read_bytes()


def with_manifest(manifest: str | dict, members: dict[str, bytes]) -> bytes:
    import json

    text = manifest if isinstance(manifest, str) else json.dumps(manifest)
    return zip_bytes({MANIFEST: text.encode(), **members})


ONE = npy_bytes(np.ones(4))


def lying_npy(shape: str, data_bytes: int, descr: str = "<f8") -> bytes:
    """A .npy member whose header says ``shape`` but which holds ``data_bytes`` bytes."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    return npy_with_header(header, bytes(data_bytes))


def single(member: bytes, compression: int = zipfile.ZIP_STORED) -> bytes:
    """An archive holding one member, ``W.npy``."""
    return zip_bytes({"W.npy": member}, compression)


def manifest_of(entries: list, version: int = 2) -> dict:
    return {"format": "minitorch-state", "version": version, "entries": entries}


def lie_in_both_sizes(t: Path) -> bytes:
    """A deflated member whose .npy header and zip sizes agree, and both lie."""
    data = single(lying_npy("(104,)", 32), zipfile.ZIP_DEFLATED)
    return patched(data, "W.npy", file_size=len(lying_npy("(104,)", 832)))


def corrupted_compressed(t: Path) -> bytes:
    data = single(npy_bytes(np.arange(1000.0)), zipfile.ZIP_DEFLATED)
    return data[:60] + b"\xff\xff" + data[62:]


def truncated(fraction: float) -> Callable[[Path], bytes]:
    def make(t: Path) -> bytes:
        data = checkpoint_bytes(t)
        return data[: int(len(data) * fraction)]

    return make


CALLS_A_FUNCTION = "{'descr': __import__('os').system('echo hi'), 'fortran_order': 0, 'shape': ()}"
NO_SHAPE = "{'descr': '<f8', 'fortran_order': False}"
FOUR_GIB = 2**32 - 16

#: name -> (make the file's bytes from tmp_path, phrase the ValueError must contain)
DAMAGED: dict[str, tuple[Callable[[Path], bytes], str]] = {
    # ---- not an archive at all
    "empty file": (lambda t: b"", "is empty (0 bytes)"),
    "random bytes": (lambda t: np.random.default_rng(0).bytes(4096), "is not a checkpoint"),
    "a text file": (lambda t: b'{"model": "weights"}\n', "is not a checkpoint"),
    "a bare .npy": (lambda t: ONE, "is a single NumPy array (a .npy file"),
    "a pickle": (lambda t: pickle.dumps({"W": [1.0]}), "is a Python pickle"),
    "a legacy torch.save file": (lambda t: torch_file(t, legacy=True), "legacy format, a pickle"),
    "a gzip file": (lambda t: b"\x1f\x8b\x08\x00" + bytes(40), "gzip-compressed"),
    "an HDF5 file": (lambda t: b"\x89HDF\r\n\x1a\n" + bytes(40), "HDF5"),
    # ---- a zip, but not of arrays
    "a torch.save .pt file": (lambda t: torch_file(t, legacy=False), "is a PyTorch file"),
    "a torch-like zip of pickles": (
        lambda t: zip_bytes({"archive/data.pkl": b"\x80\x02}q\x00.", "archive/version": b"3"}),
        "is a PyTorch file",
    ),
    "a zip of documents": (
        lambda t: zip_bytes({"word/document.xml": b"<w/>", "docProps/app.xml": b"<a/>"}),
        "holds no NumPy arrays",
    ),
    "an archive with a stray file": (
        lambda t: zip_bytes({"W.npy": ONE, "notes.txt": b"hello"}),
        "'notes.txt' in it is not a NumPy array",
    ),
    "a member that is not a .npy": (
        lambda t: single(b"hello, this is not an array"),
        "'W.npy' is not a NumPy array",
    ),
    "an array of Python objects (pickle)": (
        lambda t: single(lying_npy("(1,)", 8, descr="|O")),
        "holds Python objects",
    ),
    # ---- truncated or corrupted
    "truncated to half": (truncated(0.5), "truncated"),
    "truncated by one byte": (lambda t: checkpoint_bytes(t)[:-1], "truncated"),
    "only the first bytes": (truncated(0.01), "truncated"),
    "a corrupted byte (CRC-32)": (
        lambda t: corrupt_last_data_byte(checkpoint_bytes(t), np.arange(64.0)),
        "CRC-32 checksum does not match",
    ),
    "a corrupted byte in a compressed member": (corrupted_compressed, "cannot be read"),
    "a table of contents that points elsewhere": (
        lambda t: checkpoint_bytes(t)[:-6] + struct.pack("<I", 7) + checkpoint_bytes(t)[-2:],
        "is truncated or damaged",
    ),
    # ---- sizes that lie
    "a .npy header claiming shape (10**12,)": (
        lambda t: single(lying_npy(f"({10**12},)", 80)),
        "declares an array of shape (1000000000000,)",
    ),
    "a .npy header claiming 2**62 x 2**62": (
        lambda t: single(lying_npy(f"({2**62}, {2**62})", 8)),
        "declares an array of shape",
    ),
    "a .npy header shorter than its data": (
        lambda t: single(lying_npy("(2,)", 80)),
        "(16 bytes), but holds 80 bytes",
    ),
    "a stored member claiming 4 GiB": (
        lambda t: patched(single(ONE), "W.npy", compress_size=FOUR_GIB, file_size=FOUR_GIB),
        "beyond the end of the file",
    ),
    "a compressed member claiming 4 GiB": (
        lambda t: patched(single(ONE, zipfile.ZIP_DEFLATED), "W.npy", file_size=FOUR_GIB),
        "possible zip bomb",
    ),
    "a compressed member claiming more than it holds": (
        lambda t: patched(single(ONE, zipfile.ZIP_DEFLATED), "W.npy", file_size=len(ONE) + 800),
        "(32 bytes), but holds 832 bytes",
    ),
    "a compressed member whose header and size tell the same lie": (
        lie_in_both_sizes,
        "'W.npy' cannot be read",
    ),
    "a zip bomb (80 MiB of zeros in 80 KiB)": (lambda t: honest_zip_bomb(), "possible zip bomb"),
    "two members at one place (overlap bomb)": (two_members_at_one_place, "overlap"),
    "a .npy header length beyond the member": (
        lambda t: single(b"\x93NUMPY\x01\x00\xff\xff{'descr'"),
        "declares a .npy header of 65,535 bytes",
    ),
    "a huge version-2 .npy header length": (
        lambda t: single(b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'"),
        "declares a .npy header",
    ),
    # ---- malformed headers
    "a .npy header that calls a function": (
        lambda t: single(npy_with_header(CALLS_A_FUNCTION, bytes(8))),
        "unreadable .npy header",
    ),
    "a .npy header with a negative shape": (
        lambda t: single(lying_npy("(-1,)", 0)),
        "impossible shape",
    ),
    "a .npy header with an unknown dtype": (
        lambda t: single(lying_npy("(1,)", 8, descr="nonsense")),
        "unknown dtype",
    ),
    "a .npy header missing its shape": (
        lambda t: single(npy_with_header(NO_SHAPE)),
        "without its fields",
    ),
    "a .npy of a future format version": (
        lambda t: single(ONE[:6] + b"\x09" + ONE[7:]),
        ".npy format version 9.0",
    ),
    # ---- zip features minitorch does not read
    "an encrypted member": (
        lambda t: patched(single(ONE), "W.npy", flag_bits=0x1),
        "is encrypted",
    ),
    "a bzip2 member": (lambda t: single(ONE, zipfile.ZIP_BZIP2), "compression method"),
    "two members of one name": (lambda t: duplicate_names(), "two members named 'W.npy'"),
    # ---- keys that do not make a tree
    "a key that is both a value and a dict": (
        lambda t: zip_bytes({"model.npy": ONE, "model/0.W.npy": ONE}),
        "'model' is both a value and a dict",
    ),
    "a manifest that is not JSON": (
        lambda t: with_manifest("{not json", {"W.npy": ONE}),
        "not valid JSON",
    ),
    "a manifest nested 100,000 deep": (
        lambda t: with_manifest("[" * 100_000, {"W.npy": ONE}),
        "not valid JSON",
    ),
    "a manifest of another kind": (
        lambda t: with_manifest({"format": "other"}, {"W.npy": ONE}),
        "not a minitorch key index",
    ),
    "a manifest naming a missing member": (
        lambda t: with_manifest(manifest_of([[["W"], "X.npy"]]), {"W.npy": ONE}),
        "names a member 'X.npy' it lacks",
    ),
    "a member missing from the manifest": (
        lambda t: with_manifest(manifest_of([]), {"W.npy": ONE}),
        "'W.npy' is missing from its minitorch.json",
    ),
    "a malformed manifest entry": (
        lambda t: with_manifest(manifest_of([[[1], "W.npy"]]), {"W.npy": ONE}),
        "malformed entry",
    ),
    "a manifest from a newer minitorch": (
        lambda t: with_manifest(manifest_of([], version=3), {}),
        "written by a newer minitorch",
    ),
}


def duplicate_names() -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate; that is the point
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("W.npy", ONE)
            archive.writestr("W.npy", ONE)
    return buffer.getvalue()


@pytest.mark.parametrize(("make", "phrase"), list(DAMAGED.values()), ids=list(DAMAGED))
def test_a_bad_file_gets_one_value_error_naming_it_and_the_problem(make, phrase, tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(make(tmp_path))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            minitorch.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = info.value
    assert isinstance(error, CheckpointFileError) and error.path == path
    message = str(error)
    assert message.startswith(f"minitorch.load: '{path}' ")
    assert phrase in message, message
    assert "\n" not in message
    assert error.__cause__ is None and error.__suppress_context__  # no zipfile traceback inside
    size = path.stat().st_size
    assert peak < 16 * 2**20, f"load allocated {peak:,} bytes for a {size:,}-byte file"


def test_every_damaged_file_kind_is_in_the_table():
    # One row per kind the issue names, so none is dropped by accident.
    kinds = [
        "empty file",
        "random bytes",
        "a bare .npy",
        "a torch.save .pt file",
        "a zip of documents",
        "truncated to half",
        "a corrupted byte (CRC-32)",
        "a .npy header claiming shape (10**12,)",
        "a zip bomb (80 MiB of zeros in 80 KiB)",
    ]
    assert set(kinds) <= set(DAMAGED)


def test_a_missing_file_or_a_folder_is_an_os_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.npz"):
        minitorch.load(tmp_path / "nowhere.npz")
    with pytest.raises(IsADirectoryError if os.name == "posix" else PermissionError):
        minitorch.load(tmp_path)


def test_pickle_is_never_used(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("pickle was used")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    state = {"model": {"0.W": np.ones((2, 2))}, "name": "Adam", "betas": [0.9, 0.99]}
    loaded = minitorch.load(minitorch.save(state, tmp_path / "ok.npz"))
    assert loaded["name"] == "Adam"
    evil = tmp_path / "evil.npz"
    np.savez(evil, x=np.array([{"a": 1}], dtype=object))  # a pickle inside a .npy
    with pytest.raises(ValueError, match="holds Python objects"):
        minitorch.load(evil)
