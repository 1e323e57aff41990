#include "nn/module.h"

#include <algorithm>
#include <ostream>
#include <set>

namespace peso::nn {

namespace {
void check_name(const std::string& name, const char* what) {
    PESO_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError,
               "{} name '{}' must be non-empty and contain no '.'", what, name);
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
    check_name(name, "parameter");
    for (const Entry& e : params_)
        PESO_CHECK(e.name != name, ValueError, "register_parameter: '{}' is already registered", name);
    if (t.defined() && requires_grad && !t.requires_grad()) t.requires_grad_(true);
    params_.push_back({name, t, true});
    return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t, bool persistent) {
    check_name(name, "buffer");
    for (const Entry& e : buffers_)
        PESO_CHECK(e.name != name, ValueError, "register_buffer: '{}' is already registered", name);
    buffers_.push_back({name, t, persistent});
    return t;
}

void Module::replace_parameter(const std::string& name, const Tensor& t) {
    for (Entry& e : params_)
        if (e.name == name) { e.tensor = t; return; }
    throw ValueError(fmt::format("replace_parameter: no parameter '{}' in {}", name, type_name()));
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
    check_name(name, "module");
    PESO_CHECK(m != nullptr, ValueError, "register_module: module '{}' is null", name);
    for (const auto& [n, c] : children_)
        PESO_CHECK(n != name, ValueError, "register_module: '{}' is already registered", name);
    children_.emplace_back(name, std::move(m));
}

void Module::collect(const std::string& prefix, bool params, bool only_persistent, NamedTensors& out,
                     std::vector<const TensorImpl*>* seen) const {
    for (const Entry& e : params ? params_ : buffers_) {
        if (!e.tensor.defined() || (only_persistent && !e.persistent)) continue;
        if (seen) {
            const TensorImpl* id = e.tensor.impl_ptr().get();
            if (std::find(seen->begin(), seen->end(), id) != seen->end()) continue;
            seen->push_back(id);
        }
        out.emplace_back(prefix + e.name, e.tensor);
    }
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", params, only_persistent, out, seen);
}

NamedTensors Module::named_parameters(bool recurse) const {
    NamedTensors out;
    std::vector<const TensorImpl*> seen;
    if (recurse) {
        collect("", true, false, out, &seen);
    } else {
        for (const Entry& e : params_)
            if (e.tensor.defined()) out.emplace_back(e.name, e.tensor);
    }
    return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
    std::vector<Tensor> out;
    for (auto& [n, t] : named_parameters(recurse)) out.push_back(t);
    return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
    NamedTensors out;
    if (recurse) collect("", false, false, out, nullptr);
    else
        for (const Entry& e : buffers_)
            if (e.tensor.defined()) out.emplace_back(e.name, e.tensor);
    return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const { return children_; }

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_modules(const std::string& prefix) {
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
    out.emplace_back(prefix, shared_from_this());
    for (const auto& [name, child] : children_) {
        auto sub = child->named_modules(prefix.empty() ? name : prefix + "." + name);
        out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
    for (const auto& [n, c] : children_)
        if (n == name) return c;
    throw ValueError(fmt::format("{} has no child module '{}'", type_name(), name));
}

Tensor Module::parameter(const std::string& name) const {
    for (const auto& [n, t] : state_dict())
        if (n == name) return t;
    throw ValueError(fmt::format("{} has no parameter or buffer '{}'", type_name(), name));
}

std::int64_t Module::num_parameters(bool only_trainable) const {
    std::int64_t n = 0;
    for (const auto& [name, t] : named_parameters())
        if (!only_trainable || t.requires_grad()) n += t.numel();
    return n;
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad(bool set_to_none) {
    for (Tensor& p : parameters()) {
        if (!p.grad().defined()) continue;
        if (set_to_none) {
            p.set_grad(Tensor());
        } else {
            NoGradGuard g;
            Tensor grad = p.grad();
            grad.zero_();
        }
    }
}

void Module::requires_grad_(bool on) {
    for (Tensor& p : parameters()) p.requires_grad_(on);
}

void assign_data(const Tensor& t, const Tensor& value) {
    TensorImpl& impl = t.impl();
    const TensorImpl& v = value.impl();
    impl.storage = v.storage;
    impl.offset = v.offset;
    impl.sizes = v.sizes;
    impl.strides = v.strides;
    impl.dtype = v.dtype;
}

void Module::to(Device device) {
    NoGradGuard g;
    for (auto& [n, t] : named_parameters()) assign_data(t, t.to(device));
    for (auto& [n, t] : named_buffers()) assign_data(t, t.to(device));
}

void Module::to(DType dtype) {
    NoGradGuard g;
    for (auto& [n, t] : named_parameters())
        if (t.is_floating_point()) assign_data(t, t.to(dtype));
    for (auto& [n, t] : named_buffers())
        if (t.is_floating_point()) assign_data(t, t.to(dtype));
}

void Module::apply(const std::function<void(Module&)>& fn) {
    for (auto& [n, c] : children_) c->apply(fn);
    fn(*this);
}

NamedTensors Module::state_dict() const {
    NamedTensors out;
    collect("", true, false, out, nullptr);
    collect("", false, true, out, nullptr);
    return out;
}

namespace {
const Tensor* find_state(const NamedTensors& state, const std::string& name) {
    auto it = std::find_if(state.begin(), state.end(), [&](const auto& kv) { return kv.first == name; });
    return it == state.end() ? nullptr : &it->second;
}
}  // namespace

void Module::check_state_dict(const std::vector<StateSpec>& state, bool strict) const {
    std::set<std::string> used;
    for (const auto& [name, target] : state_dict()) {
        const std::string& key = name;  // clang 14 cannot capture a structured binding
        auto src = std::find_if(state.begin(), state.end(), [&](const StateSpec& s) { return s.name == key; });
        if (src == state.end()) {
            PESO_CHECK(!strict, ValueError, "load_state_dict: missing key '{}' (shape {})", name, target.sizes());
            continue;
        }
        PESO_CHECK(src->sizes == target.sizes(), ShapeError,
                   "load_state_dict: '{}' has shape {} in the state, the model expects {}", name, src->sizes,
                   target.sizes());
        PESO_CHECK(src->dtype == target.dtype() || (is_floating(src->dtype) && target.is_floating_point()),
                   DTypeError, "load_state_dict: '{}' has dtype {} in the state, the model expects {}", name,
                   src->dtype, target.dtype());
        used.insert(name);
    }
    if (strict) {
        for (const StateSpec& s : state)
            PESO_CHECK(used.count(s.name) == 1, ValueError, "load_state_dict: unexpected key '{}' (shape {})", s.name,
                       s.sizes);
    }
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
    std::vector<StateSpec> specs;
    for (const auto& [name, t] : state) {
        PESO_CHECK(t.defined(), ValueError, "load_state_dict: '{}' is undefined in the state", name);
        specs.push_back({name, t.sizes(), t.dtype()});
    }
    check_state_dict(specs, strict);
    NoGradGuard g;
    for (const auto& [name, target] : state_dict()) {
        const Tensor* src = find_state(state, name);
        if (src == nullptr) continue;
        Tensor dst = target;
        native::copy_(dst, *src);
    }
}

void Module::print(std::string& out, int indent) const {
    out += type_name() + "(";
    const std::string extra = extra_repr();
    if (children_.empty()) {
        out += extra + ")";
        return;
    }
    const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
    if (!extra.empty()) out += "\n" + pad + extra;
    for (const auto& [name, child] : children_) {
        out += "\n" + pad + "(" + name + "): ";
        child->print(out, indent + 2);
    }
    out += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + ")";
}

std::string Module::str() const {
    std::string s;
    print(s, 0);
    return s;
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.str(); }

}  // namespace peso::nn
