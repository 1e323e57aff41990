"""peso.cuda, as torch.cuda's device queries. Without a GPU (or in a build
without CUDA), is_available() is False and any tensor asked for on 'cuda'
raises peso.DeviceError (a RuntimeError) naming the device, as the C++ side
does."""
from . import _C

_CU = _C._cuda


def is_available():
    """True when at least one CUDA device can run peso's ops."""
    return _CU.device_count() > 0


def device_count():
    return _CU.device_count()


def is_built():
    """Whether this peso has a CUDA backend at all (nvcc's, or the emulator's)."""
    return _CU.is_built()


def current_device():
    if not is_available():
        raise _C.DeviceError("peso.cuda.current_device: no CUDA device is available")
    return 0


def manual_seed(seed):
    """peso has one Philox generator for every device: the same as peso.manual_seed."""
    _C.manual_seed(seed)


manual_seed_all = manual_seed
