"""nn.Module, as torch.nn.Module: attributes that are Parameters or Modules
register themselves; parameters(), named_parameters(), state_dict(),
load_state_dict(), train()/eval(), to(), zero_grad(), apply(), printing."""
import collections
import itertools

from .. import _C
from ..autograd import no_grad
from .._tensor import _parse_to
from .hooks import add_hook
from .parameter import Parameter

_IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    training: bool

    def __init__(self):
        d = self.__dict__
        d["_parameters"] = collections.OrderedDict()
        d["_buffers"] = collections.OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = collections.OrderedDict()
        d["_forward_pre_hooks"] = collections.OrderedDict()
        d["_forward_hooks"] = collections.OrderedDict()
        d["training"] = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if not d.get("_forward_pre_hooks") and not d.get("_forward_hooks"):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args, kwargs):
        """PyTorch's order: pre-hooks (which may replace the inputs), forward, hooks (which may replace the output)."""
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("a forward pre-hook registered with with_kwargs=True must return None "
                                           f"or a tuple (args, kwargs), got {type(result).__name__}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ---- hooks ----------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) -> None or new args (a tuple, or one value); with_kwargs:
        hook(module, args, kwargs) -> None or (args, kwargs). Returns a handle with remove()."""
        return add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args, output) -> None or a new output; with_kwargs: hook(module, args, kwargs,
        output). Returns a handle with remove()."""
        return add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    # ---- registration through attributes ---------------------------------
    def _registry(self, name):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign '{name}' before Module.__init__() call")

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._registry(name)
            self._forget(name)
            d["_parameters"][name] = value
        elif isinstance(value, Module):
            self._registry(name)
            self._forget(name)
            d["_modules"][name] = value
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(peso.nn.Parameter or None expected)")
            d["_parameters"][name] = None
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}'")
            d["_modules"][name] = None
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, _C.Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}'")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        d = self.__dict__
        d.pop(name, None)
        for reg in ("_parameters", "_buffers", "_modules"):
            d[reg].pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if name in d.get(reg, {}):
                del d[reg][name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        self._registry(name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._registry(name)
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        self._registry(name)
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        m = self
        for part in target.split(".") if target else []:
            m = getattr(m, part)
        return m

    # ---- traversal ----------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _own(self, kind):
        """This module's own (name, tensor) pairs of a kind: parameters or buffers."""
        return ((n, t) for n, t in getattr(self, "_" + kind).items() if t is not None)

    def _named(self, kind, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for n, t in m._own(kind):
                if id(t) in seen:
                    continue
                seen.add(id(t))
                yield mprefix + ("." if mprefix else "") + n, t

    def named_parameters(self, prefix="", recurse=True):
        return self._named("parameters", prefix, recurse)

    def parameters(self, recurse=True):
        return (t for _, t in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        return self._named("buffers", prefix, recurse)

    def buffers(self, recurse=True):
        return (t for _, t in self.named_buffers(recurse=recurse))

    # ---- state ---------------------------------------------------------------
    def train(self, mode=True):
        self.__dict__["training"] = bool(mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.zero_()

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Moves/converts parameters and buffers in place (dtype: floating ones only), as PyTorch."""
        device, dtype = _parse_to(args, dict(kwargs))
        with no_grad():
            for t in itertools.chain(self.parameters(), self.buffers()):
                new = t
                if dtype is not None and t.is_floating_point():
                    new = new.to(dtype)
                if device is not None:
                    new = new.to(device)
                if new is not t:
                    _C._nn.assign_data(t, new)
                    if t.grad is not None:
                        t.grad = t.grad.to(new.dtype).to(new.device)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to(device if device is not None else "cuda")

    def float(self):
        return self.to(_C.float32)

    def double(self):
        return self.to(_C.float64)

    def half(self):
        return self.to(_C.float16)

    def _state_items(self, prefix):
        for n, t in self._own("parameters"):
            yield prefix + n, t
        for n, t in self._own("buffers"):
            if n not in self._non_persistent:
                yield prefix + n, t

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        out = collections.OrderedDict() if destination is None else destination
        for name, t in self._state_items(prefix):
            out[name] = t if keep_vars else t.detach()
        for n, m in self.named_children():
            m.state_dict(out, prefix + n + ".", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copies values in (no grad); strict: every key must match both ways. Shape mismatches always raise."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            errors.append(f"missing keys {missing}, unexpected keys {unexpected}")
        for k, t in own.items():
            if k in state_dict and tuple(state_dict[k].shape) != tuple(t.shape):
                errors.append(f"size mismatch for {k}: checkpoint {tuple(state_dict[k].shape)}, "
                              f"model {tuple(t.shape)}")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(errors))
        with no_grad():
            for k, t in own.items():
                if k in state_dict:
                    t.copy_(state_dict[k])
        return _IncompatibleKeys(missing, unexpected)

    # ---- printing ------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for n, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({n}): {child}")
        if not lines:
            return self._get_name() + "()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))


class CppModule(Module):
    """A C++ nn::Module (peso._C._models.CppModule) as a peso.nn.Module: its
    parameters are the C++ module's own tensors (same handles), so optimizers
    and .grad see what the C++ forward uses."""

    def __init__(self, impl):
        super().__init__()
        self.__dict__["_impl"] = impl

    def _own(self, kind):
        pairs = self._impl.named_parameters() if kind == "parameters" else self._impl.named_buffers()
        for n, t in pairs:
            yield n, (Parameter._wrap(t) if kind == "parameters" else t)

    def _named(self, kind, prefix, recurse):
        for n, t in self._own(kind):
            yield prefix + ("." if prefix else "") + n, t

    def _state_items(self, prefix):
        for n, t in self._impl.state_dict():
            yield prefix + n, t

    def train(self, mode=True):
        self._impl.train(mode)
        return super().train(mode)

    def __repr__(self):
        return repr(self._impl)
