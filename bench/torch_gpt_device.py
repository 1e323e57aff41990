#!/usr/bin/python3
"""The training workloads of `peso_gpt_bench train` (baby, small, gpt2) in
PyTorch on any device, for the side-by-side GPU figures of
scripts/gpu_first_run.sh: same shapes, same step (forward, backward, grad
clip 1.0, AdamW lr 6e-4 beta2 0.99 weight decay 0.1), each step ending with
the loss read as peso's does. Prints one line per workload:

  gpt2   12L 12H  768d  B=4  T=64   cuda:0     12.3 ms/step median=12.3

  python3 bench/torch_gpt_device.py --device cuda [--bf16] [--steps 10] [--warmup 3] [baby small gpt2]

Needs PyTorch (a CUDA build for --device cuda); no test depends on it.
"""
import argparse
import contextlib
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (vocab, layers, heads, embd, context, default T, default batch), as bench/gpt_bench.cpp's train_cases().
WORKLOADS = {
    "baby": (65, 4, 4, 128, 64, 64, 12),
    "small": (65, 6, 6, 384, 256, 256, 8),
    "gpt2": (50257, 12, 12, 768, 1024, 64, 4),
}


class Block(nn.Module):
    def __init__(self, embd, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(embd)
        self.c_attn = nn.Linear(embd, 3 * embd)
        self.c_proj = nn.Linear(embd, embd)
        self.ln_2 = nn.LayerNorm(embd)
        self.c_fc = nn.Linear(embd, 4 * embd)
        self.mlp_proj = nn.Linear(4 * embd, embd)

    def attention(self, x):
        b, t, c = x.shape
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in self.c_attn(x).split(c, dim=2))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # PyTorch before 2.0
            w = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
            w = w.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
            y = F.softmax(w, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab, layers, heads, embd, context):
        super().__init__()
        self.wte = nn.Embedding(vocab, embd)
        self.wpe = nn.Embedding(context, embd)
        self.blocks = nn.ModuleList(Block(embd, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(embd)
        self.lm_head = nn.Linear(embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2 and peso's GPT

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.size(1), device=idx.device))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def bench(name, args):
    vocab, layers, heads, embd, context, t, b = WORKLOADS[name]
    t, b = args.seq or t, args.batch or b
    torch.manual_seed(1337)
    device = torch.device(args.device)
    model = Gpt(vocab, layers, heads, embd, context).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=6e-4, betas=(0.9, 0.99))
    idx = torch.randint(0, vocab, (b, t), device=device)
    targets = torch.randint(0, vocab, (b, t), device=device)
    mixed = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext
    times = []
    for step in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with mixed():
            loss = model(idx, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
        if step >= args.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times) * 1e3
    print(f"{name:<6} {layers:>2}L {heads:>2}H {embd:>4}d  B={b:<2} T={t:<4} {args.device}{' bf16' if args.bf16 else ''}"
          f" {med:9.1f} ms/step median={med:.3f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--seq", type=int, default=0)
    args = ap.parse_args()
    print(f"torch {torch.__version__} on {args.device}"
          + (f" ({torch.cuda.get_device_name(0)})" if args.device.startswith("cuda") else ""), flush=True)
    for name in args.workloads:
        bench(name, args)


if __name__ == "__main__":
    main()
