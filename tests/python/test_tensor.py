"""peso.Tensor from Python: creation, arithmetic, indexing, printing, errors."""
import threading
import time

import numpy as np
import pytest

import peso


def test_creation_dtypes_and_devices():
    assert peso.zeros(2, 3).shape == (2, 3)
    assert peso.zeros((2, 3)).dtype is peso.float32
    assert peso.ones(4, dtype=peso.int64).dtype == peso.int64
    assert peso.arange(5).dtype == peso.int64
    assert peso.arange(0.0, 1.0, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert peso.tensor([1, 2]).dtype == peso.int64
    assert peso.tensor([1.5]).dtype == peso.float32
    assert peso.tensor(np.zeros(2)).dtype == peso.float64
    assert peso.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert peso.randn(3, 4, dtype=peso.float64, requires_grad=True).requires_grad
    assert str(peso.zeros(1).device) == "cpu" and peso.zeros(1, device="cpu").device == peso.device("cpu")
    assert peso.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert peso.zeros_like(peso.ones(2, dtype=peso.float64)).dtype == peso.float64


def test_seeded_random_is_reproducible():
    peso.manual_seed(3)
    a = peso.randn(5)
    peso.manual_seed(3)
    assert peso.equal(a, peso.randn(5))
    g = peso.Generator(3)
    assert not peso.equal(peso.rand(5, generator=g), peso.rand(5, generator=peso.Generator(4)))


def test_arithmetic_matches_numpy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    ta, tb = peso.tensor(a), peso.tensor(b)
    np.testing.assert_allclose((ta + tb).numpy(), a + b)
    np.testing.assert_allclose((ta - 1).numpy(), a - 1)
    np.testing.assert_allclose((2 * ta / (tb + 3)).numpy(), 2 * a / (b + 3), rtol=1e-6)
    np.testing.assert_allclose((ta ** 2).numpy(), a ** 2)
    np.testing.assert_allclose((2 ** tb).numpy(), 2 ** b, rtol=1e-6)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b, rtol=1e-6)
    np.testing.assert_allclose((-ta).numpy(), -a)
    np.testing.assert_allclose(ta.sum(1).numpy(), a.sum(1))
    np.testing.assert_allclose(ta.mean(dim=(0, 1)).item(), a.mean(), rtol=1e-6)
    np.testing.assert_allclose(peso.exp(tb).numpy(), np.exp(b), rtol=1e-6)
    vals, idx = ta.max(dim=1)
    assert vals.tolist() == [2.0, 5.0] and idx.tolist() == [2, 2]
    assert (ta > 2).tolist() == [[False, False, False], [True, True, True]]
    assert (peso.arange(7) // 2).tolist() == [0, 0, 1, 1, 2, 2, 3]


def test_in_place_methods_return_the_same_object():
    t = peso.zeros(3)
    assert t.add_(1) is t and t.mul_(peso.tensor([1.0, 2.0, 3.0])) is t and t.sub_(0.5) is t
    assert t.div_(0.5) is t and t.clamp_(max=4.0) is t and t.masked_fill_(t > 3.5, -1.0) is t
    assert t.tolist() == [1.0, 3.0, -1.0]
    assert t.copy_(peso.tensor([1.0, 2.0, 3.0])) is t and t.fill_(7) is t and t.zero_() is t
    assert t.tolist() == [0.0, 0.0, 0.0]
    assert t.index_add_(0, peso.tensor([2]), peso.tensor([5.0])) is t and t.tolist() == [0.0, 0.0, 5.0]
    assert t.fill_(peso.tensor(2.0)) is t and t.tolist() == [2.0, 2.0, 2.0]
    assert t.requires_grad_() is t and t.requires_grad and t.detach_() is t and not t.requires_grad
    w = peso.empty(2, 2)
    assert peso.nn.init.zeros_(w) is w and peso.nn.init.xavier_uniform_(w) is w


def test_in_place_operators_keep_the_handle():
    t = peso.zeros(3)
    u = t
    t += 2
    t *= peso.tensor([1.0, 2.0, 3.0])
    assert u is t and t.tolist() == [2.0, 4.0, 6.0]


def test_basic_indexing_is_a_view():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = peso.tensor(a)
    for index in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 2), (slice(None, None, 2),), (0, slice(1, 3), None),
                  (None, 1, Ellipsis, slice(1, None, 2))]:
        np.testing.assert_array_equal(t[index].numpy(), a[index], err_msg=str(index))
    v = t[1, :, 1:3]
    v.fill_(-1.0)
    assert t[1, 0, 1].item() == -1.0 and t[1, 0, 0].item() == 12.0


def test_advanced_indexing_matches_numpy():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = peso.tensor(a)
    rows = np.array([2, 0, -1])
    np.testing.assert_array_equal(t[peso.tensor(rows)].numpy(), a[rows])
    np.testing.assert_array_equal(t[[0, 2], [1, 3]].numpy(), a[[0, 2], [1, 3]])
    np.testing.assert_array_equal(t[:, [3, 0]].numpy(), a[:, [3, 0]])
    mask = a % 3 == 0
    np.testing.assert_array_equal(t[peso.tensor(mask)].numpy(), a[mask])
    with pytest.raises(IndexError):
        t[peso.tensor([5])]


