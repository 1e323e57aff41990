"""peso.nn, PyTorch-shaped: Module (subclass it), Parameter, layers, losses,
attention and the Transformer, functional, init, utils."""
from . import functional, init, utils  # noqa: F401
from .layers import (BCELoss, BCEWithLogitsLoss, CosineSimilarity, CrossEntropyLoss, Dropout, Embedding,  # noqa
                     Flatten, GELU, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax, ModuleDict, ModuleList,
                     MSELoss, NLLLoss, ReLU, Sequential, Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .module import CppModule, Module  # noqa: F401
from .parameter import Parameter  # noqa: F401
from .transformer import (LearnedPositionalEmbedding, MultiheadAttention, SinusoidalPositionalEncoding,  # noqa
                          Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
