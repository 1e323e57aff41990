"""peso.optim's Optimizer: the C++ optimizer (peso._C._optim) behind
torch.optim's Python surface: param_groups as dicts (writes go to the C++
group: schedulers and `g['lr'] = x` both work), step(closure), zero_grad()."""
import collections.abc

from .. import _C

# PyTorch's betas tuple is two options in peso.
_BOOL_OPTIONS = {"nesterov", "amsgrad", "maximize"}


def _options(group):
    out = {}
    for k, v in group.items():
        if k == "params":
            continue
        if k == "betas":
            out["beta1"], out["beta2"] = float(v[0]), float(v[1])
        else:
            out[k] = float(v)
    return out


def _groups(params):
    params = list(params)
    if not params:
        raise ValueError("optimizer got an empty parameter list")
    if isinstance(params[0], dict):
        return [(list(g["params"]), _options(g)) for g in params]
    return [(params, {})]


class ParamGroup(collections.abc.MutableMapping):
    """One of optimizer.param_groups: reads and writes the C++ group's options."""

    def __init__(self, impl, index):
        self._impl, self._i = impl, index

    def _keys(self):
        keys = ["params"]
        for k in self._impl.defaults():
            if k == "beta1":
                keys.append("betas")
            elif k != "beta2":
                keys.append(k)
        return keys

    def __getitem__(self, key):
        if key == "params":
            return self._impl.group_params(self._i)
        if key == "betas":
            return (self._impl.option(self._i, "beta1"), self._impl.option(self._i, "beta2"))
        if key not in self._keys():
            raise KeyError(key)
        v = self._impl.option(self._i, key)
        return bool(v) if key in _BOOL_OPTIONS else v

    def __setitem__(self, key, value):
        if key == "params":
            raise KeyError("param_groups: 'params' cannot be replaced; use add_param_group")
        for k, v in _options({key: value}).items():
            self._impl.set_option(self._i, k, v)

    def __delitem__(self, key):
        raise KeyError("param_groups: options cannot be removed")

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())

    def __repr__(self):
        return repr({k: (f"<{len(v)} tensors>" if k == "params" else v) for k, v in self.items()})


class Optimizer:
    def __init__(self, impl):
        self._impl = impl

    @property
    def param_groups(self):
        return [ParamGroup(self._impl, i) for i in range(self._impl.num_groups())]

    @property
    def defaults(self):
        return dict(self._impl.defaults())

    def step(self, closure=None):
        if closure is None:
            self._impl.step()
            return None
        return self._impl.step(closure)

    def zero_grad(self, set_to_none=True):
        self._impl.zero_grad(set_to_none)

    def add_param_group(self, group):
        self._impl.add_param_group(list(group["params"]), _options(group))

    def state_dict(self):
        """PyTorch's form: {'state': {i: {name: Tensor}}, 'param_groups': [{option: value, 'params': [i, ...]}]},
        i counting the parameters over all groups in order. The state tensors are the optimizer's own (as
        PyTorch's); 'step' is a 0-d float32 tensor, as PyTorch >= 1.12 keeps it."""
        tensors, scalars = self._impl.state_dict()
        state = {}
        for name, t in tensors:
            _, i, key = name.split(".", 2)
            state.setdefault(int(i), {})[key] = t
        groups = [{} for _ in range(int(scalars["num_groups"]))]
        for name, v in scalars.items():
            kind, _, rest = name.partition(".")
            if kind == "state":
                i, key = rest.split(".", 1)
                state.setdefault(int(i), {})[key] = _C.scalar_tensor(v, dtype=_C.float32)
            elif kind == "group":
                g, key = rest.split(".", 1)
                groups[int(g)][key] = v
        first = 0
        for g in groups:
            n = int(g.pop("num_params"))
            if "beta1" in g:
                g["betas"] = (g.pop("beta1"), g.pop("beta2"))
            for k in _BOOL_OPTIONS & g.keys():
                g[k] = bool(g[k])
            g["params"] = list(range(first, first + n))
            first += n
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Takes state_dict()'s form; checks group and parameter counts and state shapes (the C++ optimizer's
        checks) before changing anything. Tensors are copied to their parameter's dtype and device."""
        groups = state_dict["param_groups"]
        tensors, scalars = [], [("num_groups", float(len(groups)))]
        for g, group in enumerate(groups):
            scalars.append((f"group.{g}.num_params", float(len(group["params"]))))
            scalars.extend((f"group.{g}.{k}", v) for k, v in _options(group).items())
        for i, entries in state_dict["state"].items():
            for key, v in entries.items():
                if isinstance(v, _C.Tensor) and v.dim() > 0:
                    tensors.append((f"state.{int(i)}.{key}", v))
                else:
                    scalars.append((f"state.{int(i)}.{key}", float(v)))
        self._impl.load_state_dict(tensors, dict(scalars))

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in g.items() if k != "params")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        super().__init__(_C._optim.SGD(_groups(params), lr, momentum, dampening, weight_decay, nesterov, maximize))


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        super().__init__(_C._optim.Adam(_groups(params), lr, betas[0], betas[1], eps, weight_decay, amsgrad, maximize))


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(_C._optim.AdamW(_groups(params), lr, betas[0], betas[1], eps, weight_decay, amsgrad,
                                         maximize))
