// Reference norm powers: one plain loop in double per tensor, in element order.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "backends/bf16_host.h"
#include "backends/reference/reference_backend.h"

namespace peso {

void ReferenceBackend::norm_powers(const TensorArg& out, std::span<const TensorArg> inputs, double p) {
    if (std::any_of(inputs.begin(), inputs.end(), [](const TensorArg& x) { return x.dtype == DType::bf16; })) {
        // The float32 kernel on widened copies (bf16_host.h).
        std::vector<std::unique_ptr<bf16::Widened>> held;
        std::vector<TensorArg> wide;
        for (const TensorArg& x : inputs) {
            held.push_back(std::make_unique<bf16::Widened>(*this, x, bf16::Widened::Role::in));
            wide.push_back(*held.back());
        }
        return norm_powers(out, wide, p);
    }
    double* o = out.ptr<double>();
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        visit_floating(inputs[k].dtype, "norm_powers", [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* x = inputs[k].ptr<T>();
            double acc = 0.0;
            for (std::int64_t i = 0; i < inputs[k].numel(); ++i) {
                const double a = std::fabs(static_cast<double>(x[i]));
                if (!std::isinf(p)) acc += std::pow(a, p);
                else if (a != a || acc != acc) acc = std::nan("");
                else acc = std::max(acc, a);
            }
            o[k] = acc;
        });
    }
}

}  // namespace peso
