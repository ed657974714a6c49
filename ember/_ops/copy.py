"""``Tensor.copy_``: write another tensor's values (broadcast, cast, moved) into this one."""
import numpy as np

from .. import _args
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.function import Node

__all__ = []


class CopyBackwards(Node):
    """History of a tensor after ``copy_``: the gradient goes to the source only."""

    def name(self):
        return 'torch::autograd::CopyBackwards'

    def backward(self, grad):
        # The overwritten values get zeros (not None: PyTorch's node gives zeros too, and the
        # node before them expects a tensor).
        grad_self = grad.new_zeros(grad.shape) if self.next_functions[0][0] is not None \
            else None
        if self.next_functions[1][0] is None:      # the source needs no gradient
            return grad_self, None
        shape, dtype, device = self._metas[1]
        g = grad.to(device=device, dtype=dtype)
        return grad_self, g.sum_to_size(shape) if tuple(g.shape) != shape else g


def copy_(self, src, non_blocking=False):
    """Copy ``src`` into this tensor in place (broadcasting ``src``, converting its dtype and
    device); differentiable with respect to ``src``."""
    from .elementwise import check_inplace, _rebase_view
    if not isinstance(src, Tensor):
        raise TypeError(f'copy_(): argument \'other\' (position 1) must be Tensor, not '
                        f'{_args.type_name(src)}')
    check_inplace(self)
    data = src._data
    if src._device is not self._device:
        data = src.to(self._device)._data
    if src._dtype.is_complex and not self._dtype.is_complex:
        import warnings
        warnings.warn('Casting complex values to real discards the imaginary part',
                      UserWarning, stacklevel=2)
        data = data.real
    try:
        if type(self._data) is np.ndarray:
            np.copyto(self._data, data, casting='unsafe')
        else:
            self._data[...] = data.astype(self._data.dtype)
    except ValueError:
        raise RuntimeError(f'The size of tensor a ({self.shape[-1] if self.dim() else 1}) must '
                           f'match the size of tensor b ({src.shape[-1] if src.dim() else 1}) '
                           'at non-singleton dimension 0') from None
    self._bump_version()
    if grad_mode.state.enabled and (src._requires_grad or self._requires_grad):
        node = CopyBackwards.__new__(CopyBackwards)
        node._connect((self if self._requires_grad else None, src))
        node.args = ()
        self._grad_fn = node
        self._requires_grad = True
        self.__dict__.pop('_output_nr', None)
        _rebase_view(self)
    return self


Tensor.copy_ = copy_
