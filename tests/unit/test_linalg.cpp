#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "backends/cpu/gemm.h"
#include "backends/host_allocator.h"
#include "peso.h"

using namespace peso;

namespace {

const char* const kBackends[] = {"cpu", "reference"};

Tensor values(const std::vector<double>& v, const Dims& shape, DType dtype = DType::f32) {
    return from_vector(v, shape).to(dtype);
}

Tensor random_tensor(const Dims& shape, DType dtype, std::uint64_t seed) {
    Generator gen(seed);
    return randn(shape, TensorOptions(dtype), &gen);
}

// An oracle independent of peso's matmul: (..., M, K) @ (..., K, N) with
// broadcast batch dims, by index arithmetic on the values in row-major order.
std::vector<double> expected_matmul(const Tensor& a, const Tensor& b) {
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    const int nb = std::max(a.dim(), b.dim()) - 2;
    const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
    Dims batch, a_stride, b_stride;  // a_stride/b_stride: matrices to skip per batch index (0 when broadcast)
    std::int64_t as = m * k, bs = k * n;
    for (int i = nb - 1; i >= 0; --i) {
        const int ia = a.dim() - 2 - nb + i, ib = b.dim() - 2 - nb + i;
        const std::int64_t sa = ia >= 0 ? a.size(ia) : 1, sb = ib >= 0 ? b.size(ib) : 1;
        batch.insert(0, std::max(sa, sb));
        a_stride.insert(0, sa == 1 ? 0 : as);
        b_stride.insert(0, sb == 1 ? 0 : bs);
        as *= sa;
        bs *= sb;
    }
    std::vector<double> out;
    for (std::int64_t t = 0; t < batch.product(); ++t) {
        std::int64_t rest = t, oa = 0, ob = 0;
        for (int i = nb - 1; i >= 0; --i) {
            const std::int64_t idx = rest % batch[i];
            rest /= batch[i];
            oa += idx * a_stride[i];
            ob += idx * b_stride[i];
        }
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) {
                double s = 0;
                for (std::int64_t p = 0; p < k; ++p) s += x[oa + i * k + p] * y[ob + p * n + j];
                out.push_back(s);
            }
    }
    return out;
}

void check_values(const Tensor& got, const std::vector<double>& want, double tol) {
    const std::vector<double> g = got.to_vector<double>();
    REQUIRE(g.size() == want.size());
    double worst = 0;
    for (std::size_t i = 0; i < g.size(); ++i)
        worst = std::max(worst, std::abs(g[i] - want[i]) / (1.0 + std::abs(want[i])));
    CHECK(worst <= tol);
}

double tolerance(DType t) { return t == DType::f32 ? 1e-4 : 1e-11; }

std::int64_t allocations() { return host_allocator().stats().requests; }

template <typename Fn> std::string error_message(Fn&& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("mm of hand-computed matrices in every supported dtype") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        for (DType t : {DType::f32, DType::f64, DType::i32, DType::i64}) {
            CAPTURE(t);
            const Tensor a = values({1, 2, 3, 4, 5, 6}, {2, 3}, t);
            const Tensor b = values({7, 8, 9, 10, 11, 12}, {3, 2}, t);
            const Tensor c = mm(a, b);
            CHECK(c.dtype() == t);
            CHECK(c.sizes() == Dims{2, 2});
            CHECK(c.to_vector<double>() == std::vector<double>{58, 64, 139, 154});
            CHECK(a.matmul(b).to_vector<double>() == std::vector<double>{58, 64, 139, 154});
        }
    }
}

