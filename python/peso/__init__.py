"""peso: an autodiff and tensor engine in C++20, with PyTorch's Python API.

    import peso
    w = peso.randn(3, 2, requires_grad=True)
    loss = (peso.randn(4, 3) @ w).pow(2).mean()
    loss.backward()          # w.grad = d loss / d w

The compiled part is peso._C (python/src/); this package adds what PyTorch
users expect on top: argument parsing, peso.nn, peso.optim, peso.save/load.
See docs/python.md for the API beside PyTorch's and what differs."""
import builtins as _builtins

from . import _C
from ._C import (Tensor, Generator, DeviceError, DTypeError, ShapeError, device, dtype, from_numpy,
                 manual_seed, default_generator, is_grad_enabled, cat, concat, stack, where, einsum,
                 arange, linspace, eye, scalar_tensor, randperm, bernoulli, multinomial, rand_like, randn_like,
                 floor_divide, remainder, logical_and, logical_or, logical_xor)
from . import _tensor
from ._creation import (empty, zeros, ones, full, rand, randn, randint, zeros_like, ones_like, empty_like,
                        full_like, randint_like, tensor, as_tensor)
from .autograd import no_grad, enable_grad, set_grad_enabled, inference_mode
from .serialization import save, load

_tensor.install()

# Functions that are also Tensor methods: peso.exp(x) is x.exp().
for _name in ("add sub mul div pow neg abs exp log log1p sqrt rsqrt sin cos tanh sigmoid relu erf sign floor "
              "ceil round reciprocal clamp maximum minimum matmul mm bmm softmax log_softmax masked_fill sum mean "
              "prod var std amax amin max min argmax argmin logsumexp all any sort argsort topk cumsum tril triu "
              "index_select gather scatter scatter_add index_add eq ne allclose equal isnan isinf logical_not "
              "clone detach reshape view_as permute transpose t narrow select squeeze unsqueeze flatten unflatten "
              "diagonal split chunk numel").split():
    globals()[_name] = getattr(Tensor, _name)
lt, le, gt, ge = Tensor.__lt__, Tensor.__le__, Tensor.__gt__, Tensor.__ge__
true_divide = div

from . import autograd, cuda, nn, optim, models  # noqa: E402  (they use the names above)

# Last, as in torch: these names shadow Python's builtins inside this module.
float32, float64, float16, bfloat16, int32, int64 = (_C.float32, _C.float64, _C.float16, _C.bfloat16,
                                                     _C.int32, _C.int64)
globals().update({"bool": _C.bool, "float": _C.float32, "double": _C.float64, "half": _C.float16,
                  "long": _C.int64, "int": _C.int32})


def is_tensor(obj):
    return _builtins.isinstance(obj, Tensor)


def get_default_dtype():
    return _C.float32


__version__ = "0.1.0"
