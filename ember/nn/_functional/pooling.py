"""nn.functional: pooling (max, average, adaptive, Lp) and max unpooling.

Every kernel is vectorised over batch, channels and pixels; Python loops only run over the
positions of one pooling window (and spatial axes):

* max pooling reduces one spatial axis at a time (last axis first) with running maxima and
  a first-wins strict ``>`` argmax, which gives PyTorch's row-major first-maximum index;
  the backward op scatter-adds the gradient at the flat indices;
* average pooling sums window positions along each axis; its backward spreads them back;
* adaptive average pooling multiplies by one small averaging matrix per spatial axis;
* adaptive max pooling gathers each (variable size) window with index arrays.

1-d functions run the 2-d kernels on an unsqueezed input, as PyTorch does (so their
``grad_fn`` is ``SqueezeBackward1``).
"""
import math

import numpy as np

from ... import _dtype as dt
from ... import _args
from ..._tensor import Tensor, make_tensor
from ...autograd.function import Op
from .activation import select_bits, _BITS
from .conv import (pad_array, kernel_slices, _prod, _xp_of, _suggests_channels_last,
                   _to_channels_last, _TORCH_NAMES)

__all__ = ['max_pool1d', 'max_pool2d', 'max_pool3d', 'max_pool1d_with_indices',
           'max_pool2d_with_indices', 'max_pool3d_with_indices', 'avg_pool1d', 'avg_pool2d',
           'avg_pool3d', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d', 'adaptive_avg_pool3d',
           'adaptive_max_pool1d', 'adaptive_max_pool2d', 'adaptive_max_pool3d',
           'adaptive_max_pool1d_with_indices', 'adaptive_max_pool2d_with_indices',
           'adaptive_max_pool3d_with_indices', 'max_unpool1d', 'max_unpool2d', 'max_unpool3d',
           'lp_pool1d', 'lp_pool2d', 'lp_pool3d']


# ---------------------------------------------------------------------------------------
# geometry
# ---------------------------------------------------------------------------------------
# where each argument sits in the signature of max_pool and avg_pool (for PyTorch's errors)
_POSITIONS = {'kernel_size': 2, 'stride': 3, 'padding': 4, 'dilation': 5}


def _tuple(value, nd, name='kernel_size', fn=None):
    """One int per pooled dim from an int or a sequence; a float (``x.size(2) / 2``) is
    refused with PyTorch's TypeError."""
    if isinstance(value, Tensor):
        value = value.tolist()
    value = _args.int_tuple(value, fn or f'max_pool{nd}d', name, _POSITIONS.get(name))
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        raise RuntimeError(f'max_pool{nd}d: {name} must either be a single int, or a tuple of '
                           f'{nd} ints')
    return value


def _out_length(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length (floor or ceil, never starting in the right pad)."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _geometry(x, nd, kernel_size, stride, padding, dilation, ceil_mode, name, dil_name):
    """Check a pooling call and return (kernel, stride, padding, dilation, out_size)."""
    kernel = _tuple(kernel_size, nd, 'kernel_size', name)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and
                                           not stride) else _tuple(stride, nd, 'stride', name)
    padding = _tuple(padding, nd, 'padding', name)
    dilation = _tuple(dilation, nd, 'dilation', name)
    if any(s <= 0 for s in stride):
        raise RuntimeError('stride should not be zero')
    if any(k <= 0 for k in kernel):
        raise RuntimeError('kernel size should be greater than zero, but got ' +
                           ' '.join(f'k{a}: {k}' for a, k in zip(_AXES[nd], kernel)))
    if any(d <= 0 for d in dilation):
        raise RuntimeError('dilation should be greater than zero, but got ' +
                           ' '.join(f'dilation{a}: {d}' for a, d in zip(_AXES[nd], dilation)))
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0:
            raise RuntimeError(f'pad must be non-negative, but got pad: {p}')
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f'pad should be at most half of effective kernel size, but got '
                               f'pad={p}, kernel_size={k} and dilation={d}')
    _check_input(x, nd, name)
    in_size = tuple(x.shape[-nd:])
    out_size = tuple(_out_length(i, k, s, p, d, ceil_mode)
                     for i, k, s, p, d in zip(in_size, kernel, stride, padding, dilation))
    if any(o <= 0 for o in out_size):
        channels = x.shape[-nd - 1]
        raise RuntimeError(f'Given input size: ({"x".join(map(str, (channels,) + in_size))}). '
                           f'Calculated output size: '
                           f'({"x".join(map(str, (channels,) + out_size))}). Output size is too '
                           'small')
    return kernel, stride, padding, dilation, out_size


