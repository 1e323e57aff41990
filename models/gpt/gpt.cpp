#include "models/gpt/gpt.h"

#include <cmath>

#include "autograd/checkpoint.h"
#include "models/gpt/init.h"
#include "nn/dropout.h"
#include "nn/init.h"
#include "nn/losses.h"
#include "nn/scaled_dot_product_attention.h"

namespace peso::models {

namespace F = nn::functional;

// ---- attention ---------------------------------------------------------------------

CausalSelfAttention::CausalSelfAttention(const GptConfig& c)
    : n_head_(c.n_head), n_embd_(c.n_embd), dropout_(c.dropout) {
    c_attn = register_module("c_attn", std::make_shared<nn::Linear>(c.n_embd, 3 * c.n_embd, c.bias));
    c_proj = register_module("c_proj", std::make_shared<nn::Linear>(c.n_embd, c.n_embd, c.bias));
}

Tensor CausalSelfAttention::forward(const Tensor& x, LayerKv* cache, std::int64_t past) const {
    const std::int64_t B = x.size(0), T = x.size(1), D = n_embd_ / n_head_;
    const auto qkv = split(c_attn->forward(x), n_embd_, 2);
    // (B, T, C) -> (B, n_head, T, head_dim)
    auto heads = [&](const Tensor& t) { return t.view({B, T, n_head_, D}).transpose(1, 2); };
    const Tensor q = heads(qkv[0]);
    Tensor k = heads(qkv[1]), v = heads(qkv[2]);
    std::int64_t S = T;  // keys attended to
    if (cache) {
        {
            NoGradGuard g;  // the cache holds values, not history (generation only)
            cache->k.narrow(2, past, T).copy_(k);
            cache->v.narrow(2, past, T).copy_(v);
        }
        S = past + T;
        k = cache->k.narrow(2, 0, S);
        v = cache->v.narrow(2, 0, S);
    }
    // Query i sits at position past + i and may see keys 0 .. past + i: the
    // plain causal mask when nothing is cached, no mask for one new token,
    // and an explicit one for several tokens after cached ones.
    Tensor allowed;
    if (past > 0 && T > 1)
        allowed = native::logical_not(triu(ones({T, S}, TensorOptions(DType::b8).device(x.device())), past + 1));
    const double p = is_training() ? dropout_ : 0.0;
    const Tensor y = F::scaled_dot_product_attention(q, k, v, allowed, p, past == 0 && T > 1)
                         .transpose(1, 2)
                         .reshape({B, T, n_embd_});
    return F::dropout(c_proj->forward(y), dropout_, is_training());
}

// ---- MLP and block -------------------------------------------------------------------

Mlp::Mlp(const GptConfig& c) : dropout_(c.dropout) {
    c_fc = register_module("c_fc", std::make_shared<nn::Linear>(c.n_embd, 4 * c.n_embd, c.bias));
    c_proj = register_module("c_proj", std::make_shared<nn::Linear>(4 * c.n_embd, c.n_embd, c.bias));
}

Tensor Mlp::forward(const Tensor& x) const {
    return F::dropout(c_proj->forward(gelu(c_fc->forward(x), "tanh")), dropout_, is_training());
}

Block::Block(const GptConfig& c) {
    ln_1 = register_module("ln_1", std::make_shared<nn::LayerNorm>(c.n_embd, 1e-5, true, c.bias));
    attn = register_module("attn", std::make_shared<CausalSelfAttention>(c));
    ln_2 = register_module("ln_2", std::make_shared<nn::LayerNorm>(c.n_embd, 1e-5, true, c.bias));
    mlp = register_module("mlp", std::make_shared<Mlp>(c));
}

Tensor Block::forward(const Tensor& x, LayerKv* cache, std::int64_t past) const {
    const Tensor y = add(x, attn->forward(ln_1->forward(x), cache, past));
    return add(y, mlp->forward(ln_2->forward(y)));
}

// ---- GPT -------------------------------------------------------------------------------

Gpt::Gpt(const GptConfig& config, Generator* gen, bool init) : config_(config) {
    config_.validate();
    auto transformer = register_module("transformer", std::make_shared<nn::ModuleDict<>>());
    wte = std::make_shared<nn::Embedding>(config_.vocab_size, config_.n_embd);
    wpe = std::make_shared<nn::Embedding>(config_.block_size, config_.n_embd);
    h = std::make_shared<nn::ModuleList<Block>>();
    for (std::int64_t i = 0; i < config_.n_layer; ++i) h->push_back(std::make_shared<Block>(config_));
    ln_f = std::make_shared<nn::LayerNorm>(config_.n_embd, 1e-5, true, config_.bias);
    transformer->insert("wte", wte);
    transformer->insert("wpe", wpe);
    transformer->insert("h", h);
    transformer->insert("ln_f", ln_f);
    lm_head = register_module("lm_head", std::make_shared<nn::Linear>(wte->weight));  // tied
    if (init) gpt2_init_(*this, config_.n_layer, name_ends_with({"c_proj.weight"}), 0.02, gen);
}

GptOutput Gpt::forward(const Tensor& idx, const Tensor& targets, bool last_only, KvCache* cache) const {
    PESO_CHECK(idx.dim() == 2 && idx.dtype() == DType::i64, ShapeError,
               "GPT: expected token ids of shape (B, T) and dtype int64, got shape {} dtype {}", idx.sizes(),
               idx.dtype());
    const std::int64_t T = idx.size(1);
    const std::int64_t past = cache ? cache->length() : 0;
    PESO_CHECK(T > 0, ShapeError, "GPT: empty sequence");
    PESO_CHECK(past + T <= config_.block_size, ValueError,
               "GPT: sequence of {} tokens (after {} cached) exceeds block_size {}", T, past, config_.block_size);
    PESO_CHECK(!cache || cache->batch() == idx.size(0), ShapeError, "GPT: cache batch {} vs input batch {}",
               cache ? cache->batch() : 0, idx.size(0));
    const Tensor pos = arange(past, past + T, 1, TensorOptions(DType::i64).device(idx.device()));
    Tensor x = F::dropout(add(wte->forward(idx), wpe->forward(pos)), config_.dropout, is_training());
    const bool recompute = config_.checkpoint_activations && is_training() && !cache && autograd::grad_enabled();
    for (std::size_t i = 0; i < h->size(); ++i) {
        if (recompute) {
            // Captured by value: the block runs again during backward.
            const auto block = (*h)[i];
            const auto run = [block](const std::vector<Tensor>& in) {
                return std::vector<Tensor>{block->forward(in[0])};
            };
            x = autograd::checkpoint(run, {x})[0];
        } else {
            x = (*h)[i]->forward(x, cache ? &cache->layer(i) : nullptr, past);
        }
    }
    if (cache) cache->advance(T);
    x = ln_f->forward(x);
    GptOutput out;
    if (targets.defined()) {
        PESO_CHECK(targets.sizes() == idx.sizes(), ShapeError, "GPT: targets of shape {} for inputs of shape {}",
                   targets.sizes(), idx.sizes());
        out.logits = lm_head->forward(x);
        nn::CrossEntropyLossOptions opts;
        opts.ignore_index = -1;
        out.loss = F::cross_entropy(out.logits.view({-1, config_.vocab_size}), targets.reshape({-1}), opts);
    } else {
        out.logits = lm_head->forward(last_only ? x.narrow(1, T - 1, 1) : x);
    }
    return out;
}

std::vector<nn::optim::ParamGroup> Gpt::optimizer_groups(double weight_decay) const {
    nn::optim::ParamGroup decay, no_decay;
    for (const auto& [name, p] : named_parameters()) {
        if (!p.requires_grad()) continue;
        (p.dim() >= 2 ? decay : no_decay).params.push_back(p);
    }
    decay.options["weight_decay"] = weight_decay;
    no_decay.options["weight_decay"] = 0.0;
    return {decay, no_decay};
}

KvCache Gpt::make_cache(std::int64_t batch) const {
    return KvCache(config_.n_layer, batch, config_.n_head, config_.block_size, config_.n_embd / config_.n_head,
                   TensorOptions(wte->weight.dtype()).device(wte->weight.device()));
}

}  // namespace peso::models
