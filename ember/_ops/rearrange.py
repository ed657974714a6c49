"""Rearranging: flip, roll, rot90, repeat, repeat_interleave, tile, tril/triu, diag, diagonal
(a view), diag_embed, trace, meshgrid, broadcasting helpers, cartesian_prod, combinations."""

__all__ = ['flip', 'fliplr', 'flipud', 'roll', 'rot90', 'repeat_interleave', 'tile', 'tril',
           'triu', 'tril_indices', 'triu_indices', 'diag', 'diagflat', 'diagonal', 'diag_embed',
           'trace', 'meshgrid', 'broadcast_to', 'broadcast_tensors', 'broadcast_shapes',
           'cartesian_prod', 'combinations']

import warnings

import numpy as np

from .. import _dtype as dt
from .. import _args
from .. import _layout
from .._tensor import Tensor, Size, make_tensor
from ..autograd import grad_mode
from ..autograd.function import Op
from .indexing import lay_out, preserve_strides, _record
from .views import ViewOp

_grad_state = grad_mode.state


def _check_tensor(x, name, arg='input', pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{_args.type_name(x)}")


def _dims(dims, ndim):
    if isinstance(dims, int) or hasattr(dims, '__index__') and not isinstance(dims, Tensor):
        dims = (dims,)
    return _layout.normalize_dims(tuple(dims), ndim)


def _like_input(array, input):
    """``array`` (row-major) laid out like ``empty_like(input)`` (preserve_format)."""
    if array.ndim < 2 or array.size == 0:
        return np.asarray(array, order='C')
    return lay_out(array, preserve_strides(array.shape, input.stride()))


# ---------------------------------------------------------------------------------------
# flip / roll / rot90
# ---------------------------------------------------------------------------------------
class Flip(Op):
    node_name = 'FlipBackward0'

    def backward(self, grad):
        return grad.flip(self.args[0])


def flip(input, dims):
    """``input`` with the order of elements reversed along each of ``dims``."""
    _check_tensor(input, 'flip')
    dims = _dims(dims, input._data.ndim)
    data = input._data
    if data.ndim:
        data = np.flip(data, dims) if dims else data
    result = make_tensor(_like_input(np.array(data), input), input._dtype, input._device)
    return _record(Flip, result, (input,), (dims,))


def _flip_method(self, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return flip(self, dims)


def fliplr(input):
    """Reverse the columns (dim 1) of a tensor with at least 2 dims."""
    _check_tensor(input, 'fliplr')
    if input._data.ndim < 2:
        raise RuntimeError('Input must be >= 2-d.')
    return flip(input, (1,))


def flipud(input):
    """Reverse the rows (dim 0) of a tensor with at least 1 dim."""
    _check_tensor(input, 'flipud')
    if input._data.ndim < 1:
        raise RuntimeError('Input must be >= 1-d.')
    return flip(input, (0,))


class Roll(Op):
    node_name = 'RollBackward0'

    def backward(self, grad):
        shifts, dims = self.args
        return grad.roll(tuple(-s for s in shifts), dims)


def roll(input, shifts, dims=None):
    """Shift elements cyclically by ``shifts`` along ``dims`` (of the flattened tensor when
    ``dims`` is None)."""
    _check_tensor(input, 'roll')
    shifts = _args.int_tuple(shifts, 'roll', 'shifts', 1)
    data = input._data
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f'shifts and dimensions must align. shifts: {len(shifts)}, '
                               'dims:0')
        out = np.roll(data.reshape(-1), shifts[0]).reshape(data.shape)
        dims_ = None
    else:
        dims_ = _args.int_tuple(dims, 'roll', 'dims', 2)
        if len(shifts) != len(dims_):
            raise RuntimeError(f'shifts and dimensions must align. shifts: {len(shifts)}, '
                               f'dims:{len(dims_)}')
        norm = tuple(_layout.normalize_dim(d, data.ndim) for d in dims_)
        out = np.roll(data, shifts, norm) if data.ndim else data.copy()
    result = make_tensor(np.array(out, order='C'), input._dtype, input._device)
    return _record(Roll, result, (input,), (shifts, dims_))


class Rot90(Op):
    node_name = 'Rot90Backward0'

    def backward(self, grad):
        k, dims = self.args
        return grad.rot90(-k, dims)


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the
    second)."""
    _check_tensor(input, 'rot90')
    dims = tuple(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f'expected total rotation dims == 2, but got dims = {len(dims)}')
    if ndim < 2:
        raise RuntimeError(f'expected total dims >= 2, but got total dims = {ndim}')
    d0, d1 = (_layout.normalize_dim(d, ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(f'expected rotation dims to be different, but got dim0 = {d0} and '
                           f'dim1 = {d1}')
    k = k % 4
    data = input._data
    # PyTorch flips (keeping the input's layout) and then transposes the view.
    if k == 0:
        out = _like_input(np.array(data), input)
    elif k == 2:
        out = _like_input(np.array(np.flip(data, (d0, d1))), input)
    else:
        flipped = _like_input(np.array(np.flip(data, d1 if k == 1 else d0)), input)
        out = np.swapaxes(flipped, d0, d1)
    result = make_tensor(out, input._dtype, input._device)
    return _record(Rot90, result, (input,), (k, (d0, d1)))


# ---------------------------------------------------------------------------------------
# repeat / tile / repeat_interleave
# ---------------------------------------------------------------------------------------
class Repeat(Op):
    node_name = 'RepeatBackward0'

    def backward(self, grad):
        repeats = self.args[0]
        shape = self._metas[0][0]
        lead = len(repeats) - len(shape)
        full = (1,) * lead + tuple(shape)
        split = []
        for r, s in zip(repeats, full):
            split.extend((r, s))
        if not repeats:
            return grad
        g = grad.reshape(split).sum(tuple(range(0, 2 * len(repeats), 2)))
        return g.reshape(shape)


def _repeat_sizes(sizes, name):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list, Size)):
        sizes = tuple(sizes[0])
    out = []
    for s in sizes:
        if isinstance(s, bool) or not hasattr(s, '__index__'):
            raise TypeError(f"{name}(): argument 'repeats' must be tuple of ints, but found "
                            f'element of type {type(s).__name__}')
        out.append(s.__index__())
    return tuple(out)


def repeat(input, *sizes):
    """``input`` tiled ``sizes[i]`` times along each dim (extra leading sizes add dims)."""
    sizes = _repeat_sizes(sizes, 'repeat')
    if not sizes and not input._data.ndim:
        sizes = ()
    ndim = input._data.ndim
    if len(sizes) < ndim:
        raise RuntimeError('Number of dimensions of repeat dims can not be smaller than number '
                           'of dimensions of tensor')
    padded = (1,) * (len(sizes) - ndim) + input._data.shape
    if any(s < 0 for s in sizes):
        raise RuntimeError(f'Trying to create tensor with negative dimension {min(sizes)}: '
                           f'{[r * n for r, n in zip(sizes, padded)]}')
    data = input._data.reshape(padded)
    out = np.tile(data, sizes) if sizes else data.copy()
    result = make_tensor(np.array(out, order='C'), input._dtype, input._device)
    return _record(Repeat, result, (input,), (sizes,))


def tile(input, dims):
    """``repeat`` with ``dims`` padded with leading 1s to the input's number of dims."""
    _check_tensor(input, 'tile')
    dims = _repeat_sizes((dims,) if not isinstance(dims, (tuple, list, Size)) else (dims,),
                         'tile')
    ndim = input._data.ndim
    if len(dims) < ndim:
        dims = (1,) * (ndim - len(dims)) + dims
    return repeat(input, dims)


