"""peso.autograd.Function, as torch.autograd.Function: a custom op written in
Python, with static forward(ctx, *args) and backward(ctx, *grads).

    class Exp(peso.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    y = Exp.apply(x)

forward runs under no_grad; the outputs get a graph node (python/src/
function.cpp) whose backward, run by the engine without the GIL, takes the
GIL and calls backward with one gradient per output. backward returns one
gradient (or None) per forward argument. Written with differentiable peso
ops, it is itself differentiated by create_graph (gradgradcheck)."""
import functools

from .. import _C
from . import no_grad

Tensor = _C.Tensor


class FunctionCtx:
    """The ctx of forward and backward: save_for_backward / saved_tensors,
    needs_input_grad, mark_non_differentiable; other attributes are free to
    use for non-tensor state (tensors kept as attributes instead of saved keep
    the graph alive in a cycle, as in PyTorch)."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._to_save = ()
        self._saved = None
        self._non_differentiable = ()

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward takes tensors (or None), got {type(t).__name__}")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError("saved_tensors is only available inside backward (and once per backward pass unless "
                               "retain_graph=True)")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        if not value:
            raise NotImplementedError("peso always passes backward a gradient tensor for every output "
                                      "(zeros where an output was not used)")


def _is_any(x, items):
    return any(x is i for i in items)


class _Node:
    """What the graph node calls back: backward with the saved tensors and one
    gradient per output, its result checked and reduced to the tensor inputs."""

    def __init__(self, cls, ctx, args, outputs, recorded, saved_none):
        self.cls, self.ctx, self.recorded, self.saved_none = cls, ctx, recorded, saved_none
        self.n_args = len(args)
        self.tensor_args = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.shapes = {i: tuple(args[i].shape) for i in self.tensor_args}
        # The gradient an output gets when it is not differentiable: zeros (None for non-tensors and integers).
        self.defaults = [_C._zeros(tuple(o.shape), o.dtype, o.device, False)
                         if i not in recorded and isinstance(o, Tensor) and o.is_floating_point() else None
                         for i, o in enumerate(outputs)]

    def __call__(self, saved, grads):
        grads_by_output = list(self.defaults)
        for k, pos in enumerate(self.recorded):
            grads_by_output[pos] = grads[k]
        it = iter(saved)
        self.ctx._saved = tuple(None if none else next(it) for none in self.saved_none)
        try:
            result = self.cls.backward(self.ctx, *grads_by_output)
        finally:
            self.ctx._saved = None
        return self._check(result if isinstance(result, tuple) else (result,))

    def _check(self, result):
        name = self.cls.__name__ + "Backward"
        extra = result[self.n_args:]
        if len(result) < self.n_args or any(g is not None for g in extra):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                               f"(expected {self.n_args}, got {len(result)})")
        out = []
        for i in self.tensor_args:
            g = result[i]
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(f"function {name} returned a {type(g).__name__} as gradient {i}; expected a "
                                "Tensor or None")
            if g is not None and tuple(g.shape) != self.shapes[i]:
                raise RuntimeError(f"function {name} returned an invalid gradient at index {i} - got "
                                   f"{list(g.shape)} but expected shape compatible with {list(self.shapes[i])}")
            out.append(g if self.ctx.needs_input_grad[i] else None)
        return out


class Function:
    """Subclass it with static forward(ctx, ...) and backward(ctx, ...); call
    Subclass.apply(...), never forward directly."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a peso.autograd.Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a peso.autograd.Function subclass must define backward(ctx, ...)")

    def __init__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__}: call {type(self).__name__}.apply(...), as in PyTorch; Function "
                           "subclasses are not instantiated")

    @classmethod
    def apply(cls, *args):
        grad_on = _C.is_grad_enabled()
        ctx = FunctionCtx(tuple(grad_on and isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            result = cls.forward(ctx, *args)
        if not any(ctx.needs_input_grad):
            return result
        single = not isinstance(result, tuple)
        outputs = [result] if single else list(result)
        recorded = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o.is_floating_point()
                    and not _is_any(o, ctx._non_differentiable)]
        originals = list(outputs)
        # Fresh handles on the outputs' memory: an output that is an input (or
        # a leaf) must not have its own history replaced.
        for i in recorded:
            outputs[i] = outputs[i].detach()
        to_save = [t for t in ctx._to_save if t is not None]
        saved, saved_is_output = [], []
        for t in to_save:
            # An output saved is re-attached to this node on unpack (no cycle); an input keeps its own history.
            k = None if _is_any(t, args) else next((i for i in recorded if originals[i] is t), None)
            saved.append(t if k is None else outputs[k])
            saved_is_output.append(k is not None)
        node = _Node(cls, ctx, args, outputs, recorded, [t is None for t in ctx._to_save])
        _C._autograd.record_function(cls.__name__ + "Backward", [args[i] for i in node.tensor_args],
                                     [outputs[i] for i in recorded], saved, saved_is_output, node)
        ctx._to_save = ()
        return outputs[0] if single else tuple(outputs)


def once_differentiable(fn):
    """Decorates a backward that is not itself differentiable: it runs under no_grad."""
    @functools.wraps(fn)
    def wrapped(ctx, *grads):
        with no_grad():
            return fn(ctx, *grads)
    return wrapped