TEST_CASE("matmul with 1-D operands: dot, matrix-vector, vector-matrix") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        const Tensor dot = matmul(values({1, 2, 3}, {3}), values({4, 5, 6}, {3}));
        CHECK(dot.dim() == 0);
        CHECK(dot.item<float>() == 32.0f);

        const Tensor m = values({1, 2, 3, 4}, {2, 2});
        const Tensor v = values({5, 6}, {2});
        const Tensor mv = matmul(m, v);
        CHECK(mv.sizes() == Dims{2});
        CHECK(mv.to_vector<float>() == std::vector<float>{17, 39});
        const Tensor vm = matmul(v, m);
        CHECK(vm.sizes() == Dims{2});
        CHECK(vm.to_vector<float>() == std::vector<float>{23, 34});

        // 1-D against a batch: the vector is broadcast, its dim dropped.
        const Tensor batch = values({1, 2, 3, 4, 0, 1, 1, 0}, {2, 2, 2});
        const Tensor bv = matmul(batch, v);
        CHECK(bv.sizes() == Dims{2, 2});
        CHECK(bv.to_vector<float>() == std::vector<float>{17, 39, 6, 5});
        const Tensor vb = matmul(v, batch);
        CHECK(vb.sizes() == Dims{2, 2});
        CHECK(vb.to_vector<float>() == std::vector<float>{23, 34, 6, 5});
    }
}

TEST_CASE("batched matmul broadcasts batch dims") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        // (2,2,2) @ (2,2): the same right matrix for every batch.
        const Tensor a = values({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
        const Tensor b = values({1, 0, 1, 1}, {2, 2});
        const Tensor c = matmul(a, b);
        CHECK(c.sizes() == Dims{2, 2, 2});
        CHECK(c.to_vector<float>() == std::vector<float>{3, 2, 7, 4, 11, 6, 15, 8});

        // (2,1,3,4) @ (3,4,5) -> (2,3,3,5): both operands broadcast, which the
        // batch dims of neither can express with one stride.
        const Tensor x = random_tensor({2, 1, 3, 4}, DType::f64, 1);
        const Tensor y = random_tensor({3, 4, 5}, DType::f64, 2);
        const Tensor z = matmul(x, y);
        CHECK(z.sizes() == Dims{2, 3, 3, 5});
        check_values(z, expected_matmul(x, y), 1e-12);

        // (1,4) @ (2,3,4,2): a 2-D left operand against a 4-D right one.
        const Tensor p = random_tensor({1, 4}, DType::f64, 3);
        const Tensor q = random_tensor({2, 3, 4, 2}, DType::f64, 4);
        const Tensor r = matmul(p, q);
        CHECK(r.sizes() == Dims{2, 3, 1, 2});
        check_values(r, expected_matmul(p, q), 1e-12);

        const Tensor bm = bmm(values({1, 2, 3, 4}, {2, 1, 2}), values({1, 1, 2, 2}, {2, 2, 1}));
        CHECK(bm.sizes() == Dims{2, 1, 1});
        CHECK(bm.to_vector<float>() == std::vector<float>{3, 14});
    }
}

TEST_CASE("non-contiguous operands give the right values") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        for (DType t : {DType::f32, DType::f64, DType::i64}) {
            CAPTURE(t);
            const Tensor a = round(mul(random_tensor({6, 8}, DType::f64, 5), 4.0)).to(t);
            const Tensor b = round(mul(random_tensor({8, 6}, DType::f64, 6), 4.0)).to(t);
            const double tol = t == DType::i64 ? 0.0 : tolerance(t);
            // Transposed views (BLAS transpose flags).
            check_values(matmul(b.t(), a.t()), expected_matmul(b.t().contiguous(), a.t().contiguous()), tol);
            // Steps in both dims: no unit stride, so the backend must pack.
            const Tensor as = a.slice(0, 0, 6, 2).slice(1, 0, 8, 2);  // (3, 4)
            const Tensor bs = b.slice(0, 1, 8, 2).slice(1, 1, 6, 2);  // (4, 3)
            check_values(matmul(as, bs), expected_matmul(as.contiguous(), bs.contiguous()), tol);
            check_values(matmul(as.t(), bs.t()), expected_matmul(as.t().contiguous(), bs.t().contiguous()), tol);
            // A narrowed view: unit stride with a leading dim larger than the row.
            const Tensor an = a.narrow(1, 2, 5);  // (6, 5), row stride 8
            const Tensor bn = b.narrow(0, 1, 5);  // (5, 6)
            check_values(matmul(an, bn), expected_matmul(an.contiguous(), bn.contiguous()), tol);
            // Expanded matrices (stride 0 inside a matrix).
            const Tensor row = a.narrow(0, 0, 1).expand({5, 8});
            check_values(matmul(row, b), expected_matmul(row.contiguous(), b), tol);
            const Tensor col = b.narrow(1, 0, 1).expand({8, 3});
            check_values(matmul(a, col), expected_matmul(a, col.contiguous()), tol);
        }
        // Batched views: permuted batches, a transposed batch, a sliced batch.
        const Tensor x = random_tensor({4, 5, 3}, DType::f64, 7);
        const Tensor y = random_tensor({3, 4, 6}, DType::f64, 8);
        const Tensor yp = y.permute({1, 0, 2});  // (4, 3, 6), batch stride 6
        check_values(matmul(x, yp), expected_matmul(x, yp.contiguous()), 1e-12);
        const Tensor xt = x.transpose(-1, -2);  // (4, 3, 5)
        check_values(matmul(xt, x), expected_matmul(xt.contiguous(), x), 1e-12);
        const Tensor xs = x.slice(0, 0, 4, 2);  // (2, 5, 3), batch step 2
        check_values(matmul(xs, yp.slice(0, 1, 4, 2)), expected_matmul(xs.contiguous(), yp.slice(0, 1, 4, 2).contiguous()),
                     1e-12);
        // A 3-D left operand whose rows cannot be folded into one matrix.
        const Tensor w = random_tensor({3, 6}, DType::f64, 9);
        const Tensor xp = random_tensor({5, 4, 3}, DType::f64, 10).permute({1, 0, 2});  // (4, 5, 3)
        check_values(matmul(xp, w), expected_matmul(xp.contiguous(), w), 1e-12);
        check_values(matmul(x, w), expected_matmul(x, w), 1e-12);
    }
}

