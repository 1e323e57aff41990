"""Chapter 7: minGPT's demo (demo.ipynb): a gpt-nano learns to sort six
digits in {0, 1, 2}, written as the notebook writes it, run on peso and
(when torch imports) on PyTorch from the same initial weights and batches.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/sorter.py --steps 300
"""
import numpy as np

import common
import mingpt

LENGTH, NUM_DIGITS = 6, 3


def sort_batch(rng, batch):
    """minGPT's SortDataset: x = digits + sorted digits (minus the last), y shifted by one, the
    prompt's targets -1 (ignored)."""
    inp = rng.integers(0, NUM_DIGITS, (batch, LENGTH))
    cat = np.concatenate([inp, np.sort(inp, axis=1)], axis=1)
    x, y = cat[:, :-1].copy(), cat[:, 1:].copy()
    y[:, :LENGTH - 1] = -1
    return x, y


def main():
    args = common.parse("minGPT's sorter on peso and PyTorch", steps=300)
    runs = []
    for T in common.frameworks(not args.no_torch):
        T.manual_seed(3407)
        model = mingpt.build(T)(vocab_size=NUM_DIGITS, block_size=LENGTH * 2 - 1)
        if runs:
            common.copy_weights(runs[0][1], model)
        runs.append((T, model, T.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.1, betas=(0.9, 0.95))))
    names = [r[0].__name__ for r in runs]
    rng = np.random.default_rng(0)
    for step in range(1, args.steps + 1):
        x_np, y_np = sort_batch(rng, 64)
        losses = []
        for T, model, optimizer in runs:
            _, loss = model(T.tensor(x_np), T.tensor(y_np))
            optimizer.zero_grad()
            loss.backward()
            T.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        if step == 1 or step % 50 == 0 or step == args.steps:
            common.report(step, losses, names)

    T, model, _ = runs[0]
    model.eval()
    x_np, _ = sort_batch(np.random.default_rng(1), 200)
    out = model.generate(T.tensor(x_np[:, :LENGTH]), LENGTH).numpy()
    correct = (out[:, LENGTH:] == np.sort(x_np[:, :LENGTH], axis=1)).all(axis=1).mean()
    print(f"peso: {correct:.1%} of 200 held-out sequences sorted exactly; e.g. {x_np[0, :LENGTH].tolist()} -> "
          f"{out[0, LENGTH:].tolist()}")


if __name__ == "__main__":
    main()
