"""nn.functional: padding, resizing and rearranging images.

``pad`` (constant, reflect, replicate, circular), ``interpolate``/``upsample`` (nearest,
nearest-exact, linear, bilinear, bicubic, trilinear, area), ``pixel_shuffle``,
``pixel_unshuffle``, ``channel_shuffle``, ``unfold``/``fold``, ``affine_grid`` and
``grid_sample``.

Non-constant padding and interpolation are *separable gathers*: along each spatial axis,
output position j reads input positions ``index[t][j]`` with weights ``weight[t][j]`` (one
tap for padding and nearest, two for linear, four for cubic). One op runs any such gather;
its backward is the adjoint (a scatter-add of the same taps), itself an op whose backward
is the gather again, so gradients of gradients work.
"""
import math

import numpy as np

from ... import _dtype as dt
from ... import _args
from ..._tensor import Tensor, make_tensor
from ...autograd import grad_mode
from ...autograd.function import Op
from .conv import (pad_array, window_view, kernel_slices, _prod, _xp_of,
                   _suggests_channels_last, _to_channels_last, _TORCH_NAMES)

_grad_state = grad_mode.state

__all__ = ['pad', 'interpolate', 'upsample', 'upsample_nearest', 'upsample_bilinear',
           'pixel_shuffle', 'pixel_unshuffle', 'channel_shuffle', 'native_channel_shuffle',
           'unfold', 'fold', 'affine_grid', 'grid_sample']


def _channels_last(x):
    return x.dim() == 4 and _suggests_channels_last(x.shape, x.stride())


def _half_to_float(array):
    """NumPy computes half precision slowly and imprecisely: work in float32."""
    if array.dtype.itemsize == 2 and array.dtype.kind in 'fV':
        return array.astype(np.float32)
    return array


# ---------------------------------------------------------------------------------------
# separable gathers and their adjoints
# ---------------------------------------------------------------------------------------
def _take_axis(x, index, axis):
    index = index.astype(np.intp, copy=False) if hasattr(index, 'astype') else index
    return _xp_of(x).take(x, index, axis=axis)


def _gather_axes(x, plan):
    """Apply ``plan``: a tuple of (axis from the end, taps), taps = ((index, weight|None),...)."""
    xp = _xp_of(x)
    out = x
    for axis_from_end, taps in plan:
        axis = out.ndim - axis_from_end
        total = None
        for index, weight in taps:
            part = _take_axis(out, xp.asarray(index), axis)
            if weight is not None:
                shape = [1] * out.ndim
                shape[axis] = len(weight)
                part = part * xp.asarray(weight.astype(part.dtype)).reshape(shape)
            total = part if total is None else total + part
        out = total
    if out is x:
        out = x.copy()
    return out


