"""peso.autograd.Function: custom ops in Python, their backward called by the
C++ engine (GIL taken), checked by the C++ gradcheck."""
import math

import pytest

import peso
from peso.autograd import Function


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)  # an output, saved
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class ScaledMul(Function):
    """(a * b * scale, a - b): two tensor inputs, a number, two outputs."""

    @staticmethod
    def forward(ctx, a, scale, b):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale, a - b

    @staticmethod
    def backward(ctx, g_prod, g_diff):
        a, b = ctx.saved_tensors
        ga = g_prod * b * ctx.scale + g_diff if ctx.needs_input_grad[0] else None
        gb = g_prod * a * ctx.scale - g_diff if ctx.needs_input_grad[2] else None
        return ga, None, gb


class WrongGrad(Function):
    """x^2 with the derivative x instead of 2x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


def f64(*values):
    return peso.tensor(list(values), dtype=peso.float64, requires_grad=True)


def test_backward_calls_the_python_staticmethod():
    x = f64(0.0, 1.0, -2.0)
    y = Exp.apply(x)
    assert y.requires_grad and y.grad_fn == "<ExpBackward>" and not y.is_leaf
    (y * peso.tensor([1.0, 2.0, 3.0], dtype=peso.float64)).sum().backward()
    assert x.grad.tolist() == pytest.approx([1.0, 2 * math.e, 3 * math.exp(-2.0)], rel=1e-12)


def test_several_inputs_outputs_and_non_tensor_arguments():
    a, b = f64(1.0, 2.0), f64(3.0, -1.0)
    prod, diff = ScaledMul.apply(a, 0.5, b)
    assert prod.tolist() == [1.5, -1.0] and diff.tolist() == [-2.0, 3.0]
    (prod.sum() + 10 * diff.sum()).backward()
    assert a.grad.tolist() == [0.5 * 3 + 10, 0.5 * -1 + 10]
    assert b.grad.tolist() == [0.5 * 1 - 10, 0.5 * 2 - 10]


def test_needs_input_grad_and_inputs_without_grad():
    a = f64(1.0, 2.0)
    b = peso.tensor([3.0, 4.0], dtype=peso.float64)  # no grad
    seen = []

    class Spy(ScaledMul):
        @staticmethod
        def backward(ctx, g_prod, g_diff):
            seen.append(ctx.needs_input_grad)
            return ScaledMul.backward(ctx, g_prod, g_diff)

    prod, _ = Spy.apply(a, 2.0, b)
    prod.sum().backward()
    assert seen == [(True, False, False)] and a.grad.tolist() == [6.0, 8.0] and b.grad is None


def test_gradcheck_passes_for_a_right_backward_and_catches_a_wrong_one():
    x = peso.randn(4, dtype=peso.float64, requires_grad=True)
    a = peso.randn(3, dtype=peso.float64, requires_grad=True)
    b = peso.randn(3, dtype=peso.float64, requires_grad=True)
    assert peso.autograd.gradcheck(Exp.apply, (x,))
    assert peso.autograd.gradcheck(lambda a, b: ScaledMul.apply(a, 1.5, b), (a, b))
    # backward is written with peso ops, so it is differentiated again.
    assert peso.autograd.gradgradcheck(Exp.apply, (x,))
    assert not peso.autograd.gradcheck(WrongGrad.apply, (x,), raise_exception=False)
    with pytest.raises(RuntimeError):
        peso.autograd.gradcheck(WrongGrad.apply, (x,))


def test_no_graph_without_grad():
    x = f64(1.0)
    with peso.no_grad():
        y = Exp.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = Exp.apply(peso.tensor([1.0]))
    assert not z.requires_grad


def test_forward_runs_without_recording():
    recorded = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            recorded.append(y.requires_grad)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(f64(1.0)).sum().backward()
    assert recorded == [False]


def test_a_returned_input_keeps_its_own_history():
    class Same(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = f64(1.0, 2.0)
    y = Same.apply(x)
    assert x.is_leaf and not y.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_non_differentiable_outputs():
    class SortValues(Function):
        @staticmethod
        def forward(ctx, x):
            values, index = x.sort()
            ctx.mark_non_differentiable(index)
            ctx.save_for_backward(index)
            return values, index

        @staticmethod
        def backward(ctx, g_values, g_index):
            (index,) = ctx.saved_tensors
            assert g_index is None  # integer output: no gradient
            return peso.zeros_like(g_values).scatter(0, index, g_values)

    x = f64(3.0, 1.0, 2.0)
    values, index = SortValues.apply(x)
    assert values.tolist() == [1.0, 2.0, 3.0] and index.tolist() == [1, 2, 0] and not index.requires_grad
    (values * peso.tensor([1.0, 10.0, 100.0], dtype=peso.float64)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_backward_errors_name_the_function():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return g.reshape(1)

    with pytest.raises(RuntimeError, match=r"TooFewBackward returned an incorrect number of gradients \(expected 2"):
        TooFew.apply(f64(1.0), f64(2.0)).backward()
    with pytest.raises(RuntimeError, match=r"BadShapeBackward returned an invalid gradient at index 0"):
        BadShape.apply(f64(1.0, 2.0)).backward()


def test_python_exceptions_in_backward_propagate():
    class Raises(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise KeyError("from backward")

    with pytest.raises(KeyError, match="from backward"):
        Raises.apply(f64(1.0)).sum().backward()


def test_saved_tensors_are_version_checked_and_freed():
    x = f64(1.0, 2.0)
    h = x * 1
    y = WrongGrad.apply(h)
    with peso.no_grad():
        h.add_(1.0)  # modifies a tensor WrongGrad saved
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    z = Exp.apply(x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_functions_are_not_instantiated():
    with pytest.raises(RuntimeError, match=r"Exp.apply"):
        Exp()
