#pragma once
// The reference backend: plain loops that are obviously correct, one element
// at a time, accumulating in double. It is the oracle the fast backends are
// tested against, not something to run models on.
#include "backends/backend.h"

namespace peso {

class ReferenceBackend final : public Backend {
public:
    std::string_view name() const override { return "reference"; }
    DeviceType device_type() const override { return DeviceType::cpu; }
    Allocator& allocator() override;

    void copy(const TensorArg& dst, const TensorArg& src) override;
    void copy_from_host(void* dst, const void* src, std::size_t nbytes) override;
    void copy_to_host(void* dst, const void* src, std::size_t nbytes) override;
    void fill(const TensorArg& dst, Scalar value) override;
    void arange(const TensorArg& dst, double start, double step) override;
    void random(const TensorArg& dst, RandomKind kind, std::uint64_t seed, std::uint64_t offset, double a,
                double b) override;

    void unary(UnaryOp op, const TensorArg& out, const TensorArg& in, const UnaryParams& p) override;
    void binary(BinaryOp op, const TensorArg& out, const TensorArg& a, const TensorArg& b) override;
    void where(const TensorArg& out, const TensorArg& cond, const TensorArg& a, const TensorArg& b) override;

    void reduce(ReduceOp op, const TensorArg& out, const TensorArg& in) override;
    void reduce_var(const TensorArg& out, const TensorArg& in, double correction) override;
    void reduce_with_index(ReduceOp op, const TensorArg& values, const TensorArg& indices,
                           const TensorArg& in) override;

    void matmul(const TensorArg& out, const TensorArg& a, const TensorArg& b) override;

    void softmax(const TensorArg& out, const TensorArg& in, bool log) override;
    void layer_norm(const TensorArg& out, const TensorArg& mean, const TensorArg& rstd, const TensorArg& x,
                    const TensorArg& weight, const TensorArg& bias, double eps) override;
    void layer_norm_backward(const TensorArg& dx, const TensorArg& dweight, const TensorArg& dbias,
                             const TensorArg& dy, const TensorArg& x, const TensorArg& mean, const TensorArg& rstd,
                             const TensorArg& weight) override;
    void cross_entropy(const TensorArg& loss, const TensorArg& lse, const TensorArg& logits, const TensorArg& target,
                       const TensorArg& valid) override;
    void cross_entropy_backward(const TensorArg& dlogits, const TensorArg& grad, const TensorArg& logits,
                                const TensorArg& target, const TensorArg& valid, const TensorArg& lse) override;
    void attention(const TensorArg& out, const TensorArg& lse, const TensorArg& q, const TensorArg& k,
                   const TensorArg& v, const AttentionParams& p) override;
    void attention_backward(const TensorArg& dq, const TensorArg& dk, const TensorArg& dv, const TensorArg& dout,
                            const TensorArg& q, const TensorArg& k, const TensorArg& v, const TensorArg& out,
                            const TensorArg& lse, const AttentionParams& p) override;
    void adam_step(std::span<const AdamTask> tasks) override;
    void sgd_step(std::span<const SgdTask> tasks) override;
    void norm_powers(const TensorArg& out, std::span<const TensorArg> inputs, double p) override;

    void index_select(const TensorArg& out, const TensorArg& in, const TensorArg& index) override;
    void index_add(const TensorArg& self, const TensorArg& index, const TensorArg& src, Scalar alpha) override;
    void gather(const TensorArg& out, const TensorArg& in, const TensorArg& index, int dim) override;
    void scatter(const TensorArg& self, const TensorArg& index, const TensorArg& src, int dim,
                 bool accumulate) override;

    void sort(const TensorArg& values, const TensorArg& indices, const TensorArg& in, bool descending) override;
    void topk(const TensorArg& values, const TensorArg& indices, const TensorArg& in, std::int64_t k,
              bool largest) override;
    void cumsum(const TensorArg& out, const TensorArg& in) override;
};

}  // namespace peso
