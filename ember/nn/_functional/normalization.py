"""nn.functional: normalization (``batch_norm``, ``instance_norm``, ``layer_norm``,
``group_norm``, ``rms_norm``, ``local_response_norm``).

Batch, layer and group normalization are one fused op each, as PyTorch shows them
(``NativeBatchNormBackward0``, ``NativeLayerNormBackward0``, ``NativeGroupNormBackward0``).
Their forward and the usual backward run on arrays: statistics are NumPy reductions and
per-channel (or per-row) dot products with ``einsum`` (no temporary), directly on the
input's memory (NCHW or channels-last, no transposed copies). Reductions stay out of BLAS
on purpose: a threaded GEMV against a vector of ones is fast on an idle machine but can be
a hundred times slower on a busy one. When a graph of the gradient
is being recorded (``create_graph=True``), backward is instead written in ember ops, so
gradients of gradients are exact.

``instance_norm`` and ``rms_norm`` compose other ops exactly as PyTorch does (instance norm
is a batch norm over a (1, N*C, ...) view; RMS norm is ``x * rsqrt(mean(x^2) + eps)``), and
``local_response_norm`` averages squares over a window of channels.
"""
import numpy as np

from ... import _dtype as dt
from ..._tensor import Tensor, make_tensor
from ...autograd import grad_mode
from ...autograd.function import Op, attach

__all__ = ['batch_norm', 'instance_norm', 'layer_norm', 'group_norm', 'rms_norm',
           'local_response_norm']

_grad_state = grad_mode.state
_NAMES = {'float32': 'Float', 'float64': 'Double', 'float16': 'Half', 'bfloat16': 'BFloat16',
          'int64': 'Long', 'int32': 'Int', 'int16': 'Short', 'int8': 'Char', 'uint8': 'Byte',
          'bool': 'Bool', 'complex64': 'ComplexFloat', 'complex128': 'ComplexDouble'}
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


# ---------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------
def _check_tensor(input, name, arg='input', position=1):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(input).__name__}")


def _check_kernel_dtype(input, kernel):
    """PyTorch's error for normalization kernels that have no integer version."""
    if not input._dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_NAMES.get(input._dtype.name, input._dtype.name)}'")


def _check_param_dtypes(input, params):
    """PyTorch's CPU rule for parameters: the input's dtype, or float32 for all of them
    when the input is float16/bfloat16."""
    dtype = input._dtype
    others = [p._dtype for p in params if p is not None]
    if all(d is dtype for d in others):
        return
    if dtype is dt.float64:
        odd = [d for d in others if d is not dtype]
        if len(odd) == len(others):
            raise RuntimeError('mixed dtype (CPU): all inputs must share same datatype.')
        raise RuntimeError(f'expected scalar type Double but found {_NAMES[odd[0].name]}')
    if dtype in (dt.float16, dt.bfloat16) and all(d in (dtype, dt.float32) for d in others):
        if all(d is dt.float32 for d in others):
            return
        raise RuntimeError(f'expected scalar type {_NAMES[dtype.name]} but found Float')
    raise RuntimeError('mixed dtype (CPU): expect parameter to have scalar type of Float')


def _compute_dtype(np_dtype):
    """float16/bfloat16 compute in float32, as PyTorch's CPU kernels do."""
    return _F64 if np_dtype == _F64 else _F32


def _as_compute(array, compute):
    return array if array.dtype == compute else array.astype(compute)


def _xp_of(array):
    if type(array) is np.ndarray:
        return np
    import importlib
    return importlib.import_module(type(array).__module__.split('.')[0])


def _wrap(array, dtype, device):
    if array.dtype != dtype.numpy_dtype:
        array = array.astype(dtype.numpy_dtype)
    return make_tensor(array, dtype, device)


def _release_arrays(node, names):
    """Free arrays kept for backward together with the node's saved tensors."""
    Op._release(node)
    for name in names:
        node.__dict__.pop(name, None)


def _record(cls, out, inputs, args, saved, **arrays):
    """Make ``cls`` the grad_fn of ``out`` when an input requires grad."""
    if not (_grad_state.enabled and any(t is not None and t._requires_grad for t in inputs)):
        return out
    node = cls.__new__(cls)
    node._connect(inputs)
    node.args = args
    node.save(*saved)
    node.__dict__.update(arrays)
    return attach(node, out)


# ---------------------------------------------------------------------------------------
# channel views: (P, C, Q) arrays whose statistics reduce over axes 0 and 2
# ---------------------------------------------------------------------------------------
_CONTIGUOUS, _CHANNELS_LAST = 0, 1