_AXES = {1: ('W',), 2: ('H', 'W'), 3: ('T', 'H', 'W')}


def _check_input(x, nd, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(x)}")
    if x.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f'non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for '
                           'input')
    if any(s == 0 for s in x.shape[-nd - 1:]):
        raise RuntimeError(f'Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 '
                           f'dim batch size for input, but got:{list(x.shape)}')
    if x._dtype is dt.bool or x._dtype.is_complex:
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_TORCH_NAMES[x._dtype.name]}'")


def _axis_slice(ndim, axis, start, stop, step):
    index = [slice(None)] * ndim
    index[axis] = slice(start, stop, step)
    return tuple(index)


def _channels_last(x):
    return x.dim() == 4 and _suggests_channels_last(x.shape, x.stride())


def _lowest(dtype):
    if dtype.kind in 'iu':
        return np.iinfo(dtype).min
    return -np.inf


# ---------------------------------------------------------------------------------------
# max pooling
# ---------------------------------------------------------------------------------------
def _window_planes(xpad, kernel, stride, dilation, out_size):
    """The input read by each window position, in row-major window order: output-shaped
    strided views of the padded input (no copies)."""
    nd = len(kernel)
    lead = (slice(None),) * (xpad.ndim - nd)
    for index in np.ndindex(*kernel):
        yield index, xpad[lead + kernel_slices(index, dilation, stride, out_size)]


def max_pool_arrays(x, kernel, stride, padding, dilation, out_size, need_indices,
                    local_only=False):
    """Max over windows of the trailing ``len(kernel)`` dims of ``x``.

    Returns (values, flat indices into the spatial dims or None). The index is PyTorch's:
    the first maximum in row-major window order; NaN wins over numbers (the last NaN).
    With ``local_only``, the indices are the window-local positions (row-major in the
    window) instead of flat ones.
    """
    xp = _xp_of(x)
    nd = len(kernel)
    in_size = x.shape[-nd:]
    # Pad low by `padding`, high so that every window (ceil_mode ones too) is in range.
    pads = tuple((p, max((o - 1) * s + d * (k - 1) + 1 - i - p, 0))
                 for p, o, s, d, k, i in zip(padding, out_size, stride, dilation, kernel,
                                             in_size))
    xpad = pad_array(x, pads, _lowest(x.dtype))
    planes = [plane for _, plane in _window_planes(xpad, kernel, stride, dilation, out_size)]
    if stride[-1] > 1 and need_indices:
        # Elementwise ops on rows read with a stride run several times slower than on
        # contiguous ones: copying the planes (into one buffer: one allocation) pays for
        # itself over the max and the argmax.
        dense = xp.empty((len(planes),) + planes[0].shape, x.dtype)
        for q, plane in enumerate(planes):
            dense[q] = plane
        planes = list(dense)
    values = None
    for plane in planes:
        if values is None:
            values = plane.copy()
        else:
            xp.maximum(values, plane, out=values)
    if not need_indices:
        return values, None
    count = _prod(kernel)
    if count == 1:
        local = xp.zeros(values.shape, np.uint8)
    elif values.dtype.kind == 'f' and xp.isnan(values).any():
        local = _nan_aware_argmax(planes, xp)
    else:
        # First match in window order = the number of leading positions that do not match.
        local = None
        missed = None
        for q, plane in enumerate(planes):
            if q == count - 1:
                break
            miss = plane != values
            if missed is None:
                missed = miss
                local = miss.astype(np.uint8 if count < 256 else np.int64)
            else:
                missed &= miss
                local += missed
    if local_only:
        return values, local
    # Only a window whose values are all the padding value can pick a padded position.
    clip = any(padding) and bool((values == _lowest(values.dtype)).any())
    return values, _flat_indices(local, kernel, stride, padding, dilation, out_size, in_size,
                                 clip, xp)


def _nan_aware_argmax(planes, xp):
    """PyTorch's scan over the window planes: a later element wins if it is larger or
    NaN."""
    best = None
    local = None
    for q, plane in enumerate(planes):
        if best is None:
            best = plane.copy()
            local = xp.zeros(best.shape, np.int64)
            continue
        wins = (plane > best) | xp.isnan(plane)
        local[wins] = q
        best[wins] = plane[wins]
    return local


