#include "models/guide/hand_lstm.h"

#include <cmath>

#include "nn/init.h"

namespace peso::models {

HandLstm::HandLstm(std::int64_t input_size, std::int64_t hidden_size, std::int64_t output_size, Generator* gen)
    : hidden_(hidden_size) {
    PESO_CHECK(input_size > 0 && hidden_size > 0 && output_size > 0, ValueError,
               "HandLstm: sizes must be positive, got input {}, hidden {}, output {}", input_size, hidden_size,
               output_size);
    const std::int64_t H = hidden_size;
    w_x = register_parameter("w_x", empty({input_size, 4 * H}));
    w_h = register_parameter("w_h", empty({H, 4 * H}));
    bias = register_parameter("bias", zeros({4 * H}));
    out = register_module("out", std::make_shared<nn::Linear>(H, output_size, true, kDefaultDType, gen));
    // PyTorch's nn.LSTM range, U(-1/sqrt(H), 1/sqrt(H)).
    const double r = 1.0 / std::sqrt(static_cast<double>(H));
    nn::init::uniform_(w_x, -r, r, gen);
    nn::init::uniform_(w_h, -r, r, gen);
    // A forget-gate bias of 1 keeps the cell's memory at the start of
    // training, so gradients reach early steps (Jozefowicz et al., 2015).
    NoGradGuard no_grad;
    bias.narrow(0, H, H).fill_(1.0);
}

LstmOutput HandLstm::forward(const Tensor& x) const {
    PESO_CHECK(x.dim() == 3 && x.size(2) == w_x.size(0), ShapeError, "HandLstm: expected input (B, T, {}), got {}",
               w_x.size(0), x.sizes());
    const std::int64_t B = x.size(0), T = x.size(1), H = hidden_;
    const TensorOptions like = TensorOptions(w_x.dtype()).device(w_x.device());
    Tensor h = zeros({B, H}, like), c = zeros({B, H}, like);
    Tensor states = zeros({B, T, H}, like);
    for (std::int64_t t = 0; t < T; ++t) {
        const Tensor z = add(add(matmul(x.select(1, t), w_x), matmul(h, w_h)), bias);  // (B, 4H)
        const Tensor i = sigmoid(z.narrow(1, 0, H));      // input gate
        const Tensor f = sigmoid(z.narrow(1, H, H));      // forget gate
        const Tensor g = tanh(z.narrow(1, 2 * H, H));     // candidate cell values
        const Tensor o = sigmoid(z.narrow(1, 3 * H, H));  // output gate
        c = add(mul(f, c), mul(i, g));
        h = mul(o, tanh(c));
        states.select(1, t).copy_(h);  // an in-place write that autograd records
    }
    return {out->forward(states), states};
}

}  // namespace peso::models
