"""peso.nn from Python: a Module subclass registers its parts, saves, loads,
moves, and trains end to end; optimizers and schedulers as torch.optim's."""
import math

import pytest

import peso
import peso.nn as nn
import peso.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(n_hidden, n_out)
        self.scale = nn.Parameter(peso.ones(1))
        self.register_buffer("steps", peso.zeros(1))
        self.note = "not registered"

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_attributes_register_parameters_modules_and_buffers():
    m = Mlp(2, 8, 1)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps"]
    assert [n for n, _ in m.named_children()] == ["fc1", "act", "fc2"]
    assert sum(p.numel() for p in m.parameters()) == 1 + 16 + 8 + 8 + 1
    assert list(m.state_dict()) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert isinstance(m.fc1.weight, nn.Parameter) and m.fc1.weight.requires_grad
    assert "fc1): Linear(in_features=2, out_features=8, bias=True)" in repr(m)
    with pytest.raises(TypeError):
        m.scale = peso.ones(1)  # a plain tensor cannot replace a parameter


def test_linear_init_and_formula():
    lin = nn.Linear(4, 3)
    bound = 1 / math.sqrt(4)
    assert lin.weight.abs().max().item() <= bound and lin.bias.abs().max().item() <= bound
    x = peso.randn(5, 4)
    assert peso.allclose(lin(x), x @ lin.weight.T + lin.bias, atol=1e-6)


def test_train_eval_reaches_children():
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    m.eval()
    assert not m[1].training
    x = peso.ones(2, 3)
    assert peso.equal(m(x), m(x))
    m.train()
    assert m[1].training


def test_to_moves_in_place_and_keeps_handles():
    m = Mlp(2, 4, 1)
    w = m.fc1.weight
    opt = peso.optim.SGD(m.parameters(), lr=0.1)
    m.to(peso.float64)
    assert w.dtype == peso.float64 and m.fc1.weight is w
    m(peso.randn(3, 2, dtype=peso.float64)).sum().backward()
    opt.step()  # the optimizer holds the same (converted) tensors


def test_state_dict_round_trip_through_safetensors(tmp_path):
    a, b = Mlp(2, 4, 1), Mlp(2, 4, 1)
    path = tmp_path / "m.safetensors"
    peso.save(a.state_dict(), path)
    loaded = peso.load(path)
    assert list(loaded) == list(a.state_dict())
    b.load_state_dict(loaded)
    x = peso.randn(3, 2)
    assert peso.equal(a(x), b(x))
    with pytest.raises(RuntimeError, match="missing keys"):
        b.load_state_dict({"scale": peso.ones(1)})
    with pytest.raises(TypeError):
        peso.save([1, 2], path)


def test_a_module_subclass_trains_end_to_end():
    peso.manual_seed(0)
    x = peso.rand(256, 2) * 4 - 2
    y = ((x[:, 0] * x[:, 1]) > 0).to(peso.int64)  # XOR of the signs: not linearly separable
    model = Mlp(2, 16, 2)
    opt = peso.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(150):
        loss = F.cross_entropy(model(x), y)
        if first is None:
            first = loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = (model(x).argmax(1) == y).to(peso.float32).mean().item()
    assert first > 0.6 and loss.item() < 0.2 and accuracy > 0.95


def test_param_groups_and_schedulers():
    p1, p2 = nn.Parameter(peso.ones(2)), nn.Parameter(peso.ones(2))
    opt = peso.optim.AdamW([{"params": [p1]}, {"params": [p2], "weight_decay": 0.0}], lr=0.1, betas=(0.8, 0.9))
    g0, g1 = opt.param_groups
    assert g0["weight_decay"] == 0.01 and g1["weight_decay"] == 0.0 and g0["betas"] == (0.8, 0.9)
    g0["lr"] = 0.5
    assert opt.param_groups[0]["lr"] == 0.5
    sched = peso.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    lrs = []
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[1])
    assert lrs == pytest.approx([0.1, 0.01, 0.01, 0.001])


