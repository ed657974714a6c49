"""Joining and splitting: cat, stack and their variants; split, chunk (views)."""

__all__ = ['cat', 'concat', 'concatenate', 'stack', 'hstack', 'vstack', 'row_stack', 'dstack',
           'column_stack', 'atleast_1d', 'atleast_2d', 'atleast_3d', 'split', 'chunk',
           'tensor_split', 'hsplit', 'vsplit', 'dsplit']

import numpy as np

from .. import _dtype as dt
from .. import _layout
from .._tensor import Tensor, make_tensor, make_view
from ..autograd import grad_mode
from ..autograd.function import Op, attach, check_same_device

_grad_state = grad_mode.state


class Cat(Op):
    node_name = 'CatBackward0'

    def backward(self, grad):
        dim = self.args[0]
        sizes = self.sizes
        pieces = []
        start = 0
        for size, meta in zip(sizes, self._metas):
            if meta is None:
                pieces.append(None)
            else:
                pieces.append(grad.narrow(dim, start, size))
            start += size
        return tuple(pieces)


def _as_tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f'{name}(): argument \'tensors\' (position 1) must be tuple of Tensors, '
                        'not Tensor')
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f'expected Tensor as element {i} in argument 0, but got '
                            f'{type(t).__name__}')
    return tensors


def cat(tensors, dim=0, *, out=None):
    """Concatenate tensors along an existing dim; other dims must match.

    1-D empty tensors (shape ``(0,)``) are skipped, as in PyTorch.
    """
    tensors = _as_tensor_list(tensors, 'cat')
    if not tensors:
        raise RuntimeError('torch.cat(): expected a non-empty list of Tensors')
    if len({t._device for t in tensors}) > 1:
        check_same_device(tensors)
    used = [t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)]
    ref = used[0] if used else tensors[0]
    if ref._data.ndim == 0:
        raise RuntimeError('zero-dimensional tensor (at position 0) cannot be concatenated')
    d = _layout.normalize_dim(dim, ref._data.ndim)
    for i, t in enumerate(tensors):
        if any(t is u for u in used) and t._data.ndim != ref._data.ndim:
            if t._data.ndim == 0:
                raise RuntimeError(f'zero-dimensional tensor (at position {i}) cannot be '
                                   'concatenated')
            raise RuntimeError(f'Tensors must have same number of dimensions: got '
                               f'{ref._data.ndim} and {t._data.ndim}')
        if t._data.ndim == ref._data.ndim:
            for axis, (a, b) in enumerate(zip(ref._data.shape, t._data.shape)):
                if axis != d and a != b:
                    raise RuntimeError(f'Sizes of tensors must match except in dimension {d}. '
                                       f'Expected size {a} but got size {b} for tensor number '
                                       f'{i} in the list.')
    result_dtype = tensors[0]._dtype
    for t in tensors[1:]:
        result_dtype = dt.promote_types(result_dtype, t._dtype)
    np_dtype = result_dtype.numpy_dtype
    arrays = [t._data for t in used] or [ref._data]
    data = np.concatenate(arrays, axis=d, dtype=np_dtype) if type(arrays[0]) is np.ndarray \
        else _xp(arrays[0]).concatenate([a.astype(np_dtype) for a in arrays], axis=d)
    result = make_tensor(data, result_dtype, ref._device)
    if _grad_state.enabled and any(t._requires_grad for t in used):
        node = Cat.__new__(Cat)
        node._connect(tuple(used))
        node.args = (d,)
        node.sizes = [t._data.shape[d] for t in used]
        attach(node, result)
    if out is not None:
        from .elementwise import copy_into_out
        return copy_into_out(result, out)
    return result


