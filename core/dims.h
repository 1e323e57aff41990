#pragma once
// Dims: a fixed-capacity list of up to 8 extents or strides. Tensors have at
// most 8 dims, so shapes live inline (no heap allocation per op).
#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "core/checked_size.h"
#include "core/error.h"

namespace peso {

/// The most dims a tensor can have.
inline constexpr int kMaxDims = 8;

/// A tensor's sizes or strides: up to kMaxDims int64 values held inline.
/// Building one of more than kMaxDims values throws ShapeError.
class Dims {
public:
    /// No dims (a scalar tensor's shape).
    Dims() = default;
    /// `{2, 3}`.
    Dims(std::initializer_list<std::int64_t> v) { assign(v.begin(), v.end()); }
    /// A copy of the values in `v`.
    explicit Dims(std::span<const std::int64_t> v) { assign(v.begin(), v.end()); }
    /// A copy of the values in `v`.
    explicit Dims(const std::vector<std::int64_t>& v) { assign(v.begin(), v.end()); }
    /// `n` dims, each `value`.
    static Dims filled(int n, std::int64_t value) {
        Dims d;
        d.resize(n, value);
        return d;
    }

    /// The number of dims.
    int size() const { return n_; }
    /// Whether there are no dims.
    bool empty() const { return n_ == 0; }
    /// Value `i` (unchecked).
    std::int64_t& operator[](int i) { return v_[i]; }
    /// Value `i` (unchecked).
    std::int64_t operator[](int i) const { return v_[i]; }
    /// The first value.
    std::int64_t* begin() { return v_.data(); }
    /// Past the last value.
    std::int64_t* end() { return v_.data() + n_; }
    /// The first value.
    const std::int64_t* begin() const { return v_.data(); }
    /// Past the last value.
    const std::int64_t* end() const { return v_.data() + n_; }
    /// The values, contiguous.
    const std::int64_t* data() const { return v_.data(); }
    /// The last value (unchecked).
    std::int64_t back() const { return v_[n_ - 1]; }

    /// Appends `x`; ShapeError when full.
    void push_back(std::int64_t x) {
        PESO_CHECK(n_ < kMaxDims, ShapeError, "tensors have at most {} dims", kMaxDims);
        v_[n_++] = x;
    }
    /// Inserts `x` before position `pos`; ShapeError when full.
    void insert(int pos, std::int64_t x) {
        PESO_CHECK(n_ < kMaxDims, ShapeError, "tensors have at most {} dims", kMaxDims);
        for (int i = n_; i > pos; --i) v_[i] = v_[i - 1];
        v_[pos] = x;
        ++n_;
    }
    /// Removes the value at `pos`.
    void erase(int pos) {
        for (int i = pos; i + 1 < n_; ++i) v_[i] = v_[i + 1];
        --n_;
    }
    /// Keeps the first `n` values, or appends `fill` up to `n`; ShapeError beyond kMaxDims.
    void resize(int n, std::int64_t fill = 0) {
        PESO_CHECK(n >= 0 && n <= kMaxDims, ShapeError, "tensors have at most {} dims, asked for {}", kMaxDims, n);
        for (int i = n_; i < n; ++i) v_[i] = fill;
        n_ = n;
    }
    /// The product of the values (1 when empty): a shape's number of elements.
    /// A shape whose count overflows int64 (or that holds a negative extent)
    /// throws instead of wrapping into a small number.
    std::int64_t product() const {
        std::int64_t p = 1;
        for (int i = 0; i < n_; ++i) {
            PESO_CHECK(v_[i] >= 0, ShapeError, "shape {} has a negative size", str());
            if (__builtin_mul_overflow(p, v_[i], &p)) [[unlikely]]
                throw ValueError(fmt::format("shape {}: the element count overflows a 64-bit integer", str()));
        }
        return p;
    }
    /// The values as a std::vector.
    std::vector<std::int64_t> vec() const { return {begin(), end()}; }
    /// "[2, 3]".
    std::string str() const {
        std::string s = "[";
        for (int i = 0; i < n_; ++i) s += (i ? ", " : "") + std::to_string(v_[i]);
        return s + "]";
    }
    /// Same number of dims and same values.
    friend bool operator==(const Dims& a, const Dims& b) {
        return a.n_ == b.n_ && std::equal(a.begin(), a.end(), b.begin());
    }

private:
    template <typename It> void assign(It first, It last) {
        const auto n = std::distance(first, last);
        PESO_CHECK(n <= kMaxDims, ShapeError, "tensors have at most {} dims, got {}", kMaxDims, n);
        n_ = static_cast<int>(n);
        std::copy(first, last, v_.begin());
    }
    std::array<std::int64_t, kMaxDims> v_{};
    int n_ = 0;
};

/// Another name for Dims, where it holds a shape.
using Shape = Dims;

/// Wraps a possibly negative dim index into [0, ndim); names the op on failure.
inline int wrap_dim(std::int64_t dim, int ndim, const char* op) {
    const int range = std::max(ndim, 1);  // a 0-dim tensor accepts dim 0 and -1
    PESO_CHECK(dim >= -range && dim < range, IndexError, "{}: dim {} out of range for a tensor of {} dims", op, dim,
               ndim);
    return static_cast<int>(dim < 0 ? dim + range : dim);
}

/// The element count of a shape, as Dims::product, with the op named on overflow.
inline std::int64_t checked_numel(const Dims& shape, std::string_view op) {
    std::int64_t n = 1;
    for (const std::int64_t s : shape) {
        PESO_CHECK(s >= 0, ShapeError, "{}: negative size {} in shape {}", op, s, shape.str());
        n = checked_mul(n, s, op);
    }
    return n;
}

/// The row-major strides of a contiguous tensor of these sizes.
inline Dims contiguous_strides(const Dims& sizes) {
    Dims s = Dims::filled(sizes.size(), 1);
    for (int i = sizes.size() - 2; i >= 0; --i)
        s[i] = checked_mul(s[i + 1], std::max<std::int64_t>(sizes[i + 1], 1), "contiguous strides");
    return s;
}

}  // namespace peso

/// @cond FORMATTERS
template <> struct fmt::formatter<peso::Dims> : fmt::formatter<std::string_view> {
    auto format(const peso::Dims& d, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(d.str(), ctx);
    }
};
/// @endcond
