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