def _xp(array):
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join same-shaped tensors along a new dim."""
    tensors = _as_tensor_list(tensors, 'stack')
    if not tensors:
        raise RuntimeError('stack expects a non-empty TensorList')
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f'stack expects each tensor to be equal size, but got '
                               f'{list(shape)} at entry 0 and {list(t._data.shape)} at entry '
                               f'{i}')
    d = _layout.normalize_dim(dim, len(shape) + 1)
    result = cat([t.unsqueeze(d) for t in tensors], d, out=out)
    if result._grad_fn is not None:
        result._grad_fn.__class__ = Stack
        result._grad_fn.args = (d,)
    return result


class Stack(Cat):
    node_name = 'StackBackward0'

    def backward(self, grad):
        dim = self.args[0]
        return tuple(None if meta is None else grad.select(dim, i)
                     for i, meta in enumerate(self._metas))


def _atleast(tensors, n):
    out = []
    for t in tensors:
        while t._data.ndim < n:
            t = t.unsqueeze(0) if t._data.ndim < 2 or n == 2 else t.unsqueeze(-1)
        out.append(t)
    return out


def hstack(tensors, *, out=None):
    tensors = [t.reshape(1) if t._data.ndim == 0 else t for t in tensors]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    return cat([atleast_2d(t) for t in tensors], 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    return cat([atleast_3d(t) for t in tensors], 2, out=out)


def column_stack(tensors, *, out=None):
    cols = [t.reshape(-1, 1) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1, out=out)


def atleast_1d(*tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = [t.reshape(1) if t._data.ndim == 0 else t for t in _flat(tensors)]
    return items[0] if single else tuple(items)


def atleast_2d(*tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = []
    for t in _flat(tensors):
        if t._data.ndim == 0:
            t = t.reshape(1, 1)
        elif t._data.ndim == 1:
            t = t.unsqueeze(0)
        items.append(t)
    return items[0] if single else tuple(items)


def atleast_3d(*tensors):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = []
    for t in _flat(tensors):
        n = t._data.ndim
        if n == 0:
            t = t.reshape(1, 1, 1)
        elif n == 1:
            t = t.reshape(1, -1, 1)
        elif n == 2:
            t = t.unsqueeze(-1)
        items.append(t)
    return items[0] if single else tuple(items)


def _flat(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


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
                piece_shape = shape[:dim] + (size,) + shape[dim + 1:]
                g = zeros(piece_shape, dtype=dtype, device=device)
            pieces.append(g)
        return cat(pieces, dim)


class SplitWithSizes(Split):
    node_name = 'SplitWithSizesBackward0'


def _split_views(input, dim, sizes, cls):
    strides = input.stride()
    data = input._data
    outs = []
    start = 0
    pre = (slice(None),) * dim
    for size in sizes:
        outs.append(make_view(input, data[pre + (slice(start, start + size),)], strides))
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
    """Split into chunks of ``split_size`` (the last may be smaller) or of the listed sizes."""
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError('split expects at least a 1-dimensional tensor')
    dim = _layout.normalize_dim(dim, len(shape))
    size = shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0 or (step == 0 and size != 0):
            raise RuntimeError(f'split expects split_size be non-negative, but got split_size='
                               f'{step}')
        sizes = [min(step, size - i) for i in range(0, size, step)] if step else [0]
        if not sizes:
            sizes = [0]
        return _split_views(tensor, dim, sizes, Split)
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != size or any(s < 0 for s in sizes):
        raise RuntimeError(f'split_with_sizes expects split_sizes to sum exactly to {size} '
                           f'(input tensor\'s size at dimension {dim}), but got split_sizes='
                           f'{sizes}')
    return _split_views(tensor, dim, sizes, SplitWithSizes)


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of equal size (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError('chunk expects `chunks` to be greater than 0, got: ' + str(chunks))
    shape = input._data.shape
    if not shape:
        raise RuntimeError('chunk expects at least a 1-dimensional tensor')
    dim = _layout.normalize_dim(dim, len(shape))
    size = shape[dim]
    step = -(-size // chunks)
    if step == 0:
        return split(input, [0] * chunks if size == 0 else 1, dim)
    return split(input, step, dim)


def tensor_split(input, indices_or_sections, dim=0):
    shape = input._data.shape
    dim = _layout.normalize_dim(dim, len(shape))
    size = shape[dim]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        base, extra = divmod(size, n)
        sizes = [base + 1] * extra + [base] * (n - extra)
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in indices_or_sections] + [size]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    return _split_views(input, dim, sizes, SplitWithSizes)


def hsplit(input, sections):
    return tensor_split(input, sections, 1 if input._data.ndim > 1 else 0)


def vsplit(input, sections):
    return tensor_split(input, sections, 0)


def dsplit(input, sections):
    return tensor_split(input, sections, 2)


_METHODS = ['split', 'chunk', 'tensor_split', 'hsplit', 'vsplit', 'dsplit']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
