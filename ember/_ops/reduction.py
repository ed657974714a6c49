"""Reductions: sums and means, extrema, statistics, norms, cumulative ops, order statistics.

Each op reduces all dims (``dim=None``) or the dims it is given (an int or a tuple, negative
dims allowed), optionally keeping them as size-1 dims (``keepdim``). Results are contiguous
as in PyTorch. Ops that select elements (``max(dim)``, ``median``, ``kthvalue``, ``mode``)
send the gradient to the selected index; ``max()``/``amax``/``median()`` of ties share it
evenly, as PyTorch does.
"""

__all__ = ['sum', 'nansum', 'mean', 'nanmean', 'prod', 'max', 'min', 'amax', 'amin',
           'aminmax', 'argmax', 'argmin', 'std', 'var', 'std_mean', 'var_mean', 'norm',
           'logsumexp', 'cumsum', 'cumprod', 'cummax', 'cummin', 'any', 'all',
           'count_nonzero', 'median', 'nanmedian', 'mode', 'kthvalue', 'quantile',
           'nanquantile']

import builtins
import math
import warnings

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, attach
from ..return_types import make_return_type

_grad_state = grad_mode.state
_ndarray = np.ndarray
_INT = 1
_FLOAT = 2
values_indices = {name: make_return_type(name, ('values', 'indices'))
                  for name in ('max', 'min', 'mode', 'median', 'nanmedian', 'kthvalue',
                               'cummax', 'cummin', 'sort', 'topk')}
_aminmax_type = make_return_type('aminmax', ('min', 'max'))


# ---------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------
def _type_name(d):
    from .elementwise import _type_name as name
    return name(d)


def _contiguous(x):
    """A reduction result as a C-contiguous array with PyTorch's strides (NumPy keeps the
    input's axis order, and its size-1 dims may carry any stride)."""
    if type(x) is not _ndarray:
        return np.asarray(x)
    if x.ndim > 1:
        step = x.itemsize
        for size, stride in zip(reversed(x.shape), reversed(x.strides)):
            if stride != step and size:
                return x.copy(order='C')
            step *= size
    return x


_HALF = dt.HALF_NUMPY_DTYPES  # a live set: bfloat16 joins when ml_dtypes loads
_add_reduce = np.add.reduce


def _half(x):
    """Half precision accumulates in float32 as PyTorch's kernels do."""
    return x.dtype in _HALF


def _check_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f'{name}(): argument \'input\' (position 1) must be Tensor, not '
                        f'{_args.type_name(x)}')


def reduce_dims(input, dim):
    """Normalised reduction dims as a tuple, or None for 'all dims' (``None``, ``()`` or
    ``[]``). A 0-d tensor accepts dim 0 and -1."""
    ndim = input._data.ndim
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        dims = _layout.normalize_dims(tuple(dim), ndim if ndim else 1)
        return dims if ndim else ()
    d = _layout.normalize_dim(dim, ndim)
    return (d,) if ndim else ()


def _one_dim(input, dim):
    """A single dim normalised (0-d tensors accept 0 and -1)."""
    return _layout.normalize_dim(dim, input._data.ndim)


def _count(shape, dims):
    n = 1
    for d in (range(len(shape)) if dims is None else dims):
        n *= shape[d]
    return n


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


def _out(result, out, name=None):
    """Copy into ``out=``; (values, indices) ops return PyTorch's ``<op>_out`` tuple."""
    if out is None:
        return result
    from .elementwise import copy_into_out
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f'out must be a tuple of {len(result)} tensors')
        name = name or type(result).__name__
        kind = make_return_type(name + '_out', type(result)._fields)
        return kind(*[copy_into_out(r, o) for r, o in zip(result, out)])
    return copy_into_out(result, out)


def _out_dtype(dtype, out):
    """Reductions compute in the dtype of ``out=`` when no ``dtype`` is given."""
    if dtype is None and isinstance(out, Tensor):
        return out._dtype
    return dtype


def _nan_mask(x):
    return np.isnan(x) if x.dtype.kind in 'fc' else np.zeros(x.shape, dtype=bool)


def _empty_dim_error(name, shape, dims):
    """PyTorch's errors for reductions that have no identity (max, amax, argmax...)."""
    if dims is None:
        if 0 in shape:
            raise RuntimeError(f'{name}(): Expected reduction dim to be specified for '
                               'input.numel() == 0. Specify the reduction dim with the \'dim\' '
                               'argument.')
        return
    for d in dims:
        if shape and shape[d] == 0:
            raise IndexError(f'{name}(): Expected reduction dim {d} to have non-zero size.')


def _reduce(cls, input, *params):
    """``cls.apply(input, *params)`` for single-input, single-output reductions, without
    the generic argument scan (sum and mean are on many hot paths)."""
    out = cls.forward(None, input._data, *params)
    result = make_tensor(out, dt.from_numpy_dtype(out.dtype), input._device)
    if input._requires_grad and _grad_state.enabled:
        node = cls.__new__(cls)
        node._connect((input,))
        node.args = (None,) + params
        if cls.save_args:
            node.save(input)
        attach(node, result, cls.save_output)
    return result


# ---------------------------------------------------------------------------------------
# sum / nansum / mean / nanmean
# ---------------------------------------------------------------------------------------
class Sum(Op):
    node_name = 'SumBackward0'

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        if dims is None and not keepdim and np_dtype is None and x.dtype not in _HALF:
            return np.asarray(_add_reduce(x, axis=None))
        if np_dtype is None and x.dtype in _HALF:
            out = _add_reduce(x, axis=dims, dtype=np.float32, keepdims=keepdim).astype(x.dtype)
        else:
            out = _add_reduce(x, axis=dims, dtype=np_dtype, keepdims=keepdim)
        return _contiguous(out)

    def backward(self, grad):
        shape = self._metas[0][0]
        dims, keepdim = self.args[1], self.args[2]
        return (_restore_dims(grad, shape, dims, keepdim).expand(shape),)


class SumDim(Sum):
    node_name = 'SumBackward1'


def _sum_dtype(input, dtype):
    if dtype is not None:
        return dtype
    return dt.int64 if input._dtype.category < _FLOAT else input._dtype


