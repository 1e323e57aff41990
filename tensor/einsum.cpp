// einsum: operands are contracted left to right, two at a time, and each
// contraction is one matmul. Every label of a pair is either a batch label
// (in both operands and still needed), a contracted label (in both, no longer
// needed), or belongs to one side only (summed away first when no longer
// needed). Permuting to [batch, left, contracted] x [batch, contracted, right]
// and flattening the groups makes the pair a batched matmul, whose result is
// [batch, left, right]. Repeated labels within one operand take a diagonal.
#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <string>

#include "tensor/broadcast.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

constexpr int kLetters = 52;                   // 'A'-'Z' are labels 0-25, 'a'-'z' 26-51
constexpr int kLabels = kLetters + kMaxDims;   // then one label per dim covered by "..."
constexpr int kEllipsis = -1;                  // marks "..." in a parsed term
using LabelSet = std::bitset<kLabels>;

std::string label_name(int label) {
    if (label < 26) return std::string(1, static_cast<char>('A' + label));
    if (label < kLetters) return std::string(1, static_cast<char>('a' + label - 26));
    return fmt::format("...[{}]", label - kLetters);
}

// A term's labels in order, kEllipsis standing for "...".
std::vector<int> parse_term(std::string_view term, std::string_view equation) {
    std::vector<int> labels;
    bool ellipsis = false;
    for (std::size_t i = 0; i < term.size();) {
        const char c = term[i];
        if (std::isalpha(static_cast<unsigned char>(c))) {
            labels.push_back(c <= 'Z' ? c - 'A' : c - 'a' + 26);
            ++i;
        } else if (term.substr(i, 3) == "...") {
            PESO_CHECK(!ellipsis, ValueError, "einsum: '...' appears twice in term '{}' of '{}'", term, equation);
            ellipsis = true;
            labels.push_back(kEllipsis);
            i += 3;
        } else {
            throw ValueError(fmt::format(
                "einsum: invalid character '{}' in equation '{}' (labels are letters, '...' is an ellipsis)", c,
                equation));
        }
    }
    return labels;
}

struct Equation {
    std::vector<std::vector<int>> inputs;
    std::optional<std::vector<int>> output;  // absent: implicit output
};

Equation parse_equation(std::string_view equation) {
    std::string eq;
    for (const char c : equation)
        if (!std::isspace(static_cast<unsigned char>(c))) eq += c;
    Equation parsed;
    const std::size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    if (arrow != std::string::npos) parsed.output = parse_term(std::string_view(eq).substr(arrow + 2), equation);
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = lhs.find(',', start);
        parsed.inputs.push_back(parse_term(std::string_view(lhs).substr(start, comma - start), equation));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return parsed;
}

// A tensor with one label per dim.
struct Operand {
    Tensor t;
    std::vector<int> labels;
};

int count_letters(const std::vector<int>& term) {
    return static_cast<int>(std::count_if(term.begin(), term.end(), [](int l) { return l != kEllipsis; }));
}

// How many dims "..." covers in each operand (checking the label counts).
std::vector<int> ellipsis_dims(std::string_view equation, const Equation& eq, const std::vector<Tensor>& operands) {
    std::vector<int> dims;
    for (std::size_t i = 0; i < operands.size(); ++i) {
        const std::vector<int>& term = eq.inputs[i];
        const int letters = count_letters(term);
        const bool ellipsis = letters != static_cast<int>(term.size());
        const int ndim = operands[i].dim();
        PESO_CHECK(ellipsis ? ndim >= letters : ndim == letters, ShapeError,
                   "einsum: operand {} of '{}' has {} dims (shape {}) but its term has {} labels{}", i, equation, ndim,
                   operands[i].sizes(), letters, ellipsis ? " and '...'" : "");
        dims.push_back(ndim - letters);
    }
    return dims;
}

// Labels of every dim: "..." dims are aligned from the right across operands.
std::vector<Operand> label_operands(const Equation& eq, const std::vector<Tensor>& operands,
                                    const std::vector<int>& ellipsis, int max_ellipsis) {
    std::vector<Operand> out;
    for (std::size_t i = 0; i < operands.size(); ++i) {
        Operand op{operands[i], {}};
        for (const int l : eq.inputs[i]) {
            if (l != kEllipsis) {
                op.labels.push_back(l);
                continue;
            }
            for (int j = 0; j < ellipsis[i]; ++j) op.labels.push_back(kLetters + max_ellipsis - ellipsis[i] + j);
        }
        out.push_back(std::move(op));
    }
    return out;
}

