"""The trainer's nanoGPT recipe (``minitorch train --model gpt``) as nanoGPT's train.py has it:
no biases by default (``--bias`` for GPT-2's layout), one AdamW with two parameter groups; and
the runs made before both (biases, two AdamW) still resume, bit for bit."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch.cli import main
from minitorch.cli._setup import merged_gpt_optimizers
from test_cli import read_metrics

TINY_GPT = [
    "--model", "gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "16",
    "--batch-size", "4", "--eval-batches", "3", "--warmup-iters", "3", "--eval-interval", "3",
    "--quiet",
]  # fmt: skip


def train(*args: str) -> int:
    return main(["train", *args])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def bias_run(tmp_path_factory) -> Path:
    """A tiny GPT run with GPT-2's biases, 6 iterations (the tests lengthen copies to 9)."""
    run = tmp_path_factory.mktemp("bias") / "run"
    assert train(*TINY_GPT, "--bias", "--iters", "6", "--out", str(run)) == 0
    return run


def as_old_run(run: Path) -> None:
    """Turn a run into one made before ``bias`` and parameter groups: config.json without
    "bias" (such runs had biases), the checkpoint's one AdamW split into the two it held."""
    config = json.loads((run / "config.json").read_text())
    assert config.pop("bias") is True
    (run / "config.json").write_text(json.dumps(config))
    state = minitorch.load(run / "checkpoint.npz")
    one = state["optimizers"].pop("adamw")
    groups = one["param_groups"]
    shift = len(np.atleast_1d(groups["0"]["params"]))
    for name, number in (("decay", "0"), ("no_decay", "1")):
        group = dict(groups[number])
        positions = np.atleast_1d(group["params"]).astype(int) - (shift if number == "1" else 0)
        group["params"] = positions.tolist()
        entries = {str(int(k) - (shift if number == "1" else 0)): v for k, v in
                   one["state"].items() if (int(k) >= shift) == (number == "1")}  # fmt: skip
        state["optimizers"][name] = {"optimizer": "AdamW", "param_groups": {"0": group},
                                     "state": entries}  # fmt: skip
    assert merged_gpt_optimizers(state["optimizers"])["adamw"]["param_groups"].keys() == {"0", "1"}
    minitorch.save(state, run / "checkpoint.npz")


def test_the_recipe_has_no_biases_and_one_adamw_of_two_groups(tmp_path, capsys):
    run = tmp_path / "run"
    assert train(*TINY_GPT[:-1], "--iters", "4", "--out", str(run)) == 0
    header = capsys.readouterr().out
    assert "tied embedding and head, no biases, 4,416 parameters" in header
    config = json.loads((run / "config.json").read_text())
    assert config["bias"] is False
    state = minitorch.load(run / "checkpoint.npz")
    assert not [k for k in state["model"] if k.endswith((".b", ".beta"))]
    (only,) = state["optimizers"].values()
    groups = only["param_groups"]
    assert [groups[g]["weight_decay"] for g in ("0", "1")] == [0.1, 0.0]
    names = [n for n in state["model"]]
    assert len(np.atleast_1d(groups["1"]["params"])) == sum(n.endswith(".gamma") for n in names)


def test_bias_gives_gpt2s_layout_and_is_a_gpt_option(bias_run, tmp_path, capsys):
    config = json.loads((bias_run / "config.json").read_text())
    assert config["bias"] is True
    assert "ln_f.beta" in minitorch.load(bias_run / "checkpoint.npz")["model"]
    assert train("--bias", "--out", str(tmp_path / "mlp")) == 2
    assert "--bias applies to --model gpt, not to --model mlp" in one_error_line(capsys)


def test_a_run_made_before_bias_and_parameter_groups_resumes_bit_for_bit(bias_run, tmp_path):
    new, old = tmp_path / "new", tmp_path / "old"
    shutil.copytree(bias_run, new)
    shutil.copytree(bias_run, old)
    as_old_run(old)
    for run in (new, old):
        assert train("--resume", str(run), "--iters", "9", "--quiet") == 0
    assert read_metrics(old) == read_metrics(new)
    ours, theirs = (minitorch.load(run / "checkpoint.npz") for run in (old, new))
    for key, value in theirs["model"].items():
        np.testing.assert_array_equal(ours["model"][key], value, err_msg=key)
    assert list(ours["optimizers"]) == ["adamw"]  # written back in the one-AdamW layout
    assert "bias" not in json.loads((old / "config.json").read_text())  # left as it was
    assert main(["evaluate", str(old)]) == 0


def _old_groups(change):
    def damage(run: Path) -> None:
        as_old_run(run)
        state = minitorch.load(run / "checkpoint.npz")
        change(state["optimizers"])
        minitorch.save(state, run / "checkpoint.npz")

    return damage


def _config(change):
    def damage(run: Path) -> None:
        config = json.loads((run / "config.json").read_text())
        change(config)
        (run / "config.json").write_text(json.dumps(config))

    return damage


#: A damaged run of the new settings -> the one line it gets.
DAMAGED = {
    "bias a number": (_config(lambda c: c.update(bias=1)), '"bias" must be true or false, got 1'),
    "bias off for a run with biases": (
        _config(lambda c: c.update(bias=False)),
        "does not fit the run's config.json",
    ),
    "an old optimizer of two groups": (
        _old_groups(lambda o: o["decay"]["param_groups"].update({"1": {}})),
        '"optimizers.decay.param_groups" must hold the parameter groups "0", got',
    ),
    "old positions that are not numbers": (
        _old_groups(lambda o: o["no_decay"]["param_groups"]["0"].update(params=["a"])),
        '"optimizers.no_decay.param_groups.0.params" must be parameter positions',
    ),
    "old state keys that are not positions": (
        _old_groups(lambda o: o["no_decay"]["state"].update(x={})),
        '"optimizers.no_decay.state" must be keyed by parameter positions ("0", "1", ...), got x',
    ),
    "old weight decay on the biases": (
        _old_groups(lambda o: o["no_decay"]["param_groups"]["0"].update(weight_decay=0.1)),
        '"optimizers.adamw.param_groups.1.weight_decay" must be 0',
    ),
    "one old optimizer missing": (
        _old_groups(lambda o: o.pop("no_decay")),
        'unknown setting "optimizers.decay"',
    ),
}


@pytest.mark.parametrize(("damage", "phrase"), list(DAMAGED.values()), ids=list(DAMAGED))
def test_damaged_settings_of_the_new_recipe_get_one_line(damage, phrase, bias_run, tmp_path,
                                                         capsys):  # fmt: skip
    run = tmp_path / "run"
    shutil.copytree(bias_run, run)
    damage(run)
    assert train("--resume", str(run), "--iters", "9") == 2
    line = one_error_line(capsys)
    assert phrase in line, line


# ---------------------------------------------------------------------- the whole recipe
@pytest.mark.slow
def test_the_torch_copy_of_the_recipe_reaches_the_same_validation_loss():
    """PyTorch trains nanoGPT's model with the trainer's recipe (same first weights, batches,
    groups, schedule, clipping, evaluation windows): the loss the slow recipe test anchors
    (``tests/test_cli_models.py``), 1.92 at most after 2,000 iterations (minutes: -m slow)."""
    pytest.importorskip("torch")
    sys.path.insert(0, str(Path(__file__).parent))
    import nanogpt_recipe_torch

    rows = nanogpt_recipe_torch.run(bias=False, iters=2000, quiet=True)
    assert [step for step, _ in rows] == list(range(0, 2001, 250))
    assert rows[-1][1] <= 1.92
