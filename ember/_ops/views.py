"""View ops: results share the input's storage; writes through one show in the other.

Each op computes its NumPy view (which NumPy makes without copying) and the strides PyTorch
would report, and records a node whose backward undoes the view on the gradient.
"""

__all__ = ['view', 'reshape', 'flatten', 'ravel', 'unflatten', 'transpose', 'swapaxes', 'swapdims',
           't', 'permute', 'movedim', 'moveaxis', 'unsqueeze', 'squeeze', 'select',
           'narrow', 'unbind', 'as_strided', 'detach', 'detach_', 'clone']

from .. import _args
from .. import _layout
from .._dtype import dtype as _dtype_type
from .._tensor import Tensor, make_view
from ..autograd.function import Op, wrap_outputs, attach, check_same_device  # noqa: F401
from ..autograd import grad_mode

_grad_state = grad_mode.state


def mark_no_grad_view(view):
    """A view made under ``no_grad`` of a tensor that requires grad still requires grad (as
    in PyTorch): a leaf whose own ``.grad`` stays empty and that refuses in-place changes
    while grad mode is on."""
    view._requires_grad = True
    view._no_grad_view = True


class ViewOp(Op):
    """An op whose output is a view: ``forward`` returns (array, PyTorch strides or None)."""

    @staticmethod
    def empty_offset(input, *params):
        """Storage offset of an empty result (NumPy cannot tell): the input's by default."""
        return None

    @classmethod
    def apply(cls, input, *params):
        data, strides = cls.forward(None, input._data, *params)
        out = make_view(input, data, strides,
                        offset=cls.empty_offset(input, *params) if data.size == 0 else None)
        if input._requires_grad:
            if _grad_state.enabled:
                node = cls.__new__(cls)
                node._connect((input,))
                node.args = params
                node.shape = input._data.shape
                attach(node, out)
            else:
                mark_no_grad_view(out)
        return out


def _as_int(value, name):
    if type(value) is int:
        return value
    if isinstance(value, bool) or not hasattr(value, '__index__'):
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element "
                        f"of type {type(value).__name__}")
    return value.__index__()


def _size_args(args, name='view'):
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)``; TypeError for
    anything that is not an integer."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    for s in args:
        if type(s) is not int:
            return tuple(_as_int(s, name) for s in args)
    return tuple(args)


# ---------------------------------------------------------------------------------------
# view / reshape
# ---------------------------------------------------------------------------------------
class View(ViewOp):
    node_name = 'ViewBackward0'

    @staticmethod
    def forward(ctx, data, shape, strides):
        return data.reshape(shape), strides

    def backward(self, grad):
        return grad.reshape(self.shape)


def _view_strides_or_raise(input, shape):
    strides = _layout.view_strides(input._data.shape, input.stride(), shape)
    if strides is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return strides


def view(input, *shape, dtype=None):
    """A tensor with the same data and a new shape (or dtype); never copies.

    Raises RuntimeError when the input's strides do not allow the shape (use ``reshape``).
    """
    if dtype is not None or (len(shape) == 1 and isinstance(shape[0], _dtype_type)):
        return _view_dtype(input, dtype if dtype is not None else shape[0])
    data = input._data
    shape = _layout.infer_size(_size_args(shape), data.size)
    old = data.shape
    if shape == old:
        strides = input.stride()
    elif data.flags.c_contiguous and old and old[-1] != 1 and data.size:
        # One contiguous chunk (last dim stride 1): the new shape's contiguous strides.
        strides = _layout.contiguous_strides(shape)
    else:
        strides = _view_strides_or_raise(input, shape)
    return View.apply(input, shape, strides)


