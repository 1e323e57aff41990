"""peso.cuda and device='cuda' from Python: on a machine without a GPU, the
C++ side's DeviceError (a RuntimeError naming the device), never a crash; on
one with a GPU, the values come back."""
import pytest

import peso
import peso.nn as nn


def test_the_queries_agree():
    n = peso.cuda.device_count()
    assert peso.cuda.is_available() == (n > 0)
    assert isinstance(peso.cuda.is_built(), bool)
    if not peso.cuda.is_built():
        assert n == 0


@pytest.mark.skipif(peso.cuda.is_available(), reason="this machine has a GPU")
def test_without_a_gpu_cuda_tensors_raise_a_runtime_error_naming_the_device():
    for make in (lambda: peso.zeros(2, device="cuda"),
                 lambda: peso.randn(2, device=peso.device("cuda", 0)),
                 lambda: peso.tensor([1.0], device="cuda:1"),
                 lambda: peso.ones(2).to("cuda"),
                 lambda: peso.ones(2).cuda(),
                 lambda: nn.Linear(2, 2).cuda(),
                 lambda: peso.cuda.current_device()):
        with pytest.raises(RuntimeError, match="cuda") as err:
            make()
        assert isinstance(err.value, peso.DeviceError)
    with pytest.raises(RuntimeError, match=r"cuda:1"):
        peso.zeros(1, device="cuda:1")
    assert peso.ones(2).tolist() == [1.0, 1.0]  # and peso goes on working


def test_bad_device_strings_are_value_errors():
    with pytest.raises(ValueError, match="bad device string 'gpu'"):
        peso.zeros(1, device="gpu")


@pytest.mark.skipif(not peso.cuda.is_available(), reason="no GPU")
def test_with_a_gpu_values_make_the_round_trip():
    x = peso.tensor([1.0, -2.0, 3.0], device="cuda", requires_grad=True)
    assert x.device == peso.device("cuda:0") and x.is_cuda
    (x * x).sum().backward()
    assert x.grad.cpu().tolist() == [2.0, -4.0, 6.0]
    lin = nn.Linear(3, 1).cuda()
    assert lin.weight.is_cuda and lin(x.detach().view(1, 3)).shape == (1, 1)
