#!/usr/bin/python3
"""nanoGPT's CPU "baby GPT" written in PyTorch: the reference that peso's
quality figure (docs/gpt.md) and baby-GPT step time (bench/README.md) are
compared with, run on the same machine, data split and evaluation.

The model and training follow nanoGPT's model.py / train.py for the README's
CPU command (4 layers, 4 heads, 128 dims, context 64, batch 12, AdamW lr 1e-3
with 100 warm-up steps and a cosine decay to 1e-4 over 2000 steps, beta2 0.99,
weight decay 0.1 on tensors of 2 or more dimensions, grad clip 1, dropout 0,
bias off, erf GELU). At the end it reports the validation loss two ways:

  * `random`: the mean over --eval-batches random (12, 64) batches of the
    held-out 10%, as nanoGPT's estimate_loss (its README's CPU run used 20);
  * `whole`: every token of the held-out 10% once, in consecutive windows of
    64, exactly as `peso gpt eval --split val` computes it.

Needs Debian's python3-torch (PyTorch 1.13); no test depends on it.

  /usr/bin/python3 bench/torch_baby_gpt.py --data ../shared/data/tinyshakespeare.txt --seed 1337
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, h, bias, gelu):
        super().__init__()
        self.h, self.gelu = h, gelu
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c, bias=bias)
        self.attn_proj = nn.Linear(c, c, bias=bias)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, 4 * c, bias=bias)
        self.mlp_proj = nn.Linear(4 * c, c, bias=bias)
        if not bias:  # PyTorch 1.13's LayerNorm has no bias switch: drop the parameter
            for ln in (self.ln_1, self.ln_2):
                ln.bias = None

    def attention(self, x, future):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.h))
        att = att.masked_fill(future[:T, :T], float("-inf")).softmax(dim=-1)
        return self.attn_proj((att @ v).transpose(1, 2).reshape(B, T, C))

    def forward(self, x, future):
        x = x + self.attention(self.ln_1(x), future)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate=self.gelu))


class BabyGpt(nn.Module):
    def __init__(self, vocab, block, n_layer, n_head, n_embd, bias, gelu):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.blocks = nn.ModuleList(Block(n_embd, n_head, bias, gelu) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        if not bias:
            self.ln_f.bias = None
        self.register_buffer("future", torch.ones(block, block, dtype=torch.bool).triu(1))
        # GPT-2's initialisation, as nanoGPT's _init_weights (the head is the tied wte).
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))

    def forward(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.blocks:
            x = b(x, self.future)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def lr_at(it, a):
    if it < a.warmup:
        return a.lr * (it + 1) / (a.warmup + 1)
    ratio = (it - a.warmup) / (a.steps - a.warmup)
    return a.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (a.lr - a.min_lr)


def random_batch(data, a):
    ix = torch.randint(len(data) - a.block, (a.batch,))
    x = torch.stack([data[i:i + a.block] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + a.block] for i in ix])
    return x, y


@torch.no_grad()
def val_losses(model, val, a):
    model.eval()
    random_mean = sum(model(*random_batch(val, a)).item() for _ in range(a.eval_batches)) / a.eval_batches
    n = (len(val) - 1) // a.block  # consecutive windows, as peso's TokenBatches::window_batch
    x = val[: n * a.block].view(n, a.block)
    y = val[1: n * a.block + 1].view(n, a.block)
    total = sum(model(x[w:w + a.batch], y[w:w + a.batch]).item() * len(x[w:w + a.batch])
                for w in range(0, n, a.batch))
    model.train()
    return random_mean, total / n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--block", type=int, default=64)
    p.add_argument("--eval-batches", type=int, default=200)
    p.add_argument("--bias", action="store_true", help="biases in Linear and LayerNorm (nanoGPT's default is off)")
    p.add_argument("--gelu", choices=["none", "tanh"], default="none", help="none = erf GELU (nanoGPT)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)

    text = open(a.data, encoding="utf-8").read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    split = int(len(ids) * 0.9)
    train, val = ids[:split], ids[split:]

    model = BabyGpt(len(chars), a.block, 4, 4, 128, a.bias, a.gelu)
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.99))
    step_ms = []
    for it in range(a.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(it, a)
        x, y = random_batch(train, a)
        t0 = time.perf_counter()
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step_ms.append(1e3 * (time.perf_counter() - t0))
        if (it + 1) % 250 == 0:
            r, w = val_losses(model, val, a)
            print(f"step {it + 1}: train loss {loss.item():.4f}, val loss {r:.4f} (random), {w:.4f} (whole)",
                  flush=True)
    step_ms.sort()
    print(f"median step {step_ms[len(step_ms) // 2]:.1f} ms over {a.steps} steps ({a.threads} threads)")


if __name__ == "__main__":
    main()
