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

inline constexpr int kMaxDims = 8;

class Dims {
public:
    Dims() = default;
    Dims(std::initializer_list<std::int64_t> v) { assign(v.begin(), v.end()); }
    explicit Dims(std::span<const std::int64_t> v) { assign(v.begin(), v.end()); }
    explicit Dims(const std::vector<std::int64_t>& v) { assign(v.begin(), v.end()); }
    static Dims filled(int n, std::int64_t value) {
        Dims d;
        d.resize(n, value);
        return d;
    }

    int size() const { return n_; }
    bool empty() const { return n_ == 0; }
    std::int64_t& operator[](int i) { return v_[i]; }
    std::int64_t operator[](int i) const { return v_[i]; }
    std::int64_t* begin() { return v_.data(); }
    std::int64_t* end() { return v_.data() + n_; }
    const std::int64_t* begin() const { return v_.data(); }
    const std::int64_t* end() const { return v_.data() + n_; }
    const std::int64_t* data() const { return v_.data(); }
    std::int64_t back() const { return v_[n_ - 1]; }

    void push_back(std::int64_t x) {
        PESO_CHECK(n_ < kMaxDims, ShapeError, "tensors have at most {} dims", kMaxDims);
        v_[n_++] = x;
    }
    void insert(int pos, std::int64_t x) {
        PESO_CHECK(n_ < kMaxDims, ShapeError, "tensors have at most {} dims", kMaxDims);
        for (int i = n_; i > pos; --i) v_[i] = v_[i - 1];
        v_[pos] = x;
        ++n_;
    }
    void erase(int pos) {
        for (int i = pos; i + 1 < n_; ++i) v_[i] = v_[i + 1];
        --n_;
    }
    void resize(int n, std::int64_t fill = 0) {
        PESO_CHECK(n >= 0 && n <= kMaxDims, ShapeError, "tensors have at most {} dims, asked for {}", kMaxDims, n);
        for (int i = n_; i < n; ++i) v_[i] = fill;
        n_ = n;
    }
    // The element count; a shape whose count overflows int64 (or that holds
    // a negative extent) throws instead of wrapping into a small number.
    std::int64_t product() const {
        std::int64_t p = 1;
        for (int i = 0; i < n_; ++i) {
            PESO_CHECK(v_[i] >= 0, ShapeError, "shape {} has a negative size", str());
            if (__builtin_mul_overflow(p, v_[i], &p)) [[unlikely]]
                throw ValueError(fmt::format("shape {}: the element count overflows a 64-bit integer", str()));
        }
        return p;
    }
    std::vector<std::int64_t> vec() const { return {begin(), end()}; }
    std::string str() const {
        std::string s = "[";
        for (int i = 0; i < n_; ++i) s += (i ? ", " : "") + std::to_string(v_[i]);
        return s + "]";
    }
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

using Shape = Dims;

// Wraps a possibly negative dim index into [0, ndim); names the op on failure.
inline int wrap_dim(std::int64_t dim, int ndim, const char* op) {
    const int range = std::max(ndim, 1);  // a 0-dim tensor accepts dim 0 and -1
    PESO_CHECK(dim >= -range && dim < range, IndexError, "{}: dim {} out of range for a tensor of {} dims", op, dim,
               ndim);
    return static_cast<int>(dim < 0 ? dim + range : dim);
}

// The element count of a shape, as Dims::product, with the op named on overflow.
inline std::int64_t checked_numel(const Dims& shape, std::string_view op) {
    std::int64_t n = 1;
    for (const std::int64_t s : shape) {
        PESO_CHECK(s >= 0, ShapeError, "{}: negative size {} in shape {}", op, s, shape.str());
        n = checked_mul(n, s, op);
    }
    return n;
}

inline Dims contiguous_strides(const Dims& sizes) {
    Dims s = Dims::filled(sizes.size(), 1);
    for (int i = sizes.size() - 2; i >= 0; --i)
        s[i] = checked_mul(s[i + 1], std::max<std::int64_t>(sizes[i + 1], 1), "contiguous strides");
    return s;
}

}  // namespace peso

template <> struct fmt::formatter<peso::Dims> : fmt::formatter<std::string_view> {
    auto format(const peso::Dims& d, format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(d.str(), ctx);
    }
};
