"""``mpiexec -n 2 minitorch train``: the trainer data-parallel, against one process.

Each model trains a tiny run twice, in one process and in two (``mpiexec -n 2``, one BLAS
thread each), with the same global batch; the metrics and the final weights must agree.

Tolerance: float32 throughout (the trainer's default dtype). Two processes compute each
share's gradient and add the two shares in the all-reduce, one process sums the whole batch
in one pass: the same numbers summed in another order, so every gradient differs by a few
units in the last place (~1e-7 relative), and a few steps of training carry that forward
without amplifying it much. Weights: ≤ 1e-5 absolute (the issue's float32 bound); losses
≤ 1e-5 relative; accuracies: the same count of correct samples. The CNN trains with SGD: its
convolution biases before BatchNorm have a gradient of exactly 0 in exact arithmetic, and Adam
divides their rounding noise by its own size, a full step of lr in a random direction, in one
process as in two (measured under Adam: those biases and the running means that follow them
differ by ~1e-2 after 45 steps, every other array agrees to 1e-7).

Every test but the last two is skipped without mpi4py and mpiexec (``pip install -e ".[mpi]"``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minitorch
from minitorch.cli._run import ARTEFACTS
from mpi_launch import MPIEXEC, needs_mpi

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}

TINY_LM = ["--block-size", "16", "--batch-size", "4", "--iters", "6", "--eval-interval", "3",
           "--eval-batches", "2", "--warmup-iters", "2"]
#: model -> a tiny run. The MLP's 801 training points in batches of 64 end with a batch of 33,
#: which two processes share out 17 + 16 (the weighted gradients of GlobalBatch).
RUNS = {
    "mlp": ["--dataset", "moons", "--samples", "1001", "--hidden", "32", "--epochs", "2",
            "--batch-size", "64"],
    "cnn": ["--model", "cnn", "--dataset", "digits", "--batch-norm", "--channels", "4", "8",
            "--hidden", "16", "--epochs", "1", "--batch-size", "32", "--optimizer", "sgd",
            "--lr", "0.05"],
    "gpt": ["--model", "gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "32", *TINY_LM],
    "lstm": ["--model", "lstm", "--hidden-size", "32", "--num-layers", "1",
             "--embedding-dim", "16", *TINY_LM],
}  # fmt: skip
STATEFUL = ["--model", "lstm", "--hidden-size", "32", "--num-layers", "1", "--embedding-dim",
            "16", "--bptt", "stateful", *TINY_LM]
WEIGHT_TOL, LOSS_RTOL = 1e-5, 1e-5


def with_option(args: list[str], flag: str, value: str) -> list[str]:
    """``args`` with the value after ``flag`` replaced."""
    at = args.index(flag) + 1
    return [*args[:at], value, *args[at + 1 :]]


def command(n: int, *args: str, quiet: bool = True) -> list[str]:
    train = [sys.executable, "-m", "minitorch", "train", *(["--quiet"] * quiet), *args]
    return train if n == 1 else [MPIEXEC, "-n", str(n), *train]


def train(n: int, cwd: Path, *args: str, quiet: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command(n, *args, quiet=quiet), capture_output=True, text=True,
                          timeout=120, env=ENV, cwd=cwd)


def metrics(run: Path) -> list[dict[str, float]]:
    lines = (run / "metrics.csv").read_text().splitlines()
    names = lines[0].split(",")
    return [dict(zip(names, map(float, line.split(",")), strict=True)) for line in lines[1:]]


def weights(run: Path) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64)
            for k, v in minitorch.load(run / "checkpoint.npz")["model"].items()}


def assert_same_run(one: Path, other: Path) -> None:
    """Metrics and weights of two runs equal up to float32 summation order (module doc)."""
    rows, others = metrics(one), metrics(other)
    assert len(rows) == len(others) > 0
    for row, theirs in zip(rows, others, strict=True):
        assert row.keys() == theirs.keys()
        for name, value in row.items():
            if name.endswith("accuracy"):
                assert value == theirs[name], (name, row, theirs)
            else:
                np.testing.assert_allclose(theirs[name], value, rtol=LOSS_RTOL, err_msg=name)
    mine, yours = weights(one), weights(other)
    assert mine.keys() == yours.keys()
    for name, array in mine.items():
        np.testing.assert_allclose(yours[name], array, rtol=0, atol=WEIGHT_TOL, err_msg=name)


def without_times(text: str) -> list[str]:
    return [re.sub(r"\d+\.\d+s", "Ts", line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """The one-process runs, made once: model -> (run folder, the finished command)."""
    made = {}
    for model, args in RUNS.items():
        cwd = tmp_path_factory.mktemp(f"one-{model}")
        result = train(1, cwd, *args, "--out", "run", quiet=False)
        assert result.returncode == 0, result.stderr
        made[model] = cwd / "run", result
    return made


@needs_mpi
@pytest.mark.parametrize("model", list(RUNS))
def test_two_processes_train_the_one_process_run(model, single, tmp_path):
    one, alone = single[model]
    result = train(2, tmp_path, *RUNS[model], "--out", "run", quiet=False)
    assert result.returncode == 0, result.stderr
    assert_same_run(one, tmp_path / "run")
    # Rank 0 alone writes and prints: the run's files, nothing else, each line once.
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(ARTEFACTS)
    assert result.stderr == ""
    lines, theirs = without_times(result.stdout), without_times(alone.stdout)
    parallel = [line for line in lines if line.startswith("parallel:")]
    assert len(parallel) == 1 and "2 processes (mpiexec), " in parallel[0]
    assert [line for line in lines if line not in parallel] == theirs


@needs_mpi
@pytest.mark.parametrize(("first", "then"), [(2, 1), (1, 2)])
def test_resume_with_another_number_of_processes(first, then, single, tmp_path):
    """Half of the MLP run with ``first`` processes, the rest with ``then``: the run of one
    process that was never stopped."""
    args = RUNS["mlp"]
    half = with_option(args, "--epochs", "1")
    assert train(first, tmp_path, *half, "--out", "run").returncode == 0
    result = train(then, tmp_path, "--resume", "run", "--epochs", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("resuming run after epoch 1") == 1
    assert_same_run(single["mlp"][0], tmp_path / "run")


@needs_mpi
def test_a_stateful_run_resumes_on_one_process_from_two(tmp_path):
    """The carried state is gathered from both processes' rows into the checkpoint and cut
    again on resume: 2 processes to iteration 3, then 1 to 6, against 1 process to 3, then 1
    to 6 (the same schedule, that of --iters 3 extended)."""
    args = with_option(STATEFUL, "--iters", "3")
    for n, folder in [(1, "alone"), (2, "shared")]:
        assert train(n, tmp_path, *args, "--out", folder).returncode == 0
    saved = minitorch.load(tmp_path / "shared" / "checkpoint.npz")
    assert saved["stream_state"]["h"].shape == (1, 4, 32)  # all 4 streams, not 2
    for folder in ("alone", "shared"):
        result = train(1, tmp_path, "--resume", folder, "--iters", "6")
        assert result.returncode == 0, result.stderr
    assert_same_run(tmp_path / "alone", tmp_path / "shared")


@needs_mpi
def test_a_batch_the_processes_do_not_share_evenly_is_refused(tmp_path):
    result = train(2, tmp_path, "--dataset", "digits", "--batch-size", "33", "--epochs", "1",
                   "--out", "run")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "minitorch: error: --batch-size 33 does not split evenly over the 2 processes of "
        "mpiexec (the global batch is shared out, 33/2 each); use a multiple of 2"
    ]
    result = train(2, tmp_path, "--dataset", "moons", "--samples", "101", "--batch-size", "4",
                   "--epochs", "1", "--out", "run")  # 81 training points: 20 batches and 1
    assert result.returncode == 2
    assert "the last batch of every epoch holds 1 sample(s)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing was written


# ---------------------------------------------------------------------- Ctrl-C, a dead rank
LONG_GPT = ["--model", "gpt", "--n-layer", "1", "--n-head", "2", "--n-embd", "32",
            "--block-size", "16", "--batch-size", "4", "--iters", "100000",
            "--eval-interval", "40", "--eval-batches", "2", "--warmup-iters", "2"]


def rank_pid(out: Path, rank: int) -> int:
    """The pid of rank ``rank`` of the job training into ``out`` (from /proc)."""
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if str(out).encode() in cmdline and f"PMI_RANK={rank}".encode() in environ:
            return int(entry.name)
    raise AssertionError(f"no rank {rank} training into {out}")


@needs_mpi
@pytest.mark.parametrize("how", ["ctrl-c to mpiexec", "kill -9 of rank 1"])
def test_ctrl_c_or_a_dead_rank_ends_every_process_with_an_intact_checkpoint(how, tmp_path):
    out = tmp_path / "run"
    job = subprocess.Popen(command(2, *LONG_GPT, "--out", str(out)), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=ENV, cwd=tmp_path)
    try:
        assert job.stdout.readline().startswith("run folder:")  # printed as training begins
        deadline = time.monotonic() + 30
        while len(metrics(out)) < 2 and time.monotonic() < deadline:  # a checkpoint of iter 40
            time.sleep(0.2)
        if how.startswith("ctrl-c"):
            job.send_signal(signal.SIGINT)
        else:
            os.kill(rank_pid(out, 1), signal.SIGKILL)
        start = time.monotonic()
        stdout, stderr = job.communicate(timeout=20)
        assert time.monotonic() - start < 10
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    saved = minitorch.load(out / "checkpoint.npz")  # whole: written atomically
    if how.startswith("ctrl-c"):  # the processes agree on a step; rank 0 saves there
        assert job.returncode == 130, stderr
        stopped = re.findall(r"stopped by SIGINT after iteration (\d+) of 100000", stdout)
        assert len(stopped) == 1 and int(saved["iter"]) == int(stopped[0]), stdout
    else:  # mpiexec ends the job when one of its processes dies: the last evaluation's
        assert job.returncode != 0
        assert int(saved["iter"]) % 40 == 0 and int(saved["iter"]) >= 40
        return  # the checkpoint loaded: intact
    done = int(saved["iter"])  # and it goes on, on one process
    resumed = train(1, tmp_path, "--resume", str(out), "--iters", str(done + 2))
    assert resumed.returncode == 0, resumed.stderr
    assert f"done: {done + 2} iterations" in resumed.stdout


# ---------------------------------------------------------------------- without MPI
BLOCK_MPI4PY = "import sys; sys.modules['mpi4py'] = None; "
TRAIN_IN_PYTHON = ("from minitorch.cli import main; sys.exit(main(['train', '--quiet', '--epochs', "
                   "'1', '--dataset', 'moons', '--out', 'run']))")


def test_the_trainer_without_mpiexec_never_imports_mpi4py(tmp_path):
    code = TRAIN_IN_PYTHON.replace("sys.exit(main(", "code = (main(") + (
        "; print('mpi4py loaded:', 'mpi4py' in sys.modules); sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", "import sys; " + code], capture_output=True,
                            text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mpi4py loaded: False" in result.stdout and "parallel:" not in result.stdout
    assert (tmp_path / "run" / "checkpoint.npz").is_file()


def test_the_trainer_launched_by_mpiexec_without_mpi4py_says_so_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-c", BLOCK_MPI4PY + TRAIN_IN_PYTHON],
                            capture_output=True, text=True, timeout=60,
                            env={**ENV, "PMI_SIZE": "2", "PMI_RANK": "0"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "minitorch: error: this process is one of 2 started by mpiexec, but mpi4py is not "
        'installed, so it cannot talk to the others; install the extra: pip install '
        '"mini-torch[mpi]" (mpi4py and mpich)'
    ]
    assert list(tmp_path.iterdir()) == []