def _flat_indices(local, kernel, stride, padding, dilation, out_size, in_size, clip, xp):
    """Window-local winners -> flat indices into the (un-padded) spatial dims."""
    nd = len(kernel)
    # int32 halves the memory traffic; PyTorch's int64 is produced only for return_indices.
    index_dtype = np.int32 if _prod(in_size) < 2 ** 31 else np.int64
    positions = np.array(list(np.ndindex(*kernel)), dtype=np.int64).reshape(-1, nd)
    # Offset of each window position relative to the window start, as a flat index.
    table = np.zeros(len(positions), dtype=index_dtype)
    # Flat index of each window start (may lie in the padding).
    start = np.zeros(out_size, dtype=index_dtype)
    row = 1
    for j in reversed(range(nd)):
        table += positions[:, j] * dilation[j] * row
        shape = [1] * nd
        shape[j] = out_size[j]
        start = start + ((np.arange(out_size[j], dtype=np.int64) * stride[j] - padding[j]) *
                         row).reshape(shape)
        row *= in_size[j]
    flat = xp.take(xp.asarray(table), local.astype(np.intp, copy=False))
    flat += xp.asarray(start)
    if clip:
        # A window whose values are all -inf may pick a padded position: PyTorch reports
        # the first in-range one instead. Rebuild coordinates, clipped, where needed.
        coords = []
        for j in range(nd):
            shape = [1] * nd
            shape[j] = out_size[j]
            base = (np.arange(out_size[j], dtype=np.int64) * stride[j] - padding[j])
            c = xp.asarray(base.reshape(shape)) + \
                xp.asarray(positions[:, j] * dilation[j])[local]
            coords.append(c)
        outside = None
        for c, size in zip(coords, in_size):
            o = (c < 0) | (c >= size)
            outside = o if outside is None else outside | o
        if outside.any():
            flat = None
            for c, size in zip(coords, in_size):
                c = xp.clip(c, 0, size - 1)
                flat = c if flat is None else flat * size + c
            flat = flat.astype(index_dtype)
    return flat


class MaxPool2DWithIndices(Op):
    """Max pooling that keeps the flat index of each maximum for backward."""
    node_name = 'MaxPool2DWithIndicesBackward0'

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_size, return_indices,
                channels_last):
        disjoint = ctx is not None and not return_indices and \
            _disjoint_windows(kernel, stride, padding, dilation, out_size, x.shape[-len(kernel):])
        values, idx = max_pool_arrays(x, kernel, stride, padding, dilation, out_size,
                                      return_indices or ctx is not None, disjoint)
        if ctx is not None:
            ctx._indices = _Winners(idx, kernel, stride, out_size, x.shape) if disjoint else idx
            ctx._in_shape = x.shape
        if channels_last:
            values = _to_channels_last(values)
        if not return_indices:
            return values
        idx = idx.astype(np.int64)
        return values, (_to_channels_last(idx) if channels_last else idx)

    def backward(self, grad, grad_indices=None):
        return MaxPoolBackward.apply(grad, self._indices, self._in_shape, len(self.args[1])),

    def _release(self):
        self._indices = None
        Op._release(self)


class MaxPool3DWithIndices(MaxPool2DWithIndices):
    node_name = 'MaxPool3DWithIndicesBackward0'


class MaxPoolBackward(Op):
    """Scatter-add a pooled gradient to the input positions its maxima came from."""
    node_name = 'MaxPool2DWithIndicesBackwardBackward0'

    @staticmethod
    def forward(ctx, grad, idx, in_shape, nd):
        if type(idx) is _Winners:
            return idx.scatter(grad)
        return scatter_flat(grad, idx, in_shape, nd, accumulate=True)

    def backward(self, ggx):
        return gather_flat(ggx, self.args[1], self.args[3])


def scatter_flat(values, idx, in_shape, nd, accumulate):
    """An ``in_shape`` array of zeros with ``values`` added (or written) at the flat indices
    ``idx`` of its last ``nd`` dims; ``values`` and ``idx`` share the leading dims."""
    xp = _xp_of(values)
    lead = in_shape[:len(in_shape) - nd]
    n_lead = int(np.prod(lead, dtype=np.int64))
    plane = int(np.prod(in_shape[len(in_shape) - nd:], dtype=np.int64))
    out = xp.zeros(in_shape, values.dtype)
    if out.size == 0 or values.size == 0:
        return out
    offset_dtype = idx.dtype if out.size < 2 ** 31 else np.int64
    offsets = idx.reshape(n_lead, -1) + \
        (xp.arange(n_lead, dtype=offset_dtype) * plane)[:, None]
    flat_out = out.reshape(-1)
    if accumulate:
        xp.add.at(flat_out, offsets.reshape(-1), values.reshape(-1))
    else:
        flat_out[offsets.reshape(-1)] = values.reshape(-1)
    return out


def _disjoint_windows(kernel, stride, padding, dilation, out_size, in_size):
    """Whether the pooling windows lie inside the input without overlapping (no padding,
    no dilation, stride >= kernel): each input element is read by at most one window."""
    return not any(padding) and all(d == 1 for d in dilation) and \
        all(s >= k and (o - 1) * s + k <= i
            for k, s, o, i in zip(kernel, stride, out_size, in_size))


