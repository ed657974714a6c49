"""Reductions: sum, mean, max/min and friends, over all dims or chosen ones."""

__all__ = ['sum', 'nansum', 'mean', 'nanmean', 'max', 'min', 'amax', 'amin', 'argmax', 'argmin',
           'any', 'all', 'count_nonzero']

import builtins

import numpy as np

from .. import _dtype as dt
from .. import _layout
from .._tensor import Tensor, make_tensor
from ..autograd.function import Op
from ..return_types import make_return_type

_ndarray = np.ndarray
values_indices = {name: make_return_type(name, ('values', 'indices'))
                  for name in ('max', 'min', 'mode', 'median', 'nanmedian', 'kthvalue',
                               'cummax', 'cummin', 'sort', 'topk')}


def _array(x):
    return x if type(x) is _ndarray else np.asarray(x)


def reduce_dims(input, dim):
    """Normalised reduction dims as a tuple, or None for 'all dims'."""
    ndim = input._data.ndim
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        return _layout.normalize_dims(dim, ndim) if ndim else tuple(
            _layout.normalize_dim(d, 0) for d in dim) and ()
    d = _layout.normalize_dim(dim, ndim)
    return (d,) if ndim else ()


def _restore_dims(grad, input_shape, dims, keepdim):
    """Shape a reduced gradient so it broadcasts against the input again."""
    if dims is None:
        return grad.reshape((1,) * len(input_shape)) if input_shape else grad
    if not keepdim and dims:
        shape = list(grad._data.shape)
        for d in sorted(dims):
            shape.insert(d, 1)
        grad = grad.reshape(shape)
    return grad


# ---------------------------------------------------------------------------------------
# sum / mean
# ---------------------------------------------------------------------------------------
class Sum(Op):
    node_name = 'SumBackward0'

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        return _array(np.sum(x, axis=dims, keepdims=keepdim, dtype=np_dtype))

    def backward(self, grad):
        shape = self._metas[0][0]
        dims, keepdim = self.args[1], self.args[2]
        return _restore_dims(grad, shape, dims, keepdim).expand(shape)


class SumDim(Sum):
    node_name = 'SumBackward1'


def _sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return dt.int64 if input._dtype.category < 2 else input._dtype


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    """Sum of all elements, or over ``dim`` (int or tuple). Integers and bools sum to int64."""
    dims = reduce_dims(input, dim)
    target = _sum_dtype(input, dtype)
    cls = Sum if dim is None else SumDim
    data = input if target is input._dtype else input.to(target)
    result = cls.apply(data, dims, keepdim, None)
    return result if out is None else _out(result, out)


