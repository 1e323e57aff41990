#include "autograd/checkpoint.h"

#include "autograd/engine.h"
#include "autograd/function.h"
#include "tensor/generator.h"

namespace peso::autograd {

std::vector<Tensor> checkpoint(const CheckpointFn& fn, const std::vector<Tensor>& inputs) {
    const std::uint64_t seed = default_generator().seed(), offset = default_generator().offset();
    std::vector<Tensor> outputs;
    {
        NoGradGuard no_grad;
        outputs = fn(inputs);
    }
    if (!should_record(inputs)) return outputs;
    std::vector<SavedTensor> saved;
    std::vector<bool> needs;
    for (const Tensor& t : inputs) {
        saved.push_back(SavedTensor(t));
        needs.push_back(requires_grad(t));
    }
    record("checkpoint", inputs, outputs, std::move(saved),
           [fn, needs, seed, offset](const BackwardContext& ctx, const TensorList& grads) -> TensorList {
               // Recompute the segment with grad on, from detached copies of
               // the inputs, then backpropagate through it.
               std::vector<Tensor> detached;
               for (std::size_t i = 0; i < needs.size(); ++i) {
                   Tensor d = ctx.saved(i).detach();
                   if (needs[i]) d.requires_grad_(true);
                   detached.push_back(d);
               }
               Generator& gen = default_generator();
               const std::uint64_t s = gen.seed(), o = gen.offset();
               gen.set_state(seed, offset);
               std::vector<Tensor> outs;
               {
                   EnableGradGuard enable;
                   outs = fn(detached);
               }
               gen.set_state(s, o);
               std::vector<Tensor> roots, root_grads, wrt;
               std::vector<std::size_t> slots;
               for (std::size_t i = 0; i < outs.size(); ++i)
                   if (outs[i].requires_grad()) { roots.push_back(outs[i]); root_grads.push_back(grads[i]); }
               for (std::size_t i = 0; i < detached.size(); ++i)
                   if (needs[i]) { wrt.push_back(detached[i]); slots.push_back(i); }
               TensorList result(needs.size());
               if (roots.empty() || wrt.empty()) return result;
               const TensorList g = autograd::grad(roots, wrt, root_grads, false, grad_enabled(), true);
               for (std::size_t k = 0; k < slots.size(); ++k) result[slots[k]] = g[k];
               return result;
           });
    return outputs;
}

}  // namespace peso::autograd
