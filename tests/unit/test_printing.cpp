// Expected strings are what PyTorch prints for the same tensors (default
// print options), except that dtypes carry peso's names (float64, not
// torch.float64).
#include <doctest/doctest.h>

#include <limits>
#include <sstream>

#include "peso.h"

using namespace peso;

namespace {
Tensor f32(std::vector<float> v, std::optional<Dims> shape = {}) { return from_vector(v, shape); }
std::string printed(const Tensor& t) {
    std::ostringstream os;
    os << t;
    return os.str();
}
}  // namespace

TEST_CASE("floats: fixed point with aligned columns and negatives") {
    CHECK(printed(f32({1, -2.5, 3, 4}, Dims{2, 2})) == "tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])");
    CHECK(f32({0.12345f, -3.14159f}).str() == "tensor([ 0.1235, -3.1416])");
    CHECK(f32({0, 0.25}).str() == "tensor([0.0000, 0.2500])");
}

TEST_CASE("floats holding integers print with a trailing dot") {
    CHECK(f32({1, 2, 3}).str() == "tensor([1., 2., 3.])");
    CHECK(zeros({3}).str() == "tensor([0., 0., 0.])");
    CHECK(f32({-10, 2}).str() == "tensor([-10.,   2.])");
}

TEST_CASE("scientific notation when magnitudes span a wide range") {
    CHECK(f32({1e-5f, 1}).str() == "tensor([1.0000e-05, 1.0000e+00])");    // min < 1e-4
    CHECK(f32({1, 1e9f}).str() == "tensor([1.0000e+00, 1.0000e+09])");     // max > 1e8
    CHECK(f32({0.5, 1000}).str() == "tensor([5.0000e-01, 1.0000e+03])");   // ratio > 1000
    CHECK(f32({-1e-5f, 2}).str() == "tensor([-1.0000e-05,  2.0000e+00])");
    CHECK(f32({1, 1000}).str() == "tensor([   1., 1000.])");               // ratio exactly 1000
}

TEST_CASE("non-finite values") {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(f32({nan, 1.5, inf}).str() == "tensor([   nan, 1.5000,    inf])");
    CHECK(f32({-inf, 2}).str() == "tensor([-inf, 2.])");
    CHECK(f32({-nan}).str() == "tensor([nan])");
}

TEST_CASE("integers and bools") {
    CHECK(arange(5).str() == "tensor([0, 1, 2, 3, 4])");
    CHECK(from_vector<std::int64_t>({-1, 10}).str() == "tensor([-1, 10])");
    CHECK(from_vector<std::int32_t>({1, 2}).str() == "tensor([1, 2], dtype=int32)");
    CHECK(from_vector<bool>({true, false}).str() == "tensor([ True, False])");
}

TEST_CASE("0-dim tensors") {
    CHECK(scalar_tensor(3.5).str() == "tensor(3.5000)");
    CHECK(scalar_tensor(2.0).str() == "tensor(2.)");
    CHECK(scalar_tensor(7).str() == "tensor(7)");
    CHECK(scalar_tensor(true).str() == "tensor(True)");
    CHECK(scalar_tensor(-0.25, DType::f64).str() == "tensor(-0.2500, dtype=float64)");
}

TEST_CASE("empty tensors show their shape unless (0,), and any non-float32 dtype") {
    CHECK(zeros({0}).str() == "tensor([])");
    CHECK(zeros({2, 0}).str() == "tensor([], size=(2, 0))");
    CHECK(zeros({0}, DType::i64).str() == "tensor([], dtype=int64)");
    CHECK(zeros({0, 3}, DType::f64).str() == "tensor([], size=(0, 3), dtype=float64)");
}

TEST_CASE("nesting, line wrapping and dtype suffixes") {
    CHECK(arange(8).view({2, 2, 2}).str() ==
          "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
    CHECK(arange(30).str() ==
          "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
          "        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])");
    CHECK(from_vector<double>({1.5}).str() == "tensor([1.5000], dtype=float64)");
    // A dtype that does not fit on the last line goes on its own line.
    CHECK(add(arange(16, DType::f64), 0.5).str() ==
          "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,\n"
          "         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000],\n"
          "       dtype=float64)");
}

TEST_CASE("non-contiguous tensors print in logical order") {
    const Tensor t = f32({1, 2, 3, 4, 5, 6}, Dims{2, 3}).t();
    CHECK(t.str() == "tensor([[1., 4.],\n        [2., 5.],\n        [3., 6.]])");
    CHECK(arange(10).slice(0, 1, 10, 3).str() == "tensor([1, 4, 7])");
}

TEST_CASE("summarization of more than 1000 elements keeps 3 edge items per dim") {
    CHECK(arange(2000).str() == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
    CHECK(arange(1001, DType::f32).str() == "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])");
    CHECK(ones({2000}, DType::b8).str() == "tensor([True, True, True,  ..., True, True, True])");
    CHECK(arange(1200).view({40, 30}).str() ==
          "tensor([[   0,    1,    2,  ...,   27,   28,   29],\n"
          "        [  30,   31,   32,  ...,   57,   58,   59],\n"
          "        [  60,   61,   62,  ...,   87,   88,   89],\n"
          "        ...,\n"
          "        [1110, 1111, 1112,  ..., 1137, 1138, 1139],\n"
          "        [1140, 1141, 1142,  ..., 1167, 1168, 1169],\n"
          "        [1170, 1171, 1172,  ..., 1197, 1198, 1199]])");
    CHECK(arange(1050).view({7, 1, 150}).str() ==
          "tensor([[[   0,    1,    2,  ...,  147,  148,  149]],\n\n"
          "        [[ 150,  151,  152,  ...,  297,  298,  299]],\n\n"
          "        [[ 300,  301,  302,  ...,  447,  448,  449]],\n\n"
          "        ...,\n\n"
          "        [[ 600,  601,  602,  ...,  747,  748,  749]],\n\n"
          "        [[ 750,  751,  752,  ...,  897,  898,  899]],\n\n"
          "        [[ 900,  901,  902,  ..., 1047, 1048, 1049]]])");
    // A transposed (non-contiguous) tensor is summarized in its own layout.
    CHECK(arange(2000).view({2, 1000}).t().str() ==
          "tensor([[   0, 1000],\n"
          "        [   1, 1001],\n"
          "        [   2, 1002],\n"
          "        ...,\n"
          "        [ 997, 1997],\n"
          "        [ 998, 1998],\n"
          "        [ 999, 1999]])");
    // The format is chosen from the shown values only: the hidden 1e-6 does not force sci mode.
    Tensor x = ones({2000});
    x.narrow(0, 1000, 1).fill_(1e-6);
    CHECK(x.str() == "tensor([1., 1., 1.,  ..., 1., 1., 1.])");
}

TEST_CASE("undefined tensor") { CHECK(Tensor().str() == "tensor(undefined)"); }

TEST_CASE("dtypes without kernels print their shape and dtype, not values") {
    CHECK(empty({2}, DType::f16).str() == "tensor(..., size=(2,), dtype=float16)");
    CHECK(empty({2, 3}, DType::bf16).str() == "tensor(..., size=(2, 3), dtype=bfloat16)");
}
