"""Matrix products: matmul with PyTorch's 1-D/2-D/batched rules, mm, bmm, mv, dot, addmm."""

__all__ = ['mm', 'bmm', 'dot', 'mv', 'matmul', 'addmm', 'outer', 'ger']

import numpy as np

from .. import _dtype as dt
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, attach, check_same_device

_grad_state = grad_mode.state


def _check_pair(a, b, name):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f'{name}(): argument must be Tensor')
    if a._device is not b._device:
        check_same_device((a, b))
    if a._dtype is not b._dtype:
        raise RuntimeError(f'expected m1 and m2 to have the same dtype, but got: '
                           f'{_long_name(a._dtype)} != {_long_name(b._dtype)}')
    if a._dtype is dt.bool:
        raise RuntimeError(f'"{name}" not implemented for \'Bool\'')


def _long_name(d):
    return {'float32': 'float', 'float64': 'double', 'float16': 'c10::Half',
            'bfloat16': 'c10::BFloat16', 'int64': 'long int', 'int32': 'int',
            'int16': 'short int', 'int8': 'signed char', 'uint8': 'unsigned char',
            'bool': 'bool', 'complex64': 'c10::complex<float>',
            'complex128': 'c10::complex<double>'}[d.name]


def _record(cls, result, inputs, **attrs):
    if _grad_state.enabled and any(t is not None and t._requires_grad for t in inputs):
        node = cls.__new__(cls)
        node._connect(inputs)
        node.args = ()
        node.save(*inputs)
        for k, v in attrs.items():
            setattr(node, k, v)
        attach(node, result)
    return result


def _needs(node, i):
    return node.next_functions[i][0] is not None


class Mm(Op):
    node_name = 'MmBackward0'

    def backward(self, grad):
        a, b = self.saved
        return (grad.mm(b.t()) if _needs(self, 0) else None,
                a.t().mm(grad) if _needs(self, 1) else None)


def mm(input, mat2, *, out=None):
    """Matrix product of two 2-D tensors (no broadcasting)."""
    _check_pair(input, mat2, 'mm')
    if input._data.ndim != 2:
        raise RuntimeError('self must be a matrix')
    if mat2._data.ndim != 2:
        raise RuntimeError('mat2 must be a matrix')
    (n, k), (k2, m) = input._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})')
    result = make_tensor(np.matmul(input._data, mat2._data), input._dtype, input._device)
    return _out(_record(Mm, result, (input, mat2)), out)


def _out(result, out):
    if out is None:
        return result
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


