"""The kinds of rule a setting follows, and the one way a value is checked against its rule.

:class:`Integer` with a minimum, :class:`Number` within bounds, :class:`Choice` of names, and so
on: :meth:`Rule.describe` says what a value must be, :meth:`Rule.accepts` checks it, and
:meth:`Rule.option_type` parses a command-line option with the same rule, so ``--lr -1`` and a
hand-edited ``"lr": -1`` in ``config.json`` are refused in the same words.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from ._common import CLIError


# ---------------------------------------------------------------------- rules
class Rule:
    """What one setting must be: :meth:`describe` says it, :meth:`accepts` checks a value."""

    def describe(self) -> str:
        raise NotImplementedError

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def from_text(self, text: str) -> Any:
        """The value of a command-line option's text (ValueError saying why not)."""
        raise NotImplementedError

    def option_type(self) -> Callable[[str], Any]:
        """An argparse ``type=`` that parses and checks an option with this rule."""

        def parse(text: str) -> Any:
            try:
                value = self.from_text(text)
            except ValueError as error:
                raise argparse.ArgumentTypeError(str(error)) from None
            if not self.accepts(value):
                raise argparse.ArgumentTypeError(f"must be {self.describe()}, got {text}")
            return value

        parse.__name__ = type(self).__name__.lower()
        return parse


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Integer(Rule):
    """A whole number (not a bool, not 5.0), at least ``minimum``."""

    minimum: int | None = None

    def describe(self) -> str:
        if self.minimum is None:
            return "a whole number"
        if self.minimum == 1:
            return "a positive whole number"
        return f"a whole number, {self.minimum} or more"

    def accepts(self, value: Any) -> bool:
        return _is_int(value) and (self.minimum is None or value >= self.minimum)

    def from_text(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None


@dataclass(frozen=True)
class Number(Rule):
    """A real number (an int or a float, not a bool) within bounds; finite unless said."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    example: str | None = None
    finite: bool = True

    def describe(self) -> str:
        if self.low == 0 and self.high is None:
            text = "a positive number" if self.low_open else "a number, 0 or more"
        elif self.low is not None and self.high is not None:
            above = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
            below = f"below {self.high:g}" if self.high_open else f"at most {self.high:g}"
            text = f"a number {above} and {below}"
        else:
            text = "a number"
        if not self.finite:
            text += " (or NaN)"
        return f"{text} (e.g. {self.example})" if self.example else text

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value):
            return not self.finite
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def from_text(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if self.finite and not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {text!r}")
        return value


@dataclass(frozen=True)
class Choice(Rule):
    """One of a few names."""

    options: tuple[str, ...]

    def describe(self) -> str:
        return "one of " + ", ".join(repr(option) for option in self.options)

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options


@dataclass(frozen=True)
class Text(Rule):
    def describe(self) -> str:
        return "a string"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def from_text(self, text: str) -> str:
        return text


@dataclass(frozen=True)
class Exactly(Rule):
    value: Any

    def describe(self) -> str:
        return json.dumps(self.value)

    def accepts(self, value: Any) -> bool:
        return type(value) is type(self.value) and value == self.value


@dataclass(frozen=True)
class Null(Rule):
    why: str

    def describe(self) -> str:
        return f"null ({self.why})"

    def accepts(self, value: Any) -> bool:
        return value is None


@dataclass(frozen=True)
class Flag(Rule):
    """``true`` or ``false``."""

    def describe(self) -> str:
        return "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class ListOf(Rule):
    item: Rule
    plural: str
    length: int | None = None

    def describe(self) -> str:
        count = "" if self.length is None else f"{self.length} "
        return f"a list of {count}{self.plural}"

    def accepts(self, value: Any) -> bool:
        return (
            isinstance(value, list)
            and (self.length is None or len(value) == self.length)
            and all(self.item.accepts(item) for item in value)
        )


@dataclass(frozen=True)
class JSONText(Rule):
    """A string holding a JSON object (the random generators' states)."""

    def describe(self) -> str:
        return "a string holding a JSON object"

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return isinstance(json.loads(value), dict)
        except (ValueError, RecursionError):
            return False


@dataclass(frozen=True)
class Table(Rule):
    """A dict with string keys (a state dict, the metric history) whose values ``accepts``."""

    values: str = "arrays and numbers"
    dicts_inside: bool = False

    def describe(self) -> str:
        return f"a dict of {self.values}"

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        return all(
            isinstance(key, str)
            and (
                isinstance(item, (np.ndarray, int, float, str))
                or (self.dicts_inside and isinstance(item, dict))
            )
            for key, item in value.items()
        )


# ---------------------------------------------------------------------- the settings
POSITIVE_INT = Integer(1)
NON_NEGATIVE_INT = Integer(0)
CLASS_COUNT = Integer(2)
POSITIVE_NUMBER = Number(low=0, low_open=True, example="0.001")
NON_NEGATIVE_NUMBER = Number(low=0)
FRACTION = Number(low=0, high=1, high_open=True)  # dropout, momentum
DECAY_FACTOR = Number(low=0, high=1, low_open=True, example="0.1")  # gamma


def choice_parser(
    kind: str, options: list[str], separator: str = "_"
) -> Callable[[str], str]:
    """An argparse type for a case-insensitive choice whose error lists the options (and
    guesses a typo): ``--activation Leaky-ReLU`` is ``leaky_relu``. ``-`` and ``_`` both
    become ``separator`` (the data sets' names use ``-``: ``fashion_mnist`` is
    ``fashion-mnist``)."""

    def check(text: str) -> str:
        other = "-" if separator == "_" else "_"
        name = text.strip().lower().replace(other, separator)
        if name in options:
            return name
        close = difflib.get_close_matches(name, options, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        raise argparse.ArgumentTypeError(
            f"unknown {kind} {text!r}{guess}; choose one of: {', '.join(options)}"
        )

    check.__name__ = kind
    return check


# ---------------------------------------------------------------------- checking
def shown(value: Any, note: str = "") -> str:
    """A value as JSON would spell it, what kind of value it is in words, and ``note``."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    text = " ".join(text.split())  # one line, whatever the value
    if len(text) > 60:
        text = text[:57] + "..."
    kinds = {str: "a string", list: "a list", dict: "an object"}
    kind = kinds.get(type(value))
    if isinstance(value, float):
        kind = "a number with a fraction" if math.isfinite(value) else "not a finite number"
    words = "; ".join(part for part in (kind, note) if part)
    return f"{text} ({words})" if words else text


class SettingsError(CLIError):
    """A value in config.json or the checkpoint that breaks its rule."""


def check_value(key: str, value: Any, rule: Rule, fail: Callable[[str], NoReturn]) -> None:
    if rule.accepts(value):
        return
    note = ""
    if isinstance(value, str) and not isinstance(rule, (Text, Choice, Exactly, JSONText)):
        try:
            unquoted = json.loads(value)
        except ValueError:
            unquoted = None
        if unquoted is not None and rule.accepts(unquoted):
            note = f"write {value} without the quotes"
    if isinstance(rule, Choice) and isinstance(value, str):
        close = difflib.get_close_matches(value, rule.options, n=1)
        note = f"did you mean {close[0]!r}?" if close else ""
    fail(f'"{key}" must be {rule.describe()}, got {shown(value, note)}')


def check_section(
    section: Any,
    where: str,
    rules: dict[str, Rule | None],
    fail: Callable[[str], NoReturn],
    optional: dict[str, Rule] | None = None,
) -> None:
    """Check a dict: every key known, every required one present, each value by its rule."""
    optional = optional or {}
    prefix = f"{where}." if where else ""
    if not isinstance(section, dict):
        fail(f'"{where}" must be an object {{...}}, got {shown(section)}')
    known = [*rules, *optional]
    for key in section:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            guess = f" (did you mean {prefix}{close[0]!r}?)" if close else ""
            takes = f"; it takes: {', '.join(known)}" if known else "; it takes none"
            fail(f'unknown setting "{prefix}{key}"{guess or takes if len(known) <= 8 else guess}')
    for key, rule in rules.items():
        if key not in section:
            fail(f'the setting "{prefix}{key}" is missing')
        if rule is not None:
            check_value(prefix + key, section[key], rule, fail)
    for key, rule in optional.items():
        if key in section:
            check_value(prefix + key, section[key], rule, fail)


def failing(file: str, advice: str) -> Callable[[str], NoReturn]:
    def fail(problem: str) -> NoReturn:
        raise SettingsError(f"{file}: {problem}; {advice}")

    return fail
