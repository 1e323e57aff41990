"""What the three programs share: the frameworks to run (peso, and PyTorch
when importable), the same initial weights in both, and one line per step."""
import argparse
import importlib

import numpy as np


def frameworks(with_torch=True):
    """[peso] plus torch when it imports (Debian's python3-torch under /usr/bin/python3)."""
    out = [importlib.import_module("peso")]
    if with_torch:
        try:
            out.append(importlib.import_module("torch"))
        except ImportError:
            print("(torch not importable: running peso alone)")
    return out


def parse(description, steps):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--no-torch", action="store_true", help="run peso alone")
    return p.parse_args()


def copy_weights(src, dst):
    """dst (any framework's Module) gets src's parameters and buffers, by name."""
    T = type(next(iter(dst.parameters())))
    state = {k: np.array(v.detach().cpu().numpy()) for k, v in src.state_dict().items()}
    mod = __import__(T.__module__.split(".")[0])
    dst.load_state_dict({k: mod.tensor(v) for k, v in state.items()})


def report(step, losses, names):
    cols = "  ".join(f"{n} {v:.6f}" for n, v in zip(names, losses))
    diff = f"  |diff| {abs(losses[0] - losses[1]):.2e}" if len(losses) > 1 else ""
    print(f"step {step:4d}  {cols}{diff}", flush=True)
