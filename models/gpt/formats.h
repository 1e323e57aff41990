#pragma once
// GPT-2 weights in other programs' file formats, to and from peso's Gpt.
//
// Hugging Face (the `gpt2` repository's model.safetensors): names "wte.weight",
// "h.0.attn.c_attn.weight", ... optionally prefixed by "transformer."; the four
// projection weights are Conv1D's, stored (in, out), i.e. transposed from
// peso's Linear (out, in). The attn.bias / attn.masked_bias buffers are skipped
// and a "lm_head.weight" must equal the token embedding (GPT-2 ties them). The
// number of heads is not in the weights (see hf_n_head below).
//
// llm.c (train_gpt2.py's write_model, e.g. gpt2_124M.bin): 256 little-endian
// int32 {20240326, version 3 (fp32) or 5 (bf16), max_seq_len, vocab_size,
// num_layers, num_heads, channels, padded_vocab_size, 0...}, then every
// parameter in Linear layout: wte (Vp, C), wpe (maxT, C), then for all layers
// in turn ln1w, ln1b, qkvw (3C, C), qkvb, attprojw (C, C), attprojb, ln2w,
// ln2b, fcw (4C, C), fcb, fcprojw (C, 4C), fcprojb, then lnfw, lnfb. The token
// embedding is padded with zero rows to Vp (a multiple of 128).
//
// Every error (missing, truncated or corrupted file, unexpected tensors or
// shapes) throws IOError naming the file; writing throws ValueError for a
// model the format cannot hold. Write -> read gives back bit-identical weights.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/gpt/gpt.h"
#include "nn/serialization/safetensors.h"

namespace peso::models {

enum class GptFormat { hf, llmc };
GptFormat parse_gpt_format(std::string_view name);  // "hf" or "llmc"; ValueError otherwise
std::string_view format_name(GptFormat f);

// A GPT's weights without the model: what a converter needs, so that no
// model is built (and randomly initialised) only to be overwritten.
struct GptWeights {
    GptConfig config;
    nn::NamedTensors state;     // float32 CPU tensors, named and ordered as Gpt::state_dict()
    std::string n_head_source;  // where n_head came from, for the user: "--n-head", "llm.c header", ...
};

// n_head: 0 = infer. hf: see hf_n_head; llmc: the header's (a nonzero n_head
// must agree with it).
GptWeights read_gpt_weights(GptFormat format, const std::filesystem::path& file, std::int64_t n_head = 0);
// `state` must hold every tensor of gpt_state_shapes(config) (lm_head.weight
// may be left out: it is the token embedding); IOError names what is missing
// or misshapen, ValueError a config the format cannot hold (bias=false).
void write_gpt_weights(GptFormat format, const GptConfig& config, const nn::NamedTensors& state,
                       const std::filesystem::path& file);

// The names and shapes of Gpt(config).state_dict(), in its order (config.bias true).
std::vector<std::pair<std::string, Dims>> gpt_state_shapes(const GptConfig& config);
// IOError, prefixed by `what` (e.g. the file), unless `state` holds exactly the
// tensors of gpt_state_shapes(config), lm_head.weight optional, floating-point.
void validate_gpt_state(const GptConfig& config, const nn::NamedTensors& state, std::string_view what);

// The same through a model: read_gpt_weights + a Gpt loaded with them, and
// write_gpt_weights of a model's config and state_dict.
struct ImportedGpt {
    std::shared_ptr<Gpt> model;
    std::string n_head_source;
};
ImportedGpt import_gpt(GptFormat format, const std::filesystem::path& file, std::int64_t n_head = 0);
void export_gpt(GptFormat format, const Gpt& model, const std::filesystem::path& file);

// The number of heads of a Hugging Face GPT-2 whose weights are in `file`:
// "n_head" of a config.json beside it (as the Hugging Face repository has),
// else the GPT-2 family's (768 -> 12, 1024 -> 16, 1280 -> 20, 1600 -> 25),
// else 0. `source` says which.
std::int64_t hf_n_head(const std::filesystem::path& file, std::int64_t n_embd, std::string* source = nullptr);
std::int64_t gpt2_family_n_head(std::int64_t n_embd);  // 0 when n_embd is not a GPT-2 size

// The config.json that Hugging Face's GPT2Config reads for these weights
// (model_type gpt2, GPT2LMHeadModel, tied embeddings, tanh GELU "gelu_new",
// LayerNorm epsilon 1e-5, dropout from the config). bos_eos: the token a text
// starts and ends with (GPT-2's <|endoftext|> 50256), or none (null).
std::string hf_config_json(const GptConfig& config, std::optional<std::int64_t> bos_eos);

// llm.c's padded vocabulary: vocab_size rounded up to a multiple of 128.
std::int64_t llmc_padded_vocab(std::int64_t vocab_size);

}  // namespace peso::models