class Bmm(Op):
    node_name = 'BmmBackward0'

    def backward(self, grad):
        a, b = self.saved
        return (grad.bmm(b.transpose(1, 2)) if _needs(self, 0) else None,
                a.transpose(1, 2).bmm(grad) if _needs(self, 1) else None)


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-D tensors with equal batch sizes."""
    _check_pair(input, mat2, 'bmm')
    if input._data.ndim != 3:
        raise RuntimeError('batch1 must be a 3D tensor')
    if mat2._data.ndim != 3:
        raise RuntimeError('batch2 must be a 3D tensor')
    (b1, n, k), (b2, k2, m) = input._data.shape, mat2._data.shape
    if b1 != b2 or k != k2:
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{b1}, {k}] but got: [{b2}, {k2}].')
    result = make_tensor(np.matmul(input._data, mat2._data), input._dtype, input._device)
    return _out(_record(Bmm, result, (input, mat2)), out)


class Dot(Op):
    node_name = 'DotBackward0'

    def backward(self, grad):
        a, b = self.saved
        return (grad * b if _needs(self, 0) else None, grad * a if _needs(self, 1) else None)


def dot(input, tensor, *, out=None):
    """Inner product of two 1-D tensors of equal length."""
    _check_pair(input, tensor, 'dot')
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f'1D tensors expected, but got {input._data.ndim}D and '
                           f'{tensor._data.ndim}D tensors')
    if input._data.shape[0] != tensor._data.shape[0]:
        raise RuntimeError(f'inconsistent tensor size, expected tensor [{input._data.shape[0]}] '
                           f'and src [{tensor._data.shape[0]}] to have the same number of '
                           'elements, but got '
                           f'{input._data.shape[0]} and {tensor._data.shape[0]} elements '
                           'respectively')
    result = make_tensor(np.asarray(np.dot(input._data, tensor._data)), input._dtype,
                         input._device)
    return _out(_record(Dot, result, (input, tensor)), out)


class Mv(Op):
    node_name = 'MvBackward0'

    def backward(self, grad):
        a, v = self.saved
        return (grad.unsqueeze(1) * v.unsqueeze(0) if _needs(self, 0) else None,
                a.t().mv(grad) if _needs(self, 1) else None)


def mv(input, vec, *, out=None):
    _check_pair(input, vec, 'mv')
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f'vector + matrix @ vector expected, got 1, {input._data.ndim}, '
                           f'{vec._data.ndim}')
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f'size mismatch, got input ({input._data.shape[0]}), mat '
                           f'({input._data.shape[0]}x{input._data.shape[1]}), vec '
                           f'({vec._data.shape[0]})')
    result = make_tensor(np.matmul(input._data, vec._data), input._dtype, input._device)
    return _out(_record(Mv, result, (input, vec)), out)


class Matmul(Op):
    """Broadcast batched product (the general case of matmul)."""
    node_name = 'UnsafeViewBackward0'

    def backward(self, grad):
        a, b = self.saved
        ga = gb = None
        if _needs(self, 0):
            ga = grad.matmul(b.transpose(-1, -2)).sum_to_size(a._data.shape)
        if _needs(self, 1):
            gb = a.transpose(-1, -2).matmul(grad).sum_to_size(b._data.shape)
        return ga, gb


def matmul(input, other, *, out=None):
    """Matrix product with PyTorch's rules: 1-D operands are promoted to matrices and the
    added dim removed afterwards; batch dims broadcast."""
    _check_pair(input, other, 'matmul')
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f'both arguments to matmul need to be at least 1D, but they are '
                           f'{da}D and {db}D')
    if da == 1 and db == 1:
        return dot(input, other, out=out)
    if da == 2 and db == 1:
        return mv(input, other, out=out)
    if da == 1 and db == 2:
        return _out(mm(input.unsqueeze(0), other).squeeze(0), out)
    if da == 2 and db == 2:
        return mm(input, other, out=out)
    if da >= 3 and db <= 2:
        # Fold the batch into rows: one GEMM, as PyTorch does.
        shape = input._data.shape
        rhs = other if db == 2 else other.unsqueeze(1)
        if shape[-1] != rhs._data.shape[0]:
            raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied '
                               f'({_prod(shape[:-1])}x{shape[-1]} and '
                               f'{rhs._data.shape[0]}x{rhs._data.shape[1]})')
        folded = input.reshape(-1, shape[-1]).mm(rhs)
        result = folded.view(shape[:-1] + (rhs._data.shape[1],))
        if db == 1:
            result = result.squeeze(-1)
        return _out(result, out)
    a, b = input, other
    if da == 1:
        a = a.unsqueeze(0)
    if db == 1:
        b = b.unsqueeze(-1)
    if a._data.shape[-1] != b._data.shape[-2]:
        raise RuntimeError(f'Expected size for first two dimensions of batch2 tensor to be: '
                           f'[{_prod(b._data.shape[:-2])}, {a._data.shape[-1]}] but got: '
                           f'[{_prod(b._data.shape[:-2])}, {b._data.shape[-2]}].')
    from .. import _layout
    try:
        _layout.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
    except RuntimeError as error:
        raise RuntimeError(str(error)) from None
    result = make_tensor(np.matmul(a._data, b._data), a._dtype, a._device)
    result = _record(Matmul, result, (a, b))
    if da == 1:
        result = result.squeeze(-2)
    if db == 1:
        result = result.squeeze(-1)
    return _out(result, out)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class Addmm(Op):
    node_name = 'AddmmBackward0'

    def backward(self, grad):
        bias, a, b = self.saved
        beta, alpha = self.beta, self.alpha
        g_bias = None
        if _needs(self, 0):
            g_bias = grad if beta == 1 else grad * beta
        ga = gb = None
        if _needs(self, 1):
            ga = grad.mm(b.t())
            if alpha != 1:
                ga = ga * alpha
        if _needs(self, 2):
            gb = a.t().mm(grad)
            if alpha != 1:
                gb = gb * alpha
        return g_bias, ga, gb


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``, with ``input`` broadcast to the result."""
    _check_pair(mat1, mat2, 'addmm')
    if mat1._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError('mat1 must be a matrix, got ' + f'{mat1._data.ndim}-D tensor'
                           if mat1._data.ndim != 2 else
                           f'mat2 must be a matrix, got {mat2._data.ndim}-D tensor')
    (n, k), (k2, m) = mat1._data.shape, mat2._data.shape
    if k != k2:
        raise RuntimeError(f'mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})')
    if input._dtype is not mat1._dtype:
        raise RuntimeError(f'self and mat2 must have the same dtype, but got '
                           f'{_long_name(input._dtype)} and {_long_name(mat1._dtype)}')
    product = np.matmul(mat1._data, mat2._data)
    if alpha != 1:
        product *= alpha
    bias = input._data if beta == 1 else input._data * beta
    try:
        np.add(product, bias, out=product) if beta != 0 else None
    except ValueError:
        raise RuntimeError(f'The expanded size of the tensor ({m}) must match the existing size '
                           f'({input._data.shape[-1]}) at non-singleton dimension 1.  Target '
                           f'sizes: [{n}, {m}].  Tensor sizes: {list(input._data.shape)}') \
            from None
    result = make_tensor(product, mat1._dtype, mat1._device)
    return _out(_record(Addmm, result, (input, mat1, mat2), beta=beta, alpha=alpha), out)


def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


_METHODS = ['mm', 'bmm', 'dot', 'mv', 'matmul', 'addmm', 'outer', 'ger']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.__matmul__ = matmul
Tensor.__rmatmul__ = lambda self, other: matmul(other, self)