def _scatter_axis(g, index, weight, size, axis):
    """The adjoint of one tap along ``axis``: an array with ``size`` there, ``g`` (times
    ``weight``) added at ``index``."""
    xp = _xp_of(g)
    if weight is not None:
        shape = [1] * g.ndim
        shape[axis] = len(weight)
        g = g * xp.asarray(weight.astype(g.dtype)).reshape(shape)
    shape = list(g.shape)
    shape[axis] = size
    out = xp.zeros(shape, g.dtype)
    n = len(index)
    if n == 0:
        return out
    # Most taps are an identity run in the middle (padding) or a uniform repeat (nearest
    # upsampling by an integer factor): add those with slices, the rest with add.at.
    lead = (slice(None),) * axis
    if n % size == 0 and np.array_equal(index, np.arange(n) * size // n):
        factor = n // size
        moved = g.reshape(g.shape[:axis] + (size, factor) + g.shape[axis + 1:])
        out += moved.sum(axis + 1)
        return out
    shift = index - np.arange(n)
    same = np.flatnonzero(shift == shift[n // 2]) if n else np.array([], np.int64)
    if len(same) > 1 and same[-1] - same[0] + 1 == len(same):
        lo, hi = int(same[0]), int(same[-1]) + 1
        d = int(shift[n // 2])
        out[lead + (slice(lo + d, hi + d),)] += g[lead + (slice(lo, hi),)]
        rest = np.concatenate([np.arange(0, lo), np.arange(hi, n)]).astype(np.int64)
    else:
        rest = np.arange(n, dtype=np.int64)
    if len(rest):
        xp.add.at(out, lead + (xp.asarray(index[rest]),),
                  _take_axis(g, xp.asarray(rest), axis))
    return out


def _scatter_axes(g, plan, in_shape):
    out = g
    for axis_from_end, taps in reversed(plan):
        axis = out.ndim - axis_from_end
        size = in_shape[axis]
        total = None
        for index, weight in taps:
            part = _scatter_axis(out, index, weight, size, axis)
            total = part if total is None else total + part
        out = total
    return out


class SeparableGather(Op):
    """Output = a separable gather (with weights) of the input; see the module docstring."""
    node_name = 'SeparableGatherBackward0'

    @staticmethod
    def forward(ctx, x, plan, channels_last):
        if ctx is not None:
            ctx._in_shape = x.shape
        out = _gather_axes(_half_to_float(x), plan)
        if out.dtype != x.dtype:
            out = out.astype(x.dtype)
        return _to_channels_last(out) if channels_last else out

    def backward(self, grad):
        return SeparableScatter.apply(grad, self.args[1], self._in_shape),


class SeparableScatter(Op):
    """The adjoint of ``SeparableGather`` (its gradient), differentiable in turn."""
    node_name = 'SeparableGatherBackwardBackward0'

    @staticmethod
    def forward(ctx, g, plan, in_shape):
        out = _scatter_axes(_half_to_float(g), plan, in_shape)
        return out.astype(g.dtype) if out.dtype != g.dtype else out

    def backward(self, grad):
        return SeparableGather.apply(grad, self.args[1], False),


def _gather_op(name):
    return type(name, (SeparableGather,), {'node_name': name, '__module__': __name__})


_GATHER_OPS = {}


def _gather(x, plan, node_name, channels_last=False):
    cls = _GATHER_OPS.get(node_name)
    if cls is None:
        cls = _GATHER_OPS[node_name] = _gather_op(node_name)
    return cls.apply(x, plan, channels_last)


# ---------------------------------------------------------------------------------------
# pad
# ---------------------------------------------------------------------------------------
class ConstantPadNd(Op):
    """Pad (or crop, for negative amounts) the trailing dims with a constant."""
    node_name = 'ConstantPadNdBackward0'

    @staticmethod
    def forward(ctx, x, pads, value, channels_last):
        out = pad_array(x, pads, value)
        if out is x:
            out = x.copy()
        return _to_channels_last(out) if channels_last else out

    def backward(self, grad):
        pads = self.args[1]
        return ConstantPadNd.apply(grad, tuple((-lo, -hi) for lo, hi in pads), 0, False),


_PAD_NAMES = {'reflect': 'ReflectionPad{}DBackward0', 'replicate': 'ReplicationPad{}DBackward0',
              'circular': 'torch::autograd::CopySlices'}


def _pad_index(size, lo, hi, mode):
    """Source position of each output position along one padded axis."""
    src = np.arange(-lo, size + hi, dtype=np.int64)
    if mode == 'reflect':
        src = np.abs(src)
        src = np.where(src >= size, 2 * (size - 1) - src, src)
    elif mode == 'replicate':
        src = np.clip(src, 0, size - 1)
    else:
        # Wraps around the part that survives cropping (negative pads crop first).
        start, stop = max(-lo, 0), size - max(-hi, 0)
        src = start + np.mod(np.arange(size + lo + hi, dtype=np.int64) - max(lo, 0),
                             stop - start)
    return src


def _scalar_fill(value, dtype):
    if dtype.is_floating_point or dtype.is_complex:
        return value
    if dtype is dt.bool:
        return bool(value)
    return int(value)


def pad(input, pad, mode='constant', value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``.

    ``mode``: 'constant' (with ``value``, default 0; negative amounts crop), 'reflect',
    'replicate' or 'circular'.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(input)}")
    pad = _args.int_tuple(pad, 'pad', 'pad', 2)
    if len(pad) % 2:
        raise RuntimeError('Padding length must be divisible by 2')
    n = len(pad) // 2
    ndim = input.dim()
    if mode == 'constant':
        if len(pad) > 2 * ndim:
            raise RuntimeError(f'Padding length should be less than or equal to two times the '
                               f'input dimension but got padding length {len(pad)} and input '
                               f'of dimension {ndim}')
        pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n)))
        shape = input.shape
        for j, (lo, hi) in enumerate(pairs):
            size = shape[ndim - n + j] + lo + hi
            if size < 0:
                raise RuntimeError(f'The input size {shape[ndim - n + j]}, plus negative padding '
                                   f'{lo} and {hi} resulted in a negative output size, which is '
                                   f'invalid. Check dimension {ndim - n + j} of your input.')
        fill = _scalar_fill(0 if value is None else value, input._dtype)
        return ConstantPadNd.apply(input, pairs, fill, _channels_last(input))
    if mode not in _PAD_NAMES:
        raise NotImplementedError(f'Unrecognised padding mode {mode}')
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if not (1 <= n <= 3 and ndim in (n + 1, n + 2)):
        raise NotImplementedError(
            f'Padding size {len(pad)} is not supported for {ndim}D input tensor.\n'
            'Supported combinations for non-constant padding:\n'
            '  - 2D or 3D input: padding size = 2 (pads last dimension)\n'
            '  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n'
            '  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)')
    shape = tuple(input.shape)
    if any(s == 0 for s in (shape[1:] if ndim == n + 2 else shape)):
        raise RuntimeError(f'Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 '
                           f'batch size and other non-zero dimensions for input, but got: '
                           f'{list(shape)}')
    plan = []
    for i in range(n):
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = shape[ndim - 1 - i]
        dim = ndim - 1 - i
        if mode == 'reflect' and (lo >= size or hi >= size):
            raise RuntimeError(f'Argument #4: Padding size should be less than the '
                               f'corresponding input dimension, but got: padding ({lo}, {hi}) '
                               f'at dimension {dim} of input {list(shape)}')
        if mode == 'circular' and (lo > size or hi > size):
            raise RuntimeError('Padding value causes wrapping around more than once.')
        if size + lo + hi < 0 or (mode != 'constant' and size + lo + hi <= 0):
            raise RuntimeError(f'input (H: {size}) is too small. Calculated output '
                               f'H: {size + lo + hi}')
        plan.append((i + 1, ((_pad_index(size, lo, hi, mode), None),)))
    name = _PAD_NAMES[mode].format(n)
    channels_last = mode != 'circular' and _channels_last(input)
    return _gather(input, tuple(plan), name, channels_last)


# ---------------------------------------------------------------------------------------
# interpolate
# ---------------------------------------------------------------------------------------
_MODES = ('nearest', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', 'nearest-exact')
_LINEAR_DIMS = {'linear': 1, 'bilinear': 2, 'trilinear': 3, 'bicubic': 2}


def _scale_value(in_size, out_size, scale, dtype):
    """PyTorch's ``compute_scales_value``: 1/scale when given, else in/out."""
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(in_size / out_size)


def _nearest_taps(in_size, out_size, scale, exact):
    if out_size == in_size and not exact:
        index = np.arange(out_size, dtype=np.int64)
    else:
        s = _scale_value(in_size, out_size, scale, np.float32)
        pos = np.arange(out_size, dtype=np.float32)
        if exact:
            pos = pos + np.float32(0.5)
        index = np.minimum(np.floor(pos * s).astype(np.int64), in_size - 1)
    return ((index, None),)


def _linear_scale(in_size, out_size, align_corners, scale, dtype):
    """PyTorch's ``area_pixel_compute_scale``."""
    if align_corners:
        return dtype((in_size - 1) / (out_size - 1)) if out_size > 1 else dtype(0)
    return _scale_value(in_size, out_size, scale, dtype)


def _source_positions(in_size, out_size, align_corners, scale, cubic, dtype):
    s = _linear_scale(in_size, out_size, align_corners, scale, dtype)
    dst = np.arange(out_size, dtype=dtype)
    if align_corners:
        return s * dst
    src = s * (dst + dtype(0.5)) - dtype(0.5)
    if not cubic:
        src = np.maximum(src, dtype(0))
    return src


def _linear_taps(in_size, out_size, align_corners, scale, dtype):
    src = _source_positions(in_size, out_size, align_corners, scale, False, dtype)
    i0 = src.astype(np.int64)
    i1 = np.minimum(i0 + 1, in_size - 1)
    l1 = (src - i0.astype(dtype)).astype(np.float64)
    l0 = 1.0 - l1
    return ((i0, l0), (i1, l1))


def _cubic_taps(in_size, out_size, align_corners, scale, dtype):
    a = -0.75
    src = _source_positions(in_size, out_size, align_corners, scale, True, dtype)
    base = np.floor(src)
    t = (src - base).astype(np.float64)
    base = base.astype(np.int64)

    def near(x):   # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return tuple((np.clip(base + k - 1, 0, in_size - 1), w) for k, w in enumerate(weights))


def _output_size(input, size, scale_factor, nd, recompute_scale_factor):
    """Output spatial size and the scales the kernels see (PyTorch's rules)."""
    if size is not None and scale_factor is not None:
        raise ValueError('only one of size or scale_factor should be defined')
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f'Input and output must have the same number of spatial '
                                 f'dimensions, but got input with spatial dimensions of '
                                 f'{list(input.shape[2:])} and output size of {size}. Please '
                                 f'provide input tensor in (N, C, d1, d2, ...,dK) format and '
                                 f'output size in (o1, o2, ...,oK) format.')
            out = _args.int_tuple(size, 'interpolate', 'size')
        else:
            out = _args.int_tuple(size, 'interpolate', 'size') * nd
        return out, (None,) * nd
    if scale_factor is None:
        raise ValueError('either size or scale_factor should be defined')
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != nd:
            raise ValueError(f'Input and scale_factor must have the same number of spatial '
                             f'dimensions, but got input with spatial dimensions of '
                             f'{list(input.shape[2:])} and scale_factor of shape '
                             f'{scale_factor}. Please provide input tensor in (N, C, d1, d2, '
                             f'...,dK) format and scale_factor in (s1, s2, ...,sK) format.')
        scales = tuple(float(s) for s in scale_factor)
    else:
        scales = (float(scale_factor),) * nd
    out = tuple(int(math.floor(float(input.shape[2 + i]) * scales[i])) for i in range(nd))
    if recompute_scale_factor:
        return out, (None,) * nd
    return out, scales


def interpolate(input, size=None, scale_factor=None, mode='nearest', align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, *spatial) to ``size`` or by ``scale_factor`` with ``mode``: 'nearest',
    'nearest-exact', 'linear' (3-D input), 'bilinear'/'bicubic' (4-D), 'trilinear' (5-D) or
    'area'. ``align_corners`` maps corner pixel centres onto each other (linear modes)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{_args.type_name(input)}")
    if mode in ('nearest', 'area', 'nearest-exact'):
        if align_corners is not None:
            raise ValueError('align_corners option can only be set with the interpolating '
                             'modes: linear | bilinear | bicubic | trilinear')
    elif align_corners is None:
        align_corners = False
    ndim = input.dim()
    if mode not in _MODES or ndim not in (3, 4, 5):
        raise NotImplementedError(
            f'Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the '
            'modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | '
            f'nearest-exact (got {mode})')
    if antialias and not (mode in ('bilinear', 'bicubic') and ndim == 4):
        raise ValueError('Anti-alias option is restricted to bilinear and bicubic modes and '
                         'requires a 4-D tensor as input')
    if antialias:
        raise NotImplementedError('interpolate(antialias=True) is not supported by ember')
    nd = ndim - 2
    if mode in _LINEAR_DIMS and _LINEAR_DIMS[mode] != nd:
        raise NotImplementedError(f'Got {ndim}D input, but {mode} mode needs '
                                  f'{_LINEAR_DIMS[mode] + 2}D input')
    out_size, scales = _output_size(input, size, scale_factor, nd, recompute_scale_factor)
    if any(o <= 0 for o in out_size):
        axes = 'DHW'[-nd:]
        given = ', '.join(f'{k}: {v}' for k, v in zip(axes, input.shape[2:]))
        wanted = ', '.join(f'{k}: {v}' for k, v in zip(axes, out_size))
        raise RuntimeError(f'Input and output sizes should be greater than 0, but got input '
                           f'({given}) output ({wanted})')
    if mode == 'area':
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
        pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[nd]
        return pool(input, out_size)
    if not input._dtype.is_floating_point:
        kind = {'nearest': 'upsample_nearest', 'nearest-exact': '_upsample_nearest_exact',
                'linear': 'upsample_linear', 'bilinear': 'upsample_bilinear',
                'trilinear': 'upsample_trilinear', 'bicubic': 'upsample_bicubic'}[mode]
        raise NotImplementedError(f'"{kind}{nd}d" not implemented for '
                                  f"'{_TORCH_NAMES[input._dtype.name]}'")
    in_size = tuple(input.shape[2:])
    dtype = np.float64 if input._dtype is dt.float64 else np.float32
    plan = []
    for j in range(nd):
        i, o, s = in_size[j], out_size[j], scales[j]
        if mode in ('nearest', 'nearest-exact'):
            taps = _nearest_taps(i, o, s, mode == 'nearest-exact')
        elif mode == 'bicubic':
            taps = _cubic_taps(i, o, align_corners, s, dtype)
        else:
            taps = _linear_taps(i, o, align_corners, s, dtype)
        plan.append((nd - j, taps))
    names = {'nearest': 'UpsampleNearest{}DBackward0',
             'nearest-exact': 'UpsampleNearestExact{}DBackward0',
             'linear': 'UpsampleLinear1DBackward0', 'bilinear': 'UpsampleBilinear2DBackward0',
             'trilinear': 'UpsampleTrilinear3DBackward0',
             'bicubic': 'UpsampleBicubic2DBackward0'}
    return _gather(input, tuple(plan), names[mode].format(nd), _channels_last(input))


def _deprecated_upsample(name):
    import warnings
    warnings.warn(f'`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` '
                  'instead.', UserWarning, stacklevel=3)


def upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None):
    """Deprecated alias of ``interpolate``."""
    _deprecated_upsample('upsample')
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    _deprecated_upsample('upsample_nearest')
    return interpolate(input, size, scale_factor, mode='nearest')


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    _deprecated_upsample('upsample_bilinear')
    return interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)


