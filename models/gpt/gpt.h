#pragma once
// GPT-2's architecture (as nanoGPT's model.py): token + learned position
// embeddings, pre-LN blocks of causal multi-head self-attention and a 4x MLP
// with tanh-GELU, a final LayerNorm and an LM head tied to the token
// embedding. Parameter names are Hugging Face's / nanoGPT's
// ("transformer.h.0.attn.c_attn.weight"), with PyTorch Linear layout (out, in).
#include <memory>
#include <vector>

#include "models/gpt/config.h"
#include "models/gpt/kv_cache.h"
#include "nn/containers.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/optim/optimizer.h"

namespace peso::models {

class CausalSelfAttention : public nn::Module {
public:
    explicit CausalSelfAttention(const GptConfig& c);
    // x (B, T, C), causal. With a cache, x holds the T tokens after the `past`
    // cached ones, and each attends to the cached keys too.
    Tensor forward(const Tensor& x, LayerKv* cache = nullptr, std::int64_t past = 0) const;
    std::string type_name() const override { return "CausalSelfAttention"; }

    std::shared_ptr<nn::Linear> c_attn, c_proj;

private:
    std::int64_t n_head_, n_embd_;
    double dropout_;
};

class Mlp : public nn::Module {
public:
    explicit Mlp(const GptConfig& c);
    Tensor forward(const Tensor& x) const;
    std::string type_name() const override { return "MLP"; }

    std::shared_ptr<nn::Linear> c_fc, c_proj;

private:
    double dropout_;
};

class Block : public nn::Module {
public:
    explicit Block(const GptConfig& c);
    Tensor forward(const Tensor& x, LayerKv* cache = nullptr, std::int64_t past = 0) const;
    std::string type_name() const override { return "Block"; }

    std::shared_ptr<nn::LayerNorm> ln_1, ln_2;
    std::shared_ptr<CausalSelfAttention> attn;
    std::shared_ptr<Mlp> mlp;
};

struct GptOutput {
    Tensor logits;  // (B, T, vocab), or (B, 1, vocab) with last_only
    Tensor loss;    // scalar mean cross-entropy when targets were given
};

class Gpt : public nn::Module {
public:
    // init=false skips GPT-2's random initialization (the layers' default
    // one still runs): for a model whose weights are loaded next.
    explicit Gpt(const GptConfig& config, Generator* gen = nullptr, bool init = true);

    // idx (B, T) int64 token ids, T <= block_size. targets (B, T) int64
    // (-1 = ignored) gives the loss. last_only computes logits for the last
    // position only (generation). With a cache, idx continues the cached tokens.
    GptOutput forward(const Tensor& idx, const Tensor& targets = {}, bool last_only = false,
                      KvCache* cache = nullptr) const;

    // nanoGPT's AdamW groups: weight decay on parameters with >= 2 dims
    // (matmul weights, embeddings), none on biases and LayerNorm parameters.
    std::vector<nn::optim::ParamGroup> optimizer_groups(double weight_decay) const;

    KvCache make_cache(std::int64_t batch) const;
    const GptConfig& config() const { return config_; }
    // See GptConfig::checkpoint_activations (a loaded model's config lacks it).
    void set_checkpoint_activations(bool on) { config_.checkpoint_activations = on; }
    std::string type_name() const override { return "GPT"; }

    std::shared_ptr<nn::Embedding> wte, wpe;
    std::shared_ptr<nn::ModuleList<Block>> h;
    std::shared_ptr<nn::LayerNorm> ln_f;
    std::shared_ptr<nn::Linear> lm_head;  // its weight IS wte's

private:
    GptConfig config_;
};

}  // namespace peso::models
