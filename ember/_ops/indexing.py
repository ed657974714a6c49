"""Indexing: ``t[...]`` (basic indexing gives views, advanced indexing copies), ``t[...] = v``,
and the selection ops built on the same machinery (where, masked_fill, index_select...).
"""

__all__ = ['where', 'nonzero', 'argwhere', 'masked_fill', 'index_select', 'index_add', 'scatter',
           'gather', 'scatter_add', 'masked_select']

import numpy as np

from .. import _dtype as dt
from .. import _layout
from .._tensor import Tensor, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op, Node, attach, check_same_device
from .views import Select, Slice, IndexUnsqueeze

_grad_state = grad_mode.state
_BASIC = (int, slice, type(None), type(Ellipsis))


# ---------------------------------------------------------------------------------------
# parsing an index
# ---------------------------------------------------------------------------------------
def _normalize_item(item):
    """Turn 0-d integer tensors and NumPy ints into ints; keep everything else."""
    if isinstance(item, bool):
        return item
    if isinstance(item, (np.integer,)):
        return int(item)
    if isinstance(item, Tensor) and item._data.ndim == 0 and item._dtype.category == 1:
        return int(item.item())
    return item


def _is_basic(index):
    return all(type(i) in _BASIC for i in index)


def _expand_ellipsis(index, ndim):
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis and
                   not (isinstance(i, Tensor) and i._dtype is dt.bool) and
                   not (isinstance(i, np.ndarray) and i.dtype == np.bool_))
    bool_dims = sum(i._data.ndim for i in index if isinstance(i, Tensor) and
                    i._dtype is dt.bool)
    consumed += bool_dims
    n_ellipsis = sum(1 for i in index if i is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError('an index can only have a single ellipsis (\'...\')')
    if consumed > ndim:
        raise IndexError(f'too many indices for tensor of dimension {ndim}')
    if n_ellipsis == 0:
        return index + (slice(None),) * (ndim - consumed)
    at = index.index(Ellipsis)
    return index[:at] + (slice(None),) * (ndim - consumed) + index[at + 1:]


def _basic_view_geometry(shape, strides, index):
    """Normalised NumPy key and PyTorch strides for a basic index, raising PyTorch's
    errors for out-of-range ints and negative steps."""
    key = []
    out_strides = []
    d = 0
    for item in index:
        if item is None:
            out_strides.append(shape[d] * strides[d] if d < len(shape) else 1)
            key.append(None)
        elif type(item) is int:
            size = shape[d]
            if not -size <= item < size:
                raise IndexError(f'index {item} is out of bounds for dimension {d} with size '
                                 f'{size}')
            key.append(item + size if item < 0 else item)
            d += 1
        else:
            step = 1 if item.step is None else item.step
            if step <= 0:
                raise ValueError('step must be greater than zero')
            key.append(item)
            out_strides.append(strides[d] * step)
            d += 1
    return tuple(key), tuple(out_strides)


def getitem(self, index):
    """``t[index]``: ints, slices, None and ... give a view; lists, tensors and masks copy."""
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_normalize_item(i) for i in index)
    if _is_basic(index):
        ndim = self._data.ndim
        index = _expand_ellipsis(index, ndim)
        key, strides = _basic_view_geometry(self._data.shape, self.stride(), index)
        last = next((i for i in reversed(key) if not (type(i) is slice and i == slice(None))),
                    None)
        cls = Select if type(last) is int else IndexUnsqueeze if last is None and \
            any(k is None for k in key) else Slice
        return cls.apply(self, key, strides)
    return _advanced_getitem(self, index)


