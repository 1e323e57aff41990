#pragma once
// A long short-term memory network written gate by gate with peso's
// differentiable ops (no LSTM layer), as the guide's chapter on recurrent
// networks and attention presents it. Its forward writes each step's hidden
// state into a slice of one preallocated (B, T, H) tensor: the gradient of
// the loss reaches every step through those slice assignments.
#include <cstdint>
#include <memory>

#include "nn/linear.h"

namespace peso::models {

struct LstmOutput {
    Tensor logits;  // (B, T, output_size)
    Tensor states;  // (B, T, hidden_size): h_t of every step
};

class HandLstm : public nn::Module {
public:
    HandLstm(std::int64_t input_size, std::int64_t hidden_size, std::int64_t output_size, Generator* gen = nullptr);

    // x (B, T, input_size) floating.
    LstmOutput forward(const Tensor& x) const;

    std::int64_t hidden_size() const { return hidden_; }
    std::string type_name() const override { return "HandLstm"; }

    // The four gates packed in column blocks [input, forget, candidate, output].
    Tensor w_x;   // (input_size, 4H)
    Tensor w_h;   // (H, 4H)
    Tensor bias;  // (4H)
    std::shared_ptr<nn::Linear> out;

private:
    std::int64_t hidden_;
};

}  // namespace peso::models
