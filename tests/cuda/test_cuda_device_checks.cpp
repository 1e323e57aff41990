// Index and class-target checks made on the (emulated) GPU: the op returns at
// once, its kernels skip the bad values, and the IndexError comes at the next
// read from the device, naming the op and the value (tensor/device_checks.h).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/losses.h"
#include "peso.h"

using namespace peso;

namespace {

const Device kCuda = Device::cuda(0);

Tensor on_cuda(const Tensor& t) { return t.to(kCuda); }
Tensor ids(std::initializer_list<std::int64_t> v) { return on_cuda(from_vector(std::vector<std::int64_t>(v))); }

// The message of the IndexError that reading `t` raises ("" if none).
std::string read_error(const Tensor& t) {
    try {
        (void)t.to(Device::cpu());
    } catch (const IndexError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("device checks: a bad embedding index is reported at the next read, not before") {
    const Tensor weight = on_cuda(arange(0, 12, 1, TensorOptions(DType::f32)).view({4, 3}));
    Tensor rows;
    CHECK_NOTHROW(rows = embedding(weight, ids({1, 7, 3})));  // returns at once: nothing was read
    const std::string m = read_error(rows);
    CHECK(m.find("embedding: index 7 is out of bounds for dim 0 with size 4 (valid indices are 0..3)") == 0);
    CHECK(m.find("checked on cuda:0") != std::string::npos);
    // Reported once; the kernel skipped the bad row (zeros), the others are right.
    const Tensor host = rows.to(Device::cpu());
    const float* p = host.data_ptr<float>();
    CHECK(p[0] == 3.0f);
    CHECK(p[2] == 5.0f);
    CHECK(p[3] == 0.0f);
    CHECK(p[5] == 0.0f);
    CHECK(p[6] == 9.0f);
    // The device goes on working.
    CHECK(read_error(embedding(weight, ids({0, 3}))).empty());
}

TEST_CASE("device checks: negative indices, index_add, gather and scatter") {
    const Tensor x = on_cuda(zeros({3, 2}));
    CHECK(read_error(index_select(x, 0, ids({0, -1}))).find("index_select: index -1 is out of bounds for dim 0 with size 3") == 0);

    // index_add: the good rows accumulate, the bad one touches nothing.
    Tensor acc = on_cuda(zeros({3, 2}));
    acc.index_add_(0, ids({2, 5, 2}), on_cuda(ones({3, 2})));
    CHECK(read_error(acc).find("index 5 is out of bounds for dim 0 with size 3") != std::string::npos);
    const Tensor host = acc.to(Device::cpu());
    CHECK(host.data_ptr<float>()[4] == 2.0f);
    CHECK(host.data_ptr<float>()[0] == 0.0f);

    const Tensor src = on_cuda(arange(0, 6, 1, TensorOptions(DType::f32)).view({2, 3}));
    const Tensor idx = on_cuda(from_vector(std::vector<std::int64_t>{0, 9, 1, 2, 0, 1}, Dims{2, 3}));
    CHECK(read_error(gather(src, 1, idx)).find("gather: index 9 is out of bounds for dim 1 with size 3") == 0);
    Tensor dst = on_cuda(zeros({2, 3}));
    dst.scatter_(1, idx, src);
    CHECK(read_error(dst).find("index 9 is out of bounds for dim 1 with size 3") != std::string::npos);
}

TEST_CASE("device checks: cross_entropy targets, ignore_index exempt") {
    const Tensor logits = on_cuda(zeros({3, 5}));
    const Tensor loss = nn::functional::cross_entropy(logits, ids({1, 9, 4}));
    const std::string m = read_error(loss);
    CHECK(m.find("cross_entropy: target 9 is out of bounds for 5 classes") == 0);
    // The loss of the bad row is NaN, never a read outside the row.
    CHECK(std::isnan(loss.item<float>()));
    // An ignored target may be anything.
    nn::CrossEntropyLossOptions o;
    o.ignore_index = -100;
    const Tensor ok = nn::functional::cross_entropy(logits, ids({1, -100, 4}), o);
    CHECK(ok.item<float>() == doctest::Approx(std::log(5.0f)));
}

TEST_CASE("device checks: the first failure in queue order is the one reported") {
    const Tensor weight = on_cuda(ones({4, 3}));
    const Tensor a = embedding(weight, ids({6}));
    const Tensor b = nn::functional::cross_entropy(on_cuda(zeros({1, 2})), ids({3}));
    const std::string m = read_error(b);  // b's read waits for both
    CHECK(m.find("embedding: index 6") == 0);
    CHECK(read_error(a).empty());  // taken once
}

TEST_CASE("device checks: on the CPU the check is immediate, as before") {
    const Tensor weight = ones({4, 3});
    CHECK_THROWS_AS(embedding(weight, from_vector(std::vector<std::int64_t>{5})), IndexError);
}
