"""nn.functional: convolutions (``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``).

All of them run through one fused op, ``Convolution`` (PyTorch's ``ConvolutionBackward0``),
computed the im2col way: a strided window view of the zero-padded input (``as_strided``, no
copy), copied into columns and multiplied by the weights in one GEMM per group (per
cache-sized block of samples, see ``_BLOCK_BYTES``). Three array kernels do the work and each
one's gradient is made of the other two, so gradients of gradients come free:

* ``conv_forward(x, w)``       y = x (*) w                        (im2col + GEMM)
* ``conv_input_grad(g, w)``    x-shaped result = transposed conv  (GEMM + col2im)
* ``conv_weight_grad(x, g)``   w-shaped result                    (im2col + GEMM)

col2im adds the column gradient back window position by window position: ``prod(kernel)``
vectorised adds; no Python loop ever runs over pixels.

Stride-1 convolutions (the common case) take the "wide row" route: outputs are computed on
a grid as wide as the padded input rows, so each window position reads (im2col) ONE long
contiguous run per (channel, sample) instead of one short run per output row; the
``kernel - 1`` extra columns per row are dropped. Their backward runs over whole padded
planes, where col2im is one flat contiguous add per window position. When no graph of the
gradient is being recorded, backward computes the input and weight gradients in one pass
that shares the transposed output gradient.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ... import _dtype as dt
from ... import _args
from ..._tensor import Tensor, make_tensor
from ...autograd import grad_mode
from ...autograd.function import Op, attach, check_same_device, wrap_outputs

__all__ = ['conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d',
           'conv_transpose3d']

def _xp_of(array):
    """The array module of ``array`` (NumPy, or CuPy for cuda tensors)."""
    if type(array) is np.ndarray:
        return np
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


def _compute_dtype(array):
    """NumPy has no fast half-precision GEMM: compute float16/bfloat16 in float32."""
    if array.dtype.itemsize == 2 and array.dtype.kind in 'fV' or \
            array.dtype.name == 'bfloat16':
        return np.dtype(np.float32)
    return array.dtype


# ---------------------------------------------------------------------------------------
# array kernels (shared with pooling and vision)
# ---------------------------------------------------------------------------------------
def pad_array(x, pads, value=0):
    """``x`` with its trailing ``len(pads)`` dims padded by ``(low, high)`` pairs of ``value``.

    Negative pads crop. Returns ``x`` itself when nothing changes.
    """
    if not any(lo or hi for lo, hi in pads):
        return x
    nd = len(pads)
    lead = x.shape[:x.ndim - nd]
    src = [slice(None)] * len(lead)
    dst = [slice(None)] * len(lead)
    shape = list(lead)
    for size, (lo, hi) in zip(x.shape[x.ndim - nd:], pads):
        shape.append(size + lo + hi)
        src.append(slice(max(-lo, 0), size - max(-hi, 0)))
        dst.append(slice(max(lo, 0), max(lo, 0) + max(size - max(-lo, 0) - max(-hi, 0), 0)))
    xp = _xp_of(x)
    if value == 0:
        out = xp.zeros(shape, x.dtype)
    else:
        out = xp.full(shape, value, x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


def window_view(x, kernel, stride, dilation, out_size):
    """Read-only view (N, C, *kernel, *out_size) of the windows of an (N, C, *spatial) array."""
    st = x.strides
    lead = st[:2]
    spatial = st[2:]
    strides = lead + tuple(s * d for s, d in zip(spatial, dilation)) + \
        tuple(s * t for s, t in zip(spatial, stride))
    if type(x) is np.ndarray:
        return as_strided(x, x.shape[:2] + tuple(kernel) + tuple(out_size), strides,
                          writeable=False)
    xp = _xp_of(x)
    return xp.lib.stride_tricks.as_strided(x, x.shape[:2] + tuple(kernel) + tuple(out_size),
                                           strides)


def kernel_slices(index, dilation, stride, out_size):
    """The strided slice of the padded input that window position ``index`` reads."""
    return tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                 for i, d, s, o in zip(index, dilation, stride, out_size))


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n


# The columns are built and consumed a block of samples at a time, in one reused buffer of
# about this many bytes, laid out channel-major (C * prod(kernel), samples * positions) so
# that each block and group is ONE large GEMM. A block small enough to stay in cache
# between the copy that builds it and the GEMM that reads it beats one batch-sized
# temporary (which is also page-faulted in on every call): on the MNIST CNN's second
# layer, 4 MB blocks train 12% faster than 16 MB ones, and run its forward twice as fast
# as one block.
_BLOCK_BYTES = 4 << 20
# Below this many rows (C/G * prod(kernel)) a GEMM is memory-bound: the forward pass and the
# weight gradient then multiply sample by sample (one batched matmul call per block) rather
# than transposing whole blocks (e.g. the first layer of an image network).
_THIN_GEMM = 64


def _blocks(n, per_sample_bytes):
    """Batch ranges (start, stop) of cache-sized blocks covering ``n`` samples."""
    size = max(1, min(n, _BLOCK_BYTES // max(per_sample_bytes, 1)))
    return [(s, min(s + size, n)) for s in range(0, n, size)], size


def _is_pointwise(kernel, stride, xpad):
    """A 1x1 kernel with unit stride reads the input itself: no columns needed."""
    return all(k == 1 for k in kernel) and all(s == 1 for s in stride) and \
        xpad.flags.c_contiguous


def _channel_major(view, nd):
    """(N, C, *kernel, *out) -> (C, *kernel, N, *out) (a view)."""
    return view.transpose((1,) + tuple(range(2, 2 + nd)) + (0,) +
                          tuple(range(2 + nd, 2 + 2 * nd)))


def _grad_block(gm, start, stop, buf):
    """Output-gradient samples [start, stop) as (G, O/G, m, P) in ``buf`` (one GEMM operand)."""
    groups, og, p = gm.shape[1:]
    m = stop - start
    block = buf[:groups * og * m * p].reshape(groups, og, m, p)
    block[...] = gm[start:stop].transpose(1, 2, 0, 3)
    return block.reshape(groups, og, m * p)


def conv_forward(x, w, stride, pads, dilation, groups):
    """y = x (*) w for x (N, C, *in) and w (O, C/G, *k); y is (N, O, *out)."""
    compute = _compute_dtype(x)
    if compute != x.dtype:
        x, w = x.astype(compute), w.astype(compute)
    xp = _xp_of(x)
    xpad = pad_array(x, pads)
    kernel = tuple(w.shape[2:])
    nd = len(kernel)
    out_size = tuple((size - d * (k - 1) - 1) // s + 1
                     for size, k, s, d in zip(xpad.shape[2:], kernel, stride, dilation))
    n, c = x.shape[:2]
    o = w.shape[0]
    og = o // groups
    k = (c // groups) * _prod(kernel)
    p = _prod(out_size)
    wm = w.reshape(groups, og, k)
    if _is_pointwise(kernel, stride, xpad):
        return xp.matmul(wm, xpad.reshape(n, groups, k, p)).reshape((n, o) + out_size)
    thin = k < _THIN_GEMM
    if not thin and n and _use_wide(stride, xpad.shape[2:], out_size):
        return _conv_forward_wide(xpad, w, out_size, dilation, groups, compute)
    y = xp.empty((n, groups, og, p), compute)
    columns = _channel_major(window_view(xpad, kernel, stride, dilation, out_size), nd)
    rows = c * _prod(kernel)
    blocks, size = _blocks(n, rows * p * compute.itemsize)
    buf = xp.empty(rows * size * p, compute)
    out_buf = None if thin else xp.empty(o * size * p, compute)
    for start, stop in blocks:
        m = stop - start
        cols = buf[:rows * m * p].reshape((c,) + kernel + (m,) + out_size)
        cols[...] = columns[(slice(None),) * (1 + nd) + (slice(start, stop),)]
        if thin:
            # Few rows: one GEMM per sample straight into y beats a transposed copy.
            xp.matmul(wm, cols.reshape(groups, k, m, p).transpose(2, 0, 1, 3),
                      out=y[start:stop])
            continue
        out = out_buf[:o * m * p].reshape(groups, og, m * p)
        xp.matmul(wm, cols.reshape(groups, k, m * p), out=out)
        y[start:stop] = out.reshape(groups, og, m, p).transpose(2, 0, 1, 3)
    return y.reshape((n, o) + out_size)


def conv_input_grad(g, w, in_size, stride, pads, dilation, groups):
    """The x-shaped gradient of ``conv_forward`` given its output gradient ``g``; also the
    forward of the transposed convolution. ``in_size``: the un-padded spatial size."""
    compute = _compute_dtype(g)
    if compute != g.dtype:
        g, w = g.astype(compute), w.astype(compute)
    xp = _xp_of(g)
    n = g.shape[0]
    o = w.shape[0]
    og = o // groups
    c = w.shape[1] * groups
    kernel = tuple(w.shape[2:])
    out_size = tuple(g.shape[2:])
    k = w.shape[1] * _prod(kernel)
    p = _prod(out_size)
    padded = tuple(size + lo + hi for size, (lo, hi) in zip(in_size, pads))
    if n and _use_wide(stride, padded, out_size):
        gx = _conv_backward_wide(None, g, w, w.shape, in_size, pads, dilation, groups,
                                 compute)[0]
        if gx is not None:
            return gx
    wt = xp.ascontiguousarray(w.reshape(groups, og, k).transpose(0, 2, 1))
    gm = g.reshape(n, groups, og, p)
    gx = xp.zeros((n, c) + padded, compute)
    lead = (slice(None), slice(None))
    rows = c * _prod(kernel)
    blocks, size = _blocks(n, rows * p * compute.itemsize)
    g_buf = xp.empty(o * size * p, compute)
    buf = xp.empty(rows * size * p, compute)
    for start, stop in blocks:
        m = stop - start
        cols = buf[:rows * m * p].reshape(groups, k, m * p)
        xp.matmul(wt, _grad_block(gm, start, stop, g_buf), out=cols)
        cols = cols.reshape((c,) + kernel + (m,) + out_size)
        target = gx[start:stop]
        for index in np.ndindex(*kernel):
            target[lead + kernel_slices(index, dilation, stride, out_size)] += \
                cols[(slice(None),) + index].swapaxes(0, 1)
    if any(lo or hi for lo, hi in pads):
        gx = xp.ascontiguousarray(
            gx[lead + tuple(slice(lo, size - hi) for (lo, hi), size in zip(pads, padded))])
    return gx


def conv_weight_grad(x, g, kernel, stride, pads, dilation, groups):
    """The w-shaped gradient of ``conv_forward`` given its output gradient ``g``."""
    compute = _compute_dtype(x)
    if compute != x.dtype:
        x, g = x.astype(compute), g.astype(compute)
    xp = _xp_of(x)
    n, c = x.shape[:2]
    o = g.shape[1]
    og = o // groups
    kernel = tuple(kernel)
    nd = len(kernel)
    out_size = tuple(g.shape[2:])
    k = (c // groups) * _prod(kernel)
    p = _prod(out_size)
    xpad = pad_array(x, pads)
    gm = g.reshape(n, groups, og, p)
    if _is_pointwise(kernel, stride, xpad):
        cols = xpad.reshape(n, groups, k, p)
        gw = xp.matmul(gm, cols.transpose(0, 1, 3, 2)).sum(0)
        return gw.reshape((o, c // groups) + kernel)
    thin = k < _THIN_GEMM
    if not thin and n and _use_wide(stride, xpad.shape[2:], out_size):
        gw = _conv_backward_wide(xpad, g, None, (o, c // groups) + kernel, xpad.shape[2:],
                                 ((0, 0),) * nd, dilation, groups, compute)[1]
        if gw is not None:
            return gw
    columns = _channel_major(window_view(xpad, kernel, stride, dilation, out_size), nd)
    rows = c * _prod(kernel)
    blocks, size = _blocks(n, rows * p * compute.itemsize)
    buf = xp.empty(rows * size * p, compute)
    g_buf = None if thin else xp.empty(o * size * p, compute)
    gw = xp.zeros((groups, og, k), compute)
    for start, stop in blocks:
        m = stop - start
        cols = buf[:rows * m * p].reshape((c,) + kernel + (m,) + out_size)
        cols[...] = columns[(slice(None),) * (1 + nd) + (slice(start, stop),)]
        if thin:
            per_sample = cols.reshape(groups, k, m, p).transpose(2, 0, 3, 1)
            gw += xp.matmul(gm[start:stop], per_sample).sum(0)
            continue
        gw += xp.matmul(_grad_block(gm, start, stop, g_buf),
                        cols.reshape(groups, k, m * p).transpose(0, 2, 1))
    return gw.reshape((o, c // groups) + kernel)


# ---------------------------------------------------------------------------------------
# wide-row kernels (unit stride)
# ---------------------------------------------------------------------------------------
# A stride-1 output row is computed over the full padded row width S[-1] rather than its
# o[-1] valid columns, so that, in the flattened plane of a (sample, channel), the inputs of
# one window position for all outputs form one contiguous run: im2col and col2im become
# prod(kernel) long copies/adds. The extra columns (at least (k - 1) * dilation per row)
# are garbage: they are dropped from the forward output, and the output gradient is given
# zeros there so that they add nothing to the weight or input gradients (barring 0 * inf,
# which the callers detect and redo the exact way). Worth it while the grid wastes little.
_WIDE_MIN_FILL = 0.7


def _use_wide(stride, padded, out_size):
    return all(s == 1 for s in stride) and out_size[-1] >= _WIDE_MIN_FILL * padded[-1]


def _wide_grid(padded, out_size):
    """The flattened wide grid: leading output dims, then one run covering the last two."""
    if len(padded) == 1:
        return (padded[0],)
    return tuple(out_size[:-2]) + (out_size[-2] * padded[-1],)


def _plane_runs(planes, kernel, dilation, grid):
    """For each window position ``index``: (index, view, run), the strided view
    (C, N, *grid[:-1], run) of the runs that it reads in ``planes`` (N, C, *padded; each
    plane row-major), and the run length: shortened by the column shift so that no run
    leaves its plane (the cut positions are garbage columns of the last row)."""
    item = planes.itemsize
    padded = planes.shape[2:]
    strides = [item]
    for size in reversed(padded[1:]):
        strides.insert(0, strides[0] * size)
    lead = tuple(strides[:len(grid) - 1])
    st = (planes.strides[1], planes.strides[0]) + lead + (item,)
    strided = as_strided if type(planes) is np.ndarray else \
        _xp_of(planes).lib.stride_tricks.as_strided
    views = []
    for index in np.ndindex(*kernel):
        run = grid[-1] - index[-1] * dilation[-1]
        first = planes[(slice(None), slice(None)) +
                       tuple(slice(i * d, None) for i, d in zip(index, dilation))]
        shape = planes.shape[1::-1] + tuple(grid[:-1]) + (run,)
        views.append((index, strided(first, shape, st), run))
    return views


def _rows_contiguous(a):
    """Whether each (sample, channel) plane of ``a`` is row-major and dense."""
    expected = a.itemsize
    for size, stride in zip(a.shape[:1:-1], a.strides[:1:-1]):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def _im2col_wide(runs, start, stop, c, kernel, grid, buf):
    """Columns (C, *kernel, m, P) of samples [start, stop) on the wide grid, in ``buf``;
    ``runs`` from ``_plane_runs`` of the (padded) input."""
    m = stop - start
    p = _prod(grid)
    cols = buf[:c * _prod(kernel) * m * p].reshape((c,) + tuple(kernel) + (m, p))
    for index, src, run in runs:
        dst = cols[(slice(None),) + index].reshape((c, m) + tuple(grid))
        dst[..., :run] = src[:, start:stop]
        if run < grid[-1]:
            dst[..., run:] = 0
    return cols


def _flat_shifts(padded, kernel, dilation):
    """For each window position: (index, the offset of its first read in a flattened
    plane of size ``padded``)."""
    steps = [1]
    for size in reversed(padded[1:]):
        steps.insert(0, steps[0] * size)
    return [(index, sum(i * d * t for i, d, t in zip(index, dilation, steps)))
            for index in np.ndindex(*kernel)]


def _flat_runs(planes, shifts):
    """``_plane_runs`` on the full-plane grid: for each window position, the view
    (C, N, P - shift) of the flattened planes (N, C, *padded) from its shift on."""
    flat = planes.reshape(planes.shape[:2] + (-1,)).swapaxes(0, 1)
    size = flat.shape[-1]
    return [(index, flat[..., shift:], size - shift) for index, shift in shifts]


def _grad_planes(g, start, stop, padded, buf, groups, fresh):
    """Output-gradient samples [start, stop) as (G, O/G, m * P) on full padded planes of
    size P: the output at the top-left of each plane, zeros elsewhere (the zeros are
    written only when ``fresh``: later blocks of the same size rewrite the output part)."""
    o = g.shape[1]
    m = stop - start
    block = buf[:o * m * _prod(padded)].reshape((o, m) + tuple(padded))
    if fresh:
        block[...] = 0
    block[(slice(None), slice(None)) + tuple(slice(0, size) for size in g.shape[2:])] = \
        g[start:stop].swapaxes(0, 1)
    return block.reshape(groups, o // groups, m * _prod(padded))


def _col2im_flat(cols, shifts, out, groups):
    """Sum the columns (G, K * C/G, m * P) (rows window-position-major) into ``out``
    (C, m, P), each window position's block shifted along the flattened planes: one
    contiguous copy or add per position and group. Whatever crosses into the next plane
    comes from positions past every output (zeros in ``cols``: the gradient is zero
    there). The first position has shift 0 and covers ``out``: it is copied, not added."""
    cg = out.shape[0] // groups
    for gi in range(groups):
        dst = out[gi * cg:(gi + 1) * cg].reshape(-1)
        n = dst.shape[0]
        for q, (_, shift) in enumerate(shifts):
            source = cols[gi, q * cg:(q + 1) * cg].reshape(-1)
            if q == 0:
                dst[...] = source
            else:
                target = dst[shift:]
                target += source[:n - shift]


def _wide_blocks(n, rows, o, grid, itemsize):
    return _blocks(n, (rows + o) * _prod(grid) * itemsize)


def _conv_forward_wide(xpad, w, out_size, dilation, groups, compute):
    xp = _xp_of(xpad)
    if not _rows_contiguous(xpad):
        xpad = xp.ascontiguousarray(xpad)
    n, c = xpad.shape[:2]
    kernel = tuple(w.shape[2:])
    o = w.shape[0]
    og = o // groups
    k = (c // groups) * _prod(kernel)
    rows = c * _prod(kernel)
    grid = _wide_grid(xpad.shape[2:], out_size)
    p = _prod(grid)
    wide = tuple(out_size[:-1]) + (xpad.shape[-1],)
    wm = w.reshape(groups, og, k)
    y = xp.empty((n, o) + tuple(out_size), compute)
    blocks, size = _wide_blocks(n, rows, o, grid, compute.itemsize)
    buf = xp.empty(rows * size * p, compute)
    out_buf = xp.empty(o * size * p, compute)
    runs = _plane_runs(xpad, kernel, dilation, grid)
    for start, stop in blocks:
        m = stop - start
        cols = _im2col_wide(runs, start, stop, c, kernel, grid, buf)
        out = out_buf[:o * m * p].reshape(groups, og, m * p)
        xp.matmul(wm, cols.reshape(groups, k, m * p), out=out)
        y[start:stop] = out.reshape((o, m) + wide)[..., :out_size[-1]].swapaxes(0, 1)
    return y


def _conv_backward_wide(x, g, w, wshape, in_size, pads, dilation, groups, compute):
    """The input gradient (when ``w`` is given) and the weight gradient (when ``x`` is) of a
    stride-1 convolution, in one pass over blocks of samples that shares the transposed
    output gradient. Arrays are in ``compute`` dtype. Returns (gx, gw); None for one not
    asked for or one the garbage positions could spoil (non-finite values): the caller then
    computes it the exact way.

    Positions run over whole padded planes (the forward's wide grid plus the rows below
    it): the input gradient is then summed in a channel-major block of planes by one flat,
    contiguous add per window position, rather than by strided adds (4-5x slower in NumPy)."""
    xp = _xp_of(g)
    if w is not None and not xp.isfinite(w).all():
        w = None
        if x is None:
            return None, None
    n, o = g.shape[:2]
    kernel = tuple(wshape[2:])
    nk = _prod(kernel)
    cg = wshape[1]
    c = cg * groups
    og = o // groups
    k = cg * nk
    rows = c * nk
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(in_size, pads))
    p = _prod(padded)
    shifts = _flat_shifts(padded, kernel, dilation)
    blocks, size = _wide_blocks(n, rows, o, (p,), compute.itemsize)
    g_buf = xp.empty(o * size * p, compute)
    buf = xp.empty(rows * size * p, compute)
    gw = gx = wt = x_runs = None
    if x is not None:
        xpad = pad_array(x, pads)
        if not xpad.flags.c_contiguous:
            xpad = xp.ascontiguousarray(xpad)
        x_runs = _flat_runs(xpad, shifts)
        gw = xp.zeros((groups, k, og), compute)
    if w is not None:
        # rows ordered (window position, channel): each position's block is contiguous
        wt = xp.ascontiguousarray(w.reshape(groups, og, cg, nk).transpose(0, 3, 2, 1)
                                  .reshape(groups, k, og))
        gx = xp.empty((n, c) + padded, compute)
        planes = xp.empty(c * size * p, compute)
    previous = None
    for start, stop in blocks:
        m = stop - start
        gb = _grad_planes(g, start, stop, padded, g_buf, groups, m != previous)
        previous = m
        if x is not None:
            cols = _im2col_wide(x_runs, start, stop, c, kernel, (p,), buf)
            gw += xp.matmul(cols.reshape(groups, k, m * p), gb.transpose(0, 2, 1))
        if w is not None:
            cols = buf[:rows * m * p].reshape(groups, k, m * p)
            xp.matmul(wt, gb, out=cols)
            block = planes[:c * m * p].reshape(c, m, p)
            _col2im_flat(cols, shifts, block, groups)
            gx[start:stop] = block.reshape((c, m) + padded).swapaxes(0, 1)
    if x is not None:
        gw = gw.transpose(0, 2, 1).reshape((o, cg) + kernel)
        if not xp.isfinite(gw).all():
            gw = None
    if w is not None and any(lo or hi for lo, hi in pads):
        gx = xp.ascontiguousarray(
            gx[(slice(None), slice(None)) +
               tuple(slice(lo, size - hi) for (lo, hi), size in zip(pads, padded))])
    return gx, gw


# ---------------------------------------------------------------------------------------
# the fused op
# ---------------------------------------------------------------------------------------
class ConvParams:
    """Geometry of one convolution: ``pads`` are (low, high) per spatial dim; ``transposed``
    ops produce an output of spatial size ``size`` (the direct convolution's input)."""
    __slots__ = ('kernel', 'stride', 'pads', 'dilation', 'groups', 'transposed', 'size',
                 'channels_last')

    def __init__(self, kernel, stride, pads, dilation, groups, transposed=False, size=None,
                 channels_last=False):
        self.kernel = kernel
        self.stride = stride
        self.pads = pads
        self.dilation = dilation
        self.groups = groups
        self.transposed = transposed
        self.size = size
        self.channels_last = channels_last

    def direct(self):
        return ConvParams(self.kernel, self.stride, self.pads, self.dilation, self.groups)

    def flipped(self, size):
        """The transposed op of this geometry producing spatial size ``size``."""
        return ConvParams(self.kernel, self.stride, self.pads, self.dilation, self.groups,
                          True, size)


# inf * 0 in a GEMM gives NaN, as in PyTorch, which does not warn about it.
_QUIET = {'invalid': 'ignore', 'over': 'ignore'}


def _to_channels_last(y):
    xp = _xp_of(y)
    out = xp.empty((y.shape[0],) + y.shape[2:] + (y.shape[1],), y.dtype)
    out = out.transpose((0, out.ndim - 1) + tuple(range(1, out.ndim - 1)))
    out[...] = y
    return out


class Convolution(Op):
    """A convolution or transposed convolution with optional bias, as one graph node."""
    node_name = 'ConvolutionBackward0'

    @staticmethod
    def forward(ctx, x, w, b, p):
        with np.errstate(**_QUIET):
            if p.transposed:
                y = conv_input_grad(x, w, p.size, p.stride, p.pads, p.dilation, p.groups)
            else:
                y = conv_forward(x, w, p.stride, p.pads, p.dilation, p.groups)
        if b is not None:
            y += b.reshape((-1,) + (1,) * (y.ndim - 2))
        if y.dtype != x.dtype:
            y = y.astype(x.dtype)
        if p.channels_last:
            y = _to_channels_last(y)
        return y

    @classmethod
    def apply(cls, x, w, b, p):
        """Like ``Op.apply``, but the bias slot is always an edge (``(None, 0)`` when there is
        no bias), as in PyTorch's node."""
        if w._device is not x._device or (b is not None and b._device is not x._device):
            check_same_device([t for t in (x, w, b) if t is not None])
        record = grad_mode.state.enabled and (x._requires_grad or w._requires_grad or (
            b is not None and b._requires_grad))
        bias = None if b is None else b._data
        if not record:
            return wrap_outputs(cls.forward(None, x._data, w._data, bias, p), x._device)
        node = cls.__new__(cls)
        node._connect((x, w, b))
        out = cls.forward(node, x._data, w._data, bias, p)
        node.args = (None, None, None, p)
        node.save(x, w)
        return attach(node, wrap_outputs(out, x._device))

    def backward(self, grad):
        x, w = self.saved
        p = self.args[3]
        need = self.next_functions
        gx = gw = gb = None
        if not p.transposed:
            if need[0][0] is not None and need[1][0] is not None and \
                    not grad_mode.state.enabled:
                gx, gw = _fused_backward(x, w, grad, p)
            if need[0][0] is not None and gx is None:
                gx = Convolution.apply(grad, w, None, p.flipped(x._data.shape[2:]))
            if need[1][0] is not None and gw is None:
                gw = ConvolutionWeightGrad.apply(x, grad, p)
        else:
            direct = p.direct()
            if need[0][0] is not None:
                gx = Convolution.apply(grad, w, None, direct)
                in_size = tuple(x._data.shape[2:])
                if tuple(gx._data.shape[2:]) != in_size:
                    # Unit stride with output padding: the direct convolution also reaches
                    # the padded rows and columns, which read no input.
                    gx = gx[(slice(None), slice(None)) + tuple(slice(0, s) for s in in_size)]
            if need[1][0] is not None:
                gw = ConvolutionWeightGrad.apply(grad, x, direct)
        if need[2][0] is not None:
            gb = grad.sum((0,) + tuple(range(2, grad.dim())))
        return gx, gw, gb


def _fused_backward(x, w, grad, p):
    """Input and weight gradients of a direct convolution in one pass, when the wide-row
    kernels apply and no graph of the gradient is recorded; (None, None) otherwise (or a
    None for a gradient the caller must compute the exact way)."""
    xd, wd, gd = x._data, w._data, grad._data
    in_size = xd.shape[2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(in_size, p.pads))
    if not gd.shape[0] or wd.shape[1] * _prod(wd.shape[2:]) < _THIN_GEMM or \
            not _use_wide(p.stride, padded, gd.shape[2:]):
        return None, None
    compute = _compute_dtype(xd)
    if compute != xd.dtype:
        xd, wd = xd.astype(compute), wd.astype(compute)
    if gd.dtype != compute:
        gd = gd.astype(compute)
    with np.errstate(**_QUIET):
        gx, gw = _conv_backward_wide(xd, gd, wd, wd.shape, in_size, p.pads, p.dilation,
                                     p.groups, compute)
    dtype = x._data.dtype
    if gx is not None:
        gx = make_tensor(gx.astype(dtype) if gx.dtype != dtype else gx, x._dtype, x._device)
    if gw is not None:
        gw = make_tensor(gw.astype(dtype) if gw.dtype != dtype else gw, x._dtype, x._device)
    return gx, gw


class ConvolutionWeightGrad(Op):
    """The weight gradient of a convolution, itself differentiable (double backward)."""
    node_name = 'ConvolutionBackwardBackward0'
    save_args = (0, 1)

    @staticmethod
    def forward(ctx, x, g, p):
        with np.errstate(**_QUIET):
            gw = conv_weight_grad(x, g, p.kernel, p.stride, p.pads, p.dilation, p.groups)
        return gw.astype(x.dtype) if gw.dtype != x.dtype else gw

    def backward(self, ggw):
        x, g = self.saved
        p = self.args[2]
        dx = dg = None
        if self.next_functions[0][0] is not None:
            dx = Convolution.apply(g, ggw, None, p.flipped(x._data.shape[2:]))
        if self.next_functions[1][0] is not None:
            dg = Convolution.apply(x, ggw, None, p.direct())
        return dx, dg


# ---------------------------------------------------------------------------------------
# argument handling
# ---------------------------------------------------------------------------------------
_TORCH_NAMES = {'float32': 'Float', 'float64': 'Double', 'float16': 'Half',
                'bfloat16': 'BFloat16', 'int64': 'Long', 'int32': 'Int', 'int16': 'Short',
                'int8': 'Char', 'uint8': 'Byte', 'bool': 'Bool', 'complex64': 'ComplexFloat',
                'complex128': 'ComplexDouble'}


def _tuple(value, n, name, fn='convolution'):
    """One int per spatial dim from an int or a sequence (floats are refused, as in
    PyTorch)."""
    value = _args.int_tuple(value, fn, name)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f'expected {name} to be a single integer value or a list of {n} '
                           f'values to match the convolution dimensions, but got '
                           f'{name}={list(value)}')
    return value