def _channel_layout(x):
    """How a (N, C, *) array lies in memory: row-major, or dense channels-last (4-d/5-d)."""
    if x.flags.c_contiguous:
        return _CONTIGUOUS
    if x.ndim in (4, 5):
        perm = (0,) + tuple(range(2, x.ndim)) + (1,)
        if x.transpose(perm).flags.c_contiguous:
            return _CHANNELS_LAST
    return None


def _to_channel_view(a, layout, channels):
    """``a`` (shaped like the input) as a (P, C, Q) array; reshaping copies only when ``a``
    is not laid out like the input (a broadcast gradient, say)."""
    if layout == _CONTIGUOUS:
        return a.reshape(a.shape[0], channels, -1)
    perm = (0,) + tuple(range(2, a.ndim)) + (1,)
    return a.transpose(perm).reshape(-1, channels, 1)


def _from_channel_view(a3, shape, layout):
    if layout == _CONTIGUOUS:
        return a3.reshape(shape)
    nd = len(shape)
    permuted = a3.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return permuted.transpose((0, nd - 1) + tuple(range(1, nd - 1)))


def _channel_sum(a3):
    """Per-channel sums of a (P, C, Q) array."""
    if a3.shape[2] == 1:
        return a3[:, :, 0].sum(0)
    xp = _xp_of(a3)
    if xp is np and a3.dtype.kind == 'f' and a3.strides[2] == a3.itemsize:
        # Rows summed as dot products with ones: a fast one-pass kernel.
        return np.vecdot(a3, np.ones(a3.shape[2], a3.dtype)).sum(0)
    return a3.sum((0, 2))


def _channel_dot(a3, b3):
    """Per-channel sums of ``a3 * b3`` (no temporary)."""
    xp = _xp_of(a3)
    if xp is np and a3.shape[2] > 1:
        return np.vecdot(a3, b3).sum(0)
    return xp.einsum('pcq,pcq->c', a3, b3)


def _col(v):
    """A per-channel vector shaped to broadcast against a (P, C, Q) array."""
    return v.reshape(-1, 1)


# ---------------------------------------------------------------------------------------
# batch norm
# ---------------------------------------------------------------------------------------
class NativeBatchNorm(Op):
    """Batch normalization of a (N, C, *) tensor over all dims but C, as one node.

    Training mode keeps the centered input ``x - mean`` (compute dtype, channel view) and
    ``invstd``; evaluation mode keeps the running mean and ``invstd`` it normalized with.
    """
    node_name = 'NativeBatchNormBackward0'

    def _release(self):
        _release_arrays(self, ('centered', 'mean', 'invstd'))

    def backward(self, grad):
        x, w = self.saved
        training, eps, layout = self.args
        need_x, need_w, need_b = (edge[0] is not None for edge in self.next_functions)
        if _grad_state.enabled:
            return self._backward_graph(grad, x, w, training, eps, need_x, need_w, need_b)
        channels = x._data.shape[1]
        invstd = self.invstd
        compute = invstd.dtype
        g3 = _as_compute(_to_channel_view(grad._data, layout, channels), compute)
        gb = _channel_sum(g3) if (need_b or (training and need_x)) else None
        wd = None if w is None else _as_compute(w._data, compute)
        gx = gw = None
        if training:
            d = self.centered
            gdot = _channel_dot(g3, d)
            if need_w:
                gw = gdot * invstd
            if need_x:
                count = g3.size // channels
                k = invstd if wd is None else invstd * wd
                gx = g3 * _col(k)
                gx -= d * _col(k * gdot * invstd * invstd / count)
                gx -= _col(k * gb / count)
        else:
            if need_w:
                x3 = _as_compute(_to_channel_view(x._data, layout, channels), compute)
                gsum = gb if gb is not None else _channel_sum(g3)
                gw = (_channel_dot(g3, x3) - self.mean * gsum) * invstd
            if need_x:
                gx = g3 * _col(invstd if wd is None else invstd * wd)
        device = x._device
        if gx is not None:
            gx = _wrap(_from_channel_view(gx, x._data.shape, layout), x._dtype, device)
        if gw is not None:
            gw = _wrap(gw, w._dtype, device)
        if gb is not None and need_b:
            gb = _wrap(gb, x._dtype if w is None else w._dtype, device)
        else:
            gb = None
        return gx, gw, gb

    def _backward_graph(self, grad, x, w, training, eps, need_x, need_w, need_b):
        """The same gradients in ember ops (differentiable again)."""
        nd = x.dim()
        dims = (0,) + tuple(range(2, nd))
        shape = (1, -1) + (1,) * (nd - 2)
        xc = x.float() if x._dtype in (dt.float16, dt.bfloat16) else x
        device = x._device
        if training:
            centered = xc - xc.mean(dims, keepdim=True)
            invstd = ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()
        else:
            centered = xc - make_tensor(self.mean, xc._dtype, device).view(shape)
            invstd = make_tensor(self.invstd, xc._dtype, device).view(shape)
        xhat = centered * invstd
        gb = grad.sum(dims) if need_b else None
        gw = (grad * xhat).sum(dims) if need_w else None
        gx = None
        if need_x:
            gxhat = grad if w is None else grad * w.view(shape)
            if training:
                gx = invstd * (gxhat - gxhat.mean(dims, keepdim=True) -
                               xhat * (gxhat * xhat).mean(dims, keepdim=True))
            else:
                gx = gxhat * invstd
        return gx, gw, gb


