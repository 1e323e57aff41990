#include "autograd/function.h"

#include "autograd/functions.h"
#include "autograd/op_registry.h"
#include "autograd/reduce_grad.h"

namespace peso::autograd {

// ---- meta -------------------------------------------------------------------------

AutogradMeta& meta(const Tensor& t) {
    TensorImpl& impl = t.impl();
    if (!impl.autograd) impl.autograd = std::make_shared<AutogradMeta>();
    return *impl.autograd;
}

AutogradMeta* meta_or_null(const Tensor& t) { return t.defined() ? t.impl().autograd.get() : nullptr; }

namespace {

// A view's grad_fn when its base's history changed after the view was made.
void regenerate_view_grad_fn(const Tensor& view, AutogradMeta& m) {
    const ViewInfo& v = *m.view;
    const std::uint64_t now = view.impl().storage->version();
    if (m.view->attr_version == now) return;
    m.view->attr_version = now;
    if (!requires_grad(v.base)) return;
    const Dims base_sizes = v.base.sizes(), sizes = v.sizes, strides = v.strides;
    const std::int64_t offset = v.offset;
    auto node = std::make_shared<FunctionNode>(
        "as_strided",
        [base_sizes, sizes, strides, offset](const BackwardContext&, const TensorList& g) -> TensorList {
            return {view_grad_to_base(g[0], base_sizes, sizes, strides, offset)};
        },
        std::vector<SavedTensor>{});
    node->next_edges().push_back(gradient_edge(v.base));
    node->outputs().push_back({view.sizes(), view.dtype(), view.device()});
    m.grad_fn = std::move(node);
    m.output_nr = 0;
    m.requires_grad = true;
}

void refresh(const Tensor& t) {
    AutogradMeta* m = meta_or_null(t);
    if (m && m->view) regenerate_view_grad_fn(t, *m);
}

}  // namespace

bool requires_grad(const Tensor& t) {
    if (!t.defined()) return false;
    refresh(t);
    const AutogradMeta* m = meta_or_null(t);
    return m && m->requires_grad;
}

bool is_leaf(const Tensor& t) {
    refresh(t);
    const AutogradMeta* m = meta_or_null(t);
    return !m || !m->grad_fn;
}

Edge gradient_edge(const Tensor& t) {
    if (!requires_grad(t)) return {};
    AutogradMeta& m = meta(t);
    if (m.grad_fn) return {m.grad_fn, m.output_nr};
    return {grad_accumulator(t), 0};
}

// ---- recording ----------------------------------------------------------------------

FunctionNode::FunctionNode(std::string name, BackwardFn fn, std::vector<SavedTensor> saved)
    : Node(std::move(name)), fn_(std::move(fn)), saved_(std::move(saved)) {}

TensorList FunctionNode::apply(TensorList&& grad_outputs, bool create_graph) {
    PESO_CHECK(!released_, Error,
               "trying to backward through the graph a second time (the saved tensors of '{}' were freed after the "
               "first backward); pass retain_graph=true to the first backward if you need to",
               name());
    const BackwardContext ctx(*this, shared_from_this(), saved_, partials_, create_graph);
    TensorList grads = fn_(ctx, grad_outputs);
    PESO_CHECK(grads.size() == next_edges().size(), Error,
               "internal error: backward of '{}' returned {} gradients for {} inputs", name(), grads.size(),
               next_edges().size());
    return grads;
}

void FunctionNode::release_saved() {
    if (saved_.empty()) return;  // nothing to free: a second backward still works, as in PyTorch
    for (SavedTensor& s : saved_) s.reset();
    released_ = true;
}

bool should_record(std::initializer_list<const Tensor*> inputs) {
    if (!grad_enabled()) return false;
    for (const Tensor* t : inputs)
        if (requires_grad(*t)) return true;
    return false;
}

bool should_record(const std::vector<Tensor>& inputs) {
    if (!grad_enabled()) return false;
    for (const Tensor& t : inputs)
        if (requires_grad(t)) return true;
    return false;
}

namespace {

void set_history(const Tensor& out, const std::shared_ptr<Node>& node, int output_nr) {
    AutogradMeta& m = meta(out);
    m.grad_fn = node;
    m.output_nr = output_nr;
    m.requires_grad = true;
}

}  // namespace

std::shared_ptr<FunctionNode> record(std::string name, const std::vector<Tensor>& inputs,
                                     const std::vector<Tensor>& outputs, std::vector<SavedTensor> saved,
                                     BackwardFn backward) {
    const std::string_view op = std::string_view(name).substr(0, name.find(" ("));
    PESO_CHECK(is_registered_op(op), Error,
               "internal error: op '{}' records a gradient but is not listed in autograd/op_registry.cpp", name);
    RecordedOps::note(op);
    for (SavedTensor& s : saved) s.bind_output(outputs);
    auto node = std::make_shared<FunctionNode>(std::move(name), std::move(backward), std::move(saved));
    node->next_edges().reserve(inputs.size());
    for (const Tensor& in : inputs) node->next_edges().push_back(gradient_edge(in));
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const Tensor& out = outputs[i];
        node->outputs().push_back({out.sizes(), out.dtype(), out.device()});
        if (is_floating(out.dtype())) set_history(out, node, static_cast<int>(i));
    }
    return node;
}