TEST_CASE("transposed and batched views reach the backend without a copy") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        const Tensor a = random_tensor({16, 8}, DType::f32, 11);
        const Tensor b = random_tensor({16, 8}, DType::f32, 12);
        const Tensor q = random_tensor({2, 3, 5, 4}, DType::f32, 13);
        const Tensor k = random_tensor({2, 3, 6, 4}, DType::f32, 14);
        const Tensor x = random_tensor({2, 5, 16}, DType::f32, 15);
        std::int64_t before = allocations();
        const Tensor c = matmul(a, b.t());
        CHECK(allocations() - before == 1);  // the output only
        check_values(c, expected_matmul(a, b.t().contiguous()), 1e-4);
        before = allocations();
        const Tensor s = matmul(q, k.transpose(-1, -2));
        CHECK(allocations() - before == 1);
        check_values(s, expected_matmul(q, k.transpose(-1, -2).contiguous()), 1e-4);
        before = allocations();
        const Tensor y = matmul(x, a);  // broadcast weight
        CHECK(allocations() - before == 1);
        check_values(y, expected_matmul(x, a), 1e-4);
    }
}

TEST_CASE("empty dims: K = 0 gives zeros, M, N or batch = 0 give empty results") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        const Tensor z = matmul(ones({2, 0}), ones({0, 3}));
        CHECK(z.sizes() == Dims{2, 3});
        CHECK(z.to_vector<float>() == std::vector<float>(6, 0.0f));
        const Tensor d = matmul(ones({0}), ones({0}));
        CHECK(d.dim() == 0);
        CHECK(d.item<float>() == 0.0f);
        CHECK(matmul(ones({0, 4}), ones({4, 3})).sizes() == Dims{0, 3});
        CHECK(matmul(ones({2, 4}), ones({4, 0})).sizes() == Dims{2, 0});
        CHECK(bmm(ones({0, 2, 4}), ones({0, 4, 3})).sizes() == Dims{0, 2, 3});
        const Tensor zb = matmul(ones({3, 2, 0}, DType::f64), ones({0, 5}, DType::f64));
        CHECK(zb.sizes() == Dims{3, 2, 5});
        CHECK(zb.to_vector<double>() == std::vector<double>(30, 0.0));
        // Size-1 dims everywhere.
        CHECK(matmul(full({1, 1}, 3.0), full({1, 1}, 4.0)).to_vector<float>() == std::vector<float>{12});
    }
}

