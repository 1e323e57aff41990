// Training checkpoints: resuming continues the exact loss curve of an
// uninterrupted run (bit for bit on CPU), and bad files are refused clearly.
#include <doctest/doctest.h>

#include <filesystem>

#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/serialization/checkpoint.h"
#include "nn/serialization/safetensors.h"

using namespace peso;
using namespace peso::nn;

namespace {

struct Mlp : Module {
    std::shared_ptr<Linear> fc1, fc2;
    Mlp() {
        fc1 = register_module("fc1", std::make_shared<Linear>(6, 16));
        fc2 = register_module("fc2", std::make_shared<Linear>(16, 1));
    }
    // Dropout draws from the default generator: resuming must restore it.
    Tensor forward(const Tensor& x) const {
        return fc2->forward(functional::dropout(relu(fc1->forward(x)), 0.2, is_training()));
    }
    std::string type_name() const override { return "Mlp"; }
};

struct Run {
    std::shared_ptr<Mlp> model = std::make_shared<Mlp>();
    optim::AdamW opt{model->parameters(), {}};
    optim::WarmupCosineLR sched{opt, 3, 20, 1e-4};
};

float train_step(Run& r, const Tensor& x, const Tensor& y) {
    const Tensor loss = mean(pow(sub(r.model->forward(x), y), 2));
    r.opt.zero_grad();
    loss.backward();
    r.opt.step();
    r.sched.step();
    return loss.item<float>();
}

std::string temp_path(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() / "peso_test_checkpoint";
    std::filesystem::create_directories(dir);
    return (dir / name).string();
}

}  // namespace

TEST_CASE("resuming from a checkpoint continues the same loss curve bit for bit") {
    Generator data_gen(9);
    const Tensor x = randn({32, 6}, {}, &data_gen), y = randn({32, 1}, {}, &data_gen);
    manual_seed(123);
    Run straight;
    std::vector<float> expected;
    for (int i = 0; i < 12; ++i) expected.push_back(train_step(straight, x, y));

    manual_seed(123);
    const std::string path = temp_path("resume.safetensors");
    {
        Run first;
        for (int i = 0; i < 5; ++i) CHECK(train_step(first, x, y) == expected[static_cast<std::size_t>(i)]);
        save_checkpoint(path, *first.model, &first.opt, &first.sched, 5, R"({"note":"half way"})");
    }
    manual_seed(999);  // a different state everywhere: the checkpoint must restore it all
    Run resumed;
    const CheckpointInfo info = load_checkpoint(path, *resumed.model, &resumed.opt, &resumed.sched);
    CHECK(info.step == 5);
    CHECK(info.extra_json == R"({"note":"half way"})");
    for (int i = 5; i < 12; ++i) CHECK(train_step(resumed, x, y) == expected[static_cast<std::size_t>(i)]);
    CHECK(read_checkpoint_info(path).step == 5);
}

TEST_CASE("checkpoints that do not fit the run are refused, naming the problem") {
    const std::string path = temp_path("mismatch.safetensors");
    Run r;
    save_checkpoint(path, *r.model, &r.opt, &r.sched, 1);
    // A different architecture.
    struct Other : Module {
        Other() { register_module("fc1", std::make_shared<Linear>(6, 8)); }
        std::string type_name() const override { return "Other"; }
    } other;
    CHECK_THROWS_WITH_AS(load_checkpoint(path, other, nullptr, nullptr), doctest::Contains("fc1.weight"), IOError);
    // A different optimizer.
    optim::Adam adam(r.model->parameters());
    CHECK_THROWS_WITH_AS(load_checkpoint(path, *r.model, &adam, nullptr), doctest::Contains("AdamW"), IOError);
    // A plain safetensors file is not a checkpoint.
    save_safetensors(path, {{"x", ones({1})}});
    CHECK_THROWS_WITH_AS(load_checkpoint(path, *r.model, nullptr, nullptr), doctest::Contains("not a peso training checkpoint"),
                         IOError);
    CHECK_THROWS_AS(load_checkpoint(temp_path("missing.safetensors"), *r.model, nullptr, nullptr), IOError);
}