class _Winners:
    """The window-local position of each maximum, for windows that do not overlap: backward
    writes the gradient window position by window position (no scatter-add), and flat
    indices are only built if a gradient of the gradient asks for them."""
    __slots__ = ('local', 'kernel', 'stride', 'out_size', 'in_shape', '_flat')

    def __init__(self, local, kernel, stride, out_size, in_shape):
        self.local = local
        self.kernel = kernel
        self.stride = stride
        self.out_size = out_size
        self.in_shape = in_shape
        self._flat = None

    @property
    def shape(self):
        return self.local.shape

    def flat(self):
        if self._flat is None:
            nd = len(self.kernel)
            self._flat = _flat_indices(self.local, self.kernel, self.stride, (0,) * nd,
                                       (1,) * nd, self.out_size, self.in_shape[-nd:], False,
                                       _xp_of(self.local))
        return self._flat

    def scatter(self, grad):
        """The input gradient: ``grad`` at each window's maximum, +0.0 elsewhere (PyTorch
        adds into zeros, so a -0.0 gradient lands as +0.0)."""
        xp = _xp_of(grad)
        nd = len(self.kernel)
        in_size = self.in_shape[-nd:]
        tiled = all(s == k and o * s == i for k, s, o, i in
                    zip(self.kernel, self.stride, self.out_size, in_size))
        out = (xp.empty if tiled else xp.zeros)(self.in_shape, grad.dtype)
        lead = (slice(None),) * (len(self.in_shape) - nd)
        grad = grad + grad.dtype.type(0)
        keep_not = xp.empty(grad.shape, np.bool_)
        scratch = xp.empty(grad.shape, _BITS.get(grad.dtype.itemsize, np.uint8))
        for q, index in enumerate(np.ndindex(*self.kernel)):
            plane = out[lead + kernel_slices(index, (1,) * nd, self.stride, self.out_size)]
            xp.not_equal(self.local, q, out=keep_not)
            select_bits(keep_not, grad, plane, scratch)
        return out


def gather_flat(source, idx, nd):
    """Tensor ``source`` read at the flat indices ``idx`` (an array) of its last ``nd`` dims:
    the adjoint of ``scatter_flat``, in tensor ops so it stays differentiable."""
    if type(idx) is _Winners:
        idx = idx.flat()
    lead = tuple(source.shape[:source.dim() - nd])
    index = make_tensor(np.ascontiguousarray(idx, dtype=np.int64).reshape(lead + (-1,)),
                        dt.int64, source._device)
    return source.reshape(lead + (-1,)).gather(len(lead), index).reshape(idx.shape)


def _max_pool(input, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
              name):
    kernel, stride, padding, dilation, out_size = _geometry(
        input, nd, kernel_size, stride, padding, dilation, ceil_mode, name, 'dilation')
    cls = MaxPool3DWithIndices if nd == 3 else MaxPool2DWithIndices
    return cls.apply(input, kernel, stride, padding, dilation, out_size, return_indices,
                     _channels_last(input))


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); with ``return_indices`` also the flat
    ``h * W + w`` index of each maximum (for ``max_unpool2d``)."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 'max_pool2d')


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 'max_pool3d')


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L) (run as 2-D pooling of height 1)."""
    _check_input(input, 1, 'max_pool1d')
    kernel = (1,) + _tuple(kernel_size, 1)
    stride = None if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else (1,) + _tuple(stride, 1, 'stride')
    result = _max_pool(input.unsqueeze(-2), 2, kernel, stride, (0,) + _tuple(padding, 1),
                       (1,) + _tuple(dilation, 1), ceil_mode, return_indices, 'max_pool1d')
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def max_pool1d_with_indices(*args, **kwargs):
    kwargs['return_indices'] = True
    return max_pool1d(*args, **kwargs)


def max_pool2d_with_indices(*args, **kwargs):
    kwargs['return_indices'] = True
    return max_pool2d(*args, **kwargs)


def max_pool3d_with_indices(*args, **kwargs):
    kwargs['return_indices'] = True
    return max_pool3d(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# average pooling
# ---------------------------------------------------------------------------------------
def _avg_divisor(in_size, kernel, stride, padding, out_size, count_include_pad,
                 divisor_override, dtype, xp):
    """The divisor of each output (a broadcastable array): PyTorch's window counts."""
    if divisor_override:
        return None
    nd = len(kernel)
    div = None
    for j in range(nd):
        start = np.arange(out_size[j], dtype=np.int64) * stride[j] - padding[j]
        end = np.minimum(start + kernel[j], in_size[j] + padding[j])
        if not count_include_pad:
            start = np.maximum(start, 0)
            end = np.minimum(end, in_size[j])
        count = (end - start).astype(np.float64)
        shape = [1] * nd
        shape[j] = out_size[j]
        count = count.reshape(shape)
        div = count if div is None else div * count
    return xp.asarray(div)


