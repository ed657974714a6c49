"""Sorting and sets: sort, argsort, msort, topk, unique, unique_consecutive, and the counting
and searching ops bincount, histc, searchsorted, bucketize.

Sorts are stable (PyTorch's CPU sort is, and ``stable=True`` promises it); NaN sorts as the
largest value, as in PyTorch. A descending stable sort is the reversed ascending stable sort
of the reversed input, which keeps equal elements in their original order.
"""

__all__ = ['sort', 'argsort', 'msort', 'topk', 'unique', 'unique_consecutive', 'bincount',
           'histc', 'searchsorted', 'bucketize', 'isin']

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, attach
from ..return_types import make_return_type
from .indexing import lay_out, preserve_strides, _type_name, _NotImplementedNode

_grad_state = grad_mode.state
sort_type = make_return_type('sort', ('values', 'indices'))
topk_type = make_return_type('topk', ('values', 'indices'))
_OUT_TYPES = {sort_type: make_return_type('sort_out', ('values', 'indices')),
              topk_type: make_return_type('topk_out', ('values', 'indices'))}


def _check_tensor(x, name, arg='input', pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{_args.type_name(x)}")


def _stable_argsort(data, axis, descending):
    if not descending:
        return np.argsort(data, axis=axis, kind='stable')
    n = data.shape[axis]
    flipped = np.flip(data, axis)
    order = np.argsort(flipped, axis=axis, kind='stable')
    return (n - 1) - np.flip(order, axis)


def _check_sortable(input, name):
    if input._dtype.is_complex:
        raise RuntimeError(f'{name}(): Sort does not support complex dtypes on CPU')


# ---------------------------------------------------------------------------------------
# sort / argsort / msort / topk
# ---------------------------------------------------------------------------------------
class Sort(Op):
    node_name = 'SortBackward0'

    def backward(self, grad, grad_indices=None):
        shape = self._metas[0][0]
        if not shape:
            return grad
        from .creation import zeros
        return zeros(shape, dtype=grad._dtype, device=grad._device).scatter(
            self.args[0], self.indices, grad)


class Topk(Sort):
    node_name = 'TopkBackward0'


def _sorted_pair(input, dim, descending):
    """(values, int64 indices) sorted along ``dim``, laid out like ``empty_like(input)``."""
    data = input._data
    if data.ndim == 0:
        return data.copy(), np.zeros((), dtype=np.int64)
    order = _stable_argsort(data, dim, descending)
    values = np.take_along_axis(data, order, axis=dim)
    order = order.astype(np.int64, copy=False)
    if data.ndim > 1 and data.size:
        strides = preserve_strides(data.shape, input.stride())
        if strides is not None:
            return lay_out(values, strides), lay_out(order, strides)
    return np.asarray(values, order='C'), np.asarray(order, order='C')


def _record_pair(cls, input, values, indices, dim):
    device = input._device
    v = make_tensor(values, input._dtype, device)
    i = make_tensor(indices, dt.int64, device)
    if input._requires_grad and _grad_state.enabled:
        node = cls.__new__(cls)
        node._connect((input,))
        node.args = (dim,)
        node.indices = i
        attach(node, v)
    return v, i


def _out_pair(result, out):
    if out is None:
        return result
    from .elementwise import copy_into_out
    copy_into_out(result[0], out[0])
    copy_into_out(result[1], out[1])
    return _OUT_TYPES[type(result)](out[0], out[1])


def sort(input, dim=-1, descending=False, stable=False, *, axis=_args.NO_AXIS, out=None):
    """Sort along ``dim``: the named tuple ``(values, indices)``. Stable; NaN counts as the
    largest value."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'sort')
    _check_tensor(input, 'sort')
    _check_sortable(input, 'sort')
    dim = _layout.normalize_dim(dim, input._data.ndim)
    values, indices = _sorted_pair(input, dim, descending)
    return _out_pair(sort_type(*_record_pair(Sort, input, values, indices, dim)), out)


def _sort_method(self, dim=-1, descending=False, stable=False, *, axis=_args.NO_AXIS):
    return sort(self, dim, descending, stable, axis=axis)


def argsort(input, dim=-1, descending=False, stable=False, *, axis=_args.NO_AXIS):
    """The indices that sort ``input`` along ``dim`` (int64)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'argsort')
    _check_tensor(input, 'argsort')
    _check_sortable(input, 'argsort')
    dim = _layout.normalize_dim(dim, input._data.ndim)
    return make_tensor(_sorted_pair(input, dim, descending)[1], dt.int64, input._device)


