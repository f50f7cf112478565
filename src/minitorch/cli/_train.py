"""``minitorch train``: train a network, checkpoint every unit, stop cleanly on Ctrl-C, resume.

Which model trains is a :class:`~minitorch.cli._trainer.Task` (:data:`TASKS`): MLPs and CNNs
by epochs (:mod:`._epochs`), the language models (a GPT; an LSTM, GRU or RNN character model)
by iterations (:mod:`._gpt`). The run folder, the
checkpoints, Ctrl-C and resume are the one :class:`~minitorch.cli._trainer.Trainer`'s.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import _distributed
from ._common import CLIError
from ._config import ALL_MODELS, DATA, DEFAULT_MODEL, SETTINGS
from ._epochs import EpochTask
from ._gpt import LMTask
from ._options import given_options, option_flag
from ._setup import IMAGE_DATASETS, LM_MODELS, RNN_MODELS, TEXT_DATASETS
from ._trainer import Output, StopRequest, Task, resume_run, start_run

#: ``--model`` -> the task that trains it.
TASKS: dict[str, type[Task]] = {
    "mlp": EpochTask,
    "cnn": EpochTask,
    **{model: LMTask for model in LM_MODELS},
}


#: (option, the model it was given to) -> what that model takes instead, for the refusal.
_INSTEAD = {
    **{("hidden", model): " (a recurrent model's width is --hidden-size, its depth --num-layers)"
       for model in RNN_MODELS},
    **{("n_layer", model): " (a recurrent model's depth is --num-layers)" for model in RNN_MODELS},
    **{("n_embd", model): " (a recurrent model's width is --hidden-size, its embedding's "
       "--embedding-dim)" for model in RNN_MODELS},
    ("hidden_size", "gpt"): " (a GPT's width is --n-embd)",
    ("num_layers", "gpt"): " (a GPT's depth is --n-layer)",
    ("embedding_dim", "gpt"): " (a GPT's width is --n-embd)",
    **{(name, model): " (an MLP's or a CNN's layers are --hidden)"
       for name in ("hidden_size", "num_layers") for model in ("mlp", "cnn")},
}  # fmt: skip


def _instead(name: str, model: str) -> str:
    """What ``model`` takes instead of another model's option ``name``, in brackets, or ''."""
    if name == "optimizer" and model in LM_MODELS:
        if model == "gpt":
            return " (a GPT trains with AdamW, as nanoGPT)"
        return f" (--model {model} trains with AdamW, as CHAR_RNN_RECIPE)"
    return _INSTEAD.get((name, model), "")


def check_model_options(args: argparse.Namespace, model: str) -> None:
    """Refuse an option that belongs to another model, and a data set the model cannot learn.

    The data-set options are the tasks' to refuse (a GPT's text takes none of them).
    """
    for setting in SETTINGS:
        if setting.group == DATA or setting.models == ALL_MODELS or model in setting.models:
            continue
        if getattr(args, setting.name, None) is not None:
            why = _instead(setting.name, model)
            models = ", ".join(setting.models[:-1]) + " or " * (len(setting.models) > 1)
            raise CLIError(
                f"{setting.option} applies to --model {models}{setting.models[-1]}, not to "
                f"--model {model}{why}"
            )
    dataset = args.dataset
    if dataset is None:
        return
    if model in LM_MODELS and dataset not in TEXT_DATASETS:
        raise CLIError(
            f"--model {model} learns a text: --dataset {' or '.join(TEXT_DATASETS)}; {dataset} "
            "is not a text (train it with --model mlp)"
        )
    if model not in LM_MODELS and dataset in TEXT_DATASETS:
        raise CLIError(
            f"{dataset} is a text: train a language model on it with --model "
            f"{', '.join(LM_MODELS[:-1])} or {LM_MODELS[-1]}"
        )
    if model == "cnn" and dataset not in IMAGE_DATASETS:
        raise CLIError(
            f"--model cnn learns images: --dataset {', '.join(IMAGE_DATASETS)}; {dataset} is "
            "not an image data set (train it with --model mlp)"
        )


def new_config(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The configuration of a new run: the options given, the model's defaults for the others."""
    model = args.model or DEFAULT_MODEL
    check_model_options(args, model)
    return TASKS[model].new_config(args, argv)


def run_train(args: argparse.Namespace, argv: list[str]) -> int:
    """``minitorch train``: a new run, or ``--resume`` of an existing one; data-parallel when
    ``mpiexec`` started several processes (:mod:`._distributed`)."""
    _distributed.start()
    output = Output(quiet=bool(args.quiet), muted=not _distributed.is_main())
    stop = StopRequest()
    if args.resume is None:
        return start_run(args, lambda: new_config(args, argv), TASKS, output, stop)
    if args.out is not None:
        raise CLIError("--resume continues a run in its own folder; leave out --out")
    resumable = [setting.name for setting in SETTINGS if setting.resume]
    changed = [name for name in given_options(args) if name not in resumable]
    if changed:
        flags = ", ".join(option_flag(name) for name in changed)
        raise CLIError(
            f"--resume continues a run with its own settings, so {flags} cannot be given "
            "(only --epochs, or a language model's --iters, to train longer)"
        )
    return resume_run(args, TASKS, output, stop)