// Replaces each label repeated within the operand by its diagonal.
void take_diagonals(Operand& op, std::size_t index, std::string_view equation) {
    for (;;) {
        int p = -1, q = -1;
        for (int i = 0; i < static_cast<int>(op.labels.size()) && p < 0; ++i)
            for (int j = i + 1; j < static_cast<int>(op.labels.size()); ++j)
                if (op.labels[i] == op.labels[j]) { p = i; q = j; break; }
        if (p < 0) return;
        PESO_CHECK(op.t.size(p) == op.t.size(q), ShapeError,
                   "einsum: label '{}' repeats in operand {} of '{}' with sizes {} and {} (shape {})",
                   label_name(op.labels[p]), index, equation, op.t.size(p), op.t.size(q), op.t.sizes());
        const int label = op.labels[p];
        op.t = diagonal(op.t, 0, p, q);  // drops dims p and q, appends the diagonal
        op.labels.erase(op.labels.begin() + q);
        op.labels.erase(op.labels.begin() + p);
        op.labels.push_back(label);
    }
}

// Each label's size across all operands: equal, or 1 broadcasting (as PyTorch).
std::array<std::int64_t, kLabels> label_sizes(const std::vector<Operand>& ops, std::string_view equation) {
    std::array<std::int64_t, kLabels> size;
    size.fill(-1);
    std::array<std::size_t, kLabels> from{};
    for (std::size_t i = 0; i < ops.size(); ++i)
        for (std::size_t d = 0; d < ops[i].labels.size(); ++d) {
            const int l = ops[i].labels[d];
            const std::int64_t s = ops[i].t.size(static_cast<std::int64_t>(d));
            if (size[l] < 0 || (size[l] == 1 && s != 1)) {
                size[l] = s;
                from[l] = i;
            } else {
                PESO_CHECK(s == size[l] || s == 1, ShapeError,
                           "einsum: label '{}' of '{}' has size {} in operand {} but size {} in operand {}",
                           label_name(l), equation, size[l], from[l], s, i);
            }
        }
    return size;
}

LabelSet label_set(const std::vector<int>& labels) {
    LabelSet s;
    for (const int l : labels) s.set(static_cast<std::size_t>(l));
    return s;
}

std::vector<int> output_labels(const Equation& eq, const std::vector<Operand>& ops, int max_ellipsis,
                               std::string_view equation) {
    std::array<int, kLabels> count{};
    for (const std::vector<int>& term : eq.inputs)
        for (const int l : term)
            if (l != kEllipsis) ++count[l];
    std::vector<int> out;
    const auto add_ellipsis = [&] {
        for (int j = 0; j < max_ellipsis; ++j) out.push_back(kLetters + j);
    };
    if (!eq.output) {  // implicit: "..." dims, then the letters seen once, sorted
        add_ellipsis();
        for (int l = 0; l < kLetters; ++l)
            if (count[l] == 1) out.push_back(l);
        return out;
    }
    LabelSet seen;
    for (const int l : *eq.output) {
        if (l == kEllipsis) {
            add_ellipsis();
            continue;
        }
        PESO_CHECK(count[l] > 0, ValueError, "einsum: output label '{}' of '{}' appears in no input", label_name(l),
                   equation);
        PESO_CHECK(!seen[l], ValueError, "einsum: output label '{}' of '{}' appears more than once", label_name(l),
                   equation);
        seen.set(l);
        out.push_back(l);
    }
    return out;
}

std::vector<int> positions(const Operand& op, const std::vector<int>& labels) {
    std::vector<int> pos;
    for (const int l : labels)
        pos.push_back(static_cast<int>(std::find(op.labels.begin(), op.labels.end(), l) - op.labels.begin()));
    return pos;
}

Operand arrange(const Operand& op, const std::vector<int>& order) {
    Dims perm;
    for (const int p : positions(op, order)) perm.push_back(p);
    return {permute(op.t, perm), order};
}