def msort(input, *, out=None):
    """``input`` sorted along its first dim (the values of ``sort(input, dim=0)``)."""
    _check_tensor(input, 'msort')
    result = sort(input, 0).values
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def topk(input, k, dim=-1, largest=True, sorted=True, *, axis=_args.NO_AXIS,  # noqa: A002
         out=None):
    """The ``k`` largest (or with ``largest=False`` smallest) elements along ``dim``: the
    named tuple ``(values, indices)``."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'topk')
    _check_tensor(input, 'topk')
    data = input._data
    if input._dtype is dt.bool:
        raise RuntimeError('"topk_cpu" not implemented for \'Bool\'')
    _check_sortable(input, 'topk')
    ndim = data.ndim
    dim = _layout.normalize_dim(dim, ndim)
    size = data.shape[dim] if ndim else 1
    k = k if type(k) is int else _args.as_int(k, 'topk', 'k', 1)
    if not 0 <= k <= size:
        raise RuntimeError('selected index k out of range')
    if ndim == 0:
        values, indices = data.copy(), np.zeros((), dtype=np.int64)
    else:
        order = _stable_argsort(data, dim, largest)
        key = (slice(None),) * dim + (slice(0, k),)
        order = np.asarray(order[key], order='C').astype(np.int64, copy=False)
        values = np.asarray(np.take_along_axis(data, order, axis=dim), order='C')
        indices = order
    result = topk_type(*_record_pair(Topk, input, values, indices, dim))
    return _out_pair(result, out)


# ---------------------------------------------------------------------------------------
# unique / unique_consecutive
# ---------------------------------------------------------------------------------------
class _NoDerivative(Op):
    """A node PyTorch records on a result whose derivative it does not implement."""

    def backward(self, *grads):
        # PyTorch's not_implemented() for these raises NotImplementedError.
        raise NotImplementedError(f'the derivative for \'{self.what}\' is not implemented.')


class Unique2(_NoDerivative):
    node_name = 'Unique2Backward0'
    what = '_unique2'


class UniqueDim(_NoDerivative):
    node_name = 'UniqueDimBackward0'
    what = 'unique_dim'


class UniqueConsecutive(_NoDerivative):
    node_name = 'UniqueConsecutiveBackward0'
    what = 'unique_consecutive'


def _finish_unique(cls, input, output, inverse, counts, return_inverse, return_counts):
    device = input._device
    out = make_tensor(output, input._dtype, device)
    if input._requires_grad and _grad_state.enabled:
        node = cls.__new__(cls)
        node._connect((input,))
        node.args = ()
        attach(node, out)
    if not return_inverse and not return_counts:
        return out
    result = [out]
    if return_inverse:
        result.append(make_tensor(inverse.astype(np.int64, copy=False), dt.int64, device))
    if return_counts:
        result.append(make_tensor(counts.astype(np.int64, copy=False), dt.int64, device))
    return tuple(result)


def _along(data, picked, dim):
    """The slices ``picked`` along ``dim``, laid out as PyTorch leaves them: computed with
    ``dim`` moved to the front and moved back (so ``dim`` is the outermost in memory)."""
    moved = np.ascontiguousarray(np.take(np.moveaxis(data, dim, 0), picked, axis=0))
    return np.moveaxis(moved, 0, dim)


def _slices_along(data, dim):
    """``data`` as a 2-D array with one row per index along ``dim``."""
    moved = np.moveaxis(data, dim, 0)
    return moved.reshape(moved.shape[0], -1), moved.shape


def _check_empty_dims(data, dim):
    """PyTorch's rule for empty inputs with ``dim``: an empty selected dim gives empty
    results; another empty dim is an error."""
    if data.size:
        return None
    if data.shape[dim] == 0:
        none = np.zeros(0, dtype=np.int64)
        return np.array(data, order='C'), none, none
    raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                       'cannot be applied')


def unique(input, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
           dim=None):
    """The distinct elements of ``input`` (sorted; NaNs are all distinct), or with ``dim``
    its distinct slices along ``dim``. Optionally also the inverse indices (where each
    element went) and the counts."""
    _check_tensor(input, 'unique')
    data = input._data
    if dim is None:
        flat = data.reshape(-1)
        values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True,
                                            equal_nan=False)
        inverse = inverse.reshape(data.shape)
        return _finish_unique(Unique2, input, np.asarray(values, order='C'), inverse, counts,
                              return_inverse, return_counts)
    if data.ndim == 0:
        raise IndexError(f'Dimension specified as {dim} but tensor has no dimensions')
    dim = _layout.normalize_dim(dim, data.ndim)
    n = data.shape[dim]
    empty = _check_empty_dims(data, dim)
    if empty is not None:
        return _finish_unique(UniqueDim, input, empty[0], empty[1], empty[2], return_inverse,
                              return_counts)
    rows, moved_shape = _slices_along(data, dim)
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(n)
    ordered = rows[order]
    new_group = np.ones(n, dtype=np.bool_)
    new_group[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    group_of_sorted = np.cumsum(new_group) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group_of_sorted
    counts = np.bincount(group_of_sorted).astype(np.int64)
    picked = order[new_group]
    output = _along(data, picked, dim)
    return _finish_unique(UniqueDim, input, output, inverse, counts, return_inverse,
                          return_counts)


def _unique_method(self, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
                   dim=None):
    return unique(self, sorted, return_inverse, return_counts, dim)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one."""
    _check_tensor(input, 'unique_consecutive')
    data = input._data
    if dim is None:
        flat = data.reshape(-1)
        starts = np.ones(flat.shape[0], dtype=np.bool_)
        starts[1:] = flat[1:] != flat[:-1]
        values = flat[starts]
        inverse = (np.cumsum(starts) - 1).reshape(data.shape)
        counts = np.diff(np.append(np.flatnonzero(starts), flat.shape[0]))
        return _finish_unique(UniqueConsecutive, input, np.array(values, order='C'), inverse,
                              counts, return_inverse, return_counts)
    if data.ndim == 0:
        raise IndexError(f'Dimension specified as {dim} but tensor has no dimensions')
    dim = _layout.normalize_dim(dim, data.ndim)
    empty = _check_empty_dims(data, dim)
    if empty is not None:
        return _finish_unique(UniqueConsecutive, input, empty[0], empty[1], empty[2],
                              return_inverse, return_counts)
    rows, _ = _slices_along(data, dim)
    n = rows.shape[0]
    starts = np.ones(n, dtype=np.bool_)
    if n > 1:
        starts[1:] = np.any(rows[1:] != rows[:-1], axis=1) if rows.shape[1] else False
    inverse = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), n))
    output = _along(data, np.flatnonzero(starts), dim)
    return _finish_unique(UniqueConsecutive, input, output, inverse, counts, return_inverse,
                          return_counts)