def sum(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,  # noqa: A001
        dtype=None, out=None):
    """Sum of all elements, or over ``dim`` (int or tuple). Integers and bools sum to int64
    unless ``dtype`` says otherwise."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'sum')
    if keepdims is not None:
        keepdim = keepdims
    if dim is None and dtype is None and out is None and isinstance(input, Tensor) and \
            input._dtype.category >= _FLOAT and input._data.dtype not in _HALF:
        # The common ``loss.sum()``: no dims to normalise, no dtype to choose.
        return _reduce(Sum, input, None, False, None)
    _check_tensor(input, 'sum')
    dtype = _out_dtype(dtype, out)
    dims = reduce_dims(input, dim)
    target = _sum_dtype(input, dtype)
    np_dtype = None if target is input._dtype and target.category >= _FLOAT else \
        target.numpy_dtype
    result = _reduce(Sum if dim is None else SumDim, input, dims, keepdim, np_dtype)
    return result if out is None else _out(result, out)


class Nansum(Op):
    node_name = 'NansumBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, dims, keepdim, np_dtype):
        if x.dtype.kind in 'fc':
            x = np.where(np.isnan(x), 0, x).astype(x.dtype, copy=False)
        return Sum.forward(ctx, x, dims, keepdim, np_dtype)

    def backward(self, grad):
        x = self.saved[0]
        shape = self._metas[0][0]
        dims, keepdim = self.args[1], self.args[2]
        return (_restore_dims(grad, shape, dims, keepdim) * x.isnan().logical_not(),)


def nansum(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, dtype=None,
           out=None):
    """Sum treating NaN as zero."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'nansum')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'nansum')
    if input._dtype.is_complex:
        raise RuntimeError('nansum does not support complex inputs')
    dtype = _out_dtype(dtype, out)
    dims = reduce_dims(input, dim)
    target = _sum_dtype(input, dtype)
    np_dtype = None if target is input._dtype and target.category >= _FLOAT else \
        target.numpy_dtype
    return _out(_reduce(Nansum, input, dims, keepdim, np_dtype), out)


class Mean(Op):
    node_name = 'MeanBackward0'

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        count = _count(x.shape, dims) if x.ndim else 1
        if x.dtype in _HALF:
            total = _add_reduce(x, axis=dims, dtype=np.float32, keepdims=keepdim)
            return _contiguous(np.true_divide(total, count).astype(x.dtype))
        total = _add_reduce(x, axis=dims, keepdims=keepdim)
        return _contiguous(np.true_divide(total, x.dtype.type(count)))

    def backward(self, grad):
        shape = self._metas[0][0]
        dims, keepdim = self.args[1], self.args[2]
        count = _count(shape, dims)
        return (_restore_dims(grad, shape, dims, keepdim).expand(shape) / count
                if count else
                _restore_dims(grad, shape, dims, keepdim).expand(shape) * math.nan,)


class MeanDim(Mean):
    node_name = 'MeanBackward1'


def mean(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, dtype=None,
         out=None):
    """Arithmetic mean of all elements or over ``dim``; floating point or complex only
    (pass ``dtype`` to average integers)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'mean')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'mean')
    if isinstance(dim, dt.dtype):
        dim, dtype = None, dim
    if dtype is not None:
        input = input.to(dtype)
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError('mean(): could not infer output dtype. Input dtype must be either a '
                           'floating point or complex dtype. Got: '
                           f'{_type_name(input._dtype)}')
    dims = reduce_dims(input, dim)
    result = _reduce(Mean if dim is None else MeanDim, input, dims, keepdim)
    return result if out is None else _out(result, out)


def nanmean(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, dtype=None,
            out=None):
    """Mean of the non-NaN elements (NaN where there are none)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'nanmean')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'nanmean')
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError('nanmean(): expected input to have floating point or complex dtype '
                           f'but got {_type_name(input._dtype)}')
    valid = input.isnan().logical_not()
    result = nansum(input, dim, keepdim, dtype=dtype) / sum(valid, dim, keepdim)
    return _out(result, out)


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
    if lead and len(dims) == lead:
        return sum(input, dims)   # only leading dims go: a fresh array, no reshape view
    result = sum(input, dims, keepdim=True) if dims else input
    if lead:
        result = result.reshape(shape)
    return result


# ---------------------------------------------------------------------------------------
# prod
# ---------------------------------------------------------------------------------------
def _exclusive_products(x, dim):
    """For every element, the product of the others along ``dim`` (exact with zeros): the
    products before it times those after it, in tensor ops (so it differentiates again)."""
    from .joining import cat
    n = x._data.shape[dim]
    ones = x.new_ones(x._data.shape[:dim] + (1,) + x._data.shape[dim + 1:])
    before = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim)
    after = cat([ones, x.flip(dim).narrow(dim, 0, n - 1)], dim).cumprod(dim).flip(dim)
    return before * after


class Prod(Op):
    node_name = 'ProdBackward0'
    save_args = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dim, keepdim, np_dtype):
        if dim is None:
            return _contiguous(np.prod(x, dtype=np_dtype))
        out = np.prod(x, axis=dim, keepdims=keepdim, dtype=np_dtype) if x.ndim else \
            np.asarray(x, dtype=np_dtype).copy()
        return _contiguous(out)

    def backward(self, grad):
        x = self.saved[0]
        shape = self._metas[0][0]
        dim, keepdim = self.args[1], self.args[2]
        if not shape:
            return (grad,)
        dims = None if dim is None else (dim,)
        g = _restore_dims(grad, shape, dims, keepdim)
        if not (x._data == 0).any():
            return (g * _restore_dims(self.output, shape, dims, keepdim) / x,)
        # With zeros, divide-by-input fails: use the product of the other elements.
        if x._dtype is not self.output._dtype:
            x = x.to(self.output._dtype)
        if dim is None:
            others = _exclusive_products(x.reshape(-1), 0).reshape(shape)
        else:
            others = _exclusive_products(x, dim)
        return (g * others,)


class ProdDim(Prod):
    node_name = 'ProdBackward1'


