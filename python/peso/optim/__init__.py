"""peso.optim, as torch.optim: SGD, Adam, AdamW and lr_scheduler."""
from . import lr_scheduler  # noqa: F401
from .optimizer import SGD, Adam, AdamW, Optimizer  # noqa: F401
