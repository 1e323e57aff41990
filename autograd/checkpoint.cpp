#include "autograd/checkpoint.h"

#include <memory>

#include "autograd/function.h"
#include "autograd/saved_tensor.h"
#include "tensor/generator.h"

namespace peso::autograd {

namespace {

// Sets the default generator to a state for its scope, then puts back the
// state it found: the recomputation draws the forward's random numbers
// (dropout masks) without disturbing the draws around it.
class GeneratorStateGuard {
public:
    GeneratorStateGuard(std::uint64_t seed, std::uint64_t offset)
        : seed_(default_generator().seed()), offset_(default_generator().offset()) {
        default_generator().set_state(seed, offset);
    }
    ~GeneratorStateGuard() { default_generator().set_state(seed_, offset_); }
    GeneratorStateGuard(const GeneratorStateGuard&) = delete;
    GeneratorStateGuard& operator=(const GeneratorStateGuard&) = delete;

private:
    std::uint64_t seed_, offset_;
};

class Segment;

// Stands in for one tensor the segment's forward saved; filled by the
// segment's recomputation on first use.
class Placeholder final : public PackedTensor {
public:
    Placeholder(std::shared_ptr<Segment> segment, std::size_t index) : segment_(std::move(segment)), index_(index) {}
    Tensor unpack() const override;
    void fill(Tensor t) { value_ = std::move(t); }

private:
    std::shared_ptr<Segment> segment_;
    std::size_t index_;
    Tensor value_;
};

// One checkpointed call of fn: what it needs to run again, and the
// placeholders its forward left in the graph (weakly: a placeholder lives as
// long as the node that saved it, and a dead one needs no value).
class Segment : public std::enable_shared_from_this<Segment> {
public:
    Segment(CheckpointFn fn, const std::vector<Tensor>& inputs)
        : fn_(std::move(fn)), seed_(default_generator().seed()), offset_(default_generator().offset()) {
        // Saved like any op's input: under an enclosing checkpoint they are
        // that segment's placeholders, and in-place changes are reported.
        for (const Tensor& t : inputs) {
            inputs_.emplace_back(t);
            input_requires_grad_.push_back(requires_grad(t));
        }
    }

    std::shared_ptr<PackedTensor> pack() {
        auto p = std::make_shared<Placeholder>(shared_from_this(), placeholders_.size());
        placeholders_.push_back(p);
        return p;
    }

    // Runs fn again with grad on and the forward's random state; every
    // tensor it saves fills the placeholder of the same rank. The ops must
    // record (and so save) exactly what they did in the forward, so each
    // input requires grad as it did then. When the backward records its own
    // graph (create_graph) the saved tensors keep their history, so that the
    // gradient's gradient reaches the inputs; otherwise they are detached
    // and the recomputed graph is dropped at once.
    void recompute() {
        const bool keep_history = grad_enabled();
        if (recomputed_ && (with_history_ || !keep_history)) return;
        std::vector<Tensor> saved;
        {
            const std::vector<Tensor> inputs = unpack_inputs();
            const GeneratorStateGuard rng(seed_, offset_);
            const SavedTensorHooksGuard capture([&saved](const Tensor& t) {
                saved.push_back(t);
                return std::shared_ptr<PackedTensor>();
            });
            const EnableGradGuard grad_on;
            fn_(inputs);
        }
        PESO_CHECK(saved.size() == placeholders_.size(), Error,
                   "checkpoint: the recomputation saved {} tensors for backward but the forward saved {}; the "
                   "checkpointed function must do the same work every time it runs",
                   saved.size(), placeholders_.size());
        for (std::size_t i = 0; i < saved.size(); ++i)
            if (auto p = placeholders_[i].lock()) p->fill(keep_history ? saved[i] : saved[i].detach());
        recomputed_ = true;
        with_history_ = keep_history;
    }

private:
    // A saved input that no longer carries its history (an enclosing
    // checkpoint recomputed it detached) becomes a leaf that requires grad.
    std::vector<Tensor> unpack_inputs() const {
        std::vector<Tensor> inputs;
        for (std::size_t i = 0; i < inputs_.size(); ++i) {
            Tensor t = inputs_[i].unpack("checkpoint");
            if (input_requires_grad_[i] && !requires_grad(t)) t = t.detach().requires_grad_(true);
            inputs.push_back(t);
        }
        return inputs;
    }

    CheckpointFn fn_;
    std::vector<SavedTensor> inputs_;
    std::vector<bool> input_requires_grad_;
    std::uint64_t seed_, offset_;
    std::vector<std::weak_ptr<Placeholder>> placeholders_;
    bool recomputed_ = false;
    bool with_history_ = false;
};

Tensor Placeholder::unpack() const {
    segment_->recompute();
    PESO_CHECK(value_.defined(), Error, "internal error: checkpoint: saved tensor {} was not recomputed", index_);
    return value_;
}

}  // namespace

std::vector<Tensor> checkpoint(const CheckpointFn& fn, const std::vector<Tensor>& inputs) {
    if (!grad_enabled()) return fn(inputs);
    auto segment = std::make_shared<Segment>(fn, inputs);
    const SavedTensorHooksGuard hooks([&segment](const Tensor&) { return segment->pack(); });
    return fn(inputs);
}

}  // namespace peso::autograd