void mark_view(const Tensor& view, const Tensor& input) {
    if (!grad_enabled()) return;
    const AutogradMeta* im = meta_or_null(input);
    const Tensor base = (im && im->view) ? im->view->base : input;
    AutogradMeta& vm = meta(view);
    vm.view = ViewInfo{base, view.sizes(), view.strides(), view.storage_offset() - base.storage_offset(),
                       view.impl().storage->version()};
}

void check_inplace(const Tensor& self, const char* op) {
    if (!grad_enabled()) return;
    const AutogradMeta* m = meta_or_null(self);
    if (!m) return;
    PESO_CHECK(!(m->requires_grad && !m->grad_fn && !m->view), Error,
               "{}: a leaf tensor that requires grad is being used in an in-place operation (wrap it in NoGradGuard, "
               "or modify a clone)",
               op);
    if (m->view) {
        const AutogradMeta* bm = meta_or_null(m->view->base);
        PESO_CHECK(!(bm && bm->requires_grad && !bm->grad_fn), Error,
                   "{}: a view of a leaf tensor that requires grad is being used in an in-place operation", op);
        for (int d = 0; d < self.dim(); ++d)
            PESO_CHECK(!(self.stride(d) == 0 && self.size(d) > 1), Error,
                       "{}: in-place operation on an expanded view (shape {}, strides {}) whose elements share memory",
                       op, self.sizes(), self.strides());
    }
}

void rebase_history(const Tensor& self, std::string op, const std::vector<Tensor>& others,
                    std::vector<SavedTensor> saved, BackwardFn backward) {
    AutogradMeta& m = meta(self);
    if (!m.view) {
        std::vector<Tensor> inputs{self};
        inputs.insert(inputs.end(), others.begin(), others.end());
        // gradient_edge(self) is read before set_history replaces it: the old history.
        record(std::move(op), inputs, {self}, std::move(saved), std::move(backward));
        return;
    }
    ViewInfo& v = *m.view;
    PESO_CHECK(v.base.is_contiguous(), NotImplementedError,
               "{}: in-place operation through a view of a non-contiguous base (shape {}, strides {})", op,
               v.base.sizes(), v.base.strides());
    const ViewInfo geometry{Tensor(), v.sizes, v.strides, v.offset, 0};
    const std::size_t n_others = others.size();
    // CopySlices: the base's new history. The gradient of the base splits into
    // the view's region, which goes through the op's backward, and the rest,
    // which passes to the base's old history unchanged.
    BackwardFn copy_slices = [geometry, backward, n_others](const BackwardContext& ctx,
                                                            const TensorList& g) -> TensorList {
        // The geometry is that of a contiguous base starting at offset 0 of
        // the region's storage; the incoming gradient may be a slice of a
        // larger buffer (cat's backward makes them), so its own offset adds.
        const Tensor gb = contiguous(g[0]);
        const Tensor region_grad =
            gb.as_strided(geometry.sizes, geometry.strides, gb.storage_offset() + geometry.offset).clone();
        TensorList res = backward(ctx, {region_grad});
        TensorList out(n_others + 1);
        if (ctx.needs_input_grad(0)) {
            Tensor base_grad = gb.clone();
            Tensor region = base_grad.as_strided(geometry.sizes, geometry.strides, geometry.offset);
            if (res[0].defined()) region.copy_(res[0]);
            else region.zero_();
            out[0] = base_grad;
        }
        for (std::size_t i = 0; i < n_others; ++i) out[i + 1] = res[i + 1];
        return out;
    };
    std::vector<Tensor> inputs{v.base};
    inputs.insert(inputs.end(), others.begin(), others.end());
    record(op + " (through a view)", inputs, {v.base}, std::move(saved), std::move(copy_slices));
    v.attr_version = self.impl().storage->version() - 1;  // force the view's grad_fn to be rebuilt from the base
    refresh(self);
}

}  // namespace peso::autograd
