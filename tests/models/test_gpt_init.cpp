// GPT-2's initialization (models/gpt/init.h) on a module tree shaped like a GPT.
#include <doctest/doctest.h>

#include <cmath>

#include "models/gpt/init.h"
#include "nn/attention.h"
#include "nn/containers.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/positional.h"

using namespace peso;
using namespace peso::nn;

namespace {

double std_of(const Tensor& t) { return native::std(t.detach().to(DType::f64), {}, 0.0).item<double>(); }

double max_abs(const Tensor& t) { return native::amax(native::abs(t.detach().to(DType::f64))).item<double>(); }

}  // namespace

TEST_CASE("gpt2_init_: N(0, 0.02) weights, zero biases, scaled residual projections") {
    struct Mlp : Module {
        std::shared_ptr<Linear> c_fc, c_proj;
        Mlp() {
            c_fc = register_module("c_fc", std::make_shared<Linear>(128, 512));
            c_proj = register_module("c_proj", std::make_shared<Linear>(512, 128));
        }
    };
    struct Gpt : Module {
        std::shared_ptr<Embedding> wte;
        std::shared_ptr<LearnedPositionalEmbedding> wpe;
        std::shared_ptr<ModuleList<Mlp>> h;
        std::shared_ptr<MultiheadAttention> attn;
        std::shared_ptr<LayerNorm> ln_f;
        Gpt() {
            wte = register_module("wte", std::make_shared<Embedding>(300, 128, 0));
            wpe = register_module("wpe", std::make_shared<LearnedPositionalEmbedding>(64, 128));
            h = register_module("h", std::make_shared<ModuleList<Mlp>>());
            h->push_back(std::make_shared<Mlp>());
            h->push_back(std::make_shared<Mlp>());
            attn = register_module("attn", std::make_shared<MultiheadAttention>(128, 4));
            ln_f = register_module("ln_f", std::make_shared<LayerNorm>(128));
        }
    };
    Gpt m;
    {
        NoGradGuard g;
        m.ln_f->weight.fill_(3.0);
        m.ln_f->bias.fill_(3.0);
    }
    const std::int64_t n_layer = 2;
    models::gpt2_init_(m, n_layer, models::name_ends_with({"c_proj.weight", "out_proj.weight"}));
    const double residual = 0.02 / std::sqrt(2.0 * n_layer);
    for (int i = 0; i < 2; ++i) {
        CHECK(std_of(m.h->operator[](i)->c_fc->weight) == doctest::Approx(0.02).epsilon(0.03));
        CHECK(std_of(m.h->operator[](i)->c_proj->weight) == doctest::Approx(residual).epsilon(0.03));
        CHECK(max_abs(m.h->operator[](i)->c_fc->bias) == 0.0);
        CHECK(max_abs(m.h->operator[](i)->c_proj->bias) == 0.0);
    }
    CHECK(std_of(m.wte->weight) == doctest::Approx(0.02).epsilon(0.03));
    CHECK(max_abs(m.wte->weight.select(0, 0)) == 0.0);  // the padding row stays zero
    CHECK(std_of(m.wpe->weight) == doctest::Approx(0.02).epsilon(0.05));
    CHECK(std_of(m.attn->in_proj_weight) == doctest::Approx(0.02).epsilon(0.03));
    CHECK(std_of(m.attn->out_proj->weight) == doctest::Approx(residual).epsilon(0.05));
    CHECK(max_abs(m.attn->in_proj_bias) == 0.0);
    CHECK(native::all(native::eq(m.ln_f->weight, 1.0)).item<bool>());
    CHECK(max_abs(m.ln_f->bias) == 0.0);
    for (const Tensor& p : m.parameters()) CHECK(p.is_leaf());

    CHECK(models::name_ends_with({"linear2.weight"})("layers.3.linear2.weight"));
    CHECK_FALSE(models::name_ends_with({"linear2.weight"})("layers.3.linear2.bias"));
    CHECK_THROWS_AS(models::gpt2_init_(m, 0, models::name_ends_with({})), ValueError);
}