def _batch_norm_arrays(x, w, b, running_mean, running_var, training, momentum, eps):
    """Forward of batch norm on arrays. Returns (output, layout, centered, mean, invstd)
    and updates the running statistics (arrays, in place) in training mode."""
    channels = x.shape[1]
    layout = _channel_layout(x)
    owned = False
    if layout is None:
        x = _xp_of(x).ascontiguousarray(x)
        layout, owned = _CONTIGUOUS, True
    compute = _compute_dtype(x.dtype)
    x3 = _to_channel_view(x, layout, channels)
    if x3.dtype != compute:
        x3, owned = x3.astype(compute), True
    wd = None if w is None else _as_compute(w, compute)
    bd = None if b is None else _as_compute(b, compute)
    if training:
        count = x3.size // channels
        mean = _channel_sum(x3) / compute.type(count)
        if owned:
            centered = x3
            centered -= _col(mean)
        else:
            centered = x3 - _col(mean)
        var = _channel_dot(centered, centered) / compute.type(count)
        invstd = 1 / np.sqrt(var + eps)
        out = centered * _col(invstd if wd is None else invstd * wd)
        if bd is not None:
            out += _col(bd)
        if running_mean is not None:
            _update_running(running_mean, running_var, mean, var, count, momentum)
        stat = None
    else:
        rm = _as_compute(running_mean, compute)
        invstd = 1 / np.sqrt(_as_compute(running_var, compute) + eps)
        scale = invstd if wd is None else invstd * wd
        shift = -rm * scale if bd is None else bd - rm * scale
        out = x3 * _col(scale)
        out += _col(shift)
        centered = None
        stat = rm.copy()
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    return _from_channel_view(out, x.shape, layout), layout, centered, stat, invstd


def _update_running(running_mean, running_var, mean, var, count, momentum):
    """running = (1 - momentum) * running + momentum * batch statistic (unbiased var)."""
    unbiased = var * count / (count - 1) if count > 1 else var * np.nan
    running_mean *= (1 - momentum)
    running_mean += (momentum * mean).astype(running_mean.dtype)
    running_var *= (1 - momentum)
    running_var += (momentum * unbiased).astype(running_var.dtype)


def _check_channels(name, t, channels):
    if t is not None and t._data.size != channels:
        raise RuntimeError(f'{name} should contain {channels} elements not {t._data.size}')


def _verify_batch_size(size):
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError('Expected more than 1 value per channel when training, got input '
                         f'size {size}')


def _empty_batch_norm(input, weight, bias):
    """PyTorch's result for an empty input: a clone, scaled and shifted by the first
    weight and bias (so the graph still reaches them)."""
    out = input.clone()
    if weight is not None:
        out = out * weight[0]
    if bias is not None:
        out = out + bias[0]
    return out


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                      eps):
    """The batch norm kernel (``torch.batch_norm``): checks, the fused op and the update of
    the running statistics."""
    if input._data.size == 0:
        return _empty_batch_norm(input, weight, bias)
    if (running_mean is None) != (running_var is None):
        raise ValueError('running_mean and running_var must either both be None or neither '
                         'be None')
    if not training:
        if running_mean is None:
            raise RuntimeError('running_mean must be defined in evaluation mode')
    if input.dim() < 2:
        raise IndexError(f'Dimension out of range (expected to be in range of [-1, 0], but '
                         f'got 1)' if input.dim() == 1 else
                         'Dimension specified as 1 but tensor has no dimensions')
    channels = input._data.shape[1]
    _check_channels('running_mean', running_mean, channels)
    _check_channels('running_var', running_var, channels)
    _check_channels('weight', weight, channels)
    _check_channels('bias', bias, channels)
    _check_kernel_dtype(input, 'batch_norm')
    _check_param_dtypes(input, (weight, bias, running_mean, running_var))
    rm = None if running_mean is None else running_mean._data.reshape(-1)
    rv = None if running_var is None else running_var._data.reshape(-1)
    out, layout, centered, stat, invstd = _batch_norm_arrays(
        input._data, _flat(weight), _flat(bias), rm, rv, training, momentum, eps)
    result = make_tensor(out, input._dtype, input._device)
    if training:
        return _record(NativeBatchNorm, result, (input, weight, bias), (True, eps, layout),
                       (input, weight), centered=centered, invstd=invstd)
    return _record(NativeBatchNorm, result, (input, weight, bias), (False, eps, layout),
                   (input, weight), mean=stat, invstd=invstd)


