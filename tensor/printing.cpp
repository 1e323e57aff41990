// Printing in PyTorch's style (torch/_tensor_str.py with its default print
// options: precision 4, threshold 1000, edgeitems 3, linewidth 80), so that
// peso and PyTorch print a tensor the same way, except that dtypes use peso's
// names (`dtype=float64`, not `dtype=torch.float64`). As in PyTorch:
// float32, int64 and bool are the default dtypes and are not noted (empty
// tensors note every dtype but float32, since no values show it); floating
// tensors whose values are all integers print as `1.`; the device is noted
// when not cpu. float16/bfloat16 tensors, which have no kernels yet, print as
// `tensor(..., size=(2,), dtype=float16)`, PyTorch's style for meta tensors.
#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "tensor/native.h"
#include "tensor/tensor.h"

namespace peso {

namespace {

constexpr int kPrecision = 4;
constexpr std::int64_t kThreshold = 1000;  // more elements than this are summarized
constexpr std::int64_t kEdgeItems = 3;     // shown at each end of a summarized dim
constexpr int kLineWidth = 80;

// The values shown, on the host, in row-major order of the summarized tensor.
struct ShownValues {
    DType dtype;
    std::vector<double> floats;        // floating dtypes
    std::vector<std::int64_t> ints;    // integer and bool dtypes
};

bool summarized_dim(std::int64_t size, bool summarize) { return summarize && size > 2 * kEdgeItems; }

// Keeps only the first and last kEdgeItems entries of every long dim.
Tensor edge_items(Tensor t) {
    for (int d = 0; d < t.dim(); ++d) {
        const std::int64_t n = t.size(d);
        if (n > 2 * kEdgeItems)
            t = native::cat({native::narrow(t, d, 0, kEdgeItems), native::narrow(t, d, n - kEdgeItems, kEdgeItems)}, d);
    }
    return t;
}

ShownValues shown_values(const Tensor& t) {
    ShownValues v{t.dtype(), {}, {}};
    if (is_floating(t.dtype())) v.floats = t.to_vector<double>();
    else v.ints = t.to_vector<std::int64_t>();
    return v;
}

std::string format_fixed(double x, int precision) {
    if (std::isnan(x)) return "nan";  // Python drops the sign of NaN
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return fmt::format("{:.{}f}", x, precision);
}

std::string format_sci(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    return fmt::format("{:.{}e}", x, kPrecision);
}

// Formats single elements with one width for the whole tensor: fixed point,
// integers-with-a-dot, or scientific notation, chosen from the shown values.
class ElementFormatter {
public:
    explicit ElementFormatter(const ShownValues& v) : values_(v) {
        if (is_floating(v.dtype)) scan_floats();
        else scan_ints();
    }

    int width() const { return width_; }

    // The k-th shown value, right-aligned to the common width.
    std::string format(std::size_t k) const {
        const std::string s = raw(k);
        const int n = static_cast<int>(s.size());
        return n >= width_ ? s : std::string(static_cast<std::size_t>(width_ - n), ' ') + s;
    }

private:
    std::string raw(std::size_t k) const {
        if (!is_floating(values_.dtype)) {
            const std::int64_t x = values_.ints[k];
            return values_.dtype == DType::b8 ? (x ? "True" : "False") : std::to_string(x);
        }
        const double x = values_.floats[k];
        if (sci_) return format_sci(x);
        if (int_mode_) return format_fixed(x, 0) + (std::isfinite(x) ? "." : "");
        return format_fixed(x, kPrecision);
    }

    void widen(std::size_t n) { width_ = std::max(width_, static_cast<int>(n)); }

    void scan_ints() {
        for (std::size_t k = 0; k < values_.ints.size(); ++k) widen(raw(k).size());
    }

    void scan_floats() {
        std::vector<double> nonzero;  // the finite nonzero values decide the style
        for (const double x : values_.floats)
            if (std::isfinite(x) && x != 0.0) nonzero.push_back(x);
        if (nonzero.empty()) return;
        double lo = std::abs(nonzero[0]), hi = lo;
        for (const double x : nonzero) {
            lo = std::min(lo, std::abs(x));
            hi = std::max(hi, std::abs(x));
            int_mode_ = int_mode_ && x == std::ceil(x);
        }
        sci_ = hi / lo > 1000.0 || hi > 1.0e8 || (!int_mode_ && lo < 1.0e-4);
        for (const double x : nonzero) {
            if (sci_) widen(format_sci(x).size());
            else if (int_mode_) widen(format_fixed(x, 0).size() + 1);
            else widen(format_fixed(x, kPrecision).size());
        }
    }

    const ShownValues& values_;
    bool int_mode_ = true;
    bool sci_ = false;
    int width_ = 1;
};

// Lays out the shown values as nested brackets. `full` holds the tensor's
// sizes, `shown` the sizes after summarization (the values' layout).
class Layout {
public:
    Layout(const Dims& full, const Dims& shown, bool summarize, const ElementFormatter& f)
        : full_(full), shown_(shown), strides_(contiguous_strides(shown)), summarize_(summarize), f_(f) {}

