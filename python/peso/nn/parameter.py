"""nn.Parameter: a tensor a Module registers as trainable when assigned as an attribute."""
from .. import _C


class Parameter(_C.Tensor):
    """As torch.nn.Parameter: shares data's storage, is a leaf, requires grad by default."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C._empty((0,), None, None, False)
        super().__init__(data.detach())
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        return Parameter(self.detach().clone(), self.requires_grad)

    @classmethod
    def _wrap(cls, t):
        """The very tensor t (same handle, same graph identity) seen as a Parameter."""
        p = cls.__new__(cls)
        _C.Tensor.__init__(p, t)
        return p
