#include "nn/tokenizers/tokenizer.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/char_tokenizer.h"

namespace peso::nn {

std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json, const std::filesystem::path& gpt2_dir) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(json);
    } catch (const nlohmann::json::exception& e) {
        throw ValueError(fmt::format("tokenizer_from_json: not valid JSON: {}", e.what()));
    }
    PESO_CHECK(j.is_object() && j.contains("type") && j["type"].is_string(), ValueError,
               "tokenizer_from_json: expected an object with a string \"type\"");
    const auto& type = j["type"].get_ref<const std::string&>();
    if (type == "char") return std::make_unique<CharTokenizer>(CharTokenizer::from_json(json));
    if (type == "gpt2") {
        auto tok = std::make_unique<Gpt2Tokenizer>(Gpt2Tokenizer::load(gpt2_dir));
        PESO_CHECK(!j.contains("vocab_size") || j["vocab_size"] == tok->vocab_size(), ValueError,
                   "tokenizer_from_json: the stored GPT-2 vocabulary has {} tokens, the files in {} have {}",
                   j["vocab_size"].dump(), gpt2_dir.string(), tok->vocab_size());
        return tok;
    }
    throw ValueError(fmt::format("tokenizer_from_json: unknown tokenizer type \"{}\" (expected \"char\" or \"gpt2\")", type));
}

std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json) {
    return tokenizer_from_json(json, default_gpt2_bpe_dir());
}

}  // namespace peso::nn