def _sum_windows(x, kernel, stride, padding, out_size):
    """Sum of each (zero-padded) window, one spatial axis at a time."""
    nd = len(kernel)
    in_size = x.shape[-nd:]
    pads = tuple((p, max((o - 1) * s + k - i - p, 0))
                 for p, o, s, k, i in zip(padding, out_size, stride, kernel, in_size))
    cur = pad_array(x, pads)
    for j in range(nd):
        axis = x.ndim - nd + j
        k, s, o = kernel[j], stride[j], out_size[j]
        total = cur[_axis_slice(cur.ndim, axis, 0, s * (o - 1) + 1, s)]
        if k > 1:
            total = total.copy()
            for q in range(1, k):
                total += cur[_axis_slice(cur.ndim, axis, q, q + s * (o - 1) + 1, s)]
        cur = total
    return cur


def _spread_windows(g, in_size, kernel, stride, padding):
    """The adjoint of ``_sum_windows``: each window's value added to all its positions."""
    xp = _xp_of(g)
    nd = len(kernel)
    out_size = g.shape[-nd:]
    cur = g
    for j in range(nd):
        axis = g.ndim - nd + j
        k, s, o, p = kernel[j], stride[j], out_size[j], padding[j]
        padded = max((o - 1) * s + k, in_size[j] + p)
        shape = list(cur.shape)
        shape[axis] = padded
        spread = xp.zeros(shape, cur.dtype)
        for q in range(k):
            spread[_axis_slice(spread.ndim, axis, q, q + s * (o - 1) + 1, s)] += cur
        cur = spread[_axis_slice(spread.ndim, axis, p, p + in_size[j], 1)]
    return cur


