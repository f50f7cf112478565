"""minitorch.models.GPT: against a torch copy of itself (nanoGPT's layout), gradient checks,
sampling, nanoGPT's initialisation and weight-decay groups, and the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minitorch
from layer_table import block_to_torch, block_torch_grads
from minitorch import nn, optim
from minitorch.models import GPT
from minitorch.optim import decays_weight, weight_decay_groups
from minitorch.testing import check_module, gradcheck
from parity import HAVE_TORCH, relative_difference, torch, torch_tensor

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="compares with PyTorch")


class TorchGPT(torch.nn.Module if HAVE_TORCH else object):
    """nanoGPT's GPT (dropout 0), with the nanoGPT-style blocks of the layer table."""

    def __init__(self, model: GPT):
        super().__init__()
        E, V = model.n_embd, model.vocab_size
        self.wte = torch.nn.Embedding(V, E)
        self.wpe = torch.nn.Embedding(model.block_size, E)
        self.h = torch.nn.ModuleList(block_to_torch(block) for block in model.blocks)
        self.ln_f = torch.nn.LayerNorm(E)
        self.lm_head = torch.nn.Linear(E, V, bias=False)
        if model.tie_weights:
            self.lm_head.weight = self.wte.weight  # nanoGPT's tie
        with torch.no_grad():
            self.wte.weight.copy_(torch_tensor(model.wte.W))
            self.wpe.weight.copy_(torch_tensor(model.wpe.W))
            self.ln_f.weight.copy_(torch_tensor(model.ln_f.gamma))
            self.ln_f.bias.copy_(torch_tensor(model.ln_f.beta))
            if not model.tie_weights:
                self.lm_head.weight.copy_(torch_tensor(model.head.W.T))

    def forward(self, idx):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))

    def grads(self, model: GPT) -> dict[str, np.ndarray]:
        """Gradients under our parameter names, laid out as ours."""
        grads = {"wte.W": self.wte.weight.grad, "wpe.W": self.wpe.weight.grad}
        for i, block in enumerate(self.h):
            grads.update({f"blocks.{i}.{k}": g for k, g in block_torch_grads(block).items()})
        grads["ln_f.gamma"] = self.ln_f.weight.grad
        grads["ln_f.beta"] = self.ln_f.bias.grad
        if not model.tie_weights:
            grads["head.W"] = self.lm_head.weight.grad.T
        return {name: grad.numpy() for name, grad in grads.items()}


def tiny_gpt(tie_weights=False, dropout=0.0, scale=0.3, seed=0, **sizes) -> GPT:
    """A small GPT with weights large enough that attention is far from uniform."""
    config = {"vocab_size": 11, "block_size": 8, "n_layer": 2, "n_head": 2, "n_embd": 8}
    config.update(sizes)
    minitorch.manual_seed(seed)
    model = GPT(**config, dropout=dropout, tie_weights=tie_weights)
    rng = np.random.default_rng(seed + 1)
    for param in model.parameters():
        param[...] = rng.standard_normal(param.shape) * scale
    return model


def tokens(shape, vocab_size=11, seed=2):
    return np.random.default_rng(seed).integers(0, vocab_size, size=shape)


# ---------------------------------------------------------------------- the torch copy
@needs_torch
@pytest.mark.parametrize("tie_weights", [False, True], ids=["untied", "tied"])
def test_loss_and_every_gradient_match_a_torch_copy(tie_weights, float64):
    model = tiny_gpt(tie_weights)
    idx, targets = tokens((3, 8)), tokens((3, 8), seed=3)
    logits = model(idx)
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(logits.reshape(-1, 11), targets.reshape(-1))
    model.backward(loss_fn.backward().reshape(logits.shape))

    ref = TorchGPT(model)
    assert len(list(ref.parameters())) == len(model.parameters())  # tied: listed once in both
    their_logits = ref(torch.as_tensor(idx))
    their_loss = torch.nn.functional.cross_entropy(
        their_logits.reshape(-1, 11), torch.as_tensor(targets).reshape(-1)
    )
    their_loss.backward()
    assert relative_difference(loss, their_loss.item()) <= 1e-12
    assert relative_difference(logits, their_logits.detach().numpy()) <= 1e-12
    theirs = ref.grads(model)
    ours = dict(zip([n for n, _ in model.named_parameters()], model.grads(), strict=True))
    assert sorted(ours) == sorted(theirs)
    for name, grad in ours.items():
        assert relative_difference(grad, theirs[name]) <= 1e-9, name


