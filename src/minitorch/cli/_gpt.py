"""``minitorch train --model gpt | lstm | gru | rnn``: a language model's loop, by iterations.

A language model's run trains on windows of a text, one batch per iteration, not on epochs
of samples. Two kinds of model train through the one loop here; what differs between them
(the model built, its optimizer, how it is described) is
:data:`~minitorch.cli._setup.LANGUAGE_MODELS`, and where a run keeps its numbers is the schema's
(:func:`~minitorch.cli._config.lm_settings`):

* ``--model gpt``: nanoGPT's CPU recipe for Shakespeare's characters (see
  :data:`~minitorch.cli._config.SETTINGS`): a GPT of 4 layers, 4 heads and 128 features over
  64 characters of context, its embedding tied to its head, no biases (nanoGPT's train.py;
  ``--bias`` for GPT-2's) and nanoGPT's initialisation; batches of 12 windows; AdamW at 1e-3
  with betas (0.9, 0.99), weight decay 0.1 on the matrices only (nanoGPT's two parameter
  groups of one AdamW), 100 iterations of warm-up and a cosine decay to 1e-4 at the last of
  2,000 iterations; gradients clipped to a norm of 1.
* ``--model lstm`` (``gru``, ``rnn``): char-rnn's character model
  :class:`minitorch.models.CharRNN` with :data:`minitorch.models.CHAR_RNN_RECIPE`, which
  config.json records as ``"recipe"`` (its ``to_dict()``, with the options given): batches of
  32 random windows of 64 characters, each read from a zero state; one AdamW at 2e-3 on every
  parameter; the same warm-up and cosine, to 2e-4. ``--bptt stateful`` reads the text as
  ``batch_size`` parallel streams instead, chunk after chunk, carrying the state from one batch
  to the next (truncated BPTT: :class:`minitorch.training.TextStreams`).

At iteration 0 (before training, as nanoGPT's loop), every ``eval_interval`` iterations and
after the last, the validation loss is measured on the same fixed windows of the validation
split (``eval_batches`` batches, drawn once from seed 0), a row is added to metrics.csv and a
checkpoint is written; a run shorter than its interval still has two points to draw. The row's
``train_loss`` is a running mean: the mean of the training batches' losses since the previous
evaluation, as the header of the run says; its ``lr`` is the rate of the last iteration trained.
The row of iteration 0 has neither (NaN): no batch has been trained yet.

Exact resumption
----------------
The checkpoint holds the model, the optimizer, minitorch's global generator (dropout), the
generator the batches are drawn from, the iterations trained, the totals since the last
evaluation, the metrics so far and, in a stateful run, the state the next batch starts from.
The learning rate is a function of the iteration alone. A run stopped by Ctrl-C (between two
iterations) and resumed draws the very batches an uninterrupted run would have, and ends with
the same weights and metrics, bit for bit.
"""

from __future__ import annotations

import argparse
import math
import shlex
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import __version__, generator, get_default_dtype
from .._generator_state import generator_state, set_generator_state
from .._validation import check_memory
from ..models.char_rnn import CELLS
from ..training import LM_EVALUATION_CHUNK, LMProgress, lm_loss, train_lm
from . import _distributed
from ._common import PROG, CLIError, RunMemoryError, lowered_settings
from ._config import SETTING, SETTINGS, defaults, lm_settings, recipe_defaults, set_run_value
from ._options import option_flag
from ._rules import shown
from ._run import FORMAT_VERSION, LANGUAGE_MODEL, RUN_FORMAT, RunFolder, metric_columns
from ._setup import (
    A_RUN_OF,
    LANGUAGE_MODELS,
    RNN_MODELS,
    LMTraining,
    build_lm_training,
    describe_lm_optimizer,
    load_text,
)
from ._trainer import Task

# ---------------------------------------------------------------------- configuration
#: The options of the data sets of the registry, which a bundled text takes none of.
_DATA_OPTIONS = ("data_root", "download", "samples", "noise", "classes", "data_seed")


