"""Joining and splitting: cat and stack with their variants (hstack, vstack, dstack,
column_stack), atleast_1d/2d/3d, and split, chunk, tensor_split, hsplit/vsplit/dsplit (views).
"""

__all__ = ['cat', 'concat', 'concatenate', 'stack', 'hstack', 'vstack', 'row_stack', 'dstack',
           'column_stack', 'atleast_1d', 'atleast_2d', 'atleast_3d', 'split', 'chunk',
           'tensor_split', 'hsplit', 'vsplit', 'dsplit', 'split_with_sizes']

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, make_tensor, make_view
from ..autograd import grad_mode
from ..autograd.function import Op, attach, check_same_device

_grad_state = grad_mode.state


def _as_tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        'not Tensor')
    if not isinstance(tensors, (list, tuple)):
        tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f'expected Tensor as element {i} in argument 0, but got '
                            f'{type(t).__name__}')
    return tensors


def _xp(array):
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


def _join(arrays, axis, np_dtype):
    if type(arrays[0]) is np.ndarray:
        # Into a fresh row-major array: PyTorch's result is contiguous whatever the inputs.
        shape = list(arrays[0].shape)
        shape[axis] = sum(a.shape[axis] for a in arrays)
        out = np.empty(shape, dtype=np_dtype)
        np.concatenate(arrays, axis=axis, out=out, casting='unsafe')
        return out
    return _xp(arrays[0]).concatenate([a.astype(np_dtype) for a in arrays], axis=axis)


def _result_dtype(tensors):
    result = tensors[0]._dtype
    for t in tensors[1:]:
        if t._dtype is not result:
            result = dt.promote_types(result, t._dtype)
    return result


def _out(result, out):
    if out is None:
        return result
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


# ---------------------------------------------------------------------------------------
# cat
# ---------------------------------------------------------------------------------------
class Cat(Op):
    node_name = 'CatBackward0'

    def backward(self, grad):
        dim = self.args[0]
        pieces = []
        start = 0
        for size, meta in zip(self.sizes, self._metas):
            if meta is None:
                pieces.append(None)
            elif size is None:      # a skipped 1-D empty input
                pieces.append(grad.new_zeros(meta[0]))
            else:
                pieces.append(grad.narrow(dim, start, size))
            start += size or 0
        return tuple(pieces)


def cat(tensors, dim=0, *, axis=None, out=None):
    """Concatenate tensors along an existing dim; the other dims must match. The result has
    the promoted dtype. 1-D empty tensors (shape ``(0,)``) are skipped, as in PyTorch."""
    if axis is not None:
        dim = axis
    tensors = _as_tensor_list(tensors, 'cat')
    if not tensors:
        raise ValueError('torch.cat(): expected a non-empty list of Tensors')
    if len(tensors) > 1 and any(t._device is not tensors[0]._device for t in tensors):
        check_same_device(tensors)
    skipped = [t._data.ndim == 1 and t._data.shape[0] == 0 for t in tensors]
    used = [t for t, skip in zip(tensors, skipped) if not skip]
    ref = used[0] if used else tensors[0]
    ndim = ref._data.ndim
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f'zero-dimensional tensor (at position {i}) cannot be '
                               'concatenated')
    d = _layout.normalize_dim(dim, ndim)
    ref_shape = ref._data.shape
    for i, t in enumerate(tensors):
        if skipped[i]:
            continue
        shape = t._data.shape
        if len(shape) != ndim:
            raise RuntimeError(f'Tensors must have same number of dimensions: got {ndim} and '
                               f'{len(shape)}')
        for axis in range(ndim):
            if axis != d and shape[axis] != ref_shape[axis]:
                raise RuntimeError(f'Sizes of tensors must match except in dimension {d}. '
                                   f'Expected size {ref_shape[axis]} but got size '
                                   f'{shape[axis]} for tensor number {i} in the list.')
    result_dtype = _result_dtype(tensors)
    arrays = [t._data for t in used] or [ref._data]
    data = _join(arrays, d, result_dtype.numpy_dtype)
    result = make_tensor(data, result_dtype, ref._device)
    if _grad_state.enabled and any(t._requires_grad for t in tensors):
        node = Cat.__new__(Cat)
        node._connect(tensors)
        node.args = (d,)
        node.sizes = [None if skip else t._data.shape[d] for t, skip in zip(tensors, skipped)]
        attach(node, result)
    return _out(result, out)


def concat(tensors, dim=0, *, axis=None, out=None):
    """Alias of :func:`cat`."""
    return cat(tensors, dim, axis=axis, out=out)


def concatenate(tensors, axis=0, *, dim=None, out=None):
    """Alias of :func:`cat` (NumPy's name, with ``axis``)."""
    return cat(tensors, axis if dim is None else dim, out=out)


# ---------------------------------------------------------------------------------------
# stack and the *stack family
# ---------------------------------------------------------------------------------------
class Stack(Op):
    node_name = 'StackBackward0'

    def backward(self, grad):
        dim = self.args[0]
        return tuple(None if meta is None else grad.select(dim, i)
                     for i, meta in enumerate(self._metas))


