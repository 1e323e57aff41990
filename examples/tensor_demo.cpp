// A short tour of peso's tensor API: creation, views that share memory,
// broadcasting, matmul, reductions and softmax. Run it with `make demo`.
#include <exception>
#include <iostream>

#include "peso.h"

using namespace peso;

namespace {

void section(const char* title) { std::cout << "\n== " << title << " ==\n"; }

void run() {
    std::cout << "peso tensor demo (CPU backend: " << cpu_backend_name() << ")\n";

    section("creation");
    Tensor a = arange(6).reshape({2, 3}).to(DType::f32);
    std::cout << "a = arange(6).reshape({2, 3})\n" << a << "\n";
    Tensor bias = tensor({10.f, 20.f, 30.f});
    std::cout << "bias\n" << bias << "\n";

    section("views share memory");
    Tensor at = a.t();
    std::cout << "a.t() (a view, contiguous=" << std::boolalpha << at.is_contiguous() << ")\n" << at << "\n";
    Tensor col = a.select(1, 2);
    std::cout << "a.select(1, 2): column 2\n" << col << "\n";
    Tensor row0 = a[0];
    row0.mul_(10);
    std::cout << "after a[0].mul_(10), a is\n" << a << "\n";

    section("broadcasting");
    std::cout << "a + bias  ([2, 3] + [3])\n" << a + bias << "\n";
    Tensor column = tensor({1.f, 2.f}).unsqueeze(1);
    std::cout << "column [2, 1] + row [3]\n" << column + bias << "\n";

    section("matmul");
    manual_seed(42);
    Tensor x = randn({4, 3});
    Tensor w = randn({3, 2});
    Tensor y = matmul(x, w);
    std::cout << "x = randn({4, 3})\n" << x << "\n";
    std::cout << "matmul(x, randn({3, 2}))\n" << y << "\n";
    std::cout << "batched: matmul([5, 4, 3], [3, 2]) has shape " << matmul(randn({5, 4, 3}), w).sizes().str()
              << "\n";

    section("reductions");
    std::cout << "sum(a)\n" << sum(a) << "\n";
    std::cout << "sum(a, {0})\n" << sum(a, {0}) << "\n";
    std::cout << "sum(a, {1}, keepdim=true)\n" << sum(a, {1}, true) << "\n";

    section("softmax");
    Tensor logits = tensor({1.f, 2.f, 3.f, 1000.f, 1001.f, 1002.f}).view({2, 3});
    Tensor p = softmax(logits, -1);
    std::cout << "softmax over the last dim (row 1 would overflow a naive exp)\n" << p << "\n";
    std::cout << "row sums\n" << sum(p, {-1}) << "\n";

    section("printing large tensors");
    std::cout << arange(10000).view({100, 100}) << "\n";
}

}  // namespace

int main() {
    // peso reports misuse with exceptions whose message names the op and shapes.
    try {
        run();
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << "tensor_demo: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
