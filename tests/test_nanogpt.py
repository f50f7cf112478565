"""minitorch's GPT as nanoGPT's ``model.py`` uses it: ``bias``, ``forward(idx, targets)`` and
``backward()``, ``crop_block_size``, ``get_num_params``, and the state_dict mapping, against a
compact torch copy of nanoGPT's model (tests/nanogpt_torch.py) in float64."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import minitorch
from minitorch import nn, optim
from minitorch.models import GPT
from minitorch.optim import weight_decay_groups
from minitorch.testing import gradcheck
from parity import HAVE_TORCH, relative_difference, torch

if HAVE_TORCH:
    import nanogpt_torch

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="compares with PyTorch")
V, BLOCK, LAYERS, HEADS, E = 11, 8, 2, 2, 8


@dataclass(frozen=True)
class Case:
    """One nanoGPT configuration: ``flash=False`` keeps nanoGPT's ``attn.bias`` mask buffers."""

    id: str
    bias: bool
    flash: bool = True


CASES = [
    Case("bias", bias=True, flash=False),  # GPT-2's layout, with the old attn.bias buffers
    Case("no_bias", bias=False),  # nanoGPT's train.py default
]


def their_model(case: Case, seed: int = 0, scale: float = 0.3):
    """nanoGPT's GPT with weights large enough that attention is far from uniform."""
    torch.manual_seed(seed)
    config = nanogpt_torch.GPTConfig(BLOCK, V, LAYERS, HEADS, E, bias=case.bias)
    model = nanogpt_torch.GPT(config, flash=case.flash)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape) * scale)
    return model


def tokens(shape=(3, BLOCK), seed=2, low=0):
    return np.random.default_rng(seed).integers(low, V, size=shape)


def targets_with_ignored(shape=(3, BLOCK), seed=3):
    targets = tokens(shape, seed)
    targets[0, :3] = -1  # nanoGPT's ignore_index
    targets[2, -1] = -1
    return targets


def our_grads_as_nanogpt(model: GPT) -> dict[str, np.ndarray]:
    from minitorch.models.gpt import _to_torch_layout

    grads = dict(zip([n for n, _ in model.named_parameters()], model.grads(), strict=True))
    return {theirs: _to_torch_layout(ours, grads[ours]) for ours, theirs in
            model.nanogpt_names().items()}  # fmt: skip


# ---------------------------------------------------------------------- nanoGPT -> minitorch
@needs_torch
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_nanogpt_weights_give_its_logits_loss_and_every_gradient(case, float64):
    theirs = their_model(case)
    ours = GPT.from_nanogpt_state_dict(theirs.state_dict(), n_head=HEADS, dtype=np.float64)
    assert (ours.bias, ours.tie_weights, ours.block_size, ours.n_layer) == (case.bias, True, 8, 2)
    idx, targets = tokens(), targets_with_ignored()
    logits, loss = ours(idx, targets)
    ours.backward()  # nanoGPT's loss.backward()

    their_logits, their_loss = theirs(torch.as_tensor(idx), torch.as_tensor(targets))
    their_loss.backward()
    assert relative_difference(logits, their_logits.detach().numpy()) <= 1e-10
    assert relative_difference(loss, their_loss.item()) <= 1e-10
    their_grads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    grads = our_grads_as_nanogpt(ours)
    grads.pop("lm_head.weight", None)  # tied: nanoGPT names the shared tensor once, as wte
    assert sorted(grads) == sorted(their_grads)
    for name, grad in grads.items():
        assert relative_difference(grad, their_grads[name]) <= 1e-10, name

    # nanoGPT's inference path returns the last position only; minitorch every position
    last, none = theirs(torch.as_tensor(idx))
    assert none is None and last.shape == (3, 1, V)
    assert relative_difference(ours(idx)[:, -1:], last.detach().numpy()) <= 1e-10


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_minitorch_weights_load_into_nanogpt_and_back(case, float64):
    minitorch.manual_seed(4)
    ours = GPT(V, BLOCK, LAYERS, HEADS, E, tie_weights=True, bias=case.bias)
    rng = np.random.default_rng(5)
    for p in ours.parameters():
        p[...] = rng.standard_normal(p.shape) * 0.3
    sd = ours.to_nanogpt_state_dict()
    assert sd["lm_head.weight"] is sd["transformer.wte.weight"]
    theirs = their_model(case, seed=9)
    result = theirs.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    # the attn.bias buffers are not weights: nanoGPT keeps its own (only without flash)
    assert not result.unexpected_keys
    assert result.missing_keys == [f"transformer.h.{i}.attn.bias" for i in range(LAYERS)] * (
        not case.flash
    )
    idx, targets = tokens(seed=6), targets_with_ignored(seed=7)
    logits, loss = ours(idx, targets)
    their_logits, their_loss = theirs(torch.as_tensor(idx), torch.as_tensor(targets))
    assert relative_difference(logits, their_logits.detach().numpy()) <= 1e-10
    assert relative_difference(loss, their_loss.item()) <= 1e-10

    back = GPT.from_nanogpt_state_dict(theirs.state_dict(), n_head=HEADS, dtype=np.float64)
    assert list(back.state_dict()) == list(ours.state_dict())
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value, err_msg=key)


