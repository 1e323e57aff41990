"""peso.nn.init, as torch.nn.init: in place, under no grad, each returning the
very tensor it was given (`init.zeros_(w) is w`)."""
import functools

from .. import _C
from .._C._nn import calculate_gain, _calculate_fan_in_and_fan_out  # noqa: F401

_I = _C._nn


def _returning_input(fn):
    @functools.wraps(fn)
    def wrapped(tensor, *args, **kwargs):
        fn(tensor, *args, **kwargs)
        return tensor
    return wrapped


uniform_, normal_, constant_, zeros_, ones_, xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_ = (
    _returning_input(getattr(_I, name)) for name in ("uniform_", "normal_", "constant_", "zeros_", "ones_",
                                                     "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                                     "kaiming_normal_"))