@needs_torch
def test_one_training_step_of_the_recipe_matches_torch(float64):
    """AdamW on nanoGPT's groups, with clipping: the same weights after two steps."""
    model = tiny_gpt(tie_weights=True)
    ref = TorchGPT(model)
    decay, no_decay = weight_decay_groups(model)
    settings = {"lr": 1e-2, "betas": (0.9, 0.99)}
    ours_opt = [
        optim.AdamW(decay, weight_decay=0.1, **settings),
        optim.AdamW(no_decay, weight_decay=0.0, **settings),
    ]
    names = dict(ref.named_parameters())
    their_decay = [p for n, p in names.items() if p.dim() >= 2]  # nanoGPT's rule
    their_no_decay = [p for n, p in names.items() if p.dim() < 2]
    assert len(decay.parameters()) == len(their_decay)
    assert len(no_decay.parameters()) == len(their_no_decay)
    their_opt = torch.optim.AdamW(
        [{"params": their_decay, "weight_decay": 0.1}, {"params": their_no_decay}],
        weight_decay=0.0,
        **settings,
    )
    loss_fn = nn.CrossEntropyLoss()
    for step in range(2):
        idx, targets = tokens((2, 8), seed=10 + step), tokens((2, 8), seed=20 + step)
        for opt in ours_opt:
            opt.zero_grad()
        logits = model(idx)
        loss_fn(logits.reshape(-1, 11), targets.reshape(-1))
        model.backward(loss_fn.backward().reshape(logits.shape))
        norm = nn.utils.clip_grad_norm_(model, 0.2)
        for opt in ours_opt:
            opt.step()
        their_opt.zero_grad()
        out = ref(torch.as_tensor(idx))
        torch.nn.functional.cross_entropy(
            out.reshape(-1, 11), torch.as_tensor(targets).reshape(-1)
        ).backward()
        their_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.2)
        their_opt.step()
        assert relative_difference(norm, their_norm.item()) <= 1e-12
        assert norm > 0.2  # the clipping did something
    np.testing.assert_allclose(model.wte.W, ref.wte.weight.detach().numpy(), rtol=1e-9, atol=1e-12)
    block = model.blocks[1]
    np.testing.assert_allclose(
        block.mlp[2].W, ref.h[1].mlp_proj.weight.detach().numpy().T, rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        block.ln2.beta, ref.h[1].ln_2.bias.detach().numpy(), rtol=1e-9, atol=1e-12
    )


# ---------------------------------------------------------------------- gradient checks
@pytest.mark.parametrize(
    ("tie_weights", "dropout"), [(False, 0.0), (True, 0.0), (True, 0.2)], ids=str
)
def test_the_whole_model_passes_a_gradient_check(tie_weights, dropout):
    model = tiny_gpt(tie_weights, dropout, vocab_size=5, block_size=4, n_embd=4)
    report = gradcheck(model, tokens((2, 4), vocab_size=5), atol=1e-7, rtol=1e-6)
    assert [row.name for row in report.rows] == [n for n, _ in model.named_parameters()]
    assert check_module(model, tokens((2, 3), vocab_size=5))  # the Module contract


# ---------------------------------------------------------------------- layout and init
def test_nanogpt_layout_names_and_initialisation():
    minitorch.manual_seed(0)
    model = GPT(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128)
    names = [n for n, _ in model.named_parameters()]
    assert names[:2] == ["wte.W", "wpe.W"] and names[-3:] == ["ln_f.gamma", "ln_f.beta", "head.W"]
    assert "blocks.3.attn.out_proj.W" in names and "blocks.0.mlp.2.b" in names
    per_block = 12 * 128 * 128 + 13 * 128  # weights, and biases and LayerNorms
    assert model.num_parameters() == (65 + 64) * 128 + 4 * per_block + 2 * 128 + 128 * 65
    assert isinstance(model.head, nn.Linear) and model.head.b is None
    stds = {name: float(p.std()) for name, p in model.named_parameters()}
    assert stds["wte.W"] == pytest.approx(0.02, rel=0.05)
    assert stds["blocks.0.attn.in_proj.W"] == pytest.approx(0.02, rel=0.05)
    assert stds["blocks.0.mlp.0.W"] == pytest.approx(0.02, rel=0.05)
    residual = 0.02 / math.sqrt(2 * 4)
    assert stds["blocks.2.attn.out_proj.W"] == pytest.approx(residual, rel=0.05)
    assert stds["blocks.2.mlp.2.W"] == pytest.approx(residual, rel=0.05)
    assert not model.blocks[1].attn.in_proj.b.any() and not model.blocks[1].mlp[0].b.any()
    assert (model.ln_f.gamma == 1).all() and model.wte.W.dtype == np.float32

    tied = GPT(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, tie_weights=True)
    assert isinstance(tied.head, nn.TiedLinear) and tied.head.owner is tied.wte
    assert tied.num_parameters() == model.num_parameters() - 128 * 65
    assert list(tied.state_dict())[-2:] == ["ln_f.gamma", "ln_f.beta"]


def test_weight_decay_groups_follow_nanogpt():
    model = tiny_gpt(tie_weights=True)
    decay, no_decay = weight_decay_groups(model)
    assert decay.names[:3] == ["wte.W", "wpe.W", "blocks.0.attn.in_proj.W"]
    assert all(n.endswith(".W") for n in decay.names)  # embeddings and Linear weights
    assert all(n.rpartition(".")[2] in ("b", "gamma", "beta") for n in no_decay.names)
    assert len(decay.names) + len(no_decay.names) == len(model.parameters())
    assert not decays_weight(model, "blocks.0.mlp.0.b")  # a bias: Linear.no_weight_decay
    assert decays_weight(model, "wte.W") and not decays_weight(model, "ln_f.gamma")
    model(tokens((2, 8)))
    model.backward(np.ones((2, 8, 11)))
    no_decay.zero_grad()  # clears its own gradients only
    assert all(g is None for g in no_decay.grads()) and all(g is not None for g in decay.grads())
    assert decay.parameters()[0] is model.wte.W