def _index_array(item, device):
    """An advanced index item as something NumPy indexes with (int64 or bool arrays)."""
    if isinstance(item, Tensor):
        if item._device is not device and not (item._device.type == 'cpu'):
            check_same_device([item, _DeviceProbe(device)])
        if item._dtype is dt.bool or item._dtype is dt.uint8:
            return item._data.astype(np.bool_, copy=False)
        if item._dtype.category != 1:
            raise IndexError('tensors used as indices must be long, int, byte or bool tensors')
        return item._data
    if isinstance(item, bool):
        return np.asarray(item)
    if isinstance(item, (list, tuple)):
        array = np.asarray(item)
        if array.dtype == np.bool_:
            return array
        if array.size == 0:
            return array.astype(np.int64)
        if array.dtype.kind not in 'iu':
            raise IndexError('tensors used as indices must be long, int, byte or bool tensors')
        return array.astype(np.int64, copy=False)
    if isinstance(item, np.ndarray):
        return item
    return item


class _DeviceProbe:
    def __init__(self, device):
        self._device = device
        self._data = np.zeros(1)


def _numpy_key(self, index):
    index = _expand_ellipsis(index, self._data.ndim)
    key = []
    d = 0
    shape = self._data.shape
    for item in index:
        item = _index_array(item, self._device)
        if type(item) is int:
            if not -shape[d] <= item < shape[d]:
                raise IndexError(f'index {item} is out of bounds for dimension {d} with size '
                                 f'{shape[d]}')
            d += 1
        elif isinstance(item, slice):
            if item.step is not None and item.step <= 0:
                raise ValueError('step must be greater than zero')
            d += 1
        elif isinstance(item, np.ndarray):
            if item.dtype == np.bool_:
                if item.ndim and item.shape != shape[d:d + item.ndim]:
                    raise IndexError(
                        f'The shape of the mask {list(item.shape)} at index {d} does not match '
                        f'the shape of the indexed tensor {list(shape[d:d + item.ndim])}'
                        if False else
                        f'The shape of the mask {list(item.shape)} at index 0 does not match '
                        f'the shape of the indexed tensor {list(shape[d:d + item.ndim])} at '
                        f'index {d}')
                d += item.ndim
            else:
                if item.size:
                    low, high = item.min(), item.max()
                    size = shape[d]
                    if low < -size or high >= size:
                        bad = int(high) if high >= size else int(low)
                        raise IndexError(f'index {bad} is out of bounds for dimension {d} with '
                                         f'size {size}')
                d += 1
        key.append(item)
    return tuple(key)


class Index(Op):
    node_name = 'IndexBackward0'

    @staticmethod
    def forward(ctx, x, key):
        return np.asarray(x[key])

    def backward(self, grad):
        shape, dtype, device = self._metas[0]
        return IndexPutAccumulate.apply(grad, shape, self.args[1])


class IndexPutAccumulate(Op):
    """Scatter-add ``grad`` into zeros of ``shape`` at ``key`` (the backward of indexing)."""
    node_name = 'IndexPutBackward0'

    @staticmethod
    def forward(ctx, grad, shape, key):
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, key, grad)
        return out

    def backward(self, grad):
        return Index.apply(grad, self.args[2])


def _advanced_getitem(self, index):
    key = _numpy_key(self, index)
    return Index.apply(self, key)


class CopySlices(Node):
    """History of a tensor after ``t[index] = value`` wrote into part of it."""

    def backward(self, grad):
        key = self.key
        grad_self = grad.clone() if self.needs_self else None
        if grad_self is not None:
            grad_self._data[key] = 0
        grad_value = None
        if self.value_shape is not None:
            grad_value = grad[key] if not isinstance(key, tuple) or key else grad
            grad_value = grad_value.sum_to_size(self.value_shape) \
                if grad_value._data.shape != self.value_shape else grad_value
        return grad_self, grad_value


