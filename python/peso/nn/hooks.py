"""RemovableHandle, as torch.utils.hooks': what register_forward_hook and
register_forward_pre_hook return; remove() (or leaving its with-block)
unregisters the hook."""
import itertools
import weakref


class RemovableHandle:
    _ids = itertools.count()

    def __init__(self, hooks_dict):
        self.id = next(RemovableHandle._ids)
        self._hooks = weakref.ref(hooks_dict)

    def remove(self):
        hooks = self._hooks()
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def add_hook(hooks_dict, hook, prepend, flag):
    """Registers (hook, flag) in hooks_dict, first when prepend; returns its handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks_dict)
    hooks_dict[handle.id] = (hook, flag)
    if prepend:
        hooks_dict.move_to_end(handle.id, last=False)
    return handle
