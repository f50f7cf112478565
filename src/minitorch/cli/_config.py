"""What a run's files may hold, as rules, and the one check of ``config.json`` and the checkpoint.

Every setting has one rule: :class:`Integer` with a minimum, :class:`Number` within bounds,
:class:`Choice` of names, and so on. The command-line options are parsed with the same rules
(:meth:`Rule.option_type`), so ``--lr -1`` and a hand-edited ``"lr": -1`` in ``config.json`` are
refused in the same words.

:func:`check_config` runs once, when ``config.json`` is read (and on the configuration ``train``
is about to write); :func:`check_checkpoint` once, when the checkpoint is loaded. Everything after
them may rely on the types: a hand-edited ``"epochs": "20"`` is reported there, naming the key,
what it must be and what it is, and never becomes a traceback (or a silently different run)
later on.
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

from ..datasets import CLASSIFICATION, DATASETS, REGRESSION
from ..models import ACTIVATIONS
from ._common import CLIError
from ._setup import IMAGE_DATASETS, MODELS, OPTIMIZERS, TEXT_DATASETS

RUN_FORMAT = "minitorch-run"
CHECKPOINT_FORMAT = "minitorch-checkpoint"
FORMAT_VERSION = 1


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

#: Keyword of the data-set generators -> its rule (the command line's --samples, --noise, ...).
DATASET_OPTION_RULES: dict[str, Rule] = {
    "n_samples": POSITIVE_INT,
    "noise": NON_NEGATIVE_NUMBER,
    "n_classes": CLASS_COUNT,
}
#: What a data set read from files records in ``dataset_options``: the folder of the files.
ROOT_RULES: dict[str, Rule | None] = {"root": Text()}

#: Optimizer option -> its rule.
OPTIMIZER_OPTION_RULES: dict[str, Rule] = {
    "lr": POSITIVE_NUMBER,
    "momentum": FRACTION,
    "weight_decay": NON_NEGATIVE_NUMBER,
}

#: Scheduler name -> the rules of the arguments config.json holds for it.
SCHEDULER_RULES: dict[str, dict[str, Rule]] = {
    "none": {},
    "step": {"step_size": POSITIVE_INT, "gamma": DECAY_FACTOR},
    "multistep": {
        "milestones": ListOf(POSITIVE_INT, "positive whole numbers"),
        "gamma": DECAY_FACTOR,
    },
    "exponential": {"gamma": DECAY_FACTOR},
    "cosine": {"T_max": POSITIVE_INT, "eta_min": NON_NEGATIVE_NUMBER},
    "linear": {
        "start_factor": DECAY_FACTOR,
        "end_factor": Number(low=0, high=1),
        "total_iters": POSITIVE_INT,
    },
}


def _config_fields(model: str) -> dict[str, Rule | None]:
    """The top-level settings of a ``model`` run; ``None`` marks a section checked on its own."""
    if model == "gpt":
        return {
            "format": Exactly(RUN_FORMAT),
            "version": Exactly(FORMAT_VERSION),
            "model": Exactly("gpt"),
            "dataset": Choice(tuple(TEXT_DATASETS)),
            "n_layer": POSITIVE_INT,
            "n_head": POSITIVE_INT,
            "n_embd": POSITIVE_INT,
            "block_size": POSITIVE_INT,
            "dropout": FRACTION,
            "tie_weights": Flag(),
            "optimizer": Choice(("adamw",)),
            "optimizer_options": None,
            "scheduler": None,
            "grad_clip": NON_NEGATIVE_NUMBER,
            "iters": POSITIVE_INT,
            "batch_size": POSITIVE_INT,
            "eval_interval": POSITIVE_INT,
            "eval_batches": POSITIVE_INT,
            "seed": NON_NEGATIVE_INT,
        }
    fields: dict[str, Rule | None] = {
        "format": Exactly(RUN_FORMAT),
        "version": Exactly(FORMAT_VERSION),
        "dataset": Choice(tuple(DATASETS)),
        "dataset_options": None,
        "data_seed": None,
        "hidden": ListOf(POSITIVE_INT, "positive whole numbers"),
        "activation": Choice(tuple(ACTIVATIONS)),
        "dropout": FRACTION,
        "optimizer": Choice(tuple(OPTIMIZERS)),
        "optimizer_options": None,
        "scheduler": None,
        "epochs": POSITIVE_INT,
        "batch_size": POSITIVE_INT,
        "seed": NON_NEGATIVE_INT,
    }
    if model == "cnn":
        fields["model"] = Exactly("cnn")
        fields["dataset"] = Choice(tuple(IMAGE_DATASETS))
        fields["channels"] = ListOf(POSITIVE_INT, "positive whole numbers", length=2)
        fields["batch_norm"] = Flag()
    return fields


#: Settings of a GPT run's sections.
GPT_OPTIMIZER_RULES: dict[str, Rule | None] = {
    "lr": POSITIVE_NUMBER,
    "betas": ListOf(FRACTION, "numbers at least 0 and below 1", length=2),
    "weight_decay": NON_NEGATIVE_NUMBER,
}
GPT_SCHEDULER_RULES: dict[str, Rule | None] = {
    "name": Exactly("warmup_cosine"),
    "warmup_iters": NON_NEGATIVE_INT,
    "decay_iters": POSITIVE_INT,
    "min_lr": NON_NEGATIVE_NUMBER,
}


#: Settings written for the reader (not needed to rebuild the run): checked when present.
CONFIG_FACTS: dict[str, Rule] = {
    "minitorch_version": Text(),
    "created": Text(),
    "command": Text(),
    "task": Choice((CLASSIFICATION, REGRESSION, "language model")),
    "input_dim": POSITIVE_INT,
    "output_dim": POSITIVE_INT,
    "classes": ListOf(Text(), "strings"),
    "train_samples": NON_NEGATIVE_INT,
    "test_samples": NON_NEGATIVE_INT,
    "parameters": NON_NEGATIVE_INT,
    "vocab_size": POSITIVE_INT,
    "train_characters": POSITIVE_INT,
    "val_characters": POSITIVE_INT,
}
#: A setting that only a run of one kind writes (the others' schemas do not know it).
MODEL_ONLY = {"model": "cnn or gpt", "channels": "cnn", "batch_norm": "cnn"}

PROGRESS_RULES: dict[str, Rule] = {
    "batches": NON_NEGATIVE_INT,
    "samples": NON_NEGATIVE_INT,
    "loss_sum": Number(low=0, finite=False),  # NaN: a diverged run, which can still be resumed
    "correct": NON_NEGATIVE_INT,
    "seconds": NON_NEGATIVE_NUMBER,
}

CHECKPOINT_FIELDS: dict[str, Rule | None] = {
    "format": Exactly(CHECKPOINT_FORMAT),
    "version": Exactly(FORMAT_VERSION),
    "epoch": NON_NEGATIVE_INT,
    "progress": None,
    "model": Table(),
    "optimizer": Table("values and dicts", dicts_inside=True),
    "random": None,
    "history": Table("arrays"),
}
CHECKPOINT_OPTIONAL: dict[str, Rule] = {"scheduler": Table("numbers and lists")}
RANDOM_RULES: dict[str, Rule] = {"shuffle": JSONText(), "global": JSONText()}

#: A GPT run's checkpoint: iterations instead of epochs, AdamW's two parameter groups.
GPT_CHECKPOINT_FIELDS: dict[str, Rule | None] = {
    "format": Exactly(CHECKPOINT_FORMAT),
    "version": Exactly(FORMAT_VERSION),
    "iter": NON_NEGATIVE_INT,
    "progress": None,
    "model": Table(),
    "optimizers": None,
    "random": None,
    "history": Table("arrays"),
}
GPT_PROGRESS_RULES: dict[str, Rule] = {
    "steps": NON_NEGATIVE_INT,
    "loss_sum": Number(low=0, finite=False),
    "seconds": NON_NEGATIVE_NUMBER,
}
GPT_RANDOM_RULES: dict[str, Rule] = {"batches": JSONText(), "global": JSONText()}
#: The two AdamW of a GPT run: matrices (weight decay) and the rest (none), as nanoGPT's groups.
GPT_OPTIMIZERS = ("decay", "no_decay")


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


def _check_value(key: str, value: Any, rule: Rule, fail: Callable[[str], NoReturn]) -> None:
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


def _check_section(
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
            _check_value(prefix + key, section[key], rule, fail)
    for key, rule in optional.items():
        if key in section:
            _check_value(prefix + key, section[key], rule, fail)


def _failing(file: str, advice: str) -> Callable[[str], NoReturn]:
    def fail(problem: str) -> NoReturn:
        raise SettingsError(f"{file}: {problem}; {advice}")

    return fail


def check_config(config: Any, file: str) -> dict[str, Any]:
    """Check a whole run configuration; return it, or raise one CLIError naming the first fault.

    Parameters
    ----------
    config : Any
        What ``json.load`` gave for ``config.json`` (or what ``train`` is about to write).
    file : str
        The file, as the messages should name it.
    """
    if not isinstance(config, dict) or not Exactly(RUN_FORMAT).accepts(config.get("format")):
        raise SettingsError(
            f"{file} is not a minitorch run configuration (those are made by 'minitorch train')"
        )
    if not Exactly(FORMAT_VERSION).accepts(config.get("version")):
        raise SettingsError(
            f"{file} has format version {shown(config.get('version'))}; this minitorch reads "
            f"version {FORMAT_VERSION} (update minitorch, or start a new run)"
        )
    fail = _failing(file, "correct it, or start a new run with 'minitorch train'")
    model = config.get("model", "mlp")  # runs made before the model choice are MLPs
    _check_value("model", model, Choice(tuple(MODELS)), fail)
    fields = _config_fields(model)
    if model == "mlp":
        optional = {"model": Exactly("mlp"), **CONFIG_FACTS}
        for key, kind in MODEL_ONLY.items():
            if key in config and key != "model":
                fail(f'"{key}" is a setting of a {kind} run, and this is an mlp run')
    else:
        optional = dict(CONFIG_FACTS)
    if model == "cnn" and config.get("dataset") in DATASETS.keys() - set(IMAGE_DATASETS):
        fail(
            f'"dataset" must be an image data set for the cnn model ('
            f"{', '.join(IMAGE_DATASETS)}), got {shown(config['dataset'])}"
        )
    _check_section(config, "", fields, fail, optional)
    if model == "gpt":
        return _check_gpt_config(config, fail)

    info = DATASETS[config["dataset"]]
    if info.needs_root:
        _check_section(config["dataset_options"], "dataset_options", ROOT_RULES, fail)
    else:
        dataset_rules = {k: r for k, r in DATASET_OPTION_RULES.items() if k in info.options}
        _check_section(config["dataset_options"], "dataset_options", {}, fail, dataset_rules)
    if info.generated:
        _check_value("data_seed", config["data_seed"], NON_NEGATIVE_INT, fail)
    else:
        why = f"{info.name} is a fixed data set, not generated from a seed"
        _check_value("data_seed", config["data_seed"], Null(why), fail)

    optimizer_rules = {k: OPTIMIZER_OPTION_RULES[k] for k in OPTIMIZERS[config["optimizer"]][1]}
    _check_section(config["optimizer_options"], "optimizer_options", optimizer_rules, fail)

    scheduler = config["scheduler"]
    if not isinstance(scheduler, dict):
        fail(f'"scheduler" must be an object {{"name": ...}}, got {shown(scheduler)}')
    name_rule = Choice(tuple(SCHEDULER_RULES))
    _check_value("scheduler.name", scheduler.get("name"), name_rule, fail)
    rules: dict[str, Rule | None] = {"name": None, **SCHEDULER_RULES[scheduler["name"]]}
    _check_section(scheduler, "scheduler", rules, fail)
    return config


def _check_gpt_config(config: dict[str, Any], fail: Callable[[str], NoReturn]) -> dict[str, Any]:
    """The sections of a GPT run's configuration, and what its settings must agree on."""
    _check_section(config["optimizer_options"], "optimizer_options", GPT_OPTIMIZER_RULES, fail)
    _check_section(config["scheduler"], "scheduler", GPT_SCHEDULER_RULES, fail)
    if config["n_embd"] % config["n_head"]:
        fail(
            f'"n_embd" ({config["n_embd"]}) must be divisible by "n_head" ({config["n_head"]}): '
            "each attention head gets n_embd / n_head features"
        )
    return config


