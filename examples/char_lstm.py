"""A character-level LSTM on Tiny Shakespeare, the training loop written out, and what its cells do.

    python examples/char_lstm.py [--iters 600] [--cell lstm] [--out runs/char_lstm]

The model is ``minitorch.models.CharRNN``: Embedding(65, 64) -> a 2-layer LSTM of 256 ->
Linear(256, 65), and the recipe is ``minitorch.models.CHAR_RNN_RECIPE`` (batches of 32 random
windows of 64 characters, AdamW 2e-3 with warm-up and a cosine, clipping at 1.0), shortened to
``--iters`` iterations: the cosine reaches its floor at the last one. The full recipe (2,000
iterations) reaches a validation loss of about 1.6; the default 600 about 1.8, about four
minutes of one CPU core, enough for text with Shakespeare's layout (speakers' names in
capitals, short lines, mostly real words). ``OPENBLAS_NUM_THREADS=1`` on a busy machine.

It writes to DIR (``--out DIR``, default runs/char_lstm): ``model.npz`` (the state_dict),
``losses.csv`` (training and validation loss at every evaluation), ``sample.txt`` (text
generated at the end) and ``char_lstm_cells.png``, the figure of Karpathy's "The Unreasonable
Effectiveness of Recurrent Neural Networks": a passage of validation text, each character's
background coloured by one cell's activation as the model read it (blue −1, white 0, red +1),
for a few cells. The cells are chosen from the 2 × 256 (``tanh(c)``, the LSTM's cell state
squashed, of both layers; the output h for a GRU or RNN) by their correlation, over 8,000
characters, with a property of the text: the position in the line, being inside a
speaker's name, being at the end of a word, and the cell of largest variance. The README's
docs/char_lstm_cells.png was made with the defaults and ``--out docs``.
"""

import argparse
import csv
import dataclasses
import time
from pathlib import Path

import numpy as np

import minitorch
from minitorch import nn, optim
from minitorch.datasets import TinyShakespeare
from minitorch.models import CHAR_RNN_RECIPE, CharRNN

R = CHAR_RNN_RECIPE


def evaluate(model: CharRNN, windows: list, loss_fn) -> float:
    """The mean loss over fixed validation windows, in evaluation mode, without caches."""
    model.eval()
    with minitorch.no_grad():
        V = model.vocab_size
        losses = [float(loss_fn(model(x).reshape(-1, V), y.reshape(-1))) for x, y in windows]
    model.train()
    return float(np.mean(losses))


def train(args) -> tuple[CharRNN, list[dict]]:
    """The recipe's loop: batch, forward, loss, backward, clip, step, schedule, evaluate."""
    train_text, val_text = TinyShakespeare(train=True), TinyShakespeare(train=False)
    V = train_text.vocab_size
    minitorch.manual_seed(args.seed)
    model = CharRNN(V, R.embedding_dim, args.hidden, args.layers, args.cell)
    optimizer = optim.AdamW(model, lr=args.lr, betas=R.betas, weight_decay=R.weight_decay)
    scheduler = optim.lr_scheduler.WarmupCosineLR(
        optimizer, min(R.warmup_iters, args.iters - 1), args.iters - 1, args.min_lr
    )
    loss_fn = nn.CrossEntropyLoss()
    windows = val_text.eval_batches(args.eval_batches, args.batch_size, args.block_size)
    rows, recent, start = [], [], time.perf_counter()
    for it in range(1, args.iters + 1):
        # one batch: random windows of the training text, each read from a zero state
        x, y = train_text.get_batch(args.batch_size, args.block_size)
        optimizer.zero_grad()
        logits = model(x)  # (N, T, V)
        loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))  # every position predicts
        model.backward(loss_fn.backward().reshape(logits.shape))  # through time
        nn.utils.clip_grad_norm_(model, args.grad_clip)
        optimizer.step()
        scheduler.step()
        recent.append(float(loss))
        if it % args.eval_interval == 0 or it == args.iters:
            row = {
                "iteration": it,
                "train_loss": float(np.mean(recent)),
                "val_loss": evaluate(model, windows, loss_fn),
                "seconds": time.perf_counter() - start,
            }
            rows.append(row)
            recent = []
            print(
                f"iteration {it:5d}: train loss {row['train_loss']:.3f}, val loss "
                f"{row['val_loss']:.3f} ({row['seconds']:.0f} s)",
                flush=True,
            )
    return model, rows