def _out(result, out):
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum treating NaN as zero."""
    from .indexing import where
    cleaned = where(input.isnan(), 0, input) if input._dtype.is_floating_point else input
    return sum(cleaned, dim, keepdim, dtype=dtype)


class Mean(Op):
    node_name = 'MeanBackward0'

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return _array(np.mean(x, axis=dims, keepdims=keepdim, dtype=x.dtype))

    def backward(self, grad):
        shape = self._metas[0][0]
        dims, keepdim = self.args[1], self.args[2]
        count = 1
        for d in (range(len(shape)) if dims is None else dims):
            count *= shape[d]
        return _restore_dims(grad, shape, dims, keepdim).expand(shape) / builtins.max(count, 1) \
            if count else _restore_dims(grad, shape, dims, keepdim).expand(shape) * np.nan


class MeanDim(Mean):
    node_name = 'MeanBackward1'


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    """Arithmetic mean of all elements or over ``dim``; floating point or complex only."""
    if dtype is not None:
        input = input.to(dtype)
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError('mean(): could not infer output dtype. Input dtype must be either a '
                           'floating point or complex dtype. Got: '
                           f'{_type_name(input._dtype)}')
    dims = reduce_dims(input, dim)
    result = (Mean if dim is None else MeanDim).apply(input, dims, keepdim)
    return result if out is None else _out(result, out)


def _type_name(d):
    from .elementwise import _type_name as name
    return name(d)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if not input._dtype.is_floating_point:
        raise RuntimeError('nanmean(): expected input to have floating point or complex dtype '
                           f'but got {_type_name(input._dtype)}')
    valid = input.isnan().logical_not()
    return nansum(input, dim, keepdim, dtype=dtype) / sum(valid, dim, keepdim).to(
        dtype or input._dtype)


def sum_to_size(input, *size):
    """Sum broadcast dims away so the result has ``size`` (the reverse of expand)."""
    from .creation import parse_size
    shape = parse_size(size, 'sum_to_size')
    current = input._data.shape
    if shape == current:
        return input
    lead = len(current) - len(shape)
    if lead < 0:
        raise RuntimeError(f'size {{{list(shape)}}} is not expandable to size '
                           f'{{{list(current)}}}.')
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and current[lead + i] != 1)
    for i, s in enumerate(shape):
        if s != 1 and s != current[lead + i]:
            raise RuntimeError(f'size {{{list(shape)}}} is not expandable to size '
                               f'{{{list(current)}}}.')
    result = sum(input, dims, keepdim=True) if dims else input
    if lead:
        result = result.reshape(shape)
    return result


# ---------------------------------------------------------------------------------------
# max / min and argmax / argmin
# ---------------------------------------------------------------------------------------
class MaxAll(Op):
    node_name = 'MaxBackward1'
    save_args = (0,)
    save_output = True
    reducer = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x):
        if x.size == 0:
            raise RuntimeError(f'{cls.public}(): Expected reduction dim to be specified for '
                               'input.numel() == 0. Specify the reduction dim with the \'dim\' '
                               'argument.')
        return _array(cls.reducer(x))

    public = 'max'

    def backward(self, grad):
        # Ties share the gradient evenly.
        x = self.saved[0]
        mask = (x == self.output)
        return mask * (grad / mask.sum())


class MinAll(MaxAll):
    node_name = 'MinBackward1'
    reducer = staticmethod(np.min)
    public = 'min'


class MaxDim(Op):
    node_name = 'MaxBackward0'
    arg_reducer = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        if x.shape[dim] == 0 if x.ndim else False:
            raise IndexError(f'{cls.public}(): Expected reduction dim {dim} to have non-zero size.')
        if x.ndim == 0:
            return x.copy(), np.zeros((), dtype=np.int64)
        indices = cls.arg_reducer(x, axis=dim, keepdims=True)
        values = np.take_along_axis(x, indices, axis=dim)
        if not keepdim:
            values = values.squeeze(dim)
            indices = indices.squeeze(dim)
        return values, indices.astype(np.int64)

    public = 'max'

    def backward(self, grad, grad_indices=None):
        from .indexing import index_embed_along
        shape = self._metas[0][0]
        dim, keepdim = self.args[1], self.args[2]
        return index_embed_along(grad, self.indices, shape, dim, keepdim)


class MinDim(MaxDim):
    node_name = 'MinBackward0'
    arg_reducer = staticmethod(np.argmin)
    public = 'min'


def _max_min(all_cls, dim_cls, pair_fn, input, dim, keepdim, other, name):
    if isinstance(dim, Tensor):
        return pair_fn(input, dim)
    if other is not None:
        return pair_fn(input, other)
    if dim is None:
        if input._dtype.is_complex:
            raise RuntimeError(f'{name}(): does not support complex input')
        return all_cls.apply(input)
    d = _layout.normalize_dim(dim, input._data.ndim)
    values, indices = dim_cls.apply(input, d, keepdim)
    if values._grad_fn is not None:
        values._grad_fn.indices = indices
    return values_indices[name](values, indices)


def max(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A001
    """Largest element; with ``dim``, the ``(values, indices)`` along it; with a tensor,
    the elementwise maximum."""
    from .elementwise import maximum
    return _max_min(MaxAll, MaxDim, maximum, input, dim, keepdim, other, 'max')


def min(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A001
    """Smallest element; with ``dim``, the ``(values, indices)`` along it."""
    from .elementwise import minimum
    return _max_min(MinAll, MinDim, minimum, input, dim, keepdim, other, 'min')


class Amax(Op):
    node_name = 'AmaxBackward0'
    save_args = (0,)
    save_output = True
    reducer = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        return _array(cls.reducer(x, axis=dims, keepdims=keepdim))

    def backward(self, grad):
        x = self.saved[0]
        dims, keepdim = self.args[1], self.args[2]
        shape = self._metas[0][0]
        out = _restore_dims(self.output, shape, dims, keepdim)
        g = _restore_dims(grad, shape, dims, keepdim)
        mask = (x == out)
        return mask * (g / sum(mask, dims, keepdim=True) if dims is not None
                       else g / mask.sum())


class Amin(Amax):
    node_name = 'AminBackward0'
    reducer = staticmethod(np.min)


def amax(input, dim=(), keepdim=False):
    return Amax.apply(input, reduce_dims(input, dim), keepdim)


def amin(input, dim=(), keepdim=False):
    return Amin.apply(input, reduce_dims(input, dim), keepdim)


def _arg(fn, input, dim, keepdim, name):
    data = input._data
    if dim is None:
        if data.size == 0:
            raise RuntimeError(f'{name}(): Expected reduction dim to be specified for '
                               'input.numel() == 0.')
        result = np.asarray(fn(data), dtype=np.int64)
        if keepdim:
            result = result.reshape((1,) * data.ndim)
    else:
        d = _layout.normalize_dim(dim, data.ndim)
        if data.ndim == 0:
            result = np.zeros((), dtype=np.int64)
        else:
            result = fn(data, axis=d, keepdims=keepdim).astype(np.int64)
    return make_tensor(_array(result), dt.int64, input._device)


def argmax(input, dim=None, keepdim=False):
    """Index of the largest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmax, input, dim, keepdim, 'argmax')


def argmin(input, dim=None, keepdim=False):
    return _arg(np.argmin, input, dim, keepdim, 'argmin')


# ---------------------------------------------------------------------------------------
# any / all / count_nonzero
# ---------------------------------------------------------------------------------------
def _logical_reduce(fn, input, dim, keepdim):
    dims = reduce_dims(input, dim)
    result = _array(fn(input._data, axis=dims, keepdims=keepdim))
    out_dtype = dt.uint8 if input._dtype is dt.uint8 else dt.bool
    return make_tensor(result.astype(out_dtype.numpy_dtype, copy=False), out_dtype,
                       input._device)


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Whether any element (along ``dim``) is non-zero."""
    return _logical_reduce(np.any, input, dim, keepdim)


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001
    """Whether all elements (along ``dim``) are non-zero."""
    return _logical_reduce(np.all, input, dim, keepdim)


def count_nonzero(input, dim=None):
    dims = reduce_dims(input, dim)
    result = _array(np.count_nonzero(input._data, axis=dims)).astype(np.int64)
    return make_tensor(result, dt.int64, input._device)


_METHODS = ['sum', 'nansum', 'mean', 'nanmean', 'sum_to_size', 'max', 'min', 'amax', 'amin',
            'argmax', 'argmin', 'any', 'all', 'count_nonzero']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