def prod(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, dtype=None,
         out=None):
    """Product of all elements, or along one ``dim``. Integers and bools give int64."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'prod')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'prod')
    dtype = _out_dtype(dtype, out)
    if isinstance(dim, dt.dtype):
        dim, dtype = None, dim
    if isinstance(dim, (tuple, list)):
        raise TypeError(f'prod() received an invalid combination of arguments - got '
                        f'({type(dim).__name__}), but expected (int dim, bool keepdim = False, '
                        '*, torch.dtype dtype = None)')
    target = _sum_dtype(input, dtype)
    np_dtype = None if target is input._dtype and target.category >= _FLOAT else \
        target.numpy_dtype
    if dim is None:
        return _out(_reduce(Prod, input, None, False, np_dtype), out)
    d = _one_dim(input, dim)
    return _out(_reduce(ProdDim, input, d, keepdim, np_dtype), out)


# ---------------------------------------------------------------------------------------
# max / min and argmax / argmin
# ---------------------------------------------------------------------------------------
def _no_complex(input, name, kernel):
    if input._dtype.is_complex:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f'\'{_type_name(input._dtype)}\'')


class MaxAll(Op):
    node_name = 'MaxBackward1'
    save_args = (0,)
    save_output = True
    reducer = staticmethod(np.max)
    public = 'max'

    @classmethod
    def forward(cls, ctx, x):
        _empty_dim_error(cls.public, x.shape, None)
        return np.asarray(cls.reducer(x))

    def backward(self, grad):
        # Ties share the gradient evenly.
        x = self.saved[0]
        mask = (x == self.output)
        return (mask * (grad / mask.sum()),)


class MinAll(MaxAll):
    node_name = 'MinBackward1'
    reducer = staticmethod(np.min)
    public = 'min'


class MaxDim(Op):
    node_name = 'MaxBackward0'
    arg_reducer = staticmethod(np.argmax)
    public = 'max'

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        if x.ndim == 0:
            return x.copy(), np.zeros((), dtype=np.int64)
        _empty_dim_error(cls.public, x.shape, (dim,))
        indices = cls.arg_reducer(x, axis=dim, keepdims=True)
        values = np.take_along_axis(x, indices, axis=dim)
        if not keepdim:
            values = values.squeeze(dim)
            indices = indices.squeeze(dim)
        return _contiguous(values), _contiguous(indices.astype(np.int64, copy=False))

    def backward(self, grad, grad_indices=None):
        return (_select_backward(self, grad),)


class MinDim(MaxDim):
    node_name = 'MinBackward0'
    arg_reducer = staticmethod(np.argmin)
    public = 'min'


def _select_backward(node, grad):
    """The gradient of a value-selecting reduction: ``grad`` at the selected indices."""
    from .indexing import index_embed_along
    shape = node._metas[0][0]
    dim, keepdim = node.args[1], node.args[2]
    return index_embed_along(grad, node.indices, shape, dim, keepdim)


def _selecting(cls, name, input, dim, keepdim, *params):
    """Run a (values, indices) op and give its node the indices for backward."""
    values, indices = cls.apply(input, dim, keepdim, *params)
    if values._grad_fn is not None:
        values._grad_fn.indices = indices
    return values_indices[name](values, indices)


def _max_min(all_cls, dim_cls, pair_fn, input, dim, keepdim, other, name, out):
    _check_tensor(input, name)
    if isinstance(dim, Tensor):
        return pair_fn(input, dim, out=out)
    if other is not None:
        return pair_fn(input, other, out=out)
    if dim is None:
        _no_complex(input, name, f'{name}_all')
        return _out(all_cls.apply(input), out)
    _no_complex(input, name, f'{name}_cpu')
    d = _one_dim(input, dim)
    return _out(_selecting(dim_cls, name, input, d, keepdim), out, name)


def max(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,  # noqa: A001
        other=None, out=None):
    """Largest element; with ``dim``, the ``(values, indices)`` along it (the first index
    among ties, NaN wins); with a tensor, the elementwise maximum."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'max')
    if keepdims is not None:
        keepdim = keepdims
    from .elementwise import maximum
    return _max_min(MaxAll, MaxDim, maximum, input, dim, keepdim, other, 'max', out)


def min(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,  # noqa: A001
        other=None, out=None):
    """Smallest element; with ``dim``, the ``(values, indices)`` along it."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'min')
    if keepdims is not None:
        keepdim = keepdims
    from .elementwise import minimum
    return _max_min(MinAll, MinDim, minimum, input, dim, keepdim, other, 'min', out)


class Amax(Op):
    node_name = 'AmaxBackward0'
    save_args = (0,)
    save_output = True
    reducer = staticmethod(np.max)
    public = 'amax'

    @classmethod
    def forward(cls, ctx, x, dims, keepdim):
        _empty_dim_error(cls.public, x.shape, dims)
        return _contiguous(cls.reducer(x, axis=dims, keepdims=keepdim))

    def backward(self, grad):
        # Ties (per reduced slice) share the gradient evenly.
        x = self.saved[0]
        dims, keepdim = self.args[1], self.args[2]
        shape = self._metas[0][0]
        out = _restore_dims(self.output, shape, dims, keepdim)
        g = _restore_dims(grad, shape, dims, keepdim)
        mask = (x == out)
        count = sum(mask, dims, keepdim=True) if dims is not None else mask.sum()
        return (mask * (g / count),)


class Amin(Amax):
    node_name = 'AminBackward0'
    reducer = staticmethod(np.min)
    public = 'amin'


def amax(input, dim=(), keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, out=None):
    """Largest values over ``dim`` (all dims by default); ties share the gradient."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'amax')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'amax')
    _no_complex(input, 'amax', 'max_all')
    return _out(Amax.apply(input, reduce_dims(input, dim), keepdim), out)


def amin(input, dim=(), keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, out=None):
    """Smallest values over ``dim`` (all dims by default)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'amin')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'amin')
    _no_complex(input, 'amin', 'min_all')
    return _out(Amin.apply(input, reduce_dims(input, dim), keepdim), out)


class Aminmax(Op):
    node_name = 'AminmaxBackward0'
    save_args = (0,)

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        if dims and x.ndim and x.shape[dims[0]] == 0:
            raise IndexError(f'aminmax: Expected reduction dim {dims[0]} to have non-zero '
                             'size.')
        if x.size == 0 and dims is None:
            raise RuntimeError('aminmax(): cannot compute aminmax over an empty dimension as '
                               'the operation has no identity.')
        low = _contiguous(np.min(x, axis=dims, keepdims=keepdim))
        high = _contiguous(np.max(x, axis=dims, keepdims=keepdim))
        if ctx is not None:
            ctx.extrema = (low, high)
        return low, high

    def backward(self, grad_min, grad_max=None):
        x = self.saved[0]
        dims, keepdim = self.args[1], self.args[2]
        shape = self._metas[0][0]
        total = None
        for g, value in zip((grad_min, grad_max), self.extrema):
            if g is None:
                continue
            target = _restore_dims(make_tensor(value, x._dtype, x._device), shape, dims,
                                   keepdim)
            mask = (x == target)
            count = sum(mask, dims, keepdim=True) if dims is not None else mask.sum()
            part = mask * (_restore_dims(g, shape, dims, keepdim) / count)
            total = part if total is None else total + part
        return (total,)


def aminmax(input, *, dim=None, keepdim=False, out=None):
    """``(min, max)`` over ``dim`` (or all elements) as ``return_types.aminmax``."""
    _check_tensor(input, 'aminmax')
    dims = None if dim is None else (_one_dim(input, dim),) if input._data.ndim else ()
    low, high = Aminmax.apply(input, dims, keepdim)
    return _out(_aminmax_type(low, high), out, 'aminmax')


def _arg(fn, input, dim, keepdim, name):
    _check_tensor(input, name)
    if input._dtype is dt.bool:
        raise RuntimeError(f'{name}(): does not support bool input')
    data = input._data
    if dim is None:
        if data.size == 0:
            raise IndexError(f'{name}(): Expected reduction dim to be specified for '
                             'input.numel() == 0.')
        result = np.asarray(fn(data), dtype=np.int64)
        if keepdim:
            result = result.reshape((1,) * data.ndim)
    else:
        d = _one_dim(input, dim)
        if data.ndim == 0:
            result = np.zeros((), dtype=np.int64)
        else:
            _empty_dim_error(name, data.shape, (d,))
            result = fn(data, axis=d, keepdims=keepdim).astype(np.int64)
    return make_tensor(_contiguous(result), dt.int64, input._device)


def argmax(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, out=None):
    """Index of the largest element (of the flattened tensor, or along ``dim``)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'argmax')
    if keepdims is not None:
        keepdim = keepdims
    return _out(_arg(np.argmax, input, dim, keepdim, 'argmax'), out)


