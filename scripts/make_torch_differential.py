#!/usr/bin/python3
"""Writes tests/fixtures/differential/torch_differential.safetensors: random cases of
every differentiable peso op (autograd/op_registry.cpp) with PyTorch's outputs and
first- and second-order gradients, which tests/differential and tests/cuda check
peso against (tests/support/torch_differential.h interprets them; torch is not
needed at test time).

Run with Debian's PyTorch (python3-torch 1.13) and nothing else; the output is
the same on every run (fixed seed, one thread):

    /usr/bin/python3 scripts/make_torch_differential.py

Format. A safetensors file with three 1-D tensors, "f32", "f64" and "i64",
which hold every number, and the case list as JSON in the metadata entry
"cases" (a list; a case's position in it is its number). A case is

    {"op": name, "o": {options}, "in": [input, ...], "out": [output, ...],
     "up": [upstream, ...], "g": [off, ...], "v": [off, ...], "gg": [off, ...],
     "p": 32 and "e": err (present when float32 is involved: err is the largest scaled
     error of PyTorch's float32 results against the same case computed in float64, from
     which the test's float32 tolerance is derived)}

"op" names a function of the interpreter (both here, TORCH_OPS, and in C++),
called with the inputs in order and the options "o".

An input is either {"same": k} (the very same tensor object as input k) or
    {"t": dtype ("f64", "f32", "i64", "b8"), "b": base shape, "l": layout steps,
     "d": offset, "r": requires grad (0/1)}
The base tensor is contiguous, of shape "b", its values read from blob "f32"
(floats: every value is exactly representable in float32) or "i64" (integers,
bools as 0/1) at "d". The input is the base with the layout steps applied in
order, detached (a leaf, non-contiguous in general) and then requiring grad if
"r". Layout steps:
    ["t", perm]                  permute(perm)
    ["s", dim, start, step, n]   the n elements start, start+step, ... of dim
                                 (a storage offset when start > 0)
    ["e", shape]                 expand(shape): stride-0 dims
    ["i", dim, index]            select(dim, index)

"out": one entry per output of the op, {"s": shape, "t": dtype, "d": offset in
blob "f64" or null (values not compared: random fills)}.
"up": one upstream gradient per differentiable output, {"o": output index,
"t", "b", "l", "d"} built like an input (values in blob "f32"); the first
order gradients are of sum over those outputs of sum(out * upstream).
The leaves are the inputs with "r" = 1 and no "same", in order. "g": for each
leaf the offset in "f64" of its first-order gradient (the leaf's shape; zeros
where the outputs do not depend on it). "v": for each leaf the offset in "f32"
of a contiguous random tensor of the leaf's shape; "gg" (absent for ops that are
not twice differentiable and where PyTorch's second order is not usable): for
each leaf, the gradient of sum_k sum(g_k * v_k) (over the first-order
gradients that have a graph) with respect to it.
"""
import json
import math
import os
import random
import struct
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

# PESO_DIFF_SEED and PESO_DIFF_SCALE give another or a larger draw, for a longer hunt by hand
# (the committed fixture is the default one: rerun without them before committing).
SEED = int(os.environ.get("PESO_DIFF_SEED", 20240611))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "differential", "torch_differential.safetensors")
# Every generator's case count is scaled by this (the fixture grows about 0.7 MB per 1000 cases).
SCALE = float(os.environ.get("PESO_DIFF_SCALE", 1.3))
# Ops that are not twice differentiable in peso's registry: no "gg" for them.
FIRST_ORDER_ONLY = {"uniform_", "normal_"}

DTYPES = {"f64": torch.float64, "f32": torch.float32, "i64": torch.int64, "b8": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}


# ---- numbers: three growing blobs ------------------------------------------------------

class Blobs:
    def __init__(self):
        self.parts = {"f32": [], "f64": [], "i64": []}
        self.size = {"f32": 0, "f64": 0, "i64": 0}
        self.kind = {"f32": np.float32, "f64": np.float64, "i64": np.int64}

    def put(self, kind, values):
        arr = np.ascontiguousarray(np.asarray(values, dtype=self.kind[kind]).ravel())
        offset = self.size[kind]
        self.parts[kind].append(arr)
        self.size[kind] += arr.size
        return offset

    def arrays(self):
        return {k: (np.concatenate(p) if p else np.zeros(0, self.kind[k])) for k, p in self.parts.items()}


