// A hand-written LSTM whose forward writes each step's hidden state into a
// slice of a preallocated tensor: gradients must flow through the slice
// assignments exactly as through an explicit stack, and it must train.
#include <doctest/doctest.h>

#include "peso.h"

using namespace peso;

namespace {

struct Lstm {
    Tensor wx, wh, b, wout;  // gates packed as [i, f, g, o]
    int hidden;

    Lstm(int in, int hid, Generator& gen) : hidden(hid) {
        wx = mul(randn({in, 4 * hid}, DType::f64, &gen), 0.3);
        wh = mul(randn({hid, 4 * hid}, DType::f64, &gen), 0.3);
        b = zeros({4 * hid}, DType::f64);
        wout = mul(randn({hid, 1}, DType::f64, &gen), 0.3);
        for (Tensor* p : {&wx, &wh, &b, &wout}) p->requires_grad_(true);
    }

    // x: (B, T, in) -> predictions (B, T, 1). States go into slices of H.
    Tensor forward(const Tensor& x, bool use_slices) const {
        const std::int64_t B = x.size(0), T = x.size(1);
        Tensor h = zeros({B, hidden}, DType::f64), c = zeros({B, hidden}, DType::f64);
        Tensor H = zeros({B, T, hidden}, DType::f64);
        std::vector<Tensor> hs;
        for (std::int64_t t = 0; t < T; ++t) {
            const Tensor z = add(add(matmul(x.select(1, t), wx), matmul(h, wh)), b);
            const auto gates = chunk(z, 4, 1);
            const Tensor i = sigmoid(gates[0]), f = sigmoid(gates[1]), g = tanh(gates[2]), o = sigmoid(gates[3]);
            c = add(mul(f, c), mul(i, g));
            h = mul(o, tanh(c));
            if (use_slices) H.select(1, t).copy_(h);
            else hs.push_back(h);
        }
        const Tensor states = use_slices ? H : stack(hs, 1);
        return matmul(states, wout);
    }
};

}  // namespace

TEST_CASE("LSTM: slice-assigned states give the same gradients as stacked ones") {
    Generator gen(17);
    Lstm lstm(2, 4, gen);
    const Tensor x = randn({3, 5, 2}, DType::f64, &gen);
    const Tensor y = randn({3, 5, 1}, DType::f64, &gen);
    std::vector<Tensor> grads_stack, grads_slices;
    for (bool slices : {false, true}) {
        const Tensor loss = mean(pow(sub(lstm.forward(x, slices), y), 2));
        auto g = autograd::grad({loss}, {lstm.wx, lstm.wh, lstm.b, lstm.wout});
        (slices ? grads_slices : grads_stack) = g;
    }
    for (std::size_t k = 0; k < grads_stack.size(); ++k) {
        CHECK(amax(abs(grads_stack[k])).item<double>() > 0.0);
        CHECK(allclose(grads_slices[k], grads_stack[k], 1e-12, 1e-15));
    }
}

TEST_CASE("LSTM with slice-assigned states learns a running sum") {
    Generator gen(23);
    Lstm lstm(1, 8, gen);
    const Tensor x = mul(randn({16, 6, 1}, DType::f64, &gen), 0.5);
    const Tensor y = cumsum(x, 1);  // target: the running sum of the inputs
    double first = 0, last = 0;
    for (int step = 0; step < 150; ++step) {
        const Tensor loss = mean(pow(sub(lstm.forward(x, true), y), 2));
        if (step == 0) first = loss.item<double>();
        last = loss.item<double>();
        loss.backward();
        NoGradGuard g;
        for (Tensor* p : {&lstm.wx, &lstm.wh, &lstm.b, &lstm.wout}) {
            p->sub_(mul(p->grad(), 0.5));
            p->grad().zero_();
        }
    }
    CHECK(last < 0.2 * first);
}
