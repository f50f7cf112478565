"""Character-level text: the bundled Tiny Shakespeare, nanoGPT's split, vocabulary and batches."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest

import minitorch
from minitorch.datasets import CharDataset, CharVocab, TinyShakespeare
from minitorch.datasets.text import TINYSHAKESPEARE_FILE

N_CHARS = 1_115_394
N_TRAIN = 1_003_854  # int(N_CHARS * 0.9), nanoGPT's split
DATA_DIR = resources.files("minitorch.datasets") / "data"


@pytest.fixture(scope="module")
def train():
    return TinyShakespeare(train=True)


@pytest.fixture(scope="module")
def val():
    return TinyShakespeare(train=False)


@pytest.fixture(scope="module")
def raw_text():
    return (DATA_DIR / TINYSHAKESPEARE_FILE.filename).read_bytes().decode("utf-8")


# ---------------------------------------------------------------------- the file


def test_recorded_checksum_matches_file_and_readme():
    digest = hashlib.sha256((DATA_DIR / TINYSHAKESPEARE_FILE.filename).read_bytes()).hexdigest()
    assert digest == TINYSHAKESPEARE_FILE.sha256
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert TINYSHAKESPEARE_FILE.sha256 in readme and TINYSHAKESPEARE_FILE.filename in readme


def test_a_modified_copy_is_refused_with_both_checksums(tmp_path, raw_text):
    copy = tmp_path / "tinyshakespeare.txt"
    copy.write_text(raw_text.replace("ROMEO", "ROMEA", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"corrupt: its SHA-256 is [0-9a-f]{64}, expected 86c4e6"):
        TinyShakespeare(path=copy)
    copy.write_bytes(raw_text.encode("utf-8")[:-10])  # truncated
    with pytest.raises(ValueError, match="corrupt"):
        TinyShakespeare(path=copy)


def test_an_intact_copy_loads_like_the_bundled_file(tmp_path, raw_text, val):
    copy = tmp_path / "copy.txt"
    copy.write_bytes(raw_text.encode("utf-8"))
    np.testing.assert_array_equal(TinyShakespeare(train=False, path=copy).data, val.data)


def test_a_missing_copy_says_how_to_use_the_bundled_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="leave path=None"):
        TinyShakespeare(path=tmp_path / "nowhere.txt")


# ---------------------------------------------------------------------- nanoGPT's preparation


def test_split_sizes_and_order_are_nanogpts(train, val, raw_text):
    assert len(train) == N_TRAIN and len(val) == N_CHARS - N_TRAIN == 111_540
    # nanoGPT: train_data = data[:int(n*0.9)], val_data = data[int(n*0.9):], nothing shuffled
    assert train.text == raw_text[:N_TRAIN]
    assert val.text == raw_text[N_TRAIN:]
    assert train.data.dtype == np.int64 and not train.data.flags.writeable


def test_vocabulary_is_the_sorted_characters_of_the_whole_text(train, val, raw_text):
    chars = sorted(set(raw_text))  # nanoGPT's prepare.py
    assert train.vocab == val.vocab and train.vocab_size == len(chars) == 65
    assert train.vocab.chars == "".join(chars)
    assert train.vocab.stoi == {c: i for i, c in enumerate(chars)}
    assert train.vocab.itos == dict(enumerate(chars))
    assert train.vocab.chars[0] == "\n" and train.vocab.chars[-1] == "z"


def test_encode_decode_round_trip(train, raw_text):
    vocab = train.vocab
    ids = vocab.encode(raw_text[:1000])
    assert ids.dtype == np.int64 and ids.shape == (1000,)
    assert ids.tolist() == [vocab.stoi[c] for c in raw_text[:1000]]
    assert vocab.decode(ids) == raw_text[:1000]
    assert vocab.decode(ids.tolist()) == raw_text[:1000]  # a list works too
    assert vocab.decode(np.int64(vocab.stoi["A"])) == "A"  # one id
    assert vocab.encode("").shape == (0,) and vocab.decode([]) == ""
    np.testing.assert_array_equal(train.data[:1000], ids)


def test_vocabulary_of_any_text_and_non_ascii_characters():
    vocab = CharVocab.from_text("naïve café ✓")
    assert vocab.chars == " acefnv\u00e9\u00ef\u2713"  # sorted by code point
    assert vocab.decode(vocab.encode("café ✓")) == "café ✓"
    assert len(vocab) == len(set("naïve café ✓")) and "é" in vocab and "x" not in vocab
    assert repr(vocab).startswith("CharVocab(10 characters")
    assert CharVocab("ba").encode("ab").tolist() == [1, 0]  # the order given is the id order


# ---------------------------------------------------------------------- batches


def test_get_batch_shapes_dtypes_and_shift(train):
    minitorch.manual_seed(0)
    x, y = train.get_batch(batch_size=12, block_size=64)
    assert x.shape == y.shape == (12, 64) and x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # y is x shifted by one
    # every row is a window of the split: find it again from its first 64 + 1 characters
    text = train.text
    for row_x, row_y in zip(x, y, strict=True):
        window = train.vocab.decode(row_x) + train.vocab.decode(row_y[-1:])
        assert window in text


def test_get_batch_draws_nanogpts_starts_from_the_global_generator(train):
    batch_size, block_size = 8, 16
    minitorch.manual_seed(123)
    x, y = train.get_batch(batch_size, block_size)
    # the same draw, written as nanoGPT writes it (torch.randint(len(data) - block_size, (B,)))
    starts = np.random.default_rng(123).integers(0, len(train) - block_size, size=batch_size)
    expected_x = np.stack([train.data[i : i + block_size] for i in starts])
    expected_y = np.stack([train.data[i + 1 : i + 1 + block_size] for i in starts])
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)


def test_get_batch_is_reproducible_with_manual_seed_and_varies_without(train):
    minitorch.manual_seed(7)
    first = train.get_batch(4, 32)
    second = train.get_batch(4, 32)
    minitorch.manual_seed(7)
    again = train.get_batch(4, 32)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], second[0])
    own = train.get_batch(4, 32, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(own[0], first[0])


def test_starts_cover_the_whole_range_including_the_last_window():
    # a 6-character text split 0.5 gives 3 training characters: with block_size 2 the only
    # window starts at 0 (x = "ab", y = "bc"); with block_size 1 the starts are 0 and 1
    data = CharDataset("abcdef", train_fraction=0.5)
    x, y = data.get_batch(50, 2)
    assert set(map(data.vocab.decode, x)) == {"ab"} and set(map(data.vocab.decode, y)) == {"bc"}
    x, _ = data.get_batch(200, 1, generator=np.random.default_rng(0))
    assert set(x[:, 0].tolist()) == {0, 1}  # never start 2: it has no next character


def test_eval_batches_are_fixed_and_leave_the_global_generator_alone(val):
    minitorch.manual_seed(0)
    expected_next = minitorch.generator().integers(0, 1 << 30)
    minitorch.manual_seed(0)
    batches = val.eval_batches(n_batches=5, batch_size=3, block_size=10)
    assert minitorch.generator().integers(0, 1 << 30) == expected_next
    assert len(batches) == 5
    for x, y in batches:
        assert x.shape == y.shape == (3, 10) and x.dtype == np.int64
        np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    for (x1, y1), (x2, y2) in zip(batches, val.eval_batches(5, 3, 10), strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    other = val.eval_batches(5, 3, 10, seed=1)
    assert not np.array_equal(other[0][0], batches[0][0])


# ---------------------------------------------------------------------- any text, from a file


def test_char_dataset_from_file_checks_the_checksum(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("To be, or not to be, that is the question.\n" * 10, encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    train = CharDataset.from_file(path, sha256=digest)
    val = CharDataset.from_file(path, train=False, sha256=digest.upper())
    assert len(train) == int(430 * 0.9) and len(train) + len(val) == 430
    assert train.vocab == val.vocab and "poem.txt" in repr(train)
    with pytest.raises(ValueError, match="corrupt"):
        CharDataset.from_file(path, sha256="0" * 64)


def test_a_shared_vocabulary_encodes_another_text(train):
    other = CharDataset("ROMEO:\nAy me!\n", vocab=train.vocab)
    assert other.vocab_size == 65
    assert train.vocab.decode(other.data) == "ROMEO:\nAy me!\n"[: int(14 * 0.9)]


# ---------------------------------------------------------------------- bad arguments


def test_unknown_characters_are_named_with_their_position(train):
    with pytest.raises(ValueError, match=r"'é' \(U\+00E9\) at position 3 is not in the vocab"):
        train.vocab.encode("caf\u00e9 and \u00e9")
    with pytest.raises(ValueError, match="'€'"):
        train.vocab.encode("a €")  # a code point beyond every vocabulary character
    with pytest.raises(ValueError, match="not in the vocabulary"):
        CharDataset("abc d", vocab=CharVocab("abc"))


@pytest.mark.parametrize(
    ("ids", "error", "match"),
    [
        ([0, 65], ValueError, "id 65 at position 1 is outside the vocabulary's ids 0..64"),
        ([-1], ValueError, "id -1"),
        ([[1, 2], [3, 4]], ValueError, r"1-D.*vocab.decode\(ids\[0\]\)"),
        ([1.0, 2.0], TypeError, "integers"),
        ("abc", TypeError, "encode reads text"),
    ],
)
def test_decode_refuses_bad_ids(train, ids, error, match):
    with pytest.raises(error, match=match):
        train.vocab.decode(ids)


def test_encode_and_vocabulary_refuse_bad_input(train):
    with pytest.raises(TypeError, match="must be a str"):
        train.vocab.encode([1, 2])
    with pytest.raises(ValueError, match="'a' appears twice"):
        CharVocab("abca")
    with pytest.raises(ValueError, match="at least one character"):
        CharVocab("")
    with pytest.raises(TypeError, match="single character"):
        CharVocab(["ab", "c"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0, "block_size": 8}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 2.0, "block_size": 8}, TypeError, "batch_size must be an int"),
        ({"batch_size": True, "block_size": 8}, TypeError, "batch_size must be an int"),
        ({"batch_size": 2, "block_size": 0}, ValueError, "block_size must be >= 1"),
        ({"batch_size": 2, "block_size": 111_540}, ValueError, "leaves no window"),
        ({"batch_size": 2, "block_size": 8, "generator": 0}, TypeError, "numpy.random.Gen"),
    ],
)
def test_get_batch_refuses_bad_arguments(val, kwargs, error, match):
    with pytest.raises(error, match=match):
        val.get_batch(**kwargs)


def test_eval_batches_and_constructors_refuse_bad_arguments(val):
    with pytest.raises(ValueError, match="n_batches must be >= 1"):
        val.eval_batches(0, 2, 8)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        val.eval_batches(1, 2, 8, seed=-1)
    with pytest.raises(TypeError, match="train must be True or False"):
        TinyShakespeare(train="val")
    with pytest.raises(ValueError, match=r"train_fraction must be in \(0, 1\)"):
        CharDataset("abcdef", train_fraction=1.0)
    with pytest.raises(ValueError, match="needs at least 2"):
        CharDataset("abcdef", train=False, train_fraction=0.9)
    with pytest.raises(TypeError, match="text must be a str"):
        CharDataset(b"bytes")
