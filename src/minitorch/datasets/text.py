"""Character-level text for language models: a vocabulary, nanoGPT's split and its batches.

:class:`TinyShakespeare` is the text that char-rnn and nanoGPT's ``shakespeare_char`` train on,
shipped inside minitorch (``data/tinyshakespeare.txt``, checked against its SHA-256 when read).
It is prepared exactly as nanoGPT's ``data/shakespeare_char/prepare.py`` prepares it, so losses
compare with theirs:

- the vocabulary is the sorted set of characters of the *whole* text (65 of them), character
  ``i`` of that sorted list has id ``i``;
- the first 90% of the characters are the training split, the last 10% the validation split
  (``int(n * 0.9)`` characters go to training; nothing is shuffled);
- a batch is ``batch_size`` windows of ``block_size + 1`` consecutive characters, each starting
  at a position drawn uniformly from ``[0, len(data) - block_size)``; ``x`` is a window's first
  ``block_size`` ids and ``y`` the same window shifted by one, so ``y[b, t]`` is the character
  that follows ``x[b, :t + 1]`` (nanoGPT's ``get_batch``).

Any other text works the same way through :class:`CharDataset` (``CharDataset(text)`` or
``CharDataset.from_file(path, sha256=...)``)::

    import minitorch
    from minitorch.datasets import TinyShakespeare

    minitorch.manual_seed(0)
    train, val = TinyShakespeare(train=True), TinyShakespeare(train=False)
    x, y = train.get_batch(batch_size=12, block_size=64)    # (12, 64) int64 each
    print(train.vocab.decode(x[0]))
    fixed = val.eval_batches(n_batches=200, batch_size=12, block_size=64)  # same every call
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import _state
from .._validation import check_flag, check_float, check_int
from ._bundled import _read_bytes

__all__ = ["TINYSHAKESPEARE_FILE", "CharDataset", "CharVocab", "TextFile", "TinyShakespeare"]

#: nanoGPT's share of the characters that go to the training split.
TRAIN_FRACTION = 0.9


# ----------------------------------------------------------------------------------------------
# The vocabulary
# ----------------------------------------------------------------------------------------------


class CharVocab:
    """A fixed list of characters; character ``chars[i]`` has the id ``i``.

    ``CharVocab.from_text(text)`` builds nanoGPT's vocabulary: the sorted set of the text's
    characters. Encoding and decoding go through lookup tables indexed by Unicode code point,
    so a whole book is encoded with a few NumPy operations, not a Python loop.

    Parameters
    ----------
    chars : str or iterable of str
        The characters, each exactly once, in id order.

    Attributes
    ----------
    chars : str
        All characters in id order (``len(vocab)`` of them).
    stoi : dict of str to int
        Character -> id, as nanoGPT names it.
    itos : dict of int to str
        Id -> character.

    Examples
    --------
    >>> vocab = CharVocab.from_text("hello world")
    >>> len(vocab), vocab.chars
    (8, ' dehlorw')
    >>> vocab.encode("hold")
    array([3, 5, 4, 2])
    >>> vocab.decode([3, 2, 4, 4, 5])
    'hello'
    """

    def __init__(self, chars: str | Iterable[str]) -> None:
        owner = type(self).__name__
        if isinstance(chars, str):
            items = list(chars)
        else:
            try:
                items = list(chars)
            except TypeError:
                raise TypeError(
                    f"{owner}: chars must be a string or an iterable of single characters, got "
                    f"{type(chars).__name__}"
                ) from None
            for item in items:
                if not isinstance(item, str) or len(item) != 1:
                    raise TypeError(
                        f"{owner}: every entry of chars must be a single character, got {item!r}"
                    )
        if not items:
            raise ValueError(f"{owner}: the vocabulary needs at least one character")
        if len(set(items)) != len(items):
            seen: set[str] = set()
            repeated = next(c for c in items if c in seen or seen.add(c))
            raise ValueError(f"{owner}: character {repeated!r} appears twice in chars")
        self.chars = "".join(items)
        self.stoi = {c: i for i, c in enumerate(items)}
        self.itos = dict(enumerate(items))
        # Code point of each id, and id of each code point (-1: not in the vocabulary).
        self._codes = np.array([ord(c) for c in items], dtype=np.uint32)
        self._ids = np.full(int(self._codes.max()) + 1, -1, dtype=np.int64)
        self._ids[self._codes] = np.arange(len(items))

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        """The sorted set of ``text``'s characters (nanoGPT's ``sorted(list(set(data)))``)."""
        if not isinstance(text, str):
            raise TypeError(
                f"{cls.__name__}.from_text: text must be a str, got {type(text).__name__}"
            )
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, char: object) -> bool:
        return isinstance(char, str) and char in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocab) and self.chars == other.chars

    def __hash__(self) -> int:
        return hash(self.chars)

    def __repr__(self) -> str:
        shown = self.chars if len(self.chars) <= 40 else self.chars[:37] + "..."
        return f"CharVocab({len(self)} characters: {shown!r})"

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters, as an int64 array of shape ``(len(text),)``.

        Raises
        ------
        TypeError
            If ``text`` is not a ``str``.
        ValueError
            If a character is not in the vocabulary; the message names the first such
            character and its position.
        """
        if not isinstance(text, str):
            raise TypeError(
                f"CharVocab.encode: text must be a str, got {type(text).__name__}; "
                "decode turns ids back into text"
            )
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        inside = codes < len(self._ids)
        ids = np.full(len(codes), -1, dtype=np.int64)
        ids[inside] = self._ids[codes[inside]]
        unknown = np.flatnonzero(ids < 0)
        if unknown.size:
            position = int(unknown[0])
            char = text[position]
            raise ValueError(
                f"CharVocab.encode: character {char!r} (U+{ord(char):04X}) at position "
                f"{position} is not in the vocabulary of {len(self)} characters "
                f"({unknown.size} unknown character(s) in all); a model can only read the "
                "characters it was trained on"
            )
        return ids

    def decode(self, ids: Any) -> str:
        """The text whose characters have the ids ``ids`` (a 1-D sequence of ints, or one int).

        Raises
        ------
        TypeError
            If ``ids`` are not integers.
        ValueError
            If ``ids`` is not 1-D, or an id is outside ``0 .. len(vocab) - 1``.
        """
        if isinstance(ids, str):
            raise TypeError("CharVocab.decode: ids must be integers, got a str; encode reads text")
        array = np.asarray(ids)
        if array.dtype.kind not in "iu" and not (array.dtype.kind == "f" and array.size == 0):
            raise TypeError(
                f"CharVocab.decode: ids must be integers, got an array of dtype {array.dtype}"
            )
        if array.ndim == 0:
            array = array.reshape(1)
        if array.ndim != 1:
            raise ValueError(
                f"CharVocab.decode: ids must be one sequence (1-D), got shape {array.shape}; "
                "decode one row at a time, e.g. vocab.decode(ids[0])"
            )
        if array.size == 0:
            return ""
        bad = (array < 0) | (array >= len(self))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"CharVocab.decode: id {int(array[first])} at position {first} is outside the "
                f"vocabulary's ids 0..{len(self) - 1}"
            )
        return self._codes[array].tobytes().decode("utf-32-le")


