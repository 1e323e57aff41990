#pragma once
// The vocabulary of primitive operations a backend implements.
#include <cstdint>
#include <string_view>

namespace peso {

// The elementwise primitives are listed once, in unary_ops.def and
// binary_ops.def; everything here about them is expanded from those rows.
enum class UnaryOp : std::uint8_t {
#define PESO_UNARY_OP(id, name, result) id,
#include "backends/unary_ops.def"
#undef PESO_UNARY_OP
};

enum class BinaryOp : std::uint8_t {
#define PESO_BINARY_OP(id, name, result) id,
#include "backends/binary_ops.def"
#undef PESO_BINARY_OP
};

// What dtype an elementwise primitive computes and returns (see the .def files).
enum class ElementwiseResult : std::uint8_t { keeps, floating, boolean };

constexpr ElementwiseResult result_kind(UnaryOp op) {
    switch (op) {
#define PESO_UNARY_OP(id, name, result) case UnaryOp::id: return ElementwiseResult::result;
#include "backends/unary_ops.def"
#undef PESO_UNARY_OP
    }
    return ElementwiseResult::keeps;
}

constexpr ElementwiseResult result_kind(BinaryOp op) {
    switch (op) {
#define PESO_BINARY_OP(id, name, result) case BinaryOp::id: return ElementwiseResult::result;
#include "backends/binary_ops.def"
#undef PESO_BINARY_OP
    }
    return ElementwiseResult::keeps;
}

enum class ReduceOp : std::uint8_t { sum, prod, max, min, all, any };

enum class RandomKind : std::uint8_t {
    uniform,  // U[a, b)
    normal,   // N(a, b^2)
    integer,  // integers in [a, b)
};

struct UnaryParams {
    double a = 0.0;
    double b = 0.0;
};

// Comparisons and logical ops: their output is bool.
constexpr bool is_comparison(BinaryOp op) { return result_kind(op) == ElementwiseResult::boolean; }

std::string_view op_name(UnaryOp op);
std::string_view op_name(BinaryOp op);
std::string_view op_name(ReduceOp op);

}  // namespace peso
