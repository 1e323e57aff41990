"""nn.MultiheadAttention and the Transformer layers against NumPy references
written from the formulas, the C++ gradcheck through them, and the module
behaviour a PyTorch user relies on (names, deepcopy, replaced parameters)."""
import copy
import math

import numpy as np
import pytest

import peso
import peso.nn as nn


def np_of(t):
    return t.detach().numpy().astype(np.float64)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def mha_reference(m, q, k, v, masked=None):
    """PyTorch's formula, sequence-first (L, B, E); masked: bool (T, S), True = may not attend."""
    w, b = np_of(m.in_proj_weight), np_of(m.in_proj_bias)
    E, H = m.embed_dim, m.num_heads
    hd = E // H

    def heads(x, i):  # (L, B, E) -> (B, H, L, hd)
        y = x @ w[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E]
        return y.reshape(y.shape[0], y.shape[1], H, hd).transpose(1, 2, 0, 3)

    scores = heads(q, 0) @ heads(k, 1).transpose(0, 1, 3, 2) / math.sqrt(hd)
    if masked is not None:
        scores = np.where(masked, -np.inf, scores)
    weights = softmax(scores)
    ctx = (weights @ heads(v, 2)).transpose(2, 0, 1, 3).reshape(q.shape[0], q.shape[1], E)
    return ctx @ np_of(m.out_proj.weight).T + np_of(m.out_proj.bias), weights


def layer_norm(x, ln):
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + ln.eps) * np_of(ln.weight) + np_of(ln.bias)


def randomize(module):
    """Non-trivial values everywhere (zero biases and unit norms would hide mistakes)."""
    with peso.no_grad():
        for p in module.parameters():
            p.copy_(peso.randn(*p.shape, dtype=p.dtype) * 0.5)
    return module


def test_multihead_attention_is_the_formula():
    peso.manual_seed(1)
    m = randomize(nn.MultiheadAttention(8, 2))
    x, mem = peso.randn(5, 3, 8), peso.randn(4, 3, 8)
    out, weights = m(x, x, x)
    ref_out, ref_w = mha_reference(m, np_of(x), np_of(x), np_of(x))
    np.testing.assert_allclose(np_of(out), ref_out, atol=1e-5)
    np.testing.assert_allclose(np_of(weights), ref_w.mean(1), atol=1e-6)  # averaged over heads
    causal = np.triu(np.ones((5, 5), bool), 1)
    out, weights = m(x, x, x, attn_mask=peso.tensor(causal), average_attn_weights=False)
    ref_out, ref_w = mha_reference(m, np_of(x), np_of(x), np_of(x), causal)
    np.testing.assert_allclose(np_of(out), ref_out, atol=1e-5)
    np.testing.assert_allclose(np_of(weights), ref_w, atol=1e-6)
    out_causal, none = m(x, x, x, is_causal=True, need_weights=False)
    assert none is None
    np.testing.assert_allclose(np_of(out_causal), ref_out, atol=1e-5)
    out, _ = m(x, mem, mem)  # cross-attention: keys and values from memory
    np.testing.assert_allclose(np_of(out), mha_reference(m, np_of(x), np_of(mem), np_of(mem))[0], atol=1e-5)


def test_multihead_attention_key_padding_and_batch_first():
    peso.manual_seed(2)
    m = randomize(nn.MultiheadAttention(4, 1, batch_first=True))
    x = peso.randn(2, 3, 4)  # (B, T, E)
    pad = peso.tensor([[False, False, True], [False, False, False]])
    out, weights = m(x, x, x, key_padding_mask=pad)
    assert out.shape == (2, 3, 4) and weights.shape == (2, 3, 3)
    assert weights[0, :, 2].abs().max().item() == 0.0 and weights[1, :, 2].min().item() > 0.0
    seq_first = np_of(x).transpose(1, 0, 2)
    ref, _ = mha_reference(m, seq_first, seq_first, seq_first,
                           np.array([[False, False, True], [False, False, False]])[:, None, None, :])
    np.testing.assert_allclose(np_of(out), ref.transpose(1, 0, 2), atol=1e-5)


def test_encoder_layer_is_the_formula():
    peso.manual_seed(3)
    layer = randomize(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0))
    x = peso.randn(5, 2, 8)
    xn = np_of(x)
    h = layer_norm(xn + mha_reference(layer.self_attn, xn, xn, xn)[0], layer.norm1)
    ff = np.maximum(h @ np_of(layer.linear1.weight).T + np_of(layer.linear1.bias), 0)
    ref = layer_norm(h + ff @ np_of(layer.linear2.weight).T + np_of(layer.linear2.bias), layer.norm2)
    np.testing.assert_allclose(np_of(layer(x)), ref, atol=1e-4)


def test_gradcheck_through_attention_and_a_decoder_layer():
    peso.manual_seed(4)
    m = nn.MultiheadAttention(4, 2, dtype=peso.float64)
    q = peso.randn(3, 2, 4, dtype=peso.float64, requires_grad=True)
    kv = peso.randn(5, 2, 4, dtype=peso.float64, requires_grad=True)
    assert peso.autograd.gradcheck(lambda q, kv, w: m(q, kv, kv)[0], (q, kv, m.in_proj_weight))
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=8, dropout=0.0, norm_first=True, activation="gelu",
                                       dtype=peso.float64)
    assert peso.autograd.gradcheck(lambda t, mem: layer(t, mem, tgt_is_causal=True), (q, kv))


