"""View ops: results share the input's storage; writes through one show in the other.

Each op computes its NumPy view (which NumPy makes without copying) and the strides PyTorch
would report, and records a node whose backward undoes the view on the gradient.
"""

__all__ = ['view', 'reshape', 'flatten', 'ravel', 'unflatten', 'transpose', 'swapaxes', 'swapdims',
           't', 'permute', 'movedim', 'moveaxis', 'unsqueeze', 'squeeze', 'select',
           'narrow', 'unbind', 'as_strided', 'detach', 'detach_', 'clone']

from .. import _layout
from .._tensor import Tensor, make_view
from ..autograd.function import Op, wrap_outputs, attach, check_same_device  # noqa: F401
from ..autograd import grad_mode

_grad_state = grad_mode.state


class ViewOp(Op):
    """An op whose output is a view: ``forward`` returns (array, PyTorch strides or None)."""

    @classmethod
    def apply(cls, input, *params):
        data, strides = cls.forward(None, input._data, *params)
        out = make_view(input, data, strides)
        if input._requires_grad and _grad_state.enabled:
            node = cls.__new__(cls)
            node._connect((input,))
            node.args = params
            node.shape = input._data.shape
            attach(node, out)
        return out


def _size_args(args):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f(Size)``."""
    if len(args) == 1 and not isinstance(args[0], int):
        arg = args[0]
        if isinstance(arg, Tensor):
            return (arg.__index__(),)
        return tuple(int(s) if not isinstance(s, int) else s for s in arg)
    return tuple(s if isinstance(s, int) else s.__index__() for s in args)


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
    if dtype is None and len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)) \
            and not hasattr(shape[0], '__index__'):
        dtype = shape[0]
    if dtype is not None:
        return _view_dtype(input, dtype)
    shape = _layout.infer_size(_size_args(shape), input._data.size)
    if shape == input._data.shape:
        strides = input.stride()
    else:
        strides = _view_strides_or_raise(input, shape)
    return View.apply(input, shape, strides)


def _view_dtype(input, dtype):
    if dtype.itemsize != input._dtype.itemsize:
        raise RuntimeError(
            f'self.element_size() ({input._dtype.itemsize}) must divide '
            f'dtype.itemsize ({dtype.itemsize}) ... ember supports view(dtype) only between '
            'dtypes of the same size')
    if input._requires_grad and _grad_state.enabled:
        raise RuntimeError('Viewing a tensor as a new dtype with a different number of bytes '
                           'per element is not supported when it requires grad')
    return make_view(input, input._data.view(dtype.numpy_dtype), input._stride, dtype=dtype)


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
    strides = _layout.view_strides(input._data.shape, input.stride(), shape)
    if strides is not None:
        return View.apply(input, shape, strides)
    return UnsafeView.apply(input.clone(), shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one (a view when possible)."""
    shape = input._data.shape
    if not shape:
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
    dims = _layout.normalize_dims(dims, ndim)
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
        return t(input)
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


def unsqueeze(input, dim):
    """Insert a size-1 dim at ``dim`` (a view)."""
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


def squeeze(input, dim=None):
    """Remove size-1 dims: all of them, or only those among ``dim`` (int or tuple)."""
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
        xp = type(data).__module__ == 'numpy' and _np or _xp_of(data)
        return xp.broadcast_to(data, shape), strides

    def backward(self, grad):
        return grad.sum_to_size(self.shape)


import numpy as _np  # noqa: E402


def _xp_of(data):
    import importlib
    return importlib.import_module(type(data).__module__.split('.')[0])


def expand(input, *sizes):
    """Broadcast size-1 dims to larger sizes without copying (stride 0); -1 keeps a size."""
    sizes = _size_args(sizes)
    shape = input._data.shape
    strides = input.stride()
    if len(sizes) < len(shape):
        raise RuntimeError(f'expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the '
                           'number of sizes provided ({}) must be greater or equal to the '
                           'number of dimensions in the tensor ({})'.format(len(sizes),
                                                                            len(shape)))
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
    """Views that pick part of the input: backward puts the grad into zeros of input shape."""

    def backward(self, grad):
        from .indexing import embed_basic_index
        return embed_basic_index(grad, self.shape, self.args[0])


class Select(_EmbedOp):
    node_name = 'SelectBackward0'

    @staticmethod
    def forward(ctx, data, index, strides):
        # A trailing Ellipsis keeps NumPy from turning a full integer index into a scalar.
        return data[index + (Ellipsis,)], strides


class Slice(_EmbedOp):
    node_name = 'SliceBackward0'
    forward = Select.forward


class IndexUnsqueeze(_EmbedOp):
    node_name = 'UnsqueezeBackward0'
    forward = Select.forward