def test_names_and_layouts_of_the_mapping():
    model = GPT(V, BLOCK, 1, HEADS, E, bias=True)
    names = model.nanogpt_names()
    assert list(names) == list(model.state_dict())  # every key, in minitorch's order
    assert names["blocks.0.attn.in_proj.W"] == "transformer.h.0.attn.c_attn.weight"
    assert names["blocks.0.mlp.2.b"] == "transformer.h.0.mlp.c_proj.bias"
    assert names["ln_f.beta"] == "transformer.ln_f.bias" and names["head.W"] == "lm_head.weight"
    sd = model.to_nanogpt_state_dict()
    assert sd["transformer.h.0.attn.c_attn.weight"].shape == (3 * E, E)  # PyTorch's (out, in)
    np.testing.assert_array_equal(sd["transformer.h.0.attn.c_attn.weight"],
                                  model.blocks[0].attn.in_proj.W.T)  # fmt: skip
    assert sd["transformer.h.0.mlp.c_fc.bias"].shape == (4 * E,)
    assert sd["lm_head.weight"].shape == (V, E)
    sd["transformer.wte.weight"][0, 0] += 1  # copies, not views of the model's arrays
    assert sd["transformer.wte.weight"][0, 0] != model.wte.W[0, 0]
    no_bias = GPT(V, BLOCK, 1, HEADS, E, bias=False, tie_weights=True)
    keys = list(no_bias.to_nanogpt_state_dict())
    assert not [k for k in keys if k.endswith(".bias")] and keys[-1] == "lm_head.weight"


def test_torch_compile_prefix_is_removed():
    model = GPT(V, BLOCK, 1, HEADS, E, tie_weights=True)
    sd = {f"_orig_mod.{k}": v for k, v in model.to_nanogpt_state_dict().items()}
    copy = GPT.from_nanogpt_state_dict(sd, n_head=HEADS)
    np.testing.assert_array_equal(copy.blocks[0].mlp[0].W, model.blocks[0].mlp[0].W)


def _drop(key):
    def change(sd):
        del sd[key]

    return change


def _set(key, value):
    def change(sd):
        sd[key] = value(sd[key]) if callable(value) else value

    return change


#: A damaged nanoGPT state_dict -> the error, naming the key (the model is left as it was).
BAD_DICTS = [
    ("missing", _drop("transformer.h.1.mlp.c_fc.weight"), KeyError,
     r"missing: \['transformer\.h\.1\.mlp\.c_fc\.weight'\]"),
    ("unexpected", _set("transformer.h.0.attn.extra", np.zeros(3)), KeyError,
     r"unexpected: \['transformer\.h\.0\.attn\.extra'\]"),
    ("transposed", _set("transformer.h.0.attn.c_attn.weight", lambda w: w.T), ValueError,
     r"'transformer\.h\.0\.attn\.c_attn\.weight' has shape \(8, 24\), this GPT needs \(24, 8\)"
     r".*\(out, in\)"),
    ("bias_shape", _set("transformer.h.1.attn.c_proj.bias", np.zeros((1, 8))), ValueError,
     r"'transformer\.h\.1\.attn\.c_proj\.bias' has shape \(1, 8\), this GPT needs \(8,\)"),
    ("untied_head", _set("lm_head.weight", lambda w: w + 1), ValueError,
     r"'lm_head\.weight' differs from 'transformer\.wte\.weight'.*tie_weights=False"),
    ("no_head", _drop("lm_head.weight"), KeyError, r"missing: \['lm_head\.weight'\]"),
    ("mask", _set("transformer.h.0.attn.bias", np.ones((1, 1, 8, 8))), ValueError,
     r"'transformer\.h\.0\.attn\.bias' should be nanoGPT's causal mask.*another mask"),
    ("mask_shape", _set("transformer.h.1.attn.bias", np.tri(4)[None, None]), ValueError,
     r"'transformer\.h\.1\.attn\.bias' should be.*shape \(1, 1, 8, 8\), got shape \(1, 1, 4, 4\)"),
    ("text", _set("transformer.ln_f.weight", np.array(["a"] * 8)), TypeError,
     r"'transformer\.ln_f\.weight' must be an array of numbers"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "error", "match"), [row[1:] for row in BAD_DICTS],
                         ids=[row[0] for row in BAD_DICTS])  # fmt: skip