// Sums the dims whose labels are not in `keep` (as a matmul with a vector of
// ones, which is one GEMV over the kept rows).
Operand sum_out(const Operand& op, const LabelSet& keep) {
    std::vector<int> kept, summed;
    for (const int l : op.labels) (keep[l] ? kept : summed).push_back(l);
    if (summed.empty()) return op;
    std::vector<int> order = kept;
    order.insert(order.end(), summed.begin(), summed.end());
    const Operand arranged = arrange(op, order);
    Dims shape;
    for (std::size_t d = 0; d < kept.size(); ++d) shape.push_back(arranged.t.size(static_cast<std::int64_t>(d)));
    std::int64_t total = 1;
    for (std::size_t d = kept.size(); d < order.size(); ++d) total *= arranged.t.size(static_cast<std::int64_t>(d));
    shape.push_back(total);
    const Tensor rows = reshape(arranged.t, shape);
    return {matmul(rows, ones({total}, op.t.options())), kept};
}

// t's dims [first, first + count) and their product.
std::int64_t span_product(const Tensor& t, int first, int count) {
    std::int64_t p = 1;
    for (int d = first; d < first + count; ++d) p *= t.size(d);
    return p;
}

// Reshapes an arranged operand [batch, g1, g2] to [batch, prod g1, prod g2],
// or to [prod batch, ...] when the batch dims would not fit in a tensor.
Tensor to_matrices(const Tensor& t, int nbatch, int n1, int n2, const Dims& batch_sizes) {
    Dims shape;
    if (nbatch + 2 > kMaxDims) {
        Dims full = batch_sizes;
        for (int d = nbatch; d < t.dim(); ++d) full.push_back(t.size(d));
        shape.push_back(batch_sizes.product());
        shape.push_back(span_product(t, nbatch, n1));
        shape.push_back(span_product(t, nbatch + n1, n2));
        return reshape(expand(t, full), shape);
    }
    for (int d = 0; d < nbatch; ++d) shape.push_back(t.size(d));
    shape.push_back(span_product(t, nbatch, n1));
    shape.push_back(span_product(t, nbatch + n1, n2));
    return reshape(t, shape);
}

// Broadcasts the dims of `labels` (a contiguous group starting at `first`) to
// their common sizes, so that both sides of a contraction agree.
Tensor expand_group(const Tensor& t, int first, const std::vector<int>& labels,
                    const std::array<std::int64_t, kLabels>& size) {
    Dims shape = t.sizes();
    for (std::size_t i = 0; i < labels.size(); ++i) shape[first + static_cast<int>(i)] = size[labels[i]];
    return shape == t.sizes() ? t : expand(t, shape);
}

Operand contract(Operand a, Operand b, const LabelSet& keep, const std::array<std::int64_t, kLabels>& size) {
    const LabelSet in_a = label_set(a.labels), in_b = label_set(b.labels);
    a = sum_out(a, keep | in_b);
    b = sum_out(b, keep | in_a);
    std::vector<int> batch, left, contracted, right;
    for (const int l : a.labels) {
        if (!in_b[l]) left.push_back(l);
        else (keep[l] ? batch : contracted).push_back(l);
    }
    for (const int l : b.labels)
        if (!in_a[l]) right.push_back(l);
    const int nb = static_cast<int>(batch.size()), nl = static_cast<int>(left.size()),
              nc = static_cast<int>(contracted.size()), nr = static_cast<int>(right.size());

    auto concat = [](std::vector<int> x, const std::vector<int>& y, const std::vector<int>& z) {
        x.insert(x.end(), y.begin(), y.end());
        x.insert(x.end(), z.begin(), z.end());
        return x;
    };
    Tensor x = arrange(a, concat(batch, left, contracted)).t;
    Tensor y = arrange(b, concat(batch, contracted, right)).t;
    x = expand_group(x, nb + nl, contracted, size);
    y = expand_group(y, nb, contracted, size);
    Dims batch_sizes;
    for (const int l : batch) batch_sizes.push_back(size[l]);

    const Tensor product = matmul(to_matrices(x, nb, nl, nc, batch_sizes), to_matrices(y, nb, nc, nr, batch_sizes));
    Dims shape = batch_sizes;
    for (int d = nb; d < nb + nl; ++d) shape.push_back(x.size(d));
    for (int d = nb + nc; d < nb + nc + nr; ++d) shape.push_back(y.size(d));
    return {reshape(product, shape), concat(batch, left, right)};
}