def test_names_and_counts_are_pytorchs():
    t = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    names = [n for n, _ in t.named_parameters()]
    assert names[:4] == ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.0.self_attn.in_proj_bias",
                         "encoder.layers.0.self_attn.out_proj.weight", "encoder.layers.0.self_attn.out_proj.bias"]
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in names and names[-2:] == ["decoder.norm.weight",
                                                                                       "decoder.norm.bias"]
    # As torch.nn.Transformer(8, 2, 1, 1, 16): 34 tensors. Elements: attention 24*8+24+64+8 = 288;
    # encoder layer 288 + (128+16) + (128+8) + 2 norms * 16 = 600; decoder layer 2*288 + 280 + 3*16 = 904;
    # the two final norms 32.
    assert len(names) == 34 and sum(p.numel() for p in t.parameters()) == 600 + 904 + 32
    src, tgt = peso.randn(6, 2, 8), peso.randn(4, 2, 8)
    mask = nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.tolist() == [[0.0, -math.inf, -math.inf, -math.inf], [0.0, 0.0, -math.inf, -math.inf],
                             [0.0, 0.0, 0.0, -math.inf], [0.0, 0.0, 0.0, 0.0]]
    assert t(src, tgt, tgt_mask=mask).shape == (4, 2, 8)


def test_encoder_copies_are_independent_and_start_equal():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    enc = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8))
    a, b = enc.layers[0].self_attn.in_proj_weight, enc.layers[1].self_attn.in_proj_weight
    assert peso.equal(a, b) and peso.equal(a, layer.self_attn.in_proj_weight)  # deep copies, as PyTorch
    with peso.no_grad():
        a.add_(1.0)
    assert not peso.equal(a, b)
    x = peso.randn(3, 1, 8)
    enc(x).sum().backward()
    assert a.grad is not None and b.grad is not None and layer.self_attn.in_proj_weight.grad is None


def test_replaced_and_converted_parameters_are_the_ones_used():
    m = nn.MultiheadAttention(4, 1)
    x = peso.randn(2, 1, 4)
    m.out_proj.weight = nn.Parameter(peso.zeros(4, 4))
    m.out_proj.bias = nn.Parameter(peso.full((4,), 2.0))
    assert m(x, x, x)[0].tolist() == [[[2.0] * 4]] * 2
    m.to(peso.float64)
    assert m(x.double(), x.double(), x.double())[0].dtype == peso.float64
    with pytest.raises(ValueError, match="cannot be added or removed"):
        m.out_proj.bias = None
        m(x.double(), x.double(), x.double())


def test_train_and_eval_reach_the_attention_dropout():
    peso.manual_seed(5)
    m = nn.MultiheadAttention(4, 1, dropout=0.9)
    x = peso.randn(6, 1, 4)
    m.eval()
    assert peso.equal(m(x, x, x)[1], m(x, x, x)[1])
    m.train()
    assert not peso.equal(m(x, x, x)[1], m(x, x, x)[1])


def test_positional_encodings():
    pe = nn.SinusoidalPositionalEncoding(4, max_len=10)
    x = peso.zeros(3, 4)
    got = pe(x, offset=2).tolist()
    for row, pos in zip(got, (2, 3, 4)):
        assert row == pytest.approx([math.sin(pos), math.cos(pos), math.sin(pos / 100), math.cos(pos / 100)],
                                    abs=1e-6)
    assert list(pe.state_dict()) == [] and [n for n, _ in pe.named_buffers()] == ["pe"]
    with pytest.raises(IndexError):
        pe(peso.zeros(11, 4))
    learned = nn.LearnedPositionalEmbedding(10, 4)
    assert peso.equal(learned(x), learned.weight[:3]) and learned.weight.requires_grad


def test_scaled_dot_product_attention_is_the_formula():
    peso.manual_seed(6)
    q, k, v = peso.randn(2, 3, 4, dtype=peso.float64), peso.randn(2, 5, 4, dtype=peso.float64), \
        peso.randn(2, 5, 6, dtype=peso.float64)
    F = nn.functional
    may = np.tril(np.ones((3, 5), bool))  # True = may attend (PyTorch 2's SDPA convention)
    scores = np_of(q) @ np_of(k).transpose(0, 2, 1) * 0.3
    ref = softmax(np.where(may, scores, -np.inf)) @ np_of(v)
    got = F.scaled_dot_product_attention(q, k, v, attn_mask=peso.tensor(may), scale=0.3)
    np.testing.assert_allclose(np_of(got), ref, atol=1e-12)
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # default scale 1/sqrt(4)
    scores = np_of(q) @ np_of(k).transpose(0, 2, 1) / 2.0
    np.testing.assert_allclose(np_of(causal), softmax(np.where(may, scores, -np.inf)) @ np_of(v), atol=1e-12)
    qg = q.clone().requires_grad_()
    assert peso.autograd.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                   (qg, k.requires_grad_(), v.requires_grad_()))


def test_threads_share_a_layer():
    import threading
    peso.manual_seed(7)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0).eval()
    inputs = [peso.randn(6, 2, 16) for _ in range(4)]
    expected = [layer(x) for x in inputs]
    got = [None] * 4

    def run(i):
        for _ in range(20):
            got[i] = layer(inputs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(peso.equal(g, e) for g, e in zip(got, expected))
