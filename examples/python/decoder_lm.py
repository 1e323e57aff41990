"""Chapter 4: a decoder-only language model (token and position embeddings,
masked multi-head self-attention, a feed-forward layer, an LM head) on the
chapter's small-world sentences, word-level, written as the guide's notebook
writes it; run on peso and (when torch imports) on PyTorch from the same
initial weights and batches.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/decoder_lm.py --steps 200
"""
import math
import pathlib

import numpy as np

import common

CONTEXT = 8


def build(T):
    nn, F = T.nn, T.nn.functional

    class DecoderLM(nn.Module):
        def __init__(self, vocab_size, d_model=32, n_heads=4, context=CONTEXT):
            super().__init__()
            self.tok = nn.Embedding(vocab_size, d_model)
            self.pos = nn.Embedding(context, d_model)
            self.qkv = nn.Linear(d_model, 3 * d_model)
            self.proj = nn.Linear(d_model, d_model)
            self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
            self.ffn = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.ReLU(), nn.Linear(4 * d_model, d_model))
            self.head = nn.Linear(d_model, vocab_size)
            self.n_heads = n_heads
            self.register_buffer("mask", T.triu(T.ones(context, context), diagonal=1).bool())

        def attention(self, x):
            B, L, D = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q, k, v = (t.reshape(B, L, self.n_heads, D // self.n_heads).transpose(1, 2) for t in (q, k, v))
            scores = q @ k.transpose(-2, -1) / math.sqrt(D // self.n_heads)
            scores = scores.masked_fill(self.mask[:L, :L], float("-inf"))
            out = F.softmax(scores, dim=-1) @ v
            return self.proj(out.transpose(1, 2).reshape(B, L, D))

        def forward(self, idx):
            x = self.tok(idx) + self.pos(T.arange(idx.shape[1]))
            x = x + self.attention(self.ln1(x))
            x = x + self.ffn(self.ln2(x))
            return self.head(x)

    return DecoderLM


def main():
    args = common.parse("a decoder-only LM on peso and PyTorch", steps=200)
    text = (pathlib.Path(__file__).resolve().parents[1] / "data" / "ch4_small_world.txt").read_text()
    words = text.split()
    vocab = sorted(set(words))
    ids = np.array([vocab.index(w) for w in words])
    runs = []
    for T in common.frameworks(not args.no_torch):
        T.manual_seed(0)
        model = build(T)(len(vocab))
        if runs:
            common.copy_weights(runs[0][1], model)
        runs.append((T, model, T.optim.Adam(model.parameters(), lr=3e-3)))
    names = [r[0].__name__ for r in runs]
    rng = np.random.default_rng(0)
    for step in range(1, args.steps + 1):
        starts = rng.integers(0, len(ids) - CONTEXT - 1, 32)
        x_np = np.stack([ids[s:s + CONTEXT] for s in starts])
        y_np = np.stack([ids[s + 1:s + CONTEXT + 1] for s in starts])
        losses = []
        for T, model, optimizer in runs:
            logits = model(T.tensor(x_np))
            loss = T.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)), T.tensor(y_np).reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if step == 1 or step % 25 == 0 or step == args.steps:
            common.report(step, losses, names)
    print(f"peso: vocabulary {len(vocab)} words (uniform loss {math.log(len(vocab)):.3f}), "
          f"final loss {losses[0]:.3f}")


if __name__ == "__main__":
    main()