class RepeatInterleaveView(Op):
    """Each slice along ``dim`` repeated ``r`` times in a row (PyTorch: expand + flatten, so
    the visible node is a view's)."""
    node_name = 'ViewBackward0'

    def backward(self, grad):
        dim, r, shape = self.args[1], self.args[2], self._metas[0][0]
        g_shape = shape[:dim] + (shape[dim], r) + shape[dim + 1:] if shape else (1, r)
        return grad.reshape(g_shape).sum(dim + 1).reshape(shape)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (each slice along ``dim``) ``repeats`` times in a row; ``repeats``
    is an int or a tensor with one count per slice. With only a tensor of counts, the
    indices 0, 1, ... each repeated by its count."""
    if repeats is None:
        counts = input
        _check_tensor(counts, 'repeat_interleave', 'repeats')
        if counts._data.ndim > 1:
            raise RuntimeError('repeat_interleave only accept 1D vector as repeat')
        if counts._dtype not in (dt.int64, dt.int32):
            raise RuntimeError('repeats has to be Long or Int tensor')
        c = counts._host_array().reshape(-1)
        if c.size and c.min() < 0:
            raise RuntimeError('repeats can not be negative')
        out = np.repeat(np.arange(c.size, dtype=np.int64), c.astype(np.intp, copy=False)).astype(c.dtype)
        return make_tensor(out, counts._dtype, counts._device)
    _check_tensor(input, 'repeat_interleave')
    if dim is None:
        input = input.reshape(-1)
        dim = 0
    ndim = input._data.ndim
    dim = _layout.normalize_dim(dim, ndim)
    size = input._data.shape[dim] if ndim else 1
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise RuntimeError('repeats must be 0-dim or 1-dim tensor')
        if repeats._dtype not in (dt.int64, dt.int32):
            raise RuntimeError('repeats has to be Long or Int tensor')
        counts = repeats._host_array().reshape(-1)
        if counts.size == 1:
            counts = np.full(size, counts[0], dtype=np.int64)
        if counts.shape[0] != size:
            raise RuntimeError('repeats must have the same size as input along dim, but got '
                               f'repeats.size(0) = {counts.shape[0]} and input.size({dim}) = '
                               f'{size}')
        if counts.size and counts.min() < 0:
            raise RuntimeError('repeats can not be negative')
        index = np.repeat(np.arange(size, dtype=np.int64), counts.astype(np.intp, copy=False))
        return input.index_select(dim, make_tensor(index, dt.int64, input._device))
    r = repeats.__index__()
    if r < 0:
        raise RuntimeError('repeats can not be negative')
    data = input._data if ndim else input._data.reshape(1)
    out = np.repeat(data, r, axis=dim)
    result = make_tensor(np.array(out, order='C'), input._dtype, input._device)
    return _record(RepeatInterleaveView, result, (input,), (None, dim, r))


def _repeat_interleave_method(self, repeats, dim=None, *, output_size=None):
    return repeat_interleave(self, repeats, dim, output_size=output_size)


# ---------------------------------------------------------------------------------------
# triangles and diagonals
# ---------------------------------------------------------------------------------------
def _triangle_mask(shape, diagonal, lower):
    rows, cols = shape[-2], shape[-1]
    i = np.arange(rows).reshape(-1, 1)
    j = np.arange(cols).reshape(1, -1)
    return (j - i <= diagonal) if lower else (j - i >= diagonal)


class Tril(Op):
    node_name = 'TrilBackward0'

    def backward(self, grad):
        return grad.tril(self.args[0])


class Triu(Op):
    node_name = 'TriuBackward0'

    def backward(self, grad):
        return grad.triu(self.args[0])


def _triangle(input, diagonal, lower, name, cls):
    _check_tensor(input, name)
    data = input._data
    if data.ndim < 2:
        raise RuntimeError(f'{name}: input tensor must have at least 2 dimensions')
    diagonal = diagonal.__index__()
    mask = _triangle_mask(data.shape, diagonal, lower)
    out = np.where(mask, data, np.zeros((), dtype=data.dtype))
    result = make_tensor(np.array(out, order='C'), input._dtype, input._device)
    return _record(cls, result, (input,), (diagonal,))


def tril(input, diagonal=0, *, out=None):
    """The lower triangle of the last two dims (elements on and below ``diagonal``)."""
    result = _triangle(input, diagonal, True, 'tril', Tril)
    return _out(result, out)


def triu(input, diagonal=0, *, out=None):
    """The upper triangle of the last two dims (elements on and above ``diagonal``)."""
    result = _triangle(input, diagonal, False, 'triu', Triu)
    return _out(result, out)


def _out(result, out):
    if out is None:
        return result
    from .elementwise import copy_into_out
    return copy_into_out(result, out)


def _triangle_indices(row, col, offset, dtype, device, lower):
    from .creation import _on_device
    from .._device import to_device
    if row < 0 or col < 0:
        raise RuntimeError(f'row must be non-negative, got{row}' if row < 0 else
                           f'col must be non-negative, got{col}')
    dtype = dt.int64 if dtype is None else dtype
    if dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f'"tril_indices" not implemented for \'{_dtype_name(dtype)}\'')
    i = np.arange(row).reshape(-1, 1)
    j = np.arange(col).reshape(1, -1)
    mask = (j - i <= offset) if lower else (j - i >= offset)
    rows, cols = np.nonzero(mask)
    out = np.stack([rows, cols]).astype(dtype.numpy_dtype).reshape(2, -1)
    device = to_device(device) if device is not None else None
    from .._device import CPU
    device = device or CPU
    return make_tensor(_on_device(np.ascontiguousarray(out), device), dtype, device)


def _dtype_name(d):
    from .elementwise import _type_name
    return _type_name(d)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) indices (row-major) of the lower triangle of a ``row`` x ``col`` matrix,
    on and below the ``offset`` diagonal."""
    return _triangle_indices(row, col, offset, dtype, device, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) indices (row-major) of the upper triangle of a ``row`` x ``col`` matrix,
    on and above the ``offset`` diagonal."""
    return _triangle_indices(row, col, offset, dtype, device, False)


def _diag_geometry(shape, strides, offset, d1, d2):
    """(shape, strides, storage offset shift) of the diagonal view."""
    s1, s2 = shape[d1], shape[d2]
    if offset >= 0:
        length = max(min(s1, s2 - offset), 0)
        shift = offset * strides[d2] if length else 0
    else:
        length = max(min(s1 + offset, s2), 0)
        shift = -offset * strides[d1] if length else 0
    rest = [d for d in range(len(shape)) if d != d1 and d != d2]
    out_shape = tuple(shape[d] for d in rest) + (length,)
    out_strides = tuple(strides[d] for d in rest) + (strides[d1] + strides[d2],)
    return out_shape, out_strides, shift


class Diagonal(ViewOp):
    node_name = 'DiagonalBackward0'

    @staticmethod
    def forward(ctx, data, offset, d1, d2, strides):
        shape, out_strides, shift = _diag_geometry(data.shape, strides, offset, d1, d2)
        rest = [d for d in range(data.ndim) if d != d1 and d != d2]
        byte_strides = tuple(data.strides[d] for d in rest) + (
            data.strides[d1] + data.strides[d2],)
        if shape[-1] == 0 or 0 in shape:
            view = np.empty(shape, dtype=data.dtype)
            return view, out_strides
        start = [0] * data.ndim
        if offset >= 0:
            start[d2] = offset
        else:
            start[d1] = -offset
        origin = data[tuple(slice(s, None) for s in start)]
        view = np.lib.stride_tricks.as_strided(origin, shape, byte_strides)
        return view, out_strides

    @staticmethod
    def empty_offset(input, offset, d1, d2, strides):
        return input.storage_offset()

    def backward(self, grad):
        offset, d1, d2 = self.args[0], self.args[1], self.args[2]
        return DiagonalScatter.apply(grad, self.shape, offset, d1, d2)


class DiagonalScatter(Op):
    """Zeros of ``shape`` with ``grad`` on the diagonal (the backward of ``diagonal``)."""
    node_name = 'DiagonalBackwardBackward0'

    @staticmethod
    def forward(ctx, grad, shape, offset, d1, d2):
        out = np.zeros(shape, dtype=grad.dtype)
        strides = _layout.contiguous_strides(shape)
        view, _ = Diagonal.forward(None, out, offset, d1, d2, strides)
        if view.size:
            view[...] = grad
        return out

    def backward(self, grad):
        _, offset, d1, d2 = self.args[1:5]
        return grad.diagonal(offset, d1, d2)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the 2-D slices in dims ``dim1``/``dim2`` (``offset`` above or below the
    main one), as a view appended as the last dim."""
    _check_tensor(input, 'diagonal')
    ndim = input._data.ndim
    d1 = _layout.normalize_dim(dim1, ndim)
    d2 = _layout.normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f'diagonal dimensions cannot be identical {dim1}, {dim2}')
    return Diagonal.apply(input, offset, d1, d2, input.stride())


