#include "nn/positional.h"

#include <cmath>
#include <vector>

#include "nn/init.h"

namespace peso::nn {

namespace {

void check_range(const char* who, std::int64_t length, std::int64_t offset, std::int64_t max_len) {
    PESO_CHECK(length >= 0 && offset >= 0 && offset + length <= max_len, IndexError,
               "{}: positions [{}, {}) are outside the table of max_len {}", who, offset, offset + length, max_len);
}

void check_input(const char* who, const Tensor& x, std::int64_t d_model) {
    PESO_CHECK(x.defined() && x.dim() >= 2 && x.size(-1) == d_model, ShapeError,
               "{}: input must be (..., T, d_model = {}), got shape {}", who, d_model,
               x.defined() ? x.sizes() : Dims{});
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(std::int64_t d_model, std::int64_t max_len, double p,
                                                           DType dtype)
    : d_model_(d_model), max_len_(max_len) {
    PESO_CHECK(d_model > 0 && max_len > 0, ValueError,
               "SinusoidalPositionalEncoding: d_model and max_len must be positive, got {} and {}", d_model, max_len);
    // Computed in double, then converted: the table is exact to the dtype.
    std::vector<double> table(static_cast<std::size_t>(max_len * d_model));
    for (std::int64_t pos = 0; pos < max_len; ++pos) {
        for (std::int64_t i = 0; i < d_model; i += 2) {
            const double angle = static_cast<double>(pos) * std::exp(static_cast<double>(i) * (-std::log(10000.0) /
                                                                                              static_cast<double>(d_model)));
            table[static_cast<std::size_t>(pos * d_model + i)] = std::sin(angle);
            if (i + 1 < d_model) table[static_cast<std::size_t>(pos * d_model + i + 1)] = std::cos(angle);
        }
    }
    pe = register_buffer("pe", from_vector<double>(table, Dims{max_len, d_model}).to(dtype), /*persistent=*/false);
    dropout = register_module("dropout", std::make_shared<Dropout>(p));
}

Tensor SinusoidalPositionalEncoding::encoding(std::int64_t length, std::int64_t offset) const {
    check_range("SinusoidalPositionalEncoding", length, offset, max_len_);
    return pe.narrow(0, offset, length);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x, std::int64_t offset) const {
    check_input("SinusoidalPositionalEncoding", x, d_model_);
    return dropout->forward(add(x, encoding(x.size(-2), offset)));
}

std::string SinusoidalPositionalEncoding::extra_repr() const {
    return fmt::format("d_model={}, max_len={}", d_model_, max_len_);
}

LearnedPositionalEmbedding::LearnedPositionalEmbedding(std::int64_t max_len, std::int64_t d_model, DType dtype,
                                                       Generator* gen) {
    PESO_CHECK(d_model > 0 && max_len > 0, ValueError,
               "LearnedPositionalEmbedding: max_len and d_model must be positive, got {} and {}", max_len, d_model);
    weight = register_parameter("weight", empty({max_len, d_model}, dtype));
    init::normal_(weight, 0.0, 1.0, gen);
}

Tensor LearnedPositionalEmbedding::encoding(std::int64_t length, std::int64_t offset) const {
    check_range("LearnedPositionalEmbedding", length, offset, max_len());
    return weight.narrow(0, offset, length);
}

Tensor LearnedPositionalEmbedding::forward(const Tensor& x, std::int64_t offset) const {
    check_input("LearnedPositionalEmbedding", x, d_model());
    return add(x, encoding(x.size(-2), offset));
}

void LearnedPositionalEmbedding::replace_parameter(const std::string& name, const Tensor& t) {
    PESO_CHECK(name != "weight" || (t.defined() && t.sizes() == weight.sizes()), ShapeError,
               "LearnedPositionalEmbedding.replace_parameter: 'weight' has shape {}, the replacement has shape {}",
               weight.sizes(), t.defined() ? t.sizes() : Dims{});
    Module::replace_parameter(name, t);
    if (name == "weight") weight = t;
}

std::string LearnedPositionalEmbedding::extra_repr() const {
    return fmt::format("max_len={}, d_model={}", max_len(), d_model());
}

}  // namespace peso::nn