# ---------------------------------------------------------------------------------------
# pixel shuffle, channel shuffle
# ---------------------------------------------------------------------------------------
def _shuffle(x, r):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    lead = x.shape[:-3]
    c, h, w = x.shape[-3:]
    oc = c // (r * r)
    n = len(lead)
    y = x.reshape(lead + (oc, r, r, h, w))
    order = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    return _xp_of(x).ascontiguousarray(y.transpose(order)).reshape(lead + (oc, h * r, w * r))


def _unshuffle(x, r):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    lead = x.shape[:-3]
    c, h, w = x.shape[-3:]
    n = len(lead)
    y = x.reshape(lead + (c, h // r, r, w // r, r))
    order = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return _xp_of(x).ascontiguousarray(y.transpose(order)).reshape(
        lead + (c * r * r, h // r, w // r))


class PixelShuffle(Op):
    node_name = 'PixelShuffleBackward0'

    @staticmethod
    def forward(ctx, x, r):
        return _shuffle(x, r)

    def backward(self, grad):
        return PixelUnshuffle.apply(grad, self.args[1]),


class PixelUnshuffle(Op):
    node_name = 'PixelUnshuffleBackward0'

    @staticmethod
    def forward(ctx, x, r):
        return _unshuffle(x, r)

    def backward(self, grad):
        return PixelShuffle.apply(grad, self.args[1]),


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r) (sub-pixel convolution)."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f'pixel_shuffle expects input to have at least 3 dimensions, but '
                           f'got input with {input.dim()} dimension(s)')
    if r <= 0:
        raise RuntimeError(f'pixel_shuffle expects a positive upscale_factor, but got {r}')
    c = input.shape[-3]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    return PixelShuffle.apply(input, r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange (*, C, H * r, W * r) into (*, C * r^2, H, W)."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f'pixel_unshuffle expects input to have at least 3 dimensions, but '
                           f'got input with {input.dim()} dimension(s)')
    if r <= 0:
        raise RuntimeError(f'pixel_unshuffle expects a positive downscale_factor, but got {r}')
    h, w = input.shape[-2:]
    if h % r:
        raise RuntimeError(f'pixel_unshuffle expects height to be divisible by '
                           f'downscale_factor, but input.size(-2)={h} is not divisible by {r}')
    if w % r:
        raise RuntimeError(f'pixel_unshuffle expects width to be divisible by '
                           f'downscale_factor, but input.size(-1)={w} is not divisible by {r}')
    return PixelUnshuffle.apply(input, r)


class ChannelShuffle(Op):
    node_name = 'ChannelShuffleBackward0'

    @staticmethod
    def forward(ctx, x, groups):
        n, c = x.shape[:2]
        rest = x.shape[2:]
        y = x.reshape((n, groups, c // groups) + rest).swapaxes(1, 2)
        return _xp_of(x).ascontiguousarray(y).reshape(x.shape)

    def backward(self, grad):
        return ChannelShuffle.apply(grad, grad.shape[1] // self.args[1]),


def channel_shuffle(input, groups):
    """Split the channels into ``groups`` and interleave them: (N, g * k, *) viewed as
    (N, g, k, *) and transposed to (N, k, g, *)."""
    groups = int(groups)
    if input.dim() <= 2:
        raise RuntimeError(f'channel_shuffle expects input with > 2 dims, but got input with '
                           f'sizes {list(input.shape)}')
    if groups <= 0:
        raise RuntimeError(f'Number of groups to divide channels in must be positive. Value of '
                           f'groups:{groups}')
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f'Number of channels must be divisible by groups. Got {c} channels '
                           f'and {groups} groups.')
    return ChannelShuffle.apply(input, groups)


native_channel_shuffle = channel_shuffle


# ---------------------------------------------------------------------------------------
# unfold / fold (im2col / col2im)
# ---------------------------------------------------------------------------------------
def _pair(value, name):
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return (int(value[0]),) * 2
        if len(value) != 2:
            raise RuntimeError(f'It is expected {name} equals to 2, but got size {len(value)}')
        return tuple(int(v) for v in value)
    return (int(value),) * 2


def _im2col(x, kernel, dilation, padding, stride, out_size):
    n, c = x.shape[:2]
    xpad = pad_array(x, tuple((p, p) for p in padding))
    view = window_view(xpad, kernel, stride, dilation, out_size)
    return view.reshape(n, c * _prod(kernel), _prod(out_size))


def _col2im(cols, size, kernel, dilation, padding, stride, out_size):
    xp = _xp_of(cols)
    n = cols.shape[0]
    c = cols.shape[1] // _prod(kernel)
    cols = cols.reshape((n, c) + tuple(kernel) + tuple(out_size))
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    out = xp.zeros((n, c) + padded, cols.dtype)
    lead = (slice(None), slice(None))
    for index in np.ndindex(*kernel):
        out[lead + kernel_slices(index, dilation, stride, out_size)] += cols[lead + index]
    if any(padding):
        out = out[lead + tuple(slice(p, p + s) for p, s in zip(padding, size))]
    return xp.ascontiguousarray(out)


class Im2Col(Op):
    """``unfold``: (N, C, H, W) -> (N, C * kh * kw, L); unbatched inputs lack N."""
    node_name = 'Im2ColBackward0'

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride, out_size, size):
        if x.ndim == 3:
            return _im2col(x[None], kernel, dilation, padding, stride, out_size)[0]
        return _im2col(x, kernel, dilation, padding, stride, out_size)

    def backward(self, grad):
        kernel, dilation, padding, stride, out_size, size = self.args[1:7]
        return Col2Im.apply(grad, size, kernel, dilation, padding, stride, out_size),


class Col2Im(Op):
    """``fold``: (N, C * kh * kw, L) -> (N, C, H, W), summing overlaps."""
    node_name = 'Col2ImBackward0'

    @staticmethod
    def forward(ctx, cols, size, kernel, dilation, padding, stride, out_size):
        if cols.ndim == 2:
            return _col2im(cols[None], size, kernel, dilation, padding, stride, out_size)[0]
        return _col2im(cols, size, kernel, dilation, padding, stride, out_size)

    def backward(self, grad):
        size, kernel, dilation, padding, stride, out_size = self.args[1:7]
        return Im2Col.apply(grad, kernel, dilation, padding, stride, out_size, size),


def _blocks_per_dim(size, kernel, dilation, padding, stride):
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, d, p, st in zip(size, kernel, dilation, padding, stride))


def _check_window_args(kernel, dilation, padding, stride):
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f'kernel size should be greater than zero, but got kernel_height: '
                           f'{kernel[0]} kernel_width: {kernel[1]}')
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f'dilation should be greater than zero, but got dilation_height: '
                           f'{dilation[0]} dilation_width: {dilation[1]}')
    if any(p < 0 for p in padding):
        raise RuntimeError(f'padding should be non-negative, but got pad_height: {padding[0]} '
                           f'pad_width: {padding[1]}')
    if any(s <= 0 for s in stride):
        raise RuntimeError(f'stride should be greater than zero, but got stride_height: '
                           f'{stride[0]} stride_width: {stride[1]}')


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C * prod(kernel_size), L)."""
    kernel = _pair(kernel_size, 'kernel_size')
    dilation = _pair(dilation, 'dilation')
    padding = _pair(padding, 'padding')
    stride = _pair(stride, 'stride')
    if input.dim() not in (3, 4):
        raise NotImplementedError(f'Input Error: Only 3D or 4D input Tensors are supported '
                                  f'(got {input.dim()}D)')
    _check_window_args(kernel, dilation, padding, stride)
    batched = input.dim() == 4
    x = input if batched else input.unsqueeze(0)
    size = tuple(x.shape[2:])
    if x.shape[1] == 0 or any(s == 0 for s in size):
        raise RuntimeError(f'Expected 3D or 4D (batch mode) tensor with an optional 0 dim batch '
                           f'size for input, but got: {list(input.shape)}')
    blocks = _blocks_per_dim(size, kernel, dilation, padding, stride)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f'Given input with spatial size {size}, kernel_size={kernel}, '
                           f'dilation={dilation}, padding={padding}, calculated shape of the '
                           f'array of sliding blocks as {blocks}, but its components must be at '
                           f'least one.')
    return Im2Col.apply(input, kernel, dilation, padding, stride, blocks, size)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks (N, C * prod(kernel_size), L) into (N, C, *output_size),
    summing overlaps (the adjoint of ``unfold``)."""
    size = _pair(output_size, 'output_size')
    kernel = _pair(kernel_size, 'kernel_size')
    dilation = _pair(dilation, 'dilation')
    padding = _pair(padding, 'padding')
    stride = _pair(stride, 'stride')
    if input.dim() not in (2, 3):
        raise NotImplementedError(f'Input Error: Only unbatched (2D) or batched (3D) input '
                                  f'Tensors are supported (got {input.dim()}D)')
    _check_window_args(kernel, dilation, padding, stride)
    batched = input.dim() == 3
    x = input if batched else input.unsqueeze(0)
    if x.shape[1] % _prod(kernel):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={kernel}.")
    blocks = _blocks_per_dim(size, kernel, dilation, padding, stride)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f'Given output_size={size}, kernel_size={kernel}, '
                           f'dilation={dilation}, padding={padding}, stride={stride}, '
                           f'calculated shape of the array of sliding blocks as {blocks}, but '
                           f'its components must be at least one.')
    if x.shape[2] != _prod(blocks):
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, stride={stride}, expected "
                           f"size of input's dimension 2 to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {_prod(blocks)}, but got "
                           f"input.size(2)={x.shape[2]}.")
    return Col2Im.apply(input, size, kernel, dilation, padding, stride, blocks)


