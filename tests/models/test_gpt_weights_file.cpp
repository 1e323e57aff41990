// peso's own GPT weights file (models/gpt/weights_file.h): the tied LM head is
// stored once and comes back with wte; files that store it too (peso's older
// layout) load when it equals wte and are refused when it does not.
#include <doctest/doctest.h>

#include <filesystem>

#include "models/gpt/weights_file.h"
#include "nn/serialization/module_io.h"

using namespace peso;
using namespace peso::models;
namespace fs = std::filesystem;

namespace {

GptConfig tiny() {
    GptConfig c;
    c.n_layer = 1;
    c.n_head = 2;
    c.n_embd = 8;
    c.block_size = 4;
    c.vocab_size = 11;
    return c;
}

std::string temp_path(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / "peso_test_gpt_weights_file";
    fs::create_directories(dir);
    return (dir / name).string();
}

bool same_state(const Gpt& a, const Gpt& b) {
    const auto sa = a.state_dict(), sb = b.state_dict();
    for (std::size_t i = 0; i < sa.size(); ++i)
        if (sa[i].first != sb[i].first || !equal(sa[i].second, sb[i].second)) return false;
    return sa.size() == sb.size();
}

}  // namespace

TEST_CASE("the tied LM head is stored once and comes back as wte") {
    Generator g(1);
    const Gpt saved(tiny(), &g);
    const std::string path = temp_path("tied.safetensors");
    save_gpt_weights(path, saved.state_dict(), {{"peso.step", "7"}});
    const nn::SafetensorsReader reader(path);
    for (const auto& e : reader.entries()) CHECK(e.name != "lm_head.weight");
    CHECK(reader.entries().size() + 1 == saved.state_dict().size());

    Generator g2(2);
    Gpt loaded(tiny(), &g2);
    CHECK_FALSE(same_state(saved, loaded));
    CHECK(load_gpt_weights(loaded, path).at("peso.step") == "7");
    CHECK(same_state(saved, loaded));
    CHECK(loaded.lm_head->weight.is_same(loaded.wte->weight));  // still one tensor
}

TEST_CASE("an older file with lm_head.weight loads when it equals wte, and is refused otherwise") {
    Generator g(3);
    const Gpt saved(tiny(), &g);
    const std::string path = temp_path("legacy.safetensors");
    nn::save_module(saved, path);  // every state_dict entry, lm_head.weight included
    Generator g2(4);
    Gpt loaded(tiny(), &g2);
    load_gpt_weights(loaded, path);
    CHECK(same_state(saved, loaded));

    nn::NamedTensors state = saved.state_dict();
    for (auto& [name, t] : state)
        if (name == "lm_head.weight") t = add(t, 1.0);
    nn::save_safetensors(path, state);
    Generator g3(5);
    Gpt untouched(tiny(), &g3);
    nn::NamedTensors copy;
    for (const auto& [name, t] : untouched.state_dict()) copy.emplace_back(name, t.clone());
    CHECK_THROWS_WITH_AS(load_gpt_weights(untouched, path), doctest::Contains("lm_head.weight differs"), IOError);
    const auto now = untouched.state_dict();
    for (std::size_t i = 0; i < now.size(); ++i) CHECK(equal(now[i].second, copy[i].second));  // unchanged
}

TEST_CASE("a weights file of another shape names the file and the tensor") {
    Generator g(6);
    const Gpt saved(tiny(), &g);
    const std::string path = temp_path("shape.safetensors");
    save_gpt_weights(path, saved.state_dict());
    GptConfig wider = tiny();
    wider.vocab_size = 12;
    Gpt other(wider, &g);
    CHECK_THROWS_WITH_AS(load_gpt_weights(other, path), doctest::Contains("shape.safetensors"), IOError);
    CHECK_THROWS_WITH_AS(load_gpt_weights(other, path), doctest::Contains("transformer.wte.weight"), IOError);
}