TEST_CASE("a load that fails part way leaves model, optimizer and scheduler as they were") {
    const std::string path = temp_path("partial.safetensors");
    Run saved;
    const Tensor x = randn({8, 6}), y = randn({8, 1});
    for (int i = 0; i < 3; ++i) train_step(saved, x, y);
    save_checkpoint(path, *saved.model, &saved.opt, &saved.sched, 3);
    // The file's optimizer state lacks a moment: found only after the model's tensors (which fit).
    SafetensorsContent c = load_safetensors(path);
    std::erase_if(c.tensors, [](const auto& kv) { return kv.first.ends_with(".exp_avg_sq") && kv.first.find(".3.") != std::string::npos; });
    save_safetensors(path, c.tensors, c.metadata);
    Run fresh;
    train_step(fresh, x, y);
    const auto before = fresh.model->state_dict();
    std::vector<Tensor> weights;
    for (const auto& [n, t] : before) weights.push_back(t.clone());
    const auto opt_before = fresh.opt.state_dict();
    const auto sched_before = fresh.sched.state_dict();
    CHECK_THROWS_AS(load_checkpoint(path, *fresh.model, &fresh.opt, &fresh.sched), IOError);
    for (std::size_t i = 0; i < weights.size(); ++i) CHECK(equal(before[i].second, weights[i]));
    CHECK(fresh.sched.state_dict() == sched_before);
    const auto opt_after = fresh.opt.state_dict();
    REQUIRE(opt_after.tensors.size() == opt_before.tensors.size());
    for (std::size_t i = 0; i < opt_after.tensors.size(); ++i)
        CHECK(opt_after.tensors[i].second.shares_storage(opt_before.tensors[i].second));
    // The intact file loads: the model equals the saved one.
    save_checkpoint(path, *saved.model, &saved.opt, &saved.sched, 3);
    CHECK(load_checkpoint(path, *fresh.model, &fresh.opt, &fresh.sched).step == 3);
    CHECK(equal(fresh.model->fc1->weight, saved.model->fc1->weight));
    CHECK(fresh.opt.lr(0) == saved.opt.lr(0));
    fresh.model->eval();
    saved.model->eval();
    CHECK(equal(fresh.model->forward(x), saved.model->forward(x)));
}

TEST_CASE("corrupted checkpoint metadata is refused naming the file, before anything changes") {
    const std::string path = temp_path("meta.safetensors");
    Run r;
    const Tensor w = r.model->fc1->weight.clone();
    for (const char* meta : {"[1, 2]", "{\"step\": \"x\"}", "{\"optimizer\": 5}", "not json",
                             "{\"step\": 1, \"rng\": {\"seed\": \"abc\", \"offset\": \"0\"}}"}) {
        CAPTURE(meta);
        NamedTensors t;
        for (const auto& [n, v] : r.model->state_dict()) t.emplace_back("model." + n, zeros(v.sizes()));
        save_safetensors(path, t, {{"peso.checkpoint", meta}});
        CHECK_THROWS_WITH_AS(load_checkpoint(path, *r.model, &r.opt, &r.sched), doctest::Contains("meta.safetensors"), IOError);
        CHECK(equal(r.model->fc1->weight, w));
    }
}

TEST_CASE("a checkpoint saved without the model holds the rest and says so") {
    Generator data_gen(3);
    const Tensor x = randn({8, 6}, {}, &data_gen), y = randn({8, 1}, {}, &data_gen);
    manual_seed(5);
    Run saved;
    train_step(saved, x, y);
    const std::string path = temp_path("no_model.safetensors");
    save_checkpoint(path, nullptr, &saved.opt, &saved.sched, 1);
    CHECK_FALSE(read_checkpoint_info(path).has_model);
    const SafetensorsReader reader(path);
    CHECK(reader.metadata().at("peso.step") == "1");
    for (const SafetensorsEntry& e : reader.entries()) CHECK(e.name.starts_with("optimizer."));
    // The optimizer and scheduler come back; the weights are the caller's to load.
    Run fresh;
    fresh.model->load_state_dict(saved.model->state_dict());
    CHECK(load_checkpoint(path, nullptr, &fresh.opt, &fresh.sched).step == 1);
    manual_seed(6);
    const float a = train_step(saved, x, y);
    manual_seed(6);
    CHECK(train_step(fresh, x, y) == a);
    // A caller that expects the weights in it is told they are missing.
    Run other;
    CHECK_THROWS_WITH_AS(load_checkpoint(path, *other.model, &other.opt, &other.sched),
                         doctest::Contains("missing key"), IOError);
    save_checkpoint(path, *saved.model, &saved.opt, &saved.sched, 2);
    CHECK(read_checkpoint_info(path).has_model);
}
