"""peso's attention and Transformer layers beside PyTorch's: the same weights
(copied through NumPy), the same inputs, the largest difference of the
outputs. Exits non-zero when one exceeds 1e-5; without torch it says so and
exits 0.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/layers_vs_torch.py
"""
import sys

import numpy as np

import common

TOLERANCE = 1e-5


def cases(T):
    """name -> (module, call(module, inputs)) for framework T, in the same order for both."""
    nn = T.nn
    out = {}
    for bf in (False, True):
        out[f"MultiheadAttention batch_first={bf}"] = (
            nn.MultiheadAttention(8, 2, batch_first=bf),
            lambda m, x, mem, mask, pad: m(x, x, x, average_attn_weights=False)[1])
        out[f"MultiheadAttention masks batch_first={bf}"] = (
            nn.MultiheadAttention(8, 2, batch_first=bf),
            lambda m, x, mem, mask, pad, bf=bf: m(x, mem, mem, key_padding_mask=pad, attn_mask=mask)[0]
            if bf else m(x.transpose(0, 1), mem.transpose(0, 1), mem.transpose(0, 1), key_padding_mask=pad,
                         attn_mask=mask)[0])
    for norm_first in (False, True):
        for act in ("relu", "gelu"):
            out[f"TransformerEncoderLayer norm_first={norm_first} {act}"] = (
                nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first, activation=act,
                                           batch_first=True),
                lambda m, x, mem, mask, pad: m(x, src_key_padding_mask=pad[:, 2:]))
            out[f"TransformerDecoderLayer norm_first={norm_first} {act}"] = (
                nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=norm_first, activation=act,
                                           batch_first=True),
                lambda m, x, mem, mask, pad: m(x, mem, memory_mask=mask, memory_key_padding_mask=pad))
    out["Transformer"] = (
        nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=True),
        lambda m, x, mem, mask, pad: m(mem, x, tgt_mask=nn.Transformer.generate_square_subsequent_mask(x.shape[1])))
    return out


def main():
    frameworks = common.frameworks()
    if len(frameworks) < 2:
        return 0
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 8)).astype(np.float32)       # (B, T, E)
    mem = rng.normal(size=(3, 7, 8)).astype(np.float32)     # (B, S, E)
    mask = np.triu(np.ones((5, 7), bool), 3)                # True = may not attend
    pad = np.zeros((3, 7), bool)
    pad[0, -2:] = True
    built = []
    for T in frameworks:
        T.manual_seed(0)
        built.append((T, cases(T)))
    worst = 0.0
    for name in built[0][1]:
        outs = []
        for T, table in built:
            module, call = table[name]
            if outs:
                common.copy_weights(built[0][1][name][0], module)
            module.eval()
            outs.append(call(module, T.tensor(x), T.tensor(mem), T.tensor(mask), T.tensor(pad)).detach().numpy())
        diff = float(np.abs(outs[0] - outs[1]).max())
        worst = max(worst, diff)
        print(f"{name:50s} max |peso - torch| = {diff:.2e}")
    print(f"worst {worst:.2e} (tolerance {TOLERANCE:g})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
