"""peso.nn.functional, as torch.nn.functional: the compiled ops of peso._C._nn
plus the ones written here from tensor ops."""
from .. import _C
from .._C._nn import (linear, dropout as _dropout, embedding, layer_norm, gelu, softplus, cosine_similarity,
                      mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, nll_loss,
                      cross_entropy)
from .._C import one_hot  # noqa: F401

Tensor = _C.Tensor


def relu(input, inplace=False):
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return input.leaky_relu(negative_slope)


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def silu(input):
    return input * input.sigmoid()


def softmax(input, dim, dtype=None):
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input, dim, dtype=None):
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout(input, p, training)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    norm = input.abs().pow(p).sum(dim, keepdim=True).pow(1.0 / p).clamp(min=eps)
    return input / norm


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v, as PyTorch 2's (bool masks: True = may attend; scale 1/sqrt(E) by
    default). Differs: a query whose keys are all masked gets zeros, not NaN."""
    return _C._nn.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale=scale)