def test_sgd_step_is_the_formula():
    p = nn.Parameter(peso.tensor([1.0, -2.0]))
    opt = peso.optim.SGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    assert p.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_losses_match_their_formulas():
    x = peso.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    y = peso.tensor([0, 2])
    logp = x.log_softmax(1)
    expected = -(logp[0, 0] + logp[1, 2]).item() / 2
    assert nn.CrossEntropyLoss()(x, y).item() == pytest.approx(expected, rel=1e-6)
    assert F.nll_loss(logp, y, reduction="sum").item() == pytest.approx(2 * expected, rel=1e-6)
    assert nn.MSELoss()(x, peso.zeros(2, 3)).item() == pytest.approx((x * x).mean().item())


def test_the_cpp_gpt_as_a_module():
    cfg = peso.models.GPTConfig(n_layer=1, n_head=2, n_embd=16, block_size=8, vocab_size=5)
    gpt = peso.models.GPT(cfg)
    names = [n for n, _ in gpt.named_parameters()]
    assert names[0] == "transformer.wte.weight" and "lm_head.weight" not in names  # tied to wte
    idx = peso.randint(0, 5, (2, 8))
    logits, loss = gpt(idx, idx)
    assert logits.shape == (2, 8, 5) and abs(loss.item() - math.log(5)) < 0.5
    opt = gpt.configure_optimizers(weight_decay=0.1, learning_rate=1e-2)
    loss.backward()
    opt.step()
    assert gpt.generate(idx[:, :3], 4).shape == (2, 7)
    tok = peso.models.CharTokenizer.from_text("abcab")
    assert tok.decode(tok.encode("cab")) == "cab" and tok.vocab_size == 3


def test_forward_hooks_see_and_replace_inputs_and_outputs():
    lin = nn.Linear(2, 1)
    with peso.no_grad():
        lin.weight.copy_(peso.tensor([[1.0, 2.0]]))
        lin.bias.fill_(0.5)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: calls.append(("pre", args[0].tolist())) or (args[0] * 2,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(("post", args[0].tolist(), out.tolist())))
    first = lin.register_forward_pre_hook(lambda m, args: calls.append(("first",)), prepend=True)
    out = lin(peso.tensor([[1.0, 1.0]]))
    # The pre-hook doubled the input: 1*2 + 2*2 + 0.5; the forward hook saw the doubled input.
    assert out.tolist() == [[6.5]]
    assert calls == [("first",), ("pre", [[1.0, 1.0]]), ("post", [[2.0, 2.0]], [[6.5]])]
    replace = lin.register_forward_hook(lambda m, args, out: out + 100)
    assert lin(peso.tensor([[1.0, 1.0]])).tolist() == [[106.5]]
    for h in (pre, post, first, replace):
        h.remove()
    calls.clear()
    assert lin(peso.tensor([[1.0, 1.0]])).tolist() == [[3.5]] and calls == []


def test_forward_hooks_with_kwargs_and_as_a_context_manager():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    with m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True):
        with m.register_forward_hook(lambda mod, args, kwargs, out: out - kwargs["factor"], with_kwargs=True):
            assert m(peso.tensor([2.0])).tolist() == [3.0]  # 2 * 3 - 3
    assert m(peso.tensor([2.0])).tolist() == [2.0]
    with pytest.raises(TypeError):
        m.register_forward_hook("not callable")


def test_a_hook_on_a_child_sees_the_attention_inside_a_transformer_layer():
    peso.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    seen = []
    layer.self_attn.register_forward_hook(lambda m, args, out: seen.append(out[0].shape))
    layer(peso.randn(5, 3, 8))
    assert seen == [(5, 3, 8)]