void check_operand_types(const std::vector<Tensor>& operands) {
    for (std::size_t i = 0; i < operands.size(); ++i) {
        PESO_CHECK(operands[i].defined(), ValueError, "einsum: operand {} is undefined", i);
        PESO_CHECK(operands[i].dtype() == operands[0].dtype(), DTypeError,
                   "einsum: operands must share a dtype, got {} (operand 0) and {} (operand {})", operands[0].dtype(),
                   operands[i].dtype(), i);
        PESO_CHECK(operands[i].device() == operands[0].device(), DeviceError,
                   "einsum: operands must be on one device, got {} (operand 0) and {} (operand {})",
                   operands[0].device(), operands[i].device(), i);
    }
    const DType t = operands[0].dtype();
    PESO_CHECK(t == DType::bf16 || t == DType::f32 || t == DType::f64 || t == DType::i32 || t == DType::i64,
               DTypeError, "einsum: dtype {} is not supported (bfloat16, float32, float64, int32 and int64 are)", t);
}

// The equation parsed, checked against the operands, with every dim labelled.
struct Labelled {
    Equation eq;
    std::vector<Operand> ops;
    int max_ellipsis = 0;
};

Labelled label_equation(std::string_view equation, const std::vector<Tensor>& operands) {
    PESO_CHECK(!operands.empty(), ValueError, "einsum: '{}' needs at least one operand", equation);
    Labelled l{parse_equation(equation), {}, 0};
    PESO_CHECK(l.eq.inputs.size() == operands.size(), ValueError,
               "einsum: '{}' has {} input terms but {} operands were given", equation, l.eq.inputs.size(),
               operands.size());
    check_operand_types(operands);
    const std::vector<int> ellipsis = ellipsis_dims(equation, l.eq, operands);
    l.max_ellipsis = *std::max_element(ellipsis.begin(), ellipsis.end());
    l.ops = label_operands(l.eq, operands, ellipsis, l.max_ellipsis);
    return l;
}

}  // namespace

EinsumLabels einsum_labels(std::string_view equation, const std::vector<Tensor>& operands) {
    const Labelled l = label_equation(equation, operands);
    const std::vector<int> out = output_labels(l.eq, l.ops, l.max_ellipsis, equation);
    // Letters keep their own names; each "..." dim takes the next letter no
    // term uses.
    std::array<char, kLabels> name{};
    LabelSet used;
    for (const Operand& op : l.ops)
        for (const int label : op.labels)
            if (label < kLetters) used.set(static_cast<std::size_t>(label));
    int next = 0;
    for (int label = 0; label < kLabels; ++label) {
        if (label < kLetters) {
            name[label] = label_name(label)[0];
            continue;
        }
        while (next < kLetters && used[static_cast<std::size_t>(next)]) ++next;
        if (next < kLetters) name[label] = label_name(next++)[0];
    }
    const auto spell = [&](const std::vector<int>& labels) {
        std::string s;
        for (const int label : labels) {
            PESO_CHECK(name[label] != 0, ValueError,
                       "einsum: '{}' uses too many labels to name its '...' dims with unused letters", equation);
            s += name[label];
        }
        return s;
    };
    EinsumLabels r;
    for (const Operand& op : l.ops) r.inputs.push_back(spell(op.labels));
    r.output = spell(out);
    return r;
}

Tensor einsum(std::string_view equation, const std::vector<Tensor>& operands) {
    Labelled labelled = label_equation(equation, operands);
    const Equation& eq = labelled.eq;
    const int max_ellipsis = labelled.max_ellipsis;
    std::vector<Operand>& ops = labelled.ops;
    for (std::size_t i = 0; i < ops.size(); ++i) take_diagonals(ops[i], i, equation);
    const auto size = label_sizes(ops, equation);
    const std::vector<int> out = output_labels(eq, ops, max_ellipsis, equation);
    const LabelSet out_set = label_set(out);

    Operand acc = sum_out(ops[0], [&] {
        LabelSet needed = out_set;
        for (std::size_t i = 1; i < ops.size(); ++i) needed |= label_set(ops[i].labels);
        return needed;
    }());
    for (std::size_t i = 1; i < ops.size(); ++i) {
        LabelSet keep = out_set;
        for (std::size_t j = i + 1; j < ops.size(); ++j) keep |= label_set(ops[j].labels);
        acc = contract(std::move(acc), ops[i], keep, size);
    }
    return arrange(acc, out).t;
}

}  // namespace peso::native
