"""Chapter 1: logistic regression on two Gaussian blobs, written as the
guide's notebook writes it in PyTorch, run on peso and (when torch imports)
on PyTorch from the same initial weights; both losses are printed per step.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/logistic_regression.py --steps 100
"""
import numpy as np

import common


def build(T):
    nn = T.nn

    class LogisticRegression(nn.Module):
        def __init__(self, n_features):
            super().__init__()
            self.linear = nn.Linear(n_features, 1)

        def forward(self, x):
            return T.sigmoid(self.linear(x)).squeeze(-1)

    return LogisticRegression


def main():
    args = common.parse("logistic regression on peso and PyTorch", steps=100)
    rng = np.random.default_rng(0)
    n = 100
    x_np = np.concatenate([rng.normal((2, 3), 0.8, (n, 2)), rng.normal((4, 3), 0.8, (n, 2))]).astype(np.float32)
    y_np = np.concatenate([np.zeros(n), np.ones(n)]).astype(np.float32)

    runs = []
    for T in common.frameworks(not args.no_torch):
        T.manual_seed(0)
        model = build(T)(2)
        if runs:
            common.copy_weights(runs[0][1], model)
        optimizer = T.optim.SGD(model.parameters(), lr=0.3)
        runs.append((T, model, optimizer, T.tensor(x_np), T.tensor(y_np), T.nn.BCELoss()))

    names = [r[0].__name__ for r in runs]
    worst = 0.0
    for step in range(1, args.steps + 1):
        losses = []
        for T, model, optimizer, x, y, loss_fn in runs:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if len(losses) > 1:
            worst = max(worst, abs(losses[0] - losses[1]))
        if step == 1 or step % 10 == 0 or step == args.steps:
            common.report(step, losses, names)
    T, model, *_ , x, y, _ = runs[0]
    with T.no_grad():
        accuracy = ((model(x) > 0.5).to(T.float32) == y).to(T.float32).mean().item()
    print(f"peso: final loss {losses[0]:.4f}, training accuracy {accuracy:.3f}")
    if len(runs) > 1:
        print(f"peso vs PyTorch: max |loss difference| over {args.steps} steps = {worst:.2e}")
        if worst > 1e-5:
            raise SystemExit("peso and PyTorch disagree by more than 1e-5")


if __name__ == "__main__":
    main()