class AvgPool2D(Op):
    """Average pooling (sum of the zero-padded window over PyTorch's divisor)."""
    node_name = 'AvgPool2DBackward0'

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_size, include_pad, override,
                channels_last):
        nd = len(kernel)
        compute = x
        if x.dtype.kind in 'iu':
            compute = x.astype(np.int64)
        elif x.dtype.itemsize == 2:
            compute = x.astype(np.float32)
        if ctx is not None:
            ctx._in_shape = x.shape
        total = _sum_windows(compute, kernel, stride, padding, out_size)
        div = _avg_divisor(x.shape[-nd:], kernel, stride, padding, out_size, include_pad,
                           override, x.dtype, _xp_of(x))
        if x.dtype.kind in 'iu':
            divisor = override if override else div.astype(np.int64)
            # C++ integer division truncates toward zero
            out = np.sign(total) * (np.abs(total) // divisor)
        else:
            out = total / (override if override else div.astype(total.dtype))
        out = out.astype(x.dtype, copy=False)
        if channels_last:
            out = _to_channels_last(out)
        return out

    def backward(self, grad):
        kernel, stride, padding, out_size, include_pad, override = self.args[1:7]
        return AvgPoolBackward.apply(grad, self._in_shape, kernel, stride, padding,
                                     include_pad, override),


class AvgPool3D(AvgPool2D):
    node_name = 'AvgPool3DBackward0'


class AvgPoolBackward(Op):
    """The input gradient of average pooling (itself differentiable)."""
    node_name = 'AvgPool2DBackwardBackward0'

    @staticmethod
    def forward(ctx, grad, in_shape, kernel, stride, padding, include_pad, override):
        nd = len(kernel)
        if ctx is not None:
            ctx._out_shape = grad.shape
        g = grad.astype(np.float32) if grad.dtype.itemsize == 2 else grad
        div = _avg_divisor(in_shape[-nd:], kernel, stride, padding, g.shape[-nd:], include_pad,
                           override, g.dtype, _xp_of(g))
        g = g / (override if override else div.astype(g.dtype))
        out = _spread_windows(g, in_shape[-nd:], kernel, stride, padding)
        return out.astype(grad.dtype)

    def backward(self, ggx):
        in_shape, kernel, stride, padding, include_pad, override = self.args[1:7]
        nd = len(kernel)
        out_size = tuple(self._out_shape[-nd:])
        cls = AvgPool3D if nd == 3 else AvgPool2D
        return cls.apply(ggx, kernel, stride, padding, out_size, include_pad,
                         override, False),


def _avg_pool(input, nd, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, name):
    kernel, stride, padding, _, out_size = _geometry(
        input, nd, kernel_size, stride, padding, 1, ceil_mode, name, None)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError('divisor must be not zero')
    cls = AvgPool3D if nd == 3 else AvgPool2D
    return cls.apply(input, kernel, stride, padding, out_size, bool(count_include_pad),
                     divisor_override, _channels_last(input))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling over (N, C, H, W) or (C, H, W)."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 'avg_pool2d')


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 'avg_pool3d')


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling over (N, C, L) or (C, L) (run as 2-D pooling of height 1)."""
    _check_input(input, 1, 'avg_pool1d')
    stride = None if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else (1,) + _tuple(stride, 1, 'stride', 'avg_pool1d')
    out = _avg_pool(input.unsqueeze(-2), 2, (1,) + _tuple(kernel_size, 1, fn='avg_pool1d'),
                    stride, (0,) + _tuple(padding, 1, 'padding', 'avg_pool1d'), ceil_mode,
                    count_include_pad, None,
                    'avg_pool1d')
    return out.squeeze(-2)


# ---------------------------------------------------------------------------------------
# adaptive pooling
# ---------------------------------------------------------------------------------------
def _adaptive_bounds(size, out):
    """Start and end (exclusive) of each adaptive window along one axis."""
    o = np.arange(out, dtype=np.int64)
    start = (o * size) // out
    end = -((-(o + 1) * size) // out)
    return start, end


def _adaptive_output_size(input, nd, output_size, name):
    if not isinstance(output_size, (tuple, list)):
        output_size = _args.as_int(output_size, name, 'output_size', 2)
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(sizes) == 1 and nd > 1:
        sizes = tuple(sizes) * nd
    if len(sizes) != nd:
        raise RuntimeError(f'{name}: output_size must be {nd}')
    in_size = input.shape[-nd:]
    sizes = tuple(int(i) if s is None else _args.as_int(s, name, 'output_size', 2)
                  for s, i in zip(sizes, in_size))
    if any(s < 0 for s in sizes):
        raise RuntimeError(f'{name}: elements of output_size must be greater than or equal to '
                           f'0 but received {{{", ".join(map(str, sizes))}}}')
    return sizes


def _check_adaptive_input(input, nd, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(input)}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f'{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got '
                           f'{list(input.shape)}')
    for i in range(1, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f'{name}(): Expected input to have non-zero size for non-batch '
                               f'dimensions, but input has sizes {list(input.shape)} with '
                               f'dimension {i} being empty')
    if not (input._dtype.is_floating_point):
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{_TORCH_NAMES[input._dtype.name]}'")


def _averaging_matrix(size, out, dtype):
    start, end = _adaptive_bounds(size, out)
    positions = np.arange(size, dtype=np.int64)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2D(Op):
    """Adaptive average pooling as one averaging matrix per spatial axis (a linear map)."""
    node_name = 'AdaptiveAvgPool2DBackward0'

    @staticmethod
    def forward(ctx, x, mats, channels_last):
        xp = _xp_of(x)
        compute = x.astype(np.float32) if x.dtype.itemsize == 2 else x
        out = _apply_matrices(compute, [xp.asarray(m.astype(compute.dtype)) for m in mats],
                              xp)
        out = out.astype(x.dtype, copy=False)
        if channels_last:
            out = _to_channels_last(out)
        return out

    def backward(self, grad):
        mats = self.args[1]
        out = grad
        nd = len(mats)
        for j, m in enumerate(mats):
            t = make_tensor(_xp_of(grad._data).asarray(m.astype(grad._data.dtype)),
                            grad._dtype, grad._device)
            out = _matmul_axis(out, t, grad.dim() - nd + j)
        return out,


class AdaptiveAvgPool3D(AdaptiveAvgPool2D):
    node_name = 'AdaptiveAvgPool3DBackward0'


def _apply_matrices(x, mats, xp):
    """Contract each trailing spatial axis j of ``x`` with ``mats[j]`` (out_j, in_j)."""
    nd = len(mats)
    cur = x
    for j in reversed(range(nd)):
        axis = cur.ndim - nd + j
        moved = xp.moveaxis(cur, axis, -1)
        cur = xp.moveaxis(xp.matmul(moved, mats[j].T), -1, axis)
    return xp.ascontiguousarray(cur)


def _matmul_axis(t, m, axis):
    """Tensor ``t`` with dim ``axis`` contracted against the rows of matrix ``m`` (out, in):
    result has size ``in`` there (the adjoint of averaging)."""
    moved = t.movedim(axis, -1)
    return moved.matmul(m).movedim(-1, axis).contiguous()


def _adaptive_avg_pool(input, nd, output_size, name):
    _check_adaptive_input(input, nd, name)
    sizes = _adaptive_output_size(input, nd, output_size, name)
    if all(s == 1 for s in sizes) and nd > 1:
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    in_size = input.shape[-nd:]
    mats = tuple(_averaging_matrix(i, o, np.float64) for i, o in zip(in_size, sizes))
    cls = AdaptiveAvgPool3D if nd == 3 else AdaptiveAvgPool2D
    return cls.apply(input, mats, _channels_last(input))


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (H_out, W_out); ``None`` keeps an input size."""
    return _adaptive_avg_pool(input, 2, output_size, 'adaptive_avg_pool2d')