TEST_CASE("matmul errors name the op and the shapes") {
    const Tensor a = ones({2, 3});
    CHECK_THROWS_AS(matmul(a, ones({4, 5})), ShapeError);
    const std::string msg = error_message([&] { matmul(a, ones({4, 5})); });
    CHECK(msg.find("matmul") != std::string::npos);
    CHECK(msg.find("[2, 3]") != std::string::npos);
    CHECK(msg.find("[4, 5]") != std::string::npos);
    CHECK_THROWS_AS(matmul(ones({3}), ones({4})), ShapeError);
    CHECK_THROWS_AS(matmul(ones({2, 3}), ones({2})), ShapeError);
    CHECK_THROWS_AS(matmul(scalar_tensor(1.0), ones({2})), ShapeError);
    CHECK_THROWS_AS(matmul(ones({2, 2, 3}), ones({3, 3, 4})), ShapeError);  // batch 2 vs 3
    CHECK(error_message([] { matmul(ones({2, 2, 3}), ones({3, 3, 4})); }).find("[3, 3, 4]") != std::string::npos);
    CHECK_THROWS_AS(mm(ones({2, 2, 3}), ones({3, 4})), ShapeError);
    CHECK(error_message([] { mm(ones({3}), ones({3, 4})); }).find("mm") != std::string::npos);
    CHECK_THROWS_AS(bmm(ones({2, 3}), ones({3, 4})), ShapeError);
    CHECK_THROWS_AS(bmm(ones({2, 2, 3}), ones({3, 3, 4})), ShapeError);
    CHECK_THROWS_AS(bmm(ones({2, 2, 3}), ones({2, 4, 4})), ShapeError);
    CHECK(error_message([] { bmm(ones({2, 2, 3}), ones({2, 4, 4})); }).find("bmm") != std::string::npos);
    // Mixed float widths are an error, as in PyTorch.
    CHECK_THROWS_AS(matmul(ones({2, 2}), ones({2, 2}, DType::f64)), DTypeError);
    CHECK_THROWS_AS(matmul(ones({2, 2}, DType::b8), ones({2, 2}, DType::b8)), DTypeError);
    CHECK_THROWS_AS(matmul(Tensor(), ones({2})), ValueError);
}

TEST_CASE("cpu and reference agree on random float matmuls") {
    struct Case {
        Dims a, b;
    };
    const Case cases[] = {
        {{7, 13}, {13, 5}},           {{64, 64}, {64, 64}},          {{130, 70}, {70, 90}},
        {{8, 5, 9}, {8, 9, 4}},       {{6, 48, 64}, {6, 64, 40}},    {{3, 100, 120}, {3, 120, 110}},
        {{2, 3, 17, 9}, {9, 11}},     {{4, 1, 6, 5}, {1, 3, 5, 7}},  {{33}, {33, 8}},
        {{5, 31}, {31}},              {{300, 1}, {1, 200}},          {{9, 256, 32}, {9, 32, 256}},
    };
    Generator gen(42);
    for (DType t : {DType::f32, DType::f64}) {
        CAPTURE(t);
        for (const Case& c : cases) {
            CAPTURE(c.a);
            CAPTURE(c.b);
            const Tensor a = randn(c.a, TensorOptions(t), &gen);
            const Tensor b = randn(c.b, TensorOptions(t), &gen);
            Tensor want;
            {
                CpuBackendGuard guard("reference");
                want = matmul(a, b);
            }
            const Tensor got = matmul(a, b);
            CHECK(got.sizes() == want.sizes());
            check_values(got, want.to_vector<double>(), tolerance(t));
            // The same product with the right operand stored transposed.
            if (b.dim() >= 2) {
                const Tensor bt = b.transpose(-1, -2).contiguous().transpose(-1, -2);
                check_values(matmul(a, bt), want.to_vector<double>(), tolerance(t));
            }
        }
    }
}