def _view_dtype(input, dtype):
    """The same bytes read as another dtype. Between sizes, the last dim (stride 1) is
    split or merged, as in PyTorch. Like PyTorch's, the result shares memory but is neither
    a view (no ``_base``) nor part of the autograd graph."""
    from .. import _dtype as dt
    if not isinstance(dtype, dt.dtype):
        raise TypeError(f"view(): argument 'dtype' must be torch.dtype, not "
                        f"{type(dtype).__name__}")
    old = input._dtype
    data = input._data
    if dtype is old:
        return make_view(input, data, input._stride, keep_base=False)
    np_dtype = dtype.numpy_dtype
    if dtype.itemsize == old.itemsize:
        return make_view(input, data.view(np_dtype), input._stride, keep_base=False,
                         dtype=dtype)
    names = f'{old._tensor_type[:-6]} as {dtype._tensor_type[:-6]} (different element sizes)'
    if data.ndim == 0:
        raise RuntimeError(f'self.dim() cannot be 0 to view {names}')
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError(f'self.stride(-1) must be 1 to view {names}, but got {strides[-1]}')
    offset = input.storage_offset()
    shape = data.shape
    if dtype.itemsize < old.itemsize:
        ratio = old.itemsize // dtype.itemsize
        new_shape = shape[:-1] + (shape[-1] * ratio,)
        new_strides = tuple(s * ratio for s in strides[:-1]) + (1,)
        new_offset = offset * ratio
    else:
        ratio = dtype.itemsize // old.itemsize
        if shape[-1] % ratio:
            raise RuntimeError(f'self.size(-1) must be divisible by {ratio} to view {names}, '
                               f'but got {shape[-1]}')
        if offset % ratio:
            raise RuntimeError(f'self.storage_offset() must be divisible by {ratio} to view '
                               f'{names}, but got {offset}')
        for i, s in enumerate(strides[:-1]):
            if s % ratio:
                raise RuntimeError(f'self.stride({i}) must be divisible by {ratio} to view '
                                   f'{names}, but got {s}')
        new_shape = shape[:-1] + (shape[-1] // ratio,)
        new_strides = tuple(s // ratio for s in strides[:-1]) + (1,)
        new_offset = offset // ratio
    if data.size == 0 or shape[-1] == 1:
        # Give the last axis its itemsize as byte stride so that NumPy accepts the reinterpretation
        # (its stride does not matter for a size-1 or empty axis).
        data = _strided_view(data, 0, shape, data.strides[:-1] + (data.itemsize,))
    array = data.view(np_dtype)
    return make_view(input, array, new_strides, keep_base=False, dtype=dtype,
                     offset=new_offset)


def view_as(input, other):
    return view(input, other._data.shape)


class UnsafeView(Op):
    node_name = 'UnsafeViewBackward0'

    @staticmethod
    def forward(ctx, data, shape):
        if ctx is not None:
            ctx.shape = data.shape
        return data.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


def reshape(input, *shape):
    """``view`` when the layout allows it, else a contiguous copy with the new shape."""
    shape = _layout.infer_size(_size_args(shape), input._data.size)
    if shape == input._data.shape:
        return View.apply(input, shape, input.stride())
    data = input._data
    if data.flags.c_contiguous and data.ndim and data.shape[-1] != 1 and data.size:
        return View.apply(input, shape, _layout.contiguous_strides(shape))
    strides = _layout.view_strides(data.shape, input.stride(), shape)
    if strides is not None:
        return View.apply(input, shape, strides)
    return UnsafeView.apply(input.clone(), shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    shape = input._data.shape
    if not shape:
        _layout.normalize_dim(start_dim, 0)   # a 0-d tensor takes dims -1 and 0 only
        _layout.normalize_dim(end_dim, 0)
        return reshape(input, (1,))
    start = _layout.normalize_dim(start_dim, len(shape))
    end = _layout.normalize_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim')
    if start == end:
        return input
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def ravel(input):
    return reshape(input, (-1,))


def unflatten(input, dim, sizes):
    shape = input._data.shape
    dim = _layout.normalize_dim(dim, len(shape))
    sizes = tuple(sizes)
    if len(sizes) == 0:
        raise RuntimeError('unflatten: sizes must be non-empty')
    sizes = _layout.infer_size(sizes, shape[dim]) if -1 in sizes else sizes
    prod = 1
    for s in sizes:
        prod *= s
    if prod != shape[dim]:
        raise RuntimeError(f'unflatten: Provided sizes {list(sizes)} don\'t multiply up to the '
                           f'size of dim {dim} ({shape[dim]}) in the input tensor')
    return view(input, shape[:dim] + sizes + shape[dim + 1:])


# ---------------------------------------------------------------------------------------
# transposes
# ---------------------------------------------------------------------------------------
class Transpose(ViewOp):
    node_name = 'TransposeBackward0'

    @staticmethod
    def forward(ctx, data, dim0, dim1, strides):
        if data.ndim == 0:
            return data, strides
        return data.swapaxes(dim0, dim1), strides

    def backward(self, grad):
        return grad.transpose(self.args[0], self.args[1])


def transpose(input, dim0, dim1):
    """Swap two dims (a view)."""
    ndim = input._data.ndim
    d0 = _layout.normalize_dim(dim0, ndim)
    d1 = _layout.normalize_dim(dim1, ndim)
    strides = list(input.stride())
    if strides:
        strides[d0], strides[d1] = strides[d1], strides[d0]
    return Transpose.apply(input, d0, d1, tuple(strides))


swapaxes = swapdims = transpose


class T(ViewOp):
    node_name = 'TBackward0'

    @staticmethod
    def forward(ctx, data, strides):
        return data.T, strides

    def backward(self, grad):
        return grad.t()


def t(input):
    """Transpose of a tensor with at most 2 dims (0-d and 1-d come back as they are)."""
    if input._data.ndim > 2:
        raise RuntimeError(f't() expects a tensor with <= 2 dimensions, but self is '
                           f'{input._data.ndim}D')
    return T.apply(input, input.stride()[::-1])


class Permute(ViewOp):
    node_name = 'PermuteBackward0'

    @staticmethod
    def forward(ctx, data, dims, strides):
        return data.transpose(dims), strides

    def backward(self, grad):
        dims = self.args[0]
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return grad.permute(inverse)


def permute(input, *dims):
    """Reorder dims (a view)."""
    dims = _size_args(dims)
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f'permute(sparse_coo): number of dimensions in the tensor input does '
                           f'not match the length of the desired ordering of dimensions i.e. '
                           f'input.dim() = {ndim} is not equal to len(dims) = {len(dims)}'
                           .replace('(sparse_coo)', ''))
    dims = tuple(_layout.normalize_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError('permute(): duplicate dims are not allowed.')
    strides = input.stride()
    return Permute.apply(input, dims, tuple(strides[d] for d in dims))


def movedim(input, source, destination):
    ndim = input._data.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f'movedim: Invalid source or destination dims: source ({list(src)} '
                           f'dims) should contain the same number of dims as destination '
                           f'({list(dst)} dims)')
    src = _layout.normalize_dims(src, ndim)
    dst = _layout.normalize_dims(dst, ndim)
    order = [None] * ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(ndim) if d not in src)
    order = [next(rest) if o is None else o for o in order]
    return permute(input, order)


moveaxis = movedim


def _matrix_transpose(input):
    if input._data.ndim < 2:
        raise RuntimeError('tensor.mT is only supported on matrices or batches of matrices. '
                           f'Got {input._data.ndim}-D tensor.')
    return transpose(input, -2, -1)


def _T_property(input):
    ndim = input._data.ndim
    if ndim == 2:
        return permute(input, (1, 0))   # PermuteBackward0, as in PyTorch (t() gives TBackward0)
    import warnings
    if ndim == 0:
        warnings.warn('Tensor.T is deprecated on 0-D tensors. This function is the identity in '
                      'these cases.', UserWarning, stacklevel=2)
    else:
        warnings.warn('The use of `x.T` on tensors of dimension other than 2 to reverse their '
                      'shape is deprecated and it will throw an error in a future release. '
                      'Consider `x.mT` to transpose batches of matrices or `x.permute(*torch.'
                      'arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.',
                      UserWarning, stacklevel=2)
    return permute(input, tuple(range(ndim - 1, -1, -1)))


# ---------------------------------------------------------------------------------------
# adding and removing size-1 dims, expand
# ---------------------------------------------------------------------------------------
class Unsqueeze(ViewOp):
    node_name = 'UnsqueezeBackward0'

    @staticmethod
    def forward(ctx, data, dim, strides):
        return data.reshape(data.shape[:dim] + (1,) + data.shape[dim:]), strides

    def backward(self, grad):
        return grad.squeeze(self.args[0])


def unsqueeze(input, dim=None, *, axis=_args.NO_AXIS):
    """Insert a size-1 dim at ``dim`` (a view)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'unsqueeze')
    if dim is None:
        raise TypeError('unsqueeze() missing 1 required positional arguments: "dim"')
    ndim = input._data.ndim
    dim = _layout.normalize_dim(dim, ndim + 1)
    shape = input._data.shape
    strides = input.stride()
    new_stride = shape[dim] * strides[dim] if dim < ndim else 1
    return Unsqueeze.apply(input, dim, strides[:dim] + (new_stride,) + strides[dim:])


class Squeeze(ViewOp):
    node_name = 'SqueezeBackward0'

    @staticmethod
    def forward(ctx, data, shape, strides):
        return data.reshape(shape), strides

    def backward(self, grad):
        return grad.reshape(self.shape)


class SqueezeDim(Squeeze):
    node_name = 'SqueezeBackward1'


class SqueezeDims(Squeeze):
    node_name = 'SqueezeBackward2'


def squeeze(input, dim=None, *, axis=_args.NO_AXIS):
    """Remove size-1 dims: all of them, or only those among ``dim`` (int or tuple)."""
    if axis is not _args.NO_AXIS:   # NumPy's name for dim, accepted by PyTorch too
        dim = _args.numpy_axis(axis, 'squeeze')
    shape = input._data.shape
    strides = input.stride()
    if dim is None:
        keep = [i for i, s in enumerate(shape) if s != 1]
        cls = Squeeze
    else:
        if isinstance(dim, (tuple, list)):
            dims = _layout.normalize_dims(dim, len(shape))
            cls = SqueezeDims
        else:
            dims = (_layout.normalize_dim(dim, len(shape)),)
            cls = SqueezeDim
        keep = [i for i, s in enumerate(shape) if not (i in dims and s == 1)]
    return cls.apply(input, tuple(shape[i] for i in keep), tuple(strides[i] for i in keep))


class Expand(ViewOp):
    node_name = 'ExpandBackward0'

    @staticmethod
    def forward(ctx, data, shape, strides):
        if not any(st == 0 and n != 1 for n, st in zip(shape, strides)):
            # Only size-1 (or empty) dims added: a plain, writable reshape.
            return data.reshape(shape), strides
        # Repeated elements: NumPy's read-only broadcast view (writes must go through
        # PyTorch's overlap check first).
        xp = _np if type(data) is _np.ndarray else _xp_of(data)
        return xp.broadcast_to(data, shape), strides

    def backward(self, grad):
        return grad.sum_to_size(self.shape)


import numpy as _np  # noqa: E402


def _xp_of(data):
    import importlib
    return importlib.import_module(type(data).__module__.split('.')[0])


def expand(input, *sizes):
    """Broadcast size-1 dims to larger sizes without copying (stride 0); -1 keeps a size."""
    sizes = _size_args(sizes, 'expand')
    shape = input._data.shape
    strides = input.stride()
    if len(sizes) < len(shape):
        raise RuntimeError(f'expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the '
                           f'number of sizes provided ({len(sizes)}) must be greater or equal '
                           f'to the number of dimensions in the tensor ({len(shape)})')
    lead = len(sizes) - len(shape)
    new_shape = []
    new_strides = []
    for i, size in enumerate(sizes):
        if i < lead:
            if size < 0:
                raise RuntimeError(f'The expanded size of the tensor ({size}) isn\'t allowed in '
                                   'a leading, non-existing dimension 0')
            new_shape.append(size)
            new_strides.append(0)
            continue
        old = shape[i - lead]
        if size == -1:
            size = old
        if old == size:
            new_shape.append(size)
            new_strides.append(strides[i - lead])
        elif old == 1:
            new_shape.append(size)
            new_strides.append(0)
        else:
            raise RuntimeError(
                f'The expanded size of the tensor ({size}) must match the existing size ({old}) '
                f'at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: '
                f'{list(shape)}')
    return Expand.apply(input, tuple(new_shape), tuple(new_strides))


def expand_as(input, other):
    return expand(input, other._data.shape)


# ---------------------------------------------------------------------------------------
# narrowing: select, slice, narrow, unbind
# ---------------------------------------------------------------------------------------
class _EmbedOp(ViewOp):
    """Views that pick part of the input with a basic NumPy key (ints, slices, None; no
    ellipsis): backward puts the grad into zeros of the input's shape."""

    @staticmethod
    def forward(ctx, data, key, strides):
        # A trailing Ellipsis keeps NumPy from turning a full integer index into a scalar.
        return data[key + (Ellipsis,)], strides

    @staticmethod
    def empty_offset(input, key, strides):
        shape = input._data.shape
        in_strides = input.stride()
        offset = input.storage_offset()
        d = 0
        for item in key:
            if item is None:
                continue
            if type(item) is slice:
                item = item.indices(shape[d])[0]
            offset += item * in_strides[d]
            d += 1
        return offset

    def backward(self, grad):
        from .indexing import embed_basic_index
        return embed_basic_index(grad, self.shape, self.args[0])


class Select(_EmbedOp):
    node_name = 'SelectBackward0'


class Slice(_EmbedOp):
    node_name = 'SliceBackward0'


class IndexUnsqueeze(_EmbedOp):
    node_name = 'UnsqueezeBackward0'


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    shape = input._data.shape
    if not shape:
        raise IndexError('select() cannot be applied to a 0-dim tensor.')
    dim = _layout.normalize_dim(dim, len(shape))
    index = index if type(index) is int else _args.as_int(index, 'select', 'index', 2)
    size = shape[dim]
    if not -size <= index < size:
        raise IndexError(f'select(): index {index} out of range for tensor of size '
                         f'{list(shape)} at dimension {dim}')
    if index < 0:
        index += size
    strides = input.stride()
    key = (slice(None),) * dim + (index,)
    return Select.apply(input, key, strides[:dim] + strides[dim + 1:])


def narrow(input, dim, start, length):
    """``length`` elements of ``dim`` from ``start`` (a view)."""
    shape = input._data.shape
    if not shape:
        raise RuntimeError('narrow() cannot be applied to a 0-dim tensor.')
    dim = _layout.normalize_dim(dim, len(shape))
    start = start if type(start) is int else _args.as_int(start, 'narrow', 'start', 2)
    size = shape[dim]
    if not -size <= start <= size:
        raise IndexError(f'start out of range (expected to be in range of [{-size}, {size}], '
                         f'but got {start})')
    if start < 0:
        start += size
    if length < 0 or start + length > size:
        raise RuntimeError(f'start ({start}) + length ({length}) exceeds dimension size '
                           f'({size}).')
    key = (slice(None),) * dim + (slice(start, start + length),)
    return Slice.apply(input, key, input.stride())


class Unbind(Op):
    node_name = 'UnbindBackward0'

    def backward(self, *grads):
        from .joining import stack
        from .creation import zeros
        shape, dtype, device = self._metas[0]
        dim = self.args[0]
        piece = shape[:dim] + shape[dim + 1:]
        filled = [g if g is not None else zeros(piece, dtype=dtype, device=device)
                  for g in grads]
        return stack(filled, dim)


def unbind(input, dim=0):
    """All slices along ``dim`` as a tuple of views."""
    shape = input._data.shape
    if not shape:
        raise IndexError('Dimension specified as 0 but tensor has no dimensions')
    dim = _layout.normalize_dim(dim, len(shape))
    strides = input.stride()
    rest = strides[:dim] + strides[dim + 1:]
    data = input._data
    pre = (slice(None),) * dim
    step = strides[dim]
    offset = input.storage_offset()
    outs = tuple(make_view(input, data[pre + (i, Ellipsis)], rest, offset=offset + i * step)
                 for i in range(shape[dim]))
    if input._requires_grad and _grad_state.enabled:
        node = Unbind.__new__(Unbind)
        node._connect((input,))
        node.args = (dim,)
        node._n_outputs = len(outs)
        attach(node, outs)
    return outs


def _strided_view(data, shift_bytes, shape, byte_strides, dtype=None):
    """An array over ``data``'s memory, starting ``shift_bytes`` after its first element,
    read as ``dtype`` (default: data's) with the given shape and byte strides. No copy and
    no bounds check: callers check against the storage."""
    xp = _np if type(data) is _np.ndarray else _xp_of(data)
    as_strided_ = xp.lib.stride_tricks.as_strided
    dtype = data.dtype if dtype is None else _np.dtype(dtype)
    if shift_bytes or dtype != data.dtype:
        # Walk bytes: the first element's bytes, a run of bytes to the new start, and the
        # new start's bytes read as ``dtype``.
        first = as_strided_(data, shape=(1,), strides=(data.itemsize,)).view(xp.uint8)
        step = 1 if shift_bytes >= 0 else -1
        start = as_strided_(first, shape=(abs(shift_bytes) + 1,), strides=(step,))[-1:]
        data = as_strided_(start, shape=(dtype.itemsize,), strides=(1,)).view(dtype)
    return as_strided_(data, shape=tuple(shape), strides=tuple(byte_strides))


def _first_ptr(array):
    if hasattr(array, '__array_interface__'):
        return array.__array_interface__['data'][0]
    return int(array.data.ptr)


def _positions(size, stride, offset):
    """Storage position (in elements) of every element of a strided layout, as an array."""
    pos = _np.full(tuple(size), offset, dtype=_np.int64)
    for d, (n, st) in enumerate(zip(size, stride)):
        axis = [1] * len(size)
        axis[d] = n
        pos = pos + (_np.arange(n, dtype=_np.int64) * st).reshape(axis)
    return pos


class AsStrided(ViewOp):
    node_name = 'AsStridedBackward0'

    @staticmethod
    def forward(ctx, data, array, strides):
        return array, strides

    @staticmethod
    def empty_offset(input, array, strides):
        return None   # as_strided records its offset itself

    def backward(self, grad):
        return _restride(grad, self.geometry, self.input_geometry)


class AsStridedScatter(Op):
    """Moves a gradient between two strided layouts of one storage: each element of the
    ``source`` layout adds into the storage slot it reads, then the ``target`` layout reads
    the slots back (``as_strided``'s backward; its own backward swaps the layouts)."""
    node_name = 'AsStridedScatterBackward0'

    @staticmethod
    def forward(ctx, grad, source, target):
        xp = _np if type(grad) is _np.ndarray else _xp_of(grad)
        src = _positions(*source)
        dst = _positions(*target)
        size = int(max(src.max(initial=0), dst.max(initial=0))) + 1
        slots = xp.zeros(size, dtype=grad.dtype)
        xp.add.at(slots, xp.asarray(src.reshape(-1)), grad.reshape(-1))
        return slots[xp.asarray(dst)]

    def backward(self, grad):
        source, target = self.args[1], self.args[2]
        return _restride(grad, target, source)


def _restride(grad, source, target):
    return AsStridedScatter.apply(grad, source, target)


def as_strided(input, size, stride, storage_offset=None):
    """A view of the input's storage with explicit sizes, strides and offset (in elements).

    Reading past the storage raises RuntimeError; overlapping elements are allowed (writing
    into them is not).
    """
    size = _size_args((size,), 'as_strided')
    stride = _size_args((stride,), 'as_strided')
    if len(size) != len(stride):
        raise RuntimeError(f'mismatch in length of strides and shape')
    if any(st < 0 for st in stride):
        raise RuntimeError(f'as_strided: Negative strides are not supported at the moment, '
                           f'got strides: {list(stride)}')
    if any(s < 0 for s in size):
        raise RuntimeError(f'Storage size calculation overflowed with sizes={list(size)} and '
                           f'strides={list(stride)}')
    if storage_offset is None:
        storage_offset = input.storage_offset()
    else:
        storage_offset = _as_int(storage_offset, 'as_strided')
    if storage_offset < 0:
        raise RuntimeError(f'Tensor: invalid storage offset {storage_offset}')
    storage = input.untyped_storage()
    item = input._dtype.itemsize
    if any(s == 0 for s in size):
        needed = 0
    else:
        needed = (storage_offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1) * item
    if needed > storage.nbytes():
        raise RuntimeError(f'setStorage: sizes {list(size)}, strides {list(stride)}, storage '
                           f'offset {storage_offset}, and itemsize {item} requiring a storage '
                           f'size of {needed} are out of bounds for storage of size '
                           f'{storage.nbytes()}')
    data = input._data
    byte_strides = tuple(s * item for s in stride)
    if needed == 0:
        xp = _np if type(data) is _np.ndarray else _xp_of(data)
        array = xp.empty(size, dtype=data.dtype)
    elif data.size:
        shift = (storage_offset - input.storage_offset()) * item
        array = _strided_view(data, shift, size, byte_strides)
    else:
        # An empty input has no usable pointer: start from the storage's own array.
        owner = storage._owner
        shift = storage._ptr + storage_offset * item - _first_ptr(owner)
        array = _strided_view(owner, shift, size, byte_strides, dtype=data.dtype)
    out = AsStrided.apply(input, array, stride)
    if needed == 0:
        out._offset = storage_offset or None
    if out._grad_fn is not None:
        out._grad_fn.geometry = (size, stride, storage_offset)
        out._grad_fn.input_geometry = (input._data.shape, input.stride(),
                                       input.storage_offset())
    return out


# ---------------------------------------------------------------------------------------
# detach, contiguous, clone
# ---------------------------------------------------------------------------------------
def detach(input):
    """A tensor sharing data with the input but outside the graph (``requires_grad=False``)."""
    return make_view(input, input._data, input._stride, keep_base=False)


def detach_(input):
    """Detach in place: drop the history and stop requiring grad (not allowed on views)."""
    if input._base is not None:
        raise RuntimeError(
            'Can\'t detach views in-place. Use detach() instead. If you are using '
            'DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as '
            'True, gradients are views of DDP buckets, and hence detach_() cannot be called on '
            'these gradients. To fix this error, please refer to the Optimizer.zero_grad() '
            'function in torch/optim/optimizer.py as the solution.')
    input._grad_fn = None
    input._requires_grad = False
    return input


class Clone(Op):
    node_name = 'CloneBackward0'

    @staticmethod
    def forward(ctx, data, memory_format):
        xp = _np if type(data) is _np.ndarray else _xp_of(data)
        if memory_format == 'contiguous':
            return xp.ascontiguousarray(data) if data.flags.c_contiguous is False \
                else data.copy()
        if memory_format == 'channels_last':
            # N, spatial dims..., C in memory: copy the permuted view, then view it back.
            rank = data.ndim
            to_last = (0,) + tuple(range(2, rank)) + (1,)
            back = (0, rank - 1) + tuple(range(1, rank - 1))
            return xp.ascontiguousarray(data.transpose(to_last)).transpose(back)
        return xp.array(data, copy=True, order='K')

    def backward(self, grad):
        return grad


def _format_name(input, memory_format):
    """'contiguous', 'preserve' or 'channels_last' (4-d or 5-d, checked like PyTorch)."""
    from .. import _memory_format as mf
    if memory_format is None or memory_format is mf.preserve_format:
        return 'preserve'
    if memory_format is mf.contiguous_format:
        return 'contiguous'
    rank = 4 if memory_format is mf.channels_last else 5
    if memory_format is not mf.channels_last and memory_format is not mf.channels_last_3d:
        raise RuntimeError(f'unsupported memory format {memory_format}')
    if input._data.ndim != rank:
        raise RuntimeError(f'required rank {rank} tensor to use {memory_format.name} format')
    return 'channels_last'


def clone(input, *, memory_format=None):
    """A copy with its own memory, differentiable (``CloneBackward0``); laid out like the input
    (``preserve_format``), row-major (``contiguous_format``) or channels last."""
    return Clone.apply(input, _format_name(input, memory_format))


def contiguous(input, memory_format=None):
    """The tensor itself when already contiguous in ``memory_format`` (row-major by default),
    else a copy laid out so."""
    from .. import _memory_format as mf
    if memory_format is None or memory_format is mf.preserve_format:
        memory_format = mf.contiguous_format
    if input.is_contiguous(memory_format=memory_format):
        return input
    return clone(input, memory_format=memory_format)


# ---------------------------------------------------------------------------------------
# sliding windows, real/imag views, in-place view ops
# ---------------------------------------------------------------------------------------
def unfold(input, dimension, size, step):
    """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    dim (a view)."""
    shape = input._data.shape
    ndim = len(shape)
    d = _layout.normalize_dim(dimension, ndim) if ndim else 0
    length = shape[d] if ndim else 1
    if size > length:
        raise RuntimeError(f'maximum size for tensor at dimension {d} is {length} but size is '
                           f'{size}')
    if step <= 0:
        raise RuntimeError(f'step is {step} but must be > 0')
    strides = input.stride()
    count = (length - size) // step + 1
    if not ndim:
        return input.reshape(1)
    new_shape = shape[:d] + (count,) + shape[d + 1:] + (size,)
    new_strides = strides[:d] + (strides[d] * step,) + strides[d + 1:] + (strides[d],)
    out = as_strided(input, new_shape, new_strides)
    if out._grad_fn is not None:
        _renamed_node(out._grad_fn, 'UnfoldBackward0')
    return out


class RealView(Op):
    """``z.real``: PyTorch selects element 0 of ``view_as_real(z)`` (``SelectBackward0``)."""
    node_name = 'SelectBackward0'

    def backward(self, grad):
        return (grad.to(self._metas[0][1]),)        # g + 0j


class ImagView(Op):
    """``z.imag``: element 1 of ``view_as_real(z)``."""
    node_name = 'SelectBackward0'

    def backward(self, grad):
        return (grad.to(self._metas[0][1]) * 1j,)   # 0 + g j


def _part_view(input, data, cls):
    out = make_view(input, data, tuple(s * 2 for s in input.stride()),
                    dtype=input._dtype.to_real())
    if input._requires_grad and grad_mode.state.enabled:
        node = cls.__new__(cls)
        node._connect((input,))
        node.args = ()
        attach(node, out)
    return out


def _real(input):
    if not input._dtype.is_complex:
        return input
    return _part_view(input, input._data.real, RealView)


def _imag(input):
    if not input._dtype.is_complex:
        raise RuntimeError('imag is not implemented for tensors with non-complex dtypes.')
    return _part_view(input, input._data.imag, ImagView)


# PyTorch's node names for the in-place forms of view ops
_INPLACE_NAMES = {'UnsqueezeBackward0': 'UnsqueezeBackward1', 'SqueezeBackward0':
                  'SqueezeBackward3', 'SqueezeBackward1': 'SqueezeBackward4',
                  'SqueezeBackward2': 'SqueezeBackward5', 'TBackward0': 'TBackward1',
                  'TransposeBackward0': 'TransposeBackward1',
                  'AsStridedBackward0': 'AsStridedBackward1'}
_INPLACE_CLASSES = {}


def _renamed_node(node, name):
    """``node`` retyped to show PyTorch's ``name`` (same backward): in-place view ops and
    ops built on another op (``unfold`` on ``as_strided``) have nodes of their own there."""
    key = (type(node), name)
    renamed = _INPLACE_CLASSES.get(key)
    if renamed is None:
        renamed = _INPLACE_CLASSES[key] = type(name, (type(node),), {'node_name': name})
    node.__class__ = renamed
    return node


def _inplace_node(node):
    name = type(node).node_name
    return _renamed_node(node, _INPLACE_NAMES.get(name, name))


def _inplace_view(fn):
    """``t.unsqueeze_(d)`` and friends: ``t`` itself takes the view's shape and strides."""
    def method(self, *args, **kwargs):
        result = fn(self, *args, **kwargs)
        self._data = result._data
        self._stride = result._stride
        if result._grad_fn is not None:
            self._grad_fn = _inplace_node(result._grad_fn)
        return self
    method.__name__ = fn.__name__ + '_'
    method.__doc__ = f'In-place version of :meth:`{fn.__name__}` (changes this tensor\'s view).'
    return method


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------
_METHODS = ['view', 'view_as', 'reshape', 'reshape_as', 'flatten', 'ravel', 'unflatten',
            'transpose', 'swapaxes', 'swapdims', 't', 'permute', 'movedim', 'moveaxis',
            'unsqueeze', 'squeeze', 'expand', 'expand_as', 'select', 'narrow', 'unbind',
            'as_strided', 'detach', 'detach_', 'clone', 'contiguous']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
for _name in ('unsqueeze', 'squeeze', 't', 'transpose', 'swapaxes', 'swapdims',
              'as_strided'):
    setattr(Tensor, _name + '_', _inplace_view(globals()[_name]))
Tensor.unfold = unfold
Tensor.real = property(_real)
Tensor.imag = property(_imag)
Tensor.T = property(_T_property)
Tensor.mT = property(_matrix_transpose)
Tensor.H = property(lambda self: _T_property(self).conj())
Tensor.mH = property(lambda self: _matrix_transpose(self).conj())
