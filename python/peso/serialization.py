"""peso.save / peso.load: state dicts (str -> Tensor) as safetensors files.
Unlike torch.save, nothing is pickled: only dicts of tensors can be saved."""
import collections
import os

from . import _C


def save(obj, f, metadata=None):
    if not isinstance(obj, dict):
        raise TypeError(f"peso.save writes safetensors: it takes a dict of str -> Tensor (a state_dict), "
                        f"got {type(obj).__name__}")
    items = []
    for k, v in obj.items():
        if not isinstance(k, str) or not isinstance(v, _C.Tensor):
            raise TypeError(f"peso.save: entry {k!r} is not str -> Tensor (got {type(v).__name__})")
        items.append((k, v.detach()))
    _C._save_safetensors(items, os.fspath(f), {str(k): str(v) for k, v in (metadata or {}).items()})


def load(f, map_location=None):
    tensors, _ = _C._load_safetensors(os.fspath(f))
    out = collections.OrderedDict()
    for k, t in tensors:
        out[k] = t.to(map_location) if map_location is not None else t
    return out