    std::string str(int indent) const { return full_.empty() ? f_.format(0) : nested(0, 0, indent); }

private:
    std::string nested(int d, std::int64_t base, int indent) const {
        if (d == full_.size() - 1) return vector(d, base, indent);
        std::vector<std::string> slices;
        for (std::int64_t i = 0; i < shown_[d]; ++i) {
            if (summarized_dim(full_[d], summarize_) && i == kEdgeItems) slices.emplace_back("...");
            slices.push_back(nested(d + 1, base + i * strides_[d], indent + 1));
        }
        const std::string sep = "," + std::string(static_cast<std::size_t>(full_.size() - d - 1), '\n') +
                                std::string(static_cast<std::size_t>(indent + 1), ' ');
        return "[" + join(slices, sep) + "]";
    }

    std::string vector(int d, std::int64_t base, int indent) const {
        std::vector<std::string> items;
        for (std::int64_t i = 0; i < shown_[d]; ++i) {
            if (summarized_dim(full_[d], summarize_) && i == kEdgeItems) items.emplace_back(" ...");
            items.push_back(f_.format(static_cast<std::size_t>(base + i * strides_[d])));
        }
        const int per_line = std::max(1, (kLineWidth - indent) / (f_.width() + 2));
        std::vector<std::string> lines;
        for (std::size_t i = 0; i < items.size(); i += static_cast<std::size_t>(per_line)) {
            const std::size_t end = std::min(items.size(), i + static_cast<std::size_t>(per_line));
            lines.push_back(join(std::vector<std::string>(items.begin() + static_cast<std::ptrdiff_t>(i),
                                                          items.begin() + static_cast<std::ptrdiff_t>(end)),
                                 ", "));
        }
        return "[" + join(lines, ",\n" + std::string(static_cast<std::size_t>(indent + 1), ' ')) + "]";
    }

    static std::string join(const std::vector<std::string>& parts, const std::string& sep) {
        std::string s;
        for (std::size_t i = 0; i < parts.size(); ++i) s += (i ? sep : "") + parts[i];
        return s;
    }

    const Dims& full_;
    const Dims& shown_;
    const Dims strides_;
    bool summarize_;
    const ElementFormatter& f_;
};

// Python's str(tuple): (2, 3), (5,), ().
std::string tuple_str(const Dims& d) {
    std::string s = "(";
    for (int i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + (d.size() == 1 ? ",)" : ")");
}

// Appends ", suffix" to the text, on a new line when the last one would pass
// the line width (PyTorch's _add_suffixes, including its length arithmetic).
std::string add_suffixes(const std::string& body, const std::vector<std::string>& suffixes, int indent) {
    std::string out = body;
    const auto newline = body.rfind('\n');
    std::int64_t last_line = static_cast<std::int64_t>(body.size()) -
                             (newline == std::string::npos ? -1 : static_cast<std::int64_t>(newline)) + 1;
    for (const std::string& s : suffixes) {
        const auto len = static_cast<std::int64_t>(s.size());
        if (last_line + len + 2 > kLineWidth) {
            out += ",\n" + std::string(static_cast<std::size_t>(indent), ' ') + s;
            last_line = indent + len;
        } else {
            out += ", " + s;
            last_line += len + 2;
        }
    }
    return out + ")";
}

bool is_default_dtype(DType t) { return t == kDefaultDType || t == DType::i64 || t == DType::b8; }

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "tensor(undefined)";
    const std::string prefix = "tensor(";
    const int indent = static_cast<int>(prefix.size());
    std::vector<std::string> suffixes;
    if (!t.device().is_cpu()) suffixes.push_back("device='" + t.device().str() + "'");
    std::string body;
    if (t.numel() == 0) {
        if (t.dim() != 1) suffixes.push_back("size=" + tuple_str(t.sizes()));
        if (t.dtype() != kDefaultDType) suffixes.push_back(fmt::format("dtype={}", t.dtype()));
        body = "[]";
    } else if (t.dtype() == DType::f16 || t.dtype() == DType::bf16) {
        // No kernels read these yet: show what the tensor is, not its values.
        suffixes.push_back("size=" + tuple_str(t.sizes()));
        suffixes.push_back(fmt::format("dtype={}", t.dtype()));
        body = "...";
    } else {
        if (!is_default_dtype(t.dtype())) suffixes.push_back(fmt::format("dtype={}", t.dtype()));
        const bool summarize = t.numel() > kThreshold;
        const Tensor shown = summarize ? edge_items(t) : t;
        const ShownValues values = shown_values(shown);
        const ElementFormatter formatter(values);
        body = Layout(t.sizes(), shown.sizes(), summarize, formatter).str(indent);
    }
    return os << add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace peso
