#include "backends/primitives.h"

namespace peso {

std::string_view op_name(UnaryOp op) {
    switch (op) {
        case UnaryOp::neg: return "neg";
        case UnaryOp::abs: return "abs";
        case UnaryOp::exp: return "exp";
        case UnaryOp::log: return "log";
        case UnaryOp::log1p: return "log1p";
        case UnaryOp::sqrt: return "sqrt";
        case UnaryOp::rsqrt: return "rsqrt";
        case UnaryOp::sin: return "sin";
        case UnaryOp::cos: return "cos";
        case UnaryOp::tanh: return "tanh";
        case UnaryOp::sigmoid: return "sigmoid";
        case UnaryOp::relu: return "relu";
        case UnaryOp::gelu_erf: return "gelu";
        case UnaryOp::gelu_tanh: return "gelu_tanh";
        case UnaryOp::erf: return "erf";
        case UnaryOp::sign: return "sign";
        case UnaryOp::floor: return "floor";
        case UnaryOp::ceil: return "ceil";
        case UnaryOp::round: return "round";
        case UnaryOp::reciprocal: return "reciprocal";
        case UnaryOp::pow_scalar: return "pow";
        case UnaryOp::clamp: return "clamp";
        case UnaryOp::logical_not: return "logical_not";
        case UnaryOp::isnan: return "isnan";
        case UnaryOp::isinf: return "isinf";
    }
    return "unary?";
}

std::string_view op_name(BinaryOp op) {
    switch (op) {
        case BinaryOp::add: return "add";
        case BinaryOp::sub: return "sub";
        case BinaryOp::mul: return "mul";
        case BinaryOp::div: return "div";
        case BinaryOp::pow: return "pow";
        case BinaryOp::maximum: return "maximum";
        case BinaryOp::minimum: return "minimum";
        case BinaryOp::remainder: return "remainder";
        case BinaryOp::floor_divide: return "floor_divide";
        case BinaryOp::gelu_erf_backward: return "gelu_backward";
        case BinaryOp::gelu_tanh_backward: return "gelu_tanh_backward";
        case BinaryOp::eq: return "eq";
        case BinaryOp::ne: return "ne";
        case BinaryOp::lt: return "lt";
        case BinaryOp::le: return "le";
        case BinaryOp::gt: return "gt";
        case BinaryOp::ge: return "ge";
        case BinaryOp::logical_and: return "logical_and";
        case BinaryOp::logical_or: return "logical_or";
        case BinaryOp::logical_xor: return "logical_xor";
    }
    return "binary?";
}

std::string_view op_name(ReduceOp op) {
    switch (op) {
        case ReduceOp::sum: return "sum";
        case ReduceOp::prod: return "prod";
        case ReduceOp::max: return "max";
        case ReduceOp::min: return "min";
        case ReduceOp::all: return "all";
        case ReduceOp::any: return "any";
    }
    return "reduce?";
}

}  // namespace peso
