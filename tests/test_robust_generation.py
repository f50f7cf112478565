"""Generation never invents text (issue 16, category 1).

Logits with a NaN or a +inf, a row with no finite logit, and a temperature so small that the
scaled logits overflow are refused with a ``ValueError`` naming the cause, by
``sample_next_token``, ``GPT.generate`` and ``minitorch sample`` (one line); torch's sampler
(``torch.multinomial`` of the softmax) refuses every one of these rows too. A temperature of 0
is greedy decoding: the argmax, every time.
"""

from __future__ import annotations

import numpy as np
import pytest

import minitorch
from minitorch.models import GPT
from minitorch.models.gpt import sample_next_token, scaled_logits
from parity import HAVE_TORCH, torch

NAN, INF = np.nan, np.inf

# (id, logits (N, V), temperature, words the message must contain)
BAD_LOGITS = [
    ("nan", [[0.5, NAN, 1.0]], 1.0, ["NaN", "row 0, token 1"]),
    ("all-nan", [[NAN, NAN], [NAN, NAN]], 1.0, ["NaN", "4 value(s)"]),
    ("plus-inf", [[1.0, 2.0], [INF, 0.0]], 1.0, ["+inf", "row 1, token 0"]),
    ("row-of-minus-inf", [[1.0, 2.0], [-INF, -INF]], 1.0, ["row 1", "-inf"]),
    ("tiny-temperature", [[1.0, -2.0, 3.0]], 1e-320, ["temperature 1e-320", "0 for greedy"]),
    ("subnormal-temperature", [[0.0, 5.0]], 5e-324, ["temperature 5e-324", "overflow"]),
]  # fmt: skip


@pytest.mark.parametrize("logits, temperature, words", [r[1:] for r in BAD_LOGITS],
                         ids=[r[0] for r in BAD_LOGITS])  # fmt: skip
def test_logits_that_cannot_be_sampled_are_refused_naming_the_cause(logits, temperature, words):
    logits = np.array(logits, np.float64)
    with pytest.raises(ValueError) as caught:
        sample_next_token(scaled_logits(logits, temperature, "GPT.generate"))
    for word in words:
        assert word in str(caught.value)
    if temperature == 1.0 and "temperature" not in " ".join(words):  # no scaling involved
        with pytest.raises(ValueError, match="sample_next_token"):
            sample_next_token(logits)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is the reference")
@pytest.mark.parametrize("logits, temperature", [r[1:3] for r in BAD_LOGITS],
                         ids=[r[0] for r in BAD_LOGITS])  # fmt: skip
def test_torch_refuses_the_same_rows(logits, temperature):
    scaled = torch.tensor(logits, dtype=torch.float64) / temperature
    with pytest.raises(RuntimeError, match="inf"):
        torch.multinomial(torch.softmax(scaled, dim=-1), 1)


# (id, logits, temperature): values that are fine and must still be sampled
GOOD_LOGITS = [
    ("masked-minus-inf", [[-INF, 0.0, 1.0]], 1.0),
    ("small-temperature", [[1.0, 3.0, 2.0]], 1e-300),
    ("large-temperature", [[1.0, 3.0, 2.0]], 1e300),
    ("integers", np.array([[1, 3, 2]]), 1.0),
    ("huge-logits", [[-1e308, 1e308, -1e308]], 1.0),  # torch samples it too: token 1
    ("huge-logits-cold", [[-1e300, 1e300, 0.0]], 1e-7),
]


@pytest.mark.parametrize("logits, temperature", [r[1:] for r in GOOD_LOGITS],
                         ids=[r[0] for r in GOOD_LOGITS])  # fmt: skip
def test_sampleable_logits_are_sampled(logits, temperature):
    tokens = sample_next_token(scaled_logits(np.asarray(logits), temperature, "GPT.generate"))
    assert tokens.shape == (1,) and 0 <= tokens[0] < 3
    if temperature == 1e-300 or "e30" in str(logits):  # so cold (or far apart): the argmax
        assert tokens[0] == 1


def _tiny_gpt(seed: int = 0) -> GPT:
    minitorch.manual_seed(seed)
    return GPT(vocab_size=5, block_size=8, n_layer=1, n_head=1, n_embd=4, dtype=np.float64)


def _poison(model: GPT, value: float) -> GPT:
    model.ln_f.beta[0] = value  # every logit gets value * head.W[0, v]: ±inf, or NaN
    return model


# (id, how the model is damaged, generate's temperature, words of the message)
BAD_MODELS = [
    ("nan-head", lambda m: _poison(m, NAN), 1.0, ["GPT.generate", "NaN"]),
    ("inf-head", lambda m: _poison(m, INF), 1.0, ["GPT.generate", "inf"]),
    ("nan-head-greedy", lambda m: _poison(m, NAN), 0.0, ["GPT.generate", "NaN"]),
    ("tiny-temperature", lambda m: m, 1e-320, ["GPT.generate", "temperature 1e-320"]),
]


@pytest.mark.parametrize("damage, temperature, words", [r[1:] for r in BAD_MODELS],
                         ids=[r[0] for r in BAD_MODELS])  # fmt: skip
def test_generate_refuses_instead_of_emitting_token_zero(damage, temperature, words):
    model = damage(_tiny_gpt())
    with pytest.raises(ValueError) as caught:
        model.generate(np.array([[1, 2, 3]]), max_new_tokens=5, temperature=temperature)
    for word in words:
        assert word in str(caught.value)