class DiagEmbed(Op):
    node_name = 'DiagEmbedBackward0'

    def backward(self, grad):
        offset, d1, d2 = self.args
        return grad.diagonal(offset, d1, d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose 2-D slices in dims ``dim1``/``dim2`` have the last dim of ``input`` on
    their ``offset`` diagonal (zeros elsewhere)."""
    _check_tensor(input, 'diag_embed')
    data = input._data
    ndim = data.ndim + 1
    d1 = _layout.normalize_dim(dim1, ndim)
    d2 = _layout.normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f'diagonal dimensions cannot be identical {dim1}, {dim2}')
    if data.ndim == 0:
        raise IndexError('Dimension out of range (expected to be in range of [-1, 0], but got '
                         '-2)')
    n = data.shape[-1] + abs(offset)
    rest = list(data.shape[:-1])
    shape = [0] * ndim
    it = iter(rest)
    for d in range(ndim):
        shape[d] = n if d in (d1, d2) else next(it)
    out = np.zeros(shape, dtype=data.dtype)
    view, _ = Diagonal.forward(None, out, offset, d1, d2, _layout.contiguous_strides(shape))
    if view.size:
        view[...] = data
    result = make_tensor(out, input._dtype, input._device)
    return _record(DiagEmbed, result, (input,), (offset, d1, d2))


class DiagonalCopy(Op):
    """``diag`` of a matrix: its diagonal as a fresh 1-D tensor."""
    node_name = 'DiagonalBackward0_copy'

    def backward(self, grad):
        offset = self.args[0]
        return DiagonalScatter.apply(grad, self._metas[0][0], offset, 0, 1)


def diag(input, diagonal=0, *, out=None):
    """For a 1-D input, the square matrix with it on the ``diagonal``; for a 2-D input, its
    ``diagonal`` as a 1-D tensor (a copy)."""
    _check_tensor(input, 'diag')
    ndim = input._data.ndim
    if ndim == 1:
        result = diag_embed(input, diagonal, 0, 1)
    elif ndim == 2:
        view, _ = Diagonal.forward(None, input._data, diagonal, 0, 1, input.stride())
        result = make_tensor(np.array(view, order='C'), input._dtype, input._device)
        result = _record(DiagonalCopy, result, (input,), (diagonal,))
    else:
        raise RuntimeError(f'diag(): Supports 1D or 2D tensors. Got {ndim}D')
    return _out(result, out)


def diagflat(input, offset=0):
    """The square matrix with the flattened ``input`` on its ``offset`` diagonal."""
    _check_tensor(input, 'diagflat')
    return diag_embed(input.reshape(-1) if input._data.ndim != 1 else input, offset, 0, 1)


def fill_diagonal_(input, fill_value, wrap=False):
    """Fill the main diagonal (all indices equal) in place; with ``wrap``, a tall matrix's
    diagonal restarts every ``cols + 1`` rows, as in NumPy."""
    from .indexing import assign, ParsedIndex, CopySlices
    data = input._data
    ndim = data.ndim
    if ndim < 2:
        raise RuntimeError('dimensions must larger than 1')
    shape = data.shape
    if ndim > 2 and any(s != shape[0] for s in shape):
        raise RuntimeError('all dimensions of input must be of equal length')
    if ndim == 2:
        rows, cols = shape
        limit = rows * cols if wrap and rows > cols + 1 else min(rows, cols) * cols
        flat = np.arange(0, limit, cols + 1, dtype=np.int64) if cols else \
            np.zeros(0, dtype=np.int64)
        positions = (flat // max(cols, 1), flat % max(cols, 1))
    else:
        n = np.arange(shape[0], dtype=np.int64)
        positions = (n,) * ndim
    assign(input, ParsedIndex.positions(positions), fill_value, CopySlices)
    return input


class Trace(Op):
    node_name = 'TraceBackward0'

    def backward(self, grad):
        shape = self._metas[0][0]
        n = min(shape)
        eye = np.zeros(shape, dtype=grad._data.dtype)
        eye[np.arange(n), np.arange(n)] = 1
        return grad * make_tensor(eye, grad._dtype, grad._device)


def trace(input):
    """The sum of the main diagonal of a matrix (integers sum to int64)."""
    _check_tensor(input, 'trace')
    if input._data.ndim != 2:
        raise RuntimeError(f'trace: expected a matrix, but got tensor with dim '
                           f'{input._data.ndim}')
    if input._dtype is dt.bool:
        raise NotImplementedError('"trace" not implemented for \'Bool\'')
    out_dtype = dt.int64 if input._dtype.category == 1 else input._dtype
    value = np.trace(input._data, dtype=out_dtype.numpy_dtype)
    result = make_tensor(np.asarray(value, dtype=out_dtype.numpy_dtype), out_dtype,
                         input._device)
    return _record(Trace, result, (input,))


# ---------------------------------------------------------------------------------------
# broadcasting helpers, meshgrid, cartesian_prod, combinations
# ---------------------------------------------------------------------------------------
def broadcast_shapes(*shapes):
    """The shape that tensors of all ``shapes`` (tuples or ints) broadcast to."""
    normalized = []
    for s in shapes:
        if isinstance(s, (int, np.integer)) or (hasattr(s, '__index__') and
                                                 not isinstance(s, (tuple, list, Size))):
            normalized.append((s.__index__(),))
        else:
            normalized.append(tuple(int(x) for x in s))
    for s in normalized:
        if any(x < 0 for x in s):
            raise RuntimeError('Trying to create tensor with negative dimension '
                               f'{min(s)}: {list(s)}')
    common = [1] * max((len(s) for s in normalized), default=0)
    for position, s in enumerate(normalized):
        for i in range(-1, -1 - len(s), -1):
            if common[i] == 1:
                common[i] = s[i]
            elif s[i] != 1 and s[i] != common[i]:
                raise RuntimeError(f'Attempting to broadcast a dimension of length {s[i]} at '
                                   f'{i}! Mismatching argument at index {position} had {s}; but '
                                   f'expected shape should be broadcastable to {common}')
    return Size(common)


def broadcast_to(input, *size):
    """``input`` expanded (as a view) to ``size``."""
    _check_tensor(input, 'broadcast_to')
    return input.expand(*size)


def _tensor_list(tensors, name):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f'expected Tensor as element {i} in argument 0, but got '
                            f'{type(t).__name__}')
    return tensors


def broadcast_tensors(*tensors):
    """The tensors expanded (as views) to their common broadcast shape."""
    tensors = _tensor_list(tensors, 'broadcast_tensors')
    shape = _layout.broadcast_shapes(*[t._data.shape for t in tensors])
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: the i-th result varies along dim i (``'ij'``), or
    with ``'xy'`` the first two dims swapped (Cartesian, as NumPy's default)."""
    tensors = _tensor_list(tensors, 'meshgrid')
    if indexing is None:
        warnings.warn('torch.meshgrid: in an upcoming release, it will be required to pass the '
                      'indexing argument.', UserWarning, stacklevel=2)
        indexing = 'ij'
    if indexing not in ('ij', 'xy'):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f'{indexing}')
    if not tensors:
        raise RuntimeError('meshgrid expects a non-empty TensorList')
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError('torch.meshgrid: Expected 0D or 1D tensor in the tensor list but '
                               f'got: {t!r}')
    if any(t._dtype is not tensors[0]._dtype for t in tensors):
        raise RuntimeError('meshgrid expects all tensors to have the same dtype')
    if any(t._device is not tensors[0]._device for t in tensors):
        raise RuntimeError('meshgrid expects all tensors to have the same device')
    swap = indexing == 'xy' and len(tensors) >= 2
    ordered = list(tensors)
    if swap:
        ordered[0], ordered[1] = ordered[1], ordered[0]
    sizes = [t._data.size for t in ordered]
    grids = []
    for i, t in enumerate(ordered):
        shape = [1] * len(ordered)
        shape[i] = -1
        grids.append(t.reshape(shape).expand(sizes))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """All combinations of one element from each 1-D tensor, as rows (the input itself when
    there is one)."""
    tensors = _tensor_list(tensors, 'cartesian_prod')
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f'Expect a 1D vector, but got shape {list(t._data.shape)}')
    if len(tensors) == 1:
        return tensors[0]
    from .joining import stack
    grids = meshgrid(*tensors, indexing='ij')
    return stack([g.flatten() for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D tensor, as rows (like
    ``itertools.combinations``, or ``combinations_with_replacement``)."""
    _check_tensor(input, 'combinations')
    if input._data.ndim != 1:
        raise RuntimeError(f'Expect a 1D vector, but got shape {list(input._data.shape)}')
    if r < 0:
        raise RuntimeError(f'Expect a non-negative number, but got {r}')
    if r == 0:
        return make_tensor(np.zeros(0, dtype=input._data.dtype), input._dtype, input._device)
    import itertools
    n = input._data.shape[0]
    make = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = np.array(list(make(range(n), r)), dtype=np.int64).reshape(-1, r)
    from .joining import stack
    index = make_tensor(np.ascontiguousarray(rows.T), dt.int64, input._device)
    return stack([input[index[i]] for i in range(r)], 1)


_METHODS = ['fliplr', 'flipud', 'roll', 'rot90', 'repeat', 'tile', 'tril', 'triu', 'diag',
            'diagflat', 'diagonal', 'diag_embed', 'trace', 'broadcast_to', 'fill_diagonal_']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.flip = _flip_method
Tensor.repeat_interleave = _repeat_interleave_method


def _install_inplace():
    from .elementwise import inplace
    Tensor.tril_ = inplace(tril)
    Tensor.triu_ = inplace(triu)


_install_inplace()