def _size_str(shape):
    return str(list(shape))


def _suggests_channels_last(shape, strides):
    """PyTorch's ``suggest_memory_format() == channels_last`` for a 4-d tensor."""
    if len(shape) != 4 or strides[1] == 0:
        return False
    low = 0
    for d in (1, 3, 2, 0):
        if shape[d] == 0 or strides[d] < low:
            return False
        if d == 0 and low == strides[1]:
            return False
        low = strides[d]
        if shape[d] > 1:
            low *= shape[d]
    return True


def _check_tensors(input, weight, bias, nd, transposed, groups, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{_args.type_name(input)}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): argument 'weight' (position 2) must be Tensor, not "
                        f"{_args.type_name(weight)}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{name}(): argument 'bias' (position 3) must be Tensor, not "
                        f"{_args.type_name(bias)}")
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f'Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to '
                           f'{name}, but got input of size: {_size_str(input.shape)}')
    if weight.dim() < 3:
        raise RuntimeError('weight should have at least three dimensions')
    if weight.dim() != nd + 2:
        raise RuntimeError(f'expected stride to be a single integer value or a list of '
                           f'{weight.dim() - 2} values to match the convolution dimensions, '
                           f'but got stride=[{", ".join(["1"] * nd)}]')
    kernel = weight.shape[2:]
    if 0 in kernel:
        sizes = (1,) + tuple(kernel) if nd == 1 else tuple(kernel)
        raise RuntimeError('kernel size should be greater than zero, but got' + (
            f' kernel_height: {sizes[0]} kernel_width: {sizes[1]}' if nd <= 2 else
            f': {sizes[0]} x {sizes[1]} x {sizes[2]} (TxHxW)'))
    if not transposed and bias is not None and bias._dtype is not input._dtype:
        _bias_type_error(input, bias)   # PyTorch checks the bias first
    if input._dtype is not weight._dtype:
        raise RuntimeError(f'expected scalar type {_TORCH_NAMES[input._dtype.name]} but found '
                           f'{_TORCH_NAMES[weight._dtype.name]}')
    if input._dtype is dt.bool or input._dtype.is_complex:
        raise RuntimeError(f'"{name}" not implemented for '
                           f"'{_TORCH_NAMES[input._dtype.name]}'")
    if bias is not None and bias._dtype is not input._dtype:
        _bias_type_error(input, bias)


