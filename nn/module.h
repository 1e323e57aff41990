#pragma once
// Module: the base of every layer and model. It owns named parameters,
// buffers and child modules in registration order, and gives them PyTorch's
// dotted names ("blocks.0.attn.weight").
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "peso.h"

namespace peso::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module : public std::enable_shared_from_this<Module> {
public:
    Module() = default;
    virtual ~Module() = default;
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    // The type name shown when printing ("Linear").
    virtual std::string type_name() const { return "Module"; }
    // Extra text shown after the type name ("in=3, out=4, bias=true").
    virtual std::string extra_repr() const { return ""; }

    // ---- registration: returns the registered handle, which the module keeps
    Tensor register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
    Tensor register_buffer(const std::string& name, Tensor t, bool persistent = true);
    template <typename M> std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
        add_child(name, m);
        return m;
    }
    // Replaces a registered parameter/buffer handle (e.g. to tie weights).
    // Virtual so that a layer holding the handle in a member (Linear::weight)
    // updates the member too.
    virtual void replace_parameter(const std::string& name, const Tensor& t);

    // ---- traversal (registration order, parameters de-duplicated when shared)
    NamedTensors named_parameters(bool recurse = true) const;
    std::vector<Tensor> parameters(bool recurse = true) const;
    NamedTensors named_buffers(bool recurse = true) const;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(const std::string& prefix = "");
    std::shared_ptr<Module> child(const std::string& name) const;
    Tensor parameter(const std::string& name) const;  // dotted name; throws if absent
    std::int64_t num_parameters(bool only_trainable = false) const;

    // ---- state
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }
    // Sets every parameter's gradient to undefined (set_to_none) or zero.
    void zero_grad(bool set_to_none = true);
    // Freezes (false) or unfreezes (true) every parameter of this subtree.
    void requires_grad_(bool on);
    // Moves/converts every parameter and buffer in place: handles held by
    // layers and optimizers stay valid.
    void to(Device device);
    void to(DType dtype);
    void apply(const std::function<void(Module&)>& fn);

    // Parameters and persistent buffers by dotted name.
    NamedTensors state_dict() const;
    // Copies values in (under no-grad). strict: every key must match both ways.
    // Throws naming the key and the expected vs found shape/dtype; everything
    // is checked before anything is copied, so a failed load changes nothing.
    void load_state_dict(const NamedTensors& state, bool strict = true);
    // The checks of load_state_dict alone, on names, shapes and dtypes (a
    // file's header gives them before any tensor is read).
    struct StateSpec {
        std::string name;
        Dims sizes;
        DType dtype;
    };
    void check_state_dict(const std::vector<StateSpec>& state, bool strict = true) const;

    // The module tree, one child per line, as PyTorch prints it.
    std::string str() const;

protected:
    void add_child(const std::string& name, std::shared_ptr<Module> m);

private:
    struct Entry {
        std::string name;
        Tensor tensor;
        bool persistent = true;
    };
    void collect(const std::string& prefix, bool params, bool only_persistent, NamedTensors& out,
                 std::vector<const TensorImpl*>* seen) const;
    void print(std::string& out, int indent) const;

    std::vector<Entry> params_;
    std::vector<Entry> buffers_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

// Replaces t's data by `value` in place (same TensorImpl, history kept).
void assign_data(const Tensor& t, const Tensor& value);

}  // namespace peso::nn