def adaptive_avg_pool3d(input, output_size):
    """Average pooling to a fixed output size (D_out, H_out, W_out)."""
    return _adaptive_avg_pool(input, 3, output_size, 'adaptive_avg_pool3d')


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to a fixed length (run as 2-D pooling)."""
    _check_adaptive_input(input, 1, 'adaptive_avg_pool1d')
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return _adaptive_avg_pool(input.unsqueeze(-2), 2, (1, size),
                              'adaptive_avg_pool2d').squeeze(-2)


def adaptive_max_arrays(x, out_size):
    """Maxima of adaptive windows of the trailing dims of ``x`` and their flat indices."""
    xp = _xp_of(x)
    nd = len(out_size)
    in_size = x.shape[-nd:]
    lead = x.shape[:-nd]
    index_axes = []
    widths = []
    for j in range(nd):
        start, end = _adaptive_bounds(in_size[j], out_size[j])
        width = int((end - start).max()) if out_size[j] else 1
        idx = np.minimum(start[:, None] + np.arange(width, dtype=np.int64), end[:, None] - 1)
        index_axes.append(idx)
        widths.append(width)
    # Gather (lead, o_0, w_0, o_1, w_1, ...) then move the window axes last.
    key = []
    for j, idx in enumerate(index_axes):
        shape = [1] * (2 * nd)
        shape[2 * j], shape[2 * j + 1] = idx.shape
        key.append(xp.asarray(idx.reshape(shape)))
    windows = x[(Ellipsis,) + tuple(key)]
    order = tuple(range(len(lead))) + tuple(len(lead) + 2 * j for j in range(nd)) + \
        tuple(len(lead) + 2 * j + 1 for j in range(nd))
    windows = windows.transpose(order).reshape(tuple(lead) + tuple(out_size) + (-1,)
                                               if windows.size else
                                               tuple(lead) + tuple(out_size) +
                                               (int(np.prod(widths)),))
    local = windows.argmax(-1) if windows.size else \
        xp.zeros(tuple(lead) + tuple(out_size), np.int64)
    if windows.dtype.kind == 'f' and windows.size:
        nan = xp.isnan(windows)
        if nan.any():
            last = windows.shape[-1] - 1 - nan[..., ::-1].argmax(-1)
            local = xp.where(nan.any(-1), last, local)
    values = xp.take_along_axis(windows, local[..., None], -1)[..., 0] if windows.size else \
        xp.zeros(tuple(lead) + tuple(out_size), x.dtype)
    flat = None
    rest = local
    offsets = []
    for j in reversed(range(nd)):
        offsets.append(rest % widths[j])
        rest = rest // widths[j]
    offsets = offsets[::-1]
    for j in range(nd):
        shape = [1] * nd
        shape[j] = out_size[j]
        positions = xp.asarray(index_axes[j])[xp.arange(out_size[j]).reshape(shape),
                                              offsets[j]]
        flat = positions if flat is None else flat * in_size[j] + positions
    return values, flat.astype(np.int64)


class AdaptiveMaxPool2D(Op):
    node_name = 'AdaptiveMaxPool2DBackward0'

    @staticmethod
    def forward(ctx, x, out_size, channels_last):
        values, idx = adaptive_max_arrays(x, out_size)
        if ctx is not None:
            ctx._indices = idx
            ctx._in_shape = x.shape
        if channels_last:
            values, idx = _to_channels_last(values), _to_channels_last(idx)
        return values, idx

    def backward(self, grad, grad_indices=None):
        return MaxPoolBackward.apply(grad, self._indices, self._in_shape, len(self.args[1])),


class AdaptiveMaxPool3D(AdaptiveMaxPool2D):
    node_name = 'AdaptiveMaxPool3DBackward0'


def _adaptive_max_pool(input, nd, output_size, return_indices, name):
    _check_adaptive_input(input, nd, name)
    sizes = _adaptive_output_size(input, nd, output_size, name)
    cls = AdaptiveMaxPool3D if nd == 3 else AdaptiveMaxPool2D
    values, indices = cls.apply(input, sizes, _channels_last(input))
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (H_out, W_out)."""
    return _adaptive_max_pool(input, 2, output_size, return_indices, 'adaptive_max_pool2d')


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (D_out, H_out, W_out)."""
    return _adaptive_max_pool(input, 3, output_size, return_indices, 'adaptive_max_pool3d')


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to a fixed length (run as 2-D pooling)."""
    _check_adaptive_input(input, 1, 'adaptive_max_pool1d')
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    values, indices = _adaptive_max_pool(input.unsqueeze(-2), 2, (1, size), True,
                                         'adaptive_max_pool2d')
    if return_indices:
        return values.squeeze(-2), indices.squeeze(-2)
    return values.squeeze(-2)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