def _flat(t):
    return None if t is None else t._data.reshape(-1)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalization over each channel (dim 1) of a (N, C, *) input.

    In training mode the batch's mean and (biased) variance normalize the input, and the
    running statistics, when given, are updated in place with ``momentum`` (the variance
    with its unbiased estimate). In evaluation mode the running statistics are used.
    """
    _check_tensor(input, 'batch_norm')
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f'batch_norm eps must be positive during training, but got {eps}')
    elif eps < 0.0:
        raise ValueError(f'batch_norm eps must be non-negative, but got {eps}')
    return native_batch_norm(input, weight, bias, running_mean, running_var, training,
                             momentum, eps)


# ---------------------------------------------------------------------------------------
# instance norm: batch norm over a (1, N*C, *) view
# ---------------------------------------------------------------------------------------
def _verify_spatial_size(size):
    size_prods = 1
    for i in range(2, len(size)):
        size_prods *= size[i]
    if size_prods == 1:
        raise ValueError('Expected more than 1 spatial element when training, got input size '
                         f'{size}')


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Normalizes each channel of each sample separately (over the spatial dims)."""
    _check_tensor(input, 'instance_norm')
    if use_input_stats:
        _verify_spatial_size(input.size())
    shape = input.shape
    n, c = shape[0], shape[1]
    reshaped = input.contiguous().view((1, n * c) + tuple(shape[2:]))
    w = None if weight is None else weight.repeat(n)
    b = None if bias is None else bias.repeat(n)
    rm = None if running_mean is None else running_mean.repeat(n)
    rv = None if running_var is None else running_var.repeat(n)
    out = native_batch_norm(reshaped, w, b, rm, rv, use_input_stats, momentum, eps)
    if running_mean is not None and use_input_stats:
        # Each sample updated its own copy of the statistics: keep their average.
        running_mean._data[...] = rm._data.reshape(n, c).mean(0).astype(running_mean._data.dtype)
        running_var._data[...] = rv._data.reshape(n, c).mean(0).astype(running_var._data.dtype)
    return out.view(shape)


# ---------------------------------------------------------------------------------------
# layer norm and group norm: rows normalized, then an elementwise affine map
# ---------------------------------------------------------------------------------------
def _rowdot(a, b):
    """Dot products of the rows (last axis) of ``a`` and ``b``: one pass, no temporary."""
    xp = _xp_of(a)
    if xp is np:
        return np.vecdot(a, b)
    return xp.einsum('...k,...k->...', a, b)


def _row_stats(x2, eps):
    """Mean-centered rows of a (M, K) compute-dtype array (a new array) and their ``rstd``
    (M,), as PyTorch computes them: the biased variance of each row."""
    m, k = x2.shape
    xp = _xp_of(x2)
    if k == 0:
        return x2.copy(), xp.full(m, np.inf, x2.dtype)
    inv_k = x2.dtype.type(1 / k)
    # Row sums as dot products with ones: as accurate as a pairwise sum here, twice as fast.
    mean = _rowdot(x2, _ones(k, x2.dtype, xp))
    mean *= inv_k
    centered = xp.subtract(x2, mean[:, None])
    var = _rowdot(centered, centered)
    var *= inv_k
    var += x2.dtype.type(eps)
    rstd = xp.sqrt(var, out=var)
    return centered, xp.divide(x2.dtype.type(1), rstd, out=rstd)


def _scale_rows(a3, scale, inplace=False):
    """``a3 * scale[..., None]`` for a (P, C, L) array and a (P, C) scale, into a new array
    (einsum runs this broadcast faster than a ufunc) or in place."""
    xp = _xp_of(a3)
    if inplace:
        return xp.multiply(a3, scale[..., None], out=a3)
    out = xp.empty(a3.shape, a3.dtype)
    if a3.shape[2] == 0:
        return out
    return xp.einsum('pcl,pc->pcl', a3, scale, out=out)


def _add_channel_vector(out3, v):
    """``out3 += v[:, None]`` for a (P, C, L) array: added as one (C * L)-long row per
    sample, the fast contiguous loop, instead of C short broadcast rows."""
    xp = _xp_of(out3)
    p, c, length = out3.shape
    if length == 1 or not out3.flags.c_contiguous:
        out3 += v.reshape(c, 1)
        return out3
    flat = out3.reshape(p, c * length)
    flat += xp.repeat(v, length)
    return out3


