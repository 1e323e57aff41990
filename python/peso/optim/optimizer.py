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
        """peso's flat form: {'tensors': {name: Tensor}, 'scalars': {name: float}} (see nn/optim/optimizer.h)."""
        tensors, scalars = self._impl.state_dict()
        return {"tensors": dict(tensors), "scalars": dict(scalars)}

    def load_state_dict(self, state):
        self._impl.load_state_dict(list(state["tensors"].items()), dict(state["scalars"]))

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