def stack(tensors, dim=0, *, axis=_args.NO_AXIS, out=None):
    """Join same-shaped tensors along a new dim ``dim`` (promoting dtypes)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'stack')
    tensors = _as_tensor_list(tensors, 'stack')
    if not tensors:
        raise RuntimeError('stack expects a non-empty TensorList')
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f'stack expects each tensor to be equal size, but got '
                               f'{list(shape)} at entry 0 and {list(t._data.shape)} at entry '
                               f'{i}')
    if len(tensors) > 1 and any(t._device is not tensors[0]._device for t in tensors):
        check_same_device(tensors)
    d = _layout.normalize_dim(dim, len(shape) + 1)
    result_dtype = _result_dtype(tensors)
    arrays = [np.expand_dims(t._data, d) if type(t._data) is np.ndarray
              else _xp(t._data).expand_dims(t._data, d) for t in tensors]
    data = _join(arrays, d, result_dtype.numpy_dtype)
    result = make_tensor(data, result_dtype, tensors[0]._device)
    if _grad_state.enabled and any(t._requires_grad for t in tensors):
        node = Stack.__new__(Stack)
        node._connect(tensors)
        node.args = (d,)
        attach(node, result)
    return _out(result, out)


def hstack(tensors, *, out=None):
    """Concatenate horizontally: along dim 0 for 1-D tensors, else dim 1 (0-d tensors count
    as 1-D)."""
    tensors = atleast_1d(_as_tensor_list(tensors, 'hstack'))
    if not tensors:
        raise ValueError('torch.cat(): expected a non-empty list of Tensors')
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    """Concatenate vertically (along dim 0) after making each tensor at least 2-D."""
    return cat(atleast_2d(_as_tensor_list(tensors, 'vstack')), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    """Concatenate depthwise (along dim 2) after making each tensor at least 3-D."""
    return cat(atleast_3d(_as_tensor_list(tensors, 'dstack')), 2, out=out)


def column_stack(tensors, *, out=None):
    """Stack as columns: 0-d and 1-D tensors become columns, then ``hstack``."""
    tensors = _as_tensor_list(tensors, 'column_stack')
    cols = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return hstack(cols, out=out)


def _flat(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0]), False
    return list(tensors), len(tensors) == 1


def atleast_1d(*tensors):
    """Each tensor with at least one dim (0-d becomes shape (1,)); one tensor in, one out."""
    items, single = _flat(tensors)
    out = [t.reshape(1) if t._data.ndim == 0 else t for t in items]
    return out[0] if single else tuple(out)


def atleast_2d(*tensors):
    """Each tensor with at least two dims (1-D of size n becomes (1, n))."""
    items, single = _flat(tensors)
    out = []
    for t in items:
        n = t._data.ndim
        if n == 0:
            t = t.reshape(1, 1)
        elif n == 1:
            t = t.unsqueeze(0)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_3d(*tensors):
    """Each tensor with at least three dims: (n,) becomes (1, n, 1), (m, n) becomes
    (m, n, 1)."""
    items, single = _flat(tensors)
    out = []
    for t in items:
        n = t._data.ndim
        if n == 0:
            t = t.reshape(1, 1, 1)
        elif n == 1:
            t = t.unsqueeze(0).unsqueeze(-1)
        elif n == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if single else tuple(out)


# ---------------------------------------------------------------------------------------
# splitting (views)
# ---------------------------------------------------------------------------------------
class Split(Op):
    node_name = 'SplitBackward0'

    def backward(self, *grads):
        from .creation import zeros
        shape, dtype, device = self._metas[0]
        dim = self.args[0]
        pieces = []
        for g, size in zip(grads, self.sizes):
            if g is None:
                g = zeros(shape[:dim] + (size,) + shape[dim + 1:], dtype=dtype, device=device)
            pieces.append(g)
        return cat(pieces, dim)


class SplitWithSizes(Split):
    node_name = 'SplitWithSizesBackward0'


def _split_views(input, dim, sizes, cls):
    """Views of consecutive pieces of ``sizes`` along ``dim``, all outputs of one node."""
    strides = input.stride()
    data = input._data
    pre = (slice(None),) * dim
    base_offset = input.storage_offset()
    outs = []
    start = 0
    for size in sizes:
        piece = data[pre + (slice(start, start + size),)]
        outs.append(make_view(input, piece, strides, offset=base_offset + start * strides[dim]))
        start += size
    outs = tuple(outs)
    if input._requires_grad and _grad_state.enabled:
        node = cls.__new__(cls)
        node._connect((input,))
        node.args = (dim,)
        node.sizes = list(sizes)
        node._n_outputs = len(outs)
        attach(node, outs)
    return outs


def split(tensor, split_size_or_sections, dim=0):
    """Split into views of ``split_size`` along ``dim`` (the last may be smaller), or of the
    sizes listed."""
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError('split expects at least a 1-dimensional tensor')
    dim = _layout.normalize_dim(dim, len(shape))
    size = shape[dim]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise RuntimeError(f'split_with_sizes expects split_sizes to sum exactly to {size} '
                               f'(input tensor\'s size at dimension {dim}), but got split_sizes='
                               f'{sizes}')
        return _split_views(tensor, dim, sizes, SplitWithSizes)
    step = _args.as_int(split_size_or_sections, 'split', 'split_size', 1)
    if step < 0:
        raise RuntimeError(f'split expects split_size be non-negative, but got split_size='
                           f'{step}')
    if step == 0 and size != 0:
        raise RuntimeError('split_size can only be 0 if dimension size is 0, but got dimension '
                           f'size of {size}')
    sizes = [min(step, size - i) for i in range(0, size, step)] if step else []
    return _split_views(tensor, dim, sizes or [0], Split)


def split_with_sizes(input, split_sizes, dim=0):
    """Split into views of the listed sizes along ``dim`` (they must sum to its size)."""
    return split(input, list(split_sizes), dim)


def _split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` views of equal size along ``dim`` (the last may be smaller, and
    there may be fewer)."""
    chunks = chunks if type(chunks) is int else _args.as_int(chunks, 'chunk', 'chunks', 1)
    if chunks <= 0:
        raise RuntimeError(f'chunk expects `chunks` to be greater than 0, got: {chunks}')
    shape = input._data.shape
    if not shape:
        raise RuntimeError('chunk expects at least a 1-dimensional tensor')
    dim = _layout.normalize_dim(dim, len(shape))
    size = shape[dim]
    step = -(-size // chunks)
    if size == 0:
        return _split_views(input, dim, [0] * chunks, Split)
    return split(input, step, dim)


def tensor_split(input, indices_or_sections, dim=0):
    """Split into views along ``dim``: ``n`` nearly equal parts (the first ``size % n`` one
    longer), or at the listed indices."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError('tensor_split expected at least a 1-dimensional tensor, but got a '
                           'tensor with 0 dims')
    dim = _layout.normalize_dim(dim, len(shape))
    size = shape[dim]
    sections = indices_or_sections
    if isinstance(sections, Tensor):
        if sections._dtype.category != 1 or sections._dtype is dt.bool:
            raise RuntimeError('tensor_split expected tensor_indices_or_sections to have '
                               f'integer dtype, but got {sections._dtype}')
        if sections._data.ndim > 1:
            raise RuntimeError('tensor_split expected tensor_indices_or_sections to be a '
                               'zero-dimensional or one-dimensional tensor, but got a tensor '
                               f'with {sections._data.ndim} dims')
        sections = sections.item() if sections._data.ndim == 0 else sections.tolist()
    if isinstance(sections, (list, tuple)):
        bounds = [0]
        for i in sections:
            i = int(i)
            i = min(max(i + size if i < 0 else i, 0), size)
            bounds.append(i)
        bounds.append(size)
        pieces = []
        for a, b in zip(bounds, bounds[1:]):
            start = min(a, size)
            pieces.append(input.narrow(dim, start, max(b - a, 0) if b >= start else 0))
        return tuple(pieces)
    n = _args.as_int(sections, 'tensor_split', 'indices_or_sections', 1)
    if n <= 0:
        raise RuntimeError(f'number of sections must be larger than 0, got {n}')
    base, extra = divmod(size, n)
    sizes = [base + 1] * extra + [base] * (n - extra)
    pieces = []
    start = 0
    for s in sizes:
        pieces.append(input.narrow(dim, start, s))
        start += s
    return tuple(pieces)


def _directional_split(input, sections, dim, name, min_dims):
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(f'torch.{name} requires a tensor with at least {min_dims} dimension'
                           f', but got a tensor with {ndim} dimensions!')
    if not isinstance(sections, (list, tuple, Tensor)):
        n = sections.__index__()
        size = input._data.shape[dim]
        if n == 0 or size % n:
            raise RuntimeError(f'torch.{name} attempted to split along dimension {dim}, but '
                               f'the size of the dimension {size} is not divisible by the '
                               f'split_size {n}!')
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for 1-D tensors); an int must divide the size."""
    dim = 1 if input._data.ndim > 1 else 0
    if input._data.ndim == 0:
        raise RuntimeError('torch.hsplit requires a tensor with at least 1 dimension, but got a '
                           'tensor with 0 dimensions!')
    return _directional_split(input, indices_or_sections, dim, 'hsplit', 1)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor with at least 2 dims."""
    return _directional_split(input, indices_or_sections, 0, 'vsplit', 2)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor with at least 3 dims."""
    return _directional_split(input, indices_or_sections, 2, 'dsplit', 3)


for _name in ['chunk', 'tensor_split', 'hsplit', 'vsplit', 'dsplit', 'split_with_sizes']:
    setattr(Tensor, _name, globals()[_name])
Tensor.split = _split_method
del _name