# ---------------------------------------------------------------------- what the cells do
def activations(model: CharRNN, ids: np.ndarray) -> np.ndarray:
    """Every cell's value at every character (T, cells), read from a zero state.

    The LSTM's cache keeps every step's tanh(c) (``F.LSTMCache.tanh_cs``, one per layer): the
    cells of Karpathy's figure. A GRU or RNN has no c: the last layer's output h.
    """
    model.eval()
    logits = model(ids[None])  # a training-mode forward: the caches are kept
    if model.cell == "lstm":
        values = np.concatenate([c.tanh_cs[0] for c in model.rnn.cache.layers], axis=1)
    else:
        values = model.rnn.cache.layers[-1].hs[0]
    model.train()
    del logits
    return values


def text_features(text: str) -> dict[str, np.ndarray]:
    """Properties of every character a cell might track, as float arrays (T,)."""
    chars = np.array(list(text))
    newline = chars == "\n"
    line = np.cumsum(newline) - newline  # each character's line number (a newline ends it)
    starts = np.flatnonzero(np.r_[True, newline[:-1]])
    column = np.arange(len(text)) - starts[line]
    lines = text.split("\n")
    is_name = np.array([ln.endswith(":") and ln[:-1].replace(" ", "").isupper() for ln in lines])
    letter = np.char.isalpha(chars)
    word_end = letter & ~np.r_[letter[1:], False]
    return {
        "the position in the line": column.astype(float),
        "inside a speaker's name": is_name[line].astype(float),
        "the end of a word": word_end.astype(float),
    }


def interesting_cells(values: np.ndarray, text: str) -> list[tuple[int, str]]:
    """One cell per property (the most correlated, each cell once), then the most variable."""
    chosen = []
    z = (values - values.mean(0)) / (values.std(0) + 1e-8)
    for name, feature in text_features(text).items():
        f = (feature - feature.mean()) / (feature.std() + 1e-8)
        corr = z.T @ f / len(f)
        for cell in np.argsort(-np.abs(corr)):
            if cell not in [c for c, _ in chosen]:
                chosen.append((int(cell), f"{name} (r = {corr[cell]:+.2f})"))
                break
    for cell in np.argsort(-values.var(0)):
        if cell not in [c for c, _ in chosen]:
            chosen.append((int(cell), f"the largest variance ({values[:, cell].var():.2f})"))
            break
    return chosen


