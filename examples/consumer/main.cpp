// A program that uses an installed peso: a two-layer network learns
// y = sin(x0) + x1 * x2 with SGD, and the program fails (exit 1) unless the
// loss falls to a quarter of where it started. It also reports the library's
// version and where the GPT-2 tokenizer finds its files.
#include <peso/peso.h>
#include <peso/nn/activations.h>
#include <peso/nn/containers.h>
#include <peso/nn/linear.h>
#include <peso/nn/losses.h>
#include <peso/nn/optim/sgd.h>
#include <peso/nn/tokenizers/bpe_tokenizer.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>

using namespace peso;

namespace {

int run() {
    std::printf("peso %s (headers %s)\n", peso::version(), PESO_VERSION_STRING);
    if (std::strcmp(peso::version(), PESO_VERSION_STRING) != 0) {
        std::fprintf(stderr, "library and headers disagree on the version\n");
        return 1;
    }
    std::printf("gpt2 bpe dir: %s\n", nn::default_gpt2_bpe_dir().string().c_str());

    manual_seed(0);
    const Tensor x = randn({256, 3});
    const Tensor y = (sin(x.select(1, 0)) + x.select(1, 1) * x.select(1, 2)).unsqueeze(1);
    auto model = std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(3, 32), std::make_shared<nn::ReLU>(),
                                                  std::make_shared<nn::Linear>(32, 1));
    nn::optim::SGD opt(model->parameters(), {.lr = 0.05, .momentum = 0.9});

    float first = 0, last = 0;
    for (int step = 0; step < 100; ++step) {
        opt.zero_grad();
        Tensor loss = nn::functional::mse_loss(model->forward(x), y);
        loss.backward();
        opt.step();
        last = loss.item<float>();
        if (step == 0) first = last;
    }
    std::printf("loss %.4f -> %.4f after 100 steps\n", first, last);
    if (!(last < first / 4)) {
        std::fprintf(stderr, "the loss did not fall to a quarter\n");
        return 1;
    }
    return 0;
}

}  // namespace

int main() {
    try {
        return run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
