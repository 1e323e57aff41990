#pragma once
// The interpreter functions of the PyTorch differential cases: for each name
// that scripts/make_torch_differential.py gives a case (its TORCH_OPS), the
// same computation with peso's ops, from the case's inputs and JSON options.
// Keep the two in step: a name or an option read differently here and there
// shows up as a failing case, not as a silent gap.
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "peso.h"

namespace peso::testing::differential {

using json = nlohmann::json;
using TL = std::vector<Tensor>;
using OpFn = std::function<TL(const TL&, const json&)>;

inline Dims dims_of(const json& j) { return Dims(j.get<std::vector<std::int64_t>>()); }

inline std::optional<std::int64_t> opt_int(const json& j) {
    if (j.is_null()) return std::nullopt;
    return j.get<std::int64_t>();
}

inline std::optional<Scalar> opt_scalar(const json& j) {
    if (j.is_null()) return std::nullopt;
    return Scalar(j.get<double>());
}

inline Scalar scalar(const json& j) { return Scalar(j.get<double>()); }

inline DType dtype_of(const std::string& name) {
    static const std::map<std::string, DType> names = {
        {"f64", DType::f64}, {"f32", DType::f32}, {"i64", DType::i64}, {"b8", DType::b8}};
    const auto it = names.find(name);
    PESO_CHECK(it != names.end(), ValueError, "differential: unknown dtype '{}'", name);
    return it->second;
}

// A view of t as the in-place programs take it (make_torch_differential.py: view_of);
// a list of views is a chain.
inline Tensor view_of(const Tensor& t, const json& v) {
    if (!v.empty() && v[0].is_array()) {
        Tensor r = t;
        for (const json& w : v) r = view_of(r, w);
        return r;
    }
    const std::string kind = v[0];
    if (kind == "narrow") return narrow(t, v[1], v[2], v[3]);
    if (kind == "select") return select(t, v[1], v[2]);
    if (kind == "slice") return slice(t, v[1], opt_int(v[2]), opt_int(v[3]), v[4]);
    if (kind == "diagonal") return diagonal(t, v[1], v[2], v[3]);
    if (kind == "transpose") return transpose(t, v[1], v[2]);
    PESO_CHECK(kind == "full", ValueError, "differential: unknown view '{}'", kind);
    return t;
}

// One in-place step of the in-place programs (make_torch_differential.py: inplace_step).
inline void inplace_step(Tensor v, const json& s, const TL& x) {
    const std::string f = s["f"];
    auto in = [&](const char* key) { return x.at(s[key].get<std::size_t>()); };
    if (f == "mul_") mul_(v, in("w"));
    else if (f == "add_") add_(v, in("w"), scalar(s["a"]));
    else if (f == "sub_") sub_(v, in("w"), scalar(s["a"]));
    else if (f == "div_") div_(v, in("w"));
    else if (f == "mul_s") mul_(v, scalar(s["s"]));
    else if (f == "add_s") add_(v, scalar(s["s"]));
    else if (f == "copy_") copy_(v, in("w"));
    else if (f == "clamp_") clamp_(v, opt_scalar(s["lo"]), opt_scalar(s["hi"]));
    else if (f == "masked_fill_") masked_fill_(v, in("m"), scalar(s["s"]));
    else if (f == "fill_") fill_(v, scalar(s["s"]));
    else if (f == "zero_") zero_(v);
    else if (f == "index_add_") index_add_(v, s["dim"], in("i"), in("w"), scalar(s["a"]));
    else if (f == "scatter_add_") scatter_add_(v, s["dim"], in("i"), in("w"));
    else PESO_CHECK(false, ValueError, "differential: unknown in-place step '{}'", f);
}

// Runs fn on a copy of its first input (a view of it written in place) and returns the copy.
inline OpFn write_through_view(Tensor (*start)(const Tensor&), std::function<void(Tensor, const TL&, const json&)> fn) {
    return [start, fn](const TL& x, const json& o) -> TL {
        Tensor d = start(x[0]);
        fn(view_of(d, o["v"]), x, o);
        return {d};
    };
}

inline Tensor times3(const Tensor& t) { return mul(t, 3.0); }
inline Tensor copy_of(const Tensor& t) { return clone(t); }

inline void add_copy_ops(std::map<std::string, OpFn>& m) {
    m["contiguous"] = [](const TL& x, const json&) -> TL { return {contiguous(x[0])}; };
    m["clone"] = [](const TL& x, const json&) -> TL { return {clone(x[0])}; };
    m["to_dtype"] = [](const TL& x, const json& o) -> TL { return {to_dtype(x[0], dtype_of(o["t"]))}; };
    m["to_device"] = [](const TL& x, const json&) -> TL { return {to_device(x[0], Device::cpu())}; };
    m["copy_"] = write_through_view(copy_of, [](Tensor v, const TL& x, const json&) { copy_(v, x[1]); });
    m["fill_"] = write_through_view(copy_of, [](Tensor v, const TL&, const json& o) { fill_(v, scalar(o["s"])); });
    m["zero_"] = write_through_view(copy_of, [](Tensor v, const TL&, const json&) { zero_(v); });
    m["uniform_"] = write_through_view(times3, [](Tensor v, const TL&, const json&) { uniform_(v, 0.0, 1.0); });
    m["normal_"] = write_through_view(times3, [](Tensor v, const TL&, const json&) { normal_(v, 0.0, 1.0); });
}

inline void add_view_ops(std::map<std::string, OpFn>& m) {
    m["view"] = [](const TL& x, const json& o) -> TL { return {view(x[0], dims_of(o["shape"]))}; };
    m["reshape"] = [](const TL& x, const json& o) -> TL { return {reshape(x[0], dims_of(o["shape"]))}; };
    m["permute"] = [](const TL& x, const json& o) -> TL { return {permute(x[0], dims_of(o["perm"]))}; };
    m["transpose"] = [](const TL& x, const json& o) -> TL { return {transpose(x[0], o["d0"], o["d1"])}; };
    m["narrow"] = [](const TL& x, const json& o) -> TL { return {narrow(x[0], o["dim"], o["start"], o["len"])}; };
    m["slice"] = [](const TL& x, const json& o) -> TL {
        return {slice(x[0], o["dim"], opt_int(o["start"]), opt_int(o["end"]), o["step"])};
    };
    m["select"] = [](const TL& x, const json& o) -> TL { return {select(x[0], o["dim"], o["index"])}; };
    m["diagonal"] = [](const TL& x, const json& o) -> TL { return {diagonal(x[0], o["offset"], o["d0"], o["d1"])}; };
    m["as_strided"] = [](const TL& x, const json& o) -> TL {
        return {as_strided(x[0], dims_of(o["size"]), dims_of(o["stride"]), opt_int(o["offset"]))};
    };
    m["expand"] = [](const TL& x, const json& o) -> TL { return {expand(x[0], dims_of(o["shape"]))}; };
    m["squeeze"] = [](const TL& x, const json& o) -> TL {
        return {o["dim"].is_null() ? squeeze(x[0]) : squeeze(x[0], o["dim"].get<std::int64_t>())};
    };
    m["unsqueeze"] = [](const TL& x, const json& o) -> TL { return {unsqueeze(x[0], o["dim"])}; };
    m["flatten"] = [](const TL& x, const json& o) -> TL { return {flatten(x[0], o["start"], o["end"])}; };
    m["unflatten"] = [](const TL& x, const json& o) -> TL { return {unflatten(x[0], o["dim"], dims_of(o["sizes"]))}; };
}

inline Tensor gelu_erf(const Tensor& x) { return gelu(x); }
inline Tensor gelu_tanh(const Tensor& x) { return gelu(x, "tanh"); }

inline void add_elementwise_ops(std::map<std::string, OpFn>& m) {
    const std::map<std::string, Tensor (*)(const Tensor&)> unary = {
        {"neg", neg},   {"abs", abs},         {"exp", exp},           {"log", log},       {"log1p", log1p},
        {"sqrt", sqrt}, {"rsqrt", rsqrt},     {"sin", sin},           {"cos", cos},       {"tanh", tanh},
        {"sigmoid", sigmoid}, {"relu", relu}, {"gelu", gelu_erf},     {"gelu_tanh", gelu_tanh}, {"erf", erf},
        {"reciprocal", reciprocal}, {"sign", sign}, {"floor", floor}, {"ceil", ceil},     {"round", round}};
    for (const auto& [name, f] : unary) m[name] = [f = f](const TL& x, const json&) -> TL { return {f(x[0])}; };
    m["leaky_relu"] = [](const TL& x, const json& o) -> TL { return {leaky_relu(x[0], o["slope"])}; };
    m["softplus"] = [](const TL& x, const json& o) -> TL { return {softplus(x[0], o["beta"], o["threshold"])}; };
    m["pow_scalar"] = [](const TL& x, const json& o) -> TL { return {pow(x[0], scalar(o["e"]))}; };
    m["clamp"] = [](const TL& x, const json& o) -> TL {
        return {clamp(x[0], opt_scalar(o["lo"]), opt_scalar(o["hi"]))};
    };
    // "f": tt (two tensors), ts (tensor, scalar "s"), st (scalar "s", tensor); "a": alpha.
    m["add"] = [](const TL& x, const json& o) -> TL {
        return {o["f"] == "ts" ? add(x[0], scalar(o["s"])) : add(x[0], x[1], scalar(o["a"]))};
    };
    m["sub"] = [](const TL& x, const json& o) -> TL {
        if (o["f"] == "ts") return {sub(x[0], scalar(o["s"]))};
        if (o["f"] == "st") return {sub(scalar(o["s"]), x[0])};
        return {sub(x[0], x[1], scalar(o["a"]))};
    };
    m["mul"] = [](const TL& x, const json& o) -> TL {
        return {o["f"] == "ts" ? mul(x[0], scalar(o["s"])) : mul(x[0], x[1])};
    };
    m["div"] = [](const TL& x, const json& o) -> TL {
        if (o["f"] == "ts") return {div(x[0], scalar(o["s"]))};
        if (o["f"] == "st") return {div(scalar(o["s"]), x[0])};
        return {div(x[0], x[1])};
    };
    m["pow"] = [](const TL& x, const json& o) -> TL {
        return {o["f"] == "st" ? pow(scalar(o["s"]), x[0]) : pow(x[0], x[1])};
    };
    m["maximum"] = [](const TL& x, const json&) -> TL { return {maximum(x[0], x[1])}; };
    m["minimum"] = [](const TL& x, const json&) -> TL { return {minimum(x[0], x[1])}; };
    m["remainder"] = [](const TL& x, const json&) -> TL { return {remainder(x[0], x[1])}; };
    m["where"] = [](const TL& x, const json& o) -> TL {
        if (o["f"] == "st") return {where(x[0], scalar(o["s"]), x[1])};
        if (o["f"] == "ts") return {where(x[0], x[1], scalar(o["s"]))};
        return {where(x[0], x[1], x[2])};
    };
    m["masked_fill"] = [](const TL& x, const json& o) -> TL { return {masked_fill(x[0], x[1], scalar(o["s"]))}; };
}

// "dims": [] is every dim, as in peso (the generator spells them out for PyTorch).
inline void add_reduction_ops(std::map<std::string, OpFn>& m) {
    using Reduce = Tensor (*)(const Tensor&, const Dims&, bool);
    const std::map<std::string, Reduce> plain = {{"sum", sum}, {"mean", mean}, {"prod", prod}, {"amax", amax},
                                                 {"amin", amin}, {"logsumexp", logsumexp}};
    for (const auto& [name, f] : plain)
        m[name] = [f = f](const TL& x, const json& o) -> TL { return {f(x[0], dims_of(o["dims"]), o["keep"])}; };
    m["var"] = [](const TL& x, const json& o) -> TL { return {var(x[0], dims_of(o["dims"]), o["corr"], o["keep"])}; };
    m["std"] = [](const TL& x, const json& o) -> TL {
        return {peso::std(x[0], dims_of(o["dims"]), o["corr"], o["keep"])};
    };
    m["max"] = [](const TL& x, const json& o) -> TL {
        auto [v, i] = max(x[0], o["dim"], o["keep"]);
        return {v, i};
    };
    m["min"] = [](const TL& x, const json& o) -> TL {
        auto [v, i] = min(x[0], o["dim"], o["keep"]);
        return {v, i};
    };
}

inline void add_linalg_and_normalization_ops(std::map<std::string, OpFn>& m) {
    m["matmul"] = [](const TL& x, const json&) -> TL { return {matmul(x[0], x[1])}; };
    m["mm"] = [](const TL& x, const json&) -> TL { return {mm(x[0], x[1])}; };
    m["bmm"] = [](const TL& x, const json&) -> TL { return {bmm(x[0], x[1])}; };
    m["einsum"] = [](const TL& x, const json& o) -> TL { return {einsum(o["eq"].get<std::string>(), x)}; };
    m["softmax"] = [](const TL& x, const json& o) -> TL { return {softmax(x[0], o["dim"])}; };
    m["log_softmax"] = [](const TL& x, const json& o) -> TL { return {log_softmax(x[0], o["dim"])}; };
    m["layer_norm"] = [](const TL& x, const json& o) -> TL {
        auto input = [&](const char* key) { return o[key] >= 0 ? x.at(o[key].get<std::size_t>()) : Tensor(); };
        return {std::get<0>(layer_norm(x[0], dims_of(o["ns"]), input("w"), input("b"), o["eps"]))};
    };
    // PyTorch: F.cross_entropy(logits, where(valid, target, -100), reduction="none").
    m["cross_entropy"] = [](const TL& x, const json&) -> TL { return {cross_entropy_rows(x[0], x[1], x[2])}; };
}

inline void add_indexing_and_joining_ops(std::map<std::string, OpFn>& m) {
    m["embedding"] = [](const TL& x, const json&) -> TL { return {embedding(x[0], x[1])}; };
    m["index_select"] = [](const TL& x, const json& o) -> TL { return {index_select(x[0], o["dim"], x[1])}; };
    m["gather"] = [](const TL& x, const json& o) -> TL { return {gather(x[0], o["dim"], x[1])}; };
    m["scatter"] = [](const TL& x, const json& o) -> TL {
        if (o["f"] == "value") return {scatter(x[0], o["dim"], x[1], scalar(o["s"]))};
        return {scatter(x[0], o["dim"], x[1], x[2])};
    };
    m["scatter_add"] = [](const TL& x, const json& o) -> TL { return {scatter_add(x[0], o["dim"], x[1], x[2])}; };
    m["index_add"] = [](const TL& x, const json& o) -> TL {
        return {index_add(x[0], o["dim"], x[1], x[2], scalar(o["a"]))};
    };
    m["cat"] = [](const TL& x, const json& o) -> TL { return {cat(x, o["dim"])}; };
    m["stack"] = [](const TL& x, const json& o) -> TL { return {stack(x, o["dim"])}; };
    m["tril"] = [](const TL& x, const json& o) -> TL { return {tril(x[0], o["k"])}; };
    m["triu"] = [](const TL& x, const json& o) -> TL { return {triu(x[0], o["k"])}; };
    m["sort"] = [](const TL& x, const json& o) -> TL {
        auto [v, i] = sort(x[0], o["dim"], o["desc"]);
        return {v, i};
    };
    m["topk"] = [](const TL& x, const json& o) -> TL {
        auto [v, i] = topk(x[0], o["k"], o["dim"], o["largest"], o["sorted"]);
        if (o["sorted"]) return {v, i};
        return {std::get<0>(sort(v, o["dim"], o["largest"]))};  // unsorted: the order is the implementation's
    };
    m["split"] = [](const TL& x, const json& o) -> TL {
        if (o["size"].is_array()) return split(x[0], o["size"].get<std::vector<std::int64_t>>(), o["dim"]);
        return split(x[0], o["size"].get<std::int64_t>(), o["dim"]);
    };
    m["chunk"] = [](const TL& x, const json& o) -> TL { return chunk(x[0], o["n"], o["dim"]); };
    m["cumsum"] = [](const TL& x, const json& o) -> TL { return {cumsum(x[0], o["dim"])}; };
}

// Engine-level programs (make_torch_differential.py: self_chain, roots_twice,
// inplace_view, checkpoint).
inline void add_programs(std::map<std::string, OpFn>& m) {
    m["self_chain"] = [](const TL& x, const json& o) -> TL {
        const Tensor& t = x[0];
        const std::string f = o["f"], g = o["g"];
        const Tensor a = f == "id" ? t : f == "clone" ? clone(t) : f == "contiguous" ? contiguous(t)
                         : f == "mul1" ? mul(t, 1.0) : neg(t);
        return {g == "add" ? add(a, t) : g == "mul" ? mul(a, t) : sub(a, t)};
    };
    m["roots_twice"] = [](const TL& x, const json& o) -> TL {
        const std::string f = o["f"];
        const Tensor y = f == "id" ? x[0] : f == "tanh" ? tanh(x[0]) : mul(x[0], x[1]);
        TL out(o["n"].get<std::size_t>(), y);
        if (o["extra"]) out.push_back(mul(y, 2.0));
        return out;
    };
    m["inplace_view"] = [](const TL& x, const json& o) -> TL {
        Tensor base = o["src"] == "mul1" ? mul(x[0], 1.0) : clone(x[0]);
        const Tensor pre = o["pre"].is_null() ? Tensor() : view_of(base, o["pre"]);  // taken before the writes
        Tensor last;
        for (const json& s : o["steps"]) {
            last = view_of(base, s["v"]);
            inplace_step(last, s, x);
        }
        const std::string then = o["then"];
        Tensor out = then == "cat" ? cat({x.at(o["z"].get<std::size_t>()), base}, o["dim"])
                     : then == "mul" ? mul(base, x[0]) : base;
        TL outs{out};
        if (o["outv"]) outs.push_back(last);
        if (pre.defined()) outs.push_back(mul(pre, 2.0));
        return outs;
    };
    m["attention"] = [](const TL& x, const json& o) -> TL {
        Tensor scores = mul(matmul(x[0], transpose(x[1], -2, -1)), scalar(o["scale"]));
        if (o["mask"]) scores = masked_fill(scores, x[3], -INFINITY);
        return {matmul(softmax(scores, -1), x[2])};
    };
    m["fused_attention"] = [](const TL& x, const json& o) -> TL {
        return {fused_attention(x[0], x[1], x[2], o["causal"].get<bool>(), o["scale"].get<double>(), 0.0, nullptr)};
    };
    m["mlp"] = [](const TL& x, const json& o) -> TL {
        const Tensor y = matmul(gelu(add(matmul(x[0], x[1]), x[2]), o["gelu"].get<std::string>()), x[3]);
        return {log_softmax(std::get<0>(layer_norm(y, {y.size(-1)}, x[4], x[5])), -1)};
    };
    m["checkpoint"] = [](const TL& x, const json& o) -> TL {
        const int f = o["f"];
        if (f == 0)  // captures w and b
            return autograd::checkpoint([x](const TL& a) -> TL { return {add(tanh(matmul(a[0], x[1])), x[2])}; },
                                        {x[0]});
        if (f == 1)  // w passed, b captured; the input used twice
            return autograd::checkpoint(
                [x](const TL& a) -> TL { return {add(mul(sigmoid(matmul(a[0], a[1])), sum(a[0])), x[2])}; },
                {x[0], x[1]});
        return autograd::checkpoint(  // two outputs; only the captured weights may need grads
            [x](const TL& a) -> TL { return {exp(mul(a[0], sum(x[1]))), mul(a[0], mean(x[2]))}; }, {x[0]});
    };
}

inline const std::map<std::string, OpFn>& interpreter_ops() {
    static const std::map<std::string, OpFn> ops = [] {
        std::map<std::string, OpFn> m;
        add_copy_ops(m);
        add_view_ops(m);
        add_elementwise_ops(m);
        add_reduction_ops(m);
        add_linalg_and_normalization_ops(m);
        add_indexing_and_joining_ops(m);
        add_programs(m);
        return m;
    }();
    return ops;
}

}  // namespace peso::testing::differential