def test_temperature_zero_is_greedy_decoding():
    model = _tiny_gpt(3)
    prompt = np.array([[1, 2], [4, 0]])
    greedy = model.generate(prompt, max_new_tokens=6, temperature=0)
    idx = prompt
    for _ in range(6):  # the argmax of the last position, one token at a time
        idx = np.concatenate([idx, model(idx)[:, -1, :].argmax(-1)[:, None]], axis=1)
    np.testing.assert_array_equal(greedy, idx)
    # ... and it draws nothing: the generator is untouched
    from minitorch import _state

    before = str(_state.generator().bit_generator.state)
    model.generate(prompt, max_new_tokens=6, temperature=0)
    assert str(_state.generator().bit_generator.state) == before

@pytest.mark.parametrize("temperature, error", [(-1.0, ValueError), (NAN, ValueError),
                                                (INF, ValueError), ("0.8", TypeError)])  # fmt: skip
def test_generate_refuses_a_temperature_that_is_not_a_non_negative_number(temperature, error):
    with pytest.raises(error, match="temperature"):
        _tiny_gpt().generate(np.array([[1]]), 2, temperature=temperature)


# ---------------------------------------------------------------------- minitorch sample
@pytest.fixture(scope="module")
def gpt_run(tmp_path_factory):
    from minitorch.cli import main
    from test_cli_models import TINY_GPT

    run = tmp_path_factory.mktemp("gpt") / "run"
    options = ["--iters", "2", "--warmup-iters", "1", "--eval-interval", "2", "--out", str(run)]
    assert main(["train", *TINY_GPT, *options]) == 0
    return run


def _nan_checkpoint(run):
    state = minitorch.load(run / "checkpoint.npz")
    state["model"]["ln_f.gamma"][0] = np.nan
    minitorch.save(state, run / "checkpoint.npz")


# (id, how the run is changed, options, words of the one error line; None: it prints text)
SAMPLE_CASES = [
    ("tiny-temperature", None, ["--temperature", "1e-320"], ["temperature 1e-320", "overflow"]),
    ("greedy", None, ["--temperature", "0"], None),
    ("negative-temperature", None, ["--temperature", "-1"], ["--temperature"]),
    ("nan-weights", _nan_checkpoint, [], ["NaN", "checkpoint"]),
]  # fmt: skip


@pytest.mark.parametrize("change, options, words", [r[1:] for r in SAMPLE_CASES],
                         ids=[r[0] for r in SAMPLE_CASES])  # fmt: skip
def test_minitorch_sample_refuses_in_one_line_instead_of_printing_noise(
    gpt_run, tmp_path, capsys, change, options, words
):
    import shutil

    from minitorch.cli import main

    run = tmp_path / "run"
    shutil.copytree(gpt_run, run)
    if change is not None:
        change(run)
    code = main(["sample", str(run), "--tokens", "20", *options])
    captured = capsys.readouterr()
    if words is None:
        assert code == 0 and len(captured.out) > 20 and captured.err == ""
        return
    lines = captured.err.splitlines()
    assert code == 2 and captured.out == "" and len(lines) == 1, captured.err
    assert lines[0].startswith("minitorch: error: ")
    for word in words:
        assert word in lines[0]


def _argmax_text(run, prompt: str, tokens: int) -> str:
    """The run's checkpoint decoded greedily, one argmax step at a time through forward."""
    from minitorch.cli._run import RunFolder
    from minitorch.cli._setup import LANGUAGE_MODELS, model_of, text_split

    folder = RunFolder.open(run)
    config = folder.read_config()
    vocab = text_split(config, train=True).vocab
    model = LANGUAGE_MODELS[model_of(config)].build(config, len(vocab))
    model.load_state_dict(folder.load_checkpoint(model_of(config))["model"])
    model.eval()
    ids = list(vocab.encode(prompt))
    for _ in range(tokens):
        window = np.array(ids[-model.block_size:])[None]
        ids.append(int(np.argmax(model(window)[0, -1])))
    return vocab.decode(np.array(ids))


# (id, options of 'minitorch sample --temperature 0'): the text is the argmax decoding
GREEDY_SAMPLES = [
    ("default-prompt", []),
    ("prompt-and-seed", ["--prompt", "Th", "--seed", "7"]),
    ("top-k-1", ["--top-k", "1", "--tokens", "12"]),
]  # fmt: skip


@pytest.mark.parametrize("options", [r[1] for r in GREEDY_SAMPLES],
                         ids=[r[0] for r in GREEDY_SAMPLES])  # fmt: skip
def test_minitorch_sample_at_temperature_zero_prints_the_argmax_decoding(gpt_run, capsys,
                                                                         options):
    from minitorch.cli import main

    argv = ["sample", str(gpt_run), "--tokens", "20", "--temperature", "0", *options]
    assert main(argv) == 0
    captured = capsys.readouterr()
    prompt = options[options.index("--prompt") + 1] if "--prompt" in options else "\n"
    tokens = int(argv[argv.index("--tokens", 4) + 1]) if "--tokens" in options else 20
    assert captured.err == ""
    assert captured.out == _argmax_text(gpt_run, prompt, tokens) + "\n"
