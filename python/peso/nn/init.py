"""peso.nn.init, as torch.nn.init (in place, under no grad)."""
from .._C._nn import (calculate_gain, _calculate_fan_in_and_fan_out, uniform_, normal_, constant_, zeros_, ones_,
                      xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_)  # noqa: F401
