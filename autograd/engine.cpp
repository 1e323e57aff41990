#include "autograd/engine.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/accumulate_grad.h"
#include "autograd/autograd_meta.h"
#include "autograd/function.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/sole_owner.h"
#include "tensor/native.h"

namespace peso::autograd {

namespace {

struct Capture {
    Node* node;
    int input_nr;
    std::size_t slot;  // index into the result
};

struct LaterFirst {
    bool operator()(const Node* a, const Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

class GraphTask {
public:
    GraphTask(bool retain_graph, bool create_graph, bool accumulate)
        : retain_graph_(retain_graph), create_graph_(create_graph), accumulate_(accumulate) {}

    // A root given twice (backward({y, y})) is one node that receives both
    // gradients: it is listed once, or its inputs would count it twice as a
    // dependency and never become ready.
    void add_root(const Edge& e, Tensor grad) {
        if (std::find(roots_.begin(), roots_.end(), e.fn.get()) == roots_.end()) {
            roots_.push_back(e.fn.get());
            keep_.push_back(e.fn);
        }
        add_to_buffer(*e.fn, e.input_nr, std::move(grad));
    }

    void add_capture(const Edge& e, std::size_t slot) { captures_.push_back({e.fn.get(), e.input_nr, slot}); }

    std::vector<Tensor> run(std::size_t n_results) {
        results_.assign(n_results, Tensor());
        count_dependencies();
        std::priority_queue<Node*, std::vector<Node*>, LaterFirst> ready;
        for (Node* r : roots_)
            if (dependencies_[r] == 0 && queued_.insert(r).second) ready.push(r);
        while (!ready.empty()) {
            Node* node = ready.top();
            ready.pop();
            run_node(*node, [&](Node* next) {
                if (--dependencies_[next] == 0 && queued_.insert(next).second) ready.push(next);
            });
        }
        return std::move(results_);
    }

private:
    // Counts, for each node reachable from the roots (and needed), how many
    // edges of needed nodes point at it.
    void count_dependencies() {
        std::vector<Node*> order;  // reachable nodes, discovery order
        std::vector<Node*> stack(roots_.begin(), roots_.end());
        std::unordered_set<Node*> seen(roots_.begin(), roots_.end());
        while (!stack.empty()) {
            Node* n = stack.back();
            stack.pop_back();
            order.push_back(n);
            for (const Edge& e : n->next_edges()) {
                if (e.fn && seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
            }
        }
        if (!accumulate_) mark_needed(order);
        for (Node* n : order) {
            if (!is_needed(n)) continue;
            for (const Edge& e : n->next_edges())
                if (e.fn) ++dependencies_[e.fn.get()];
        }
    }

    // For grad(): only nodes with a path to a captured input run; the
    // captured nodes themselves are reached (their gradient is read) but run
    // only if they too lead to another capture.
    void mark_needed(const std::vector<Node*>& order) {
        std::unordered_set<Node*> targets;
        for (const Capture& c : captures_) targets.insert(c.node);
        bool changed = true;
        while (changed) {  // discovery order is not topological: iterate to a fixed point
            changed = false;
            for (auto it = order.rbegin(); it != order.rend(); ++it) {
                Node* n = *it;
                if (needed_.count(n)) continue;
                for (const Edge& e : n->next_edges()) {
                    if (e.fn && (targets.count(e.fn.get()) || needed_.count(e.fn.get()))) {
                        needed_.insert(n);
                        changed = true;
                        break;
                    }
                }
            }
        }
    }

    bool is_needed(Node* n) const { return accumulate_ || needed_.count(n) > 0; }

    // Sums every gradient that reaches one input. Which tensor object arrives
    // does not matter: the same tensor arriving twice (add(x, x) returns its
    // gradient for both inputs) is summed like any other, since neither copy
    // is then a sole owner. A lent partial gradient comes back here only after
    // its slot was emptied by lend_partials, so it simply refills the slot.
    void add_to_buffer(Node& node, int input_nr, Tensor grad) {
        auto& buf = buffers_[&node];
        if (buf.empty()) buf.resize(std::max<std::size_t>(node.outputs().size(), 1));
        Tensor& slot = buf.at(static_cast<std::size_t>(input_nr));
        if (!slot.defined()) {
            slot = std::move(grad);
        } else if (create_graph_) {
            slot = peso::add(slot, grad);
        } else if (sole_owner(slot) && slot.dtype() == grad.dtype()) {
            native::binary_(BinaryOp::add, slot, grad);  // no third buffer of the input's size
        } else if (sole_owner(grad) && slot.dtype() == grad.dtype()) {
            native::binary_(BinaryOp::add, grad, slot);
            slot = std::move(grad);
        } else {
            slot = native::add(slot, grad);
        }
    }

    // The node, when its backward asked to add into its inputs' partial
    // gradients (BackwardContext::partial_grad) and may be lent them now.
    FunctionNode* partial_grad_taker(Node& node) const {
        auto* fn = dynamic_cast<FunctionNode*>(&node);
        return fn && fn->accepts_partial_grads() && !create_graph_ ? fn : nullptr;
    }

    // Moves out the partial sums of the gradients that `fn` produces.
    void lend_partials(FunctionNode& fn) {
        std::vector<Tensor> lent(fn.next_edges().size());
        for (std::size_t i = 0; i < lent.size(); ++i) {
            const Edge& e = fn.next_edges()[i];
            const auto it = e.fn ? buffers_.find(e.fn.get()) : buffers_.end();
            if (it == buffers_.end()) continue;
            Tensor& slot = it->second.at(static_cast<std::size_t>(e.input_nr));
            if (slot.defined() && sole_owner(slot)) lent[i] = std::move(slot);
        }
        fn.lend_partial_grads(std::move(lent));
    }

    // Puts back what the backward did not return as its gradient. A lent
    // buffer may come back only as the gradient of the input it was lent for:
    // returned for another input too, it would alias two gradient slots.
    void restore_partials(FunctionNode& fn, const std::vector<Tensor>& out) {
        std::vector<Tensor> lent = fn.take_partial_grads();
        for (std::size_t i = 0; i < lent.size(); ++i) {
            if (!lent[i].defined()) continue;
            for (std::size_t k = 0; k < out.size(); ++k)
                PESO_CHECK(k == i || !out[k].defined() || !out[k].shares_storage(lent[i]), Error,
                           "internal error: the backward of '{}' returned the partial gradient lent for its input {} "
                           "as the gradient of input {}",
                           fn.name(), i, k);
            if (i < out.size() && out[i].is_same(lent[i])) continue;
            const Edge& e = fn.next_edges()[i];
            buffers_.at(e.fn.get()).at(static_cast<std::size_t>(e.input_nr)) = std::move(lent[i]);
        }
    }

    template <typename OnReady> void run_node(Node& node, OnReady&& on_ready) {
        std::vector<Tensor> grads = std::move(buffers_[&node]);
        buffers_.erase(&node);
        grads.resize(std::max<std::size_t>(node.outputs().size(), grads.size()));
        for (std::size_t i = 0; i < grads.size(); ++i) {
            if (!grads[i].defined() && i < node.outputs().size()) {
                const auto& o = node.outputs()[i];
                grads[i] = native::zeros(o.shape, TensorOptions(o.dtype).device(o.device));
            }
        }
        run_pre_hooks(node, grads);
        for (const Capture& c : captures_)
            if (c.node == &node) results_[c.slot] = grads.at(static_cast<std::size_t>(c.input_nr));
        const bool is_accumulator = dynamic_cast<AccumulateGrad*>(&node) != nullptr;
        if (!is_needed(&node) || (!accumulate_ && is_accumulator)) return;
        std::vector<Tensor> out;
        {
            const GradModeGuard mode(create_graph_);
            FunctionNode* taker = partial_grad_taker(node);
            if (taker) lend_partials(*taker);
            out = node.apply(std::move(grads), create_graph_);
            if (taker) restore_partials(*taker, out);
        }
        if (anomaly_enabled()) check_anomaly(node, out);
        if (!retain_graph_) node.release_saved();
        const auto& edges = node.next_edges();
        for (std::size_t i = 0; i < edges.size(); ++i) {
            const Edge& e = edges[i];
            if (!e.fn) continue;
            if (i < out.size() && out[i].defined()) {
                check_shape(node, i, out[i], *e.fn, e.input_nr);
                add_to_buffer(*e.fn, e.input_nr, std::move(out[i]));
            }
            on_ready(e.fn.get());
        }
    }

    static void run_pre_hooks(Node& node, std::vector<Tensor>& grads) {
        for (const auto& [nr, hook] : node.pre_hooks()) {
            Tensor r = hook(grads.at(static_cast<std::size_t>(nr)));
            if (r.defined()) grads[static_cast<std::size_t>(nr)] = r;
        }
        if (auto* acc = dynamic_cast<AccumulateGrad*>(&node)) {
            if (AutogradMeta* m = meta_or_null(acc->variable())) {
                for (const auto& hook : m->leaf_hooks) {
                    Tensor r = hook(grads.at(0));
                    if (r.defined()) grads[0] = r;
                }
            }
        }
    }

    static void check_shape(const Node& node, std::size_t i, const Tensor& g, const Node& next, int input_nr) {
        const auto& info = next.outputs().at(static_cast<std::size_t>(input_nr));
        PESO_CHECK(g.sizes() == info.shape, ShapeError,
                   "backward of '{}' returned a gradient of shape {} for its input {} of shape {}", node.name(),
                   g.sizes(), i, info.shape);
    }

    static void check_anomaly(const Node& node, const std::vector<Tensor>& out) {
        NoGradGuard no_grad;
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (!out[i].defined() || !is_floating(out[i].dtype())) continue;
            const bool bad = native::any(native::logical_or(native::isnan(out[i]), native::isinf(out[i])))
                                 .item<bool>();
            PESO_CHECK(!bad, Error,
                       "anomaly detected: the backward of '{}' (recorded by the forward op '{}') returned NaN or Inf "
                       "in its gradient for input {}",
                       node.name(), node.name(), i);
        }
    }

    bool retain_graph_, create_graph_, accumulate_;
    std::vector<Node*> roots_;
    std::vector<std::shared_ptr<Node>> keep_;
    std::vector<Capture> captures_;
    std::unordered_map<Node*, int> dependencies_;
    std::unordered_map<Node*, std::vector<Tensor>> buffers_;
    std::unordered_set<Node*> needed_;
    std::unordered_set<Node*> queued_;
    std::vector<Tensor> results_;
};

Tensor root_grad(const Tensor& root, const std::vector<Tensor>& grads, std::size_t i, const char* api) {
    if (i < grads.size() && grads[i].defined()) {
        PESO_CHECK(grads[i].sizes() == root.sizes(), ShapeError,
                   "{}: gradient of shape {} given for output {} of shape {}", api, grads[i].sizes(), i, root.sizes());
        return grads[i];
    }
    PESO_CHECK(root.numel() == 1, ValueError,
               "{}: a gradient can be created implicitly only for scalar outputs (output {} has shape {})", api, i,
               root.sizes());
    return native::ones_like(root);
}

void add_roots(GraphTask& task, const std::vector<Tensor>& roots, const std::vector<Tensor>& grads,
               const char* api) {
    PESO_CHECK(grads.empty() || grads.size() == roots.size(), ValueError,
               "{}: got {} gradients for {} outputs", api, grads.size(), roots.size());
    for (std::size_t i = 0; i < roots.size(); ++i) {
        const Edge e = gradient_edge(roots[i]);
        PESO_CHECK(e.valid(), Error,
                   "{}: output {} does not require grad and has no grad_fn (did you compute it under NoGradGuard, "
                   "or forget requires_grad_()?)",
                   api, i);
        task.add_root(e, root_grad(roots[i], grads, i, api));
    }
}

// The callbacks of the innermost backward() running on this thread (nullptr outside one).
thread_local std::vector<std::function<void()>>* t_callbacks = nullptr;

// Installs a fresh callback list for one backward() and restores the outer one
// (a backward inside a hook or a checkpoint's recomputation) afterwards.
class CallbackScope {
public:
    CallbackScope() : outer_(t_callbacks) { t_callbacks = &mine_; }
    ~CallbackScope() { t_callbacks = outer_; }
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;
    // A callback may queue another: run until none is left.
    void run() {
        for (std::size_t i = 0; i < mine_.size(); ++i) {
            std::function<void()> f = std::move(mine_[i]);
            f();
        }
        mine_.clear();
    }

private:
    std::vector<std::function<void()>>* outer_;
    std::vector<std::function<void()>> mine_;
};

}  // namespace

void queue_callback(std::function<void()> callback) {
    PESO_CHECK(t_callbacks != nullptr, Error, "queue_callback: no backward() is running on this thread");
    t_callbacks->push_back(std::move(callback));
}

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots, bool retain_graph,
              bool create_graph) {
    GraphTask task(retain_graph || create_graph, create_graph, /*accumulate=*/true);
    add_roots(task, roots, grad_roots, "backward");
    CallbackScope callbacks;
    task.run(0);
    callbacks.run();
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph,
                         bool create_graph, bool allow_unused) {
    GraphTask task(retain_graph.value_or(create_graph), create_graph, /*accumulate=*/false);
    add_roots(task, outputs, grad_outputs, "grad");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Edge e = gradient_edge(inputs[i]);
        PESO_CHECK(e.valid(), Error, "grad: input {} does not require grad", i);
        task.add_capture(e, i);
    }
    std::vector<Tensor> result = task.run(inputs.size());
    for (std::size_t i = 0; i < result.size(); ++i)
        PESO_CHECK(result[i].defined() || allow_unused, Error,
                   "grad: input {} was not used to compute the outputs (pass allow_unused=true to get an undefined "
                   "gradient for it)",
                   i);
    return result;
}

}  // namespace peso::autograd