def test_a_bad_nanogpt_state_dict_is_refused_all_or_nothing(change, error, match):
    minitorch.manual_seed(0)
    model = GPT(V, BLOCK, LAYERS, HEADS, E, tie_weights=True)
    source = GPT(V, BLOCK, LAYERS, HEADS, E, tie_weights=True)
    sd = source.to_nanogpt_state_dict()
    for i in range(LAYERS):
        sd[f"transformer.h.{i}.attn.bias"] = np.tri(BLOCK)[None, None]  # nanoGPT's buffers
    model.load_nanogpt_state_dict(sd)  # the intact dict loads
    np.testing.assert_array_equal(model.wpe.W, source.wpe.W)
    fresh = GPT(V, BLOCK, LAYERS, HEADS, E, tie_weights=True)
    before = {k: v.copy() for k, v in fresh.state_dict().items()}
    change(sd)
    with pytest.raises(error, match=match):
        fresh.load_nanogpt_state_dict(sd)
    for key, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_a_bias_mismatch_names_the_setting():
    sd = GPT(V, BLOCK, 1, HEADS, E, bias=False).to_nanogpt_state_dict()
    with pytest.raises(KeyError, match=r"saved with bias=False: build the GPT with that"):
        GPT(V, BLOCK, 1, HEADS, E, bias=True).load_nanogpt_state_dict(sd)
    sd = GPT(V, BLOCK, 1, HEADS, E, bias=True).to_nanogpt_state_dict()
    with pytest.raises(KeyError, match=r"saved with bias=True: build the GPT with that"):
        GPT(V, BLOCK, 1, HEADS, E, bias=False).load_nanogpt_state_dict(sd)
    with pytest.raises(TypeError, match="expects a mapping of nanoGPT's names"):
        GPT.from_nanogpt_state_dict([1, 2], n_head=2)
    with pytest.raises(KeyError, match=r"'transformer\.wpe\.weight' \(a 2-D table.*missing"):
        GPT.from_nanogpt_state_dict(_without(sd, "transformer.wpe.weight"), n_head=2)


def _without(sd, key):
    return {k: v for k, v in sd.items() if k != key}


# ---------------------------------------------------------------------- surgery and counts
@needs_torch
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_crop_block_size_and_get_num_params_match_nanogpt(case, float64):
    theirs = their_model(case)
    ours = GPT.from_nanogpt_state_dict(theirs.state_dict(), n_head=HEADS, dtype=np.float64)
    for flag in (True, False):
        assert ours.get_num_params(flag) == theirs.get_num_params(flag)
        assert ours.get_num_params(non_embedding=flag) == theirs.get_num_params(flag)
    ours(tokens())  # a mask of length 8 cached
    ours.crop_block_size(5)
    theirs.crop_block_size(5)
    assert ours.block_size == 5 and ours.wpe.W.shape == (5, E)
    assert all(not block.attn._causal_masks for block in ours.blocks)
    assert ours.get_num_params() == theirs.get_num_params()
    assert ours.get_num_params(False) == theirs.get_num_params(False)
    idx, targets = tokens((2, 5)), tokens((2, 5), seed=8)
    logits, loss = ours(idx, targets)
    their_logits, their_loss = theirs(torch.as_tensor(idx), torch.as_tensor(targets))
    assert relative_difference(logits, their_logits.detach().numpy()) <= 1e-10
    assert relative_difference(loss, their_loss.item()) <= 1e-10
    with pytest.raises(ValueError, match="sequence of 6 tokens; block_size is 5"):
        ours(tokens((2, 6)))
    with pytest.raises(ValueError, match=r"cannot grow the context from 5 to 8 positions"):
        ours.crop_block_size(8)
    with pytest.raises(ValueError, match="block_size must be"):
        ours.crop_block_size(0)