def _bias_type_error(input, bias):
    names = [_args.CPP_TYPE_NAMES.get(t._dtype.name, t._dtype.name) for t in (input, bias)]
    raise RuntimeError(f'Input type ({names[0]}) and bias type ({names[1]}) should be the same')


def _convolution(input, weight, bias, stride, padding, dilation, groups, transposed,
                 output_padding, nd, name):
    _check_tensors(input, weight, bias, nd, transposed, groups, name)
    batched = input.dim() == nd + 2
    if not batched:
        input = input.unsqueeze(0)
    stride = _tuple(stride, nd, 'stride', name)
    dilation = _tuple(dilation, nd, 'dilation', name)
    if any(s <= 0 for s in stride):
        raise RuntimeError('non-positive stride is not supported')
    if any(d <= 0 for d in dilation):
        raise RuntimeError('dilation should be greater than zero')
    if groups <= 0:
        raise RuntimeError('non-positive groups is not supported')
    kernel = tuple(weight.shape[2:])
    in_size = tuple(input.shape[2:])
    wshape = tuple(weight.shape)
    if isinstance(padding, str):
        if transposed:
            raise RuntimeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
        if padding == 'valid':
            pads = ((0, 0),) * nd
        elif padding == 'same':
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for d, k in zip(dilation, kernel):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            pads = tuple(pads)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        padding = _tuple(padding, nd, 'padding', name)
        if any(p < 0 for p in padding):
            raise RuntimeError('negative padding is not supported')
        pads = tuple((p, p) for p in padding)
    channels = input.shape[1]
    if not transposed:
        if wshape[0] % groups:
            raise RuntimeError(f'Given groups={groups}, expected weight to be divisible by '
                               f'{groups} at dimension 0, but got weight of size '
                               f'[{_size_str(wshape)}] instead')
        if channels != wshape[1] * groups:
            raise RuntimeError(f'Given groups={groups}, weight of size {_size_str(wshape)}, '
                               f'expected input{_size_str(input.shape)} to have '
                               f'{wshape[1] * groups} channels, but got {channels} channels '
                               'instead')
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(in_size, pads))
        extent = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
        if any(p < e for p, e in zip(padded, extent)):
            raise RuntimeError(
                f'Calculated padded input size per channel: ({" x ".join(map(str, padded))}). '
                f'Kernel size: ({" x ".join(map(str, extent))}). Kernel size can\'t be greater '
                'than actual input size')
        params = ConvParams(kernel, stride, pads, dilation, groups)
    else:
        output_padding = _tuple(output_padding, nd, 'output_padding', name)
        if channels != wshape[0]:
            raise RuntimeError(f'Given transposed=1, weight of size {_size_str(wshape)}, '
                               f'expected input{_size_str(input.shape)} to have {wshape[0]} '
                               f'channels, but got {channels} channels instead')
        if wshape[0] % groups:
            raise RuntimeError(f'Given groups={groups}, expected weight to be divisible by '
                               f'{groups} at dimension 0, but got weight of size '
                               f'[{_size_str(wshape)}] instead')
        if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
            hw = ('height', 'width') if nd == 2 else ('depth', 'height', 'width')[-nd:] \
                if nd == 3 else ('width',)
            parts = [f'output_padding_{a}: {v}' for a, v in zip(hw, output_padding)] + \
                [f'stride_{a}: {v}' for a, v in zip(hw, stride)] + \
                [f'dilation_{a}: {v}' for a, v in zip(hw, dilation)]
            raise RuntimeError('output padding must be smaller than either stride or '
                               'dilation, but got ' + ' '.join(parts))
        size = tuple((i - 1) * s - lo - hi + d * (k - 1) + op + 1
                     for i, s, (lo, hi), d, k, op in zip(in_size, stride, pads, dilation,
                                                         kernel, output_padding))
        if any(s <= 0 for s in size):
            raise RuntimeError(f'Given input size per channel: '
                               f'({" x ".join(map(str, in_size))}). Calculated output size per '
                               f'channel: ({" x ".join(map(str, size))}). Output size is too '
                               'small')
        params = ConvParams(kernel, stride, pads, dilation, groups, True, size)
    if bias is not None:
        out_channels = wshape[0] if not transposed else wshape[1] * groups
        if bias.dim() != 1 or bias.shape[0] != out_channels:
            raise RuntimeError(f'Given weight of size {_size_str(wshape)}, expected bias to be '
                               f'1-dimensional with {out_channels} elements, but got bias of '
                               f'size {_size_str(bias.shape)} instead')
    if nd == 2 and (_suggests_channels_last(input.shape, input.stride()) or
                    _suggests_channels_last(weight.shape, weight.stride())):
        params.channels_last = True
    out = Convolution.apply(input, weight, bias, params)
    return out if batched else out.squeeze(0)


# ---------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over an input (N, C_in, L) or (C_in, L) with weight
    (C_out, C_in / groups, kW). ``padding`` may be an int, a tuple, 'valid' or 'same'."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, False, 0, 1,
                        'conv1d')


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an input (N, C_in, H, W) or (C_in, H, W) with weight
    (C_out, C_in / groups, kH, kW). ``padding`` may be an int, a tuple, 'valid' or 'same'."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, False, 0, 2,
                        'conv2d')


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over an input (N, C_in, D, H, W) or (C_in, D, H, W) with weight
    (C_out, C_in / groups, kD, kH, kW)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, False, 0, 3,
                        'conv3d')


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """1-D transposed convolution ("deconvolution") with weight (C_in, C_out / groups, kW)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, True,
                        output_padding, 1, 'conv_transpose1d')


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution with weight (C_in, C_out / groups, kH, kW)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, True,
                        output_padding, 2, 'conv_transpose2d')


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """3-D transposed convolution with weight (C_in, C_out / groups, kD, kH, kW)."""
    return _convolution(input, weight, bias, stride, padding, dilation, groups, True,
                        output_padding, 3, 'conv_transpose3d')
