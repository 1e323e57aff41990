"""Per-op overhead from Python: `a + b` on 1-element float32 tensors, peso
beside PyTorch (when it imports) in the same run, interleaved rounds so that a
busy shared machine slows both alike. Median ns/op over rounds.

    PYTHONPATH=build/python OMP_NUM_THREADS=1 /usr/bin/python3 bench/python_overhead.py
"""
import importlib
import statistics
import time

N, ROUNDS = 20000, 15


def per_op_ns(T):
    a, b = T.ones(1), T.ones(1)
    add = a.__add__
    t0 = time.perf_counter_ns()
    for _ in range(N):
        add(b)
    return (time.perf_counter_ns() - t0) / N


def main():
    libs = [importlib.import_module("peso")]
    try:
        libs.append(importlib.import_module("torch"))
    except ImportError:
        pass
    times = {T.__name__: [] for T in libs}
    for T in libs:
        per_op_ns(T)  # warm-up
    for _ in range(ROUNDS):
        for T in libs:
            times[T.__name__].append(per_op_ns(T))
    for name, ts in times.items():
        extra = ""
        if name == "peso" and "torch" in times:
            extra = f"   peso/torch {statistics.median(ts) / statistics.median(times['torch']):.2f}"
        print(f"{name:6s} a + b, 1 element: {statistics.median(ts):7.0f} ns/op (median of {ROUNDS} x {N}){extra}")


if __name__ == "__main__":
    main()
