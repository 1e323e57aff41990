#include "backends/primitives.h"

namespace peso {

std::string_view op_name(UnaryOp op) {
    switch (op) {
#define PESO_UNARY_OP(id, name, result) case UnaryOp::id: return name;
#include "backends/unary_ops.def"
#undef PESO_UNARY_OP
    }
    return "unary?";
}

std::string_view op_name(BinaryOp op) {
    switch (op) {
#define PESO_BINARY_OP(id, name, result) case BinaryOp::id: return name;
#include "backends/binary_ops.def"
#undef PESO_BINARY_OP
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