def _adam_after_steps(params, steps, opt=None):
    opt = opt or peso.optim.Adam(params, lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        sum((p * p * (i + 1)).sum() for i, p in enumerate(params)).backward()
        opt.step()
    return opt


def test_optimizer_state_dict_is_pytorch_shaped():
    p1, p2 = nn.Parameter(peso.tensor([1.0, -2.0])), nn.Parameter(peso.tensor([3.0]))
    opt = peso.optim.Adam([{"params": [p1]}, {"params": [p2], "lr": 0.01, "betas": (0.5, 0.9)}], lr=0.1)
    (p1 * p1).sum().backward()  # p2 gets no gradient: no state for it, as PyTorch
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"] and list(sd["state"]) == [0]
    s = sd["state"][0]
    # Adam's first step: exp_avg = (1 - 0.9) g, exp_avg_sq = (1 - 0.999) g^2, g = 2 p.
    assert s["exp_avg"].tolist() == pytest.approx([0.2, -0.4])
    assert s["exp_avg_sq"].tolist() == pytest.approx([0.004, 0.016])
    assert s["step"].dim() == 0 and s["step"].item() == 1.0
    g0, g1 = sd["param_groups"]
    assert g0["params"] == [0] and g1["params"] == [1]
    assert g0["lr"] == 0.1 and g1["lr"] == 0.01 and g1["betas"] == (0.5, 0.9) and g0["amsgrad"] is False
    assert set(g0) == {"params", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"}


def test_optimizer_state_dict_round_trip_resumes_exactly():
    a = [nn.Parameter(peso.tensor([1.0, -2.0])), nn.Parameter(peso.tensor([0.5]))]
    _adam_after_steps(a, 5)  # the uninterrupted run: 5 steps
    b = [nn.Parameter(peso.tensor([1.0, -2.0])), nn.Parameter(peso.tensor([0.5]))]
    saved = _adam_after_steps(b, 2).state_dict()
    resumed = peso.optim.Adam(b, lr=0.5)  # the loaded groups' lr (0.1) wins, as in PyTorch
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.1
    _adam_after_steps(b, 3, resumed)
    assert [p.tolist() for p in b] == [p.tolist() for p in a]
    with pytest.raises(ValueError):
        peso.optim.Adam([b[0]]).load_state_dict(saved)  # one group of one parameter: does not fit


def test_scheduler_state_dict_round_trip():
    p = nn.Parameter(peso.ones(1))
    opt = peso.optim.SGD([p], lr=1.0)
    sched = peso.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert sd == {"base_lrs": [1.0], "last_epoch": 3, "_step_count": 4, "_last_lr": [0.5]}
    opt2 = peso.optim.SGD([p], lr=1.0)
    sched2 = peso.optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    opt2.load_state_dict(opt.state_dict())  # the group's lr (0.5): StepLR chains on it, as PyTorch's
    sched2.load_state_dict(sd)
    sched2.step()  # epoch 4: 1.0 * 0.5^2
    assert sched2.get_last_lr() == [0.25] and sched2.last_epoch == 4
    with pytest.raises(ValueError, match="step_size"):
        sched2.load_state_dict({**sd, "step_size": 3})


def test_warmup_cosine_max_steps_moves_and_is_saved():
    p = nn.Parameter(peso.ones(1))
    opt = peso.optim.SGD([p], lr=1.0)
    sched = peso.optim.lr_scheduler.WarmupCosineLR(opt, warmup_steps=2, max_steps=10, min_lr=0.0)
    for _ in range(4):
        sched.step()
    sched.set_max_steps(6)  # step 4 of a decay from step 2 to 6: half way, lr = 0.5
    assert sched.get_last_lr() == pytest.approx([0.5]) and opt.param_groups[0]["lr"] == pytest.approx(0.5)
    sd = sched.state_dict()
    assert sd["max_steps"] == 6.0 and sd["last_epoch"] == 4
    other = peso.optim.lr_scheduler.WarmupCosineLR(peso.optim.SGD([p], lr=1.0), 2, 10, 0.0)
    other.load_state_dict(sd)
    other.step()  # step 5 of the decay to 6: 0.5 * (1 + cos(pi * 3/4))
    assert other.get_last_lr() == pytest.approx([0.5 * (1 + math.cos(math.pi * 0.75))])