def plot_cells(model: CharRNN, vocab, val_ids: np.ndarray, path: Path, width: int = 80) -> None:
    """Karpathy's figure: a passage, each character on its cell's colour, one panel a cell."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    survey = val_ids[:8000]
    cells = interesting_cells(activations(model, survey), vocab.decode(survey))
    # The passage: 12 lines from the start of a speech, after 300 characters of warm-up.
    text = vocab.decode(val_ids[8000:12000])
    begin = text.index("\n\n", 300) + 2
    end = begin
    for _ in range(12):
        end = text.index("\n", end) + 1
    values = activations(model, val_ids[8000 : 8000 + end])[begin:end]
    passage = text[begin:end]
    rows, row, col = [], 0, 0  # each character's (row, column), lines wrapped at width
    for ch in passage:
        rows.append((row, col))
        col += 1
        if ch == "\n" or col == width:
            row, col = row + 1, 0
    n_rows = row + (col > 0)
    cmap = colormaps["bwr"]
    width = min(width, max(c for _, c in rows) + 1)  # as wide as the longest line
    fig = Figure(
        figsize=(width * 0.12 + 0.3, len(cells) * (n_rows * 0.2 + 0.4) + 0.4),
        layout="constrained",
    )
    axes = fig.subplots(len(cells), 1, squeeze=False)[:, 0]
    kind = "tanh(c)" if model.cell == "lstm" else "h"
    for ax, (cell, why) in zip(axes, cells, strict=True):
        layer, unit = divmod(cell, model.hidden_size)
        for (r, c), ch, v in zip(rows, passage, values[:, cell], strict=True):
            ax.add_patch(Rectangle((c, -r - 1), 1, 1, color=cmap((v + 1) / 2), lw=0))
            shown = "↵" if ch == "\n" else ch
            ink = "white" if abs(v) > 0.6 else "black"  # readable on deep blue and red
            ax.text(c + 0.5, -r - 0.5, shown, ha="center", va="center", family="monospace",
                    fontsize=8, color="0.45" if ch == "\n" else ink)  # fmt: skip
        ax.set(xlim=(0, width), ylim=(-n_rows, 0), xticks=[], yticks=[])
        for spine in ax.spines.values():
            spine.set_visible(False)
        where = f"layer {layer + 1}, cell {unit}" if model.cell == "lstm" else f"cell {unit}"
        ax.set_title(f"{kind}, {where}: {why}", loc="left", fontsize=9)
    fig.suptitle(
        f"What the cells of a character {model.cell.upper()} track, over validation text\n"
        "(each character on its cell's value: blue −1, white 0, red +1)",
        fontsize=10,
    )
    fig.savefig(path, dpi=110)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--iters", type=int, default=600, help="training iterations")
    parser.add_argument(
        "--cell", choices=("lstm", "gru", "rnn"), default=R.cell, help="the recurrent layer"
    )
    parser.add_argument("--hidden", type=int, default=R.hidden_size, help="H, the state's size")
    parser.add_argument("--layers", type=int, default=R.num_layers, help="recurrent layers")
    parser.add_argument("--batch-size", type=int, default=R.batch_size, help="windows a batch")
    parser.add_argument("--block-size", type=int, default=R.block_size, help="characters each")
    parser.add_argument("--lr", type=float, default=R.lr, help="AdamW's peak learning rate")
    parser.add_argument("--min-lr", type=float, default=R.min_lr, help="the cosine's floor")
    parser.add_argument("--grad-clip", type=float, default=R.grad_clip, help="max grad norm")
    parser.add_argument("--eval-interval", type=int, default=100, help="iterations between")
    parser.add_argument("--eval-batches", type=int, default=50, help="validation batches")
    parser.add_argument("--sample-chars", type=int, default=600, help="characters generated")
    parser.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    parser.add_argument("--seed", type=int, default=0, help="seed of minitorch.manual_seed")
    parser.add_argument(
        "--out", metavar="DIR", default="runs/char_lstm",
        help="folder for model.npz, losses.csv, sample.txt, char_lstm_cells.png",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.iters < 1:
        parser.error(f"--iters must be at least 1, got {args.iters}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model, rows = train(args)
    minitorch.save(model.state_dict(), out / "model.npz")
    with open(out / "losses.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    val = TinyShakespeare(train=False)
    prompt = val.vocab.encode("ROMEO:\n")
    minitorch.manual_seed(args.seed)
    ids = model.generate(prompt[None], args.sample_chars, temperature=args.temperature)
    sample = val.vocab.decode(ids[0])
    (out / "sample.txt").write_text(sample + "\n")
    print(f"\n--- a sample at temperature {args.temperature} ---\n{sample}\n---")

    figure = out / "char_lstm_cells.png"
    plot_cells(model, val.vocab, val.data, figure)
    print(f"wrote {out / 'model.npz'}, losses.csv, sample.txt and {figure}")
    return {"rows": rows, "sample": sample, "recipe": dataclasses.asdict(R)}


if __name__ == "__main__":
    main()