def argmin(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, out=None):
    """Index of the smallest element (of the flattened tensor, or along ``dim``)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'argmin')
    if keepdims is not None:
        keepdim = keepdims
    return _out(_arg(np.argmin, input, dim, keepdim, 'argmin'), out)


# ---------------------------------------------------------------------------------------
# var / std and their means
# ---------------------------------------------------------------------------------------
def _correction(dim, unbiased, correction):
    """PyTorch's overloads: ``var(unbiased)``, ``var(dim, unbiased, keepdim)`` and
    ``var(dim, *, correction, keepdim)``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    elif unbiased is not None:
        raise RuntimeError('Cannot specify both unbiased and correction arguments')
    return dim, correction


def _moments(x, dims, correction, name):
    """(variance, mean) of a NumPy array over ``dims``, keeping the reduced dims."""
    work = x.astype(np.float32) if _half(x) else x
    count = _count(x.shape, dims) if x.ndim else 1
    center = np.sum(work, axis=dims, keepdims=True) / count if count else \
        np.full([1] * x.ndim, np.nan, dtype=work.dtype)
    dev = work - center
    sq = (dev * np.conj(dev)).real if x.dtype.kind == 'c' else dev * dev
    dof = count - correction
    if dof <= 0:
        warnings.warn(f'{name}(): degrees of freedom is <= 0. Correction should be strictly '
                      'less than the reduction factor (input numel divided by output numel).',
                      UserWarning, stacklevel=4)
    variance = np.sum(sq, axis=dims, keepdims=True) / builtins.max(dof, 0)
    return variance, center


def _finish(a, dims, keepdim, dtype):
    if not keepdim and a.ndim:
        a = a.reshape([s for i, s in enumerate(a.shape)
                       if not (dims is None or i in dims)])
    return _contiguous(np.asarray(a).astype(dtype, copy=False))


def _var_grad(grad_var, x, dims, keepdim, correction, shape):
    """d var / dx: 2 (x - mean) / (N - correction)."""
    count = _count(shape, dims)
    center = x.mean(dims if dims is not None else None, keepdim=True) if count else x
    return _restore_dims(grad_var, shape, dims, keepdim) * (x - center) * (
        2.0 / builtins.max(count - correction, 0) if count - correction > 0 else math.inf)


def _std_to_var_grad(grad, std):
    return (grad / (std * 2)).masked_fill(std == 0, 0)


class Var(Op):
    node_name = 'VarBackward0'
    save_args = (0,)
    save_output = True
    public = 'var'

    @classmethod
    def forward(cls, ctx, x, dims, correction, keepdim):
        variance, _ = _moments(x, dims, correction, cls.public)
        result = np.sqrt(variance) if cls.public == 'std' else variance
        real = x.real.dtype if x.dtype.kind == 'c' else x.dtype
        return _finish(result, dims, keepdim, real)

    def backward(self, grad):
        x = self.saved[0]
        dims, correction, keepdim = self.args[1], self.args[2], self.args[3]
        return (_var_grad(grad, x, dims, keepdim, correction, self._metas[0][0]),)


class Std(Var):
    node_name = 'StdBackward0'
    public = 'std'

    def backward(self, grad):
        x = self.saved[0]
        dims, correction, keepdim = self.args[1], self.args[2], self.args[3]
        grad_var = _std_to_var_grad(grad, self.output)
        return (_var_grad(grad_var, x, dims, keepdim, correction, self._metas[0][0]),)


class VarMean(Op):
    node_name = 'VarMeanBackward0'
    save_args = (0,)
    save_output = True
    public = 'var_mean'

    @classmethod
    def forward(cls, ctx, x, dims, correction, keepdim):
        variance, center = _moments(x, dims, correction, cls.public.split('_')[0])
        first = np.sqrt(variance) if cls.public == 'std_mean' else variance
        real = x.real.dtype if x.dtype.kind == 'c' else x.dtype
        first = _finish(first, dims, keepdim, real)
        return first, _finish(center, dims, keepdim, x.dtype)

    def backward(self, grad_first, grad_mean=None):
        x = self.saved[0]
        dims, correction, keepdim = self.args[1], self.args[2], self.args[3]
        shape = self._metas[0][0]
        total = None
        if grad_first is not None:
            if self.public == 'std_mean':
                grad_first = _std_to_var_grad(grad_first, self.output)
            total = _var_grad(grad_first, x, dims, keepdim, correction, shape)
        if grad_mean is not None:
            part = _restore_dims(grad_mean, shape, dims, keepdim).expand(shape) / \
                builtins.max(_count(shape, dims), 1)
            total = part if total is None else total + part
        return (total,)


class StdMean(VarMean):
    node_name = 'StdMeanBackward0'
    public = 'std_mean'


