"""Indexing and selection: ``t[...]``, ``t[...] = v``, and the ops that pick or place elements
by index or mask (gather, scatter, index_*, masked_*, take, where, nonzero).

``t[index]`` follows PyTorch's two steps. First the basic items (ints, slices, None, ``...``,
and 0-d integer tensors) are applied together as one view: ints remove their dim, None (and a
bool) inserts one. What remains are the advanced items (int and bool tensors, lists, NumPy
arrays), one per dim of that view, applied by a copying gather: their broadcast result dims
replace the indexed dims when the advanced items are adjacent, and go first otherwise. Because
ints are applied in the first step, ``t[0, :, [0, 1]]`` puts the list's dim last (NumPy would
put it first). ``t[index] = v`` parses the same way and writes through the view.
"""

__all__ = ['where', 'nonzero', 'argwhere', 'masked_fill', 'masked_select', 'masked_scatter',
           'index_select', 'index_add', 'index_copy', 'index_fill', 'index_put', 'scatter',
           'scatter_add', 'scatter_reduce', 'gather', 'take', 'take_along_dim', 'put']

import warnings

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, make_tensor, make_view
from ..autograd import grad_mode
from ..autograd.function import Op, Node, attach, check_same_device
from .views import ViewOp

_grad_state = grad_mode.state
_ndarray = np.ndarray
_EMPTY_LONG = np.zeros(0, dtype=np.int64)
_ONE_ZERO = np.zeros(1, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# layouts of results (PyTorch's TensorIterator and empty_like(preserve_format))
# ---------------------------------------------------------------------------------------
def _contiguous(shape, strides):
    return _layout.is_contiguous(shape, strides)


def non_overlapping_and_dense(shape, strides):
    """Whether the elements fill a dense block of memory, each exactly once."""
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    dims = sorted((d for d in range(len(shape)) if shape[d] >= 2), key=lambda d: strides[d])
    expected = 1
    for d in dims:
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def _dim_order(shape, operands):
    """PyTorch's iteration order for an output of ``shape`` (innermost dim first): dims sorted
    by the operands' strides, the first operand whose strides tell two dims apart deciding;
    broadcast (stride 0) dims never decide. ``operands`` are stride tuples aligned with
    ``shape``."""
    n = len(shape)
    perm = list(range(n - 1, -1, -1))

    def should_swap(a, b):
        for strides in operands:
            s0, s1 = strides[a], strides[b]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                return -1
            if s0 > s1:
                return 1
            if shape[a] > shape[b]:
                return 1
        return 0

    for i in range(1, n):
        moving = i
        for j in range(i - 1, -1, -1):
            order = should_swap(perm[j], perm[moving])
            if order > 0:
                perm[j], perm[moving] = perm[moving], perm[j]
                moving = j
            elif order < 0:
                break
    return perm


def _strides_for_order(shape, perm):
    strides = [0] * len(shape)
    acc = 1
    for d in perm:
        strides[d] = acc
        acc *= shape[d]
    return tuple(strides)


def _aligned(shape, op_shape, op_strides):
    """An operand's strides broadcast to ``shape`` (0 where it is broadcast)."""
    lead = len(shape) - len(op_shape)
    out = [0] * lead
    for size, (own, stride) in zip(shape[lead:], zip(op_shape, op_strides)):
        out.append(0 if own == 1 and size != 1 else stride)
    return tuple(out)


def iter_strides(shape, inputs):
    """Strides of the output of an elementwise-style op (PyTorch's TensorIterator): None when
    row-major, else the dense layout following the inputs' memory order.

    ``inputs`` are (shape, strides) pairs of the operands, in argument order.
    """
    n = len(shape)
    if n < 2:
        return None
    if all(tuple(s) == tuple(shape) for s, _ in inputs):
        if all(_contiguous(s, st) for s, st in inputs):
            return None
        if all(non_overlapping_and_dense(s, st) for s, st in inputs):
            last = tuple(inputs[-1][1])
            if all(tuple(st) == last for _, st in inputs):
                return None if _contiguous(shape, last) else last
    perm = _dim_order(shape, [_aligned(shape, s, st) for s, st in inputs])
    if perm == list(range(n - 1, -1, -1)):
        return None
    return _strides_for_order(shape, perm)


def preserve_strides(shape, strides):
    """Strides of ``empty_like(t)`` (preserve_format): t's own when t is dense and does not
    overlap, else the dense layout keeping t's dim order; None when that is row-major."""
    if _contiguous(shape, strides):
        return None
    if non_overlapping_and_dense(shape, strides):
        return tuple(strides)
    perm = _dim_order(shape, [tuple(strides)])
    if perm == list(range(len(shape) - 1, -1, -1)):
        return None
    return _strides_for_order(shape, perm)


def lay_out(array, strides):
    """``array``'s values in fresh memory with the given element strides (None: row-major)."""
    if strides is None:
        return np.asarray(array, order='C') if type(array) is _ndarray else array
    item = array.dtype.itemsize
    buffer = np.empty(max(array.size, 1), dtype=array.dtype)
    out = np.lib.stride_tricks.as_strided(buffer, array.shape, tuple(s * item for s in strides))
    out[...] = array
    return out


def clone_preserve(input):
    """A copy of ``input``'s data laid out like ``input.clone()`` (preserve_format)."""
    data = input._data
    strides = None
    if data.ndim > 1 and data.size:
        strides = preserve_strides(data.shape, input.stride())
    if strides is None:
        return np.array(data, order='C')
    return lay_out(data, strides)


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------
def _type_name(d):
    from .elementwise import _type_name as name
    return name(d)


def _record(cls, result, inputs, args=(), **attrs):
    """Record node ``cls`` for ``result`` when grad mode is on and an input needs grad."""
    if _grad_state.enabled and any(t is not None and t._requires_grad for t in inputs):
        node = cls.__new__(cls)
        node._connect(inputs)
        node.args = args
        for k, v in attrs.items():
            setattr(node, k, v)
        attach(node, result)
    return result


def _needs(node, i):
    return node.next_functions[i][0] is not None


def _long(array, device):
    return make_tensor(array, dt.int64 if array.dtype == np.int64 else
                       dt.from_numpy_dtype(array.dtype), device)


def _zeros(shape, like):
    from .creation import zeros
    return zeros(shape, dtype=like._dtype, device=like._device)


def _check_tensor(x, name, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{_args.type_name(x)}")


def _same_device(*tensors):
    first = tensors[0]._device
    if any(t._device is not first for t in tensors[1:]):
        check_same_device(tensors)


def _wrap_dim(dim, ndim):
    return _layout.normalize_dim(dim, ndim)


# ---------------------------------------------------------------------------------------
# parsing an index
# ---------------------------------------------------------------------------------------
def _sequence_is_tuple(seq):
    """PyTorch's (and NumPy's old) rule: a short list holding slices, None, ..., tensors or
    sequences is read as a tuple of indices (deprecated, with a warning)."""
    if len(seq) >= 32:
        return False
    for item in seq:
        if item is None or item is Ellipsis or isinstance(item, (Tensor, list, tuple, slice,
                                                                  _ndarray)):
            return True
    return False


def _index_items(index):
    if type(index) is tuple:
        return index
    if type(index) is list and _sequence_is_tuple(index):
        warnings.warn('Using a non-tuple sequence for multidimensional indexing is deprecated '
                      'and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. '
                      'In pytorch 2.9 this will be interpreted as tensor index, '
                      'x[torch.tensor(seq)], which will result either in an error or a '
                      'different result', UserWarning, stacklevel=3)
        return tuple(index)
    return (index,)


_BAD_INDEX_DTYPE = 'tensors used as indices must be long, int, byte or bool tensors'


def _array_item(array):
    """A NumPy array used as an index: int64/int32 positions or a bool mask."""
    kind = array.dtype
    if kind == np.bool_ or kind == np.uint8:
        if kind == np.uint8:
            warnings.warn('indexing with dtype torch.uint8 is now deprecated, please use a dtype '
                          'torch.bool instead.', UserWarning, stacklevel=4)
            array = array.astype(np.bool_)
        return bool(array) if array.ndim == 0 else array
    if kind == np.int64 or kind == np.int32:
        return int(array) if array.ndim == 0 else array
    raise IndexError(_BAD_INDEX_DTYPE)


def _convert_item(item, device):
    """One index item as int, slice, None, Ellipsis, bool, or an int64/int32/bool array."""
    kind = type(item)
    if kind is int or kind is slice or item is None or item is Ellipsis or kind is bool:
        return item
    if isinstance(item, Tensor):
        if item._device is not device and item._device.type != 'cpu':
            raise RuntimeError('indices should be either on cpu or on the same device as the '
                               f'indexed tensor ({device})')
        if item._dtype.category > 1:
            raise IndexError(_BAD_INDEX_DTYPE)
        return _array_item(item._host_array())
    if isinstance(item, _ndarray):
        # PyTorch reads a NumPy array like a list: bool/uint8 stay masks, numbers become
        # long positions.
        if item.dtype.kind not in 'biuf':
            raise IndexError(_BAD_INDEX_DTYPE)
        if item.dtype != np.bool_ and item.dtype != np.uint8 and item.dtype != np.int64:
            item = item.astype(np.int64)
        return _array_item(item)
    if isinstance(item, np.bool_):
        return bool(item)
    if isinstance(item, np.integer):
        return int(item)
    if isinstance(item, (list, tuple)):
        try:
            array = np.asarray(item)
        except ValueError:
            raise ValueError('expected sequence of equal length lists as an index') from None
        if array.dtype == np.bool_:
            return array
        if array.size == 0:
            return np.zeros(array.shape, dtype=np.int64)
        if array.dtype.kind not in 'biuf':
            raise TypeError(f"new(): invalid data type '{type(item[0]).__name__}'")
        # PyTorch turns any numeric list into a long index (floats truncate).
        return array.astype(np.int64)
    if isinstance(item, (float, complex)):
        raise IndexError('only integers, slices (`:`), ellipsis (`...`), None and long or byte '
                         f'Variables are valid indices (got {type(item).__name__})')
    if hasattr(item, '__index__'):
        return item.__index__()
    raise TypeError('only integers, slices (`:`), ellipsis (`...`), None and long or byte '
                    f'Variables are valid indices (got {type(item).__name__})')


def _bound(value):
    """A slice bound as an int (0-d integer tensors and NumPy ints are accepted)."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, float) or not hasattr(value, '__index__'):
        raise TypeError('slice indices must be integers or None or have an __index__ method')
    return value.__index__()


class ParsedIndex:
    """An index split into one basic view (a NumPy key plus PyTorch's strides and storage
    offset) and the advanced items applied to that view."""
    __slots__ = ('key', 'strides', 'offset', 'kind', 'advanced', 'view_shape')

    @classmethod
    def positions(cls, arrays):
        """Advanced int arrays, one per leading dim, on the tensor itself."""
        parsed = cls()
        parsed.key = ()
        parsed.kind = None
        parsed.advanced = list(enumerate(arrays))
        return parsed

    def adv_key(self):
        return adv_key(self.advanced)


def parse_index(self, index, bare_slice=False):
    """Split ``index`` into the basic view and the advanced items (PyTorch's rules, errors
    and messages). ``bare_slice``: the index was a lone slice, which PyTorch always applies
    (a full slice inside a tuple is skipped)."""
    data = self._data
    shape = data.shape
    ndim = len(shape)
    device = self._device
    items = [_convert_item(i, device) for i in _index_items(index)]
    specified = 0
    for it in items:
        kind = type(it)
        if kind is int or kind is slice:
            specified += 1
        elif kind is _ndarray:
            specified += it.ndim if it.dtype == np.bool_ else 1
    if specified > ndim:
        if ndim == 0:
            raise IndexError('invalid index of a 0-dim tensor. Use `tensor.item()` in Python or '
                             '`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number')
        raise IndexError(f'too many indices for tensor of dimension {ndim}')
    strides = self.stride()
    key = []
    out_strides = []
    out_shape = []
    advanced = []
    offset = 0
    d = 0          # dim of the input
    r = 0          # dim of the view
    kind_name = 'slice' if bare_slice else None
    for position, it in enumerate(items):
        kind = type(it)
        if kind is int:
            size = shape[d]
            if it < -size or it >= size:
                # PyTorch names the item's position in the index, not a dim of the tensor
                raise IndexError(f'index {it} is out of bounds for dimension {position} with '
                                 f'size {size}')
            if it < 0:
                it += size
            key.append(it)
            offset += it * strides[d]
            d += 1
            kind_name = 'select'
        elif kind is slice:
            step = 1 if it.step is None else _bound(it.step)
            if step <= 0:
                raise ValueError('slice step cannot be zero' if step == 0 else
                                 'step must be greater than zero')
            size = shape[d]
            start, stop, _ = slice(_bound(it.start), _bound(it.stop), step).indices(size)
            if stop < start:
                stop = start
            length = (stop - start + step - 1) // step
            key.append(slice(start, stop, step))
            out_strides.append(strides[d] * step)
            out_shape.append(length)
            offset += start * strides[d]
            if not (start == 0 and stop == size and step == 1):
                kind_name = 'slice'
            d += 1
            r += 1
        elif it is None or kind is bool:
            key.append(None)
            out_strides.append(shape[d] * strides[d] if d < ndim else 1)
            out_shape.append(1)
            if kind is bool:
                advanced.append((r, _ONE_ZERO if it else _EMPTY_LONG))
            r += 1
            kind_name = 'unsqueeze'
        elif it is Ellipsis:
            for _ in range(min(ndim - specified, ndim - d)):
                key.append(slice(None))
                out_strides.append(strides[d])
                out_shape.append(shape[d])
                d += 1
                r += 1
        else:
            if it.dtype == np.bool_:
                k = it.ndim
                if it.shape != shape[d:d + k]:
                    j = next((j for j in range(k) if d + j >= ndim or
                              it.shape[j] != shape[d + j]), 0)
                    raise IndexError(f'The shape of the mask {list(it.shape)} at index {j} does '
                                     f'not match the shape of the indexed tensor '
                                     f'{list(shape)} at index {d + j}')
            else:
                k = 1
                if it.size:
                    size = shape[d]
                    low, high = int(it.min()), int(it.max())
                    if low < -size or high >= size:
                        bad = high if high >= size else low
                        raise IndexError(f'index {bad} is out of bounds for dimension {r} with '
                                         f'size {size}')
                if it.dtype != np.int64:
                    it = it.astype(np.int64)
            advanced.append((r, it))
            for _ in range(k):
                key.append(slice(None))
                out_strides.append(strides[d])
                out_shape.append(shape[d])
                d += 1
                r += 1
    parsed = ParsedIndex()
    parsed.key = tuple(key)
    parsed.strides = tuple(out_strides) + strides[d:]
    parsed.view_shape = tuple(out_shape) + shape[d:]
    parsed.offset = offset
    parsed.kind = kind_name
    parsed.advanced = advanced
    return parsed


# ---------------------------------------------------------------------------------------
# basic indexing: one view
# ---------------------------------------------------------------------------------------
class _BasicIndexView(ViewOp):
    """A view given by a basic NumPy key; backward puts the grad back at the key."""

    @staticmethod
    def forward(ctx, data, key, strides, offset):
        return data[key + (Ellipsis,)], strides

    @staticmethod
    def empty_offset(input, key, strides, offset):
        return input.storage_offset() + offset

    def backward(self, grad):
        return EmbedBasicIndex.apply(grad, self.shape, self.args[0])


class SelectView(_BasicIndexView):
    node_name = 'SelectBackward0'


class SliceView(_BasicIndexView):
    node_name = 'SliceBackward0'


class UnsqueezeView(_BasicIndexView):
    node_name = 'UnsqueezeBackward0'


class AliasView(_BasicIndexView):
    node_name = 'AliasBackward0'

    def backward(self, grad):
        return grad


_VIEW_CLASSES = {'select': SelectView, 'slice': SliceView, 'unsqueeze': UnsqueezeView,
                 None: AliasView}


class EmbedBasicIndex(Op):
    """Zeros of the input's shape with ``grad`` written at a basic index."""
    node_name = 'SliceBackwardBackward0'

    @staticmethod
    def forward(ctx, grad, shape, key):
        out = np.zeros(shape, dtype=grad.dtype)
        out[key + (Ellipsis,)] = grad
        return out

    def backward(self, grad):
        return _BasicCopy.apply(grad, self.args[2])


class _BasicCopy(Op):
    node_name = 'SliceBackward0'

    @staticmethod
    def forward(ctx, x, key):
        return np.array(x[key + (Ellipsis,)])

    def backward(self, grad):
        return EmbedBasicIndex.apply(grad, self._metas[0][0], self.args[1])


def embed_basic_index(grad, shape, key):
    """``grad`` put at basic ``key`` of zeros of ``shape`` (the backward of a basic view)."""
    return EmbedBasicIndex.apply(grad, shape, tuple(key))


def _basic_view(self, parsed):
    cls = _VIEW_CLASSES[parsed.kind]
    return cls.apply(self, parsed.key, parsed.strides, parsed.offset)


# ---------------------------------------------------------------------------------------
# advanced indexing: a copy
# ---------------------------------------------------------------------------------------
def _index_operands(advanced):
    """The advanced items as PyTorch indexes with them (each int array, and for a k-dim mask
    its k nonzero() columns): the view dims they index and their (shape, strides)."""
    dims = []
    arrays = []
    for dim, array in advanced:
        if array.dtype == np.bool_:
            k = array.ndim
            shape = (int(np.count_nonzero(array)),)
            for j in range(k):
                dims.append(dim + j)
                arrays.append((shape, (k,)))
        else:
            dims.append(dim)
            arrays.append((array.shape, array))
    return dims, arrays


def _array_strides(array):
    item = array.itemsize
    return tuple(s // item for s in array.strides)


def advanced_result(view_shape, view_strides, advanced, layout=True):
    """(shape, strides or None for row-major) of the result of advanced indexing, placed
    and laid out as PyTorch does: the index dims replace the indexed dims when adjacent, else
    go first; the other dims keep the input's memory order."""
    dims, arrays = _index_operands(advanced)
    if len(arrays) == 1:
        index_shape = arrays[0][0]
    else:
        try:
            index_shape = tuple(np.broadcast_shapes(*[s for s, _ in arrays]))
        except ValueError:
            raise IndexError('shape mismatch: indexing tensors could not be broadcast together '
                             'with shapes ' + ', '.join(str(list(s)) for s, _ in arrays)) \
                from None
    first = dims[0]
    adjacent = dims[-1] - first == len(dims) - 1 and dims == list(range(first, first +
                                                                        len(dims)))
    n_view = len(view_shape)
    if adjacent:
        before = list(range(first))
        after = list(range(dims[-1] + 1, n_view))
    else:
        before = []
        after = [d for d in range(n_view) if d not in dims]
    out_shape = tuple(view_shape[d] for d in before) + index_shape + \
        tuple(view_shape[d] for d in after)
    if not layout or len(out_shape) < 2:
        return out_shape, None
    # A row-major input indexed by row-major indices gives a row-major result.
    if tuple(view_strides) == _layout.contiguous_strides(view_shape) and all(
            (a.flags.c_contiguous if type(a) is _ndarray else a == (1,)) for _, a in arrays):
        return out_shape, None
    src = tuple(view_strides[d] for d in before) + (0,) * len(index_shape) + \
        tuple(view_strides[d] for d in after)
    operands = [src]
    # Each index is reshaped to [1]*len(before) + its shape + [1]*len(after); those size-1
    # dims keep the reshape's strides where the result dim has size 1 (else they broadcast).
    n_before = len(before)
    lead = 1
    for size in index_shape:
        lead *= size
    pad_before = tuple(lead if out_shape[i] == 1 else 0 for i in range(n_before))
    pad_after = tuple(1 if out_shape[i] == 1 else 0
                      for i in range(n_before + len(index_shape), len(out_shape)))
    for shape, strides in arrays:
        if type(strides) is _ndarray:
            strides = _array_strides(strides)
        operands.append(pad_before + _aligned(index_shape, shape, strides) + pad_after)
    perm = _dim_order(out_shape, operands)
    if perm == list(range(len(out_shape) - 1, -1, -1)):
        return out_shape, None
    return out_shape, _strides_for_order(out_shape, perm)


def adv_key(advanced):
    """Advanced items [(view dim, array)] as a NumPy key (bool masks stay masks)."""
    key = []
    pos = 0
    for dim, array in advanced:
        key.extend([slice(None)] * (dim - pos))
        key.append(array)
        pos = dim + (array.ndim if array.dtype == np.bool_ else 1)
    return tuple(key)


class Index(Op):
    node_name = 'IndexBackward0'

    @staticmethod
    def forward(ctx, x, key, layout):
        out = x[key]
        if type(out) is not _ndarray:
            out = np.asarray(out)
        return lay_out(out, layout)

    def backward(self, grad):
        return IndexPutAccumulate.apply(grad, self._metas[0][0], self.args[1])


def _int_key(key):
    """A NumPy key with bool masks replaced by their nonzero() positions (for ufunc.at)."""
    out = []
    for k in key:
        if type(k) is _ndarray and k.dtype == np.bool_:
            out.extend(np.nonzero(k))
        else:
            out.append(k)
    return tuple(out)


class IndexPutAccumulate(Op):
    """``grad`` added at ``key`` into zeros of ``shape`` (the backward of advanced indexing)."""
    node_name = 'IndexPutBackward0'

    @staticmethod
    def forward(ctx, grad, shape, key):
        out = np.zeros(shape, dtype=grad.dtype)
        np.add.at(out, _int_key(key), grad)
        return out

    def backward(self, grad):
        return Index.apply(grad, self.args[2], None)


def _simple_view(self, index, bare):
    """Fast path for an index made only of ints and slices (the common case): the view, or
    None when the index needs the general parser."""
    data = self._data
    shape = data.shape
    if len(index) > len(shape):
        return None
    strides = self.stride()
    key = []
    out_strides = []
    offset = 0
    kind = 'slice' if bare else None
    for d, item in enumerate(index):
        kind_of = type(item)
        if kind_of is int:
            size = shape[d]
            if not -size <= item < size:
                return None
            if item < 0:
                item += size
            key.append(item)
            offset += item * strides[d]
            kind = 'select'
        elif kind_of is slice:
            step = item.step
            if step is None:
                step = 1
            elif type(step) is not int or step <= 0:
                return None
            start, stop = item.start, item.stop
            if (start is not None and type(start) is not int) or (
                    stop is not None and type(stop) is not int):
                return None
            size = shape[d]
            start, stop, _ = item.indices(size)
            if stop < start:
                stop = start
            key.append(slice(start, stop, step))
            out_strides.append(strides[d] * step)
            offset += start * strides[d]
            if start or stop != size or step != 1:
                kind = 'slice'
        else:
            return None
    return _VIEW_CLASSES[kind].apply(self, tuple(key), tuple(out_strides) +
                                     strides[len(index):], offset)


def _take_rows(self, index):
    """Fast path for ``t[int_tensor]``: rows of a row-major tensor (None: use the parser)."""
    idx = index._data
    data = self._data
    if (index._dtype is not dt.int64 and index._dtype is not dt.int32) or not idx.ndim or \
            not data.ndim or index._device is not self._device or type(idx) is not _ndarray:
        return None
    if idx.ndim + data.ndim > 2 and not (
            idx.flags.c_contiguous and data.flags.c_contiguous and
            self.stride() == _layout.contiguous_strides(data.shape)):
        return None
    try:
        result = Index.apply(self, (idx,), None)
    except IndexError:      # out of bounds: the parser raises PyTorch's message
        return None
    result._stride = _layout.contiguous_strides(result._data.shape)
    return result


def getitem(self, index):
    """``t[index]``: ints, slices, None and ... give a view; lists, tensors, arrays and masks
    give a copy (after the view of the basic items)."""
    kind = type(index)
    if kind is int:
        data = self._data
        if data.ndim:
            size = data.shape[0]
            if -size <= index < size:
                if index < 0:
                    index += size
                strides = self.stride()
                return SelectView.apply(self, (index,), strides[1:], index * strides[0])
            raise IndexError(f'index {index} is out of bounds for dimension 0 with size {size}')
    elif kind is slice or kind is tuple:
        view = _simple_view(self, (index,) if kind is slice else index, kind is slice)
        if view is not None:
            return view
    elif kind is Tensor:
        result = _take_rows(self, index)
        if result is not None:
            return result
    parsed = parse_index(self, index, bare_slice=kind is slice)
    if not parsed.advanced:
        return _basic_view(self, parsed)
    view = self if parsed.kind is None else _basic_view(self, parsed)
    shape, layout = advanced_result(view._data.shape, view.stride(), parsed.advanced)
    result = Index.apply(view, parsed.adv_key(), layout)
    # NumPy's strides for size-1 and empty dims of a gathered result need not be PyTorch's.
    result._stride = layout or _layout.contiguous_strides(result._data.shape)
    return result


# ---------------------------------------------------------------------------------------
# t[index] = value
# ---------------------------------------------------------------------------------------
def _scalar_value(value, dtype, check_half=False):
    """A Python number converted to ``dtype`` with PyTorch's overflow check."""
    from .creation import _check_scalar
    _check_scalar(value, dtype, check_half=check_half)
    if isinstance(value, complex) and not dtype.is_complex and dtype is not dt.bool:
        value = value.real   # the check above allowed only a zero imaginary part
    with np.errstate(all='ignore'):
        return np.array(value).astype(dtype.numpy_dtype)


def _value_source(self, value):
    """(array to write, value tensor or None) for ``t[...] = value``."""
    if isinstance(value, Tensor):
        if value._device is not self._device:
            check_same_device((self, value))
        return value._data, value
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return _scalar_value(value.item() if isinstance(value, np.generic) else value,
                             self._dtype), None
    raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")


def _strip_leading_ones(shape):
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def _write(target, source, out_shape, advanced):
    """Write ``source`` into ``target`` (a view, or a view plus advanced key) with PyTorch's
    broadcast rules (extra leading size-1 dims of the value are ignored)."""
    src_shape = source.shape
    if len(src_shape) > len(out_shape):
        stripped = _strip_leading_ones(src_shape)
        if len(stripped) <= len(out_shape):
            source = source.reshape(stripped)
            src_shape = stripped
    try:
        shape = np.broadcast_shapes(src_shape, out_shape)
        ok = shape == tuple(out_shape)
    except ValueError:
        ok = False
    if not ok:
        if advanced:
            raise RuntimeError(f'shape mismatch: value tensor of shape {list(src_shape)} cannot '
                               f'be broadcast to indexing result of shape {list(out_shape)}')
        if len(src_shape) > len(out_shape):
            raise RuntimeError(f'expand(ember.{_tensor_type_name(source)}{{{list(src_shape)}}}, '
                               f'size={list(out_shape)}): the number of sizes provided '
                               f'({len(out_shape)}) must be greater or equal to the number of '
                               f'dimensions in the tensor ({len(src_shape)})')
        lead = len(out_shape) - len(src_shape)
        for i, s in enumerate(src_shape):
            if s != 1 and s != out_shape[lead + i]:
                raise RuntimeError(f'The expanded size of the tensor ({out_shape[lead + i]}) '
                                   f'must match the existing size ({s}) at non-singleton '
                                   f'dimension {lead + i}.  Target sizes: {list(out_shape)}.  '
                                   f'Tensor sizes: {list(src_shape)}')
    return source


def _tensor_type_name(array):
    d = dt.from_numpy_dtype(array.dtype)
    return d._tensor_type if hasattr(d, '_tensor_type') else d.name


class CopySlices(Node):
    """History of a tensor after a write into part of it (``t[index] = v``, or an in-place
    op on a view of it)."""

    def name(self):
        return 'torch::autograd::CopySlices'

    def backward(self, grad):
        grad_self = grad_value = None
        if _needs(self, 0):
            grad_self = _ZeroAt.apply(grad, self.key, self.adv)
        if _needs(self, 1):
            grad_value = _sum_to_value(_TakeAt.apply(grad, self.key, self.adv),
                                       self.value_shape)
        return grad_self, grad_value


class IndexPutNode(CopySlices):
    """History of ``t[advanced] = v`` / ``index_put``."""

    def name(self):
        return 'IndexPutBackward0'

    def backward(self, grad):
        grad_self = grad_value = None
        if _needs(self, 0):
            grad_self = grad if self.accumulate else _ZeroAt.apply(grad, self.key, self.adv)
        if _needs(self, 1):
            grad_value = _sum_to_value(_TakeAt.apply(grad, self.key, self.adv),
                                       self.value_shape)
        return grad_self, grad_value


IndexPutNode.__name__ = IndexPutNode.__qualname__ = 'IndexPutBackward0'


def _sum_to_value(g, shape):
    if g._data.shape == shape:
        return g
    core = shape
    if len(shape) > g._data.ndim:
        core = _strip_leading_ones(shape)
    g = g.sum_to_size(core) if g._data.shape != core else g
    return g.reshape(shape) if core != shape else g


class _TakeAt(Op):
    """``x[key][adv]`` as a copy (used by backward formulas)."""
    node_name = 'IndexBackward0'

    @staticmethod
    def forward(ctx, x, key, adv):
        out = x[key + (Ellipsis,)]
        if adv:
            out = out[adv]
        return np.array(out)

    def backward(self, grad):
        return _PutAt.apply(grad, self._metas[0][0], self.args[1], self.args[2])


class _PutAt(Op):
    """Zeros of ``shape`` with ``grad`` added at ``x[key][adv]``."""
    node_name = 'IndexPutBackward0'

    @staticmethod
    def forward(ctx, grad, shape, key, adv):
        out = np.zeros(shape, dtype=grad.dtype)
        view = out[key + (Ellipsis,)]
        if adv:
            np.add.at(view, _int_key(adv), grad)
        else:
            view += grad
        return out

    def backward(self, grad):
        return _TakeAt.apply(grad, self.args[2], self.args[3])


class _ZeroAt(Op):
    """``x`` with zeros at ``x[key][adv]`` (its own adjoint)."""
    node_name = 'IndexPutBackward0'

    @staticmethod
    def forward(ctx, x, key, adv):
        out = x.copy()
        view = out[key + (Ellipsis,)]
        if adv:
            view[adv] = 0
        else:
            view[...] = 0
        return out

    def backward(self, grad):
        return _ZeroAt.apply(grad, self.args[1], self.args[2])


def _plain_item(item):
    kind = type(item)
    if kind is int:
        return True
    if kind is slice:
        step = item.step
        return (step is None or (type(step) is int and step > 0)) and \
            (item.start is None or type(item.start) is int) and \
            (item.stop is None or type(item.stop) is int)
    return False


_FAST_VALUES = (int, float, bool)
# Larger floats take the full path: they may overflow float16 (NumPy warns) or float32
# (PyTorch raises).
_FAST_FLOAT_MAX = 65504.0


def setitem(self, index, value):
    """``t[index] = value``: writes in place (through views too). ``value`` is a number or a
    tensor broadcast to the indexed shape (cast to ``t``'s dtype for basic indices; advanced
    indices need the same dtype, as in PyTorch)."""
    if type(value) in _FAST_VALUES and not self._requires_grad and \
            type(self._data) is _ndarray and (type(value) is not float or
                                              abs(value) <= _FAST_FLOAT_MAX):
        # Fast path: a number written at ints and slices needs no history; NumPy does the
        # write, and anything unusual (bounds, overflow, read-only) takes the full path.
        kind = type(index)
        if kind is int or (kind is slice and _plain_item(index)) or (
                kind is tuple and all(_plain_item(i) for i in index)):
            try:
                self._data[index] = value
            except (IndexError, ValueError, OverflowError, TypeError):
                pass
            else:
                self._bump_version()
                return
    assign(self, parse_index(self, index), value)


def _writable_alias(view):
    """``view`` made writable when only NumPy's read-only broadcast (``expand``) stands between
    it and writable memory; the caller has already applied PyTorch's overlap rule."""
    if type(view) is not _ndarray:
        return view
    root = view
    while isinstance(root.base, _ndarray):
        root = root.base
    if not root.flags.writeable:
        return view   # truly read-only memory: NumPy's error stands
    offset = view.__array_interface__['data'][0] - root.__array_interface__['data'][0]
    return _ndarray(view.shape, view.dtype, buffer=root, offset=offset, strides=view.strides)


def assign(self, parsed, value, node_class=None):
    """Write ``value`` at a parsed index of ``self`` in place, recording the history
    (``node_class`` overrides PyTorch's choice of CopySlices / IndexPutBackward0)."""
    from .elementwise import check_inplace, _history_snapshot, _rebase_view
    source, value_tensor = _value_source(self, value)
    data = self._data
    view = data if parsed.kind is None else data[parsed.key + (Ellipsis,)]
    if parsed.advanced:
        if value_tensor is not None and value_tensor._dtype is not self._dtype:
            raise RuntimeError('Index put requires the source and destination dtypes match, '
                               f'got {_type_name(self._dtype)} for the destination and '
                               f'{_type_name(value_tensor._dtype)} for the source.')
        adv = parsed.adv_key()
        out_shape, _ = advanced_result(view.shape, (), parsed.advanced, layout=False)
    else:
        adv = ()
        out_shape = view.shape
    source = _write(view, source, out_shape, parsed.advanced)
    recording = _grad_state.enabled and (self._requires_grad or (
        value_tensor is not None and value_tensor._requires_grad))
    if self._requires_grad and _grad_state.enabled and self._grad_fn is None:
        raise RuntimeError('a view of a leaf Variable that requires grad is being used in an '
                           'in-place operation.' if parsed.kind is not None else
                           'a leaf Variable that requires grad is being used in an in-place '
                           'operation.')
    if parsed.advanced:
        check_inplace(self, aliasing_ok=True)
        if not view.flags.writeable and 0 in view.strides:
            warnings.warn('Use of index_put_ on expanded tensors is deprecated. Please clone() '
                          'the tensor before performing this operation. This also applies to '
                          'advanced indexing e.g. tensor[indices] = tensor', UserWarning)
    else:
        check_inplace(self, written=view)
    if not view.flags.writeable:
        view = _writable_alias(view)
    old = _history_snapshot(self) if recording and self._requires_grad else None
    if parsed.advanced:
        view[adv] = source
    else:
        view[...] = source
    self._bump_version()
    if recording:
        cls = node_class or (IndexPutNode if parsed.advanced and parsed.kind is None
                             else CopySlices)
        node = cls.__new__(cls)
        node._connect((old, value_tensor))
        node.args = ()
        node.key = parsed.key
        node.adv = adv
        node.accumulate = False
        node.value_shape = value_tensor._data.shape if value_tensor is not None else None
        self._grad_fn = node
        self._requires_grad = True
        self.__dict__.pop('_output_nr', None)
        _rebase_view(self)


# ---------------------------------------------------------------------------------------
# in-place writes through views: the base's history
# ---------------------------------------------------------------------------------------
def _flat_positions(shape, strides, offset):
    pos = np.full(tuple(shape), offset, dtype=np.int64)
    for d, (n, st) in enumerate(zip(shape, strides)):
        axis = [1] * len(shape)
        axis[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * st).reshape(axis)
    return pos


def _view_in_base(base_shape, base_strides, size, stride, offset):
    """For each element of a view (size, stride, offset relative to the base's first element),
    its row-major position among the base's elements."""
    base_pos = _flat_positions(base_shape, base_strides, 0).reshape(-1)
    view_pos = _flat_positions(size, stride, offset).reshape(-1)
    order = np.argsort(base_pos, kind='stable')
    found = np.searchsorted(base_pos[order], view_pos)
    return order[np.minimum(found, max(len(order) - 1, 0))] if len(order) else found


class _ViewCopySlices(CopySlices):
    """The base's node after an in-place op on one of its views."""

    def backward(self, grad):
        # In tensor ops (take / index_fill), so gradients of gradients work.
        index = _where_index(self, grad)
        grad_view = grad.take(index).reshape(self.view_shape)
        rest = grad.reshape(-1).index_fill(0, index, 0).reshape(grad._data.shape)
        return rest, grad_view


class _ViewOfBase(Node):
    """A view's node after an in-place op on it: its values now come from the base."""

    def name(self):
        return 'AsStridedBackward0'

    def backward(self, grad):
        shape = self._metas[0][0]
        out = grad.new_zeros((int(np.prod(shape)),))
        return (out.index_add(0, _where_index(self, grad), grad.reshape(-1)).reshape(shape),)


def _where_index(node, grad):
    """A node's ``where_`` (flat positions of a view's elements in its base) as a tensor."""
    index = node.__dict__.get('_where_tensor')
    if index is None or index._device is not grad._device:
        index = make_tensor(np.asarray(node.where_, dtype=np.int64), dt.int64, grad._device)
        node._where_tensor = index
    return index


_ViewCopySlices.__name__ = _ViewCopySlices.__qualname__ = 'CopySlices'
_ViewOfBase.__name__ = _ViewOfBase.__qualname__ = 'AsStridedBackward0'


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
    where_ = _view_in_base(base._data.shape, base.stride(), view._data.shape, view.stride(),
                           view.storage_offset() - base.storage_offset())
    node = _ViewCopySlices.__new__(_ViewCopySlices)
    node._connect((old, view_result))
    node.args = ()
    node.where_ = where_
    node.view_shape = view._data.shape
    base._grad_fn = node
    base._requires_grad = True
    base.__dict__.pop('_output_nr', None)
    # The view now reads its history from the updated base.
    regen = _ViewOfBase.__new__(_ViewOfBase)
    regen._connect((base,))
    regen.args = ()
    regen.where_ = where_
    view._grad_fn = regen
    view.__dict__.pop('_output_nr', None)


def index_embed_along(grad, indices, shape, dim, keepdim):
    """Put ``grad`` at ``indices`` along ``dim`` of zeros of ``shape`` (max/min backward)."""
    if not len(shape):
        return grad
    if not keepdim:
        grad = grad.unsqueeze(dim)
        indices = indices.unsqueeze(dim)
    return _zeros(shape, grad).scatter(dim, indices, grad)


# ---------------------------------------------------------------------------------------
# where / nonzero
# ---------------------------------------------------------------------------------------
class Where(Op):
    node_name = 'WhereBackward0'

    def backward(self, grad):
        condition = self.condition
        zero = grad.new_zeros(())
        return (None,
                where(condition, grad, zero) if _needs(self, 1) else None,
                where(condition, zero, grad) if _needs(self, 2) else None)


def where(condition, input=None, other=None, *, out=None):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (either may be a
    number; all three broadcast). With only ``condition``: ``nonzero(condition,
    as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not "
                        f"{_args.type_name(condition)}")
    if input is None or other is None:
        raise TypeError('where() missing a required argument: both input and other are needed '
                        'with a condition')
    if condition._dtype is not dt.bool:
        if condition._dtype is dt.uint8:
            warnings.warn('where received a uint8 condition tensor. This behavior is deprecated '
                          'and will be removed in a future version of PyTorch. Use a boolean '
                          'condition instead.', UserWarning, stacklevel=2)
        else:
            raise RuntimeError('where expected condition to be a boolean tensor, but got a '
                               f'tensor with dtype {_type_name(condition._dtype)}')
    from .elementwise import _promote, _cast, _check_number
    for name, value in (('input', input), ('other', other)):
        if not isinstance(value, Tensor):
            _check_number(value, name)
    compute = _promote(input, other)
    tensors = [t for t in (condition, input, other) if isinstance(t, Tensor)]
    _layout.broadcast_shapes(*[t._data.shape for t in tensors])
    if any(t._device is not condition._device for t in tensors):
        check_same_device(tensors)
    device = next((t._device for t in tensors if t._data.ndim), tensors[0]._device)
    cond = condition._data
    if cond.dtype != np.bool_:
        cond = cond.astype(np.bool_)
    x = _cast(input, compute)
    y = _cast(other, compute)
    data = np.where(cond, x, y)
    if type(data) is not _ndarray:
        data = np.asarray(data)
    if data.dtype != compute._numpy:
        data = data.astype(compute.numpy_dtype)
    if data.ndim > 1:
        operands = [(t._data.shape, t.stride()) for t in (condition, input, other)
                    if isinstance(t, Tensor)]
        operands += [((), ())] * (3 - len(operands))
        data = lay_out(data, iter_strides(data.shape, operands))
    result = make_tensor(data, compute, device)
    inputs = (None, input if isinstance(input, Tensor) else None,
              other if isinstance(other, Tensor) else None)
    _record(Where, result, inputs, (None, None, None), condition=condition)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def _where_method(self, condition, other):
    return where(condition, self, other)


def nonzero(input, *, out=None, as_tuple=False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D tensor per dim (a 0-d input counts as 1-D)."""
    _check_tensor(input, 'nonzero', 'input', 1)
    data = input._host_array()
    device = input._device
    if as_tuple and data.ndim == 0:
        data = data.reshape(1)
    # PyTorch fills an (ndim, n) buffer and returns its transpose (or its rows).
    if data.ndim == 0:
        rows = np.zeros((0, int(bool(data))), dtype=np.int64)
    else:
        rows = np.array(np.nonzero(data), dtype=np.int64, order='C').reshape(data.ndim, -1)
    holder = make_tensor(rows, dt.int64, device)
    n = rows.shape[1]
    if as_tuple:
        return tuple(make_view(holder, rows[i], (1,)) for i in range(rows.shape[0]))
    result = make_tensor(rows.T, dt.int64, device)
    result._stride = (1, n)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def argwhere(input):
    """The (n, ndim) int64 tensor of indices of non-zero elements."""
    return nonzero(input)


# ---------------------------------------------------------------------------------------
# masks: masked_fill, masked_select, masked_scatter
# ---------------------------------------------------------------------------------------
def _broadcast_pair(input, mask):
    # the mask first: PyTorch's error then names the same sizes as tensor a and b
    shape = _layout.broadcast_shapes(mask._data.shape, input._data.shape)
    return shape


class MaskedFill(Op):
    node_name = 'MaskedFillBackward0'

    def backward(self, grad, *rest):
        mask = self.mask
        grad_input = grad.masked_fill(mask, 0) if _needs(self, 0) else None
        grad_value = None
        if len(self.next_functions) > 1 and _needs(self, 1):
            grad_value = where(mask, grad, grad.new_zeros(())).sum()
        return (grad_input,) if len(self.next_functions) == 1 else (grad_input, grad_value)


class MaskedFillTensor(MaskedFill):
    node_name = 'MaskedFillBackward1'


def _fill_value(input, value, name):
    """The scalar (a number or 0-d tensor) that ``name`` writes, in ``input``'s dtype, with
    PyTorch's checked conversion."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f'{name} only supports a 0-dimensional value tensor, but got '
                               f'tensor with {value._data.ndim} dimension(s).')
        value = value.item()
    else:
        from .elementwise import _check_number
        _check_number(value, 'value')
        if isinstance(value, np.generic):
            value = value.item()
    if name == 'index_fill_' and isinstance(value, complex) and not input._dtype.is_complex:
        raise RuntimeError('index_fill_(): Converting complex Scalar to non-complex type is not '
                           'supported')
    return _scalar_value(value, input._dtype, check_half=True)


def masked_fill(input, mask, value):
    """``value`` (a number or 0-d tensor) where the bool ``mask`` is True, ``input`` elsewhere;
    ``input`` and ``mask`` broadcast."""
    _check_tensor(input, 'masked_fill', 'input', 1)
    _check_tensor(mask, 'masked_fill', 'mask', 2)
    if mask._dtype is not dt.bool:
        raise RuntimeError('masked_fill_ only supports boolean masks, but got mask with dtype '
                           f'{_long_type_name(mask._dtype)}')
    _same_device(input, mask)
    value_tensor = value if isinstance(value, Tensor) else None
    fill = _fill_value(input, value, 'masked_fill_')
    shape = _broadcast_pair(input, mask)
    data = np.where(mask._data, fill, input._data)
    if data.shape != shape:
        data = np.broadcast_to(data, shape).copy()
    if data.dtype != input._dtype._numpy:
        data = data.astype(input._dtype.numpy_dtype)
    result = make_tensor(np.asarray(data, order='C'), input._dtype, input._device)
    if value_tensor is not None:
        return _record(MaskedFillTensor, result, (input, value_tensor), (None, None, None),
                       mask=mask)
    return _record(MaskedFill, result, (input,), (None, None, value), mask=mask)


def _long_type_name(d):
    return {'uint8': 'unsigned char', 'int8': 'signed char', 'int16': 'short',
            'int32': 'int', 'int64': 'long int', 'float32': 'float', 'float64': 'double',
            'float16': 'c10::Half', 'bfloat16': 'c10::BFloat16', 'bool': 'bool'}.get(d.name,
                                                                                    d.name)


class MaskedSelect(Op):
    node_name = 'MaskedSelectBackward0'

    def backward(self, grad):
        shape = self.shape
        mask = self.mask
        if mask._data.shape != shape:
            mask = mask.expand(shape)
        return (_zeros(shape, grad).masked_scatter(mask, grad),)


def masked_select(input, mask, *, out=None):
    """The elements of ``input`` where the bool ``mask`` is True (both broadcast), as 1-D."""
    _check_tensor(input, 'masked_select', 'input', 1)
    _check_tensor(mask, 'masked_select', 'mask', 2)
    if mask._dtype is not dt.bool:
        raise RuntimeError('masked_select: expected BoolTensor for mask')
    _same_device(input, mask)
    shape = _broadcast_pair(input, mask)
    data = input._data
    m = mask._data
    if data.shape != shape:
        data = np.broadcast_to(data, shape)
    if m.shape != shape:
        m = np.broadcast_to(m, shape)
    result = make_tensor(np.asarray(data[m], order='C'), input._dtype, input._device)
    result = _record(MaskedSelect, result, (input,), (None, None), mask=mask, shape=shape)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


class MaskedScatter(Op):
    node_name = 'MaskedScatterBackward0'

    def backward(self, grad):
        mask = self.mask
        if mask._data.shape != grad._data.shape:
            mask = mask.expand(grad._data.shape)
        grad_input = grad.masked_fill(mask, 0) if _needs(self, 0) else None
        grad_source = None
        if _needs(self, 1):
            source_shape = self._metas[1][0]
            numel = int(np.prod(source_shape))
            picked = grad.masked_select(mask)
            n = picked._data.shape[0]
            if n < numel:
                from .joining import cat
                picked = cat([picked, _zeros((numel - n,), grad)])
            grad_source = picked.reshape(source_shape)
        return grad_input, grad_source


def masked_scatter(input, mask, source):
    """``input`` with the elements where ``mask`` is True replaced, in order, by the first
    elements of ``source``."""
    _check_tensor(input, 'masked_scatter', 'input', 1)
    _check_tensor(mask, 'masked_scatter', 'mask', 2)
    _check_tensor(source, 'masked_scatter', 'source', 3)
    if mask._dtype is not dt.bool:
        raise RuntimeError('masked_scatter_ only supports boolean masks, but got mask with '
                           f'dtype {_type_name(mask._dtype)}')
    if source._dtype is not input._dtype:
        raise RuntimeError('masked_scatter: expected self and source to have same dtypes but '
                           f'got{_type_name(input._dtype)} and {_type_name(source._dtype)}')
    _same_device(input, mask, source)
    shape = _broadcast_pair(input, mask)
    data = np.array(np.broadcast_to(input._data, shape), order='C')
    m = np.broadcast_to(mask._data, shape)
    count = int(np.count_nonzero(m))
    src = source._data.reshape(-1)
    if src.shape[0] < count:
        raise RuntimeError('Number of elements of source < number of ones in mask')
    data[m] = src[:count]
    result = make_tensor(data, input._dtype, input._device)
    return _record(MaskedScatter, result, (input, source), (None, None, None), mask=mask)


# ---------------------------------------------------------------------------------------
# index_select, index_add, index_copy, index_fill, index_put
# ---------------------------------------------------------------------------------------
def _index_vector(index, name, allowed=(dt.int64, dt.int32), exc=RuntimeError, msg=None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not "
                        f"{_args.type_name(index)}")
    if index._dtype not in allowed:
        raise exc(msg or f'{name}(): Expected dtype int32 or int64 for index')
    if index._data.ndim > 1:
        raise IndexError(f'{name}(): Index is supposed to be a vector')
    return index._host_array().reshape(-1).astype(np.int64, copy=False)


def _moved(data, dim):
    """``data`` with ``dim`` moved to the front (a 0-d array becomes 1-d)."""
    if data.ndim == 0:
        return data.reshape(1)
    return np.moveaxis(data, dim, 0) if dim else data


class IndexSelect(Op):
    node_name = 'IndexSelectBackward0'

    @staticmethod
    def forward(ctx, x, dim, idx):
        if x.ndim == 0:
            return x.reshape(1)[idx].reshape(()) if idx.size == 1 else x.reshape(1)[idx]
        return np.take(x, idx.astype(np.intp, copy=False), axis=dim)

    def backward(self, grad):
        shape = self._metas[0][0]
        dim, idx = self.args[1], self.args[2]
        if not shape:
            return grad.sum()
        return _zeros(shape, grad).index_add(dim, _long(idx, grad._device), grad)


def index_select(input, dim, index, *, out=None):
    """Entries of ``input`` along ``dim`` at the positions in the 1-D (or 0-d) ``index``."""
    _check_tensor(input, 'index_select', 'input', 1)
    idx = _index_vector(index, 'index_select')
    _same_device(input, index)
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    size = input._data.shape[dim] if ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError('index out of range in self')
    result = IndexSelect.apply(input, dim, idx)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def _check_index_source(name, input, dim, idx, source):
    in_shape = input._data.shape
    src_shape = source._data.shape
    ndim = len(in_shape)
    if len(src_shape) != ndim and not (ndim <= 1 and len(src_shape) <= 1):
        raise IndexError(f'{name}(): Source/destination tensor must have same number of '
                         f'dimensions, but got source {list(src_shape)} and destination '
                         f'{list(in_shape)}')
    n_src = src_shape[dim] if src_shape else 1
    if len(idx) != n_src:
        raise RuntimeError(f'{name}(): Number of indices ({len(idx)}) should be equal to '
                           f'source.size(dim): ({n_src}), for dim: {dim}')
    for d in range(ndim):
        if d != dim and in_shape[d] != src_shape[d]:
            raise RuntimeError('source tensor shape must match self tensor shape, excluding '
                               f'the specified dimension. Got self.shape = {list(in_shape)} '
                               f'source.shape = {list(src_shape)}')


def _check_bounds(idx, size, dim, prefix='', exc=RuntimeError, negative=False):
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        bad = high if high >= size else (low if low < (-size if negative else 0) else None)
        if bad is not None:
            raise exc(f'{prefix}index {bad} is out of bounds for dimension {dim} with size '
                      f'{size}')


class IndexAdd(Op):
    node_name = 'IndexAddBackward0'

    def backward(self, grad):
        dim, alpha, idx, source_shape = self.args
        grad_source = None
        if _needs(self, 1):
            picked = grad.index_select(dim, _long(idx, grad._device)) if grad._data.ndim \
                else grad
            if alpha != 1:
                picked = picked * alpha
            grad_source = picked.reshape(source_shape)
        return grad, grad_source


def index_add(input, dim, index, source, *, alpha=1, out=None):
    """``input`` with ``alpha * source`` added at the positions ``index`` along ``dim``."""
    _check_tensor(input, 'index_add', 'input', 1)
    _check_tensor(source, 'index_add', 'source', 4)
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    idx = _index_vector(index, 'index_add_')
    if source._dtype is not input._dtype:
        raise RuntimeError(f'index_add_(): self ({_type_name(input._dtype)}) and source '
                           f'({_type_name(source._dtype)}) must have the same scalar type')
    _same_device(input, index, source)
    _check_index_source('index_add_', input, dim, idx, source)
    size = input._data.shape[dim] if ndim else 1
    _check_bounds(idx, size, dim)
    data = np.array(input._data, order='C')
    src = source._data
    if alpha != 1:
        from .elementwise import _scalar_array
        src = src * _scalar_array(alpha, src.dtype)
    np.add.at(_moved(data, dim), idx, _moved(src, dim).astype(data.dtype, copy=False))
    result = make_tensor(data, input._dtype, input._device)
    result = _record(IndexAdd, result, (input, source), (dim, alpha, idx, source._data.shape))
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


class IndexCopy(Op):
    node_name = 'IndexCopyBackward0'

    def backward(self, grad):
        dim, idx, source_shape = self.args
        index = _long(idx, grad._device)
        grad_input = grad.index_fill(dim, index, 0) if _needs(self, 0) else None
        grad_source = None
        if _needs(self, 1):
            picked = grad.index_select(dim, index) if grad._data.ndim else grad
            grad_source = picked.reshape(source_shape)
        return grad_input, grad_source


def index_copy(input, dim, index, source):
    """``input`` with the slices of ``source`` copied to the positions ``index`` along
    ``dim``."""
    _check_tensor(input, 'index_copy', 'input', 1)
    _check_tensor(source, 'index_copy', 'source', 4)
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    if not isinstance(index, Tensor):
        raise TypeError("index_copy(): argument 'index' (position 3) must be Tensor, not "
                        f'{_args.type_name(index)}')
    if index._dtype is not dt.int64:
        raise RuntimeError('index_copy_(): Expected a long tensor for index, but got '
                           f'{_type_name(index._dtype)}')
    if index._data.ndim > 1:
        raise IndexError('index_copy_(): Index should have dimension 1 or 0 (got '
                         f'{index._data.ndim})')
    idx = index._host_array().reshape(-1)
    if source._dtype is not input._dtype:
        raise RuntimeError('index_copy_(): self and source expected to have the same dtype, '
                           f'but got (self) {_type_name(input._dtype)} and (source) '
                           f'{_type_name(source._dtype)}')
    _same_device(input, index, source)
    _check_index_source('index_copy_', input, dim, idx, source)
    size = input._data.shape[dim] if ndim else 1
    _check_bounds(idx, size, dim, 'index_copy_(): ', IndexError)
    data = np.array(input._data, order='C')
    _moved(data, dim)[idx] = _moved(source._data, dim)
    result = make_tensor(data, input._dtype, input._device)
    return _record(IndexCopy, result, (input, source), (dim, idx, source._data.shape))


class IndexFill(Op):
    node_name = 'IndexFillBackward0'

    def backward(self, grad, *rest):
        dim, idx = self.args[0], self.args[1]
        index = _long(idx, grad._device)
        grad_input = grad.index_fill(dim, index, 0) if _needs(self, 0) else None
        if len(self.next_functions) == 1:
            return (grad_input,)
        grad_value = None
        if _needs(self, 1):
            grad_value = grad.index_select(dim, index).sum() if grad._data.ndim else grad
        return grad_input, grad_value


class IndexFillTensor(IndexFill):
    node_name = 'IndexFillBackward1'


def index_fill(input, dim, index, value):
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number or a
    0-d tensor); negative indices count from the end."""
    _check_tensor(input, 'index_fill', 'input', 1)
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    if not isinstance(index, Tensor):
        raise TypeError("index_fill(): argument 'index' (position 2) must be Tensor, not "
                        f'{_args.type_name(index)}')
    if index._dtype is not dt.int64:
        raise IndexError('index_fill_(): Expected dtype int64 for index.')
    if index._data.ndim > 1:
        raise IndexError('Index has to be a vector/scalar')
    idx = index._host_array().reshape(-1)
    _same_device(input, index)
    value_tensor = value if isinstance(value, Tensor) else None
    fill = _fill_value(input, value, 'index_fill_')
    size = input._data.shape[dim] if ndim else 1
    _check_bounds(idx, size, dim, exc=IndexError, negative=True)
    data = clone_preserve(input)
    _moved(data, dim)[idx] = fill
    result = make_tensor(data, input._dtype, input._device)
    if value_tensor is not None:
        return _record(IndexFillTensor, result, (input, value_tensor), (dim, idx))
    return _record(IndexFill, result, (input,), (dim, idx))


def _index_put_items(input, indices):
    """``indices`` (a tuple of tensors, one per leading dim; masks cover several) as advanced
    items [(dim, array)], checked like PyTorch."""
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): argument 'indices' (position 1) must be tuple of Tensors, "
                        f'not {type(indices).__name__}')
    shape = input._data.shape
    advanced = []
    d = 0
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f'expected Tensor as element {i} in argument 0, but got '
                            f'{type(t).__name__}')
        if t._device is not input._device and t._device.type != 'cpu':
            raise RuntimeError('indices should be either on cpu or on the same device as the '
                               f'indexed tensor ({input._device})')
        if t._dtype.category > 1:
            raise IndexError(_BAD_INDEX_DTYPE)
        array = t._host_array()
        if array.dtype == np.bool_ or array.dtype == np.uint8:
            array = array.astype(np.bool_, copy=False)
            k = array.ndim
            if d + k > len(shape) or array.shape != shape[d:d + k]:
                if d + k > len(shape):
                    raise IndexError(f'too many indices for tensor of dimension {len(shape)} '
                                     f'(got {len(indices)})')
                raise IndexError(f'The shape of the mask {list(array.shape)} at index 0 does '
                                 f'not match the shape of the indexed tensor {list(shape)} at '
                                 f'index {d}')
            if k == 0:
                advanced.append((d, np.asarray(array).reshape(())))
            else:
                advanced.append((d, array))
            d += k
            continue
        if array.dtype not in (np.int64, np.int32):
            raise IndexError(_BAD_INDEX_DTYPE)
        if d >= len(shape):
            raise IndexError(f'too many indices for tensor of dimension {len(shape)} (got '
                             f'{len(indices)})')
        size = shape[d]
        if array.size:
            low, high = int(array.min()), int(array.max())
            if low < -size or high >= size:
                bad = high if high >= size else low
                raise IndexError(f'index {bad} is out of bounds for dimension {d} with size '
                                 f'{size}')
        advanced.append((d, array.astype(np.int64, copy=False)))
        d += 1
    return advanced


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written (or with ``accumulate``, added) at the positions
    given by the tuple of index tensors (as ``input[indices] = values``)."""
    _check_tensor(input, 'index_put', 'input', 1)
    _check_tensor(values, 'index_put', 'values', 3)
    advanced = _index_put_items(input, indices)
    if values._dtype is not input._dtype:
        raise RuntimeError('Index put requires the source and destination dtypes match, '
                           f'got {_type_name(input._dtype)} for the destination and '
                           f'{_type_name(values._dtype)} for the source.')
    if values._device is not input._device:
        check_same_device((input, values))
    data = clone_preserve(input)
    if advanced:
        key = adv_key(advanced)
        out_shape, _ = advanced_result(data.shape, (), advanced, layout=False)
    else:
        key = ()
        out_shape = data.shape
    source = _write(data, values._data, out_shape, True)
    if accumulate:
        np.add.at(data, _int_key(key), source)
    elif key:
        data[key] = source
    else:
        data[...] = source
    result = make_tensor(data, input._dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or values._requires_grad):
        node = IndexPutNode.__new__(IndexPutNode)
        node._connect((input, values))
        node.args = ()
        node.key = ()
        node.adv = key
        node.accumulate = accumulate
        node.value_shape = values._data.shape
        attach(node, result)
    return result


# ---------------------------------------------------------------------------------------
# gather / scatter
# ---------------------------------------------------------------------------------------
def _gather_index(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not "
                        f'{_args.type_name(index)}')
    if index._dtype is not dt.int64 and index._dtype is not dt.int32:
        raise RuntimeError(f'{name}(): Expected dtype int32/int64 for index')
    idx = index._host_array()
    return idx if idx.dtype == np.int64 else idx.astype(np.int64)


def _as_1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def _check_gather_shapes(input, dim, idx, name):
    in_shape = input._data.shape or (1,)
    idx_shape = idx.shape or (1,)
    if len(idx_shape) != len(in_shape):
        raise RuntimeError('Index tensor must have the same number of dimensions as input '
                           'tensor')
    for d in range(len(in_shape)):
        if d != dim and idx_shape[d] > in_shape[d]:
            raise RuntimeError(f'Size does not match at dimension {d} expected index '
                               f'{list(idx.shape)} to be no larger than self '
                               f'{list(input._data.shape)} apart from dimension {dim}')


def _check_scatter_shapes(input, dim, idx, src):
    in_shape = input._data.shape or (1,)
    idx_shape = idx.shape or (1,)
    if len(idx_shape) != len(in_shape):
        raise RuntimeError('Index tensor must have the same number of dimensions as self '
                           'tensor')
    if src is not None:
        src_shape = src._data.shape or (1,)
        if len(src_shape) != len(idx_shape):
            raise RuntimeError('Index tensor must have the same number of dimensions as src '
                               'tensor')
    for d in range(len(in_shape)):
        bad = d != dim and idx_shape[d] > in_shape[d]
        if src is not None:
            bad = bad or idx_shape[d] > src_shape[d]
        if bad:
            extra = f' and to be no larger size than src {list(src._data.shape)}' \
                if src is not None else ''
            raise RuntimeError(f'Expected index {list(idx.shape)} to be no larger than self '
                               f'{list(input._data.shape)} apart from dimension {dim}{extra}')


def _check_index_bounds(idx, size, dim):
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise RuntimeError(f'index {bad} is out of bounds for dimension {dim} with size '
                               f'{size}')


def _grid(idx, dim):
    """Open grids addressing every element of ``idx``, with ``idx`` itself along ``dim``."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[dim] = idx
    return tuple(grids)


class Gather(Op):
    node_name = 'GatherBackward0'

    @staticmethod
    def forward(ctx, x, dim, idx):
        x1 = _as_1d(x)
        i1 = _as_1d(idx)
        if i1.size == 0:
            out = np.empty(i1.shape, dtype=x.dtype)
        else:
            out = x1[_grid(i1, dim)]
        return np.array(out.reshape(idx.shape), order='C')

    def backward(self, grad):
        shape = self._metas[0][0]
        dim, idx = self.args[1], self.args[2]
        return _zeros(shape, grad).scatter_add(dim, _long(idx, grad._device), grad)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    """Values of ``input`` along ``dim`` at ``index``; the result has ``index``'s shape:
    ``out[i][j][k] = input[index[i][j][k]][j][k]`` for ``dim=0``."""
    _check_tensor(input, 'gather', 'input', 1)
    idx = _gather_index(index, 'gather')
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    _same_device(input, index)
    _check_gather_shapes(input, dim, idx, 'gather')
    _check_index_bounds(idx, input._data.shape[dim] if ndim else 1, dim)
    result = Gather.apply(input, dim, idx)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def _scatter_values(src, idx, dtype):
    """The part of ``src`` that ``idx`` reads (its leading corner)."""
    s = _as_1d(src)
    i = _as_1d(idx)
    return s[tuple(slice(0, n) for n in i.shape)]


class Scatter(Op):
    node_name = 'ScatterBackward0'

    def backward(self, grad):
        dim, idx = self.args
        index = _long(idx, grad._device)
        grad_input = grad.scatter(dim, index, 0) if _needs(self, 0) else None
        grad_src = None
        if len(self.next_functions) > 1 and _needs(self, 1):
            grad_src = grad.gather(dim, index)
            src_shape = self._metas[1][0]
            if grad_src._data.shape != src_shape:
                grad_src = _pad_to(grad_src, src_shape)
        return (grad_input,) if len(self.next_functions) == 1 else (grad_input, grad_src)


class ScatterValue(Scatter):
    node_name = 'ScatterBackward1'


class _NotImplementedNode(Node):
    """PyTorch's node for results whose derivative it does not implement."""

    def name(self):
        return 'torch::autograd::NotImplemented'

    def backward(self, *grads):
        raise RuntimeError(f'derivative for aten::{self.what} is not implemented')


_NotImplementedNode.__name__ = _NotImplementedNode.__qualname__ = 'NotImplemented'


def _pad_to(t, shape):
    """``t`` placed in the leading corner of zeros of ``shape``."""
    key = tuple(slice(0, n) for n in t._data.shape)
    if not shape:
        return t.reshape(())
    return EmbedBasicIndex.apply(t.reshape(t._data.shape), shape, key)


def _scatter_common(input, dim, index, src, name):
    _check_tensor(input, name, 'input', 1)
    idx = _gather_index(index, name)
    ndim = input._data.ndim
    dim = _wrap_dim(dim, ndim)
    src_tensor = src if isinstance(src, Tensor) else None
    if src_tensor is not None:
        if src_tensor._dtype is not input._dtype:
            raise RuntimeError(f'{name}(): Expected self.dtype to be equal to src.dtype')
        _same_device(input, index, src_tensor)
    else:
        _same_device(input, index)
    _check_scatter_shapes(input, dim, idx, src_tensor)
    _check_index_bounds(idx, input._data.shape[dim] if ndim else 1, dim)
    return idx, dim, src_tensor


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """``input`` with values from ``src`` (a tensor, or a number ``value``) written along
    ``dim`` at ``index``: ``out[index[i][j]][j] = src[i][j]`` for ``dim=0``. ``reduce``
    ('add' or 'multiply') combines instead of overwriting."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    idx, dim, src_tensor = _scatter_common(input, dim, index, src, 'scatter')
    data = np.array(input._data, order='C')
    d1 = _as_1d(data)
    i1 = _as_1d(idx)
    if src_tensor is not None:
        values = _scatter_values(src_tensor._data, idx, data.dtype)
    else:
        from .elementwise import _check_number
        _check_number(src, 'value')
        values = _scalar_value(src.item() if isinstance(src, np.generic) else src,
                               input._dtype)
    if reduce is None:
        if i1.size:
            d1[_grid(i1, dim)] = values
    elif reduce == 'add' or reduce == 'multiply':
        if src_tensor is not None:
            warnings.warn('The reduce argument of torch.scatter with Tensor src is deprecated and '
                          'will be removed in a future PyTorch release. Use torch.scatter_reduce '
                          'instead for more reduction options.', UserWarning, stacklevel=2)
        if i1.size:
            ufunc = np.add if reduce == 'add' else np.multiply
            ufunc.at(d1, _grid(i1, dim), np.broadcast_to(values, i1.shape))
    else:
        raise RuntimeError('reduce argument must be either add or multiply.')
    result = make_tensor(data, input._dtype, input._device)
    if reduce is not None:
        if _grad_state.enabled and (input._requires_grad or (
                src_tensor is not None and src_tensor._requires_grad)):
            node = _NotImplementedNode.__new__(_NotImplementedNode)
            node._connect((input, src_tensor) if src_tensor is not None else (input,))
            node.args = ()
            node.what = 'scatter'
            attach(node, result)
        return result
    if src_tensor is not None:
        return _record(Scatter, result, (input, src_tensor), (dim, idx))
    return _record(ScatterValue, result, (input,), (dim, idx))


class ScatterAdd(Op):
    node_name = 'ScatterAddBackward0'

    def backward(self, grad):
        dim, idx = self.args
        grad_src = None
        if _needs(self, 1):
            grad_src = grad.gather(dim, _long(idx, grad._device))
            src_shape = self._metas[1][0]
            if grad_src._data.shape != src_shape:
                grad_src = _pad_to(grad_src, src_shape)
        return grad, grad_src


def scatter_add(input, dim, index, src):
    """``input`` with ``src`` added along ``dim`` at ``index`` (repeated indices add up)."""
    _check_tensor(src, 'scatter_add', 'src', 4)
    idx, dim, src_tensor = _scatter_common(input, dim, index, src, 'scatter')
    data = np.array(input._data, order='C')
    i1 = _as_1d(idx)
    if i1.size:
        np.add.at(_as_1d(data), _grid(i1, dim), _scatter_values(src._data, idx, data.dtype))
    result = make_tensor(data, input._dtype, input._device)
    return _record(ScatterAdd, result, (input, src), (dim, idx))


_REDUCTIONS = ('sum', 'prod', 'mean', 'amax', 'amin')


class ScatterReduce(Op):
    node_name = 'ScatterReduceBackward0'

    def backward(self, grad):
        dim, idx, reduce, include_self = self.args
        index = _long(idx, grad._device)
        x, src = self.saved
        result = self.output
        grad_input = grad_src = None
        scattered = self.scattered          # bool tensor: positions some src element reached
        if reduce == 'sum':
            grad_input = grad if include_self else grad.masked_fill(scattered, 0)
            grad_src = grad.gather(dim, index)
        elif reduce == 'mean':
            count = self.count
            grad_input = grad / count
            if not include_self:
                grad_input = grad_input.masked_fill(scattered, 0)
            grad_src = (grad / count).gather(dim, index)
        elif reduce == 'prod':
            # The product of the other factors, without dividing by zeros: per position,
            # count the zero factors and multiply the non-zero ones.
            zero = x.new_zeros(())
            one = x.new_ones(())
            src_part = src if src._data.shape == index._data.shape else \
                src[tuple(slice(0, n) for n in index._data.shape)]
            x_zero = x == 0
            s_zero = src_part == 0
            x_safe = where(x_zero, one, x)
            s_safe = where(s_zero, one, src_part)
            base = x_safe if include_self else x.new_ones(x._data.shape)
            zeros_here = (x_zero.to(x._dtype) if include_self else
                          x.new_zeros(x._data.shape)).scatter_add(dim, index,
                                                                   s_zero.to(x._dtype))
            prod_nonzero = base.scatter_reduce(dim, index, s_safe, 'prod', include_self=True)
            if include_self:
                others_self = where(x_zero, where(zeros_here == 1, prod_nonzero, zero),
                                    where(zeros_here == 0, prod_nonzero / x_safe, zero))
                grad_input = grad * others_self
            else:
                grad_input = grad.masked_fill(scattered, 0)
            pz = prod_nonzero.gather(dim, index)
            zc = zeros_here.gather(dim, index)
            others_src = where(s_zero, where(zc == 1, pz, zero),
                               where(zc == 0, pz / s_safe, zero))
            grad_src = grad.gather(dim, index) * others_src
        else:   # amax / amin: ties share the gradient evenly
            picked = result.gather(dim, index)
            src_part = src if src._data.shape == index._data.shape else \
                src[tuple(slice(0, n) for n in index._data.shape)]
            src_hit = (src_part == picked).to(grad._dtype)
            self_hit = (x == result).to(grad._dtype) if include_self else \
                x.new_zeros(x._data.shape).masked_fill(scattered.logical_not(), 1)
            count = self_hit.scatter_add(dim, index, src_hit)
            grad_input = grad * self_hit / count
            grad_src = (grad / count).gather(dim, index) * src_hit
        if grad_src is not None and grad_src._data.shape != self._metas[1][0] and \
                self._metas[1] is not None:
            grad_src = _pad_to(grad_src, self._metas[1][0])
        return (grad_input if _needs(self, 0) else None,
                grad_src if _needs(self, 1) else None)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with the elements of ``src`` combined into it along ``dim`` at ``index`` by
    ``reduce`` ('sum', 'prod', 'mean', 'amax', 'amin'); without ``include_self`` the values
    of ``input`` at scattered positions are left out."""
    _check_tensor(src, 'scatter_reduce', 'src', 4)
    if reduce not in _REDUCTIONS:
        raise RuntimeError('reduce argument must be either sum, prod, mean, amax or amin, got '
                           f'{reduce}')
    idx, dim, _ = _scatter_common(input, dim, index, src, 'scatter')
    data = np.array(input._data, order='C')
    d1 = _as_1d(data)
    i1 = _as_1d(idx)
    values = _scatter_values(src._data, idx, data.dtype)
    grid = _grid(i1, dim) if i1.size else None
    hit = np.zeros(d1.shape, dtype=np.bool_)
    if grid is not None:
        hit[grid] = True
    count = None
    if reduce == 'mean':
        count = np.zeros(d1.shape, dtype=np.int64)
        if grid is not None:
            np.add.at(count, grid, 1)
        if include_self:
            count += 1
    if not include_self and grid is not None:
        start = {'sum': 0, 'mean': 0, 'prod': 1}.get(reduce)
        if start is None:
            info = np.finfo(data.dtype) if data.dtype.kind == 'f' else np.iinfo(data.dtype)
            start = info.min if reduce == 'amax' else info.max
            if data.dtype.kind == 'f':
                start = -np.inf if reduce == 'amax' else np.inf
        d1[hit] = start
    if grid is not None:
        ufunc = {'sum': np.add, 'mean': np.add, 'prod': np.multiply, 'amax': np.fmax,
                 'amin': np.fmin}[reduce]
        if reduce in ('amax', 'amin') and data.dtype.kind == 'f':
            # NaN wins, as in PyTorch.
            ufunc = np.maximum if reduce == 'amax' else np.minimum
        ufunc.at(d1, grid, values)
    if reduce == 'mean':
        safe = np.maximum(count, 1).reshape(d1.shape)
        if data.dtype.kind == 'f':
            d1[...] = d1 / safe.astype(data.dtype)
        else:
            d1[...] = np.floor_divide(d1, safe.astype(data.dtype))
    result = make_tensor(data, input._dtype, input._device)
    if _grad_state.enabled and (input._requires_grad or src._requires_grad):
        node = ScatterReduce.__new__(ScatterReduce)
        node._connect((input, src))
        node.args = (dim, idx, reduce, include_self)
        node.save(input, src)
        node.scattered = make_tensor(hit.reshape(data.shape), dt.bool, input._device)
        if count is not None:
            node.count = make_tensor(np.maximum(count, 1).reshape(data.shape).astype(
                data.dtype), input._dtype, input._device)
        attach(node, result, save_output=True)
    return result


# ---------------------------------------------------------------------------------------
# take / take_along_dim
# ---------------------------------------------------------------------------------------
class Take(Op):
    node_name = 'TakeBackward0'

    @staticmethod
    def forward(ctx, x, flat_idx):
        return np.array(x.reshape(-1)[flat_idx], order='C')

    def backward(self, grad):
        shape = self._metas[0][0]
        idx = self.args[1]
        flat = _zeros((int(np.prod(shape)),), grad)
        return flat.index_add(0, _long(idx.reshape(-1), grad._device),
                              grad.reshape(-1)).reshape(shape)


def take(input, index):
    """Elements of ``input`` read as 1-D at the positions in ``index`` (negative ones count
    from the end); the result has ``index``'s shape."""
    _check_tensor(input, 'take', 'input', 1)
    if not isinstance(index, Tensor):
        raise TypeError("take(): argument 'index' (position 2) must be Tensor, not "
                        f'{_args.type_name(index)}')
    if index._dtype is not dt.int64:
        raise RuntimeError('take(): Expected a long tensor for index, but got '
                           f'{_type_name(index._dtype)}')
    _same_device(input, index)
    numel = input._data.size
    idx = index._host_array()
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < -numel or high >= numel:
            bad = high if high >= numel else low
            raise IndexError(f'out of range: tried to access index {bad} on a tensor of '
                             f'{numel} elements.')
        idx = np.where(idx < 0, idx + numel, idx)
    return Take.apply(input, idx)


class Put(Op):
    node_name = 'PutBackward0'

    def backward(self, grad):
        flat_idx, accumulate, source_shape = self.args
        index = _long(flat_idx, grad._device)
        grad_input = grad_source = None
        if _needs(self, 0):
            grad_input = grad if accumulate else grad.put(index, grad.new_zeros(flat_idx.shape))
        if _needs(self, 1):
            grad_source = grad.take(index).reshape(source_shape)
        return grad_input, grad_source


def put(input, index, source, accumulate=False):
    """``input`` read as 1-D with the elements of ``source`` written (or with ``accumulate``,
    added) at the positions in ``index`` (negative ones count from the end)."""
    _check_tensor(input, 'put', 'input', 1)
    _check_tensor(index, 'put', 'index', 2)
    _check_tensor(source, 'put', 'source', 3)
    if index._dtype is not dt.int64:
        raise RuntimeError('put_(): Expected a long tensor for index, but got '
                           f'{_type_name(index._dtype)}')
    if source._dtype is not input._dtype:
        raise RuntimeError('put_(): self and source expected to have the same dtype, but got '
                           f'self.dtype = {_type_name(input._dtype)} and source.dtype = '
                           f'{_type_name(source._dtype)}')
    _same_device(input, index, source)
    idx = index._host_array().reshape(-1)
    if idx.size != source._data.size:
        raise IndexError('put_(): Expected source and index to have the same number of '
                         f'elements, but got source.numel() = {source._data.size}, '
                         f'index.numel() = {idx.size}')
    numel = input._data.size
    if idx.size:
        low, high = int(idx.min()), int(idx.max())
        if low < -numel or high >= numel:
            bad = high if high >= numel else low
            raise IndexError(f'out of range: tried to access index {bad} on a tensor of '
                             f'{numel} elements.')
        idx = np.where(idx < 0, idx + numel, idx)
    data = clone_preserve(input)
    positions = np.unravel_index(idx, data.shape) if data.ndim else (np.zeros_like(idx),)
    values = source._data.reshape(-1)
    target = data if data.ndim else data.reshape(1)
    if accumulate:
        np.add.at(target, positions, values)
    else:
        target[positions] = values
    result = make_tensor(data, input._dtype, input._device)
    return _record(Put, result, (input, source), (idx, accumulate, source._data.shape))


def take_along_dim(input, indices, dim=None, *, out=None):
    """``gather`` along ``dim`` with ``input`` and ``indices`` broadcast against each other in
    the other dims; with ``dim=None`` both are flattened first."""
    _check_tensor(input, 'take_along_dim', 'input', 1)
    _check_tensor(indices, 'take_along_dim', 'indices', 2)
    if indices._dtype is not dt.int64:
        raise RuntimeError('torch.take_along_dim(): dtype of indices should be Long but got '
                           f'{_type_name(indices._dtype)}')
    if dim is None:
        result = input.reshape(-1).gather(0, indices.reshape(-1))
    else:
        ndim = input._data.ndim
        if ndim != indices._data.ndim:
            raise RuntimeError('torch.take_along_dim(): input and indices should have the same '
                               f'number of dimensions, but got {ndim} dimensions for input, and '
                               f'{indices._data.ndim} dimensions for indices')
        dim = _wrap_dim(dim, ndim)
        in_shape = list(input._data.shape)
        ix_shape = list(indices._data.shape)
        if ndim:
            a = in_shape[:dim] + [1] + in_shape[dim + 1:]
            b = ix_shape[:dim] + [1] + ix_shape[dim + 1:]
            common = list(_layout.broadcast_shapes(tuple(a), tuple(b)))
            in_target = common[:dim] + [in_shape[dim]] + common[dim + 1:]
            ix_target = common[:dim] + [ix_shape[dim]] + common[dim + 1:]
            if in_target != in_shape:
                input = input.expand(in_target)
            if ix_target != ix_shape:
                indices = indices.expand(ix_target)
        result = input.gather(dim, indices)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


# ---------------------------------------------------------------------------------------
# methods and in-place variants
# ---------------------------------------------------------------------------------------
def _through_expanded(method, fn, write, example):
    """The in-place ``method`` of ``fn``, except on a tensor whose elements share memory
    (``expand``): there PyTorch still writes through, with a deprecation warning, since every
    element aliased to one address receives the same value. ``write(array, *args)`` does the
    write on a writable alias of the tensor's array. A write that autograd must record keeps
    the overlap error (PyTorch records it through as_strided)."""
    def method_(self, *args, **kwargs):
        data = self._data
        from .elementwise import _overlaps_itself, check_inplace_result
        if not _overlaps_itself(data) or (_grad_state.enabled and (self._requires_grad or any(
                isinstance(a, Tensor) and a._requires_grad for a in args))):
            return method(self, *args, **kwargs)
        check_inplace_result(self, fn(self, *args, **kwargs))   # PyTorch's checks
        warnings.warn(f'Use of {fn.__name__}_ on expanded tensors is deprecated. Please clone() '
                      'the tensor before performing this operation. This also applies to '
                      f'advanced indexing e.g. {example}', UserWarning, stacklevel=2)
        write(_writable_alias(data), self, *args, **kwargs)
        self._bump_version()
        return self
    method_.__name__ = method.__name__
    method_.__doc__ = method.__doc__
    return method_


def _write_masked_fill(view, self, mask, value):
    view[np.broadcast_to(mask._host_array(), view.shape)] = _fill_value(self, value, '')


def _write_index_fill(view, self, dim, index, value):
    dim = _wrap_dim(dim, view.ndim)
    _moved(view, dim)[index._host_array().reshape(-1)] = _fill_value(self, value, '')


def _write_index_put(view, self, indices, values, accumulate=False):
    advanced = _index_put_items(self, indices)
    key = adv_key(advanced) if advanced else ()
    out_shape = advanced_result(view.shape, (), advanced, layout=False)[0] if advanced \
        else view.shape
    source = _write(view, values._host_array(), out_shape, True)
    if accumulate:
        np.add.at(view, _int_key(key), source)
    else:
        view[key if key else Ellipsis] = source


def _install():
    from .elementwise import inplace
    for name in ['nonzero', 'argwhere', 'masked_fill', 'masked_select', 'masked_scatter',
                 'index_select', 'index_add', 'index_copy', 'index_fill', 'index_put',
                 'scatter', 'scatter_add', 'scatter_reduce', 'gather', 'take',
                 'take_along_dim', 'put']:
        setattr(Tensor, name, globals()[name])
    for name in ['masked_scatter', 'index_add', 'index_copy', 'scatter', 'scatter_add',
                 'scatter_reduce', 'put']:
        setattr(Tensor, name + '_', inplace(globals()[name]))
    for name, write, example in [('masked_fill', _write_masked_fill, 'tensor[mask] = scalar'),
                                 ('index_fill', _write_index_fill, 'tensor[mask] = scalar'),
                                 ('index_put', _write_index_put, 'tensor[indices] = tensor')]:
        setattr(Tensor, name + '_', _through_expanded(inplace(globals()[name]), globals()[name],
                                                      write, example))
    Tensor.where = _where_method
    Tensor.__getitem__ = getitem
    Tensor.__setitem__ = setitem


_install()