# ---------------------------------------------------------------------------------------
# affine_grid, grid_sample
# ---------------------------------------------------------------------------------------
def _base_coords(n, align_corners, dtype):
    """Normalised pixel-centre coordinates in [-1, 1] along an axis of length ``n``."""
    if n <= 1:
        return np.zeros(max(n, 0), dtype)
    coords = np.linspace(-1.0, 1.0, n, dtype=np.float64)
    if not align_corners:
        coords = coords * (n - 1) / n
    return coords.astype(dtype)


def _base_grid(size, align_corners, dtype):
    """(prod(spatial), nd + 1) rows of (x, y[, z], 1) for an output of ``size``."""
    spatial = size[2:]
    axes = [_base_coords(s, align_corners, dtype) for s in spatial]
    mesh = np.meshgrid(*axes, indexing='ij')
    # PyTorch orders coordinates x (width) first.
    cols = [m.reshape(-1) for m in reversed(mesh)]
    cols.append(np.ones(_prod(spatial), dtype))
    return np.stack(cols, axis=1)


class AffineGridGenerator(Op):
    node_name = 'AffineGridGeneratorBackward0'

    @staticmethod
    def forward(ctx, theta, base, out_shape):
        xp = _xp_of(theta)
        grid = xp.matmul(xp.asarray(base.astype(theta.dtype)), theta.swapaxes(1, 2))
        return grid.reshape(out_shape)

    def backward(self, grad):
        base, out_shape = self.args[1], self.args[2]
        n = out_shape[0]
        g = grad.reshape(n, -1, out_shape[-1])
        b = make_tensor(_xp_of(grad._data).asarray(base.astype(grad._data.dtype)),
                        grad._dtype, grad._device)
        return g.transpose(1, 2).matmul(b),


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) for ``grid_sample`` from affine
    matrices ``theta`` (N, 2, 3) (or (N, 3, 4))."""
    if align_corners is None:
        align_corners = False
    if not theta._dtype.is_floating_point:
        raise ValueError(f'Expected theta to have floating point type, but got '
                         f'{theta.dtype}')
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f'Expected a batch of 2D affine matrices of shape Nx2x3 for size '
                             f'{list(size)}. Got {list(theta.shape)}.')
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f'Expected a batch of 3D affine matrices of shape Nx3x4 for size '
                             f'{list(size)}. Got {list(theta.shape)}.')
    else:
        raise NotImplementedError(f'affine_grid only supports 4D and 5D sizes, for 2D and 3D '
                                  f'affine transforms, respectively. Got size {list(size)}.')
    if min(size) <= 0:
        raise ValueError(f'Expected non-zero, positive output size. Got {list(size)}')
    if theta.shape[0] != size[0]:
        raise ValueError(f'Expected theta batch size {theta.shape[0]} to match size {size[0]}')
    nd = len(size) - 2
    base = _base_grid(size, align_corners, np.float64)
    out_shape = (size[0],) + size[2:] + (nd,)
    return AffineGridGenerator.apply(theta, base, out_shape)


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2


def _reflect(coord, low, high):
    """Reflect coordinates into [low, high] (twice the span is one period)."""
    if low == high:
        return np.zeros_like(coord), np.zeros_like(coord)
    span = high - low
    c = np.abs(coord - low)
    flips = np.floor(c / span)
    extra = c - flips * span
    even = (flips % 2) == 0
    out = np.where(even, extra + low, span - extra + low)
    # d(out)/d(coord): sign of (coord - low) times (+1 for even flips, -1 for odd)
    sign = np.where(coord - low >= 0, 1.0, -1.0) * np.where(even, 1.0, -1.0)
    return out, sign


def _source_coords(coord, size, padding_mode, align_corners):
    """Grid coordinates -> pixel coordinates and d(pixel)/d(grid)."""
    pix, scale = _unnormalize(coord, size, align_corners)
    grad = np.full_like(pix, scale)
    if padding_mode == 'border':
        clipped = np.clip(pix, 0, size - 1)
        grad = np.where((pix > 0) & (pix < size - 1), grad, 0.0)
        pix = clipped
    elif padding_mode == 'reflection':
        if align_corners:
            pix, sign = _reflect(pix, 0.0, float(size - 1))
        else:
            pix, sign = _reflect(pix, -0.5, size - 0.5)
        grad = grad * sign
        clipped = np.clip(pix, 0, size - 1)
        grad = np.where((pix > 0) & (pix < size - 1), grad, 0.0)
        pix = clipped
    return pix, grad


def _grid_sample_arrays(x, grid, mode, padding_mode, align_corners, need_grads, gout=None):
    """Bilinear / nearest sampling of x (N, C, H, W) at grid (N, Ho, Wo, 2).

    Returns the output, and when ``gout`` is given also (grad_x, grad_grid)."""
    n, c, h, w = x.shape
    gx = grid[..., 0].astype(np.float64)
    gy = grid[..., 1].astype(np.float64)
    ix, dix = _source_coords(gx, w, padding_mode, align_corners)
    iy, diy = _source_coords(gy, h, padding_mode, align_corners)
    batch = np.arange(n).reshape(n, 1, 1)
    xd = x.astype(np.float64)
    out = np.zeros((n, c) + gx.shape[1:], np.float64)
    grad_x = np.zeros_like(xd) if gout is not None else None
    grad_ix = np.zeros(gx.shape, np.float64) if gout is not None else None
    grad_iy = np.zeros(gx.shape, np.float64) if gout is not None else None
    go = gout.astype(np.float64) if gout is not None else None

    def read(yy, xx):
        valid = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        xc = np.clip(xx, 0, w - 1)
        yc = np.clip(yy, 0, h - 1)
        vals = xd[batch, :, yc, xc]            # (N, Ho, Wo, C)
        vals = np.moveaxis(vals, -1, 1) * valid[:, None]
        return vals, valid, yc, xc

    channels = np.arange(c).reshape(1, c, 1, 1)

    def scatter(yy, xx, valid, weight):
        contrib = go * (weight * valid)[:, None]            # (N, C, Ho, Wo)
        yc = np.clip(yy, 0, h - 1)[:, None]
        xc = np.clip(xx, 0, w - 1)[:, None]
        np.add.at(grad_x, (batch[:, None], channels, yc, xc), contrib)

    if mode == 'nearest':
        xx = np.round(ix).astype(np.int64)   # round half to even, like nearbyint
        yy = np.round(iy).astype(np.int64)
        vals, valid, _, _ = read(yy, xx)
        out = vals
        if gout is not None:
            scatter(yy, xx, valid, np.ones(gx.shape))
    else:
        x0 = np.floor(ix).astype(np.int64)
        y0 = np.floor(iy).astype(np.int64)
        x1, y1 = x0 + 1, y0 + 1
        tx = ix - x0
        ty = iy - y0
        corners = ((y0, x0, (1 - tx) * (1 - ty)), (y0, x1, tx * (1 - ty)),
                   (y1, x0, (1 - tx) * ty), (y1, x1, tx * ty))
        # d(weight)/d(ix), d(weight)/d(iy) for each corner
        dweights = ((-(1 - ty), -(1 - tx)), ((1 - ty), -tx), (-ty, (1 - tx)), (ty, tx))
        for (yy, xx, wt), (dwx, dwy) in zip(corners, dweights):
            vals, valid, _, _ = read(yy, xx)
            out += vals * wt[:, None]
            if gout is not None:
                scatter(yy, xx, valid, wt)
                s = (vals * go).sum(1)
                grad_ix += s * dwx
                grad_iy += s * dwy
    out = np.ascontiguousarray(out, dtype=x.dtype)
    if gout is None:
        return out, None, None
    grad_grid = np.stack([grad_ix * dix, grad_iy * diy], axis=-1)
    return out, grad_x.astype(x.dtype), grad_grid.astype(grid.dtype)


def _source_coords_tensor(coord, size, padding_mode, align_corners):
    """``_source_coords`` in differentiable tensor ops (its derivative comes from autograd)."""
    from ..._ops.indexing import where
    if align_corners:
        pix = (coord + 1) / 2 * (size - 1)
    else:
        pix = ((coord + 1) * size - 1) / 2
    if padding_mode == 'reflection':
        low, high = (0.0, float(size - 1)) if align_corners else (-0.5, size - 0.5)
        if low == high:
            return pix.new_zeros(pix.shape)
        span = high - low
        distance = (pix - low).abs()
        flips = np.floor(distance._data / span)             # piecewise constant
        extra = distance - make_tensor(flips * span, distance._dtype, distance._device)
        even = make_tensor((flips % 2) == 0, dt.bool, distance._device)
        pix = where(even, extra + low, span - extra + low)
    if padding_mode != 'zeros':
        pix = pix.clamp(0, size - 1)
    return pix


def _grid_sample_composite(x, grid, mode, padding_mode, align_corners):
    """grid_sample in tensor ops: the graph that gradients of gradients differentiate."""
    n, c, h, w = x._data.shape
    ix = _source_coords_tensor(grid[..., 0], w, padding_mode, align_corners)
    iy = _source_coords_tensor(grid[..., 1], h, padding_mode, align_corners)
    device = x._device
    batch = make_tensor(np.arange(n, dtype=np.int64).reshape(n, 1, 1), dt.int64, device)

    def read(yy, xx):
        valid = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
        rows = make_tensor(np.clip(yy, 0, h - 1), dt.int64, device)
        cols = make_tensor(np.clip(xx, 0, w - 1), dt.int64, device)
        vals = x[batch, :, rows, cols].permute(0, 3, 1, 2)      # (N, C, Ho, Wo)
        return vals * make_tensor(valid[:, None].astype(x._data.dtype), x._dtype, device)

    if mode == 'nearest':
        return read(np.round(iy._data).astype(np.int64), np.round(ix._data).astype(np.int64))
    x0 = np.floor(ix._data).astype(np.int64)
    y0 = np.floor(iy._data).astype(np.int64)
    tx = (ix - make_tensor(x0.astype(ix._data.dtype), ix._dtype, device)).unsqueeze(1)
    ty = (iy - make_tensor(y0.astype(iy._data.dtype), iy._dtype, device)).unsqueeze(1)
    return (read(y0, x0) * ((1 - tx) * (1 - ty)) + read(y0, x0 + 1) * (tx * (1 - ty)) +
            read(y0 + 1, x0) * ((1 - tx) * ty) + read(y0 + 1, x0 + 1) * (tx * ty))


class GridSampler2D(Op):
    """Sampling of an image at grid locations. Backward runs in NumPy; when a graph of the
    gradient is wanted (create_graph), it differentiates the same sampling written in
    tensor ops instead, so gradients of gradients work."""
    node_name = 'GridSampler2DBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        out, _, _ = _grid_sample_arrays(x, grid, mode, padding_mode, align_corners, False)
        return out

    def backward(self, grad):
        x, grid = self.saved
        mode, padding_mode, align_corners = self.args[2:5]
        if _grad_state.enabled:
            from ...autograd import grad as autograd_grad
            wrt = [t for t, (node, _) in zip((x, grid), self.next_functions)
                   if node is not None]
            out = _grid_sample_composite(x, grid, mode, padding_mode, align_corners)
            grads = iter(autograd_grad([out], wrt, [grad], create_graph=True,
                                       allow_unused=True))
            result = []
            for t, (node, _) in zip((x, grid), self.next_functions):
                g = next(grads) if node is not None else None
                if g is None and node is not None:      # nearest: the grid gets zeros
                    g = t.new_zeros(t.shape)
                result.append(g)
            return tuple(result)
        _, gx, gg = _grid_sample_arrays(x._data, grid._data, mode, padding_mode,
                                        align_corners, True, grad._data)
        if mode == 'nearest':
            gg = np.zeros_like(gg)
        return (make_tensor(gx, x._dtype, x._device),
                make_tensor(gg, grid._dtype, grid._device))


def grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners=None):
    """Sample ``input`` (N, C, H, W) at the normalised locations ``grid`` (N, Ho, Wo, 2)
    (x then y, in [-1, 1]) with 'bilinear' or 'nearest' interpolation and 'zeros', 'border'
    or 'reflection' padding."""
    if mode not in ('bilinear', 'nearest', 'bicubic'):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ('zeros', 'border', 'reflection'):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if mode == 'bicubic' or input.dim() != 4:
        raise NotImplementedError('ember supports grid_sample on 4-D inputs with bilinear or '
                                  'nearest interpolation')
    if align_corners is None:
        align_corners = False
    if grid.dim() != 4 or grid.shape[-1] != 2:
        raise RuntimeError(f'grid_sampler(): expected grid to have size 2 in last dimension, '
                           f'but got grid with sizes {list(grid.shape)}')
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f'grid_sampler(): expected grid and input to have same batch size, '
                           f'but got input with sizes {list(input.shape)} and grid with sizes '
                           f'{list(grid.shape)}')
    if input._dtype is not grid._dtype:
        raise RuntimeError(f'grid_sampler(): expected input and grid to have same dtype, but '
                           f'input has {input.dtype} and grid has {grid.dtype}')
    return GridSampler2D.apply(input, grid, mode, padding_mode, bool(align_corners))