# ---------------------------------------------------------------------------------------
# bincount / histc
# ---------------------------------------------------------------------------------------
def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, 2, ... occurs in the 1-D non-negative integer ``input``
    (summing ``weights`` instead of counting, when given)."""
    _check_tensor(input, 'bincount')
    if input._dtype.category != 1 or input._dtype is dt.bool:
        raise NotImplementedError(f'"bincount_cpu" not implemented for '
                                  f'\'{_type_name(input._dtype)}\'')
    data = input._host_array()
    if minlength < 0:
        raise RuntimeError('minlength should be >= 0')
    if data.ndim != 1 or (data.size and data.min() < 0):
        raise RuntimeError('bincount only supports 1-d non-negative integral inputs.')
    device = input._device
    if weights is None:
        counts = np.bincount(data.astype(np.intp, copy=False), minlength=minlength)
        return make_tensor(counts.astype(np.int64, copy=False), dt.int64, device)
    _check_tensor(weights, 'bincount', 'weights', 2)
    w = weights._host_array()
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError('weights should be 1-d and have the same length as input')
    out_dtype = weights._dtype if weights._dtype in (dt.float32, dt.float64) else dt.float64
    sums = np.bincount(data.astype(np.intp, copy=False), weights=w.astype(np.float64),
                       minlength=minlength)
    result = make_tensor(sums.astype(out_dtype.numpy_dtype), out_dtype, device)
    if weights._requires_grad and _grad_state.enabled:
        node = _NotImplementedNode.__new__(_NotImplementedNode)
        node._connect((weights,))
        node.args = ()
        node.what = 'bincount'
        attach(node, result)
    return result


def _fmt(value):
    if value != value:
        return 'nan'
    if value in (float('inf'), float('-inf')):
        return 'inf' if value > 0 else '-inf'
    return f'{value:g}'


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002
    """A histogram of ``input`` with ``bins`` equal-width bins over ``[min, max]`` (the data's
    own range when ``min == max``); elements outside the range are ignored."""
    _check_tensor(input, 'histc')
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"histogram_cpu" not implemented for '
                                  f'\'{_type_name(input._dtype)}\'')
    if bins <= 0:
        raise RuntimeError(f'torch.histogram(): bins must be > 0, but got {bins} for '
                           'dimension 0')
    data = input._host_array()
    compute = np.float32 if data.dtype.itemsize < 4 else data.dtype.type
    flat = data.reshape(-1).astype(compute, copy=False)
    low, high = float(min), float(max)
    if low == high and flat.size:
        low, high = float(flat.min()), float(flat.max())
    if low > high:
        raise RuntimeError('torch.histc: max must be larger than min')
    if low == high:
        low -= 1
        high += 1
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f'torch.histc: range of [{_fmt(low)}, {_fmt(high)}] is not finite')
    lo = compute(low)
    hi = compute(high)
    inside = flat[(flat >= lo) & (flat <= hi)]
    with np.errstate(all='ignore'):
        pos = ((inside - lo) / (hi - lo) * compute(bins)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    counts = np.bincount(pos, minlength=bins)[:bins]
    result = make_tensor(counts.astype(data.dtype), input._dtype, input._device)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


# ---------------------------------------------------------------------------------------
# searchsorted / bucketize
# ---------------------------------------------------------------------------------------
def _search_values(values, boundaries):
    """(values array, is_scalar, compute dtype) for a tensor or Python number."""
    if isinstance(values, Tensor):
        compute = dt.promote_types(values._dtype, boundaries._dtype)
        return values._host_array(), False, compute
    if isinstance(values, (bool, int, float)):
        compute = dt.result_type_of([boundaries._dtype], [], [values])
        return np.array(values), True, compute
    raise TypeError(f"searchsorted(): argument 'input' must be Tensor or Number, not "
                    f"{type(values).__name__}")


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,  # noqa
                 sorter=None, out=None):
    """For each value of ``input``, the index where it would be inserted into the innermost
    dim of ``sorted_sequence`` to keep it sorted: before equal entries (``side='left'``) or
    after them (``right=True`` / ``side='right'``)."""
    _check_tensor(sorted_sequence, 'searchsorted', 'sorted_sequence', 1)
    seq = sorted_sequence._host_array()
    if seq.ndim == 0:
        raise RuntimeError('torch.searchsorted(): boundaries tensor should have positive '
                           'dimension, but got 0 dimension')
    if side is not None:
        if side not in ('left', 'right'):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f'got {side}')
        if right and side == 'left':
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               'opposites, got side of left while right was True')
        right = side == 'right'
    values, scalar, compute = _search_values(input, sorted_sequence)
    if seq.ndim > 1 and (scalar or values.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError('torch.searchsorted(): boundaries tensor should be 1 dimension or '
                           'the first N-1 dimensions of boundaries tensor and input value '
                           f'tensor must match, but we got boundaries tensor {list(seq.shape)} '
                           f'and input value tensor {list(values.shape)}')
    if sorter is not None:
        _check_tensor(sorter, 'searchsorted', 'sorter', 3)
        if sorter._dtype is not dt.int64:
            raise RuntimeError('torch.searchsorted(): sorter must be a tensor of long dtype but '
                               f'got dtype {sorter._dtype}')
        order = sorter._host_array()
        if order.shape != seq.shape:
            raise RuntimeError('torch.searchsorted(): boundary and sorter must have the same '
                               f'size, but got boundary tensor {list(seq.shape)}and got sorter '
                               f'tensor {list(order.shape)}')
        if order.size and (order.min() < 0 or order.max() >= seq.shape[-1]):
            raise RuntimeError('torch.searchsorted(): sorter index out of range')
        seq = np.take_along_axis(seq, order, axis=-1)
    np_dtype = compute.numpy_dtype
    seq = seq.astype(np_dtype, copy=False)
    values = values.astype(np_dtype, copy=False)
    which = 'right' if right else 'left'
    if seq.ndim == 1:
        result = np.searchsorted(seq, values, side=which)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        result = np.empty(vals.shape, dtype=np.int64)
        for i in range(rows.shape[0]):
            result[i] = np.searchsorted(rows[i], vals[i], side=which)
        result = result.reshape(values.shape)
    out_dtype = dt.int32 if out_int32 else dt.int64
    result = make_tensor(np.asarray(result, dtype=out_dtype.numpy_dtype, order='C'), out_dtype,
                         sorted_sequence._device)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The index of the bucket of 1-D ``boundaries`` that each value falls in:
    ``boundaries[i-1] < x <= boundaries[i]`` (with ``right=True``: ``boundaries[i-1] <= x <
    boundaries[i]``)."""
    _check_tensor(boundaries, 'bucketize', 'boundaries', 2)
    if boundaries._data.ndim != 1:
        raise RuntimeError('boundaries tensor must be 1 dimension, but got dim('
                           f'{boundaries._data.ndim})')
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` occurs in ``test_elements`` (either may be a
    number), as a bool tensor of ``elements``' shape; ``invert`` negates."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError('isin() received an invalid combination of arguments: at least one of '
                        'elements and test_elements must be a Tensor')
    ref = elements if isinstance(elements, Tensor) else test_elements

    def parts(x):
        if isinstance(x, Tensor):
            return x._host_array(), x._dtype, x._data.ndim
        return np.array(x), None, 0
    a, a_dtype, a_ndim = parts(elements)
    b, b_dtype, _ = parts(test_elements)
    if a_dtype is not None and b_dtype is not None:
        compute = dt.promote_types(a_dtype, b_dtype)
    else:
        known = a_dtype if a_dtype is not None else b_dtype
        number = elements if a_dtype is None else test_elements
        compute = dt.result_type_of([known], [], [number])
    np_dtype = compute.numpy_dtype
    result = np.isin(a.astype(np_dtype), b.astype(np_dtype), invert=invert)
    return make_tensor(np.asarray(result, dtype=np.bool_).reshape(a.shape), dt.bool,
                       ref._device)


Tensor.sort = _sort_method
Tensor.argsort = argsort
Tensor.msort = msort
Tensor.topk = topk
Tensor.unique = _unique_method
Tensor.unique_consecutive = unique_consecutive
Tensor.bincount = bincount
Tensor.histc = histc