TEST_CASE("OpenBLAS and oneDNN give the same products for every transpose combination") {
    const std::int64_t m = 5, n = 7, k = 3;
    std::vector<float> a(m * k), b(k * n);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 7) - 3.0f;
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 5) * 0.5f - 1.0f;
    for (const bool ta : {false, true})
        for (const bool tb : {false, true}) {
            CAPTURE(ta);
            CAPTURE(tb);
            // op(a)[i][p] is a[i*k+p] stored as-is, or a[p*m+i] when stored transposed.
            auto av = [&](std::int64_t i, std::int64_t p) { return ta ? a[p * m + i] : a[i * k + p]; };
            auto bv = [&](std::int64_t p, std::int64_t j) { return tb ? b[j * k + p] : b[p * n + j]; };
            std::vector<float> want(m * n);
            for (std::int64_t i = 0; i < m; ++i)
                for (std::int64_t j = 0; j < n; ++j)
                    for (std::int64_t p = 0; p < k; ++p) want[i * n + j] += av(i, p) * bv(p, j);
            for (const auto lib : {cpu::GemmLibrary::openblas, cpu::GemmLibrary::onednn}) {
                CAPTURE(cpu::gemm_library_name(lib));
                std::vector<float> c(m * n, -99.0f);
                cpu::gemm(lib, m, n, k, {a.data(), ta ? m : k, ta}, {b.data(), tb ? k : n, tb}, c.data(), n);
                CHECK(c == want);
            }
        }
    // The choice: small products to OpenBLAS, large ones to oneDNN (unless PESO_GEMM forces one).
    if (!cpu::forced_gemm_library()) {
        CHECK(cpu::choose_gemm_library(16, 16, 16, false, false) == cpu::GemmLibrary::openblas);
        CHECK(cpu::choose_gemm_library(256, 2304, 768, false, false) == cpu::GemmLibrary::onednn);
        CHECK(cpu::choose_gemm_library(256, 768, 3072, true, false) == cpu::GemmLibrary::openblas);
        CHECK(cpu::choose_gemm_library(64, 64, 64, false, true) == cpu::GemmLibrary::openblas);
        CHECK(cpu::choose_gemm_library(256, 256, 64, true, true) == cpu::GemmLibrary::onednn);
    }
}

TEST_CASE("integer matmul is exact") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        const Tensor a = arange(12).view({3, 4});
        const Tensor b = sub(arange(8).view({4, 2}), 3);
        CHECK(matmul(a, b).to_vector<std::int64_t>() == std::vector<std::int64_t>{10, 16, 10, 32, 10, 48});
        CHECK(matmul(a.to(DType::i32), b.to(DType::i32)).dtype() == DType::i32);
    }
}

// ---- einsum ----------------------------------------------------------------

TEST_CASE("einsum of the attention and batched shapes") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        const Tensor a = values({1, 2, 3, 4}, {2, 2});
        const Tensor b = values({5, 6, 7, 8}, {2, 2});
        // out[i] = sum_j a[i][j] b[j][i]: 1*5 + 2*7, 3*6 + 4*8.
        const Tensor d = einsum("ij,ji->i", {a, b});
        CHECK(d.sizes() == Dims{2});
        CHECK(d.to_vector<float>() == std::vector<float>{19, 50});
        CHECK(einsum("Ab,bA->A", {a, b}).to_vector<float>() == std::vector<float>{19, 50});

        const Tensor x = random_tensor({3, 4, 5}, DType::f64, 20);
        const Tensor y = random_tensor({3, 5, 2}, DType::f64, 21);
        const Tensor bij = einsum("bij,bjk->bik", {x, y});
        CHECK(bij.sizes() == Dims{3, 4, 2});
        check_values(bij, expected_matmul(x, y), 1e-12);

        const Tensor q = random_tensor({2, 3, 5, 4}, DType::f64, 22);
        const Tensor k = random_tensor({2, 3, 6, 4}, DType::f64, 23);
        const std::int64_t before = allocations();
        const Tensor s = einsum("bhqd,bhkd->bhqk", {q, k});
        CHECK(allocations() - before == 1);  // no copies of q or k
        CHECK(s.sizes() == Dims{2, 3, 5, 6});
        check_values(s, expected_matmul(q, k.transpose(-1, -2).contiguous()), 1e-12);

        const Tensor e = einsum("...ij,...jk->...ik", {random_tensor({4, 1, 2, 3}, DType::f64, 24),
                                                       random_tensor({5, 3, 2}, DType::f64, 25)});
        CHECK(e.sizes() == Dims{4, 5, 2, 2});
    }
}