def _var_common(cls, input, dim, unbiased, keepdim, correction):
    _check_tensor(input, cls.public)
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError('std and var only support floating point and complex dtypes')
    dim, correction = _correction(dim, unbiased, correction)
    return cls.apply(input, reduce_dims(input, dim), correction, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,
        correction=None, out=None):
    """Variance over ``dim`` (all dims by default), dividing by ``N - correction``
    (``unbiased=False`` means ``correction=0``)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'var')
    if keepdims is not None:
        keepdim = keepdims
    return _out(_var_common(Var, input, dim, unbiased, keepdim, correction), out)


def std(input, dim=None, unbiased=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,
        correction=None, out=None):
    """Standard deviation: the square root of ``var`` with the same arguments."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'std')
    if keepdims is not None:
        keepdim = keepdims
    return _out(_var_common(Std, input, dim, unbiased, keepdim, correction), out)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` computed together."""
    return tuple(_var_common(VarMean, input, dim, unbiased, keepdim, correction))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` computed together."""
    return tuple(_var_common(StdMean, input, dim, unbiased, keepdim, correction))


# ---------------------------------------------------------------------------------------
# norm, logsumexp
# ---------------------------------------------------------------------------------------
class VectorNorm(Op):
    node_name = 'LinalgVectorNormBackward0'
    save_args = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        work = x.astype(np.float32) if _half(x) else x
        a = np.abs(work)
        real = a.dtype
        if p == math.inf or p == -math.inf:
            if a.size == 0 and dims is None:
                raise RuntimeError('linalg.vector_norm cannot compute the inf norm on an empty '
                                   'tensor because the operation does not have an identity')
            for d in dims or ():
                if a.shape[d] == 0:
                    raise RuntimeError(f'linalg.vector_norm cannot compute the inf norm on the '
                                       f'dimension {d}because this dimension is empty and the '
                                       'operation does not have an identity')
            out = (np.max if p > 0 else np.min)(a, axis=dims, keepdims=keepdim)
        elif p == 0:
            out = np.sum(a != 0, axis=dims, keepdims=keepdim).astype(real)
        elif p == 1:
            out = np.sum(a, axis=dims, keepdims=keepdim)
        elif p == 2:
            out = np.sqrt(np.sum(a * a, axis=dims, keepdims=keepdim))
        else:
            out = np.power(np.sum(np.power(a, p), axis=dims, keepdims=keepdim), 1.0 / p)
        real_out = x.real.dtype if x.dtype.kind == 'c' else x.dtype
        return _contiguous(np.asarray(out).astype(real_out, copy=False))

    def backward(self, grad):
        x = self.saved[0]
        p, dims, keepdim = self.args[1], self.args[2], self.args[3]
        shape = self._metas[0][0]
        g = _restore_dims(grad, shape, dims, keepdim)
        result = _restore_dims(self.output, shape, dims, keepdim)
        if p == 0:
            return (x * 0 * g,)
        if p == 1:
            return (x.sgn() * g,)
        if p == 2:
            return ((x * (g / result)).masked_fill(result == 0, 0),)
        if p == math.inf or p == -math.inf:
            mask = (x.abs() == result)
            count = sum(mask, dims, keepdim=True) if dims is not None else mask.sum()
            return (x.sgn() * mask * (g / count),)
        scale = x.abs().pow(p - 1)
        if p < 1:
            scale = scale.masked_fill(x == 0, 0)
        return ((x.sgn() * scale * (g / result.pow(p - 1))).masked_fill(result == 0, 0),)


def _nuclear_norm(input, dims, keepdim):
    from ..linalg import matrix_norm
    return matrix_norm(input, 'nuc', dim=dims if dims is not None else (-2, -1),
                       keepdim=keepdim)


def norm(input, p='fro', dim=None, keepdim=False, out=None, dtype=None):
    """Vector norm over ``dim`` (all elements by default): ``p`` a number (``inf``, ``-inf``
    and 0 included) or ``'fro'`` (the 2-norm); ``'nuc'`` is the nuclear matrix norm."""
    _check_tensor(input, 'norm')
    if dtype is not None:
        input = input.to(dtype)
    if isinstance(dim, int):
        dims = (dim,)
    elif dim is None:
        dims = None
    else:
        dims = tuple(dim)
    if isinstance(p, str):
        if p == 'nuc':
            return _out(_nuclear_norm(input, dims, keepdim), out)
        if p != 'fro':
            raise RuntimeError(f'linalg.matrix_norm: Order {p} not supported.')
        if dims is not None and len(dims) > 2:
            raise RuntimeError('linalg.matrix_norm: dim must be a 2-tuple. Got '
                               + ' '.join(str(d) for d in dims))
        p = 2
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        raise RuntimeError('linalg.vector_norm: Expected a floating point or complex tensor '
                           f'as input. Got {_type_name(input._dtype)}')
    reduce = None if dims is None else reduce_dims(input, dims)
    return _out(VectorNorm.apply(input, float(p), reduce, keepdim), out)


class Logsumexp(Op):
    node_name = 'LogsumexpBackward0'
    save_args = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        work = x.astype(np.float32) if _half(x) else x
        if work.size:
            top = np.max(work, axis=dims, keepdims=True)
            top = np.where(np.isinf(top), 0, top).astype(work.dtype, copy=False)
            total = np.sum(np.exp(work - top), axis=dims, keepdims=True)
            out = np.log(total) + top
        else:
            out = np.log(np.sum(np.exp(work), axis=dims, keepdims=True))
        return _finish(out, dims, keepdim, x.dtype)

    def backward(self, grad):
        x = self.saved[0]
        dims, keepdim = self.args[1], self.args[2]
        shape = self._metas[0][0]
        g = _restore_dims(grad, shape, dims, keepdim)
        return (g * (x - _restore_dims(self.output, shape, dims, keepdim)).exp(),)


def logsumexp(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, out=None):
    """``log(sum(exp(input)))`` over ``dim``, computed without overflow."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'logsumexp')
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'logsumexp')
    if input._dtype.category < _FLOAT:
        input = input.to(dt.get_default_dtype())
    dims = reduce_dims(input, dim)
    return _out(Logsumexp.apply(input, dims, keepdim), out)


# ---------------------------------------------------------------------------------------
# cumulative ops
# ---------------------------------------------------------------------------------------
def _reverse_cumsum(grad, dim):
    """Sums from each position to the end along ``dim``, in differentiable tensor ops."""
    return grad.sum(dim, keepdim=True) - grad.cumsum(dim) + grad


class Cumsum(Op):
    node_name = 'CumsumBackward0'

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        if x.ndim == 0:
            return np.array(x, dtype=np_dtype)
        acc = np.float32 if _half(x) and np_dtype is None else np_dtype
        out = np.cumsum(x, axis=dim, dtype=acc)
        if acc is not np_dtype:
            out = out.astype(x.dtype)
        return _contiguous(out)

    def backward(self, grad):
        dim = self.args[1]
        if not self._metas[0][0]:
            return (grad,)
        return (_reverse_cumsum(grad, dim),)


class Cumprod(Op):
    node_name = 'CumprodBackward0'
    save_args = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, x, dim, np_dtype):
        if x.ndim == 0:
            return np.array(x, dtype=np_dtype)
        return _contiguous(np.cumprod(x, axis=dim, dtype=np_dtype))

    def backward(self, grad):
        x = self.saved[0]
        dim = self.args[1]
        if not self._metas[0][0]:
            return (grad,)
        if not (x._data == 0).any():
            return (_reverse_cumsum(grad * self.output, dim) / x,)
        if x._dtype is not grad._dtype:
            x = x.to(grad._dtype)
        return (_cumprod_grad(x, grad, dim),)


def _cumprod_grad(x, g, dim):
    """d(sum g * cumprod(x)) / dx where ``x`` has zeros, in tensor ops (so it differentiates
    again). Element i gets the sum over j >= i of g[j] times the product of x[:j+1] without
    x[i]. With z the first zero of a slice: before z that is reverse_cumsum(g * cumprod(x))
    / x; at z, the same sum with x[z] replaced by 1; after z, x[z] (zero, but its derivative
    is not) times this gradient for that replaced input, which has one zero fewer."""
    from .indexing import where
    zero = x._data == 0
    if not zero.any():
        return _reverse_cumsum(g * x.cumprod(dim), dim) / x
    seen = np.cumsum(zero, axis=dim)
    before = make_tensor(seen == 0, dt.bool, x._device)
    at_mask = zero & (seen == 1)
    at = make_tensor(at_mask, dt.bool, x._device)
    replaced = where(at, 1.0, x)
    result = _reverse_cumsum(g * replaced.cumprod(dim), dim)
    if ((seen > 0) & ~at_mask).any():      # positions after a slice's first zero
        first_zero = (x * at).sum(dim, keepdim=True)
        result = where(at, result, first_zero * _cumprod_grad(replaced, g, dim))
    prefix = _reverse_cumsum(g * x.cumprod(dim), dim) / where(before, x, 1.0)
    return where(before, prefix, result)