class _Scratch:
    """A reusable temporary per thread: large fresh allocations are slow (page faults) and
    the backward kernels need one array-sized temporary each call."""
    def __init__(self):
        import threading
        self._local = threading.local()

    def get(self, shape, dtype, xp):
        n = 1
        for s in shape:
            n *= s
        key = (xp.__name__, np.dtype(dtype).str)
        cache = self._local.__dict__.setdefault('arrays', {})
        buf = cache.get(key)
        if buf is None or buf.size < n:
            buf = cache[key] = xp.empty(max(n, 1), dtype)
        return buf[:n].reshape(shape)


_scratch = _Scratch()


def _ones(n, dtype, xp):
    return xp.ones(n, dtype)


def _row_input_grad(gx, xhat2, rstd, a=None):
    """d(loss)/dx of row normalization, computed in place in ``gx`` (M, K), which holds
    d(loss)/d(xhat) on entry: ``rstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))``
    per row. ``a``: the row sums of ``gx`` when the caller has them."""
    m, k = gx.shape
    if k == 0:
        return gx
    xp = _xp_of(gx)
    inv_k = gx.dtype.type(1 / k)
    if a is None:
        a = _rowdot(gx, _ones(k, gx.dtype, xp))
    a *= inv_k
    c = _rowdot(gx, xhat2)
    c *= inv_k
    tmp = _scratch.get(gx.shape, gx.dtype, xp)
    if xp is np:
        np.einsum('mk,m->mk', xhat2, c, out=tmp)
    else:
        xp.multiply(xhat2, c[:, None], out=tmp)
    tmp += a[:, None]
    gx -= tmp
    gx *= rstd[:, None]
    return gx


def _graph_row_stats(x, eps, rows):
    """``xhat`` (shaped like x) and the per-row ``rstd`` (rows, 1) of row normalization, in
    ember ops: x viewed as ``rows`` rows."""
    xc = x.float() if x._dtype in (dt.float16, dt.bfloat16) else x
    r = xc.reshape(rows, -1)
    centered = r - r.mean(1, keepdim=True)
    rstd = ((centered * centered).mean(1, keepdim=True) + eps).rsqrt()
    return (centered * rstd).reshape(x.shape), rstd


def _graph_row_input_grad(gxhat, xhat, rstd, rows):
    g = gxhat.reshape(rows, -1)
    xr = xhat.reshape(rows, -1)
    return (rstd * (g - g.mean(1, keepdim=True) -
                    xr * (g * xr).mean(1, keepdim=True))).reshape(xhat.shape)


class NativeLayerNorm(Op):
    """Layer normalization over the trailing ``normalized_shape`` dims, as one node. Keeps
    the normalized input ``xhat`` (M, K) and ``rstd`` (M,) of each row."""
    node_name = 'NativeLayerNormBackward0'

    def _release(self):
        _release_arrays(self, ('xhat', 'rstd'))

    def backward(self, grad):
        x, w = self.saved
        eps, nshape, bias_dtype = self.args
        need_x, need_w, need_b = (edge[0] is not None for edge in self.next_functions)
        shape = x._data.shape
        lead = tuple(range(len(shape) - len(nshape)))
        k = 1
        for s in nshape:
            k *= s
        m = x._data.size // k if k else 0
        if _grad_state.enabled:
            xhat, rstd = _graph_row_stats(x, eps, m)
            gw = (grad * xhat).sum(lead) if need_w else None
            gb = grad.sum(lead) if need_b else None
            gx = None
            if need_x:
                gx = _graph_row_input_grad(grad if w is None else grad * w, xhat, rstd, m)
            return gx, gw, gb
        xhat2 = self.xhat
        compute = xhat2.dtype
        g2 = _as_compute(grad._data, compute).reshape(m, k)
        xp = _xp_of(g2)
        gw = gb = gx = None
        if need_w:
            gw = _wrap(xp.einsum('mk,mk->k', g2, xhat2).reshape(nshape), w._dtype, x._device)
        if need_b:
            gb = g2.sum(0)
            gb = _wrap(gb.reshape(nshape), bias_dtype, x._device)
        if need_x:
            if w is None:
                gxhat, a = g2.copy(), None
            else:
                # The row sums of g * w are dot products: one pass, no temporary.
                wd = _as_compute(w._data, compute).reshape(k)
                gxhat, a = xp.multiply(g2, wd), _rowdot(g2, wd)
            gx = _wrap(_row_input_grad(gxhat, xhat2, self.rstd, a).reshape(shape), x._dtype,
                       x._device)
        return gx, gw, gb


def _shape_list(shape):
    return '[' + ', '.join(str(s) for s in shape) + ']'


