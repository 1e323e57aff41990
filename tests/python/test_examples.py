"""The guide programs of examples/python learn (short runs, peso alone;
the PyTorch comparison is the programs' own job when torch is there)."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"


def run(name, steps):
    out = subprocess.run([sys.executable, str(EXAMPLES / name), "--steps", str(steps), "--no-torch"],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    losses = [float(m) for m in re.findall(r"^step +\d+ +peso ([0-9.]+)", out.stdout, re.M)]
    assert len(losses) >= 2, out.stdout
    return losses, out.stdout


def test_logistic_regression_learns():
    losses, out = run("logistic_regression.py", 60)
    assert losses[-1] < 0.6 * losses[0]
    assert float(re.search(r"training accuracy ([0-9.]+)", out).group(1)) > 0.8


def test_decoder_lm_learns():
    losses, _ = run("decoder_lm.py", 100)
    assert losses[0] > 3.0 and losses[-1] < losses[0] - 1.0


def test_sorter_learns():
    losses, _ = run("sorter.py", 150)
    assert losses[-1] < 0.75 * losses[0]


def test_seq2seq_transformer_learns():
    losses, _ = run("seq2seq_transformer.py", 100)
    assert losses[0] > 2.0 and losses[-1] < 0.6 * losses[0]


def test_logistic_regression_equals_pytorch():
    pytest.importorskip("torch")
    out = subprocess.run([sys.executable, str(EXAMPLES / "logistic_regression.py"), "--steps", "30"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    worst = float(re.search(r"max \|loss difference\| over 30 steps = ([0-9.e+-]+)", out.stdout).group(1))
    assert worst <= 1e-5


def test_attention_and_transformer_layers_equal_pytorchs():
    pytest.importorskip("torch")
    out = subprocess.run([sys.executable, str(EXAMPLES / "layers_vs_torch.py")], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("max |peso - torch|") == 13
