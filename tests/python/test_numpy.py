"""Memory shared with NumPy both ways (from_numpy, numpy(), the buffer protocol)."""
import gc

import numpy as np
import pytest

import peso


def test_from_numpy_shares_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = peso.from_numpy(a)
    assert t.dtype == peso.float32 and t.shape == (2, 3)
    a[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t[1, 2] = -1.0
    assert a[1, 2] == -1.0
    t.add_(1.0)
    assert a[0, 0] == 43.0


def test_from_numpy_keeps_strides_and_the_array_alive():
    a = np.arange(12, dtype=np.float64).reshape(3, 4).T  # a strided view
    t = peso.from_numpy(a)
    assert t.stride() == (1, 4) and not t.is_contiguous()
    np.testing.assert_array_equal(t.numpy(), a)
    expected = a.copy()
    del a
    gc.collect()
    np.testing.assert_array_equal(t.numpy(), expected)


def test_numpy_shares_the_tensor_memory():
    t = peso.zeros(2, 2)
    a = t.numpy()
    a[1, 1] = 3.0
    assert t[1, 1].item() == 3.0
    t.fill_(2.0)
    assert a.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    del t
    gc.collect()
    assert a.sum() == 8.0  # the array keeps the storage


def test_buffer_protocol():
    t = peso.arange(4, dtype=peso.int32)
    m = memoryview(t)
    assert m.format == "i" and m.tolist() == [0, 1, 2, 3]
    assert np.asarray(t).dtype == np.int32
    b = np.frombuffer(t, dtype=np.int32)
    assert b.tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("dtype,pdtype", [(np.bool_, peso.bool), (np.int32, peso.int32), (np.int64, peso.int64),
                                          (np.float32, peso.float32), (np.float64, peso.float64)])
def test_dtypes_round_trip(dtype, pdtype):
    a = np.ones(3, dtype=dtype)
    t = peso.from_numpy(a)
    assert t.dtype == pdtype and t.numpy().dtype == dtype


def test_what_cannot_be_shared_is_refused():
    with pytest.raises(ValueError, match="negative stride"):
        peso.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(TypeError, match="uint8"):
        peso.from_numpy(np.zeros(2, dtype=np.uint8))
    with pytest.raises(RuntimeError, match="requires grad"):
        peso.ones(2, requires_grad=True).numpy()
    assert peso.ones(2, requires_grad=True).detach().numpy().tolist() == [1.0, 1.0]
    assert peso.tensor(np.zeros(2, dtype=np.uint8)).dtype == peso.int64  # tensor() copies, widening