def select(input, dim, index):
    """The slice at ``index`` along ``dim``, with that dim removed (a view)."""
    shape = input._data.shape
    if not shape:
        raise IndexError('select() cannot be applied to a 0-dim tensor.')
    dim = _layout.normalize_dim(dim, len(shape))
    index = index.__index__() if not isinstance(index, int) else index
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
    start = start.__index__() if not isinstance(start, int) else start
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
    outs = tuple(make_view(input, data[pre + (i,)], rest) for i in range(shape[dim]))
    if input._requires_grad and _grad_state.enabled:
        node = Unbind.__new__(Unbind)
        node._connect((input,))
        node.args = (dim,)
        node._n_outputs = len(outs)
        attach(node, outs)
    return outs


class AsStrided(ViewOp):
    node_name = 'AsStridedBackward0'

    @staticmethod
    def forward(ctx, data, array, strides):
        return array, strides

    def backward(self, grad):
        from .indexing import as_strided_scatter_add
        size, stride, offset = self.geometry
        return as_strided_scatter_add(grad, self._metas[0], self.base_offset, size, stride,
                                      offset)


def as_strided(input, size, stride, storage_offset=None):
    """A view of the input's storage with explicit sizes, strides and offset (in elements)."""
    from numpy.lib.stride_tricks import as_strided as np_as_strided
    size = tuple(size)
    stride = tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f'mismatch in length of strides and shape')
    if storage_offset is None:
        storage_offset = input.storage_offset()
    storage = input.untyped_storage()
    item = input._dtype.itemsize
    extent = storage_offset + sum((s - 1) * st for s, st in zip(size, stride) if s > 0) + 1
    if any(s == 0 for s in size):
        extent = storage_offset
    if extent * item > storage.nbytes():
        raise RuntimeError(f'setStorage: sizes {list(size)}, strides {list(stride)}, storage '
                           f'offset {storage_offset}, and itemsize {item} requiring a storage '
                           f'size of {extent * item} are out of bounds for storage of size '
                           f'{storage.nbytes()}')
    shift = (storage_offset - input.storage_offset()) * item
    base_array = input._data
    if base_array.ndim:
        base_array = base_array.reshape(-1)[:1] if base_array.size else base_array.reshape(-1)
    flat = _np.frombuffer(storage._owner, dtype=_np.uint8) if False else None  # noqa: F841
    array = np_as_strided(input._data, shape=size, strides=tuple(s * item for s in stride))
    if shift:
        array = np_as_strided(_offset_array(input._data, shift), shape=size,
                              strides=tuple(s * item for s in stride))
    out = AsStrided.apply(input, array, stride)
    if out._grad_fn is not None:
        out._grad_fn.geometry = (size, stride, storage_offset)
        out._grad_fn.base_offset = input.storage_offset()
    return out


def _offset_array(data, shift_bytes):
    """A 0-stride array starting ``shift_bytes`` after ``data``'s first element."""
    from numpy.lib.stride_tricks import as_strided as np_as_strided
    flat = np_as_strided(data, shape=(abs(shift_bytes) // data.itemsize + 1,),
                         strides=(data.itemsize if shift_bytes > 0 else -data.itemsize,))
    return flat[-1:].reshape(())


# ---------------------------------------------------------------------------------------
# detach, contiguous, clone
# ---------------------------------------------------------------------------------------
def detach(input):
    """A tensor sharing data with the input but outside the graph (``requires_grad=False``)."""
    return make_view(input, input._data, input._stride, keep_base=False)


def detach_(input):
    """Detach in place: drop the history and stop requiring grad."""
    if input._is_view and input._base is not None and input._base._requires_grad:
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
        return xp.array(data, copy=True, order='K')

    def backward(self, grad):
        return grad


def clone(input, *, memory_format=None):
    """A copy with its own memory, differentiable (``CloneBackward0``)."""
    from .. import _memory_format as mf
    fmt = 'contiguous' if memory_format is mf.contiguous_format else 'preserve'
    return Clone.apply(input, fmt)


def contiguous(input, memory_format=None):
    """The tensor itself when already contiguous, else a contiguous copy."""
    if input.is_contiguous():
        return input
    from .. import _memory_format as mf
    return clone(input, memory_format=mf.contiguous_format)


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------
_METHODS = ['view', 'view_as', 'reshape', 'reshape_as', 'flatten', 'ravel', 'unflatten',
            'transpose', 'swapaxes', 'swapdims', 't', 'permute', 'movedim', 'moveaxis',
            'unsqueeze', 'squeeze', 'expand', 'expand_as', 'select', 'narrow', 'unbind',
            'as_strided', 'detach', 'detach_', 'clone', 'contiguous']
for _name in _METHODS:
    setattr(Tensor, _name, globals()[_name])
Tensor.T = property(_T_property)
Tensor.mT = property(_matrix_transpose)
Tensor.H = property(lambda self: _T_property(self).conj())
Tensor.mH = property(lambda self: _matrix_transpose(self).conj())