def new_lm_config(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The configuration of a new language model's run: the options given, the model's
    recipe for the rest (nanoGPT's for a GPT, :data:`~minitorch.models.CHAR_RNN_RECIPE` for a
    CharRNN)."""
    model = args.model
    for name in _DATA_OPTIONS:
        if getattr(args, name, None) is not None:
            raise CLIError(
                f"{option_flag(name)} does not apply to --model {model} (it learns a bundled text)"
            )
    d = defaults(model)

    def value(name: str) -> Any:
        given = getattr(args, name, None)
        return d[name] if given is None else given

    iters = value("iters")
    config: dict[str, Any] = {
        "format": RUN_FORMAT,
        "version": FORMAT_VERSION,
        "minitorch_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": shlex.join([PROG, *argv]),
        "model": model,
        "dataset": value("dataset"),
    }
    if model in RNN_MODELS:
        # The recipe's fields in its own order, the options given replacing its numbers; the
        # cosine ends at the run's last iteration, as a GPT's.
        given = {s.recipe: value(s.name) for s in SETTINGS if s.recipe and model in s.models}
        recipe = {field: given[field] for field in recipe_defaults(model)}
        recipe["lr_decay_iters"] = iters
        return {**config, "recipe": recipe, "bptt": value("bptt"), "seed": value("seed")}
    return {
        **config,
        "n_layer": value("n_layer"),
        "n_head": value("n_head"),
        "n_embd": value("n_embd"),
        "block_size": value("block_size"),
        "dropout": value("dropout"),
        "tie_weights": d["tie_weights"],
        "bias": value("bias"),
        "optimizer": d["optimizer"],
        "optimizer_options": {
            "lr": value("lr"),
            "betas": list(d["betas"]),
            "weight_decay": value("weight_decay"),
        },
        "scheduler": {
            "name": "warmup_cosine",
            "warmup_iters": value("warmup_iters"),
            "decay_iters": iters,
            "min_lr": value("min_lr"),
        },
        "grad_clip": value("grad_clip"),
        "iters": iters,
        "batch_size": value("batch_size"),
        "eval_interval": value("eval_interval"),
        "eval_batches": value("eval_batches"),
        "seed": value("seed"),
    }


#: The name this function had when only a GPT trained by iterations.
new_gpt_config = new_lm_config


def check_lm_memory(config: dict[str, Any], vocab_size: int, in_config: bool = False) -> None:
    """Refuse (:class:`RunMemoryError`, one line from the command line) a run whose batches
    or evaluations could never fit in this machine's memory, before anything is allocated.

    Each of the largest arrays a run makes is checked alone (through
    :func:`~minitorch._validation.check_memory`), naming the settings that make it smaller
    (options, or config.json's keys if ``in_config``): the fixed evaluation windows (inputs and
    targets, int64), a training batch's logits and what the model keeps for its backward (the
    attention weights of every GPT block; the gates of every recurrent layer), and the logits
    of an evaluation, which puts ``LM_EVALUATION_CHUNK`` batches through the model at once (a
    GPT's attention weights too). A run refused here cannot train; one accepted may still run
    out with all of them together (NumPy's error, then, is one line too). The parameters are
    checked by the layers.
    """
    model = config["model"]
    s = lm_settings(config)
    batch, block, windows = s.batch_size, s.block_size, s.eval_batches
    evaluated = min(windows, LM_EVALUATION_CHUNK) * batch  # windows through the model at once
    dtype = get_default_dtype()
    chunk = f"({LM_EVALUATION_CHUNK} batches at once)"
    arrays = [
        ("the fixed evaluation windows (inputs and targets)", (2, windows, batch, block),
         np.int64, ("eval_batches", "batch_size")),
        ("a training batch's logits", (batch, block, vocab_size), dtype,
         ("batch_size", "block_size")),
        (f"an evaluation's logits {chunk}", (evaluated, block, vocab_size), dtype,
         ("batch_size", "block_size")),
    ]  # fmt: skip
    if model in RNN_MODELS:
        recipe = config["recipe"]
        layers, width = recipe["num_layers"], CELLS[model].gates * recipe["hidden_size"]
        arrays.append(
            ("the gates every recurrent layer keeps for a training batch's backward",
             (layers, batch, block, width), dtype,
             ("batch_size", "block_size", "hidden_size", "num_layers")),
        )  # fmt: skip
    else:
        heads, layers = int(config["n_head"]), int(config["n_layer"])
        arrays += [
            ("the attention weights every block keeps for a training batch's backward",
             (layers, batch, heads, block, block), dtype,
             ("batch_size", "block_size", "n_head", "n_layer")),
            (f"an evaluation's attention weights {chunk}", (evaluated, heads, block, block),
             dtype, ("batch_size", "block_size", "n_head")),
        ]  # fmt: skip
    try:
        for what, shape, kind, names in arrays:
            keys = tuple(SETTING[name].key_for(model) if in_config else name for name in names)
            check_memory(f"the {LANGUAGE_MODELS[model].title} run", what, shape, kind,
                         lowered_settings(keys, in_config))  # fmt: skip
    except MemoryError as error:
        raise RunMemoryError(str(error)) from None


#: The name this function had when only a GPT trained by iterations.
check_gpt_memory = check_lm_memory


def build_gpt_training(config: dict[str, Any], data: tuple[Any, Any] | None = None) -> LMTraining:
    """What a (checked) language model's configuration trains with, its settings read from it
    (:func:`~minitorch.cli._setup.build_lm_training`)."""
    return build_lm_training(config, lm_settings(config), data)


# ---------------------------------------------------------------------- the task
class LMTask(Task):
    """A language model on a text: one unit is the iterations up to the next evaluation, then
    the validation loss on the fixed windows."""

    length = "iters"
    columns = metric_columns(LANGUAGE_MODEL)

    def __init__(self, config: dict[str, Any], training: LMTraining) -> None:
        super().__init__(config)
        self.training = training
        self.kind = LANGUAGE_MODELS[config["model"]]
        self.settings = lm_settings(config)
        self.iters_done = 0
        self.progress = LMProgress()
        self.lr_at = self.settings.lr_at()

    # ------------------------------------------------------------------ building
    @classmethod
    def new_config(cls, args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
        return new_lm_config(args, argv)

    @classmethod
    def build(
        cls, config: dict[str, Any], download: bool = False, in_config: bool = False
    ) -> LMTask:
        """The task; ``in_config``: a memory error names config.json's keys, not options."""
        try:
            train_set, val_set = data = load_text(config)
            settings = lm_settings(config)
            # A context longer than the text: the windows' own check (in the build) says so.
            if settings.block_size < min(len(train_set), len(val_set)):
                check_lm_memory(config, train_set.vocab_size, in_config)
            return cls(config, build_lm_training(config, settings, data))
        except (ValueError, TypeError) as error:
            raise CLIError(str(error)) from None

    def planned(self) -> int:
        return self.settings.iters

    def plan(self, target: int) -> None:
        set_run_value(self.config, "iters", target)
        self.settings = lm_settings(self.config)

    def facts(self) -> dict[str, Any]:
        t = self.training
        return {
            "task": LANGUAGE_MODEL,
            "vocab_size": t.train_set.vocab_size,
            "train_characters": len(t.train_set),
            "val_characters": len(t.val_set),
            "parameters": t.model.num_parameters(),
        }

    def header(self) -> list[str]:
        t, s, config = self.training, self.settings, self.config
        windows = s.eval_batches * s.batch_size
        if t.stream is None:
            batches = f"batches of {s.batch_size} windows"
        else:
            batches = (
                f"batches of {s.batch_size} parallel streams read {s.block_size} characters at "
                f"a time, the state carried ({t.stream.chunks:,} batches a pass)"
            )
        return [
            f"data:       {config['dataset']}: {len(t.train_set):,} training and "
            f"{len(t.val_set):,} validation characters, {t.train_set.vocab_size} distinct",
            f"model:      {self.kind.describe(config, t.model)}",
            f"optimizer:  {describe_lm_optimizer(config, s)}; {batches}, {s.iters} iterations, "
            f"seed {s.seed}",
            f"evaluation: before training, then every {s.eval_interval} iterations, on "
            f"{windows:,} fixed validation windows ({s.eval_batches} batches); train "
            f"loss: the running mean of the batch losses since the previous evaluation",
        ]

    # ------------------------------------------------------------------ one interval
    @property
    def done(self) -> int:
        return self.iters_done

    def next_evaluation(self) -> int:
        """The iteration of the next evaluation: the next multiple of the interval, or the end."""
        interval, iters = self.settings.eval_interval, self.settings.iters
        start = self.iters_done - self.progress.steps  # where the current interval began
        return min((start // interval + 1) * interval, iters)

    def bar(self) -> dict[str, Any]:
        target, iters = self.next_evaluation(), self.settings.iters
        start = self.iters_done - self.progress.steps
        return {"desc": f"iterations {start + 1}-{target} of {iters}", "total": target - start,
                "done": self.progress.steps, "unit": "it"}  # fmt: skip

    def train_unit(
        self, should_stop: Callable[[], bool], on_step: Callable[[float], None] | None
    ) -> bool:
        t, s = self.training, self.settings
        target = self.next_evaluation()
        self.progress, self.iters_done = train_lm(
            t.model,
            t.train_set,
            list(t.optimizers.values()),
            batch_size=s.batch_size,
            block_size=s.block_size,
            start=self.iters_done,
            stop=target,
            lr_at=self.lr_at,
            grad_clip=s.grad_clip,
            generator=t.batch_generator,
            progress=self.progress,
            should_stop=should_stop,
            on_step=None if on_step is None else lambda step, progress, loss: on_step(loss),
            stream=t.stream,
            parallel=self.parallel,
        )
        return self.iters_done == target

    def evaluate_unit(self) -> dict[str, float]:
        started = time.perf_counter()
        val_loss = lm_loss(self.training.model, self.training.eval_batches)
        row = {
            "iter": self.iters_done,
            "train_loss": self.progress.mean_loss,
            "val_loss": val_loss,
            "lr": self.lr_at(self.iters_done),
            "seconds": self.progress.seconds + (time.perf_counter() - started),
        }
        self.progress = LMProgress()
        return row

    def evaluate_start(self) -> dict[str, float]:
        """The row of iteration 0: the untrained model's validation loss (nanoGPT's first)."""
        started = time.perf_counter()
        val_loss = lm_loss(self.training.model, self.training.eval_batches)
        return {
            "iter": 0,
            "train_loss": math.nan,  # no batch trained yet: no running mean
            "val_loss": val_loss,
            "lr": math.nan,  # no iteration trained yet
            "seconds": time.perf_counter() - started,
        }

    def row_line(self, row: dict[str, float]) -> str:
        iters = self.settings.iters
        width = len(str(iters))
        where = f"iter {int(row['iter']):>{width}}/{iters}"
        if not row["iter"]:
            return (
                f"{where}  val loss {row['val_loss']:.4f}  before training  "
                f"{row['seconds']:.2f}s"
            )
        return (
            f"{where}  train loss {row['train_loss']:.4f}  "
            f"val loss {row['val_loss']:.4f}  lr {row['lr']:.3g}  {row['seconds']:.2f}s"
        )

    # ------------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict[str, Any]:
        t = self.training
        state = {
            "iter": self.iters_done,
            "progress": self.progress.to_dict(),
            "model": t.model.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in t.optimizers.items()},
            "random": {
                "batches": generator_state(t.batch_generator),
                "global": generator_state(generator()),
            },
        }
        if t.stream is not None and t.stream.state is not None:
            carried = t.stream.state
            if not isinstance(carried, tuple):
                carried = (carried,)
            carried = _distributed.whole_batch(carried)  # under mpiexec: every process's rows
            h, c = carried if len(carried) == 2 else (carried[0], None)
            state["stream_state"] = {"h": h} if c is None else {"h": h, "c": c}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        t = self.training
        self._fresh = {n: o.state_dict()["param_groups"]["0"] for n, o in t.optimizers.items()}
        t.model.load_state_dict(state["model"])
        for name, optimizer in t.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        set_generator_state(t.batch_generator, state["random"]["batches"])
        set_generator_state(generator(), state["random"]["global"])
        self.iters_done = int(state["iter"])
        self.progress = LMProgress.from_dict(state["progress"])
        if t.stream is not None:
            t.stream.state = self._carried_state(state.get("stream_state"))
        elif "stream_state" in state:
            raise ValueError("it holds a carried state, and the run reads random windows")

    def _carried_state(self, saved: dict[str, Any] | None) -> Any:
        """A stateful run's saved state as the model takes it: h, or the LSTM's (h, c), each
        (num_layers, batch_size, hidden_size); ``None`` before the first iteration."""
        if self.iters_done == 0:
            if saved is not None:
                raise ValueError("it holds a carried state before its first iteration")
            return None
        recipe = self.config["recipe"]
        shape = (recipe["num_layers"], self.settings.batch_size, recipe["hidden_size"])
        names = ("h", "c") if self.config["model"] == "lstm" else ("h",)
        if saved is None or sorted(saved) != sorted(names):
            raise ValueError(
                f"its stream_state holds {shown(sorted(saved or {}))}, not the carried "
                f"{' and '.join(names)} of a stateful {self.kind.title} run"
            )
        arrays = []
        for name in names:
            array = np.asarray(saved[name])
            if array.shape != shape or array.dtype != get_default_dtype():
                raise ValueError(
                    f"its stream_state.{name} is {array.dtype} of shape {array.shape}, not "
                    f"{np.dtype(get_default_dtype())} of shape {shape} (num_layers, batch_size, "
                    "hidden_size)"
                )
            arrays.append(array)
        arrays = _distributed.own_rows(tuple(arrays))  # under mpiexec: this process's rows
        return arrays if len(arrays) == 2 else arrays[0]

    def check_fits(self, history: dict[str, list[float]]) -> None:
        """The optimizers' settings must be config.json's; the learning rate the schedule's."""
        done = self.iters_done
        if done > self.settings.iters:
            raise ValueError(f"it has trained {done} iterations, more than the config's iters")
        expected_lr = self.lr_at(done) if done else self.settings.lr
        for name, optimizer in self.training.optimizers.items():
            saved = optimizer.state_dict()["param_groups"]["0"]
            for key, value in self._fresh[name].items():
                if key == "lr":
                    if not math.isclose(saved[key], expected_lr, rel_tol=1e-9):
                        raise ValueError(
                            f"the {name} optimizer's lr is {saved[key]!r}, not the "
                            f"schedule's {expected_lr!r} at iteration {done}"
                        )
                elif not np.array_equal(np.asarray(saved[key]), value):
                    raise ValueError(
                        f"the {name} optimizer's {key} is {shown(saved[key])}, not {shown(value)}"
                    )

    # ------------------------------------------------------------------ where the run is
    def position_text(self, position: int) -> str:
        return f"iteration {position}" if position else "the start of training"

    def resume_where(self) -> str:
        return f"after iteration {self.iters_done}"

    def stopped_where(self) -> str:
        return f"after iteration {self.iters_done} of {self.settings.iters}"

    def summary(self, seconds: float, history: dict[str, list[float]]) -> str:
        summary = f"done: {self.iters_done} iterations ({seconds:.1f}s)"
        if history["iter"]:
            summary += f"; val loss {history['val_loss'][-1]:.4f}"
        return summary

    def next_command(self, run: str) -> str:
        return f"sample {run} --prompt 'ROMEO:'"

    def curves_title(self, run: str) -> str:
        return f"{self.kind.title} on {self.config['dataset']} ({run})"

    # ------------------------------------------------------------------ resume
    @classmethod
    def prepare_resume(
        cls, args: argparse.Namespace, run: RunFolder, config: dict[str, Any]
    ) -> bool:
        for name in ("epochs", "data_root", "download"):
            if getattr(args, name, None) is not None:
                give = " (give --iters to train further)" if name == "epochs" else ""
                raise CLIError(
                    f"{option_flag(name)} does not apply to {run}, "
                    f"{A_RUN_OF[config['model']]} run{give}"
                )
        return False

    def check_target(self, target: int, run: RunFolder) -> None:
        if target < self.iters_done:
            raise CLIError(
                f"{run} has already trained {self.iters_done} iterations; --iters must be at "
                f"least {self.iters_done}"
            )

    def finished_text(self, target: int, run: RunFolder) -> str:
        return (
            f"{run} has finished its {target} iterations; to train it further, pass a larger "
            f"--iters (e.g. --resume {run.shell} --iters {2 * target})"
        )

    def extension_note(self, target: int) -> str | None:
        s = self.settings
        if target <= s.decay_iters:
            return None
        return (
            f"note: the learning rate keeps its schedule from the start: cosine down to "
            f"{s.min_lr:g} at iteration {s.decay_iters}, then constant"
        )


#: The name the task had when only a GPT trained by iterations.
GPTTask = LMTask
