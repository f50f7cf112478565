"""--resume past the end of a schedule that has one (cosine, linear) is refused, saying why."""

from __future__ import annotations

import pytest

from minitorch.cli import main


@pytest.mark.parametrize("scheduler", ["cosine", "linear"])
def test_resume_beyond_the_end_of_the_schedule_is_refused(scheduler, tmp_path, capsys):
    run = tmp_path / "run"
    base = ["train", "--dataset", "xor", "--hidden", "4", "--scheduler", scheduler, "--quiet"]
    assert main([*base, "--epochs", "2", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--epochs", "4"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert f"{scheduler} schedule ends at epoch 2" in error
    assert f"start a new run with --scheduler {scheduler} --epochs 4" in error
    assert main(["train", "--resume", str(run)]) == 0  # finished: says so, exits cleanly
    assert "schedule has ended" in capsys.readouterr().out


def test_resume_of_a_schedule_without_an_end_may_go_further(tmp_path):
    run = tmp_path / "run"
    base = ["train", "--dataset", "xor", "--hidden", "4", "--scheduler", "step", "--quiet"]
    assert main([*base, "--epochs", "2", "--out", str(run)]) == 0
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet"]) == 0