def setitem(self, index, value):
    """``t[index] = value``: writes in place (through views too), broadcasting ``value``."""
    from .elementwise import check_inplace, _history_snapshot
    check_inplace(self)
    if not isinstance(index, tuple):
        index = (index,)
    index = tuple(_normalize_item(i) for i in index)
    if _is_basic(index):
        key, _ = _basic_view_geometry(self._data.shape, self.stride(),
                                      _expand_ellipsis(index, self._data.ndim))
    else:
        key = _numpy_key(self, index)
    value_tensor = value if isinstance(value, Tensor) else None
    if value_tensor is not None:
        if value_tensor._device is not self._device:
            check_same_device((self, value_tensor))
        source = value_tensor._data
        if value_tensor._dtype.is_complex and not self._dtype.is_complex:
            raise RuntimeError('Complex to non-complex copy is not supported')
    else:
        source = _value_array(value, self._dtype)
    recording = _grad_state.enabled and (self._requires_grad or (
        value_tensor is not None and value_tensor._requires_grad))
    if recording:
        old = _history_snapshot(self) if self._requires_grad else None
    try:
        if type(self._data) is np.ndarray:
            self._data[key] = source if getattr(source, 'dtype', None) == self._data.dtype \
                else np.asarray(source).astype(self._data.dtype)
        else:
            self._data[key] = source
    except ValueError as error:
        raise RuntimeError(f'shape mismatch: value tensor of shape '
                           f'{list(np.shape(source))} cannot be broadcast to indexing result '
                           f'({error})') from None
    self._bump_version()
    if recording:
        node = CopySlices.__new__(CopySlices)
        node._connect((old, value_tensor))
        node.key = key
        node.needs_self = old is not None
        node.value_shape = value_tensor._data.shape if value_tensor is not None and \
            value_tensor._requires_grad else None
        self._grad_fn = node
        self._requires_grad = True
        self.__dict__.pop('_output_nr', None)
        from .elementwise import _rebase_view
        _rebase_view(self)


def _value_array(value, dtype):
    if isinstance(value, (bool, int, float, complex)):
        if isinstance(value, complex) and not dtype.is_complex:
            raise RuntimeError('value cannot be converted to type '
                               f'{dtype.name} without overflow')
        return np.array(value).astype(dtype.numpy_dtype)
    return np.asarray(value).astype(dtype.numpy_dtype)


# ---------------------------------------------------------------------------------------
# gradients of views: putting a gradient back into the input's shape
# ---------------------------------------------------------------------------------------
class EmbedBasicIndex(Op):
    """Zeros of the input's shape with ``grad`` written at a basic index."""
    node_name = 'SliceBackwardBackward0'

    @staticmethod
    def forward(ctx, grad, shape, key):
        out = np.zeros(shape, dtype=grad.dtype)
        out[key] = grad
        return out

    def backward(self, grad):
        return grad[self.args[2]]


def embed_basic_index(grad, shape, key):
    return EmbedBasicIndex.apply(grad, shape, key)


def index_embed_along(grad, indices, shape, dim, keepdim):
    """Put ``grad`` at ``indices`` along ``dim`` of zeros of ``shape`` (max/min backward)."""
    if not keepdim and len(shape):
        grad = grad.unsqueeze(dim)
        indices = indices.unsqueeze(dim)
    from .creation import zeros
    result = zeros(shape, dtype=grad._dtype, device=grad._device)
    if not len(shape):
        return grad
    return result.scatter(dim, indices, grad)


def as_strided_scatter_add(grad, meta, base_offset, size, stride, offset):
    """Backward of ``as_strided``: add ``grad`` into zeros laid out like the input."""
    from numpy.lib.stride_tricks import as_strided as np_as_strided
    shape, dtype, device = meta
    numel = 1
    for s in shape:
        numel *= s
    flat = np.zeros(max(numel, offset - base_offset + 1) + sum(
        (s - 1) * st for s, st in zip(size, stride) if s), dtype=grad._data.dtype)
    item = flat.itemsize
    window = np_as_strided(flat[offset - base_offset:], size, tuple(s * item for s in stride))
    if any(st == 0 for st, s in zip(stride, size) if s > 1):
        index = np.indices(size).reshape(len(size), -1)
        linear = (np.asarray(stride).reshape(-1, 1) * index).sum(0) + offset - base_offset
        np.add.at(flat, linear, grad._data.reshape(-1))
    else:
        window += grad._data
    return make_tensor(flat[:numel].reshape(shape).copy(), dtype, device)