def test_an_optimizer_built_before_cropping_refuses_to_step():
    model = GPT(V, BLOCK, 1, HEADS, E)
    opt = optim.AdamW(model, lr=1e-3)
    model.crop_block_size(4)
    model(tokens((2, 4)), tokens((2, 4), seed=3))
    model.backward()
    with pytest.raises(RuntimeError, match=r"'wpe\.W', Embedding, shape \(4, 8\).* a new array"):
        opt.step()
    optim.AdamW(model, lr=1e-3).step()  # built after the surgery, as nanoGPT's train.py does


# ---------------------------------------------------------------------- forward(idx, targets)
def test_backward_of_the_targets_loss_is_backward_of_cross_entropy(float64):
    """model(idx, targets) then backward() == CrossEntropyLoss(ignore_index=-1) by hand."""
    minitorch.manual_seed(1)
    a, b = GPT(V, BLOCK, LAYERS, HEADS, E), GPT(V, BLOCK, LAYERS, HEADS, E)
    b.load_state_dict(a.state_dict())
    idx, targets = tokens(), targets_with_ignored()
    logits, loss = a(idx, targets)
    assert a.backward() is None
    loss_fn = nn.CrossEntropyLoss(ignore_index=-1)
    their_logits = b(idx)
    assert isinstance(their_logits, np.ndarray)  # forward(idx) is the logits, as before
    expected = loss_fn(their_logits.reshape(-1, V), targets.reshape(-1))
    b.backward(loss_fn.backward().reshape(their_logits.shape))
    np.testing.assert_array_equal(logits, their_logits)
    assert loss == expected
    for g_a, g_b in zip(a.grads(), b.grads(), strict=True):
        np.testing.assert_array_equal(g_a, g_b)
    a.backward()  # a second backward adds the same gradients again, as backward(G) twice does
    np.testing.assert_allclose(a.wte.dW, 2 * b.wte.dW, rtol=1e-12)


def _targets_forward(model):
    model(tokens(), tokens(seed=3))


#: Each way of mixing the two backwards -> the error that teaches it.
MIXED_BACKWARDS = [
    ("no_loss", lambda m: m(tokens()), lambda m: m.backward(), RuntimeError,
     r"GPT\.backward\(\) without a gradient.*the last forward had none"),
    ("grad_after_targets", _targets_forward, lambda m: m.backward(np.ones((3, 8, V))),
     RuntimeError, r"was given targets.*call model\.backward\(\) with no argument"),
    ("before_forward", lambda m: None, lambda m: m.backward(), RuntimeError,
     r"the last forward had none"),
    ("no_grad", lambda m: _under_no_grad(m), lambda m: m.backward(), RuntimeError,
     r"no_grad\(\)"),
    ("two_forwards", lambda m: [_targets_forward(m), _targets_forward(m)],
     lambda m: m.backward(), RuntimeError, r"ran forward 2 times"),
    ("targets_shape", lambda m: None, lambda m: m(tokens(), tokens((3, 7))), ValueError,
     r"targets must have the shape of idx, \(N, T\) = \(3, 8\).*got \(3, 7\)"),
    ("all_ignored", lambda m: None, lambda m: m(tokens(), np.full((3, 8), -1)), ValueError,
     r"every target is -1"),
    ("target_range", lambda m: None, lambda m: m(tokens(), np.full((3, 8), V)), ValueError,
     r"target class index 11 is out of range"),
]  # fmt: skip


def _under_no_grad(model):
    with minitorch.no_grad():
        model(tokens(), tokens(seed=3))


@pytest.mark.parametrize(("setup", "call", "error", "match"), [r[1:] for r in MIXED_BACKWARDS],
                         ids=[r[0] for r in MIXED_BACKWARDS])  # fmt: skip
def test_each_forward_has_one_way_back(setup, call, error, match):
    model = GPT(V, BLOCK, LAYERS, HEADS, E)
    setup(model)
    with pytest.raises(error, match=match):
        call(model)
    assert all(g is None for g in model.grads())  # nothing was accumulated