def _normalized_shape(normalized_shape, name):
    if type(normalized_shape) is tuple and all(type(s) is int for s in normalized_shape):
        return normalized_shape
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape,
                                                                            bool):
        raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    result = []
    for i, s in enumerate(normalized_shape):
        if isinstance(s, bool) or not hasattr(s, '__index__') or isinstance(s, float):
            raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be "
                            f"tuple of ints, but found element of type {type(s).__name__} at "
                            f"pos {i}")
        result.append(s.__index__())
    return tuple(result)


def _check_layer_norm_inputs(input, nshape, weight, bias):
    if len(nshape) < 1:
        raise RuntimeError('Expected normalized_shape to be at least 1-dimensional, i.e., '
                           'containing at least one element, but got normalized_shape = []')
    for name, p in (('weight', weight), ('bias', bias)):
        if p is not None and p._data.shape != nshape:
            raise RuntimeError(f'Expected {name} to be of same shape as normalized_shape, but '
                               f'got {name} of shape {_shape_list(p.shape)} and '
                               f'normalized_shape = {_shape_list(nshape)}')
    shape = input._data.shape
    if len(shape) < len(nshape) or shape[len(shape) - len(nshape):] != nshape:
        raise RuntimeError(f'Given normalized_shape={_shape_list(nshape)}, expected input with '
                           f'shape [*{"".join(", " + str(s) for s in nshape)}], but got input '
                           f'of size{_shape_list(shape)}')


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Normalizes over the trailing ``normalized_shape`` dims of each sample, then applies
    the elementwise affine map ``weight * x + bias`` when given."""
    _check_tensor(input, 'layer_norm')
    nshape = _normalized_shape(normalized_shape, 'layer_norm')
    _check_layer_norm_inputs(input, nshape, weight, bias)
    if not input._dtype.is_floating_point and any(
            p is not None and p._dtype is not input._dtype for p in (weight, bias)):
        raise RuntimeError('mixed dtype (CPU): all inputs must share same datatype.')
    _check_kernel_dtype(input, 'LayerNormKernelImpl')
    _check_param_dtypes(input, (weight, bias))
    x = input._data
    shape = x.shape
    k = 1
    for s in nshape:
        k *= s
    m = 1
    for s in shape[:len(shape) - len(nshape)]:
        m *= s
    compute = _compute_dtype(x.dtype)
    xp = _xp_of(x)
    x2 = _as_compute(xp.ascontiguousarray(x).reshape(m, k), compute)
    if x.size:
        xhat, rstd = _row_stats(x2, eps)
        xhat *= rstd[:, None]
    else:
        xhat, rstd = x2.copy(), xp.zeros(m, compute)
    recording = _grad_state.enabled and (input._requires_grad or _requires(weight) or
                                         _requires(bias))
    out = _affine(xhat, recording,
                  None if weight is None else _as_compute(weight._data, compute).reshape(1, k),
                  None if bias is None else _as_compute(bias._data, compute).reshape(1, k))
    out = out.reshape(shape)
    result = make_tensor(out.astype(x.dtype) if out.dtype != x.dtype else out, input._dtype,
                         input._device)
    if not recording:
        return result
    return _record(NativeLayerNorm, result, (input, weight, bias),
                   (eps, nshape, None if bias is None else bias._dtype), (input, weight),
                   xhat=xhat, rstd=rstd)


def _affine(xhat, keep, w, b):
    """``xhat * w + b`` (either may be None), in place unless ``keep`` (xhat is saved for
    backward and must not be overwritten)."""
    if w is not None:
        out = xhat * w if keep else _inplace(xhat, w, 'mul')
        if b is not None:
            out += b
        return out
    if b is not None:
        return xhat + b if keep else _inplace(xhat, b, 'add')
    return xhat.copy() if keep else xhat


def _inplace(a, v, op):
    if op == 'mul':
        a *= v
    else:
        a += v
    return a


def _requires(t):
    return t is not None and t._requires_grad


class NativeGroupNorm(Op):
    """Group normalization: each sample's channels split into ``groups``, each group
    normalized over its channels and spatial positions, then a per-channel affine map.
    Keeps the mean-centered input as a (N, C, L) array and ``rstd`` per (sample, group):
    every gradient is then a per-(sample, channel) combination of the output gradient, the
    centered input and a constant, from two per-row reductions."""
    node_name = 'NativeGroupNormBackward0'

    def _release(self):
        _release_arrays(self, ('centered', 'rstd'))

    def backward(self, grad):
        x, w = self.saved
        groups, eps, channels_last, bias_dtype = self.args
        need_x, need_w, need_b = (edge[0] is not None for edge in self.next_functions)
        shape = x._data.shape
        n, c = shape[0], shape[1]
        rows = n * groups
        cg = c // groups
        if _grad_state.enabled:
            xhat, rstd = _graph_row_stats(x, eps, rows)
            dims = (0,) + tuple(range(2, len(shape)))
            gw = (grad * xhat).sum(dims) if need_w else None
            gb = grad.sum(dims) if need_b else None
            gx = None
            if need_x:
                wshape = (1, -1) + (1,) * (len(shape) - 2)
                gxhat = grad if w is None else grad * w.view(wshape)
                gx = _graph_row_input_grad(gxhat, xhat, rstd, rows)
            return gx, gw, gb
        centered = self.centered
        compute = centered.dtype
        xp = _xp_of(centered)
        g3 = _as_compute(grad._data, compute).reshape(centered.shape)
        # Per (sample, channel): the sum of the gradient and its dot with the centered input.
        gsum = _rowdot(g3, _ones(g3.shape[2], compute, xp))
        gdot = _rowdot(g3, centered)
        rstd = self.rstd.reshape(n, groups, 1)
        gw = gb = gx = None
        if need_w:
            gw = _wrap((gdot.reshape(n, groups, cg) * rstd).reshape(n, c).sum(0), w._dtype,
                       x._device)
        if need_b:
            gb = _wrap(gsum.sum(0), bias_dtype, x._device)
        if need_x:
            size = centered.size // rows if rows else 0
            wd = None if w is None else _as_compute(w._data, compute).reshape(1, groups, cg)
            if wd is not None:
                gsum = gsum.reshape(n, groups, cg) * wd
                gdot = gdot.reshape(n, groups, cg) * wd
            inv = compute.type(1 / size) if size else compute.type(0)
            # With gxhat = g * w: mean(gxhat) and mean(gxhat * xhat) of each group.
            a = gsum.reshape(n, groups, cg).sum(2, keepdims=True) * inv
            cdot = gdot.reshape(n, groups, cg).sum(2, keepdims=True) * (rstd * inv)
            # gx = rstd * (gxhat - a - xhat * cdot) = g * scale + centered * slope + shift
            scale = xp.broadcast_to(rstd, (n, groups, cg)) if wd is None else rstd * wd
            slope = -(rstd * rstd * cdot)
            shift = -(rstd * a)
            gx = _scale_rows(g3, scale.reshape(n, c))
            group_shape = (n, groups, cg * (centered.shape[2]))
            tmp = xp.multiply(centered.reshape(group_shape), slope,
                              out=_scratch.get(group_shape, compute, xp))
            tmp += shift
            gx += tmp.reshape(gx.shape)
            gx = gx.reshape(shape)
            if channels_last:
                gx = _channels_last_copy(gx)
            gx = _wrap(gx, x._dtype, x._device)
        return gx, gw, gb


def _channels_last_copy(a):
    nd = a.ndim
    xp = _xp_of(a)
    out = xp.empty((a.shape[0],) + a.shape[2:] + (a.shape[1],), a.dtype)
    out = out.transpose((0, nd - 1) + tuple(range(1, nd - 1)))
    out[...] = a
    return out


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Group normalization of a (N, C, *) input: channels split into ``num_groups`` groups,
    each normalized over its channels and spatial dims; then a per-channel affine map."""
    _check_tensor(input, 'group_norm')
    if input.dim() < 2:
        raise RuntimeError('Expected at least 2 dimensions for input tensor but received '
                           f'{input.dim()}')
    shape = tuple(input.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + list(shape[2:]))
    n, c = shape[0], shape[1]
    if num_groups <= 0:
        raise RuntimeError(f'Expected num groups to be greater than 0, got {num_groups}')
    if c % num_groups != 0:
        raise RuntimeError('Expected number of channels in input to be divisible by '
                           f'num_groups, but got input of shape {_shape_list(shape)} and '
                           f'num_groups={num_groups}')
    for name, p in (('weight', weight), ('bias', bias)):
        if p is not None and (p.dim() != 1 or p._data.size != c):
            raise RuntimeError(f'Expected {name} to be a vector of size equal to the number '
                               f'of channels in input, but got {name} of shape '
                               f'{_shape_list(p.shape)} and input of shape {_shape_list(shape)}')
    _check_kernel_dtype(input, 'GroupNormKernelImpl')
    _check_param_dtypes(input, (weight, bias))
    x = input._data
    channels_last = x.ndim in (4, 5) and not x.flags.c_contiguous and \
        _channel_layout(x) == _CHANNELS_LAST
    compute = _compute_dtype(x.dtype)
    xp = _xp_of(x)
    length = 1
    for s in shape[2:]:
        length *= s
    x3 = _as_compute(xp.ascontiguousarray(x), compute).reshape(n, c, length)
    if x.size:
        centered, rstd = _row_stats(x3.reshape(n * num_groups, -1), eps)
    else:
        centered, rstd = x3.copy(), xp.zeros(n * num_groups, compute)
    recording = _grad_state.enabled and (input._requires_grad or _requires(weight) or
                                         _requires(bias))
    # out = centered * (rstd * weight) + bias: one scale per (sample, channel).
    scale = rstd.reshape(n, num_groups, 1)
    if weight is not None:
        scale = scale * _as_compute(weight._data, compute).reshape(1, num_groups,
                                                                   c // num_groups)
    else:
        scale = xp.broadcast_to(scale, (n, num_groups, c // num_groups))
    c3 = centered.reshape(n, c, length)
    out = _scale_rows(c3, scale.reshape(n, c), inplace=not recording)
    if bias is not None:
        _add_channel_vector(out, _as_compute(bias._data, compute))
    out = out.reshape(shape)
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    if channels_last:
        out = _channels_last_copy(out)
    result = make_tensor(out, input._dtype, input._device)
    if not recording:
        return result
    return _record(NativeGroupNorm, result, (input, weight, bias),
                   (num_groups, eps, channels_last, None if bias is None else bias._dtype),
                   (input, weight), centered=centered.reshape(n, c, length), rstd=rstd)


# ---------------------------------------------------------------------------------------
# composites
# ---------------------------------------------------------------------------------------
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root-mean-square normalization over the trailing ``normalized_shape`` dims:
    ``x * rsqrt(mean(x^2) + eps) * weight``; ``eps=None`` uses the dtype's machine epsilon.
    Half precision computes in float32."""
    _check_tensor(input, 'rms_norm')
    nshape = _normalized_shape(normalized_shape, 'rms_norm')
    shape = tuple(input.shape)
    if weight is not None and tuple(weight.shape) != nshape:
        raise RuntimeError('Expected weight to be of same shape as normalized_shape, but got '
                           f'weight of shape {_shape_list(weight.shape)} and normalized_shape '
                           f'= {_shape_list(nshape)}')
    if len(shape) < len(nshape) or shape[len(shape) - len(nshape):] != nshape:
        raise RuntimeError(f'Given normalized_shape={_shape_list(nshape)}, expected input with '
                           f'shape [*{", ".join(str(s) for s in nshape)}], but got input of '
                           f'size{_shape_list(shape)}')
    if not (input._dtype.is_floating_point or input._dtype.is_complex):
        _check_kernel_dtype(input, 'rms_norm')
    opmath = dt.float32 if input._dtype in (dt.float16, dt.bfloat16) else input._dtype
    upcast = input.to(opmath)
    if eps is None:
        eps = float(np.finfo(np.float32 if opmath in (dt.float32, dt.complex64)
                             else np.float64).eps)
    dims = tuple(range(input.dim() - 1, input.dim() - 1 - len(nshape), -1))
    rsqrt_input = upcast.pow(2).mean(dims, keepdim=True).add(eps).rsqrt()
    result = upcast.mul(rsqrt_input)
    if weight is not None:
        result = result.mul(weight)
    if result._data.ndim > 1 and not result._data.flags.c_contiguous and \
            _channel_layout(result._data) != _CHANNELS_LAST:
        result = result.contiguous()
    return result.type_as(input)


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """Normalizes each position by the energy of ``size`` neighbouring channels:
    ``x / (k + alpha / size * sum(x^2 over the window)) ** beta``."""
    _check_tensor(input, 'local_response_norm')
    dim = input.dim()
    if dim < 3:
        raise ValueError('Expected 3D or higher dimensionality                          '
                         f'input (got {dim} dimensions)')
    if input.numel() == 0:
        return input
    squares = input.mul(input)
    channels = input.shape[1]
    lo, hi = size // 2, (size - 1) // 2
    # Zero-pad the channel dim and add the ``size`` shifted windows (a loop over the window
    # length, not over data).
    from ..._ops.creation import zeros
    pad_shape = list(squares.shape)
    parts = []
    if lo:
        pad_shape[1] = lo
        parts.append(zeros(pad_shape, dtype=squares.dtype, device=squares.device))
    parts.append(squares)
    if hi:
        pad_shape[1] = hi
        parts.append(zeros(pad_shape, dtype=squares.dtype, device=squares.device))
    from ..._ops.joining import cat
    padded = cat(parts, 1) if len(parts) > 1 else squares
    total = None
    for i in range(size):
        part = padded.narrow(1, i, channels)
        total = part if total is None else total + part
    div = (total / size).mul(alpha).add(k).pow(beta)
    return input / div