def rebase_base_history(base, view):
    """After an in-place write into ``view``, make ``base``'s history include it."""
    if base._requires_grad and base._grad_fn is None:
        raise RuntimeError('a view of a leaf Variable that requires grad is being used in an '
                           'in-place operation.')
    from .elementwise import _history_snapshot
    old = _history_snapshot(base) if base._requires_grad else None
    view_result = make_tensor(view._data, view._dtype, view._device)
    view_result._requires_grad = True
    view_result._grad_fn = view._grad_fn
    if view._output_nr:
        view_result._output_nr = view._output_nr
    node = _ViewCopySlices.__new__(_ViewCopySlices)
    node._connect((old, view_result))
    node.geometry = (view._data.shape, view.stride(),
                     view.storage_offset() - base.storage_offset())
    node.base_strides = base.stride()
    base._grad_fn = node
    base._requires_grad = True
    base.__dict__.pop('_output_nr', None)
    # The view now reads its history from the updated base.
    regen = _ViewOfBase.__new__(_ViewOfBase)
    regen._connect((base,))
    regen.geometry = node.geometry
    view._grad_fn = regen
    view.__dict__.pop('_output_nr', None)


class _ViewCopySlices(Node):
    def name(self):
        return 'CopySlices'

    def backward(self, grad):
        from numpy.lib.stride_tricks import as_strided as np_as_strided
        size, stride, offset = self.geometry
        data = np.array(grad._data, copy=True)
        item = data.itemsize
        flat_base = data.reshape(-1) if data.flags.c_contiguous else None
        if flat_base is None or tuple(self.base_strides) != tuple(
                _layout.contiguous_strides(data.shape)):
            raise RuntimeError('ember: in-place writes through views of non-contiguous bases '
                               'are not differentiable yet')
        region = np_as_strided(flat_base[offset:], size, tuple(s * item for s in stride))
        grad_view = make_tensor(region.copy(), grad._dtype, grad._device)
        region[...] = 0
        return make_tensor(data, grad._dtype, grad._device), grad_view


class _ViewOfBase(Node):
    def name(self):
        return 'AsStridedBackward0'

    def backward(self, grad):
        size, stride, offset = self.geometry
        return (as_strided_scatter_add(grad, self._metas[0], 0, size, stride, offset),)


# ---------------------------------------------------------------------------------------
# where / masked_fill / index_select / scatter
# ---------------------------------------------------------------------------------------
class Where(Op):
    node_name = 'WhereBackward0'

    @staticmethod
    def forward(ctx, condition, x, y):
        return np.where(condition, x, y)

    def backward(self, grad):
        condition = self.condition
        return (None,
                grad * condition if self.next_functions[1][0] is not None else None,
                grad * condition.logical_not() if self.next_functions[2][0] is not None
                else None)


