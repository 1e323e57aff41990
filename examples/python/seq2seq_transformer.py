"""Chapter 5: the encoder-decoder Transformer (nn.Transformer, as the guide's
notebook builds it) learns to reverse sequences of digits, with teacher
forcing and a causal target mask; run on peso and (when torch imports) on
PyTorch from the same initial weights and batches, both losses per step, then
greedy decoding on peso.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/seq2seq_transformer.py --steps 500
"""
import math

import numpy as np

import common

DIGITS, LENGTH, BOS = 10, 6, 10  # tokens 0-9, the target's start token 10


def sinusoids(length, d_model):
    """The fixed positional encodings of "Attention Is All You Need" (L, d_model)."""
    pos = np.arange(length)[:, None]
    angle = pos / np.power(10000.0, np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((length, d_model), dtype=np.float32)
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def build(T):
    nn = T.nn

    class Seq2Seq(nn.Module):
        def __init__(self, d_model=32, nhead=4, layers=2):
            super().__init__()
            self.src_embed = nn.Embedding(DIGITS, d_model)
            self.tgt_embed = nn.Embedding(DIGITS + 1, d_model)
            self.register_buffer("pe", T.tensor(sinusoids(LENGTH + 1, d_model)))
            self.transformer = nn.Transformer(d_model, nhead, layers, layers, dim_feedforward=64, dropout=0.0,
                                              batch_first=True)
            self.out = nn.Linear(d_model, DIGITS)
            self.scale = math.sqrt(d_model)

        def embed(self, table, idx):
            return table(idx) * self.scale + self.pe[:idx.shape[1]]

        def forward(self, src, tgt_in):
            mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1])
            h = self.transformer(self.embed(self.src_embed, src), self.embed(self.tgt_embed, tgt_in), tgt_mask=mask)
            return self.out(h)

    return Seq2Seq


def batch(rng, n):
    src = rng.integers(0, DIGITS, (n, LENGTH))
    tgt = src[:, ::-1].copy()
    tgt_in = np.concatenate([np.full((n, 1), BOS), tgt[:, :-1]], axis=1)
    return src, tgt_in, tgt


def greedy(T, model, src):
    """Decodes one token at a time from BOS, feeding back the argmax."""
    out = T.full((src.shape[0], 1), BOS, dtype=T.int64)
    with T.no_grad():
        for _ in range(LENGTH):
            nxt = model(src, out)[:, -1].argmax(-1, keepdim=True)
            out = T.cat([out, nxt], dim=1)
    return out[:, 1:]


def main():
    args = common.parse("an encoder-decoder Transformer reverses digits, on peso and PyTorch", steps=500)
    runs = []
    for T in common.frameworks(not args.no_torch):
        T.manual_seed(0)
        model = build(T)()
        if runs:
            common.copy_weights(runs[0][1], model)
        runs.append((T, model, T.optim.Adam(model.parameters(), lr=3e-3)))
    names = [r[0].__name__ for r in runs]
    rng = np.random.default_rng(0)
    for step in range(1, args.steps + 1):
        src, tgt_in, tgt = batch(rng, 64)
        losses = []
        for T, model, optimizer in runs:
            logits = model(T.tensor(src), T.tensor(tgt_in))
            loss = T.nn.functional.cross_entropy(logits.reshape(-1, DIGITS), T.tensor(tgt).reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if step == 1 or step % 25 == 0 or step == args.steps:
            common.report(step, losses, names)
    T, model, _ = runs[0]
    model.eval()
    src, _, tgt = batch(np.random.default_rng(1), 200)
    decoded = greedy(T, model, T.tensor(src)).numpy()
    print(f"peso: uniform loss {math.log(DIGITS):.3f}, final loss {losses[0]:.3f}, greedy decoding reverses "
          f"{(decoded == tgt).all(1).mean():.2f} of 200 new sequences ({(decoded == tgt).mean():.2f} of digits)")


if __name__ == "__main__":
    main()