def save_safetensors(path, arrays, metadata):
    codes = {np.float32: "F32", np.float64: "F64", np.int64: "I64"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, arr in arrays.items():
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[arr.dtype.type], "shape": [arr.size],
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---- shapes and layouts --------------------------------------------------------------

def prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def rsize(rng, hi=4, zero=0.06):
    return 0 if rng.random() < zero else rng.randint(1, hi)


def rshape(rng, lo_nd=0, hi_nd=3, hi=4, zero=0.06, long=0.12):
    shape = [rsize(rng, hi, zero) for _ in range(rng.randint(lo_nd, hi_nd))]
    if shape and rng.random() < long:
        # one long dim, past the SIMD widths (4 float64, 8 float32 lanes) and their remainders
        d = rng.randrange(len(shape))
        shape = [min(s, 2) for s in shape]
        shape[d] = rng.randint(5, 19)
    return shape


def broadcast_operand(rng, shape, p_one=0.3, p_drop=0.3):
    """A shape that broadcasts to `shape`: leading dims dropped, others set to 1."""
    s = list(shape)
    while s and rng.random() < p_drop:
        s.pop(0)
    return [1 if rng.random() < p_one else d for d in s]


def make_layout(rng, shape, expand=True, p_plain=0.4):
    """(base shape, steps) whose steps turn a contiguous base into a tensor of `shape`."""
    cur, steps = list(shape), []
    if rng.random() < p_plain:
        return cur, steps
    kinds = ["s", "t", "i"] + (["e"] if expand else [])
    for _ in range(rng.randint(1, 2)):
        kind = rng.choice(kinds)
        n = len(cur)
        if kind == "e" and n > 0:
            before = [1 if (rng.random() < 0.5) else d for d in cur]
            while before and before[0] == 1 and rng.random() < 0.5:
                before.pop(0)
            if before == cur:
                continue
            steps.insert(0, ["e", list(cur)])
            cur = before
        elif kind == "s" and n > 0:
            d = rng.randrange(n)
            start, step, extra = rng.randint(0, 2), rng.randint(1, 2), rng.randint(0, 1)
            m = cur[d]
            steps.insert(0, ["s", d, start, step, m])
            cur = list(cur)
            cur[d] = start + (step * (m - 1) + 1 if m > 0 else 0) + extra
        elif kind == "t" and n > 1:
            p = list(range(n))
            rng.shuffle(p)
            before = [0] * n
            for i in range(n):
                before[p[i]] = cur[i]
            steps.insert(0, ["t", p])
            cur = before
        elif kind == "i":
            d = rng.randint(0, n)
            m = rng.randint(1, 3)
            steps.insert(0, ["i", d, rng.randrange(m)])
            cur = cur[:d] + [m] + cur[d:]
    return cur, steps


def apply_steps(t, steps):
    for st in steps:
        if st[0] == "t":
            t = t.permute(st[1])
        elif st[0] == "s":
            _, d, start, step, n = st
            t = t.narrow(d, start, step * (n - 1) + 1 if n > 0 else 0)[(slice(None),) * d + (slice(None, None, step),)]
        elif st[0] == "e":
            t = t.expand(st[1])
        elif st[0] == "i":
            t = t.select(st[1], st[2])
        else:
            raise ValueError(st)
    return t


def f32(values):
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def draw(rng, dist, n, lo, hi):
    """n values (float32-representable) of a distribution:
    u uniform, t ties (5 levels), z uniform with exact zeros, n uniform away from 0 (either sign),
    h quarters (integers and halves included), c one constant, p distinct and shuffled,
    m uniform with some -inf (masked scores)."""
    if dist == "u":
        v = [rng.uniform(lo, hi) for _ in range(n)]
    elif dist == "t":
        levels = [lo + k * (hi - lo) / 4 for k in range(5)]
        v = [rng.choice(levels) for _ in range(n)]
    elif dist == "z":
        v = [0.0 if rng.random() < 0.25 else rng.uniform(lo, hi) for _ in range(n)]
    elif dist == "n":
        v = [rng.choice([-1, 1]) * rng.uniform(lo, hi) for _ in range(n)]
    elif dist == "h":
        v = [round(rng.uniform(lo, hi) * 4) / 4 for _ in range(n)]
    elif dist == "c":
        v = [rng.uniform(lo, hi)] * n
    elif dist == "m":
        v = [-math.inf if rng.random() < 0.2 else rng.uniform(lo, hi) for _ in range(n)]
    elif dist == "p":
        v = [lo + (hi - lo) * (k + 0.5) / max(n, 1) for k in range(n)]
        rng.shuffle(v)
    else:
        raise ValueError(dist)
    return f32(v)


# ---- a case being built --------------------------------------------------------------

class Case:
    def __init__(self, rng, op, opts=None, covers=None):
        self.rng, self.op, self.opts, self.covers = rng, op, dict(opts or {}), covers
        self.inputs = []
        self.f32 = False
        self.first_order_only = False

    def f(self, shape, lo=-1.0, hi=1.0, grad=True, dist="u", dtype="f64", layout=True, expand=True):
        base, steps = make_layout(self.rng, shape, expand) if layout else (list(shape), [])
        vals = draw(self.rng, dist, prod(base), lo, hi)
        self.f32 |= dtype == "f32"
        self.inputs.append({"t": dtype, "b": base, "l": steps, "r": int(grad), "_v": vals})
        return len(self.inputs) - 1

    def i(self, shape, lo, hi, layout=True, values=None, dtype="i64"):
        if values is not None:
            base, steps, vals = list(shape), [], np.asarray(values, dtype=np.int64).ravel()
        else:
            base, steps = make_layout(self.rng, shape) if layout else (list(shape), [])
            vals = np.asarray([self.rng.randrange(lo, hi) if hi > lo else lo for _ in range(prod(base))], np.int64)
        self.inputs.append({"t": dtype, "b": base, "l": steps, "r": 0, "_v": vals})
        return len(self.inputs) - 1

    def b(self, shape, p=0.5, layout=True):
        idx = self.i(shape, 0, 2, layout, dtype="b8")
        v = self.inputs[idx]["_v"]
        self.inputs[idx]["_v"] = np.asarray([1 if self.rng.random() < p else 0 for _ in v], np.int64)
        return idx

    def same(self, k):
        self.inputs.append({"same": k})
        return len(self.inputs) - 1

    def shape_of(self, k):
        spec = self.inputs[k]
        if "same" in spec:
            return self.shape_of(spec["same"])
        return list(apply_steps(torch.zeros(spec["b"]), spec["l"]).shape)


def build_input(spec, built):
    if "same" in spec:
        return built[spec["same"]]
    dt = DTYPES[spec["t"]]
    base = torch.tensor(spec["_v"], dtype=torch.float64 if dt.is_floating_point else torch.int64).to(dt)
    t = apply_steps(base.reshape(spec["b"]), spec["l"]).detach()
    if spec["r"]:
        t.requires_grad_(True)
    return t


# ---- the ops, as PyTorch computes them -----------------------------------------------

TORCH_OPS = {}


def op(name):
    def deco(fn):
        TORCH_OPS[name] = fn
        return fn
    return deco


def sc(o, key="s"):
    return o[key]


def view_of(t, v):
    if v and isinstance(v[0], list):  # a chain of views
        for w in v:
            t = view_of(t, w)
        return t
    kind = v[0]
    if kind == "narrow":
        return t.narrow(v[1], v[2], v[3])
    if kind == "select":
        return t.select(v[1], v[2])
    if kind == "slice":
        return t[(slice(None),) * v[1] + (slice(v[2], v[3], v[4]),)]
    if kind == "diagonal":
        return t.diagonal(v[1], v[2], v[3])
    if kind == "transpose":
        return t.transpose(v[1], v[2])
    if kind == "full":
        return t
    raise ValueError(v)


# copies, conversions, fills
op("contiguous")(lambda x, o: [x[0].contiguous()])
op("clone")(lambda x, o: [x[0].clone()])
op("to_dtype")(lambda x, o: [x[0].to(DTYPES[o["t"]])])
op("to_device")(lambda x, o: [x[0].to("cpu")])


@op("copy_")
def _copy(x, o):
    d = x[0].clone()
    view_of(d, o["v"]).copy_(x[1])
    return [d]


@op("fill_")
def _fill(x, o):
    d = x[0].clone()
    view_of(d, o["v"]).fill_(o["s"])
    return [d]


@op("zero_")
def _zero(x, o):
    d = x[0].clone()
    view_of(d, o["v"]).zero_()
    return [d]


@op("uniform_")
def _uniform(x, o):
    d = x[0] * 3.0
    view_of(d, o["v"]).uniform_(0.0, 1.0)
    return [d]


@op("normal_")
def _normal(x, o):
    d = x[0] * 3.0
    view_of(d, o["v"]).normal_(0.0, 1.0)
    return [d]


# views
op("view")(lambda x, o: [x[0].view(o["shape"])])
op("reshape")(lambda x, o: [x[0].reshape(o["shape"])])
op("permute")(lambda x, o: [x[0].permute(o["perm"])])
op("transpose")(lambda x, o: [x[0].transpose(o["d0"], o["d1"])])
op("narrow")(lambda x, o: [x[0].narrow(o["dim"], o["start"], o["len"])])
op("slice")(lambda x, o: [x[0][(slice(None),) * (o["dim"] % x[0].dim()) + (slice(o["start"], o["end"], o["step"]),)]])
op("select")(lambda x, o: [x[0].select(o["dim"], o["index"])])
op("diagonal")(lambda x, o: [x[0].diagonal(o["offset"], o["d0"], o["d1"])])
op("as_strided")(lambda x, o: [x[0].as_strided(o["size"], o["stride"], o["offset"])])
op("expand")(lambda x, o: [x[0].expand(o["shape"])])
op("squeeze")(lambda x, o: [x[0].squeeze() if o["dim"] is None else x[0].squeeze(o["dim"])])
op("unsqueeze")(lambda x, o: [x[0].unsqueeze(o["dim"])])
op("flatten")(lambda x, o: [x[0].flatten(o["start"], o["end"])])
op("unflatten")(lambda x, o: [x[0].unflatten(o["dim"], o["sizes"])])

# elementwise
UNARY = {
    "neg": (torch.neg, -2, 2, "u"), "abs": (torch.abs, -2, 2, "z"), "exp": (torch.exp, -2, 2, "u"),
    "log": (torch.log, 0.2, 3, "u"), "log1p": (torch.log1p, -0.8, 2, "u"), "sqrt": (torch.sqrt, 0.2, 3, "u"),
    "rsqrt": (torch.rsqrt, 0.2, 3, "u"), "sin": (torch.sin, -3, 3, "u"), "cos": (torch.cos, -3, 3, "u"),
    "tanh": (torch.tanh, -3, 3, "u"), "sigmoid": (torch.sigmoid, -4, 4, "u"), "relu": (torch.relu, -2, 2, "z"),
    "gelu": (lambda t: F.gelu(t), -3, 3, "u"), "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), -3, 3, "u"),
    "erf": (torch.erf, -2, 2, "u"), "reciprocal": (torch.reciprocal, 0.3, 2, "n"), "sign": (torch.sign, -2, 2, "z"),
    "floor": (torch.floor, -3, 3, "h"), "ceil": (torch.ceil, -3, 3, "h"), "round": (torch.round, -3, 3, "h"),
}
for _name, (_fn, _lo, _hi, _dist) in UNARY.items():
    op(_name)(lambda x, o, fn=_fn: [fn(x[0])])

op("leaky_relu")(lambda x, o: [F.leaky_relu(x[0], o["slope"])])
op("softplus")(lambda x, o: [F.softplus(x[0], o["beta"], o["threshold"])])
op("pow_scalar")(lambda x, o: [torch.pow(x[0], o["e"])])
op("clamp")(lambda x, o: [torch.clamp(x[0], o["lo"], o["hi"])])


@op("add")
def _add(x, o):
    if o["f"] == "ts":
        return [torch.add(x[0], o["s"])]
    return [torch.add(x[0], x[1], alpha=o["a"])]


@op("sub")
def _sub(x, o):
    if o["f"] == "ts":
        return [torch.sub(x[0], o["s"])]
    if o["f"] == "st":
        return [o["s"] - x[0]]
    return [torch.sub(x[0], x[1], alpha=o["a"])]


@op("mul")
def _mul(x, o):
    return [torch.mul(x[0], o["s"])] if o["f"] == "ts" else [torch.mul(x[0], x[1])]


@op("div")
def _div(x, o):
    if o["f"] == "ts":
        return [torch.div(x[0], o["s"])]
    if o["f"] == "st":
        return [o["s"] / x[0]]
    return [torch.div(x[0], x[1])]


@op("pow")
def _pow(x, o):
    return [torch.pow(o["s"], x[0])] if o["f"] == "st" else [torch.pow(x[0], x[1])]


op("maximum")(lambda x, o: [torch.maximum(x[0], x[1])])
op("minimum")(lambda x, o: [torch.minimum(x[0], x[1])])
op("remainder")(lambda x, o: [torch.remainder(x[0], x[1])])


@op("where")
def _where(x, o):
    if o["f"] == "st":
        return [torch.where(x[0], o["s"], x[1])]
    if o["f"] == "ts":
        return [torch.where(x[0], x[1], o["s"])]
    return [torch.where(x[0], x[1], x[2])]


op("masked_fill")(lambda x, o: [torch.masked_fill(x[0], x[1], o["s"])])


# reductions; "dims": [] means every dim
def all_dims(x, dims):
    return tuple(dims) if dims else tuple(range(x.dim()))


op("sum")(lambda x, o: [torch.sum(x[0], all_dims(x[0], o["dims"]), keepdim=o["keep"])])
op("mean")(lambda x, o: [torch.mean(x[0], all_dims(x[0], o["dims"]), keepdim=o["keep"])])


@op("prod")
def _prod(x, o):
    t = x[0]
    if t.dim() == 0:
        return [t.prod()]
    dims = sorted(((d % t.dim()) for d in all_dims(t, o["dims"])), reverse=True)
    for d in dims:  # torch.prod takes one dim at a time
        t = t.prod(d, keepdim=o["keep"])
    return [t]


op("var")(lambda x, o: [torch.var(x[0], all_dims(x[0], o["dims"]), correction=o["corr"], keepdim=o["keep"])])
op("std")(lambda x, o: [torch.std(x[0], all_dims(x[0], o["dims"]), correction=o["corr"], keepdim=o["keep"])])
op("amax")(lambda x, o: [torch.amax(x[0], all_dims(x[0], o["dims"]), keepdim=o["keep"])])
op("amin")(lambda x, o: [torch.amin(x[0], all_dims(x[0], o["dims"]), keepdim=o["keep"])])
op("max")(lambda x, o: list(torch.max(x[0], o["dim"], keepdim=o["keep"])))
op("min")(lambda x, o: list(torch.min(x[0], o["dim"], keepdim=o["keep"])))
op("logsumexp")(lambda x, o: [torch.logsumexp(x[0], o["dims"], keepdim=o["keep"])])

# linear algebra
op("matmul")(lambda x, o: [torch.matmul(x[0], x[1])])
op("mm")(lambda x, o: [torch.mm(x[0], x[1])])
op("bmm")(lambda x, o: [torch.bmm(x[0], x[1])])
op("einsum")(lambda x, o: [torch.einsum(o["eq"], *x)])

# normalization
op("softmax")(lambda x, o: [torch.softmax(x[0], o["dim"])])
op("log_softmax")(lambda x, o: [torch.log_softmax(x[0], o["dim"])])


@op("layer_norm")
def _layer_norm(x, o):
    w = x[o["w"]] if o["w"] >= 0 else None
    b = x[o["b"]] if o["b"] >= 0 else None
    return [F.layer_norm(x[0], o["ns"], w, b, o["eps"])]


@op("cross_entropy")
def _cross_entropy(x, o):
    target = torch.where(x[2], x[1], torch.full_like(x[1], -100))
    return [F.cross_entropy(x[0], target, reduction="none")]


# indexing
op("embedding")(lambda x, o: [F.embedding(x[1], x[0])])
op("index_select")(lambda x, o: [torch.index_select(x[0], o["dim"], x[1])])
op("gather")(lambda x, o: [torch.gather(x[0], o["dim"], x[1])])


@op("scatter")
def _scatter(x, o):
    if o["f"] == "value":
        return [torch.scatter(x[0], o["dim"], x[1], o["s"])]
    return [torch.scatter(x[0], o["dim"], x[1], x[2])]


op("scatter_add")(lambda x, o: [torch.scatter_add(x[0], o["dim"], x[1], x[2])])
op("index_add")(lambda x, o: [torch.index_add(x[0], o["dim"], x[1], x[2], alpha=o["a"])])

# joining, ordering
op("cat")(lambda x, o: [torch.cat(list(x), o["dim"])])
op("stack")(lambda x, o: [torch.stack(list(x), o["dim"])])
op("tril")(lambda x, o: [torch.tril(x[0], o["k"])])
op("triu")(lambda x, o: [torch.triu(x[0], o["k"])])
op("sort")(lambda x, o: list(torch.sort(x[0], o["dim"], descending=o["desc"])))


@op("topk")
def _topk(x, o):
    if o["sorted"]:
        return list(torch.topk(x[0], o["k"], o["dim"], largest=o["largest"], sorted=True))
    # unsorted: the order is the implementation's, so both sides sort the values afterwards
    v, _ = torch.topk(x[0], o["k"], o["dim"], largest=o["largest"], sorted=False)
    return [torch.sort(v, o["dim"], descending=o["largest"])[0]]


@op("split")
def _split(x, o):
    return list(torch.split(x[0], o["size"], o["dim"]))


op("chunk")(lambda x, o: list(torch.chunk(x[0], o["n"], o["dim"])))
op("cumsum")(lambda x, o: [torch.cumsum(x[0], o["dim"])])


# ---- engine-level programs -----------------------------------------------------------

@op("self_chain")
def _self_chain(x, o):
    """g(f(x), x): the same tensor reaching one op along two paths."""
    t = x[0]
    f = {"id": lambda: t, "clone": lambda: t.clone(), "contiguous": lambda: t.contiguous(),
         "mul1": lambda: t * 1.0, "neg": lambda: -t}[o["f"]]()
    g = {"add": torch.add, "mul": torch.mul, "sub": torch.sub}[o["g"]]
    return [g(f, t)]


@op("roots_twice")
def _roots_twice(x, o):
    """The same root listed several times (with different upstream gradients)."""
    t = x[0]
    y = {"id": lambda: t, "tanh": lambda: torch.tanh(t), "mulw": lambda: t * x[1]}[o["f"]]()
    return [y] * o["n"] + ([y * 2.0] if o["extra"] else [])


def inplace_step(v, s, x):
    f = s["f"]
    if f == "mul_":
        v.mul_(x[s["w"]])
    elif f == "add_":
        v.add_(x[s["w"]], alpha=s["a"])
    elif f == "sub_":
        v.sub_(x[s["w"]], alpha=s["a"])
    elif f == "div_":
        v.div_(x[s["w"]])
    elif f == "mul_s":
        v.mul_(s["s"])
    elif f == "add_s":
        v.add_(s["s"])
    elif f == "copy_":
        v.copy_(x[s["w"]])
    elif f == "clamp_":
        v.clamp_(s["lo"], s["hi"])
    elif f == "masked_fill_":
        v.masked_fill_(x[s["m"]], s["s"])
    elif f == "fill_":
        v.fill_(s["s"])
    elif f == "zero_":
        v.zero_()
    elif f == "index_add_":
        v.index_add_(s["dim"], x[s["i"]], x[s["w"]], alpha=s["a"])
    elif f == "scatter_add_":
        v.scatter_add_(s["dim"], x[s["i"]], x[s["w"]])
    else:
        raise ValueError(f)


@op("inplace_view")
def _inplace_view(x, o):
    """In-place ops through views of an intermediate, then the intermediate used on."""
    base = x[0] * 1.0 if o["src"] == "mul1" else x[0].clone()
    pre = view_of(base, o["pre"]) if o["pre"] else None  # taken before the writes, used after
    last = None
    for s in o["steps"]:
        last = view_of(base, s["v"])
        inplace_step(last, s, x)
    then = o["then"]
    if then == "cat":
        out = torch.cat([x[o["z"]], base], o["dim"])
    elif then == "mul":
        out = base * x[0]
    else:
        out = base
    return [out] + ([last] if o["outv"] else []) + ([pre * 2.0] if o["pre"] else [])


@op("attention")
def _attention(x, o):
    """softmax(q k^T scale, masked) v, as a transformer's attention computes it."""
    scores = torch.matmul(x[0], x[1].transpose(-2, -1)) * o["scale"]
    if o["mask"]:
        scores = scores.masked_fill(x[3], -math.inf)
    return [torch.matmul(torch.softmax(scores, -1), x[2])]


@op("fused_attention")
def _fused_attention(x, o):
    """peso's fused attention (tiled, online softmax) against PyTorch's composite: causal aligned top-left."""
    scores = torch.matmul(x[0], x[1].transpose(-2, -1)) * o["scale"]
    if o["causal"]:
        t, s = scores.shape[-2], scores.shape[-1]
        scores = scores.masked_fill(torch.ones(t, s, dtype=torch.bool).triu(1), -math.inf)
    return [torch.matmul(torch.softmax(scores, -1), x[2])]


@op("mlp")
def _mlp(x, o):
    """log_softmax(layer_norm(gelu(x w1 + b1) w2)): a classifier head."""
    y = torch.matmul(F.gelu(torch.matmul(x[0], x[1]) + x[2], approximate=o["gelu"]), x[3])
    return [torch.log_softmax(F.layer_norm(y, [y.shape[-1]], x[4], x[5]), -1)]


@op("checkpoint")
def _checkpoint(x, o):
    """torch.utils.checkpoint (non-reentrant) of a function that captures weights."""
    v = o["f"]
    if v == 0:  # captures w and b
        fn = lambda a: torch.tanh(a @ x[1]) + x[2]
        return [checkpoint(fn, x[0], use_reentrant=False)]
    if v == 1:  # w passed, b captured; the input used twice
        fn = lambda a, w: torch.sigmoid(a @ w) * a.sum() + x[2]
        return [checkpoint(fn, x[0], x[1], use_reentrant=False)]
    # two outputs, only captured weights need grads
    fn = lambda a: (torch.exp(a * x[1].sum()), a * x[2].mean())
    return list(checkpoint(fn, x[0], use_reentrant=False))


# ---- the case generators: one per interpreter function -------------------------------

GENS = {}


def gen(name, count, covers=None):
    def deco(fn):
        GENS[name] = (fn, math.ceil(count * SCALE), covers)
        return fn
    return deco


def pick(rng, *xs):
    return rng.choice(xs)


def rand_view(rng, shape):
    """A view spec (for in-place programs) of a tensor of `shape`, and the view's shape."""
    n = len(shape)
    kinds = ["full"] + (["narrow", "select", "slice"] if n > 0 else []) + (["diagonal", "transpose"] if n > 1 else [])
    kind = rng.choice(kinds)
    if kind == "full":
        return ["full"], list(shape)
    d = rng.randrange(n)
    if kind == "narrow":
        start = rng.randint(0, shape[d])
        ln = rng.randint(0, shape[d] - start)
        return ["narrow", d, start, ln], shape[:d] + [ln] + shape[d + 1:]
    if kind == "select":
        if shape[d] == 0:
            return ["full"], list(shape)
        return ["select", d, rng.randrange(shape[d])], shape[:d] + shape[d + 1:]
    if kind == "slice":
        start = rng.randint(0, shape[d])
        end = rng.randint(start, shape[d])
        step = rng.randint(1, 2)
        return ["slice", d, start, end, step], shape[:d] + [len(range(start, end, step))] + shape[d + 1:]
    d0, d1 = rng.sample(range(n), 2)
    if kind == "transpose":
        s = list(shape)
        s[d0], s[d1] = s[d1], s[d0]
        return ["transpose", d0, d1], s
    off = rng.randint(-2, 2)
    t = torch.zeros(shape).diagonal(off, d0, d1)
    return ["diagonal", off, d0, d1], list(t.shape)


def signed_dim(rng, d, n):
    return d - n if (n > 0 and rng.random() < 0.3) else d


# copies, conversions, fills
@gen("contiguous", 30)
def g_contiguous(c):
    c.f(rshape(c.rng))


@gen("clone", 30)
def g_clone(c):
    c.f(rshape(c.rng))


@gen("to_dtype", 30)
def g_to_dtype(c):
    src = pick(c.rng, "f64", "f32")
    c.opts["t"] = pick(c.rng, "f32", "f64")
    c.f(rshape(c.rng), dtype=src)
    c.f32 = True


@gen("to_device", 16)
def g_to_device(c):
    c.f(rshape(c.rng))


def fill_like(c, name):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    c.opts["v"], vshape = rand_view(c.rng, shape)
    return vshape


@gen("copy_", 40)
def g_copy(c):
    vshape = fill_like(c, "copy_")
    c.f(broadcast_operand(c.rng, vshape), dtype=pick(c.rng, "f64", "f64", "f32"), grad=c.rng.random() < 0.85)


@gen("fill_", 25)
def g_fill(c):
    fill_like(c, "fill_")
    c.opts["s"] = pick(c.rng, 0.5, -2.0, 3.0)


@gen("zero_", 20)
def g_zero(c):
    fill_like(c, "zero_")


@gen("uniform_", 10)
def g_uniform(c):
    fill_like(c, "uniform_")


@gen("normal_", 10)
def g_normal(c):
    fill_like(c, "normal_")


# views
def factor_shape(rng, n):
    """A random shape with n elements (-1 in one place sometimes)."""
    if n == 0:
        return pick(rng, [0], [2, 0], [0, 3, 1])
    dims, rest = [], n
    for p in (2, 3, 2, 5, 7):
        while rest % p == 0 and rng.random() < 0.6:
            dims.append(p)
            rest //= p
    if rest > 1:
        dims.append(rest)
    rng.shuffle(dims)
    if rng.random() < 0.3:
        dims.insert(rng.randint(0, len(dims)), 1)
    if dims and rng.random() < 0.3:
        dims[rng.randrange(len(dims))] = -1
    return dims


@gen("view", 30)
def g_view(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, layout=c.rng.random() < 0.3)
    c.opts["shape"] = factor_shape(c.rng, prod(shape))


@gen("reshape", 30)
def g_reshape(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    c.opts["shape"] = factor_shape(c.rng, prod(shape))


@gen("permute", 25)
def g_permute(c):
    shape = rshape(c.rng, 0, 4, 3)
    c.f(shape)
    p = list(range(len(shape)))
    c.rng.shuffle(p)
    c.opts["perm"] = [signed_dim(c.rng, d, len(p)) for d in p]


@gen("transpose", 25)
def g_transpose(c):
    shape = rshape(c.rng, 1, 4, 3)
    c.f(shape)
    n = len(shape)
    c.opts["d0"], c.opts["d1"] = signed_dim(c.rng, c.rng.randrange(n), n), signed_dim(c.rng, c.rng.randrange(n), n)


@gen("narrow", 25)
def g_narrow(c):
    shape = rshape(c.rng, 1, 3)
    c.f(shape)
    d = c.rng.randrange(len(shape))
    start = c.rng.randint(0, shape[d])
    c.opts.update(dim=signed_dim(c.rng, d, len(shape)), start=start, len=c.rng.randint(0, shape[d] - start))


@gen("slice", 30)
def g_slice(c):
    shape = rshape(c.rng, 1, 3, 5)
    c.f(shape)
    d = c.rng.randrange(len(shape))
    c.opts.update(dim=signed_dim(c.rng, d, len(shape)), start=pick(c.rng, None, 0, 1, -2, 7),
                  end=pick(c.rng, None, 2, -1, 9), step=pick(c.rng, 1, 2, 3))


@gen("select", 25)
def g_select(c):
    shape = [max(s, 1) for s in rshape(c.rng, 1, 3)]
    c.f(shape)
    d = c.rng.randrange(len(shape))
    i = c.rng.randrange(shape[d])
    c.opts.update(dim=signed_dim(c.rng, d, len(shape)), index=i - shape[d] if c.rng.random() < 0.3 else i)


@gen("diagonal", 30)
def g_diagonal(c):
    shape = rshape(c.rng, 2, 3)
    c.f(shape)
    n = len(shape)
    d0, d1 = c.rng.sample(range(n), 2)
    c.opts.update(offset=c.rng.randint(-3, 3), d0=signed_dim(c.rng, d0, n), d1=signed_dim(c.rng, d1, n))


@gen("as_strided", 40)
def g_as_strided(c):
    n = c.rng.randint(0, 12)
    c.f([n], layout=False)
    for _ in range(50):
        nd = c.rng.randint(0, 3)
        size = [c.rng.randint(0, 3) for _ in range(nd)]
        stride = [c.rng.randint(0, 3) for _ in range(nd)]  # 0 and overlapping windows included
        offset = pick(c.rng, None, 0, 1, 2)
        off = offset or 0
        reach = off + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else off - 1
        if reach < n:
            c.opts.update(size=size, stride=stride, offset=offset)
            return
    raise ValueError("no as_strided geometry")


@gen("expand", 25)
def g_expand(c):
    target = rshape(c.rng, 0, 3)
    shape = broadcast_operand(c.rng, target, 0.5)
    c.f(shape)
    c.opts["shape"] = target


@gen("squeeze", 25)
def g_squeeze(c):
    shape = [1 if c.rng.random() < 0.5 else s for s in rshape(c.rng, 0, 4)]
    c.f(shape)
    n = len(shape)
    c.opts["dim"] = None if (n == 0 or c.rng.random() < 0.4) else signed_dim(c.rng, c.rng.randrange(n), n)


@gen("unsqueeze", 20)
def g_unsqueeze(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    n = len(shape) + 1
    c.opts["dim"] = signed_dim(c.rng, c.rng.randrange(n), n)


@gen("flatten", 25)
def g_flatten(c):
    shape = rshape(c.rng, 0, 4, 3)
    c.f(shape)
    n = max(len(shape), 1)
    a, b = sorted([c.rng.randrange(n), c.rng.randrange(n)])
    c.opts.update(start=signed_dim(c.rng, a, n), end=signed_dim(c.rng, b, n))


@gen("unflatten", 20)
def g_unflatten(c):
    shape = rshape(c.rng, 1, 3, 6)
    c.f(shape)
    d = c.rng.randrange(len(shape))
    c.opts.update(dim=signed_dim(c.rng, d, len(shape)), sizes=factor_shape(c.rng, shape[d]))


# elementwise
F32_SOME = {"exp", "tanh", "sigmoid", "gelu", "log", "add", "mul", "div", "sum", "mean", "softmax", "log_softmax",
            "matmul", "layer_norm", "cross_entropy", "logsumexp"}


def float_dtype(c):
    return "f32" if (c.op in F32_SOME and c.rng.random() < 0.15) else "f64"


def g_unary(c):
    _, lo, hi, dist = UNARY[c.op]
    c.f(rshape(c.rng, 0, 3), lo, hi, dist=dist, dtype=float_dtype(c))


for _name in UNARY:
    gen(_name, 25)(g_unary)


@gen("leaky_relu", 25)
def g_leaky_relu(c):
    c.f(rshape(c.rng), -2, 2, dist="z")
    c.opts["slope"] = pick(c.rng, 0.01, 0.01, 0.2, -0.5)


@gen("softplus", 30)
def g_softplus(c):
    beta, threshold = pick(c.rng, 1.0, 1.0, 2.0, 0.5), pick(c.rng, 20.0, 20.0, 1.0)
    c.f(rshape(c.rng), -3, 3, dist=pick(c.rng, "u", "h"))  # "h" puts some beta x exactly at threshold 1
    c.opts.update(beta=beta, threshold=threshold)
    # Where beta x equals the threshold PyTorch 1.13's first derivative takes the smooth branch
    # and its second derivative the linear one (0): no second order for such inputs.
    c.first_order_only = any(v * beta == threshold for v in c.inputs[0]["_v"])


@gen("pow_scalar", 40)
def g_pow_scalar(c):
    e = pick(c.rng, 0.0, 1.0, 2.0, 3.0, -1.0, 0.5, -1.5, 2.5, -2.0)
    c.opts["e"] = e
    if e == int(e) and e >= 0:
        c.f(rshape(c.rng), -2, 2, dist="z")
    elif e == int(e):
        c.f(rshape(c.rng), 0.3, 2, dist="n")
    else:
        c.f(rshape(c.rng), 0.2, 2)


@gen("clamp", 40)
def g_clamp(c):
    c.f(rshape(c.rng), -1, 1, dist=pick(c.rng, "t", "u"))
    levels = [-1.0, -0.5, 0.0, 0.5, 1.0, 0.3]
    lo, hi = pick(c.rng, None, *levels), pick(c.rng, None, *levels)
    if lo is None and hi is None:
        hi = 0.5
    c.opts.update(lo=lo, hi=hi)  # lo > hi included: PyTorch then gives hi everywhere


def binary_inputs(c, lo=-2.0, hi=2.0, dist="u", lo2=None, hi2=None, dist2=None, allow_same=True):
    shape = rshape(c.rng, 0, 3)
    dt = float_dtype(c)
    mixed = dt == "f64" and c.rng.random() < 0.08
    c.f(broadcast_operand(c.rng, shape), lo, hi, dist=dist, dtype=dt, grad=c.rng.random() < 0.9)
    if allow_same and c.rng.random() < 0.1:
        c.inputs[0]["r"] = 1
        c.same(0)
        return
    if c.op in ("add", "sub", "mul", "maximum", "minimum") and c.rng.random() < 0.08:
        # an integer or bool operand: promoted in the forward, no gradient of its own
        c.inputs[0]["r"] = 1
        if c.rng.random() < 0.5:
            c.i(broadcast_operand(c.rng, shape), -2, 3)
        else:
            c.b(broadcast_operand(c.rng, shape))
        return
    c.f(broadcast_operand(c.rng, shape), lo if lo2 is None else lo2, hi if hi2 is None else hi2,
        dist=dist2 or dist, dtype="f32" if mixed else dt, grad=c.rng.random() < 0.9)
    c.f32 |= mixed
    if not c.inputs[0]["r"] and not c.inputs[1]["r"]:
        c.inputs[1]["r"] = 1


def scalar_form(c, forms, lo=-2.0, hi=2.0, dist="u"):
    f = pick(c.rng, *forms)
    c.opts["f"] = f
    if f != "tt":
        c.f(rshape(c.rng), lo, hi, dist=dist, dtype=float_dtype(c))
    return f


@gen("add", 60)
def g_add(c):
    if scalar_form(c, ["tt", "tt", "ts"]) == "tt":
        binary_inputs(c)
    c.opts.update(a=pick(c.rng, 1.0, 1.0, 0.5, -2.0), s=pick(c.rng, 1.5, -0.25))


@gen("sub", 50)
def g_sub(c):
    if scalar_form(c, ["tt", "tt", "ts", "st"]) == "tt":
        binary_inputs(c)
    c.opts.update(a=pick(c.rng, 1.0, 1.0, 0.5, -2.0), s=pick(c.rng, 1.5, -0.25))


@gen("mul", 60)
def g_mul(c):
    if scalar_form(c, ["tt", "tt", "ts"]) == "tt":
        binary_inputs(c)
    c.opts["s"] = pick(c.rng, 2.5, -0.5, 0.0)


@gen("div", 50)
def g_div(c):
    if scalar_form(c, ["tt", "tt", "ts", "st"], 0.4, 2.0, "n") == "tt":
        binary_inputs(c, -2, 2, "u", 0.4, 2.0, "n")
    c.opts["s"] = pick(c.rng, 2.5, -0.5)


@gen("pow", 50)
def g_pow(c):
    if scalar_form(c, ["tt", "tt", "st"], -2.0, 2.0) == "tt":
        binary_inputs(c, 0.3, 2.0, "u", -2.0, 2.0, "u", allow_same=True)
    c.opts["s"] = pick(c.rng, 2.5, 0.5)


@gen("maximum", 40)
def g_maximum(c):
    binary_inputs(c, -1, 1, pick(c.rng, "t", "u"))


@gen("minimum", 40)
def g_minimum(c):
    binary_inputs(c, -1, 1, pick(c.rng, "t", "u"))


@gen("remainder", 40)
def g_remainder(c):
    binary_inputs(c, -3, 3, "u", 0.5, 1.5, "n", allow_same=False)


@gen("where", 45)
def g_where(c):
    shape = rshape(c.rng, 0, 3)
    c.b(broadcast_operand(c.rng, shape))
    f = pick(c.rng, "tt", "tt", "st", "ts")
    c.opts.update(f=f, s=pick(c.rng, 2.0, -0.5))
    c.f(broadcast_operand(c.rng, shape))
    if f == "tt":
        if c.rng.random() < 0.15:
            c.same(1)
        else:
            c.f(broadcast_operand(c.rng, shape), grad=c.rng.random() < 0.8)


@gen("masked_fill", 30)
def g_masked_fill(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    c.b(broadcast_operand(c.rng, shape))
    c.opts["s"] = pick(c.rng, -1.0, 0.0, 2.5)


# reductions
def reduce_dims(c, shape, allow_all=True):
    n = len(shape)
    dims = [d for d in range(n) if c.rng.random() < 0.5]
    if not dims and not allow_all:
        dims = [c.rng.randrange(n)] if n else []
    c.rng.shuffle(dims)
    return [signed_dim(c.rng, d, n) for d in dims]


def g_reduce(c, lo=-2.0, hi=2.0, dist="u", allow_all=True):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, lo, hi, dist=dist, dtype=float_dtype(c))
    c.opts.update(dims=reduce_dims(c, shape, allow_all), keep=c.rng.random() < 0.4)


gen("sum", 40)(g_reduce)
gen("mean", 40)(g_reduce)


@gen("prod", 60)
def g_prod(c):
    g_reduce(c, 0.5, 1.5, "z")
    v = c.inputs[0]["_v"]
    c.inputs[0]["_v"] = v * np.asarray([pick(c.rng, -1.0, 1.0) for _ in v])


def g_var_std(c):
    g_reduce(c, -2, 2, pick(c.rng, "u", "u", "u", "c"))
    # A correction of a 0-d input's variance is left out: PyTorch 1.13 gives the gradient +-inf
    # there, and NaN for the same one-element reduction of a 1-d tensor (which stays in).
    c.opts["corr"] = pick(c.rng, 0, 1, 1, 2) if c.shape_of(0) else 0


gen("var", 40)(g_var_std)
gen("std", 40)(g_var_std)


def g_amax(c):
    g_reduce(c, -1, 1, pick(c.rng, "t", "u"))


gen("amax", 40)(g_amax)
gen("amin", 40)(g_amax)


def g_max_dim(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, -1, 1, dist="p", expand=False)
    n = max(len(shape), 1)
    c.opts.update(dim=signed_dim(c.rng, c.rng.randrange(n), n), keep=c.rng.random() < 0.4)


gen("max", 30)(g_max_dim)
gen("min", 30)(g_max_dim)


@gen("logsumexp", 35)
def g_logsumexp(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, -3, 3, dist=pick(c.rng, "u", "u", "m"), dtype=float_dtype(c))
    dims = reduce_dims(c, shape, allow_all=False)
    c.opts.update(dims=dims if dims else [0] if not shape else dims, keep=c.rng.random() < 0.4)


# linear algebra
@gen("matmul", 60)
def g_matmul(c):
    m, k, n = rsize(c.rng, 4, 0.08), rsize(c.rng, 4, 0.08), rsize(c.rng, 4, 0.08)
    batch = rshape(c.rng, 0, 2, 3)
    kind = pick(c.rng, "vv", "vm", "mv", "mm", "bm", "mb", "bb", "vb", "bv")
    ba, bb = broadcast_operand(c.rng, batch), broadcast_operand(c.rng, batch)
    sa = {"vv": [k], "vm": [k], "mv": [m, k], "mm": [m, k], "bm": ba + [m, k], "mb": [m, k], "bb": ba + [m, k],
          "vb": [k], "bv": ba + [m, k]}[kind]
    sb = {"vv": [k], "vm": [k, n], "mv": [k], "mm": [k, n], "bm": [k, n], "mb": bb + [k, n], "bb": bb + [k, n],
          "vb": bb + [k, n], "bv": [k]}[kind]
    dt = float_dtype(c)
    c.f(sa, dtype=dt, grad=c.rng.random() < 0.9)
    if sa == sb and c.rng.random() < 0.2:
        c.inputs[0]["r"] = 1
        c.same(0)
    else:
        c.f(sb, dtype=dt)


@gen("mm", 35)
def g_mm(c):
    m, k, n = rsize(c.rng, 4, 0.1), rsize(c.rng, 4, 0.15), rsize(c.rng, 4, 0.1)
    c.f([m, k], grad=c.rng.random() < 0.9)
    c.f([k, n])


@gen("bmm", 30)
def g_bmm(c):
    b, m, k, n = rsize(c.rng, 3), rsize(c.rng, 4), rsize(c.rng, 4, 0.1), rsize(c.rng, 4)
    c.f([b, m, k], grad=c.rng.random() < 0.9)
    c.f([b, k, n])


EINSUM = [
    # contractions, batches, transposes, sums, implicit outputs
    "ij,jk->ik", "ij,jk", "bij,bjk->bik", "ij->ji", "ji", "ij->", "ij->j", "ijk->kji", "ij,j->i", "ijk,ik->j",
    "ij,jk,kl->il", "bhqd,bhkd->bhqk", "ba,ab->",
    # diagonals and traces
    "ii->i", "ii->", "ii", "iij->j", "iji->j", "jii->ij", "ii,i->i", "ii,ii->i", "iij,jk->ik", "iii->i",
    # outer products and elementwise
    "i,j->ij", "i,j", "i,j,k->ijk", "i,i->", "i,i->i", "ij,ij->ij", "ij,ij->", "ij,kj->ikj",
    # ellipses
    "...ij,...jk->...ik", "i...->...", "...i->...", "...ii->...i", "...,...->...", "b...i,b...i->b...",
    "ij...,j...->i...", "...ij->...ji", "...", "i...i->...",
]


@gen("einsum", 200)
def g_einsum(c):
    eq = pick(c.rng, *EINSUM)
    c.opts["eq"] = eq
    lhs = eq.split("->")[0]
    sizes = {}
    ell = [rsize(c.rng, 3, 0.05) for _ in range(c.rng.randint(0, 2))]
    for term in lhs.split(","):
        shape = []
        plain = term.replace("...", "")
        for ch in term.replace("...", "."):
            if ch == ".":
                shape += broadcast_operand(c.rng, ell, 0.25, 0.25)
            else:
                if ch not in sizes:
                    sizes[ch] = rsize(c.rng, 3, 0.05)
                size = sizes[ch]
                # size-1 broadcasting of a label (not where it is repeated: that takes a diagonal)
                if plain.count(ch) == 1 and lhs.count(ch) > 1 and c.rng.random() < 0.12:
                    size = 1
                shape.append(size)
        c.f(shape, grad=c.rng.random() < 0.9)
    if len(c.inputs) > 1 and c.rng.random() < 0.1:
        shapes = [c.shape_of(k) for k in range(len(c.inputs))]
        if shapes[1] == shapes[0]:
            c.inputs[0]["r"] = 1
            c.inputs[1] = {"same": 0}
    if not any(s.get("r") for s in c.inputs):
        c.inputs[0]["r"] = 1


# normalization
def g_softmax(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, -3, 3, dist=pick(c.rng, "u", "u", "m"), dtype=float_dtype(c))
    n = max(len(shape), 1)
    c.opts["dim"] = signed_dim(c.rng, c.rng.randrange(n), n)


gen("softmax", 35)(g_softmax)
gen("log_softmax", 35)(g_softmax)


@gen("layer_norm", 45)
def g_layer_norm(c):
    lead, ns = rshape(c.rng, 0, 2), [c.rng.randint(1, 4) for _ in range(c.rng.randint(1, 2))]
    dt = float_dtype(c)
    # constant rows (variance 0) only in float64: in float32 the rounding of their mean, times
    # 1/sqrt(eps), leaves PyTorch and peso each with errors of 1e-4
    c.f(lead + ns, -2, 2, dist=pick(c.rng, "u", "u", "u", "c") if dt == "f64" else "u", dtype=dt)
    c.opts.update(ns=ns, eps=pick(c.rng, 1e-5, 0.5), w=-1, b=-1)
    if c.rng.random() < 0.7:
        c.opts["w"] = c.f(ns, 0.5, 1.5, dtype=dt, grad=c.rng.random() < 0.9)
    if c.rng.random() < 0.6:
        c.opts["b"] = c.f(ns, dtype=dt, grad=c.rng.random() < 0.9)


@gen("cross_entropy", 35, ["cross_entropy_rows"])
def g_cross_entropy(c):
    n, k = rsize(c.rng, 4, 0.08), c.rng.randint(1, 5)
    c.f([n, k], -2, 2, dtype=float_dtype(c))
    c.i([n], 0, k)
    c.b([n], 0.75)


# indexing
@gen("embedding", 30)
def g_embedding(c):
    v, d = c.rng.randint(1, 5), rsize(c.rng, 3)
    c.f([v, d])
    c.i(rshape(c.rng, 0, 2), 0, v)


@gen("index_select", 35)
def g_index_select(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    n = len(shape)
    d = c.rng.randrange(n) if n else 0
    size = shape[d] if n else 1
    ishape = pick(c.rng, [c.rng.randint(0, 4)], []) if size > 0 else [0]
    if n == 0:  # a 0-d input takes one index (PyTorch 1.13 corrupts memory with more)
        ishape = pick(c.rng, [1], [])
    c.i(ishape, 0, size)
    c.opts["dim"] = signed_dim(c.rng, d, n) if n else pick(c.rng, 0, -1)


@gen("gather", 35)
def g_gather(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    n = len(shape)
    d = c.rng.randrange(n) if n else 0
    ishape = [c.rng.randint(0, s) if i != d else c.rng.randint(0, 4) for i, s in enumerate(shape)]
    size = shape[d] if n else 1
    if size == 0:
        ishape = [0] * n
    c.i(ishape, 0, max(size, 1))
    c.opts["dim"] = signed_dim(c.rng, d, n) if n else 0


@gen("scatter", 35)
def g_scatter(c):
    shape = [max(s, 1) for s in rshape(c.rng, 1, 3)]
    c.f(shape, grad=c.rng.random() < 0.9)
    n = len(shape)
    d = c.rng.randrange(n)
    ishape = [c.rng.randint(1, s) if i != d else c.rng.randint(0, s) for i, s in enumerate(shape)]
    # distinct positions along dim for every other coordinate: which one wins is otherwise unspecified
    idx = np.zeros(ishape, np.int64)
    for pos in np.ndindex(*[s for i, s in enumerate(ishape) if i != d]):
        perm = c.rng.sample(range(shape[d]), ishape[d])
        for j, p in enumerate(perm):
            full = list(pos[:d]) + [j] + list(pos[d:])
            idx[tuple(full)] = p
    c.i(ishape, 0, 0, values=idx)
    f = pick(c.rng, "src", "src", "value")
    c.opts.update(dim=signed_dim(c.rng, d, n), f=f, s=pick(c.rng, 5.0, -1.0))
    if f == "src":
        c.f(ishape)


@gen("scatter_add", 35)
def g_scatter_add(c):
    shape = [max(s, 1) for s in rshape(c.rng, 1, 3)]
    c.f(shape, grad=c.rng.random() < 0.9)
    n = len(shape)
    d = c.rng.randrange(n)
    ishape = [c.rng.randint(0, s) if i != d else c.rng.randint(0, 4) for i, s in enumerate(shape)]
    c.i(ishape, 0, shape[d])
    c.f(ishape)
    c.opts["dim"] = signed_dim(c.rng, d, n)


@gen("index_add", 35)
def g_index_add(c):
    shape = [max(s, 1) for s in rshape(c.rng, 1, 3)]
    c.f(shape, grad=c.rng.random() < 0.9)
    n = len(shape)
    d = c.rng.randrange(n)
    k = c.rng.randint(0, 4)
    c.i([k], 0, shape[d])
    c.f(shape[:d] + [k] + shape[d + 1:])
    c.opts.update(dim=signed_dim(c.rng, d, n), a=pick(c.rng, 1.0, 2.0, -0.5))


# joining, ordering
def g_join(c, stack):
    shape = rshape(c.rng, 0 if stack else 1, 3)
    n = len(shape)
    d = c.rng.randrange(n + 1 if stack else n) if (n or stack) else 0
    for _ in range(c.rng.randint(1, 4)):
        if c.inputs and c.rng.random() < 0.2:
            c.same(c.rng.randrange(len(c.inputs)))
            continue
        s = list(shape)
        if not stack:
            s[d] = c.rng.randint(0, 3)
        c.f(s, grad=c.rng.random() < 0.85)
    if not any(s.get("r") for s in c.inputs):
        c.inputs[0]["r"] = 1
    c.opts["dim"] = signed_dim(c.rng, d, n + 1 if stack else n)


gen("cat", 50)(lambda c: g_join(c, False))
gen("stack", 25, ["cat"])(lambda c: g_join(c, True))


def g_tri(c):
    c.f(rshape(c.rng, 2, 3))
    c.opts["k"] = c.rng.randint(-3, 3)


gen("tril", 25)(g_tri)
gen("triu", 25)(g_tri)


@gen("sort", 35)
def g_sort(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, -1, 1, dist="p", expand=False)
    n = max(len(shape), 1)
    c.opts.update(dim=signed_dim(c.rng, c.rng.randrange(n), n), desc=c.rng.random() < 0.5)


@gen("topk", 35)
def g_topk(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape, -1, 1, dist="p", expand=False)
    n = max(len(shape), 1)
    d = c.rng.randrange(n)
    size = shape[d] if shape else 1
    # k = 0 of a 0-d input is left out: PyTorch 1.13 then returns one element
    c.opts.update(dim=signed_dim(c.rng, d, n), k=c.rng.randint(0 if shape else 1, size), largest=c.rng.random() < 0.5,
                  sorted=c.rng.random() < 0.7)


@gen("split", 30, ["narrow"])
def g_split(c):
    shape = rshape(c.rng, 1, 3, 5)
    c.f(shape)
    d = c.rng.randrange(len(shape))
    n = shape[d]
    if n > 0 and c.rng.random() < 0.5:  # explicit sizes
        sizes, left = [], n
        while left > 0:
            sizes.append(c.rng.randint(0, left) if c.rng.random() < 0.2 else c.rng.randint(1, left))
            left -= sizes[-1]
        size = sizes
    else:
        size = c.rng.randint(1, max(n, 1) + 1)
    c.opts.update(dim=signed_dim(c.rng, d, len(shape)), size=size)


@gen("chunk", 20, ["narrow"])
def g_chunk(c):
    shape = rshape(c.rng, 1, 3, 5)
    c.f(shape)
    d = c.rng.randrange(len(shape))
    c.opts.update(dim=signed_dim(c.rng, d, len(shape)), n=c.rng.randint(1, 4))


@gen("cumsum", 30)
def g_cumsum(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    n = max(len(shape), 1)
    c.opts["dim"] = signed_dim(c.rng, c.rng.randrange(n), n)


# engine-level programs
@gen("self_chain", 50, ["add", "mul", "sub", "clone", "contiguous"])
def g_self_chain(c):
    c.f(rshape(c.rng, 0, 3))
    c.opts.update(f=pick(c.rng, "id", "clone", "contiguous", "mul1", "neg"), g=pick(c.rng, "add", "mul", "sub"))


@gen("roots_twice", 40, ["tanh", "mul"])
def g_roots_twice(c):
    shape = rshape(c.rng, 0, 3)
    c.f(shape)
    f = pick(c.rng, "id", "tanh", "mulw")
    if f == "mulw":
        c.f(broadcast_operand(c.rng, shape, 0.0))
    c.opts.update(f=f, n=pick(c.rng, 2, 2, 3), extra=c.rng.random() < 0.3)


INPLACE = ["mul_", "add_", "sub_", "div_", "mul_s", "add_s", "copy_", "clamp_", "masked_fill_", "fill_", "zero_",
           "index_add_", "scatter_add_"]


def inplace_step_spec(c, shape):
    view, vshape = rand_view(c.rng, shape)
    if c.rng.random() < 0.3:  # a view of a view
        inner, vshape = rand_view(c.rng, vshape)
        view = [view, inner]
    f = pick(c.rng, *INPLACE)
    s = {"v": view, "f": f, "a": pick(c.rng, 1.0, 0.5, -2.0), "s": pick(c.rng, 1.5, -0.5, 0.0),
         "lo": pick(c.rng, None, -0.5), "hi": pick(c.rng, 0.5, 0.25)}
    nv = len(vshape)
    if f in ("mul_", "add_", "sub_", "copy_"):
        s["w"] = c.f(broadcast_operand(c.rng, vshape), grad=c.rng.random() < 0.8)
    elif f == "div_":
        s["w"] = c.f(broadcast_operand(c.rng, vshape), 0.5, 2.0, dist="n", grad=c.rng.random() < 0.8)
    elif f == "masked_fill_":
        s["m"] = c.b(broadcast_operand(c.rng, vshape))
    elif f in ("index_add_", "scatter_add_"):
        if nv == 0 or 0 in vshape:
            s["f"] = "mul_s"
            return s
        d = c.rng.randrange(nv)
        s["dim"] = d
        if f == "index_add_":
            k = c.rng.randint(0, 3)
            s["i"] = c.i([k], 0, vshape[d])
            s["w"] = c.f(vshape[:d] + [k] + vshape[d + 1:], grad=c.rng.random() < 0.8)
        else:
            ishape = [c.rng.randint(0, x) if i != d else c.rng.randint(0, 3) for i, x in enumerate(vshape)]
            s["i"] = c.i(ishape, 0, vshape[d])
            s["w"] = c.f(ishape, grad=c.rng.random() < 0.8)
    if s["lo"] is None and f == "clamp_":
        s["hi"] = 0.5
    return s


@gen("inplace_view", 260, ["copy_", "mul", "add", "sub", "div", "clamp", "masked_fill", "fill_", "zero_", "index_add",
                           "scatter_add", "narrow", "select", "slice", "diagonal", "transpose", "cat"])
def g_inplace_view(c):
    shape = rshape(c.rng, 1, 3, 4, 0.1)
    c.f(shape, 0.3, 2.0, dist="n")
    steps = [inplace_step_spec(c, shape) for _ in range(pick(c.rng, 1, 1, 2))]
    then = pick(c.rng, "cat", "cat", "mul", "none")
    c.opts.update(src=pick(c.rng, "mul1", "clone"), steps=steps, then=then, outv=c.rng.random() < 0.3,
                  pre=rand_view(c.rng, shape)[0] if c.rng.random() < 0.3 else None)
    if then == "cat":
        d = c.rng.randrange(len(shape))
        zs = list(shape)
        zs[d] = c.rng.randint(0, 3)
        c.opts.update(z=c.f(zs, grad=c.rng.random() < 0.5), dim=signed_dim(c.rng, d, len(shape)))


@gen("attention", 40, ["matmul", "transpose", "mul", "masked_fill", "softmax"])
def g_attention(c):
    batch = rshape(c.rng, 0, 2, 2, 0.0, 0.0)
    t, sk, d, e = (c.rng.randint(1, 5) for _ in range(4))
    dt = float_dtype(c) if c.rng.random() < 0.8 else "f32"
    c.f(batch + [t, d], dtype=dt)
    c.f(broadcast_operand(c.rng, batch, 0.3, 0.0) + [sk, d], dtype=dt)
    c.f(batch + [sk, e], dtype=dt)
    mask = c.rng.random() < 0.6
    c.opts.update(scale=pick(c.rng, 1.0, 0.5), mask=mask)
    if mask:  # causal: key 0 is never masked, so no row is all -inf
        c.i([t, sk], 0, 0, values=[[int(j > i) for j in range(sk)] for i in range(t)], dtype="b8")


@gen("mlp", 30, ["matmul", "add", "gelu", "layer_norm", "log_softmax"])
def g_mlp(c):
    n, d, h, k = c.rng.randint(1, 4), c.rng.randint(1, 5), c.rng.randint(1, 6), c.rng.randint(2, 5)
    dt = float_dtype(c) if c.rng.random() < 0.8 else "f32"
    c.f([n, d], grad=c.rng.random() < 0.7, dtype=dt)
    c.f([d, h], dtype=dt)
    c.f([h], dtype=dt)
    c.f([h, k], dtype=dt)
    c.f([k], 0.5, 1.5, dtype=dt)
    c.f([k], dtype=dt)
    c.opts["gelu"] = pick(c.rng, "none", "tanh")


@gen("checkpoint", 30)
def g_checkpoint(c):
    f = c.rng.randint(0, 2)
    n, k, m = c.rng.randint(1, 3), c.rng.randint(1, 3), c.rng.randint(1, 3)
    c.opts["f"] = f
    if f == 2:
        c.f([n, k], grad=c.rng.random() < 0.5)
        c.f([k])
        c.f([n, k])
        return
    c.f([n, k])
    c.f([k, m])
    c.f([m])


# ---- evaluation and output -------------------------------------------------------------

def put_layout(blobs, rng, t, spec_extra):
    """A random layout of t's shape holding random values: the upstream-gradient spec."""
    base, steps = make_layout(rng, list(t.shape))
    vals = draw(rng, "u", prod(base), -1.0, 1.0)
    spec = dict(spec_extra, t=NAMES[t.dtype], b=base, l=steps, _v=vals)
    return spec


def as_f64(t):
    if t._is_zerotensor():  # PyTorch's "efficient zero tensor" (e.g. sgn's gradient) has no data to read
        return np.zeros(t.shape)
    # a copy: PyTorch may later reuse or write the memory of a tensor it returned
    return t.detach().to(torch.float64).contiguous().numpy().copy()


def widened(spec):
    """The spec with float32 turned to float64 (the values are float32 ones either way)."""
    return dict(spec, t="f64") if spec.get("t") == "f32" else spec


def torch_run(c, ups=None, vs=None, widen=False):
    """PyTorch's outputs, first- and second-order gradients (numpy float64; second order None
    when not computed) for the case; draws the upstream specs and second-order weights when
    not given. widen: every float32 input and upstream gradient in float64 instead."""
    specs = [widened(s) if widen else s for s in c.inputs]
    ins = []
    for spec in specs:
        ins.append(build_input(spec, ins))
    outs = TORCH_OPS[c.op](ins, c.opts)
    leaves = [ins[k] for k, s in enumerate(specs) if "same" not in s and s["r"]]
    if not leaves:
        raise ValueError("no input requires grad")
    roots = [o for o in outs if o.requires_grad]
    if not roots:
        raise ValueError("no differentiable output")
    if ups is None:
        ups = [put_layout(None, c.rng, o, {"o": j}) for j, o in enumerate(outs) if o.requires_grad]
    up_tensors = [build_input(dict(widened(u) if widen else u, r=0), []) for u in ups]
    twice = c.op not in FIRST_ORDER_ONLY and not c.first_order_only
    grads = torch.autograd.grad(roots, leaves, up_tensors, create_graph=twice, allow_unused=True)
    grads = [torch.zeros_like(l) if g is None else g for l, g in zip(leaves, grads)]
    if vs is None:
        vs = [draw(c.rng, "u", l.numel(), -1.0, 1.0) for l in leaves]
    gg = None
    if twice:
        have = [k for k, g in enumerate(grads) if g.requires_grad]
        gg = [None] * len(leaves)
        if have:
            vt = [torch.tensor(vs[k], dtype=leaves[k].dtype).reshape(leaves[k].shape) for k in have]
            try:
                gg = list(torch.autograd.grad([grads[k] for k in have], leaves, vt, allow_unused=True))
            except RuntimeError:  # PyTorch 1.13 has no double backward here (layer_norm without weight)
                gg = None
        if gg is not None:
            gg = [as_f64(torch.zeros_like(l) if g is None else g) for l, g in zip(leaves, gg)]
    random_out = c.op in ("uniform_", "normal_")
    out_vals = [None if random_out else as_f64(o) for o in outs]
    return outs, out_vals, ups, [as_f64(g) for g in grads], vs, gg


def scaled_error(got, want):
    """The largest |got - want| / (|want| + max(1, max |want|)) over finite wanted values."""
    if got is None or want is None or want.size == 0:
        return 0.0
    finite = np.isfinite(want)
    if not finite.any():
        return 0.0
    scale = max(1.0, float(np.abs(want[finite]).max()))
    err = np.abs(got[finite] - want[finite]) / (np.abs(want[finite]) + scale)
    return float(np.nan_to_num(err, nan=1.0).max())


def float32_error(c, out_vals, ups, grads, vs, gg):
    """How far PyTorch's float32 results are from the same computation in float64."""
    _, out64, _, grads64, _, gg64 = torch_run(c, ups, vs, widen=True)
    pairs = list(zip(out_vals, out64)) + list(zip(grads, grads64)) + list(zip(gg or [], gg64 or []))
    return max([scaled_error(a, b) for a, b in pairs] + [0.0])


def evaluate(c):
    """The case's record (JSON-ready, numbers still attached as "_v"), or an exception from torch."""
    outs, out_vals, ups, grads, vs, gg = torch_run(c)
    rec = {
        "op": c.op, "o": c.opts, "in": c.inputs,
        "out": [{"s": list(o.shape), "t": NAMES[o.dtype], "_v": v} for o, v in zip(outs, out_vals)],
        "up": ups, "_g": grads, "_vv": vs, "_gg": gg,
    }
    if c.f32:
        rec["p"] = 32
        rec["e"] = float("%.2g" % float32_error(c, out_vals, ups, grads, vs, gg))
    return rec


def finish(rec, blobs):
    """Moves the numbers of a record into the blobs, leaving offsets."""
    for spec in rec["in"] + rec["up"]:
        if "same" in spec:
            continue
        kind = "f32" if DTYPES[spec["t"]].is_floating_point else "i64"
        spec["d"] = blobs.put(kind, spec.pop("_v"))
    for o in rec["out"]:
        v = o.pop("_v")
        o["d"] = None if v is None else blobs.put("f64", v)
    rec["g"] = [blobs.put("f64", g) for g in rec.pop("_g")]
    rec["v"] = [blobs.put("f32", v) for v in rec.pop("_vv")]
    gg = rec.pop("_gg")
    if gg is not None:
        rec["gg"] = [blobs.put("f64", g) for g in gg]
    return rec


def registry_ops():
    text = open(os.path.join(ROOT, "autograd", "op_registry.cpp")).read()
    import re
    return re.findall(r'\{"([a-z_0-9]+)", (?:true|false)', text)


@gen("fused_attention", 30)
def g_fused_attention(c):
    batch = rshape(c.rng, 0, 2, 3, 0.0, 0.0)
    t, sk, d, e = (c.rng.randint(1, 5) for _ in range(4))
    dt = float_dtype(c) if c.rng.random() < 0.8 else "f32"
    c.f(batch + [t, d], dtype=dt)
    c.f(batch + [sk, d], dtype=dt)
    c.f(batch + [sk, e], dtype=dt)
    c.opts.update(scale=pick(c.rng, 1.0, 0.5, 0.37), causal=c.rng.random() < 0.6)


def main():
    warnings.filterwarnings("ignore", message="grad and param do not obey the gradient layout contract")
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    blobs, cases, skipped = Blobs(), [], {}
    for name, (fn, count, covers) in GENS.items():
        made, tries = 0, 0
        while made < count and tries < 20 * count:
            tries += 1
            c = Case(rng, name, covers=covers)
            try:
                fn(c)
                if os.environ.get('DIFF_TRACE'):
                    print(name, c.opts, [(s.get('b'), s.get('l'), s.get('same')) for s in c.inputs], flush=True)
                rec = evaluate(c)
                if c.covers:  # the registry's names for what this case records (checked below)
                    rec["c"] = c.covers
            except (RuntimeError, ValueError, IndexError, TypeError) as e:
                skipped.setdefault(name, [0, str(e).splitlines()[0][:150]])[0] += 1
                continue
            cases.append(finish(rec, blobs))
            made += 1
        if made < count:
            sys.exit(f"{name}: only {made} of {count} cases after {tries} tries")
    covered = {c["op"] for c in cases} | {n for c in cases for n in c.get("c", [])}
    missing = [n for n in registry_ops() if n not in covered]
    if missing:
        sys.exit(f"registered ops without cases: {missing}")
    for name, (n, msg) in sorted(skipped.items()):
        print(f"  {name}: {n} drafts refused by PyTorch (e.g. {msg})")
    arrays = blobs.arrays()
    meta = {"cases": json.dumps(cases, separators=(",", ":")), "generator": "scripts/make_torch_differential.py",
            "torch": torch.__version__, "seed": str(SEED)}
    save_safetensors(OUT, arrays, meta)
    print(f"{len(cases)} cases, {len(GENS)} interpreter functions; f32 {arrays['f32'].size}, f64 {arrays['f64'].size}, "
          f"i64 {arrays['i64'].size} numbers; {os.path.getsize(OUT)} bytes -> {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