TEST_CASE("einsum with one operand, sums, diagonals and implicit output") {
    for (const char* name : kBackends) {
        CAPTURE(name);
        CpuBackendGuard guard(name);
        const Tensor m = values({1, 2, 3, 4, 5, 6}, {2, 3});
        const Tensor t = einsum("ij->ji", {m});
        CHECK(t.sizes() == Dims{3, 2});
        CHECK(t.to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
        CHECK(einsum("ji", {m}).to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});  // implicit: sorted
        CHECK(einsum("ij", {m}).to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
        CHECK(einsum("ij->", {m}).item<float>() == 21.0f);
        CHECK(einsum("ij->j", {m}).to_vector<float>() == std::vector<float>{5, 7, 9});
        CHECK(einsum("ij->i", {m}).to_vector<float>() == std::vector<float>{6, 15});

        const Tensor sq = values({1, 2, 3, 4}, {2, 2});
        CHECK(einsum("ii->", {sq}).item<float>() == 5.0f);
        CHECK(einsum("ii", {sq}).item<float>() == 5.0f);
        CHECK(einsum("ii->i", {sq}).to_vector<float>() == std::vector<float>{1, 4});
        CHECK(einsum("iij->j", {values({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2})}).to_vector<float>() ==
              std::vector<float>{8, 10});  // [1,2] + [7,8]

        const Tensor u = values({1, 2, 3}, {3});
        const Tensor v = values({4, 5, 6}, {3});
        CHECK(einsum("i,i->", {u, v}).item<float>() == 32.0f);
        CHECK(einsum("i,i", {u, v}).item<float>() == 32.0f);
        CHECK(einsum("i,i->i", {u, v}).to_vector<float>() == std::vector<float>{4, 10, 18});
        const Tensor outer = einsum("i,j->ij", {u, values({1, -1}, {2})});
        CHECK(outer.sizes() == Dims{3, 2});
        CHECK(outer.to_vector<float>() == std::vector<float>{1, -1, 2, -2, 3, -3});
        CHECK(einsum("i,j", {u, values({1, -1}, {2})}).sizes() == Dims{3, 2});

        const Tensor a = values({1, 2, 3, 4, 5, 6}, {2, 3});
        const Tensor b = values({7, 8, 9, 10, 11, 12}, {3, 2});
        CHECK(einsum("ij,jk->ik", {a, b}).to_vector<float>() == std::vector<float>{58, 64, 139, 154});
        CHECK(einsum("ij,jk", {a, b}).to_vector<float>() == std::vector<float>{58, 64, 139, 154});
        CHECK(einsum("ij,jk->ki", {a, b}).to_vector<float>() == std::vector<float>{58, 139, 64, 154});
        CHECK(einsum(" i j , j k -> i k ", {a, b}).to_vector<float>() == std::vector<float>{58, 64, 139, 154});
        // Labels only in one operand and not in the output are summed first.
        CHECK(einsum("ij,jk->", {a, b}).item<float>() == 415.0f);
        CHECK(einsum("ij,kl->ik", {a, b}).to_vector<float>() == std::vector<float>{6 * 15, 6 * 19, 6 * 23,
                                                                                   15 * 15, 15 * 19, 15 * 23});
        // Three operands, contracted left to right.
        const Tensor c = values({1, 0, 0, 2}, {2, 2});
        CHECK(einsum("ij,jk,kl->il", {a, b, c}).to_vector<float>() == std::vector<float>{58, 128, 139, 308});
        // A size-1 dim broadcasts against the same label's size.
        CHECK(einsum("ij,ij->ij", {values({1, 2, 3}, {1, 3}), a}).to_vector<float>() ==
              std::vector<float>{1, 4, 9, 4, 10, 18});
        // Ellipsis dims that the output omits are summed.
        CHECK(einsum("...j->j", {a}).to_vector<float>() == std::vector<float>{5, 7, 9});
        CHECK(einsum("i...->...", {a}).to_vector<float>() == std::vector<float>{5, 7, 9});
        // Integers.
        CHECK(einsum("ij,jk->ik", {a.to(DType::i64), b.to(DType::i64)}).to_vector<std::int64_t>() ==
              std::vector<std::int64_t>{58, 64, 139, 154});
    }
}

TEST_CASE("einsum agrees with matmul on random inputs, including views") {
    const Tensor x = random_tensor({4, 6, 5}, DType::f32, 30);
    const Tensor y = random_tensor({4, 7, 5}, DType::f32, 31);
    const Tensor want = matmul(x, y.transpose(-1, -2));
    check_values(einsum("bik,bjk->bij", {x, y}), want.to_vector<double>(), 1e-5);
    check_values(einsum("bjk,bik->bij", {y, x}), want.to_vector<double>(), 1e-5);
    check_values(einsum("bki,bjk->bij", {x.transpose(1, 2), y}), want.to_vector<double>(), 1e-5);
    // A zero-size contraction gives zeros.
    const Tensor z = einsum("ij,jk->ik", {ones({2, 0}), ones({0, 3})});
    CHECK(z.to_vector<float>() == std::vector<float>(6, 0.0f));
}

TEST_CASE("einsum errors") {
    const Tensor m = ones({2, 3});
    CHECK_THROWS_AS(einsum("ij,jk->ik", {m}), ValueError);           // one operand for two terms
    CHECK_THROWS_AS(einsum("ij", {m, m}), ValueError);                 // two operands for one term
    CHECK_THROWS_AS(einsum("ij", {}), ValueError);
    CHECK_THROWS_AS(einsum("ijk->i", {m}), ShapeError);               // 3 labels for 2 dims
    CHECK_THROWS_AS(einsum("i->i", {m}), ShapeError);
    CHECK_THROWS_AS(einsum("ij,jk->ik", {m, ones({4, 2})}), ShapeError);  // j: 3 vs 4
    CHECK(error_message([&] { einsum("ij,jk->ik", {m, ones({4, 2})}); }).find("'j'") != std::string::npos);
    CHECK_THROWS_AS(einsum("ij->ik", {m}), ValueError);               // k in no input
    CHECK_THROWS_AS(einsum("ij->ii", {m}), ValueError);               // repeated output label
    CHECK_THROWS_AS(einsum("i1->i", {ones({2})}), ValueError);
    CHECK_THROWS_AS(einsum("..i->i", {ones({2})}), ValueError);
    CHECK_THROWS_AS(einsum("...i...->i", {ones({2})}), ValueError);
    CHECK_THROWS_AS(einsum("ii->i", {m}), ShapeError);                // diagonal of a 2x3
    CHECK_THROWS_AS(einsum("ij,jk->ik", {m, ones({3, 2}, DType::f64)}), DTypeError);
    CHECK_THROWS_AS(einsum("ij->ji", {ones({2, 2}, DType::b8)}), DTypeError);
}

TEST_CASE("matmul with one row or one column (the BLAS gemv path) matches the reference, in every layout") {
    manual_seed(11);
    for (const DType dt : {DType::f32, DType::f64}) {
        CAPTURE(dt);
        const Tensor row = randn({1, 37}).to(dt), w = randn({37, 23}).to(dt), wt = randn({23, 37}).to(dt);
        const Tensor col = randn({37, 1}).to(dt), m = randn({19, 37}).to(dt), mt = randn({37, 19}).to(dt);
        const Tensor row_t = randn({37, 1}).to(dt).t();  // a (1 x k) stored transposed
        const std::vector<std::pair<Tensor, Tensor>> cases = {
            {row, w},      {row, wt.t()}, {row_t, w}, {row_t, wt.t()},
            {m, col},      {mt.t(), col}, {m, randn({1, 37}).to(dt).t()},
            {randn({3, 1, 37}).to(dt), w},  // a batch of single rows
            {w.narrow(1, 0, 1).t(), m.t()},  // a row out of a wider matrix (ld larger than the row)
        };
        for (const auto& operands : cases) {
            const Tensor& a = operands.first;
            const Tensor& b = operands.second;
            CAPTURE(a.sizes());
            CAPTURE(b.sizes());
            const Tensor got = matmul(a, b);
            Tensor want;
            {
                CpuBackendGuard g("reference");
                want = matmul(a, b);
            }
            CHECK(got.sizes() == want.sizes());
            check_values(got, want.to_vector<double>(), tolerance(dt));
        }
    }
}
