#include "models/guide/masked_lm.h"

#include "peso.h"

namespace peso::models {

MaskedLmBatch mask_tokens(const Tensor& ids, const Tensor& maskable, const MaskedLmOptions& opts, Generator* gen) {
    PESO_CHECK(ids.dtype() == DType::i64 && maskable.dtype() == DType::b8 && ids.sizes() == maskable.sizes(),
               ShapeError, "mask_tokens: expected int64 ids and a bool mask of one shape, got {} {} and {} {}",
               ids.sizes(), ids.dtype(), maskable.sizes(), maskable.dtype());
    PESO_CHECK(opts.prob > 0 && opts.prob < 1, ValueError, "mask_tokens: prob must be in (0, 1), got {}", opts.prob);
    PESO_CHECK(opts.first_regular_id >= 0 && opts.first_regular_id < opts.vocab_size, ValueError,
               "mask_tokens: no regular tokens in [{}, {})", opts.first_regular_id, opts.vocab_size);
    const TensorOptions f32 = TensorOptions(DType::f32).device(ids.device());
    const Tensor chosen = logical_and(lt(rand(ids.sizes(), f32, gen), opts.prob), maskable);
    // One more uniform draw splits the chosen tokens 80 / 10 / 10.
    const Tensor u = rand(ids.sizes(), f32, gen);
    const Tensor to_mask = logical_and(chosen, lt(u, 0.8));
    const Tensor to_random = logical_and(chosen, logical_and(ge(u, 0.8), lt(u, 0.9)));
    const Tensor random_ids = randint(opts.first_regular_id, opts.vocab_size, ids.sizes(),
                                      TensorOptions(DType::i64).device(ids.device()), gen);
    MaskedLmBatch out;
    out.inputs = where(to_random, random_ids, where(to_mask, Scalar(opts.mask_id), ids));
    out.labels = where(chosen, ids, Scalar(opts.ignore_index));
    return out;
}

}  // namespace peso::models