def _check_optimizer(optimizer: dict, where: str, fail: Callable[[str], NoReturn]) -> None:
    """A saved optimizer: its class name, and per parameter numbers or arrays of floats."""
    if not Text().accepts(optimizer.get("optimizer")):
        name = shown(optimizer.get("optimizer"))
        fail(f'"{where}.optimizer" must be the optimizer\'s class name (a string), got {name}')
    entries = optimizer.get("state", {})
    if not isinstance(entries, dict) or not all(isinstance(e, dict) for e in entries.values()):
        fail(f'"{where}.state" must hold one object per parameter, got {shown(entries)}')
    for index, parameter_state in entries.items():
        for name, value in parameter_state.items():
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            floats = isinstance(value, np.ndarray) and value.dtype.kind == "f"
            if not (number or floats):
                fail(
                    f'"{where}.state.{index}.{name}" must be a number or an array of floats, '
                    f"got {shown(value)}"
                )


def check_checkpoint(state: Any, file: str, model: str = "mlp") -> dict[str, Any]:
    """Check that a loaded checkpoint holds what ``minitorch train`` saves, with the right types.

    ``model`` is the run's model (its config.json says which): a GPT run's checkpoint counts
    iterations and holds two optimizers; an MLP's or a CNN's counts epochs.
    """
    if not isinstance(state, dict) or not Exactly(CHECKPOINT_FORMAT).accepts(state.get("format")):
        raise SettingsError(
            f"{file} is not a checkpoint of a minitorch run (those are made by 'minitorch "
            "train'); restore it from a copy, or start a new run"
        )
    if not Exactly(FORMAT_VERSION).accepts(state.get("version")):
        raise SettingsError(
            f"{file} has format version {shown(state.get('version'))}; this minitorch reads "
            f"version {FORMAT_VERSION} (update minitorch, or start a new run)"
        )
    fail = _failing(file, "the file is damaged: restore it from a copy, or start a new run")
    if model == "gpt":
        _check_section(state, "", GPT_CHECKPOINT_FIELDS, fail)
        _check_section(state["progress"], "progress", GPT_PROGRESS_RULES, fail)
        _check_section(state["random"], "random", GPT_RANDOM_RULES, fail)
        optimizer_rules: dict[str, Rule | None] = {
            name: Table("values and dicts", dicts_inside=True) for name in GPT_OPTIMIZERS
        }
        _check_section(state["optimizers"], "optimizers", optimizer_rules, fail)
        for name in GPT_OPTIMIZERS:
            _check_optimizer(state["optimizers"][name], f"optimizers.{name}", fail)
        for key, column in state["history"].items():
            numbers = isinstance(column, (int, float)) or (
                isinstance(column, np.ndarray) and column.dtype.kind in "fiu" and column.ndim <= 1
            )
            if not numbers:
                fail(f'"history.{key}" must be a list of numbers, got {shown(column)}')
        rows = {np.atleast_1d(column).size for column in state["history"].values()}
        if len(rows) > 1:
            fail(f"its metrics have columns of different lengths {sorted(rows)}")
        done, steps = state["iter"], state["progress"]["steps"]
        marks = np.atleast_1d(np.asarray(state["history"].get("iter", []), dtype=np.float64))
        if marks.size and (np.any(np.diff(marks) <= 0) or marks[-1] > done or marks[0] < 1):
            listed = [int(mark) if mark.is_integer() else mark for mark in marks.tolist()]
            fail(f"its metrics' iterations {listed} do not rise up to {done}")
        last = int(marks[-1]) if marks.size else 0
        if steps != done - last:
            fail(
                f"it is at iteration {done}, {steps} iterations after its last evaluation "
                f"(at iteration {last}), which should be {done - last}"
            )
        return state
    _check_section(state, "", CHECKPOINT_FIELDS, fail, CHECKPOINT_OPTIONAL)
    _check_section(state["progress"], "progress", PROGRESS_RULES, fail)
    _check_section(state["random"], "random", RANDOM_RULES, fail)
    _check_optimizer(state["optimizer"], "optimizer", fail)
    recorded = np.atleast_1d(state["history"].get("epoch", np.zeros(0))).size
    if recorded != state["epoch"]:
        fail(f"it records {state['epoch']} epochs but the metrics of {recorded}")
    return state
