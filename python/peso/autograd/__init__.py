"""peso.autograd: backward, grad, gradcheck, the grad-mode context managers and
Function (custom ops in Python), as torch.autograd's. Grad mode is per
thread, as in PyTorch."""
import functools

from .. import _C

_A = _C._autograd


class _GradMode:
    """Base of no_grad / enable_grad: a context manager and a decorator."""
    _mode = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapped


class no_grad(_GradMode):
    """Ops in its scope record no graph (evaluation, updates by hand)."""
    _mode = False


class enable_grad(_GradMode):
    """Turns recording back on inside a no_grad scope."""
    _mode = True


inference_mode = no_grad


class set_grad_enabled(_GradMode):
    """Sets grad mode at once (as a function) or for a with-block."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        self._mode = bool(mode)
        _C._set_grad_enabled(self._mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        raise TypeError("set_grad_enabled is not a decorator; use no_grad() or enable_grad()")


class detect_anomaly:
    """Backward passes in its scope raise, naming the forward op, at the first NaN/Inf gradient."""

    def __enter__(self):
        self._prev = _C.is_anomaly_enabled()
        _C._set_anomaly_enabled(True)
        return self

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self._prev)
        return False


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    _A.backward(tensors, grad_tensors, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """d(sum(outputs * grad_outputs)) / d(inputs), as a tuple; .grad is left alone."""
    return _A.grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Analytic against finite-difference gradients (float64 CPU inputs), as torch.autograd.gradcheck."""
    return _A.gradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)


def gradgradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    return _A.gradgradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)


from .function import Function, FunctionCtx, once_differentiable  # noqa: E402,F401  (it uses no_grad above)
