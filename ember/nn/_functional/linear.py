"""nn.functional: linear and bilinear maps."""
from ... import _args
from ..._ops.linalg import addmm, matmul
from ..._tensor import Tensor

__all__ = ['linear', 'bilinear']


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` over the last dim of ``input`` (any leading dims)."""
    if not isinstance(input, Tensor):
        raise TypeError("linear(): argument 'input' (position 1) must be Tensor, not "
                        f'{_args.type_name(input)}')
    ndim = input._data.ndim
    if ndim == 2 and bias is not None:
        return addmm(bias, input, weight.t())
    if not ndim or not weight._data.ndim:
        raise RuntimeError(f'both arguments to linear need to be at least 1D, but they are '
                           f'{ndim}D and {weight._data.ndim}D')
    if bias is None:
        return matmul(input, weight.t())
    if input.dim() == 1:   # as PyTorch: a one-row addmm, viewed back (ViewBackward0)
        return addmm(bias, input.unsqueeze(0), weight.t()).view(weight.shape[0])
    shape = input.shape
    out = addmm(bias, input.reshape(-1, shape[-1]), weight.t())
    return out.view(tuple(shape[:-1]) + (weight.shape[0],))


def bilinear(input1, input2, weight, bias=None):
    """``x1^T A x2 + b`` for each output feature."""
    from ..._ops.linalg import einsum
    out = einsum('...i,oij,...j->...o', input1, weight, input2)
    if bias is not None:
        out = out + bias
    return out