# ---------------------------------------------------------------------------------------
# max unpooling
# ---------------------------------------------------------------------------------------
class MaxUnpool2D(Op):
    """Place each value at its flat index in a zero output (the inverse of max pooling)."""
    node_name = 'MaxUnpool2DBackward0'

    @staticmethod
    def forward(ctx, x, idx, out_shape, nd):
        return scatter_flat(x, idx, out_shape, nd, accumulate=False)

    def backward(self, grad):
        return gather_flat(grad, self.args[1], self.args[3]),


class MaxUnpool3D(MaxUnpool2D):
    node_name = 'MaxUnpool3DBackward0'


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size, name):
    kernel = _tuple(kernel_size, nd)
    stride = kernel if stride is None else _tuple(stride, nd, 'stride')
    padding = _tuple(padding, nd, 'padding')
    in_size = tuple(input.shape[-nd:])
    default = tuple((i - 1) * s + k - 2 * p
                    for i, s, k, p in zip(in_size, stride, kernel, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(int(s) for s in output_size)
        if len(size) == nd + 2:
            size = size[2:]
        elif len(size) == nd + 1 and input.dim() == nd + 1:
            size = size[1:]
        if len(size) != nd:
            raise ValueError(f'output_size should be a sequence containing {nd} or {nd + 2} '
                             f'elements, but it has a length of \'{len(output_size)}\'')
        for j in range(nd):
            low = default[j] - stride[j]
            high = default[j] + stride[j]
            if not low < size[j] < high:
                raise ValueError(f'invalid output_size "{list(size)}" (dim {j} must be '
                                 f'between {low} and {high})')
    if indices._dtype is not dt.int64:
        raise RuntimeError(f'elements in indices should be type int64 but got: '
                           f'{_TORCH_NAMES[indices._dtype.name]}')
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f'Expected shape of indices to be same as that of the input tensor '
                           f'({list(input.shape)}) but got indices tensor with shape: '
                           f'{list(indices.shape)}')
    plane = int(np.prod(size, dtype=np.int64))
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max() if idx.max() >= plane else idx.min())
        raise RuntimeError(f'Found an invalid max index: {bad} (output volumes are of size '
                           f'{"x".join(map(str, size))}')
    out_shape = tuple(input.shape[:-nd]) + size
    cls = MaxUnpool3D if nd == 3 else MaxUnpool2D
    return cls.apply(input, np.ascontiguousarray(idx), out_shape, nd)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool2d``: values go back to the positions of ``indices``,
    zeros elsewhere."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size,
                       'max_unpool2d')


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool3d``."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size,
                       'max_unpool3d')


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of ``max_pool1d``."""
    kernel = _tuple(kernel_size, 1)
    stride = kernel if stride is None else _tuple(stride, 1, 'stride')
    padding = _tuple(padding, 1, 'padding')
    if output_size is not None:
        output_size = tuple(output_size)[-1:]
        output_size = (1,) + output_size
    out = _max_unpool(input.unsqueeze(-2), indices.unsqueeze(-2), 2, (1,) + kernel,
                      (1,) + stride, (0,) + padding, output_size, 'max_unpool1d')
    return out.squeeze(-2)


# ---------------------------------------------------------------------------------------
# power-average pooling
# ---------------------------------------------------------------------------------------
def _lp_pool(input, nd, norm_type, kernel_size, stride, ceil_mode):
    from ..._ops.elementwise import sign, relu
    kernel = _tuple(kernel_size, nd)
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    powered = input.pow(norm_type)
    out = pool(powered, kernel, stride, 0, ceil_mode)
    return (sign(out) * relu(out.abs())).mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum over window of x**p) ** (1/p)``."""
    return _lp_pool(input, 1, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 2-D windows."""
    return _lp_pool(input, 2, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling over 3-D windows."""
    return _lp_pool(input, 3, norm_type, kernel_size, stride, ceil_mode)
