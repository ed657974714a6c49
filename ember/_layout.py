"""Pure integer arithmetic on shapes and strides (in elements, as PyTorch counts them).

Nothing here touches array data: contiguity, PyTorch's rule for when ``view`` may reinterpret
a layout, broadcasting, and dimension normalisation, each testable on its own.
"""

__all__ = ['contiguous_strides', 'is_contiguous', 'view_strides', 'broadcast_shapes',
           'normalize_dim', 'infer_size']


_CONTIGUOUS = {}


def contiguous_strides(shape):
    """Row-major strides PyTorch gives a fresh tensor (size-0 and size-1 dims count as 1)."""
    if type(shape) is not tuple:
        shape = tuple(shape)
    cached = _CONTIGUOUS.get(shape)
    if cached is not None:
        return cached
    strides = _contiguous_strides(shape)
    if len(_CONTIGUOUS) > 4096:
        _CONTIGUOUS.clear()
    _CONTIGUOUS[shape] = strides
    return strides


def _contiguous_strides(shape):
    strides = []
    acc = 1
    for size in reversed(shape):
        strides.append(acc)
        acc *= size if size > 1 else 1
    return tuple(reversed(strides))


def is_contiguous(shape, strides):
    """PyTorch's row-major contiguity: strides of size-1 dims don't matter, empty is contiguous."""
    if 0 in shape:
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def is_channels_last(shape, strides, rank=4):
    """Whether a 4-d (5-d) layout is dense in NHWC (NDHWC) order: PyTorch's channels_last
    (channels_last_3d)."""
    if len(shape) != rank:
        return False
    if 0 in shape:
        return True
    expected = 1
    for d in (1,) + tuple(range(rank - 1, 1, -1)) + (0,):
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def view_strides(old_shape, old_strides, new_shape):
    """Strides that let ``new_shape`` reinterpret a layout without copying, or None.

    PyTorch's rule: split the old dims into chunks that are contiguous among themselves; each
    chunk must map onto a run of new dims with the same element count.
    """
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0:
        if tuple(old_shape) == tuple(new_shape):
            return tuple(old_strides)
        return contiguous_strides(new_shape)
    if not old_shape:
        # A 0-d tensor holds one element: any all-ones shape views it.
        return (1,) * len(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1] if old_strides else 1
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        # End of a contiguous chunk: the next-outer dim does not continue this one.
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def infer_size(shape, numel):
    """Resolve one ``-1`` in a requested shape; RuntimeError when sizes cannot match."""
    infer_at = None
    known = 1
    for i, s in enumerate(shape):
        if s == -1:
            if infer_at is not None:
                raise RuntimeError('only one dimension can be inferred')
            infer_at = i
        elif s >= 0:
            known *= s
        else:
            raise RuntimeError(f'invalid shape dimension {s} at index {i} of shape '
                               f'{list(shape)}')
    if infer_at is None:
        if known == numel:
            return tuple(shape)
    elif known != 0 and numel % known == 0:
        shape = list(shape)
        shape[infer_at] = numel // known
        return tuple(shape)
    elif known == 0 and numel == 0:
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous")
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def broadcast_shapes(*shapes):
    """The shape that all ``shapes`` broadcast to; RuntimeError naming the clash otherwise
    (PyTorch's message: shapes are merged pairwise and compared from the last dim)."""
    if not shapes:
        return ()
    result = tuple(shapes[0])
    for shape in shapes[1:]:
        if shape == result:
            continue
        ndim = max(len(result), len(shape))
        merged = [1] * ndim
        for i in range(ndim - 1, -1, -1):
            a = result[i - ndim + len(result)] if i - ndim + len(result) >= 0 else 1
            b = shape[i - ndim + len(shape)] if i - ndim + len(shape) >= 0 else 1
            if a != b and a != 1 and b != 1:
                raise RuntimeError(f'The size of tensor a ({a}) must match the size of tensor '
                                   f'b ({b}) at non-singleton dimension {i}')
            merged[i] = b if a == 1 else a
        result = tuple(merged)
    return result


def normalize_dim(dim, ndim, wrap_scalar=True):
    """A dim in ``[-ndim, ndim)`` as a non-negative index; IndexError like PyTorch otherwise."""
    if ndim == 0 and wrap_scalar:
        ndim = 1
    if not isinstance(dim, int):
        try:
            dim = dim.__index__()
        except AttributeError:
            raise TypeError(f'dim must be an int, not {type(dim).__name__}') from None
    if -ndim <= dim < ndim:
        return dim + ndim if dim < 0 else dim
    raise IndexError(f'Dimension out of range (expected to be in range of '
                     f'[{-ndim}, {ndim - 1}], but got {dim})')


def normalize_dims(dims, ndim):
    """A tuple of dims normalised; RuntimeError on a repeated dim as in PyTorch."""
    if isinstance(dims, int):
        return (normalize_dim(dims, ndim),)
    out = tuple(normalize_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        for d in out:
            if out.count(d) > 1:
                raise RuntimeError(f'dim {d} appears multiple times in the list of dims')
    return out


def is_non_overlapping_and_dense(shape, strides):
    """Whether a layout covers its elements without gaps or overlaps (in any dim order)."""
    dims = sorted((stride, size) for size, stride in zip(shape, strides) if size != 1)
    expected = 1
    for stride, size in dims:
        if stride != expected:
            return False
        expected *= size
    return True


def iteration_order(shape, operands):
    """The dims of an elementwise result from innermost to outermost, as PyTorch's
    TensorIterator orders them. ``operands`` are (shape, strides) pairs broadcastable to
    ``shape``: for each pair of dims the first operand whose strides tell them apart decides
    (broadcast dims have no say; equal strides put the smaller dim inside)."""
    ndim = len(shape)
    full_strides = []
    for own_shape, own_strides in operands:
        offset = ndim - len(own_shape)
        full = [0] * ndim
        for i, (size, stride) in enumerate(zip(own_shape, own_strides)):
            if not (size == 1 and shape[offset + i] != 1):
                full[offset + i] = stride
        full_strides.append(full)

    def compare(d0, d1):
        for full in full_strides:
            s0, s1 = full[d0], full[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    # Insertion sort, as PyTorch does it: stable, and a tie leaves dims where they are.
    perm = list(range(ndim - 1, -1, -1))
    for i in range(1, ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            comparison = compare(perm[d0], perm[d1])
            if comparison > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif comparison < 0:
                break
    return perm