# ----------------------------------------------------------------------------------------------
# A text split like nanoGPT's, and its batches
# ----------------------------------------------------------------------------------------------


class CharDataset:
    """One split of a character-level text, with nanoGPT's batches.

    The first ``int(len(text) * train_fraction)`` characters are the training split, the rest
    the validation split, in order. Both splits share one vocabulary, by default the sorted
    characters of the whole text.

    Parameters
    ----------
    text : str
        The whole text (both splits).
    train : bool
        ``True`` for the training split (the first 90%), ``False`` for the validation split
        (the last 10%).
    train_fraction : float
        Share of the characters in the training split, strictly between 0 and 1 (default 0.9,
        as nanoGPT).
    vocab : CharVocab, optional
        The vocabulary to encode with (it must contain every character of ``text``); by default
        ``CharVocab.from_text(text)``.
    name : str, optional
        Shown by ``repr``.

    Attributes
    ----------
    data : ndarray of int64, shape (n_characters,)
        The split's character ids, read-only.
    vocab : CharVocab
        ``len(vocab)`` is the ``vocab_size`` of a model.
    vocab_size : int
        ``len(vocab)``.
    train : bool
        Which split this is.
    train_fraction : float
        As given.

    Notes
    -----
    ``len(dataset)`` is the number of characters in the split. This is not a map-style
    :class:`~minitorch.utils.data.Dataset` of samples: a language model trains on random
    windows, drawn by :meth:`get_batch`, and is measured on the fixed windows of
    :meth:`eval_batches`.
    """

    def __init__(
        self,
        text: str,
        train: bool = True,
        *,
        train_fraction: float = TRAIN_FRACTION,
        vocab: CharVocab | None = None,
        name: str | None = None,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(text, str):
            raise TypeError(f"{owner}: text must be a str, got {type(text).__name__}")
        train = check_flag(owner, "train", train)
        train_fraction = check_float(
            owner,
            "train_fraction",
            train_fraction,
            0.0,
            1.0,
            low_inclusive=False,
            high_inclusive=False,
        )
        if vocab is None:
            vocab = CharVocab.from_text(text)
        elif not isinstance(vocab, CharVocab):
            raise TypeError(f"{owner}: vocab must be a CharVocab, got {type(vocab).__name__}")
        encoded = vocab.encode(text)
        self._init_split(encoded, vocab, train, train_fraction, name)

    def _init_split(
        self,
        encoded: np.ndarray,
        vocab: CharVocab,
        train: bool,
        train_fraction: float,
        name: str | None,
    ) -> None:
        """Keep the split's part of the whole text's ids ``encoded`` (a read-only view)."""
        owner = type(self).__name__
        n_train = int(len(encoded) * train_fraction)  # nanoGPT: data[:int(n * 0.9)]
        data = encoded[:n_train] if train else encoded[n_train:]
        if len(data) < 2:
            raise ValueError(
                f"{owner}: the {'training' if train else 'validation'} split has "
                f"{len(data)} character(s); it needs at least 2 (one input and its next "
                f"character). The text has {len(encoded)} characters"
            )
        data = data.view()
        data.flags.writeable = False
        self.data = data
        self.vocab = vocab
        self.train = train
        self.train_fraction = train_fraction
        self.name = name if name is not None else owner

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike,
        train: bool = True,
        *,
        sha256: str | None = None,
        encoding: str = "utf-8",
        train_fraction: float = TRAIN_FRACTION,
        vocab: CharVocab | None = None,
    ) -> CharDataset:
        """Read a text file, checking its SHA-256 first when ``sha256`` is given.

        For example the other Shakespeare text of the course's data folder (the tragedies and
        Roman plays, 1,234,515 characters, 62 distinct)::

            CharDataset.from_file("shakespeare.txt", sha256="3653171b40805087a57185b0"
                                  "704258eb6a063526f7dedc83f13372fc9ab25f88")
        """
        file_path = Path(path)
        raw = file_path.read_bytes()
        if sha256 is not None:
            if not isinstance(sha256, str):
                raise TypeError(
                    f"{cls.__name__}.from_file: sha256 must be the file's SHA-256 as a hex "
                    f"string, got {type(sha256).__name__}"
                )
            _check_digest(raw, sha256, f"the text file {file_path}", "copy it again")
        return cls(
            _decoded(raw, encoding, file_path),
            train,
            train_fraction=train_fraction,
            vocab=vocab,
            name=f"{file_path.name} ({'train' if train else 'val'})",
        )

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters: the size of a model's embedding and output layers."""
        return len(self.vocab)

    @property
    def text(self) -> str:
        """The split's text (decoded from :attr:`data`)."""
        return self.vocab.decode(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        split = "train" if self.train else "val"
        return (
            f"Dataset {self.name}\n    Split: {split} "
            f"(train_fraction={self.train_fraction}, in order)\n"
            f"    Characters: {len(self):,}\n    Vocabulary: {self.vocab_size} characters"
        )

    def _check_window(self, batch_size: Any, block_size: Any, where: str) -> tuple[int, int]:
        batch_size = check_int(where, "batch_size", batch_size, 1)
        block_size = check_int(where, "block_size", block_size, 1)
        if block_size >= len(self.data):
            raise ValueError(
                f"{where}: block_size={block_size} leaves no window: the split has "
                f"{len(self.data):,} characters and a window needs block_size + 1 of them"
            )
        return batch_size, block_size

    def _windows(self, starts: np.ndarray, block_size: int) -> tuple[np.ndarray, np.ndarray]:
        """``x = data[s : s + T]`` and ``y = data[s + 1 : s + 1 + T]`` for every start ``s``."""
        offsets = starts[..., None] + np.arange(block_size)  # (..., T)
        return self.data[offsets], self.data[offsets + 1]

    def get_batch(
        self,
        batch_size: int,
        block_size: int,
        *,
        generator: np.random.Generator | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``batch_size`` random windows of ``block_size`` characters and their next characters.

        Exactly nanoGPT's ``get_batch``: start positions ``s`` uniform in
        ``[0, len(data) - block_size)``, ``x[b] = data[s_b : s_b + T]``,
        ``y[b] = data[s_b + 1 : s_b + T + 1]``.

        Parameters
        ----------
        batch_size : int
            Number of windows ``B``.
        block_size : int
            Characters per window ``T`` (the model's context length), less than ``len(self)``.
        generator : numpy.random.Generator, optional
            Draw the starts from this generator instead of minitorch's global one (which
            :func:`minitorch.manual_seed` seeds).

        Returns
        -------
        x, y : ndarray of int64, shape (B, T)
            Inputs and targets: ``y[:, :-1] == x[:, 1:]``.
        """
        where = f"{type(self).__name__}.get_batch"
        batch_size, block_size = self._check_window(batch_size, block_size, where)
        if generator is None:
            generator = _state.generator()
        elif not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"{where}: generator must be a numpy.random.Generator, got "
                f"{type(generator).__name__}"
            )
        starts = generator.integers(0, len(self.data) - block_size, size=batch_size)
        return self._windows(starts, block_size)

    def eval_batches(
        self, n_batches: int, batch_size: int, block_size: int, seed: int = 0
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """A fixed list of batches, the same on every call, for a stable loss estimate.

        The starts are drawn as in :meth:`get_batch` but from a generator of their own seeded
        with ``seed``, so the global generator is left untouched and every evaluation (of any
        model, in any run) averages over exactly the same windows.

        Parameters
        ----------
        n_batches, batch_size, block_size : int
            ``n_batches`` batches of ``(batch_size, block_size)`` windows.
        seed : int
            Which fixed set of windows (default 0).

        Returns
        -------
        list of (x, y)
            ``n_batches`` pairs of int64 arrays of shape ``(batch_size, block_size)``.
        """
        where = f"{type(self).__name__}.eval_batches"
        n_batches = check_int(where, "n_batches", n_batches, 1)
        batch_size, block_size = self._check_window(batch_size, block_size, where)
        seed = check_int(where, "seed", seed, 0)
        rng = np.random.default_rng(seed)
        starts = rng.integers(0, len(self.data) - block_size, size=(n_batches, batch_size))
        x, y = self._windows(starts, block_size)  # (n_batches, B, T) each
        return list(zip(x, y, strict=True))


# ----------------------------------------------------------------------------------------------
# The bundled text
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextFile:
    """What one bundled text file must contain (its SHA-256, characters and vocabulary size)."""

    filename: str
    sha256: str
    n_characters: int
    vocab_size: int


TINYSHAKESPEARE_FILE = TextFile(
    filename="tinyshakespeare.txt",
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    n_characters=1_115_394,
    vocab_size=65,
)

# The verified ids and vocabulary of each bundled text, read once per process (read-only).
_cache: dict[str, tuple[np.ndarray, CharVocab]] = {}


_RESTORE_BUNDLED = (
    "reinstall mini-torch, or copy it again from the source listed in "
    "minitorch/datasets/data/README.md"
)


def _decoded(raw: bytes, encoding: str, path: Path) -> str:
    """``raw`` decoded; a file in another encoding (or an unknown encoding's name) is a
    ``ValueError`` naming the file, where decoding failed and the fix."""
    try:
        return raw.decode(encoding)
    except LookupError:
        raise ValueError(
            f"minitorch.datasets: unknown encoding {encoding!r} for the text file {path}; "
            "give a Python codec's name, e.g. encoding='utf-8' or 'latin-1'"
        ) from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"minitorch.datasets: the text file {path} is not {encoding} text: byte "
            f"0x{raw[error.start]:02X} at position {error.start:,} ({error.reason}); pass the "
            "file's encoding, e.g. CharDataset.from_file(path, encoding='latin-1'), or "
            "convert it to UTF-8"
        ) from None


def _check_digest(raw: bytes, expected: str, where: str, restore: str) -> None:
    """Raise ``ValueError`` unless ``raw`` has the SHA-256 ``expected`` (hex)."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expected.strip().lower():
        raise ValueError(
            f"minitorch.datasets: {where} is corrupt: its SHA-256 is {digest}, expected "
            f"{expected}. The file was truncated or modified; restore it ({restore})"
        )


def _load_text(spec: TextFile, path: str | os.PathLike | None) -> tuple[np.ndarray, CharVocab]:
    """Ids of the whole verified text and its vocabulary; cached when read from the package."""
    if path is None and spec.filename in _cache:
        return _cache[spec.filename]
    raw, where = _read_bytes(spec, path)
    _check_digest(raw, spec.sha256, where, _RESTORE_BUNDLED)
    text = raw.decode("utf-8")
    vocab = CharVocab.from_text(text)
    if len(text) != spec.n_characters or len(vocab) != spec.vocab_size:  # pragma: no cover
        raise ValueError(
            f"minitorch.datasets: {where} has {len(text)} characters ({len(vocab)} distinct), "
            f"expected {spec.n_characters} ({spec.vocab_size})"
        )
    encoded = vocab.encode(text)
    encoded.flags.writeable = False
    if path is None:
        _cache[spec.filename] = (encoded, vocab)
    return encoded, vocab


class TinyShakespeare(CharDataset):
    """Tiny Shakespeare, the 1,115,394-character text of char-rnn and nanoGPT, split as nanoGPT.

    Parameters
    ----------
    train : bool
        ``True`` for the first 90% (1,003,854 characters), ``False`` for the validation split,
        the last 10% (111,540 characters).
    path : str or path-like, optional
        Read this copy of ``tinyshakespeare.txt`` instead of the bundled one. It must be
        byte-for-byte the same file (its SHA-256 is checked).

    Attributes
    ----------
    data : ndarray of int64
        The split's character ids (read-only).
    vocab : CharVocab
        The 65 characters of the whole text, sorted: ``'\\n'``, ``' '``, ``'!'``, ... ``'z'``.

    Raises
    ------
    ValueError
        If the file's SHA-256 differs from the recorded one.

    Notes
    -----
    Compiled by Andrej Karpathy for char-rnn (2015) from Shakespeare's plays, which are in the
    public domain. See ``minitorch/datasets/data/README.md``.

    Examples
    --------
    >>> train = TinyShakespeare()
    >>> len(train), train.vocab_size
    (1003854, 65)
    >>> x, y = train.get_batch(batch_size=4, block_size=8)    # (4, 8) int64 each
    """

    file = TINYSHAKESPEARE_FILE

    def __init__(self, train: bool = True, *, path: str | os.PathLike | None = None) -> None:
        train = check_flag(type(self).__name__, "train", train)
        encoded, vocab = _load_text(self.file, path)
        split = "train" if train else "val"
        self._init_split(encoded, vocab, train, TRAIN_FRACTION, f"TinyShakespeare ({split})")
