"""``minitorch sample RUN``: continue a prompt with a language model's run (a GPT, an LSTM, a
GRU or an RNN) and print the text."""

from __future__ import annotations

import argparse
import sys

from .. import manual_seed
from ._common import EXIT_OK, CLIError
from ._options import SAMPLE_DEFAULTS
from ._run import RunFolder
from ._setup import A_RUN_OF, LANGUAGE_MODELS, model_of, text_split


def _character(char: str) -> str:
    """A character for a message: ``'é' (U+00E9)``, ``'\\t' (U+0009)``."""
    return f"{char!r} (U+{ord(char):04X})"


def run_sample(args: argparse.Namespace) -> int:
    """Load the run's model, seed minitorch's generator, generate, print prompt and continuation.

    The model's own ``generate``: :meth:`GPT.generate` (the last ``block_size`` characters
    each step), :meth:`CharRNN.generate` (the prompt once, then one step from the carried state).
    """
    run = RunFolder.open(args.run)
    config = run.read_config()
    model_name = model_of(config)
    if model_name not in LANGUAGE_MODELS:
        raise CLIError(
            f"{run} is {A_RUN_OF[model_name]} run on {config['dataset']}; 'minitorch sample' "
            "writes text with a language model's run (made by 'minitorch train --model gpt', "
            "or lstm, gru, rnn)"
        )
    state = run.load_checkpoint(model_name)
    settings = {
        name: SAMPLE_DEFAULTS[name] if getattr(args, name) is None else getattr(args, name)
        for name in SAMPLE_DEFAULTS
    }
    prompt = settings["prompt"]
    if not prompt:
        raise CLIError("--prompt is empty; give it at least one character (default: a new line)")
    vocab = text_split(config, train=True).vocab
    unknown = list(dict.fromkeys(char for char in prompt if char not in vocab))
    if unknown:
        shown = ", ".join(_character(char) for char in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise CLIError(
            f"--prompt has {len(unknown)} character(s) the model never saw: {shown}{more}; it "
            f"knows only the {len(vocab)} characters of {config['dataset']}: "
            f"{vocab.chars.strip()!r} (and space, new line)"
        )

    model = LANGUAGE_MODELS[model_name].build(config, len(vocab))
    try:
        model.load_state_dict(state["model"])
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise CLIError(
            f"{run.checkpoint_text} does not fit the run's config.json ({error}); restore both "
            "files from one copy of the run, or start a new run"
        ) from None

    manual_seed(int(settings["seed"]))
    try:
        ids = model.generate(
            vocab.encode(prompt)[None],
            max_new_tokens=int(settings["tokens"]),
            temperature=float(settings["temperature"]),
            top_k=int(settings["top_k"]),
        )
    except ValueError as error:  # NaN/inf logits or an overflowing temperature: nothing to print
        raise CLIError(f"{run}: {error}") from None
    sys.stdout.write(vocab.decode(ids[0]) + "\n")
    sys.stdout.flush()
    return EXIT_OK
