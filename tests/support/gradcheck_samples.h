#pragma once
// The gradcheck suite's samples, after PyTorch OpInfo's sample_inputs_func:
// for every differentiable op, a list of float64 inputs and a function of
// them that together cover each of the op's argument variants as
// autograd/op_registry.cpp declares them (keepdim true and false, negative
// dims, broadcasting in each operand, 0-d, empty and non-contiguous inputs,
// ...). A sample names the option values it exercises; the suite
// (gradcheck_suite.h) counts them, and the ops its function really recorded.
//
// Shared by the cpu run (tests/gradcheck), the emulated CUDA device
// (tests/cuda) and a real GPU (tests/gpu). Index tensors, masks and other
// constants are inputs that do not require grad, so that the device runs copy
// them along; non-contiguous layouts are made inside the functions (views of
// the leaves), so that the device runs see them too.
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "peso.h"

namespace peso::testing {

using TL = std::vector<Tensor>;
using autograd::GradcheckOptions;

// Makes a sample's inputs from its seed: float64 cpu tensors.
class Inputs {
public:
    explicit Inputs(std::uint64_t seed) : gen_(seed) {}
    // A leaf that requires grad, values in [lo, hi).
    Tensor p(const Dims& shape, double lo = -1.0, double hi = 1.0);
    // A constant (no grad), values in [lo, hi).
    Tensor c(const Dims& shape, double lo = -1.0, double hi = 1.0);
    // A leaf whose values have magnitude in [lo, hi) and a random sign: away
    // from the kinks of abs, relu and sign.
    Tensor away_from_zero(const Dims& shape, double lo = 0.2, double hi = 1.0);
    // A leaf of distinct values at least 0.1 apart (no ties for max, sort,
    // ...), shuffled, in [shift + 0.05, shift + 0.1 * numel).
    Tensor distinct(const Dims& shape, double shift = 0.0);
    // A random size in [lo, hi]: samples draw some shapes from the seed.
    std::int64_t n(std::int64_t lo = 1, std::int64_t hi = 4);
    // A boolean constant, true with probability 1/2.
    Tensor mask(const Dims& shape);

private:
    Generator gen_;
};

// Makes leaves of these shapes (a sample's usual inputs), values in [-1, 1).
std::function<TL(Inputs&)> leaves(std::vector<Dims> shapes);

// An int64 constant (indices, targets).
Tensor index(const std::vector<std::int64_t>& values, const Dims& shape);
Tensor index(const std::vector<std::int64_t>& values);
// A bool constant.
Tensor bools(const std::vector<bool>& values, const Dims& shape);

// Non-contiguous views, applied inside sample functions.
// The last two dims swapped: a leaf of shape (.., n, m) is seen as (.., m, n).
Tensor tr(const Tensor& t);
// Every other element of the last dim from the second one (storage offset 1,
// stride 2): a leaf whose last dim is 2n + 1 is seen with n.
Tensor every_other(const Tensor& t);

struct Sample {
    std::string op;                    // the registry name it covers; its function must record it
    std::vector<std::string> options;  // option values of that op it exercises: "keepdim=true"
    std::function<TL(Inputs&)> make;
    autograd::GradcheckFn fn;
    GradcheckOptions opts{};
    bool needs_second_device = false;  // moves tensors to a device other than its inputs'

    std::string label() const;  // "sum [dim=negative keepdim=true]"
};

class Samples {
public:
    // fn returns a Tensor or a TL.
    template <typename F>
    Sample& add(std::string op, std::vector<std::string> options, std::function<TL(Inputs&)> make, F fn,
                GradcheckOptions opts = {}) {
        autograd::GradcheckFn f;
        if constexpr (std::is_same_v<std::invoke_result_t<F, const TL&>, Tensor>)
            f = [fn](const TL& x) -> TL { return {fn(x)}; };
        else
            f = std::move(fn);
        list_.push_back({std::move(op), std::move(options), std::move(make), std::move(f), opts});
        return list_.back();
    }
    const std::vector<Sample>& list() const { return list_; }

private:
    std::vector<Sample> list_;
};

// One generator per family of ops (tests/support/samples/*.cpp).
void add_copy_samples(Samples& s);
void add_view_samples(Samples& s);
void add_unary_samples(Samples& s);
void add_binary_samples(Samples& s);
void add_reduction_samples(Samples& s);
void add_linalg_samples(Samples& s);
void add_normalization_samples(Samples& s);
void add_indexing_samples(Samples& s);
void add_joining_samples(Samples& s);

// Every sample, in a fixed order (a sample's seed is its position).
const std::vector<Sample>& all_samples();

// A device other than t's: cuda:0 for a cpu tensor, the cpu otherwise.
Device other_device(const Tensor& t);
// Whether tensors can be moved to a second device in this build.
bool second_device_available();

}  // namespace peso::testing
