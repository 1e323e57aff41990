"""Attention and the Transformer, as torch.nn's: MultiheadAttention (its
forward is the C++ layer's, python/src/attention.cpp), and
TransformerEncoderLayer / TransformerDecoderLayer / TransformerEncoder /
TransformerDecoder / Transformer composed of Python layers as torch.nn
composes them (same parameter names, same defaults: batch_first=False),
plus peso's positional encodings."""
import copy

from .. import _C
from ..autograd import no_grad
from . import functional as F
from . import init
from .layers import Dropout, LayerNorm, Linear, ModuleList
from .module import Module
from .parameter import Parameter


def _wrap_linear(weight, bias):
    """A Linear whose parameters are the given tensors (no initialization)."""
    lin = Linear.__new__(Linear)
    Module.__init__(lin)
    lin.out_features, lin.in_features = weight.shape
    lin.weight = Parameter._wrap(weight)
    if bias is None:
        lin.register_parameter("bias", None)
    else:
        lin.bias = Parameter._wrap(bias)
    return lin


class MultiheadAttention(Module):
    """As torch.nn.MultiheadAttention: in_proj_weight (3E, E) packs q, k, v; out_proj a Linear.
    forward(query, key, value, ...) -> (attn_output, attn_weights or None).

    Differs: boolean masks mean True = masked, as PyTorch's; is_causal builds the causal mask itself
    (PyTorch takes it as a hint about attn_mask); add_bias_kv, add_zero_attn and kdim/vdim other than
    embed_dim are not supported."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None, *, _generator=None):
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise NotImplementedError("MultiheadAttention: add_bias_kv and add_zero_attn are not supported")
        if (kdim is not None and kdim != embed_dim) or (vdim is not None and vdim != embed_dim):
            raise NotImplementedError("MultiheadAttention: kdim and vdim must equal embed_dim (q, k and v share "
                                      "in_proj_weight)")
        self.__dict__["_impl"] = _C._nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first, dtype,
                                                           _generator)
        self.__dict__["_args"] = (embed_dim, num_heads, dropout, bias, batch_first, dtype)
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.in_proj_weight = Parameter._wrap(self._impl.in_proj_weight)
        if bias:
            self.in_proj_bias = Parameter._wrap(self._impl.in_proj_bias)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = _wrap_linear(self._impl.out_proj_weight, self._impl.out_proj_bias)
        if device is not None:
            self.to(device)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        return self._impl.forward(query, key, value, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                                  self.out_proj.bias, self.training, key_padding_mask, need_weights, attn_mask,
                                  average_attn_weights, is_causal)

    def __deepcopy__(self, memo):
        """A new C++ layer (initialized from a private generator: the default one is left alone) holding
        copies of this one's values."""
        new = MultiheadAttention(*self._args[:4], batch_first=self._args[4], dtype=self._args[5],
                                 _generator=_C.Generator(0))
        new.to(self.in_proj_weight.device)
        with no_grad():
            for (_, mine), (_, theirs) in zip(self.named_parameters(), new.named_parameters()):
                theirs.copy_(mine)
                theirs.requires_grad_(mine.requires_grad)
        memo[id(self)] = new
        return new.train(self.training)

    def extra_repr(self):
        return ""


def _activation(activation):
    if callable(activation):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise ValueError(f"activation should be relu/gelu, not {activation}")


class TransformerEncoderLayer(Module):
    """post-LN (norm_first=False): x = norm1(x + sa(x)); x = norm2(x + ff(x)); pre-LN: x = x + sa(norm1(x)) ..."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    """post-LN: x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x)); pre-LN likewise."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                                 **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """num_layers deep copies of encoder_layer ("layers.0", ...), then norm when given, as PyTorch."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """The encoder-decoder of "Attention Is All You Need", as torch.nn.Transformer: both stacks end with a
    LayerNorm, and every matrix is then re-initialized with xavier_uniform_."""

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        layer = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                     activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                     norm_first=norm_first, bias=bias, device=device, dtype=dtype)
        norm = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        self.encoder = custom_encoder if custom_encoder is not None else TransformerEncoder(
            TransformerEncoderLayer(**layer), num_encoder_layers, LayerNorm(d_model, **norm))
        self.decoder = custom_decoder if custom_decoder is not None else TransformerDecoder(
            TransformerDecoderLayer(**layer), num_decoder_layers, LayerNorm(d_model, **norm))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=False, tgt_is_causal=False,
                memory_is_causal=False):
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """(sz, sz) float mask: -inf above the diagonal, 0 elsewhere (added to the scores)."""
        ones = _C._ones((sz, sz), _C.bool, device, False)
        return _C._zeros((sz, sz), dtype, device, False).masked_fill(ones.triu(1), float("-inf"))


class SinusoidalPositionalEncoding(Module):
    """peso's (the guide's): dropout(x + pe[offset : offset + T]), pe the fixed sinusoids of "Attention Is All
    You Need" (max_len, d_model), a non-persistent buffer (moves with to(), not saved)."""

    def __init__(self, d_model, max_len=5000, dropout=0.0, device=None, dtype=None):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        pe = _C._nn.sinusoidal_table(d_model, max_len, dtype)
        self.register_buffer("pe", pe if device is None else pe.to(device), persistent=False)
        self.dropout = Dropout(dropout)

    def forward(self, x, offset=0):
        t = x.shape[-2]
        if offset < 0 or offset + t > self.max_len:
            raise IndexError(f"SinusoidalPositionalEncoding: positions [{offset}, {offset + t}) are outside "
                             f"[0, max_len={self.max_len})")
        return self.dropout(x + self.pe[offset:offset + t])

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(Module):
    """peso's (GPT-2's wpe): x + weight[offset : offset + T], weight (max_len, d_model) ~ N(0, 1)."""

    def __init__(self, max_len, d_model, device=None, dtype=None):
        super().__init__()
        self.weight = Parameter(_C._empty((max_len, d_model), dtype, device, False))
        init.normal_(self.weight)

    def forward(self, x, offset=0):
        t = x.shape[-2]
        if offset < 0 or offset + t > self.weight.shape[0]:
            raise IndexError(f"LearnedPositionalEmbedding: positions [{offset}, {offset + t}) are outside "
                             f"[0, max_len={self.weight.shape[0]})")
        return x + self.weight[offset:offset + t]

    def extra_repr(self):
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"