def where(condition, input=None, other=None, *, out=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (either may be a
    number). With only ``condition``, the indices of its non-zero elements."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError('where(): argument \'condition\' must be Tensor')
    if condition._dtype is not dt.bool:
        if condition._dtype is dt.uint8:
            condition = condition.bool()
        else:
            raise RuntimeError(f'where expected condition to be a boolean tensor, but got a '
                               f'tensor with dtype {_type_name(condition._dtype)}')
    from .elementwise import _promote, _cast
    compute = _promote(input, other)
    tensors = [t for t in (condition, input, other) if isinstance(t, Tensor)]
    device = next((t._device for t in tensors if t._data.ndim), tensors[0]._device)
    if len({t._device for t in tensors}) > 1:
        check_same_device(tensors)
    x = _cast(input, compute)
    y = _cast(other, compute)
    data = np.where(condition._data, x, y)
    result = make_tensor(np.asarray(data), compute, device)
    grads = [isinstance(t, Tensor) and t._requires_grad for t in (input, other)]
    if any(grads) and _grad_state.enabled:
        node = Where.__new__(Where)
        node._connect((None, input if isinstance(input, Tensor) else None,
                       other if isinstance(other, Tensor) else None))
        node.args = (None, None, None)
        node.condition = condition
        attach(node, result)
    return result


def _type_name(d):
    from .elementwise import _type_name as name
    return name(d)


def nonzero(input, *, as_tuple=False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    data = input._data
    if as_tuple:
        if data.ndim == 0:
            return (make_tensor(np.nonzero(np.atleast_1d(data))[0].astype(np.int64), dt.int64,
                                input._device),)
        return tuple(make_tensor(i.astype(np.int64), dt.int64, input._device)
                     for i in np.nonzero(data))
    return make_tensor(np.argwhere(data).astype(np.int64), dt.int64, input._device)


def argwhere(input):
    return nonzero(input)


class MaskedFill(Op):
    node_name = 'MaskedFillBackward0'

    @staticmethod
    def forward(ctx, x, mask, value):
        return np.where(mask, value, x).astype(x.dtype, copy=False)

    def backward(self, grad):
        mask = self.mask
        grad_value = None
        if len(self.next_functions) > 2 and self.next_functions[2][0] is not None:
            grad_value = (grad * mask).sum()
        return grad * mask.logical_not(), None, grad_value


def masked_fill(input, mask, value):
    """``value`` where ``mask`` is True, ``input`` elsewhere (mask broadcasts)."""
    if mask._dtype is not dt.bool:
        raise RuntimeError('masked_fill_ only supports boolean masks, but got mask with dtype '
                           f'{_type_name(mask._dtype).lower()}')
    value_data = value._data if isinstance(value, Tensor) else value
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError('masked_fill_ only supports a 0-dimensional value tensor, but got '
                           f'tensor with {value._data.ndim} dimension(s).')
    fill = np.array(value_data).astype(input._dtype.numpy_dtype)
    data = np.where(mask._data, fill, input._data).astype(input._dtype.numpy_dtype, copy=False)
    result = make_tensor(data, input._dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or (
            isinstance(value, Tensor) and value._requires_grad)):
        node = MaskedFill.__new__(MaskedFill)
        node._connect((input, None) + ((value,) if isinstance(value, Tensor) else ()))
        node.args = ()
        node.mask = mask
        attach(node, result)
    return result


class IndexSelect(Op):
    node_name = 'IndexSelectBackward0'

    @staticmethod
    def forward(ctx, x, dim, index):
        return np.take(x, index, axis=dim) if x.ndim else x.copy()

    def backward(self, grad):
        shape = self._metas[0][0]
        dim, index = self.args[1], self.index
        from .creation import zeros
        return zeros(shape, dtype=grad._dtype, device=grad._device).index_add(dim, index, grad)


def index_select(input, dim, index, *, out=None):
    """Entries of ``input`` along ``dim`` at the positions in the 1-D ``index``."""
    if index._dtype not in (dt.int64, dt.int32):
        raise RuntimeError('index_select(): Expected dtype int32 or int64 for index')
    if index._data.ndim > 1:
        raise IndexError('index_select(): Index is supposed to be a vector')
    dim = _layout.normalize_dim(dim, input._data.ndim)
    size = input._data.shape[dim] if input._data.ndim else 1
    idx = index._data.reshape(-1)
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError('index out of range in self')
    result = Op.apply.__func__(IndexSelect, input, dim, idx)
    if result._grad_fn is not None:
        result._grad_fn.index = index
    return result


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (out of place)."""
    dim = _layout.normalize_dim(dim, input._data.ndim)
    data = input._data.copy()
    src = source._data if alpha == 1 else source._data * alpha
    moved = np.moveaxis(data, dim, 0) if data.ndim else data
    np.add.at(moved, index._data, np.moveaxis(src, dim, 0) if src.ndim else src)
    result = make_tensor(data, input._dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or source._requires_grad):
        node = IndexAdd.__new__(IndexAdd)
        node._connect((input, source))
        node.args = (dim, alpha)
        node.index = index
        attach(node, result)
    return result


class IndexAdd(Op):
    node_name = 'IndexAddBackward0'

    def backward(self, grad):
        dim, alpha = self.args
        grad_source = grad.index_select(dim, self.index) if grad._data.ndim else grad
        if alpha != 1:
            grad_source = grad_source * alpha
        return grad, grad_source


class Scatter(Op):
    node_name = 'ScatterBackward0'

    def backward(self, grad):
        dim = self.args[0]
        index = self.index
        grad_input = grad.scatter(dim, index, 0.0)
        grad_src = grad.gather(dim, index) if self.next_functions[1][0] is not None else None
        return grad_input, grad_src


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``input`` with values from ``src`` (a tensor or number) written at ``index``."""
    if src is None:
        src = value
    dim = _layout.normalize_dim(dim, input._data.ndim)
    data = input._data.copy()
    idx = index._data
    if isinstance(src, Tensor):
        values = src._data[tuple(slice(0, s) for s in idx.shape)]
    else:
        values = np.full(idx.shape, src, dtype=data.dtype)
    if reduce is None:
        np.put_along_axis(data, idx, values, axis=dim)
    elif reduce == 'add':
        _scatter_ufunc(np.add, data, idx, values, dim)
    elif reduce == 'multiply':
        _scatter_ufunc(np.multiply, data, idx, values, dim)
    else:
        raise RuntimeError(f'reduce argument must be either add or multiply. Got {reduce}')
    result = make_tensor(data, input._dtype, input._device)
    src_tensor = src if isinstance(src, Tensor) else None
    if _grad_state.enabled and (input._requires_grad or (
            src_tensor is not None and src_tensor._requires_grad)):
        node = Scatter.__new__(Scatter)
        node._connect((input, src_tensor))
        node.args = (dim,)
        node.index = index
        attach(node, result)
    return result


def _scatter_ufunc(ufunc, data, idx, values, dim):
    grids = list(np.indices(idx.shape, sparse=True))
    grids[dim] = idx
    ufunc.at(data, tuple(grids), values)


class Gather(Op):
    node_name = 'GatherBackward0'

    @staticmethod
    def forward(ctx, x, dim, index):
        return np.take_along_axis(x, index, axis=dim)

    def backward(self, grad):
        shape = self._metas[0][0]
        from .creation import zeros
        return zeros(shape, dtype=grad._dtype, device=grad._device).scatter_add(
            self.args[1], self.index, grad)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Values of ``input`` along ``dim`` at ``index`` (same shape as ``index``)."""
    if index._dtype is not dt.int64:
        raise RuntimeError('gather(): Expected dtype int64 for index')
    dim = _layout.normalize_dim(dim, input._data.ndim)
    result = Op.apply.__func__(Gather, input, dim, index._data)
    if result._grad_fn is not None:
        result._grad_fn.index = index
    return result


def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added at ``index`` along ``dim``."""
    dim = _layout.normalize_dim(dim, input._data.ndim)
    data = input._data.copy()
    values = src._data[tuple(slice(0, s) for s in index._data.shape)]
    _scatter_ufunc(np.add, data, index._data, values, dim)
    result = make_tensor(data, input._dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or src._requires_grad):
        node = ScatterAdd.__new__(ScatterAdd)
        node._connect((input, src))
        node.args = (dim,)
        node.index = index
        attach(node, result)
    return result


class ScatterAdd(Op):
    node_name = 'ScatterAddBackward0'

    def backward(self, grad):
        return grad, grad.gather(self.args[0], self.index)


def masked_select(input, mask):
    """The elements where ``mask`` (broadcast) is True, as a 1-D tensor."""
    if mask._dtype is not dt.bool:
        raise RuntimeError('masked_select: expected BoolTensor for mask')
    shape = _layout.broadcast_shapes(input._data.shape, mask._data.shape)
    return getitem(input.expand(shape), mask.expand(shape))


_METHODS = ['where', 'nonzero', 'argwhere', 'masked_fill', 'index_select', 'index_add',
            'scatter', 'gather', 'scatter_add', 'masked_select']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.where = lambda self, condition, other: where(condition, self, other)
Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
