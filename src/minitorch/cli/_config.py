"""The one schema of a run's settings, and the one check of ``config.json`` and the checkpoint.

Every setting of ``minitorch train`` is declared once, in :data:`SETTINGS`: its option (name,
help, the models it applies to, its default), where config.json keeps it and its rule (from
:mod:`._rules`). The parser's options (:mod:`._options`), the defaults of a new run, the
refusal of another model's option and the check of a hand-edited config.json all come from it,
so ``--lr -1`` and a hand-edited ``"lr": -1`` in ``config.json`` are refused in the same words.

:func:`check_config` runs once, when ``config.json`` is read (and on the configuration ``train``
is about to write); :func:`check_checkpoint` once, when the checkpoint is loaded. Everything after
them may rely on the types: a hand-edited ``"epochs": "20"`` is reported there, naming the key,
what it must be and what it is, and never becomes a traceback (or a silently different run)
later on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from ..datasets import CLASSIFICATION, DATASETS, REGRESSION
from ..models import ACTIVATIONS, CHAR_RNN_RECIPE
from ._rules import (
    CLASS_COUNT,
    DECAY_FACTOR,
    FRACTION,
    NON_NEGATIVE_INT,
    NON_NEGATIVE_NUMBER,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    Choice,
    Exactly,
    Flag,
    JSONText,
    ListOf,
    Null,
    Number,
    Rule,
    SettingsError,
    Table,
    Text,
    check_section,
    check_value,
    choice_parser,
    failing,
    shown,
)
from ._setup import (
    ABSENT_IN_OLD_RUNS,
    GPT_OPTIMIZER,
    IMAGE_DATASETS,
    LANGUAGE_MODELS,
    LM_MODELS,
    MODELS,
    OLD_GPT_OPTIMIZERS,
    OPTIMIZERS,
    RNN_MODELS,
    SCHEDULERS,
    TEXT_DATASETS,
    LMSettings,
    merged_gpt_optimizers,
)

RUN_FORMAT = "minitorch-run"
CHECKPOINT_FORMAT = "minitorch-checkpoint"
FORMAT_VERSION = 1


# ---------------------------------------------------------------------- the settings, once
ALL_MODELS = tuple(MODELS)
EPOCH_MODELS = ("mlp", "cnn")
#: The model of a run that names none (and of runs made before the choice existed).
DEFAULT_MODEL = "mlp"
#: The sections of ``minitorch train --help`` (argparse's argument groups).
DATA, MODEL, OPTIMIZATION, GPT_TRAINING, RUN = (
    "data",
    "model",
    "optimization",
    "language models (gpt, lstm, gru, rnn: by iterations, a batch of the text each)",
    "run folder and output",
)
#: How the stateful models may read their text (``--bptt``).
BPTT_MODES = ("random", "stateful")
#: Every name ``--dataset`` takes: the registry's data sets and the texts of ``--model gpt``.
DATASET_NAMES = [*DATASETS, *TEXT_DATASETS]


#: The argparse type of ``--dataset``: a known name, or a guess at the one meant.
dataset_name = choice_parser("data set", DATASET_NAMES, separator="-")


@dataclass(frozen=True)
class Setting:
    """One setting of ``minitorch train``, declared once: its option and its place in config.json.

    Attributes
    ----------
    name : str
        The option's name: ``batch_size`` is ``--batch-size``.
    rule : Rule or None
        What a value must be, for the option and for config.json (a list option is parsed item
        by item with the list rule's ``item``); ``None``: a path (``--out``) or a flag.
    group : str or None
        The section of ``--help`` the option is listed in; ``None`` for a setting config.json
        holds that no option sets (a GPT's ``betas``).
    help : str
        The option's help; ``{mlp}``, ``{cnn}``, ``{gpt}`` are replaced by the model's default.
    models : tuple of str
        The models the option applies to; the others refuse it.
    default : value, or dict of model to value
        What a run gets when the option is not given (``None``: nothing, or the optimizer's).
    key : str or None
        Where config.json keeps the value (``"optimizer_options.lr"``); ``None``: not in it.
    config_rules : dict of model to Rule or None, optional
        The rule of the key in each model's config.json when it is not ``rule`` for ``models``
        (``None``: a value checked with the others of its section).
    parse : callable, optional
        The option's argparse ``type`` when it is not the rule's (names with a guess at typos).
    metavar, nargs, flag
        argparse's ``metavar`` and ``nargs``; ``flag``: a ``store_true`` option.
    resume : bool
        Whether ``train --resume`` accepts the option.
    short : str, optional
        A one-letter spelling (``-q``).
    recipe : str, optional
        The field of :class:`~minitorch.models.CharRNNRecipe` that holds the setting in a
        CharRNN run (lstm, gru, rnn): config.json keeps it in ``"recipe"``, the recipe's
        ``to_dict()``, and :data:`~minitorch.models.CHAR_RNN_RECIPE` gives its default.
    """

    name: str
    rule: Rule | None
    group: str | None
    help: str = ""
    models: tuple[str, ...] = ALL_MODELS
    default: Any = None
    key: str | None = None
    config_rules: dict[str, Rule | None] | None = None
    parse: Callable[[str], Any] | None = None
    metavar: Any = None
    nargs: Any = None
    flag: bool = False
    resume: bool = False
    short: str | None = None
    recipe: str | None = None

    @property
    def option(self) -> str:
        """``--batch-size`` for ``batch_size``."""
        return "--" + self.name.replace("_", "-")

    def key_for(self, model: str) -> str | None:
        """Where config.json of a ``model`` run keeps the setting (``"recipe.lr"`` for an
        lstm's learning rate, ``"optimizer_options.lr"`` for a GPT's)."""
        if model in RNN_MODELS and self.recipe is not None:
            return f"recipe.{self.recipe}"
        return self.key

    def default_for(self, model: str) -> Any:
        if model in RNN_MODELS and self.recipe is not None and model in self.models:
            return recipe_defaults(model)[self.recipe]
        if isinstance(self.default, dict):
            return self.default.get(model)
        return self.default if model in self.models else None

    def rule_in_config(self, model: str) -> tuple[bool, Rule | None]:
        """``(whether config.json of a ``model`` run holds the key, its rule)``."""
        if self.key_for(model) is None:
            return False, None
        if self.config_rules is not None:
            return model in self.config_rules, self.config_rules.get(model)
        return model in self.models, self.rule

    def option_type(self) -> Callable[[str], Any] | None:
        if self.parse is not None:
            return self.parse
        rule = self.rule.item if isinstance(self.rule, ListOf) and self.nargs else self.rule
        return None if rule is None or self.flag else rule.option_type()

    def help_text(self, **fill: str) -> str:
        defaults = {model: _default_text(self.default_for(model)) for model in ALL_MODELS}
        return self.help.format(**defaults, **fill)


def recipe_defaults(model: str) -> dict[str, Any]:
    """A new ``model`` run's recipe (lstm, gru or rnn): :data:`~minitorch.models.CHAR_RNN_RECIPE`
    of that cell, as ``to_dict()`` gives it."""
    return {**CHAR_RNN_RECIPE.to_dict(), "cell": model}


def _default_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


SIZES = ListOf(POSITIVE_INT, "positive whole numbers")
_LR_DEFAULTS = ", ".join(f"{name} {options['lr']:g}" for name, (_, options) in OPTIMIZERS.items())

#: Every setting of ``minitorch train``, in the order of ``--help``.
SETTINGS: tuple[Setting, ...] = (
    # ------------------------------------------------------------------ data
    Setting("dataset", None, DATA, f"what to learn: {', '.join(DATASET_NAMES)} (default: {{mlp}}, "
            "and {gpt} for --model gpt, lstm, gru, rnn; 'minitorch datasets' describes them)",
            default={"mlp": "digits", "cnn": "digits",
                     **{model: "shakespeare" for model in LM_MODELS}}, key="dataset",
            config_rules={"mlp": Choice(tuple(DATASETS)), "cnn": Choice(IMAGE_DATASETS),
                          **{model: Choice(tuple(TEXT_DATASETS)) for model in LM_MODELS}},
            parse=dataset_name, metavar="NAME"),
    Setting("data_root", Text(), DATA, "mnist and fashion-mnist: the folder of their IDX files, "
            "in DIR/MNIST/raw/ (torchvision's layout) or in DIR itself ({when})",
            EPOCH_MODELS, "data", "dataset_options.root", metavar="DIR", resume=True),
    Setting("download", None, DATA, "fetch the MNIST files that are not in --data-root yet "
            "(checked by their MD5)", EPOCH_MODELS, flag=True, resume=True),
    Setting("samples", POSITIVE_INT, DATA, "number of points to generate (generated data sets "
            "only; default 300)", ("mlp",), key="dataset_options.n_samples", metavar="N"),
    Setting("noise", NON_NEGATIVE_NUMBER, DATA, "noise of the generated points (generated data "
            "sets only)", ("mlp",), key="dataset_options.noise", metavar="X"),
    Setting("classes", CLASS_COUNT, DATA, "number of classes (spiral and blobs only; default 3)",
            ("mlp",), key="dataset_options.n_classes", metavar="K"),
    Setting("data_seed", NON_NEGATIVE_INT, DATA, "seed of the generated points (default: {mlp})",
            EPOCH_MODELS, 0, "data_seed", {"mlp": None, "cnn": None}, metavar="S"),
    # ------------------------------------------------------------------ model
    Setting("model", None, MODEL, "mlp (Linear layers), cnn (LeNet: two conv blocks, then "
            "linear layers; image data sets), gpt (nanoGPT's GPT; text), or lstm, gru, rnn "
            "(char-rnn's character model: Embedding, recurrent layers, Linear; text) (default: "
            f"{DEFAULT_MODEL})", key="model",
            config_rules={model: Exactly(model) for model in MODELS if model != DEFAULT_MODEL},
            parse=choice_parser("model", list(MODELS)), metavar="NAME"),
    Setting("hidden", SIZES, MODEL, "width of each hidden layer, e.g. --hidden 256 128 (default: "
            "{mlp}; for cnn, the layers after the convolutions, default {cnn}); --hidden alone "
            "gives a linear model (linear layer)", EPOCH_MODELS, {"mlp": [256, 128], "cnn": [120]},
            "hidden", metavar="SIZE", nargs="*"),
    Setting("channels", ListOf(POSITIVE_INT, "positive whole numbers", length=2), MODEL,
            "cnn: output channels of the two convolutions (default: {cnn}, LeNet's)", ("cnn",),
            [6, 16], "channels", metavar=("C1", "C2"), nargs=2),
    Setting("batch_norm", Flag(), MODEL, "cnn: batch normalisation after each convolution",
            ("cnn",), False, "batch_norm", flag=True),
    Setting("activation", Choice(tuple(ACTIVATIONS)), MODEL, "non-linearity after each hidden "
            f"layer: {', '.join(ACTIVATIONS)} (default: {{mlp}})", EPOCH_MODELS, "relu",
            "activation", parse=choice_parser("activation", list(ACTIVATIONS)), metavar="NAME"),
    Setting("dropout", FRACTION, MODEL, "dropout probability after each hidden layer (a GPT's: "
            "in every block) (default: 0, no dropout)", (*EPOCH_MODELS, "gpt"), 0.0, "dropout",
            metavar="P"),
    Setting("n_layer", POSITIVE_INT, MODEL, "gpt: transformer blocks (default: {gpt})", ("gpt",),
            4, "n_layer", metavar="N"),
    Setting("n_head", POSITIVE_INT, MODEL, "gpt: attention heads per block (default: {gpt})",
            ("gpt",), 4, "n_head", metavar="N"),
    Setting("n_embd", POSITIVE_INT, MODEL, "gpt: features per position (default: {gpt})",
            ("gpt",), 128, "n_embd", metavar="N"),
    Setting("block_size", POSITIVE_INT, MODEL, "gpt: context length, in characters (default: "
            "{gpt}); lstm, gru, rnn: characters per window, the steps backpropagated through "
            "(default: {lstm})", LM_MODELS, {"gpt": 64}, "block_size", metavar="N",
            recipe="block_size"),
    Setting("tie_weights", Flag(), None, models=("gpt",), default=True, key="tie_weights"),
    Setting("bias", Flag(), MODEL, "gpt: biases in the Linear layers and LayerNorms, GPT-2's "
            "layout (default: none, as nanoGPT's train.py)", ("gpt",), False, "bias", flag=True),
    Setting("cell", None, None, models=RNN_MODELS, recipe="cell",
            config_rules={model: Exactly(model) for model in RNN_MODELS}),
    Setting("embedding_dim", POSITIVE_INT, MODEL, "lstm, gru, rnn: features of each "
            "character's embedding (default: {lstm})", RNN_MODELS, metavar="E",
            recipe="embedding_dim"),
    Setting("hidden_size", POSITIVE_INT, MODEL, "lstm, gru, rnn: features of the recurrent "
            "state (default: {lstm})", RNN_MODELS, metavar="H", recipe="hidden_size"),
    Setting("num_layers", POSITIVE_INT, MODEL, "lstm, gru, rnn: recurrent layers stacked "
            "(default: {lstm})", RNN_MODELS, metavar="N", recipe="num_layers"),
    # ------------------------------------------------------------------ optimization
    Setting("optimizer", Choice(tuple(OPTIMIZERS)), OPTIMIZATION,
            f"{', '.join(OPTIMIZERS)} (default: {{mlp}})", EPOCH_MODELS,
            {"mlp": "adam", "cnn": "adam", "gpt": "adamw"}, "optimizer",
            {"mlp": Choice(tuple(OPTIMIZERS)), "cnn": Choice(tuple(OPTIMIZERS)),
             "gpt": Choice(("adamw",))},
            parse=choice_parser("optimizer", list(OPTIMIZERS)), metavar="NAME"),
    Setting("lr", POSITIVE_NUMBER, OPTIMIZATION, f"learning rate (default: {_LR_DEFAULTS}; gpt "
            "{gpt}, lstm, gru, rnn {lstm}, the peak of the schedule)", ALL_MODELS, {"gpt": 1e-3},
            "optimizer_options.lr", metavar="LR", recipe="lr"),
    Setting("betas", ListOf(FRACTION, "numbers at least 0 and below 1", length=2), None,
            models=LM_MODELS, default={"gpt": [0.9, 0.99]}, key="optimizer_options.betas",
            recipe="betas"),
    Setting("momentum", FRACTION, OPTIMIZATION, "momentum of sgd (default 0.9) and rmsprop "
            "(default 0)", EPOCH_MODELS, key="optimizer_options.momentum", metavar="M"),
    Setting("weight_decay", NON_NEGATIVE_NUMBER, OPTIMIZATION, "weight decay (default: 0.01 for "
            "adamw, 0 for the others; gpt {gpt}, on its matrices only; lstm, gru, rnn {lstm}, "
            "on every parameter)", ALL_MODELS, {"gpt": 0.1}, "optimizer_options.weight_decay",
            metavar="W", recipe="weight_decay"),
    Setting("epochs", POSITIVE_INT, OPTIMIZATION, "passes over the training set (default: {mlp}); "
            "with --resume, the total number of epochs to reach", EPOCH_MODELS, 20, "epochs",
            metavar="N", resume=True),
    Setting("batch_size", POSITIVE_INT, OPTIMIZATION, "samples per gradient step (default: {mlp}; "
            "gpt {gpt} windows, lstm, gru, rnn {lstm})", ALL_MODELS,
            {"mlp": 32, "cnn": 32, "gpt": 12}, "batch_size", metavar="B", recipe="batch_size"),
    Setting("scheduler", Choice(tuple(SCHEDULERS)), OPTIMIZATION, "how the learning rate changes "
            "from epoch to epoch: none (constant), step (x gamma every --step-size epochs), "
            "multistep (x gamma at each of --milestones), exponential (x gamma every epoch), "
            "cosine (down to 0 along a half cosine), linear (down to 0 in a straight line) "
            "(default: {mlp})", EPOCH_MODELS, "none", "scheduler.name",
            parse=choice_parser("scheduler", list(SCHEDULERS)), metavar="NAME"),
    Setting("step_size", POSITIVE_INT, OPTIMIZATION, "epochs between decays for --scheduler step "
            "(default: a third of the epochs)", EPOCH_MODELS, key="scheduler.step_size",
            metavar="N"),
    Setting("milestones", SIZES, OPTIMIZATION, "epochs at which --scheduler multistep decays "
            "(default: half and three quarters of the epochs)", EPOCH_MODELS,
            key="scheduler.milestones", metavar="EPOCH", nargs="+"),
    Setting("gamma", DECAY_FACTOR, OPTIMIZATION, "decay factor of step and multistep (default "
            "0.1) and exponential (default 0.9)", EPOCH_MODELS, key="scheduler.gamma",
            metavar="G"),
    Setting("seed", NON_NEGATIVE_INT, OPTIMIZATION, "seed of the initial weights, the shuffling "
            "and dropout (default: {mlp})", ALL_MODELS, 0, "seed", metavar="S"),
    # ------------------------------------------------------------------ iterations
    Setting("iters", POSITIVE_INT, GPT_TRAINING, "iterations to train (default: {gpt}); with "
            "--resume, the total to reach", LM_MODELS, 2000, "iters", metavar="N", resume=True,
            recipe="max_iters"),
    Setting("eval_interval", POSITIVE_INT, GPT_TRAINING, "measure the validation loss (and save "
            "a checkpoint) every N iterations and at the end (default: gpt {gpt}, lstm, gru, rnn "
            "{lstm})", LM_MODELS, {"gpt": 250}, "eval_interval", metavar="N",
            recipe="eval_interval"),
    Setting("eval_batches", POSITIVE_INT, GPT_TRAINING, "fixed validation batches the loss is "
            "measured on (default: {gpt}, of --batch-size x --block-size characters)", LM_MODELS,
            200, "eval_batches", metavar="N", recipe="eval_batches"),
    Setting("warmup_iters", NON_NEGATIVE_INT, GPT_TRAINING, "iterations of linear warm-up before "
            "the cosine decay (default: {gpt})", LM_MODELS, 100, "scheduler.warmup_iters",
            metavar="N", recipe="warmup_iters"),
    Setting("min_lr", NON_NEGATIVE_NUMBER, GPT_TRAINING, "learning rate the cosine decay reaches "
            "at the last iteration (default: gpt {gpt}, lstm, gru, rnn {lstm})", LM_MODELS,
            {"gpt": 1e-4}, "scheduler.min_lr", metavar="LR", recipe="min_lr"),
    Setting("decay_iters", POSITIVE_INT, None, models=LM_MODELS, key="scheduler.decay_iters",
            recipe="lr_decay_iters"),
    Setting("grad_clip", NON_NEGATIVE_NUMBER, GPT_TRAINING, "largest joint norm of the "
            "gradients, 0 for none (default: {gpt})", LM_MODELS, 1.0, "grad_clip", metavar="X",
            recipe="grad_clip"),
    Setting("bptt", Choice(BPTT_MODES), GPT_TRAINING, "lstm, gru, rnn: how the training text is "
            "read: random (each batch random windows, each from a zero state, the recipe's) or "
            "stateful (truncated backpropagation through time: the text as --batch-size "
            "parallel streams read chunk after chunk, each batch starting from the state the "
            "previous one ended in, without a gradient into it) (default: {lstm})", RNN_MODELS,
            "random", "bptt", parse=choice_parser("bptt", list(BPTT_MODES)), metavar="MODE"),
    # ------------------------------------------------------------------ the run folder
    Setting("out", None, RUN, "folder to write the run into (default: "
            "runs/<dataset>-<date>-<time>); it must be new or empty", metavar="DIR"),
    Setting("overwrite", None, RUN, "allow --out to be a folder that already holds a run, and "
            "replace that run", flag=True),
    Setting("resume", None, RUN, "continue the run in folder RUN from its checkpoint, with its "
            "own settings (only --epochs, or a GPT's --iters, may be changed)", metavar="RUN"),
    Setting("quiet", None, RUN, "no progress bar and no per-epoch lines; print only the run "
            "folder and the result", flag=True, resume=True, short="-q"),
)  # fmt: skip
SETTING = {setting.name: setting for setting in SETTINGS}


def defaults(model: str) -> dict[str, Any]:
    """The settings a ``model`` run gets when their options are not given."""
    values = {s.name: s.default_for(model) for s in SETTINGS}
    return {name: value for name, value in values.items() if value is not None}


def _rules_under(section: str, model: str, names: Any = None) -> dict[str, Rule | None]:
    """The rules of config.json's ``section`` (``"optimizer_options"``) of a ``model`` run."""
    rules = {}
    for setting in SETTINGS:
        holds, rule = setting.rule_in_config(model)
        parent, _, key = (setting.key_for(model) or "").rpartition(".")
        if holds and parent == section and (names is None or key in names):
            rules[key] = rule
    return rules if names is None else {key: rules[key] for key in names if key in rules}


def _config_fields(model: str) -> dict[str, Rule | None]:
    """The top-level settings of a ``model`` run; ``None`` marks a section checked on its own
    (the settings of :data:`ABSENT_IN_OLD_RUNS` are optional: see :func:`_optional_fields`)."""
    fields: dict[str, Rule | None] = {
        "format": Exactly(RUN_FORMAT),
        "version": Exactly(FORMAT_VERSION),
    }
    for setting in SETTINGS:
        holds, rule = setting.rule_in_config(model)
        key = setting.key_for(model)
        if holds and key not in ABSENT_IN_OLD_RUNS:
            section, dot, _ = key.partition(".")
            fields.setdefault(section, None if dot else rule)
    return fields


def _optional_fields(model: str) -> dict[str, Rule]:
    """The settings of a ``model`` run that older runs lack (:data:`ABSENT_IN_OLD_RUNS`)."""
    optional = {}
    for setting in SETTINGS:
        holds, rule = setting.rule_in_config(model)
        key = setting.key_for(model)
        if holds and key in ABSENT_IN_OLD_RUNS and rule is not None:
            optional[key] = rule
    return optional


#: Scheduler name -> the rules of the arguments config.json holds for it (the options'
#: rules for --step-size, --milestones and --gamma).
SCHEDULER_RULES: dict[str, dict[str, Rule | None]] = {
    "none": {},
    "step": _rules_under("scheduler", "mlp", ("step_size", "gamma")),
    "multistep": _rules_under("scheduler", "mlp", ("milestones", "gamma")),
    "exponential": _rules_under("scheduler", "mlp", ("gamma",)),
    "cosine": {"T_max": POSITIVE_INT, "eta_min": NON_NEGATIVE_NUMBER},
    "linear": {
        "start_factor": DECAY_FACTOR,
        "end_factor": Number(low=0, high=1),
        "total_iters": POSITIVE_INT,
    },
}
#: A GPT run's schedule: nanoGPT's warm-up and cosine, which ends at the run's last iteration.
GPT_SCHEDULER_RULES: dict[str, Rule | None] = {
    "name": Exactly("warmup_cosine"),
    "warmup_iters": SETTING["warmup_iters"].rule,
    "decay_iters": POSITIVE_INT,
    "min_lr": SETTING["min_lr"].rule,
}
#: A setting that only a run of another epoch model writes (an mlp run refuses it by name).
MODEL_ONLY = {
    s.key: " or ".join(m for m in s.config_rules or s.models if m not in LM_MODELS)
    for s in SETTINGS
    if s.key and not s.rule_in_config("mlp")[0] and s.rule_in_config("cnn")[0]
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

#: A GPT run's checkpoint: iterations instead of epochs, one AdamW with two parameter groups.
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
#: A stateful CharRNN run's checkpoint holds the state its next batch starts from (h, and an
#: LSTM's c; none at the start of a pass over the streams).
CHAR_RNN_CHECKPOINT_OPTIONAL: dict[str, Rule] = {"stream_state": Table("arrays")}


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
    fail = failing(file, "correct it, or start a new run with 'minitorch train'")
    model = config.get("model", DEFAULT_MODEL)  # runs made before the model choice are MLPs
    check_value("model", model, Choice(tuple(MODELS)), fail)
    fields = _config_fields(model)
    if model == "mlp":
        optional = {"model": Exactly(DEFAULT_MODEL), **CONFIG_FACTS}
        for key, kind in MODEL_ONLY.items():
            if key in config and key != "model":
                fail(f'"{key}" is a setting of a {kind} run, and this is an mlp run')
    else:
        optional = {**CONFIG_FACTS, **_optional_fields(model)}
    if model == "cnn" and config.get("dataset") in DATASETS.keys() - set(IMAGE_DATASETS):
        fail(
            f'"dataset" must be an image data set for the cnn model ('
            f"{', '.join(IMAGE_DATASETS)}), got {shown(config['dataset'])}"
        )
    check_section(config, "", fields, fail, optional)
    if model == "gpt":
        return _check_gpt_config(config, fail)
    if model in RNN_MODELS:
        check_section(config["recipe"], "recipe", _rules_under("recipe", model), fail)
        _check_schedule(config, fail)
        return config

    info = DATASETS[config["dataset"]]
    if info.needs_root:
        root_rules = _rules_under("dataset_options", model, ("root",))
        check_section(config["dataset_options"], "dataset_options", root_rules, fail)
    else:
        dataset_rules = _rules_under("dataset_options", model, info.options)
        check_section(config["dataset_options"], "dataset_options", {}, fail, dataset_rules)
    if info.generated:
        check_value("data_seed", config["data_seed"], SETTING["data_seed"].rule, fail)
    else:
        why = f"{info.name} is a fixed data set, not generated from a seed"
        check_value("data_seed", config["data_seed"], Null(why), fail)

    optimizer_rules = _rules_under("optimizer_options", model, OPTIMIZERS[config["optimizer"]][1])
    check_section(config["optimizer_options"], "optimizer_options", optimizer_rules, fail)

    scheduler = config["scheduler"]
    if not isinstance(scheduler, dict):
        fail(f'"scheduler" must be an object {{"name": ...}}, got {shown(scheduler)}')
    name_rule = Choice(tuple(SCHEDULER_RULES))
    check_value("scheduler.name", scheduler.get("name"), name_rule, fail)
    rules: dict[str, Rule | None] = {"name": None, **SCHEDULER_RULES[scheduler["name"]]}
    check_section(scheduler, "scheduler", rules, fail)
    return config


def _check_gpt_config(config: dict[str, Any], fail: Callable[[str], NoReturn]) -> dict[str, Any]:
    """The sections of a GPT run's configuration, and what its settings must agree on."""
    optimizer_rules = _rules_under("optimizer_options", "gpt")
    check_section(config["optimizer_options"], "optimizer_options", optimizer_rules, fail)
    check_section(config["scheduler"], "scheduler", GPT_SCHEDULER_RULES, fail)
    _check_schedule(config, fail)
    if config["n_embd"] % config["n_head"]:
        fail(
            f'"n_embd" ({config["n_embd"]}) must be divisible by "n_head" ({config["n_head"]}): '
            "each attention head gets n_embd / n_head features"
        )
    return config


def run_value(config: dict[str, Any], name: str) -> Any:
    """The value of setting ``name`` in a (checked) run configuration, wherever that model's
    config.json keeps it (:meth:`Setting.key_for`)."""
    value: Any = config
    for part in SETTING[name].key_for(model_of_config(config)).split("."):
        value = value[part]
    return value


def set_run_value(config: dict[str, Any], name: str, value: Any) -> None:
    """Set setting ``name`` of a run configuration where that model's config.json keeps it."""
    *sections, last = SETTING[name].key_for(model_of_config(config)).split(".")
    for part in sections:
        config = config[part]
    config[last] = value


def model_of_config(config: dict[str, Any]) -> str:
    return str(config.get("model", DEFAULT_MODEL))


def lm_settings(config: dict[str, Any]) -> LMSettings:
    """The numbers of a (checked) language model's run, from its config.json."""
    def value(name: str) -> Any:
        return run_value(config, name)

    return LMSettings(
        iters=int(value("iters")),
        batch_size=int(value("batch_size")),
        block_size=int(value("block_size")),
        eval_interval=int(value("eval_interval")),
        eval_batches=int(value("eval_batches")),
        grad_clip=float(value("grad_clip")),
        lr=float(value("lr")),
        betas=tuple(float(beta) for beta in value("betas")),
        weight_decay=float(value("weight_decay")),
        warmup_iters=int(value("warmup_iters")),
        decay_iters=int(value("decay_iters")),
        min_lr=float(value("min_lr")),
        seed=int(value("seed")),
        bptt=str(config.get("bptt", "random")),
    )


def _check_schedule(
    config: dict[str, Any], fail: Callable[[str], NoReturn], options: bool = False
) -> None:
    """A language model's schedule must decay from its peak, after its warm-up.

    The settings are named as config.json keeps them (a resumed run's edited file), or with
    ``options=True`` as the command line gives them (a new run: ``--min-lr 0.01``)."""
    names = ("lr", "min_lr", "warmup_iters", "decay_iters")
    value = {name: run_value(config, name) for name in names}
    text = {name: f"{value[name]:g}" if "lr" in name else str(value[name]) for name in names}
    if options:  # decay_iters is --iters: the cosine ends at the run's last iteration
        key = {name: "--" + name.replace("_", "-") for name in names} | {"decay_iters": "--iters"}
        shown = {name: f"{key[name]} {text[name]}" for name in names}
    else:
        key = {name: SETTING[name].key_for(config["model"]) for name in names}
        shown = {name: f'"{key[name]}" ({text[name]})' for name in names}
        shown["decay_iters"] = f'"{key["decay_iters"]}" {text["decay_iters"]}'
    if value["min_lr"] > value["lr"]:
        fail(
            f"{shown['min_lr']} is above {shown['lr']}: the cosine decay would raise the "
            "learning rate; give --min-lr at most --lr"
        )
    if value["warmup_iters"] >= value["decay_iters"]:
        fail(
            f"{shown['warmup_iters']} is not shorter than the run ({shown['decay_iters']}): the "
            "learning rate would never reach --lr nor decay; give --warmup-iters below --iters"
        )


def check_new_schedule(config: dict[str, Any]) -> dict[str, Any]:
    """A new language model run's schedule, checked before anything is written; the message
    names the options (``--min-lr``), not config.json, which does not exist yet."""

    def fail(problem: str) -> NoReturn:
        raise SettingsError(problem)

    if model_of_config(config) in LM_MODELS:
        _check_schedule(config, fail, options=True)
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


def _check_groups(optimizer: dict, where: str, count: int, fail: Callable[[str], NoReturn]) -> None:
    """A saved optimizer's ``count`` parameter groups "0", "1", ... of whole-number ``params``,
    and its ``state`` keyed by parameter positions."""
    groups = optimizer.get("param_groups")
    names = [str(number) for number in range(count)]
    if not (isinstance(groups, dict) and sorted(groups) == names
            and all(isinstance(group, dict) for group in groups.values())):  # fmt: skip
        wanted = " and ".join(f'"{name}"' for name in names)
        fail(f'"{where}.param_groups" must hold the parameter groups {wanted}, got {shown(groups)}')
    for number, group in groups.items():
        params = np.asarray(group.get("params", []))
        if params.size and params.dtype.kind not in "iu":
            fail(
                f'"{where}.param_groups.{number}.params" must be parameter positions (whole '
                f"numbers), got {shown(group.get('params'))}"
            )
    for key in optimizer.get("state", {}):
        if not str(key).isdigit():
            fail(f'"{where}.state" must be keyed by parameter positions ("0", "1", ...), got {key}')


def _check_gpt_groups(optimizer: dict, fail: Callable[[str], NoReturn]) -> None:
    """nanoGPT's two groups differ only in weight decay: group 1 (biases and LayerNorm
    parameters) has none, and every other hyperparameter of group 0 (which resume checks
    against config.json)."""
    first, second = optimizer["param_groups"]["0"], optimizer["param_groups"]["1"]
    where = f'"optimizers.{GPT_OPTIMIZER}.param_groups.1'
    decay = second.get("weight_decay")
    if not (isinstance(decay, (int, float, np.number)) and decay == 0):
        fail(
            f'{where}.weight_decay" must be 0: the group of biases and LayerNorm parameters has '
            f"no weight decay, got {shown(decay)}"
        )
    for key, value in first.items():
        if key not in ("params", "weight_decay") and not np.array_equal(
            np.asarray(value), np.asarray(second.get(key))
        ):
            fail(
                f'{where}.{key}" is {shown(second.get(key))}, and group 0\'s {shown(value)}: '
                "the two groups differ only in weight decay"
            )


def check_checkpoint(state: Any, file: str, model: str = "mlp") -> dict[str, Any]:
    """Check that a loaded checkpoint holds what ``minitorch train`` saves, with the right types.

    ``model`` is the run's model (its config.json says which): a GPT run's checkpoint counts
    iterations and holds one AdamW with nanoGPT's two parameter groups (a run made before
    parameter groups holds two AdamW, returned merged as the one's: see
    :func:`~._setup.merged_gpt_optimizers`); an MLP's or a CNN's counts epochs.
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
    fail = failing(file, "the file is damaged: restore it from a copy, or start a new run")
    if model in RNN_MODELS:
        check_section(state, "", GPT_CHECKPOINT_FIELDS, fail, CHAR_RNN_CHECKPOINT_OPTIONAL)
        check_section(state["progress"], "progress", GPT_PROGRESS_RULES, fail)
        check_section(state["random"], "random", GPT_RANDOM_RULES, fail)
        saved = {GPT_OPTIMIZER: Table("values and dicts", dicts_inside=True)}
        check_section(state["optimizers"], "optimizers", saved, fail)
        where = f"optimizers.{GPT_OPTIMIZER}"
        _check_optimizer(state["optimizers"][GPT_OPTIMIZER], where, fail)
        _check_groups(state["optimizers"][GPT_OPTIMIZER], where, LANGUAGE_MODELS[model].groups,
                      fail)
        return _check_lm_history(state, fail)
    if model == "gpt":
        check_section(state, "", GPT_CHECKPOINT_FIELDS, fail)
        check_section(state["progress"], "progress", GPT_PROGRESS_RULES, fail)
        check_section(state["random"], "random", GPT_RANDOM_RULES, fail)
        optimizers = state["optimizers"]
        old = isinstance(optimizers, dict) and set(optimizers) == set(OLD_GPT_OPTIMIZERS)
        names = OLD_GPT_OPTIMIZERS if old else (GPT_OPTIMIZER,)
        optimizer_rules: dict[str, Rule | None] = {
            name: Table("values and dicts", dicts_inside=True) for name in names
        }
        check_section(optimizers, "optimizers", optimizer_rules, fail)
        for name in names:
            _check_optimizer(optimizers[name], f"optimizers.{name}", fail)
            _check_groups(optimizers[name], f"optimizers.{name}", 1 if old else 2, fail)
        if old:  # a run made before parameter groups: its two AdamW as the one's two groups
            state = {**state, "optimizers": merged_gpt_optimizers(optimizers)}
        _check_gpt_groups(state["optimizers"][GPT_OPTIMIZER], fail)
        return _check_lm_history(state, fail)
    check_section(state, "", CHECKPOINT_FIELDS, fail, CHECKPOINT_OPTIONAL)
    check_section(state["progress"], "progress", PROGRESS_RULES, fail)
    check_section(state["random"], "random", RANDOM_RULES, fail)
    _check_optimizer(state["optimizer"], "optimizer", fail)
    recorded = np.atleast_1d(state["history"].get("epoch", np.zeros(0))).size
    if recorded != state["epoch"]:
        fail(f"it records {state['epoch']} epochs but the metrics of {recorded}")
    return state


def _check_lm_history(state: dict[str, Any], fail: Callable[[str], NoReturn]) -> dict[str, Any]:
    """A language model's metrics: numbers, columns of one length, iterations that rise to the
    checkpoint's, the steps since the last evaluation."""
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
    if marks.size and (np.any(np.diff(marks) <= 0) or marks[-1] > done or marks[0] < 0):
        listed = [int(mark) if mark.is_integer() else mark for mark in marks.tolist()]
        fail(f"its metrics' iterations {listed} do not rise up to {done}")
    last = int(marks[-1]) if marks.size else 0
    if steps != done - last:
        fail(
            f"it is at iteration {done}, {steps} iterations after its last evaluation "
            f"(at iteration {last}), which should be {done - last}"
        )
    return state
