"""Tensor methods that only parse Python arguments (to(), float(), tolist()...),
added to the compiled peso.Tensor class."""
import numpy as _np

from . import _C

Tensor = _C.Tensor


def _parse_to(args, kwargs):
    """(device, dtype) from PyTorch's to() forms: to(dtype), to(device), to(device, dtype), to(other)."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, (str, _C.device)):
            device = a
        elif isinstance(a, _C.dtype) or a is float or a is int or a is bool:
            dtype = a
        else:
            raise TypeError(f"to() got an unexpected argument of type {type(a).__name__}")
    return device, dtype


def _to(self, *args, **kwargs):
    device, dtype = _parse_to(args, dict(kwargs))
    t = self
    if dtype is not None and t.dtype != _as_dtype(dtype):
        t = t._to_dtype(dtype)
    if device is not None and t.device != _as_device(device):
        t = t._to_device(device)
    return t


def _as_dtype(d):
    return {float: _C.float64, int: _C.int64, bool: _C.bool}.get(d, d)


def _as_device(d):
    return _C.device(d) if isinstance(d, str) else d


def _tolist(self):
    return self.detach().cpu().numpy().tolist()


def _array(self, dtype=None):
    a = self.detach().cpu().numpy()
    return a if dtype is None else a.astype(dtype)


def _format(self, spec):
    if self.dim() == 0:
        return format(self.item(), spec)
    return format(repr(self), spec)


def _iter(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(len(self)))


def _deepcopy(self, memo):
    t = self.detach().clone()
    if self.requires_grad:
        t.requires_grad_()
    return t


def _creation_fn(name):
    from . import _creation
    return getattr(_creation, name)


def _new(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation_fn(factory)(*size, dtype=dtype or self.dtype, device=device or self.device,
                                     requires_grad=requires_grad)
    return method


def _in_place_of(name):
    """t.<name>_(*args): computed out of place, then copied in (copy_ bumps t's version, rebases its history and
    returns t itself). Gradients are right; an op whose backward needs the old value (abs, pow) makes that
    backward raise (the saved-tensor version check), instead of PyTorch's dedicated in-place formula."""
    def method(self, *args, **kwargs):
        return self.copy_(getattr(self, name)(*args, **kwargs))
    method.__name__ = name + "_"
    return method


_UNARY_IN_PLACE = ("neg abs exp log log1p sqrt rsqrt sin cos tanh sigmoid relu erf sign floor ceil round reciprocal "
                   "pow leaky_relu clamp_min clamp_max").split()


def _repeat(self, *sizes):
    """PyTorch's repeat: tiles the tensor sizes[i] times along dim i (leading new dims allowed)."""
    reps = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    if len(reps) < self.dim():
        raise ValueError(f"repeat: {len(reps)} repeat counts for a {self.dim()}-d tensor")
    shape = (1,) * (len(reps) - self.dim()) + tuple(self.shape)
    interleaved = [n for s in shape for n in (1, s)]
    expanded = [n for r, s in zip(reps, shape) for n in (r, s)]
    return self.reshape(shape).reshape(interleaved).expand(expanded).reshape([r * s for r, s in zip(reps, shape)])


def _type(self, dtype=None):
    if dtype is None:
        return f"peso.{self.dtype!r}".replace("peso.peso.", "peso.")
    return self.to(dtype)


def install():
    for name in _UNARY_IN_PLACE:
        setattr(Tensor, name + "_", _in_place_of(name))
    methods = {
        "to": _to,
        "cpu": lambda self: self.to("cpu"),
        "cuda": lambda self, device=None: self.to(device if device is not None else "cuda"),
        "float": lambda self: self.to(_C.float32),
        "double": lambda self: self.to(_C.float64),
        "half": lambda self: self.to(_C.float16),
        "long": lambda self: self.to(_C.int64),
        "int": lambda self: self.to(_C.int32),
        "bool": lambda self: self.to(_C.bool),
        "type_as": lambda self, other: self.to(other.dtype),
        "tolist": _tolist,
        "__array__": _array,
        "__format__": _format,
        "__iter__": _iter,
        "__deepcopy__": _deepcopy,
        "clamp_min": lambda self, min: self.clamp(min=min),
        "clamp_max": lambda self, max: self.clamp(max=max),
        "square": lambda self: self * self,
        "repeat": _repeat,
        "type": _type,
        "new_tensor": lambda self, data, dtype=None, device=None, requires_grad=False: _creation_fn("tensor")(
            data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad),
        "new_full": lambda self, size, fill_value, dtype=None, device=None, requires_grad=False: _creation_fn(
            "full")(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad),
        "new_zeros": _new("zeros"),
        "new_ones": _new("ones"),
        "new_empty": _new("empty"),
        "is_cpu": property(lambda self: self.device.type == "cpu"),
        "__array_priority__": 1000,  # numpy defers `ndarray op tensor` to the tensor
    }
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
