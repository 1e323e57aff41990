"""The layers and losses of peso.nn, with torch.nn's constructors, parameter
names, initializations and printing; each forward is one peso op or a few."""
import collections
import math

from .. import _C
from ..autograd import no_grad
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def _empty(*shape, dtype=None, device=None):
    return _C._empty(tuple(shape), dtype, device, False)


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b; W ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform, a = sqrt(5)), b the same bound."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(_empty(out_features, in_features, dtype=dtype, device=device))
        self.bias = Parameter(_empty(out_features, dtype=dtype, device=device)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(_empty(num_embeddings, embedding_dim, dtype=dtype, device=device))
        init.normal_(self.weight)
        if padding_idx is not None:
            with no_grad():
                self.weight[padding_idx] = 0.0

    def forward(self, idx):
        return F.embedding(idx, self.weight, self.padding_idx)

    def extra_repr(self):
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class LayerNorm(Module):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_C._ones(self.normalized_shape, dtype, device, False))
            if bias:
                self.bias = Parameter(_C._zeros(self.normalized_shape, dtype, device, False))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace=False"


def _activation(name, fn, extra=None):
    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        self._args, self._kwargs = args, kwargs

    def forward(self, x):
        return fn(x, *self._args, **self._kwargs)

    def extra_repr(self):
        parts = [repr(a) for a in self._args] + [f"{k}={v!r}" for k, v in self._kwargs.items()]
        return ", ".join(parts)

    return type(name, (Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr})


ReLU = _activation("ReLU", lambda x, inplace=False: x.relu())
Sigmoid = _activation("Sigmoid", lambda x: x.sigmoid())
Tanh = _activation("Tanh", lambda x: x.tanh())
SiLU = _activation("SiLU", F.silu)
GELU = _activation("GELU", lambda x, approximate="none": F.gelu(x, approximate))
LeakyReLU = _activation("LeakyReLU", lambda x, negative_slope=0.01, inplace=False: x.leaky_relu(negative_slope))
Softplus = _activation("Softplus", lambda x, beta=1.0, threshold=20.0: F.softplus(x, beta, threshold))
Softmax = _activation("Softmax", lambda x, dim=None: x.softmax(dim))
LogSoftmax = _activation("LogSoftmax", lambda x, dim=None: x.log_softmax(dim))
Flatten = _activation("Flatten", lambda x, start_dim=1, end_dim=-1: x.flatten(start_dim, end_dim))


class CosineSimilarity(Module):
    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


def _loss(name, fn, defaults):
    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        opts = dict(defaults)
        opts.update(zip(defaults, args))
        opts.update(kwargs)
        for k, v in opts.items():
            if isinstance(v, _C.Tensor):
                self.register_buffer(k, v)
            else:
                object.__setattr__(self, k, v)
        self._keys = list(opts)

    def forward(self, input, target):
        return fn(input, target, **{k: getattr(self, k) for k in self._keys})

    return type(name, (Module,), {"__init__": __init__, "forward": forward})


MSELoss = _loss("MSELoss", F.mse_loss, {"reduction": "mean"})
BCELoss = _loss("BCELoss", F.binary_cross_entropy, {"weight": None, "reduction": "mean"})
BCEWithLogitsLoss = _loss("BCEWithLogitsLoss", F.binary_cross_entropy_with_logits,
                          {"weight": None, "reduction": "mean", "pos_weight": None})
NLLLoss = _loss("NLLLoss", F.nll_loss, {"weight": None, "ignore_index": -100, "reduction": "mean"})
CrossEntropyLoss = _loss("CrossEntropyLoss", F.cross_entropy,
                         {"weight": None, "ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0})


class Sequential(Module):
    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for n, m in modules[0].items():
                self.add_module(n, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return Sequential(*mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, m):
        self.add_module(str(len(self)), m)
        return self


class ModuleList(Module):
    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, m):
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, ms):
        for m in ms:
            self.append(m)
        return self

    def __getitem__(self, i):
        mods = list(self._modules.values())
        return ModuleList(mods[i]) if isinstance(i, slice) else mods[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    def __init__(self, modules=None):
        super().__init__()
        for k, m in (modules or {}).items():
            self.add_module(k, m)

    def __getitem__(self, k):
        return self._modules[k]

    def __setitem__(self, k, m):
        self.add_module(k, m)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()