def test_a_targets_forward_then_a_plain_one_takes_a_gradient_again():
    model = GPT(V, BLOCK, 1, HEADS, E)
    _targets_forward(model)
    model.backward()
    logits = model(tokens())
    model.backward(np.zeros_like(logits))  # the plain forward dropped the loss
    with minitorch.no_grad():
        logits, loss = model(tokens(), tokens(seed=3))  # evaluation: no cache kept
    assert logits.shape == (3, 8, V) and np.isfinite(loss)


# ---------------------------------------------------------------------- bias=False
def test_without_bias_every_list_and_group_agrees():
    model = GPT(V, BLOCK, LAYERS, HEADS, E, bias=False, tie_weights=True)
    names = [n for n, _ in model.named_parameters()]
    assert not [n for n in names if n.endswith((".b", ".beta"))]
    assert list(model.state_dict()) == names
    per_block = 12 * E * E + 2 * E  # four weight matrices and two LayerNorm gammas
    assert model.num_parameters() == (V + BLOCK) * E + LAYERS * per_block + E
    assert "bias=False" in repr(model) and model.ln_f.beta is None
    _targets_forward(model)
    model.backward()
    assert len(model.grads()) == len(model.parameters())
    assert all(g is not None and g.shape == p.shape for p, g in
               zip(model.parameters(), model.grads(), strict=True))  # fmt: skip
    no_decay = weight_decay_groups(model)[1]
    assert no_decay.names == [n for n in names if n.endswith(".gamma")]
    with_bias = GPT(V, BLOCK, LAYERS, HEADS, E, bias=True, tie_weights=True)
    with pytest.raises(KeyError, match="missing"):
        with_bias.load_state_dict(model.state_dict())


@pytest.mark.parametrize("tie_weights", [False, True], ids=["untied", "tied"])
def test_a_gpt_without_bias_passes_a_gradient_check(tie_weights):
    minitorch.manual_seed(0)
    model = GPT(5, 4, 2, 2, 4, bias=False, tie_weights=tie_weights, dtype=np.float64)
    rng = np.random.default_rng(1)
    for p in model.parameters():
        p[...] = rng.standard_normal(p.shape) * 0.3
    report = gradcheck(model, tokens((2, 4), low=0) % 5, atol=1e-7, rtol=1e-6)
    assert [row.name for row in report.rows] == [n for n, _ in model.named_parameters()]


# ---------------------------------------------------------------------- nanoGPT's optimizer
@needs_torch
def test_two_steps_of_nanogpts_configure_optimizers_match(float64):
    """One AdamW with nanoGPT's two groups; minitorch's groups come from weight_decay_groups
    (nanoGPT's p.dim() >= 2 rule is the same split here: no bias has two dimensions in it)."""
    theirs = their_model(CASES[1])
    ours = GPT.from_nanogpt_state_dict(theirs.state_dict(), n_head=HEADS, dtype=np.float64)
    decay, no_decay = weight_decay_groups(ours)
    settings = {"lr": 1e-2, "betas": (0.9, 0.99)}
    opt = optim.AdamW([{"params": [decay], "weight_decay": 0.1},
                       {"params": [no_decay], "weight_decay": 0.0}], **settings)  # fmt: skip
    their_opt = theirs.configure_optimizers(0.1, settings["lr"], settings["betas"])
    for step in range(2):
        idx, targets = tokens(seed=10 + step), targets_with_ignored(seed=20 + step)
        opt.zero_grad()
        ours(idx, targets)
        ours.backward()
        nn.utils.clip_grad_norm_(ours, 1.0)
        opt.step()
        their_opt.zero_grad()
        theirs(torch.as_tensor(idx), torch.as_tensor(targets))[1].backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), 1.0)
        their_opt.step()
    for name, value in ours.to_nanogpt_state_dict().items():
        their_value = theirs.state_dict()[name].numpy()
        assert relative_difference(value, their_value) <= 1e-10, name


def test_a_forward_that_drops_the_targets_is_caught():
    """A forward of one's own (a course edition's) that ignores targets would hand back the
    logits, which `logits, loss = model(X, Y)` unpacks along the batch: refused."""

    class Forgetful(GPT):
        def forward(self, idx, targets=None):
            return super().forward(idx)

    model = Forgetful(V, BLOCK, 1, HEADS, E)
    with pytest.raises(TypeError, match=r"Forgetful\.forward was given targets but returned "
                       r"ndarray, not \(logits, loss\).*self\._output\(logits, targets\)"):
        model(tokens((2, 8)), tokens((2, 8)))
    assert model(tokens((2, 8))).shape == (2, 8, V)
