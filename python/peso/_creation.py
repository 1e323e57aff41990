"""The creation functions with PyTorch's signatures (sizes as separate ints or
one sequence; dtype=, device=, requires_grad=, generator= keywords)."""
import numpy as _np

from . import _C

Tensor = _C.Tensor


def _size(size):
    if len(size) == 1 and not isinstance(size[0], int):
        return tuple(size[0])
    return tuple(size)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _C._empty(_size(size), dtype, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _C._zeros(_size(size), dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _C._ones(_size(size), dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return _C._full(_size((size,)), fill_value, dtype, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    return _C._rand(_size(size), dtype, device, requires_grad, generator)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    return _C._randn(_size(size), dtype, device, requires_grad, generator)


def randint(low, high=None, size=None, *, dtype=None, device=None, generator=None):
    if high is None:
        low, high = 0, low
    return _C._randint(low, high, _size((size,)), dtype, device, generator)


def _like(factory):
    def like(input, *, dtype=None, device=None, requires_grad=False, **kw):
        return factory(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                       requires_grad=requires_grad, **kw)
    like.__name__ = factory.__name__ + "_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None):
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device)


# numpy's integer and float widths that peso lacks become the nearest it has.
_NUMPY_WIDENED = {"uint8": "int64", "int8": "int64", "int16": "int64", "uint16": "int64", "uint32": "int64",
                  "uint64": "int64"}


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of data (a number, a nested sequence, an ndarray or a tensor).
    As PyTorch: Python floats become float32, ints int64, bools bool; arrays keep their dtype."""
    if isinstance(data, Tensor):
        t = data.detach().clone()
    else:
        arr = _np.array(data)
        if arr.dtype.name in _NUMPY_WIDENED:
            arr = arr.astype(_NUMPY_WIDENED[arr.dtype.name])
        if not isinstance(data, _np.ndarray) and arr.dtype == _np.float64:
            arr = arr.astype(_np.float32)
        t = _C.from_numpy(arr)  # np.array copied: C-contiguous, ours alone
    if dtype is not None:
        t = t.to(dtype)
    if device is not None:
        t = t.to(device)
    if requires_grad:
        t.requires_grad_()
    return t


def as_tensor(data, dtype=None, device=None):
    """Shares an ndarray's memory when it can (as from_numpy), else copies."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if isinstance(data, _np.ndarray) and data.dtype.name in ("bool", "int32", "int64", "float16", "float32",
                                                            "float64"):
        return _C.from_numpy(data).to(dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)