def _cumulative(cls, input, dim, dtype, name):
    _check_tensor(input, name)
    d = _one_dim(input, dim)
    target = _sum_dtype(input, dtype)
    np_dtype = None if target is input._dtype and target.category >= _FLOAT else \
        target.numpy_dtype
    if np_dtype is not None and cls is Cumprod:
        input = input.to(target)
        np_dtype = None
    return cls.apply(input, d, np_dtype)


def cumsum(input, dim=None, *, axis=_args.NO_AXIS, dtype=None, out=None):
    """Running sums along ``dim``; integers and bools give int64."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'cumsum')
    if dim is None:
        raise TypeError('cumsum() missing 1 required positional arguments: "dim"')
    dtype = _out_dtype(dtype, out)
    return _out(_cumulative(Cumsum, input, dim, dtype, 'cumsum'), out)


def cumprod(input, dim, *, dtype=None, out=None):
    """Running products along ``dim``; integers and bools give int64."""
    dtype = _out_dtype(dtype, out)
    return _out(_cumulative(Cumprod, input, dim, dtype, 'cumprod'), out)


class Cummax(Op):
    node_name = 'CummaxBackward0'
    accumulate = staticmethod(np.maximum.accumulate)

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        if x.ndim == 0:
            return x.copy(), np.zeros((), dtype=np.int64)
        values = cls.accumulate(x, axis=dim)
        # The index moves to every new extremum, ties included; a NaN sticks (and so does
        # the index of the latest NaN).
        mark = (x == values) | _nan_mask(x)
        positions = np.arange(x.shape[dim], dtype=np.int64).reshape(
            [-1 if i == dim else 1 for i in range(x.ndim)])
        indices = np.maximum.accumulate(np.where(mark, positions, 0), axis=dim)
        return _contiguous(values), _contiguous(indices)

    def backward(self, grad, grad_indices=None):
        shape = self._metas[0][0]
        if not shape:
            return (grad,)
        from .creation import zeros
        dim = self.args[1]
        return (zeros(shape, dtype=grad._dtype, device=grad._device).scatter_add(
            dim, self.indices, grad),)


class Cummin(Cummax):
    node_name = 'CumminBackward0'
    accumulate = staticmethod(np.minimum.accumulate)


def cummax(input, dim, *, out=None):
    """Running maximum along ``dim`` and the index where it was reached."""
    _check_tensor(input, 'cummax')
    return _out(_selecting(Cummax, 'cummax', input, _one_dim(input, dim), False), out,
                'cummax')


def cummin(input, dim, *, out=None):
    """Running minimum along ``dim`` and the index where it was reached."""
    _check_tensor(input, 'cummin')
    return _out(_selecting(Cummin, 'cummin', input, _one_dim(input, dim), False), out,
                'cummin')


# ---------------------------------------------------------------------------------------
# any / all / count_nonzero
# ---------------------------------------------------------------------------------------
def _logical_reduce(fn, input, dim, keepdim, name):
    _check_tensor(input, name)
    dims = reduce_dims(input, dim)
    result = np.asarray(fn(input._data, axis=dims, keepdims=keepdim))
    out_dtype = dt.uint8 if input._dtype is dt.uint8 else dt.bool
    return make_tensor(_contiguous(result.astype(out_dtype.numpy_dtype, copy=False)),
                       out_dtype, input._device)


def any(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,  # noqa: A001
        out=None):
    """Whether any element (along ``dim``) is non-zero."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'any')
    if keepdims is not None:
        keepdim = keepdims
    return _out(_logical_reduce(np.any, input, dim, keepdim, 'any'), out)