def test_index_assignment():
    t = peso.zeros(3, 4)
    t[0] = 1.0
    t[1, 1:3] = peso.tensor([5.0, 6.0])
    t[t > 5.5] = -2.0
    t[:, [3]] = 9.0
    assert t.tolist() == [[1.0, 1.0, 1.0, 9.0], [0.0, 5.0, -2.0, 9.0], [0.0, 0.0, 0.0, 9.0]]


def test_indexing_gradients_flow():
    x = peso.arange(6, dtype=peso.float64).reshape(2, 3).requires_grad_()
    (x[1, [0, 2, 2]] * peso.tensor([1.0, 2.0, 3.0], dtype=peso.float64)).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 0.0], [1.0, 0.0, 5.0]]


def test_printing_is_the_cpp_format():
    assert repr(peso.tensor([1.0, 2.5])) == "tensor([1.0000, 2.5000])"
    assert repr(peso.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(peso.tensor([1.0], dtype=peso.float64)) == "tensor([1.], dtype=float64)"
    assert repr(peso.float32) == "peso.float32"
    assert f"{peso.tensor(0.5):.3f}" == "0.500"


def test_errors_map_to_python_exceptions_with_the_cpp_message():
    with pytest.raises(ValueError, match="matmul"):
        peso.ones(2, 3) @ peso.ones(2, 3)
    with pytest.raises(RuntimeError):  # also a RuntimeError, as PyTorch raises
        peso.ones(2, 3) + peso.ones(4)
    with pytest.raises(IndexError):
        peso.ones(2)[5]
    with pytest.raises(TypeError):
        peso.ones(2, dtype=peso.int64).requires_grad_()
    with pytest.raises(ValueError):
        peso.ones(2).item()
    with pytest.raises(TypeError):
        peso.ones(2)["a"]


def test_item_len_iter_and_conversions():
    t = peso.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2 and [r.tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert t[1, 1].item() == 4.0 and isinstance(peso.tensor(3).item(), int)
    assert t.to(peso.int64).dtype == peso.int64 and t.double().dtype == peso.float64
    assert t.T.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    assert t.view(4).shape == (4,) and t.reshape(-1, 1).shape == (4, 1)


def _spinner_share(work):
    """How much a pure-Python thread counts while `work` runs, relative to its
    rate alone: about 0.02-0.1 when work is one C call that holds the GIL
    (sorted() of 2M floats: 0.02; the thread only runs at switch intervals),
    about 0.4-0.5 on this 2-core machine when work releases it."""
    count, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    th = threading.Thread(target=spin)
    th.start()
    try:
        time.sleep(0.05)
        c0, t0 = count[0], time.perf_counter()
        time.sleep(0.2)
        alone = (count[0] - c0) / (time.perf_counter() - t0)
        c0, t0 = count[0], time.perf_counter()
        work()
        took = time.perf_counter() - t0
        during = count[0] - c0
    finally:
        stop.set()
        th.join()
    return during / (alone * took), took


def test_ops_release_the_gil():
    x = peso.randn(700, 700)
    share, took = _spinner_share(lambda: x @ x @ x @ x @ x @ x)  # one statement: no bytecode between ops to switch at
    assert took > 0.1 and share > 0.2, (share, took)


def test_backward_releases_the_gil():
    # Sized so that backward takes well over 0.1 s on a fast idle machine (0.086 s at 700 x 700 and 4 layers).
    w = peso.randn(900, 900, requires_grad=True)
    y = w
    for _ in range(6):
        y = (y @ w).tanh()
    loss = y.sum()
    share, took = _spinner_share(loss.backward)
    assert w.grad is not None and took > 0.1 and share > 0.2, (share, took)


def test_unary_in_place_methods():
    t = peso.tensor([1.0, 4.0, 9.0])
    assert t.sqrt_() is t and t.tolist() == [1.0, 2.0, 3.0]
    assert t.pow_(2) is t and t.neg_() is t and t.tolist() == [-1.0, -4.0, -9.0]
    assert t.relu_() is t and t.tolist() == [0.0, 0.0, 0.0]
    assert t.add_(-0.5).clamp_min_(-0.25) is t and t.tolist() == [-0.25] * 3
    # Through the graph: the in-place result's gradient reaches the tensor it came from.
    x = peso.tensor([0.5, 1.0], dtype=peso.float64, requires_grad=True)
    y = x * 2
    y.exp_()
    y.sum().backward()
    assert x.grad.tolist() == pytest.approx([2 * np.exp(1.0), 2 * np.exp(2.0)])
    with pytest.raises(RuntimeError, match="leaf"):
        x.exp_()  # a leaf that requires grad, as PyTorch


def test_tensor_helpers_pytorch_code_uses():
    x = peso.tensor([[1, 2], [3, 4]])
    a = np.array([[1, 2], [3, 4]])
    assert x.repeat(2, 3).tolist() == np.tile(a, (2, 3)).tolist()
    assert x.repeat((2, 1, 2)).tolist() == np.tile(a, (2, 1, 2)).tolist()
    w = peso.tensor([1.0, 2.0], requires_grad=True)
    w.repeat(3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    assert x.square().tolist() == [[1, 4], [9, 16]]
    assert x.clamp_min(2).tolist() == [[2, 2], [3, 4]] and x.clamp_max(2).tolist() == [[1, 2], [2, 2]]
    f = peso.ones(2, dtype=peso.float64)
    assert f.new_tensor([1, 2]).dtype == peso.float64 and f.new_full((3,), 7.0).tolist() == [7.0] * 3
    assert f.type(peso.float32).dtype == peso.float32 and f.type() == "peso.float64"
