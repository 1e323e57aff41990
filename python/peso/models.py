"""peso.models: the C++ GPT (GPT-2's architecture, nanoGPT's parameter names)
as a peso.nn.Module, minGPT-style: forward(idx, targets) -> (logits, loss),
generate(idx, max_new_tokens, ...), configure_optimizers(...); and the
tokenizers."""
from . import _C
from .nn.module import CppModule
from .optim import AdamW

_M = _C._models
GPTConfig = _M.GPTConfig
CharTokenizer = _M.CharTokenizer
GPT2Tokenizer = _M.GPT2Tokenizer


class GPT(CppModule):
    def __init__(self, config, generator=None):
        super().__init__(_M.GPT(config, generator))
        self.config = config

    def forward(self, idx, targets=None):
        return self._impl.forward(idx, targets)

    def configure_optimizers(self, weight_decay=0.1, learning_rate=3e-4, betas=(0.9, 0.95)):
        """AdamW with decay on matmul weights and embeddings only, as nanoGPT/minGPT."""
        groups = [{"params": ps, **opts} for ps, opts in self._impl.optimizer_groups(weight_decay)]
        return AdamW(groups, lr=learning_rate, betas=betas)

    def generate(self, idx, max_new_tokens, temperature=1.0, do_sample=True, top_k=None, seed=1337):
        """idx (B, T) int64 -> (B, T + max_new_tokens), each row continued with a KV cache.
        do_sample=False is greedy (minGPT's default is False; here sampling, as nanoGPT)."""
        rows = []
        for b in range(idx.shape[0]):
            prompt = idx[b].tolist()
            rows.append(prompt + self._impl.generate(prompt, max_new_tokens, temperature if do_sample else 0.0,
                                                     top_k, None, seed + b))
        from ._creation import tensor
        return tensor(rows, dtype=_C.int64, device=idx.device)