def all(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None,  # noqa: A001
        out=None):
    """Whether all elements (along ``dim``) are non-zero."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'all')
    if keepdims is not None:
        keepdim = keepdims
    return _out(_logical_reduce(np.all, input, dim, keepdim, 'all'), out)


def count_nonzero(input, dim=None):
    """Number of non-zero elements over ``dim`` (int or tuple; all dims by default)."""
    _check_tensor(input, 'count_nonzero')
    dims = reduce_dims(input, dim)
    result = np.asarray(np.count_nonzero(input._data, axis=dims)).astype(np.int64)
    return make_tensor(_contiguous(result), dt.int64, input._device)


# ---------------------------------------------------------------------------------------
# order statistics: median, nanmedian, kthvalue, mode
# ---------------------------------------------------------------------------------------
def _stable_order(x, axis):
    """Indices that sort ``x`` along ``axis``, ties in their original order, NaN last."""
    return np.argsort(x, axis=axis, kind='stable')


def _median_index(x, axis, ignore_nan):
    """Index along ``axis`` of each slice's (lower) median."""
    order = _stable_order(x, axis)
    n = x.shape[axis]
    nans = _nan_mask(x)
    if ignore_nan:
        valid = n - nans.sum(axis=axis, keepdims=True)
        k = np.maximum((valid - 1) // 2, 0)
        return np.take_along_axis(order, k.astype(np.int64), axis=axis)
    index = np.take(order, [(n - 1) // 2], axis=axis)
    if nans.any():
        # A NaN anywhere makes the median NaN, reported at the first NaN.
        has_nan = nans.any(axis=axis, keepdims=True)
        index = np.where(has_nan, np.argmax(nans, axis=axis, keepdims=True), index)
    return index


class MedianAll(Op):
    node_name = 'MedianBackward0'
    save_args = (0,)
    save_output = True
    ignore_nan = False

    @classmethod
    def forward(cls, ctx, x):
        flat = x.reshape(-1)
        if flat.size == 0:
            # (PyTorch hands back NaN, or the smallest value of an integer type)
            return np.array(np.nan, dtype=x.dtype) if x.dtype.kind == 'f' else \
                np.array(np.iinfo(x.dtype).min, dtype=x.dtype)
        index = _median_index(flat, 0, cls.ignore_nan)
        return np.asarray(flat[index[0]])

    def backward(self, grad):
        # Elements equal to the median share its gradient evenly.
        x = self.saved[0]
        mask = (x == self.output)
        return (mask * (grad / mask.sum()),)


class NanmedianAll(MedianAll):
    node_name = 'NanmedianBackward0'
    ignore_nan = True


class MedianDim(Op):
    node_name = 'MedianBackward1'
    ignore_nan = False
    public = 'median'

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        if x.ndim == 0:
            return x.copy(), np.zeros((), dtype=np.int64)
        _empty_dim_error(cls.public, x.shape, (dim,))
        index = _median_index(x, dim, cls.ignore_nan)
        return _take(x, index, dim, keepdim)

    def backward(self, grad, grad_indices=None):
        return (_select_backward(self, grad),)


class NanmedianDim(MedianDim):
    node_name = 'NanmedianBackward1'
    ignore_nan = True
    public = 'nanmedian'


def _take(x, index, dim, keepdim):
    values = np.take_along_axis(x, index, axis=dim)
    if not keepdim:
        values = values.squeeze(dim)
        index = index.squeeze(dim)
    return _contiguous(values), _contiguous(index.astype(np.int64, copy=False))


def _no_bool(input, kernel):
    if input._dtype is dt.bool:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _bool_selection_check(input, dim, name, kernel, scalar_ok=False):
    """An empty reduced dim is an IndexError; otherwise bool inputs with elements are
    refused (empty ones give empty results; kthvalue passes a 0-d one through)."""
    shape = input._data.shape
    if shape and shape[dim] == 0:
        raise IndexError(f'{name}(): Expected reduction dim {dim} to have non-zero size.')
    if input._data.size and (input._data.ndim or not scalar_ok):
        _no_bool(input, kernel)


def median(input, dim=None, keepdim=False, *, axis=_args.NO_AXIS, keepdims=None, out=None):
    """The lower median of all elements (NaN if any is NaN); with ``dim``, the
    ``(values, indices)`` of the median along it."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'median')
    if keepdims is not None:
        keepdim = keepdims
    _check_tensor(input, 'median')
    if dim is None:
        if input._dtype is dt.bool:
            if input._data.size == 0:
                return make_tensor(np.array(True), dt.bool, input._device)
            _no_bool(input, 'median_cpu')
        return _out(MedianAll.apply(input), out)
    d = _one_dim(input, dim)
    _bool_selection_check(input, d, 'median', 'median_out')
    return _out(_selecting(MedianDim, 'median', input, d, keepdim), out, 'median')


def nanmedian(input, dim=None, keepdim=False, *, out=None):
    """``median`` ignoring NaN (NaN only where a slice is all NaN)."""
    _check_tensor(input, 'nanmedian')
    if dim is None:
        if input._dtype is dt.bool:
            if input._data.size == 0:
                return make_tensor(np.array(True), dt.bool, input._device)
            _no_bool(input, 'nanmedian_cpu')
        return _out(NanmedianAll.apply(input), out)
    d = _one_dim(input, dim)
    _bool_selection_check(input, d, 'nanmedian', 'median_out')
    return _out(_selecting(NanmedianDim, 'nanmedian', input, d, keepdim), out, 'nanmedian')


class Kthvalue(Op):
    node_name = 'KthvalueBackward0'

    @staticmethod
    def forward(ctx, x, dim, keepdim, k):
        if x.ndim == 0:
            return x.copy(), np.zeros((), dtype=np.int64)
        order = _stable_order(x, dim)
        index = np.take(order, [k - 1], axis=dim)
        index = _resolve_ties(x, dim, index, k - 1)
        return _take(x, index, dim, keepdim)

    def backward(self, grad, grad_indices=None):
        return (_select_backward(self, grad),)


def _quickselect_index(values, k):
    """The index PyTorch's kthvalue reports among equal values: it selects with Sedgewick's
    median-of-three partition-exchange scheme (NaN counts as largest), which does not keep
    ties in order. ``values`` is one slice as a Python list."""
    vals = list(values)
    idx = list(range(len(vals)))

    def greater(a, b):
        return (a != a and b == b) or a > b

    def swap(i, j):
        vals[i], vals[j] = vals[j], vals[i]
        idx[i], idx[j] = idx[j], idx[i]

    lo, hi = 0, len(vals) - 1
    while hi > lo:
        if hi == lo + 1:
            if greater(vals[lo], vals[hi]):
                swap(lo, hi)
            break
        swap((lo + hi) >> 1, lo + 1)
        if greater(vals[lo + 1], vals[hi]):
            swap(lo + 1, hi)
        if greater(vals[lo], vals[hi]):
            swap(lo, hi)
        if greater(vals[lo + 1], vals[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, vals[lo]
        while True:
            i += 1
            while greater(pivot, vals[i]):
                i += 1
            j -= 1
            while greater(vals[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


def _resolve_ties(x, dim, index, k):
    """Redo the selection for the slices whose selected value occurs more than once (only
    there does the choice of index show)."""
    chosen = np.take_along_axis(x, index, axis=dim)
    same = (x == chosen)
    if x.dtype.kind in 'fc':
        same |= np.isnan(x) & np.isnan(chosen)
    tied = same.sum(axis=dim, keepdims=True) > 1
    if not tied.any():
        return index
    moved = np.moveaxis(x, dim, -1)
    out = np.moveaxis(index.copy(), dim, -1)
    for position in zip(*np.nonzero(np.moveaxis(tied, dim, -1)[..., 0])):
        out[position + (0,)] = _quickselect_index(moved[position].tolist(), k)
    return np.moveaxis(out, -1, dim)


def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    _check_tensor(input, 'kthvalue')
    d = _one_dim(input, dim)
    _bool_selection_check(input, d, 'kthvalue', 'kthvalue_cpu', scalar_ok=True)
    size = input._data.shape[d] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f'kthvalue(): selected number k out of range for dimension {d}')
    return _out(_selecting(Kthvalue, 'kthvalue', input, d, keepdim, k), out, 'kthvalue')


class Mode(Op):
    node_name = 'ModeBackward0'

    @staticmethod
    def forward(ctx, x, dim, keepdim):
        if x.ndim == 0:
            return x.copy(), np.zeros((), dtype=np.int64)
        if x.shape[dim] == 0:
            raise IndexError(f'mode(): Expected reduction dim {dim} to have non-zero size.')
        if x.size == 0:
            shape = list(x.shape)
            shape[dim] = 1
            return _take(np.empty(shape, dtype=x.dtype), np.zeros(shape, dtype=np.int64),
                         dim, keepdim)
        moved = np.moveaxis(x, dim, -1)
        n = moved.shape[-1]
        rows = moved.reshape(-1, n)
        ordered = np.sort(rows, axis=1)
        new_run = np.ones(ordered.shape, dtype=bool)
        new_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        positions = np.arange(n, dtype=np.int64)
        run_start = np.maximum.accumulate(np.where(new_run, positions, 0), axis=1)
        counts = positions - run_start + 1
        # The most frequent value; among equally frequent ones the smallest (the run that
        # reaches the count first in sorted order). Its index is its last occurrence.
        best = np.argmax(counts, axis=1)
        values = ordered[np.arange(rows.shape[0]), best]
        hits = rows == values[:, None]
        last = n - 1 - np.argmax(hits[:, ::-1], axis=1)
        shape = list(moved.shape[:-1])
        values = values.reshape(shape + [1])
        index = last.reshape(shape + [1])
        values = np.moveaxis(values, -1, dim)
        index = np.moveaxis(index, -1, dim)
        if not keepdim:
            values = values.squeeze(dim)
            index = index.squeeze(dim)
        return _contiguous(values), _contiguous(index.astype(np.int64, copy=False))

    def backward(self, grad, grad_indices=None):
        return (_select_backward(self, grad),)


def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the index of its last occurrence."""
    _check_tensor(input, 'mode')
    return _out(_selecting(Mode, 'mode', input, _one_dim(input, dim), keepdim), out, 'mode')


# ---------------------------------------------------------------------------------------
# quantile
# ---------------------------------------------------------------------------------------
_INTERPOLATIONS = ('linear', 'lower', 'higher', 'midpoint', 'nearest')


class Quantile(Op):
    """quantile/nanquantile. PyTorch composes them (sort, lerp, squeeze) and shows the final
    ``SqueezeBackward4``; here one node sends each quantile's gradient to the one or two
    order statistics it interpolates."""
    node_name = 'SqueezeBackward4'

    @staticmethod
    def forward(ctx, x, qs, dim, keepdim, interpolation, ignore_nan, scalar_q):
        if dim is None:
            rows = x.reshape(1, -1)
        else:
            rows = np.moveaxis(x, dim, -1)
            rows = rows.reshape(-1, rows.shape[-1])
        n = rows.shape[1]
        order = _stable_order(rows, 1)
        ordered = np.take_along_axis(rows, order, axis=1)
        nans = np.isnan(rows)
        count = (n - nans.sum(axis=1)) if ignore_nan else np.full(rows.shape[0], n)
        has_nan = nans.any(axis=1)
        q = np.asarray(qs, dtype=x.dtype).reshape(-1, 1)          # (Q, 1)
        rank = q * (np.maximum(count, 1) - 1).astype(x.dtype)      # (Q, R)
        if interpolation == 'lower':
            rank = np.floor(rank)
        elif interpolation == 'higher':
            rank = np.ceil(rank)
        elif interpolation == 'nearest':
            rank = np.round(rank)
        low = np.floor(rank).astype(np.int64)
        high = np.minimum(np.ceil(rank).astype(np.int64), n - 1)
        weight = rank - low
        if interpolation == 'midpoint':
            weight = np.where(high > low, 0.5, 0.0).astype(x.dtype)
        row_index = np.arange(rows.shape[0])
        below = ordered[row_index, low]
        above = ordered[row_index, high]
        from .elementwise import _lerp_kernel
        values = _lerp_kernel(below, above, weight.astype(x.dtype))
        invalid = (count == 0) | (has_nan & (not ignore_nan))
        values = np.where(invalid, np.nan, values).astype(x.dtype)
        if ctx is not None:
            ctx.plan = (order[row_index, low], order[row_index, high], weight, invalid,
                        rows.shape)
        return _quantile_shape(values, x.shape, dim, keepdim, scalar_q)

    def backward(self, grad):
        # The quantiles are fixed blends of order statistics: the gradient scatters each one
        # back to its two elements, in tensor ops (scatter_add's gradient is gather), so it
        # differentiates again.
        from .indexing import where
        low, high, weight, invalid, rows_shape = self.plan
        shape = self._metas[0][0]
        dim, keepdim, scalar_q = self.args[2], self.args[3], self.args[6]
        g = grad.unsqueeze(0) if scalar_q else grad
        if dim is not None and keepdim:
            g = g.squeeze(dim + 1)
        g = g.reshape(g._data.shape[0], -1)                         # (Q, R)
        device = grad._device
        if invalid.any():
            g = where(make_tensor(invalid, dt.bool, device), 0.0, g)
        w = make_tensor(weight.astype(grad._data.dtype), grad._dtype, device)
        out = grad.new_zeros(rows_shape)
        out = out.scatter_add(1, make_tensor(low.T, dt.int64, device), (g * (1 - w)).T)
        out = out.scatter_add(1, make_tensor(high.T, dt.int64, device), (g * w).T)
        if dim is None:
            return (out.reshape(shape),)
        moved = tuple(shape[:dim]) + tuple(shape[dim + 1:]) + (shape[dim],)
        return (out.reshape(moved).movedim(-1, dim),)


def _quantile_shape(values, shape, dim, keepdim, scalar_q):
    """(Q, rows) results in PyTorch's shape and layout: the quantiles come first (unless q
    is a number), as a transposed view of a contiguous (rows..., Q) array."""
    n_q = values.shape[0]
    if dim is None:
        outer = [1] * len(shape) if keepdim else []
    else:
        outer = list(shape[:dim]) + ([1] if keepdim else []) + list(shape[dim + 1:])
    out = np.ascontiguousarray(values.T).reshape(outer + [n_q])
    if scalar_q:
        return _contiguous(out[..., 0])
    return np.moveaxis(out, -1, 0)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    _check_tensor(input, name)
    if input._dtype not in (dt.float32, dt.float64):
        raise RuntimeError(f'{name}() input tensor must be either float or double dtype')
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f'{name}() interpolation must be one of linear, lower, higher, '
                           f'midpoint or nearest, but got {interpolation}')
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f'{name}() q must be a scalar or 1D tensor')
        if q._dtype is not input._dtype:
            raise RuntimeError(f'{name}() q tensor must be same dtype as the input tensor')
        qs = q._data.reshape(-1).tolist()
        scalar_q = q._data.ndim == 0
        if not builtins.all(0 <= v <= 1 for v in qs):
            raise RuntimeError(f'{name}() q values must be in the range [0, 1]')
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f'{name}() q must be in the range [0, 1] but got {q}')
        qs, scalar_q = [q], True
    if input._data.size == 0:
        raise RuntimeError(f'{name}() input tensor must be non-empty')
    d = None if dim is None else _one_dim(input, dim)
    if d is not None and input._data.ndim == 0:
        d = None
    return Quantile.apply(input, tuple(qs), d, keepdim, interpolation, ignore_nan, scalar_q)