# ---------------------------------------------------------------------- generate
def test_generate_is_reproducible_crops_and_restores_the_mode():
    model = tiny_gpt(dropout=0.1, block_size=4)
    prompt = tokens((2, 3))
    minitorch.manual_seed(7)
    a = model.generate(prompt, 9, temperature=0.8, top_k=4)
    minitorch.manual_seed(7)
    b = model.generate(prompt, 9, temperature=0.8, top_k=4)
    assert a.shape == (2, 12) and a.dtype == prompt.dtype
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:, :3], prompt)
    assert ((a >= 0) & (a < 11)).all()
    assert model.training and all(m.training for m in model.modules())
    minitorch.manual_seed(8)
    assert not np.array_equal(model.generate(prompt, 9, temperature=0.8, top_k=4), a)
    with pytest.raises(RuntimeError, match="no_grad"):
        model.backward(np.ones((2, 4, 11), np.float32))  # the last forward kept no cache


def test_generate_top_k_1_is_greedy_and_sampling_follows_the_softmax():
    model = tiny_gpt()
    prompt = tokens((3, 5))
    greedy = model.generate(prompt, 4, top_k=1)
    idx = prompt
    for _ in range(4):
        idx = np.concatenate([idx, model(idx)[:, -1].argmax(-1)[:, None]], axis=1)
    np.testing.assert_array_equal(greedy, idx)
    np.testing.assert_array_equal(model.generate(prompt, 4, temperature=1e-4), idx)
    logits = np.log(np.array([[0.1, 0.0, 0.6, 0.3]]) + 1e-300)
    logits = np.repeat(logits, 20000, axis=0)
    from minitorch.models.gpt import sample_next_token

    counts = np.bincount(sample_next_token(logits), minlength=4) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.6, 0.3], atol=0.015)
    assert counts[1] == 0
    top2 = np.bincount(sample_next_token(logits, top_k=2), minlength=4) / 20000
    np.testing.assert_allclose(top2, [0, 0, 2 / 3, 1 / 3], atol=0.015)


# ---------------------------------------------------------------------- errors
def test_errors_teach():
    model = tiny_gpt(block_size=4)
    with pytest.raises(ValueError, match=r"sequence of 5 tokens; block_size is 4.*idx\[:, -4:\]"):
        model(tokens((2, 5)))
    with pytest.raises(TypeError, match=r"integer array of shape \(N, T\).*float64"):
        model(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"for one sequence use idx\[None\]"):
        model(np.array([1, 2]))
    with pytest.raises(ValueError, match=r"n_embd \(10\) must be divisible by n_head \(4\)"):
        GPT(11, 8, 2, 4, 10)
    with pytest.raises(ValueError, match="temperature must be"):
        model.generate(tokens((1, 2)), 3, temperature=-0.5)  # 0 is greedy decoding
    with pytest.raises(ValueError, match="top_k must be >= 1"):
        model.generate(tokens((1, 2)), 3, top_k=0)
    with pytest.raises(ValueError, match="T >= 1"):
        model.generate(np.zeros((1, 0), np.int64), 3)
    with pytest.raises(IndexError, match="index 11 is out of range"):
        model(np.array([[1, 11]]))
    with pytest.raises(RuntimeError, match="before forward"):
        tiny_gpt().backward(np.ones((1, 2, 11)))
    model(tokens((2, 3)))
    with pytest.raises(ValueError, match=r"expects grad_output of shape \(2, 3, 11\)"):
        model.backward(np.ones((2, 3, 10)))


def test_parameter_groups_zero_grad_in_every_way():
    model = tiny_gpt()
    decay, no_decay = weight_decay_groups(model)
    model(tokens((2, 8)))
    model.backward(np.ones((2, 8, 11)))
    kept = decay.grads()[0]
    decay.zero_grad(set_to_none=False)  # zeros in place
    assert decay.grads()[0] is kept and not kept.any()
    assert all(g is not None and g.any() for g in no_decay.grads())
    no_decay.zero_grad()  # each gradient of the group, and only those, becomes None
    assert all(g is None for g in no_decay.grads())
    assert decay.grads()[0] is kept
    assert "ParameterGroup(" in repr(decay) and "wte.W" in repr(decay)


def test_input_gradients_are_none_where_nobody_needs_them():
    model = tiny_gpt()
    assert model.backward(np.zeros_like(model(tokens((2, 3))))) is None  # token indices
    attn = nn.MultiheadAttention(8, 2, causal=True)
    attn.needs_input_grad = False  # reaches in_proj: dL/dx is skipped
    assert attn.in_proj.needs_input_grad is False
    y = attn(np.ones((2, 3, 8), np.float32))
    assert attn.backward(np.ones_like(y)) is None and attn.in_proj.dW is not None
