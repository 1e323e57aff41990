#include "examples/common/pca.h"

#include <cmath>

#include "core/error.h"
#include "peso.h"

namespace peso::examples {

namespace {

using Matrix = std::vector<std::vector<double>>;

std::vector<double> multiply(const Matrix& m, const std::vector<double>& v) {
    std::vector<double> out(m.size(), 0.0);
    for (std::size_t i = 0; i < m.size(); ++i)
        for (std::size_t j = 0; j < v.size(); ++j) out[i] += m[i][j] * v[j];
    return out;
}

double normalize(std::vector<double>& v) {
    double n = 0;
    for (double a : v) n += a * a;
    n = std::sqrt(n);
    if (n > 0)
        for (double& a : v) a /= n;
    return n;
}

// The leading eigenvector of a symmetric positive semi-definite matrix and its eigenvalue.
std::pair<std::vector<double>, double> leading_eigen(const Matrix& cov) {
    const std::size_t d = cov.size();
    // A start with distinct entries avoids one orthogonal to the answer by symmetry.
    std::vector<double> v(d);
    for (std::size_t i = 0; i < d; ++i) v[i] = 1.0 + 0.1 * static_cast<double>(i);
    normalize(v);
    double value = 0;
    for (int it = 0; it < 1000; ++it) {
        std::vector<double> next = multiply(cov, v);
        value = normalize(next);
        double change = 0;
        for (std::size_t i = 0; i < d; ++i) change = std::max(change, std::abs(next[i] - v[i]));
        v = std::move(next);
        if (change < 1e-12) break;
    }
    std::size_t largest = 0;
    for (std::size_t i = 1; i < d; ++i)
        if (std::abs(v[i]) > std::abs(v[largest])) largest = i;
    if (v[largest] < 0)
        for (double& a : v) a = -a;
    return {v, value};
}

}  // namespace

Projection pca(const Tensor& x, std::int64_t components) {
    PESO_CHECK(x.dim() == 2, ShapeError, "pca: expected rows (N, D), got {}", x.sizes().str());
    const std::int64_t n = x.size(0), d = x.size(1);
    PESO_CHECK(components >= 1 && components <= d, ValueError, "pca: {} components of {}-dim rows", components, d);
    const std::vector<double> flat =
        to_dtype(to_device(x.detach(), Device::cpu()), DType::f64).contiguous().to_vector<double>();
    Matrix rows(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(d)));
    std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < d; ++j) {
            rows[i][j] = flat[static_cast<std::size_t>(i * d + j)];
            mean[j] += rows[i][j] / static_cast<double>(n);
        }
    for (auto& r : rows)
        for (std::int64_t j = 0; j < d; ++j) r[j] -= mean[j];
    Matrix cov(static_cast<std::size_t>(d), std::vector<double>(static_cast<std::size_t>(d), 0.0));
    double total = 0;
    for (const auto& r : rows)
        for (std::int64_t a = 0; a < d; ++a)
            for (std::int64_t b = 0; b < d; ++b) cov[a][b] += r[a] * r[b] / static_cast<double>(n);
    for (std::int64_t a = 0; a < d; ++a) total += cov[a][a];

    Projection p;
    p.points.assign(static_cast<std::size_t>(n), {});
    for (std::int64_t c = 0; c < components; ++c) {
        auto [v, value] = leading_eigen(cov);
        p.explained.push_back(total > 0 ? value / total : 0.0);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            double s = 0;
            for (std::int64_t j = 0; j < d; ++j) s += rows[i][j] * v[j];
            p.points[i].push_back(s);
        }
        // Deflation: remove the found direction so the next power iteration finds the next one.
        for (std::int64_t a = 0; a < d; ++a)
            for (std::int64_t b = 0; b < d; ++b) cov[a][b] -= value * v[a] * v[b];
    }
    return p;
}

}  // namespace peso::examples
