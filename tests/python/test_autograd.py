"""Autograd from Python: backward, grad with create_graph, grad mode, hooks, gradcheck."""
import pytest

import peso


def test_backward_gives_the_analytic_gradient():
    x = peso.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = peso.tensor([0.5, 0.25, -1.0], requires_grad=True)
    loss = (x * w).sum() + (x ** 2).mean()
    loss.backward()
    assert x.grad.tolist() == pytest.approx([0.5 + 2 / 3, 0.25 - 4 / 3, -1.0 + 2.0])
    assert w.grad.tolist() == [1.0, -2.0, 3.0]
    assert x.is_leaf and not loss.is_leaf and loss.grad_fn is not None


def test_grad_with_create_graph_gives_second_derivatives():
    x = peso.tensor([2.0, -1.0], dtype=peso.float64, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = peso.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [12.0, 3.0]
    (gg,) = peso.autograd.grad(g.sum(), x)
    assert gg.tolist() == [12.0, -6.0]
    assert x.grad is None


def test_grad_mode_context_managers():
    x = peso.ones(2, requires_grad=True)
    with peso.no_grad():
        assert not (x * 2).requires_grad
        with peso.enable_grad():
            assert (x * 2).requires_grad
        assert not peso.is_grad_enabled()
    assert peso.is_grad_enabled()

    @peso.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad


def test_hooks_with_python_callables():
    x = peso.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 3
    h = y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [30.0, 30.0]
    x.grad = None
    h.remove()
    y2 = x * 3
    y2.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_gradcheck_passes_and_catches_a_wrong_gradient():
    a = peso.randn(3, 4, dtype=peso.float64, requires_grad=True)
    b = peso.randn(4, 2, dtype=peso.float64, requires_grad=True)
    assert peso.autograd.gradcheck(lambda a, b: (a @ b).tanh().sum(1), (a, b))
    assert peso.autograd.gradgradcheck(lambda a: (a * a).sin(), (a,))
    # x * x.detach(): the graph sees d/dx = x, the numbers 2x.
    assert not peso.autograd.gradcheck(lambda x: x * x.detach(), (a,), raise_exception=False)
    with pytest.raises(RuntimeError):
        peso.autograd.gradcheck(lambda x: x * x.detach(), (a,))


def test_python_errors_in_hooks_propagate():
    x = peso.ones(2, requires_grad=True)
    y = x * 2

    def bad(g):
        raise KeyError("from the hook")

    y.register_hook(bad)
    with pytest.raises(KeyError, match="from the hook"):
        y.sum().backward()