def quantile(input, q, dim=None, keepdim=False, *, interpolation='linear', out=None):
    """The ``q``-quantiles (a number or a 1-D tensor of them in [0, 1]) over ``dim`` (the
    flattened input by default); NaN if a slice holds NaN. ``interpolation`` picks between
    the two nearest order statistics: linear, lower, higher, midpoint or nearest."""
    return _out(_quantile(input, q, dim, keepdim, interpolation, False, 'quantile'), out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation='linear', out=None):
    """``quantile`` ignoring NaN (NaN only where a slice is all NaN)."""
    return _out(_quantile(input, q, dim, keepdim, interpolation, True, 'nanquantile'), out)


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------
_METHODS = ['sum', 'nansum', 'mean', 'nanmean', 'sum_to_size', 'prod', 'max', 'min', 'amax',
            'amin', 'aminmax', 'argmax', 'argmin', 'std', 'var', 'norm', 'logsumexp',
            'cumsum', 'cumprod', 'cummax', 'cummin', 'any', 'all', 'count_nonzero', 'median',
            'nanmedian', 'mode', 'kthvalue', 'quantile', 'nanquantile']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
from .elementwise import inplace as _inplace  # noqa: E402

Tensor.cumsum_ = _inplace(cumsum)
Tensor.cumprod_ = _inplace(cumprod)
