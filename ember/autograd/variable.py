"""``Variable``: the pre-0.4 wrapper of tensors, kept (as in PyTorch) so that old code runs.
``Variable(t)`` is a leaf tensor sharing ``t``'s data, and every tensor is a ``Variable``."""
import warnings

from .._tensor import Tensor

__all__ = ['Variable']


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn('volatile was removed and now has no effect. Use `with torch.no_grad():` '
                          'instead.', UserWarning, stacklevel=2)
        if data is None:
            from .._ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f'Variable data has to be a tensor, but got {type(data).__name__}')
        result = data.detach()
        if requires_grad:
            result.requires_grad_(True)
        return result
