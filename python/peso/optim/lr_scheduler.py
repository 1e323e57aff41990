"""peso.optim.lr_scheduler: the C++ schedulers, taking peso.optim optimizers."""
from .. import _C

_S = _C._optim


class LRScheduler:
    def __init__(self, impl, optimizer):
        self._impl, self.optimizer = impl, optimizer

    def step(self):
        self._impl.step()

    def get_last_lr(self):
        return list(self._impl.get_last_lr())

    @property
    def last_epoch(self):
        return self._impl.last_epoch

    @property
    def base_lrs(self):
        return list(self._impl.base_lrs)

    _COUNTERS = {"base_lrs", "last_epoch", "_step_count", "_last_lr"}

    def state_dict(self):
        """PyTorch's keys for the scheduler's progress (base_lrs, last_epoch, _step_count, _last_lr), plus the
        settings a schedule changes while it runs (WarmupCosineLR's max_steps)."""
        flat = dict(self._impl.state_dict())
        groups = range(len(self.base_lrs))
        out = {"base_lrs": [flat.pop(f"base_lr.{g}") for g in groups], "last_epoch": int(flat.pop("last_epoch")),
               "_step_count": int(flat.pop("step_count")), "_last_lr": [flat.pop(f"last_lr.{g}") for g in groups]}
        out.update(flat)
        return out

    def load_state_dict(self, state_dict):
        """Takes state_dict()'s form. Settings fixed at construction (step_size, gamma...) are not state: the
        C++ scheduler refuses such keys rather than silently ignoring them."""
        flat = {k: float(v) for k, v in state_dict.items() if k not in self._COUNTERS}
        flat["last_epoch"] = float(state_dict["last_epoch"])
        flat["step_count"] = float(state_dict["_step_count"])
        for g, lr in enumerate(state_dict["base_lrs"]):
            flat[f"base_lr.{g}"] = float(lr)
        for g, lr in enumerate(state_dict["_last_lr"]):
            flat[f"last_lr.{g}"] = float(lr)
        self._impl.load_state_dict(flat)


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(_S.StepLR(optimizer._impl, step_size, gamma), optimizer)


class ConstantLR(LRScheduler):
    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5):
        super().__init__(_S.ConstantLR(optimizer._impl, factor, total_iters), optimizer)


class LinearLR(LRScheduler):
    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        super().__init__(_S.LinearLR(optimizer._impl, start_factor, end_factor, total_iters), optimizer)


class LambdaLR(LRScheduler):
    def __init__(self, optimizer, lr_lambda):
        super().__init__(_S.LambdaLR(optimizer._impl, lr_lambda), optimizer)


class OneCycleLR(LRScheduler):
    def __init__(self, optimizer, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False):
        super().__init__(_S.OneCycleLR(optimizer._impl, max_lr, total_steps, pct_start, anneal_strategy,
                                       cycle_momentum, base_momentum, max_momentum, div_factor, final_div_factor,
                                       three_phase), optimizer)


class WarmupCosineLR(LRScheduler):
    """peso's (nanoGPT's): linear warmup, then cosine decay to min_lr at max_steps."""

    def __init__(self, optimizer, warmup_steps, max_steps, min_lr):
        super().__init__(_S.WarmupCosineLR(optimizer._impl, warmup_steps, max_steps, min_lr), optimizer)

    def set_max_steps(self, max_steps):
        """Moves the end of the decay while the schedule runs (a run with a time budget); sets the lrs at once."""
        self._impl.set_max_steps(max_steps)
