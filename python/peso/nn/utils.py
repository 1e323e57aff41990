"""peso.nn.utils: gradient clipping, as torch.nn.utils."""
from .. import _C


def _tensors(parameters):
    if isinstance(parameters, _C.Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales the gradients so that their total norm is at most max_norm; returns the norm before
    (a float here, a tensor in PyTorch)."""
    return _C._nn.clip_grad_norm_(_tensors(parameters), max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value):
    _C._nn.clip_grad_value_(_tensors(parameters), clip_value)
